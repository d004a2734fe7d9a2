package autodiff

import (
	"fmt"
	"math"
)

// GroupNormFast is GroupNorm (same arguments and result; gamma and beta
// required) computed directly: one pass for each group's mean and biased
// variance, one for y = γ·x̂ + β with x̂ = (x − μ)·r, r = 1/√(σ² + eps). It
// keeps x̂ and r, and its VJP in the no-record sweeps of training and of
// divergences is the closed form
//
//	dx = r·(g − mean(g) − x̂·mean(g·x̂)),  g = γ·gy (means over the group)
//	dγ = Σ gy·x̂,  dβ = Σ gy            (sums over samples and pixels)
//
// Recorded sweeps build the same formula from graph ops on x (recomputing
// x̂ and r the composite way), so it is differentiable to any order.
func GroupNormFast(x *Node, groups int, gamma, beta *Node, eps float64) *Node {
	xs := x.val.Shape
	n, cg, inner := groupNormDims("GroupNormFast", x, groups, gamma, beta)
	g := x.g
	y := g.newNode("GroupNormFast", xs, groupNormFastVJP, x, gamma, beta)
	y.iarg[0] = groups
	y.farg = eps
	xhat := g.newNode("GroupNormXhat", xs, nil)
	rstd := g.newNode("GroupNormRstd", []int{n * groups}, nil)
	y.aux, xhat.aux = xhat, rstd
	xd, yd, hd, rd := x.data(), y.data(), xhat.data(), rstd.data()
	gd, bd := gamma.data(), beta.data()
	for k := range n * groups {
		rd[k] = groupNormForward(xd, hd, yd, gd, bd, k, groups, cg, inner, eps)
	}
	return y
}

func groupNormFastVJP(n, gy *Node) {
	x, gamma, beta := n.in[0], n.in[1], n.in[2]
	g := n.g
	groups, eps := n.iarg[0], n.farg
	if g.record {
		groupNormGraphVJP(x, gamma, beta, groups, eps, gy)
		return
	}
	xhat := n.aux
	rstd := xhat.aux
	xs := x.val.Shape
	nn, c := xs[0], xs[1]
	inner := x.val.Size() / (nn * c)
	cg := c / groups
	m := cg * inner
	gyd, hd, rd, gad := gy.data(), xhat.data(), rstd.data(), gamma.data()
	if g.want(x) {
		dx := g.newNode("GroupNormFastBackX", xs, nil)
		dd := dx.data()
		for k := range nn * groups {
			c0 := (k % groups) * cg
			groupNormInputGrad(dd[k*m:(k+1)*m], gyd[k*m:(k+1)*m], hd[k*m:(k+1)*m], gad[c0:c0+cg], rd[k], inner)
		}
		g.acc(x, dx)
	}
	if g.want(gamma) || g.want(beta) {
		dg := g.newNode("GroupNormFastBackGamma", []int{c}, nil)
		db := g.newNode("GroupNormFastBackBeta", []int{c}, nil)
		dgd, dbd := dg.data(), db.data()
		clear(dgd)
		clear(dbd)
		for s := range nn {
			for ch := range c {
				off := (s*c + ch) * inner
				h := hd[off : off+inner]
				var a, b float64
				for i, v := range gyd[off : off+inner] {
					a += v * h[i]
					b += v
				}
				dgd[ch] += a
				dbd[ch] += b
			}
		}
		if g.want(gamma) {
			g.acc(gamma, dg)
		}
		if g.want(beta) {
			g.acc(beta, db)
		}
	}
}

