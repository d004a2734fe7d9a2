package kernels

// Axpy2 computes y[i] += a1*x1[i] and then y[i] += a2*x2[i] for
// i < len(x1), in one pass over y: the same bits as Axpy(a1, x1, y)
// followed by Axpy(a2, x2, y) in the same kernel set. It is the rank-2
// update of the eigensolver's Householder tridiagonalisation
// (HIFM-MATH §2, Eq. 14). len(x2), len(y) >= len(x1).
func Axpy2(a1 float64, x1 []float64, a2 float64, x2, y []float64) {
	axpy2Impl(a1, x1, a2, x2, y)
}

// axpy2Impl follows the kernel set chosen at start-up (impl).
var axpy2Impl = func() func(a1 float64, x1 []float64, a2 float64, x2, y []float64) {
	if impl.name == generic.name {
		return axpy2Generic
	}
	return axpy2Accel()
}()

// axpy2Variant is an assembly body of Axpy2 with the Axpy it must match.
type axpy2Variant struct {
	name  string
	axpy  func(alpha float64, x, y []float64)
	axpy2 func(a1 float64, x1 []float64, a2 float64, x2, y []float64)
}

func axpy2Generic(a1 float64, x1 []float64, a2 float64, x2, y []float64) {
	x2, y = x2[:len(x1)], y[:len(x1)]
	for i, v := range x1 {
		t := y[i] + a1*v
		y[i] = t + a2*x2[i]
	}
}

// Axpy2Dot is Axpy2(a1, x1, a2, x2, y) followed by Dot(y, z) over the
// updated y, in one pass over y, with the same bits as the two calls in
// the same kernel set. len(x2), len(y), len(z) >= len(x1).
func Axpy2Dot(a1 float64, x1 []float64, a2 float64, x2, y, z []float64) float64 {
	return axpy2DotImpl(a1, x1, a2, x2, y, z)
}

var axpy2DotImpl = func() func(a1 float64, x1 []float64, a2 float64, x2, y, z []float64) float64 {
	if impl.name == generic.name {
		return axpy2DotGeneric
	}
	return axpy2DotAccel()
}()

func axpy2DotGeneric(a1 float64, x1 []float64, a2 float64, x2, y, z []float64) float64 {
	axpy2Generic(a1, x1, a2, x2, y)
	return dotGeneric(y[:len(x1)], z)
}
