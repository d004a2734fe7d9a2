package autodiff

//go:generate go run fused_softplus_gen.go

import "math"

// SoftplusCached is Softplus evaluated by softplusSigmoid, four lanes at a
// time with AVX2+FMA where the kernels are accelerated: the same node (op
// "Softplus", σ(x) cached for the derivatives) as Softplus, so every
// derivative is Softplus's; values agree with it to a few ulps.
func SoftplusCached(x *Node) *Node {
	y := x.g.newNode(actNames[actSoftplus], x.val.Shape, actVJP, x)
	y.iarg[0] = int(actSoftplus)
	y.aux = x.g.newNode(actCacheNames[actSoftplus], x.val.Shape, nil)
	softplusSigmoid(y.data(), y.aux.data(), x.data())
	return y
}

// SiLUCached is SiLU, x·σ(x), evaluated by siluSigmoid (AVX2+FMA where the
// kernels are accelerated): the same node as SiLU (op "SiLU", σ cached), so
// every derivative is SiLU's; values agree with it to a few ulps.
func SiLUCached(x *Node) *Node {
	y := x.g.newNode(actNames[actSiLU], x.val.Shape, actVJP, x)
	y.iarg[0] = int(actSiLU)
	y.aux = x.g.newNode(actCacheNames[actSiLU], x.val.Shape, nil)
	siluSigmoid(y.data(), y.aux.data(), x.data())
	return y
}

// sigmoidFast is σ(x) by the vectorised kernel of SiLUCached. Its VJP is
// gy·σ(x)σ(−x) in graph ops (= σ(1 − σ) without the cancellation of 1 − σ
// for large x), so it is differentiable to any order.
func sigmoidFast(x *Node) *Node {
	y := x.g.newNode("SigmoidFast", x.val.Shape, sigmoidFastVJP, x)
	tmp := x.g.alloc(x.val.Size())
	siluSigmoid(tmp, y.data(), x.data())
	x.g.release(tmp)
	return y
}

func sigmoidFastVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Mul(gy, Mul(n, sigmoidFast(Neg(n.in[0])))))
	}
}

// ActSigma is σ(x) for an activation node y = Softplus(x) or SiLU(x) (also
// SoftplusCached, SiLUCached), copied from the σ(x) the node keeps instead
// of recomputed: a node of x, differentiable like sigmoidFast(x).
func ActSigma(y *Node) *Node {
	if (y.op != actNames[actSoftplus] && y.op != actNames[actSiLU]) || y.aux == nil || y.aux == y || y.nin != 1 {
		panic(shapeErr("ActSigma", "want a Softplus or SiLU node, got "+y.op, y.val.Shape))
	}
	x := y.in[0]
	s := y.g.newNode("ActSigma", x.val.Shape, sigmoidFastVJP, x)
	copy(s.data(), y.aux.data())
	return s
}

// siluSigmoid writes y = x·σ(x) and c = σ(x), σ as in softplusSigmoid.
func siluSigmoid(y, c, x []float64) {
	x, c = x[:len(y)], c[:len(y)]
	k := siluSigmoidBulk(y, c, x)
	for i, v := range x[k:] {
		e := math.Exp(-math.Abs(v))
		r := 1 / (1 + e)
		if v < 0 {
			r *= e
		}
		c[k+i], y[k+i] = r, v*r
	}
}

// softplusSigmoid writes y = ln(1 + eˣ) and c = σ(x) for every x: from
// e = e^−|x|, w = 1 + e and r = 1/w, σ is r (x ≥ 0) or e·r, and
// ln(1 + eˣ) = max(x, 0) + log1p(e) with log1p(e) = ln w + (e − (w − 1))·r
// (Goldberg's correction for the rounding of 1 + e). The AVX2 kernel
// (fused_softplus_amd64.s) computes e^−|x| by Cody–Waite reduction and a
// degree-13 Taylor polynomial and ln w by logOnePlus's e_log.c polynomial,
// branch-free; results agree with the scalar loop to a few ulps.
func softplusSigmoid(y, c, x []float64) {
	x, c = x[:len(y)], c[:len(y)]
	k := softplusSigmoidBulk(y, c, x)
	softplusSigmoidGeneric(y[k:], c[k:], x[k:])
}

// softplusSigmoidGeneric is the scalar reference of softplusSigmoid.
func softplusSigmoidGeneric(y, c, x []float64) {
	x, c = x[:len(y)], c[:len(y)]
	for i, v := range x {
		e := math.Exp(-math.Abs(v))
		w := 1 + e
		r := 1 / w
		if v < 0 {
			c[i] = e * r
		} else {
			c[i] = r
		}
		y[i] = max(v, 0) + logOnePlus(w) + (e-(w-1))*r
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
