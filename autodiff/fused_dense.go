package autodiff

import "github.com/hifm-go/hifm/tensor/kernels"

// DenseAct is f(x·w + b) for x (M, K), w (K, N), b (N) and f = Softplus or
// SiLU (silu false or true): a dense layer and its activation as one node,
// for training hot loops. The forward is one GEMM, then per row (in cache)
// the bias and the vectorised activation kernel, keeping σ(pre) (and for SiLU
// the pre-activation). The no-record VJP forms g = gy ⊙ f'(pre) and the bias
// gradient in one pass, then dx = g·wᵀ and dw = xᵀ·g; recorded sweeps build
// the same formulas from graph ops on x, w and b, so the node is
// differentiable to any order. Values agree with f(Linear(x, w, b)) to
// rounding; so do the two sweep modes (the bias gradient is summed row by
// row, σ comes from the cache or from sigmoidFast).
func DenseAct(x, w, b *Node, silu bool) *Node {
	xs, ws, bs := x.val.Shape, w.val.Shape, b.val.Shape
	if len(xs) != 2 || len(ws) != 2 || len(bs) != 1 || xs[1] != ws[0] || bs[0] != ws[1] {
		panic(shapeErr("DenseAct", "want x (M, K), w (K, N), b (N)", xs, ws, bs))
	}
	m, k, n := xs[0], xs[1], ws[1]
	g := x.g
	var shp [2]int
	shp[0], shp[1] = m, n
	y := g.newNode("DenseAct", shp[:], denseActVJP, x, w, b)
	y.flag[0] = silu
	sig := g.newNode("DenseActSigma", shp[:], nil)
	y.aux = sig
	yd, sd, bd := y.data(), sig.data(), b.data()
	if m > 0 && n > 0 {
		kernels.Gemm(false, false, m, n, k, 1, x.val.Data, max(k, 1), w.val.Data, n, 0, yd, n)
	}
	var pd []float64
	if silu {
		pre := g.newNode("DenseActPre", shp[:], nil)
		sig.aux = pre
		pd = pre.data()
	}
	for i := range m {
		row := yd[i*n : (i+1)*n]
		kernels.Add(row, row, bd)
		actRow(row, sd[i*n:(i+1)*n], rowOf(pd, i*n, (i+1)*n), silu)
	}
	return y
}

func denseActVJP(n, gy *Node) {
	x, w, b := n.in[0], n.in[1], n.in[2]
	g := n.g
	silu := n.flag[0]
	if g.record {
		pre := Add(MatMul(x, w, false, false), b)
		gp := Mul(gy, actPrimeNode(pre, silu))
		if g.want(x) {
			g.acc(x, MatMul(gp, w, false, true))
		}
		if g.want(w) {
			g.acc(w, MatMul(x, gp, true, false))
		}
		if g.want(b) {
			g.acc(b, SumTo(gp, b.val.Shape))
		}
		return
	}
	rows, cols := gy.val.Shape[0], gy.val.Shape[1]
	gp := g.newNode("DenseActBackPre", gy.val.Shape, nil)
	gb := g.newNode("DenseActBackBias", b.val.Shape, nil)
	gpd, gbd, gyd, sd := gp.data(), gb.data(), gy.data(), n.aux.data()
	clear(gbd)
	var pd []float64
	if silu {
		pd = n.aux.aux.data()
	}
	for i := range rows { // row by row, so the bias sum reads g from cache
		lo, hi := i*cols, (i+1)*cols
		actBack(gpd[lo:hi], gyd[lo:hi], sd[lo:hi], rowOf(pd, lo, hi), silu)
		kernels.Add(gbd, gbd, gpd[lo:hi])
	}
	if g.want(x) {
		g.acc(x, MatMul(gp, w, false, true))
	}
	if g.want(w) {
		g.acc(w, MatMul(x, gp, true, false))
	}
	if g.want(b) {
		g.acc(b, gb)
	}
}

// The fused nodes (DenseAct, GatherOuterAct) share their activation code.

// actRow applies f = SiLU (silu) or Softplus to row in place, storing σ(row)
// in sig and, for SiLU, the pre-activation in pre (nil for Softplus).
func actRow(row, sig, pre []float64, silu bool) {
	if silu {
		copy(pre, row)
		siluSigmoid(row, sig, row)
	} else {
		softplusSigmoid(row, sig, row)
	}
}

// actBack sets gp = gy ⊙ f'(pre) from the σ and pre-activation stored by
// actRow: f' = σ for Softplus, σ(1 + pre(1 − σ)) for SiLU.
func actBack(gp, gy, sig, pre []float64, silu bool) {
	if !silu {
		kernels.Mul(gp, gy, sig)
		return
	}
	for j := range gp {
		s := sig[j]
		gp[j] = gy[j] * (s + pre[j]*s*(1-s))
	}
}

// actPrimeNode is f'(pre) as graph ops, for recorded (differentiable) sweeps.
func actPrimeNode(pre *Node, silu bool) *Node {
	s := sigmoidFast(pre)
	if !silu {
		return s
	}
	return Mul(s, AddScalar(Mul(pre, AddScalar(Neg(s), 1)), 1))
}

// rowOf is v[lo:hi], or nil when v is nil (Softplus keeps no pre-activation).
func rowOf(v []float64, lo, hi int) []float64 {
	if v == nil {
		return nil
	}
	return v[lo:hi]
}
