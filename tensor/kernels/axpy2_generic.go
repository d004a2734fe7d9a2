//go:build !amd64 || purego

package kernels

func axpy2Accel() func(a1 float64, x1 []float64, a2 float64, x2, y []float64) { return axpy2Generic }

// axpy2Variants lists the assembly bodies this CPU can run: none here.
func axpy2Variants() []axpy2Variant { return nil }

func axpy2DotAccel() func(a1 float64, x1 []float64, a2 float64, x2, y, z []float64) float64 {
	return axpy2DotGeneric
}
