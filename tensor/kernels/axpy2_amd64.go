//go:build amd64 && !purego

package kernels

//go:noescape
func axpy2AVX2(a1 float64, x1 *float64, a2 float64, x2, y *float64, n int)

func axpy2Accel() func(a1 float64, x1 []float64, a2 float64, x2, y []float64) { return axpy2Asm }

// axpy2Variants lists the assembly bodies this CPU can run, for tests.
func axpy2Variants() []axpy2Variant {
	if _, ok := accelerated(); ok {
		return []axpy2Variant{{"avx2", axpyAsm, axpy2Asm}}
	}
	return nil
}

func axpy2Asm(a1 float64, x1 []float64, a2 float64, x2, y []float64) {
	if len(x1) == 0 {
		return
	}
	x2, y = x2[:len(x1)], y[:len(x1)]
	axpy2AVX2(a1, &x1[0], a2, &x2[0], &y[0], len(x1))
}

//go:noescape
func axpy2DotAVX2(a1 float64, x1 *float64, a2 float64, x2, y, z *float64, n int) float64

func axpy2DotAccel() func(a1 float64, x1 []float64, a2 float64, x2, y, z []float64) float64 {
	return axpy2DotAsm
}

func axpy2DotAsm(a1 float64, x1 []float64, a2 float64, x2, y, z []float64) float64 {
	if len(x1) == 0 {
		return 0
	}
	x2, y, z = x2[:len(x1)], y[:len(x1)], z[:len(x1)]
	return axpy2DotAVX2(a1, &x1[0], a2, &x2[0], &y[0], &z[0], len(x1))
}
