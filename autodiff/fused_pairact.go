package autodiff

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// GatherOuterAct is f(c[idx[r]] + u[r]·w) row by row, for c (R, H), u (P, 1),
// w (1, H) and f = Softplus or SiLU (silu false or true): the first EGNN
// layer's edge pre-activation (a per-sample row plus d²·w_d) and its
// activation in one pass, keeping σ (and for SiLU the pre-activation). It
// equals f(Add(GatherRows(c, idx), MatMul(u, w, false, false))). The
// no-record VJP is g = gy ⊙ f'(pre), dc = ScatterAddRows(g, idx), du = g·wᵀ,
// dw = uᵀ·g; recorded sweeps build it from graph ops, so the node is
// differentiable to any order. idx is kept, not copied.
func GatherOuterAct(c *Node, idx []int, u, w *Node, silu bool) *Node {
	cs, us, ws := c.val.Shape, u.val.Shape, w.val.Shape
	if len(cs) != 2 || len(us) != 2 || len(ws) != 2 || us[1] != 1 || ws[0] != 1 || ws[1] != cs[1] || us[0] != len(idx) {
		panic(shapeErr("GatherOuterAct", fmt.Sprintf("want c (R, H), u (%d, 1), w (1, H)", len(idx)), cs, us, ws))
	}
	rows, h := cs[0], cs[1]
	for _, r := range idx {
		if r < 0 || r >= rows {
			panic(shapeErr("GatherOuterAct", fmt.Sprintf("index %d out of range", r), cs))
		}
	}
	g := c.g
	var shp [2]int
	shp[0], shp[1] = len(idx), h
	y := g.newNode("GatherOuterAct", shp[:], gatherOuterActVJP, c, u, w)
	y.idxs = idx
	y.flag[0] = silu
	sig := g.newNode("GatherOuterActSigma", shp[:], nil)
	y.aux = sig
	var pd []float64
	if silu {
		pre := g.newNode("GatherOuterActPre", shp[:], nil)
		sig.aux = pre
		pd = pre.data()
	}
	yd, sd, cd, ud, wd := y.data(), sig.data(), c.data(), u.data(), w.data()
	for i, r := range idx {
		row, src := yd[i*h:(i+1)*h], cd[r*h:(r+1)*h]
		a := ud[i]
		for j, v := range src[:len(row)] {
			row[j] = v + a*wd[j] // rounded like Add(GatherRows, MatMul) (no FMA)
		}
		actRow(row, sd[i*h:(i+1)*h], rowOf(pd, i*h, (i+1)*h), silu)
	}
	return y
}

func gatherOuterActVJP(n, gy *Node) {
	c, u, w := n.in[0], n.in[1], n.in[2]
	g := n.g
	silu := n.flag[0]
	idx := n.idxs
	if g.record {
		pre := Add(GatherRows(c, idx), MatMul(u, w, false, false))
		gp := Mul(gy, actPrimeNode(pre, silu))
		if g.want(c) {
			g.acc(c, ScatterAddRows(gp, idx, c.val.Shape[0]))
		}
		if g.want(u) {
			g.acc(u, MatMul(gp, w, false, true))
		}
		if g.want(w) {
			g.acc(w, MatMul(u, gp, true, false))
		}
		return
	}
	h := c.val.Shape[1]
	gp := g.newNode("GatherOuterActBackPre", gy.val.Shape, nil)
	gpd, gyd, sd := gp.data(), gy.data(), n.aux.data()
	var pd []float64
	if silu {
		pd = n.aux.aux.data()
	}
	actBack(gpd, gyd, sd, pd, silu)
	if g.want(c) {
		g.acc(c, ScatterAddRows(gp, idx, c.val.Shape[0]))
	}
	if g.want(u) {
		du := g.newNode("GatherOuterActBackU", u.val.Shape, nil)
		dd, wd := du.data(), w.data()
		for i := range dd {
			dd[i] = kernels.Dot(gpd[i*h:(i+1)*h], wd)
		}
		g.acc(u, du)
	}
	if g.want(w) {
		dw := g.newNode("GatherOuterActBackW", w.val.Shape, nil)
		dwd, ud := dw.data(), u.data()
		clear(dwd)
		for i, uv := range ud {
			kernels.Axpy(uv, gpd[i*h:(i+1)*h], dwd)
		}
		g.acc(w, dw)
	}
}