// groupNormGraphVJP accumulates GroupNormFast's VJP for the cotangent gy
// into x, gamma and beta as graph ops (recorded sweeps): the closed form of
// groupNormFastVJP with x̂ and r recomputed the composite way, so it is
// differentiable to any order.
func groupNormGraphVJP(x, gamma, beta *Node, groups int, eps float64, gy *Node) {
	g := x.g
	xs := x.val.Shape
	nb := xs[0] * groups
	m := x.val.Size() / nb
	xr := Reshape(x, nb, m)
	xc := Sub(xr, ExpandAxis(MeanAxis(xr, 1), 1, m))
	r := ExpandAxis(Pow(AddScalar(MeanAxis(Square(xc), 1), eps), -0.5), 1, m)
	xh := Mul(xc, r)
	if g.want(x) {
		gg := Reshape(MulChannel(gy, gamma), nb, m)
		m1 := ExpandAxis(MeanAxis(gg, 1), 1, m)
		m2 := ExpandAxis(MeanAxis(Mul(gg, xh), 1), 1, m)
		g.acc(x, Reshape(Mul(r, Sub(Sub(gg, m1), Mul(xh, m2))), xs...))
	}
	if g.want(gamma) {
		g.acc(gamma, ChannelSum(Mul(gy, Reshape(xh, xs...))))
	}
	if g.want(beta) {
		g.acc(beta, ChannelSum(gy))
	}
}

// groupNormDims checks the arguments of a fused group norm (groups divide
// the channels of x; γ and β have one entry per channel) and returns the
// batch n, the channels per group cg and the entries per channel inner.
func groupNormDims(op string, x *Node, groups int, gamma, beta *Node) (n, cg, inner int) {
	xs := x.val.Shape
	if len(xs) < 2 || groups < 1 || xs[1]%groups != 0 {
		panic(shapeErr(op, fmt.Sprintf("%d groups must divide the channels", groups), xs))
	}
	channelCheck(op, x, gamma)
	channelCheck(op, x, beta)
	n, c := xs[0], xs[1]
	return n, c / groups, x.val.Size() / (n * c)
}

// groupNormForward normalises (sample, group) k of x, cg channels of inner
// entries each: x̂ = (x − μ)·r into hd and γ·x̂ + β into out, and returns
// r = 1/√(σ² + eps) (biased variance). Shared by GroupNormFast and
// GroupNormSiLU so that both give the same bits.
func groupNormForward(xd, hd, out, gd, bd []float64, k, groups, cg, inner int, eps float64) float64 {
	m := cg * inner
	seg := xd[k*m : (k+1)*m]
	var mu float64
	for _, v := range seg {
		mu += v
	}
	mu /= float64(m)
	var v2 float64
	for _, v := range seg {
		d := v - mu
		v2 += d * d
	}
	r := 1 / math.Sqrt(v2/float64(m)+eps)
	c0 := (k % groups) * cg
	for j := range cg {
		ga, be := gd[c0+j], bd[c0+j]
		off := k*m + j*inner
		for i, v := range xd[off : off+inner] {
			h := (v - mu) * r
			hd[off+i] = h
			out[off+i] = ga*h + be
		}
	}
	return r
}

// groupNormInputGrad sets d, one group's input gradient, from gy (the
// gradient at the normalised-then-scaled output), h = x̂ and the group's
// γ (one per channel of inner values) and 1/σ r:
// d = r·(γ·gy − mean(γ·gy) − x̂·mean(γ·gy·x̂)). GroupNormFast and
// GroupNormSiLU share it, so their bits agree.
func groupNormInputGrad(d, gy, h, gamma []float64, r float64, inner int) {
	var m1, m2 float64
	for j, ga := range gamma {
		hj := h[j*inner : (j+1)*inner]
		for i, v := range gy[j*inner : (j+1)*inner] {
			gv := ga * v
			m1 += gv
			m2 += gv * hj[i]
		}
	}
	m := float64(len(gy))
	m1 /= m
	m2 /= m
	for j, ga := range gamma {
		hj := h[j*inner : (j+1)*inner]
		dj := d[j*inner : (j+1)*inner]
		for i, v := range gy[j*inner : (j+1)*inner] {
			dj[i] = r * (ga*v - m1 - hj[i]*m2)
		}
	}
}
