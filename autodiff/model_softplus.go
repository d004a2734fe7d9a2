package autodiff

import "math"

// SoftplusCached is Softplus, ln(1 + eˣ), for training hot loops (the EGNN's
// edge MLPs evaluate millions of them per step): one exponential e = e^−|x|
// gives both the value and σ(x), which the forward stores in a second node,
// so the first VJP is a single multiply gy ⊙ σ(x) with no further
// transcendental. log1p(e) is computed as ln(w) + (e − (w − 1))/w with
// w = 1 + e (Goldberg's log1p correction for the rounding of 1 + e), which
// is much faster than math.Log1p and agrees with it to a few ulps. Higher
// derivatives go through σ' = σ(1 − σ) in graph ops, so it is differentiable
// to any order like Softplus.
func SoftplusCached(x *Node) *Node {
	g := x.g
	sig := g.newNode("SoftplusSigma", x.val.Shape, softplusSigmaVJP, x)
	y := g.newNode("SoftplusCached", x.val.Shape, softplusCachedVJP, x, sig)
	softplusSigmoid(y.data(), sig.data(), x.data())
	return y
}

// softplusSigmoid writes y = softplus(x) and s = σ(x).
func softplusSigmoid(y, s, x []float64) {
	x, s = x[:len(y)], s[:len(y)]
	for i, v := range x {
		e := math.Exp(-math.Abs(v))
		w := 1 + e
		r := 1 / w
		y[i] = max(v, 0) + logOnePlus(w) + (e-(w-1))*r
		if v < 0 {
			s[i] = e * r
		} else {
			s[i] = r
		}
	}
}

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

// softplusCachedVJP: d softplus/dx = σ(x), the stored second input (which is
// a function of x itself, so the sweep must not also send gy into it).
func softplusCachedVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, n.in[1]))
	}
}

// softplusSigmaVJP: σ' = σ(1 − σ).
func softplusSigmaVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, Mul(n, AddScalar(Neg(n), 1))))
	}
}
