package autodiff

import "math"

// SoftplusCached is Softplus, kept under this name for package model: the
// activation ops now cache σ(x) themselves and compute ln(1 + e^−|x|) with
// logOnePlus, which is what this function was written to do.
func SoftplusCached(x *Node) *Node { return Softplus(x) }

// logOnePlus is ln w for w ∈ [1, 2]: the reduction and polynomial of
// FreeBSD's e_log.c (as in Go's math.Log, error < 1 ulp) without the frexp
// (the exponent is known); math.Log's assembly is several times slower.
func logOnePlus(w float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		l1    = 6.666666666666735130e-01
		l2    = 3.999999999940941908e-01
		l3    = 2.857142874366239149e-01
		l4    = 2.222219843214978396e-01
		l5    = 1.818357216161805012e-01
		l6    = 1.531383769920937332e-01
		l7    = 1.479819860511658591e-01
	)
	f, k := w-1, 0.0 // exact (Sterbenz)
	if w > math.Sqrt2 {
		f, k = w*0.5-1, 1
	}
	s := f / (2 + f)
	s2 := s * s
	s4 := s2 * s2
	t1 := s2 * (l1 + s4*(l3+s4*(l5+s4*l7)))
	t2 := s4 * (l2 + s4*(l4+s4*l6))
	hfsq := 0.5 * f * f
	return k*ln2Hi - ((hfsq - (s*(hfsq+t1+t2) + k*ln2Lo)) - f)
}
