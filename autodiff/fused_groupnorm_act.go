package autodiff

// GroupNormSiLU is SiLU(GroupNormFast(x, groups, gamma, beta, eps)), the
// UNet's "GN → act" (HIFM-MATH §3, the image experiments), as one node
// computed one group at a time while it is in cache. It keeps x̂, 1/σ and
// σ(pre) (pre = γ·x̂ + β is recomputed, not stored) and gives the same bits
// as the two nodes, forward and in the first-order sweeps of training:
// the same expressions in the same order, and the vectorised sigmoid is
// called on pieces aligned to its 4-wide blocks, so every element takes
// the kernel path it takes in one call over the tensor. Its VJP is
//
//	gpre = gy·(pre·(s − s²) + s),  s = σ(pre)   (SiLU's, as actDeriv)
//	then GroupNormFast's closed form on gpre.
//
// Recorded sweeps build the same from graph ops (GroupNormFast, SiLU's
// derivative node, groupNormGraphVJP), differentiable to any order.
func GroupNormSiLU(x *Node, groups int, gamma, beta *Node, eps float64) *Node {
	xs := x.val.Shape
	n, cg, inner := groupNormDims("GroupNormSiLU", x, groups, gamma, beta)
	m := cg * inner
	g := x.g
	size := x.val.Size()
	y := g.newNode("GroupNormSiLU", xs, groupNormSiLUVJP, x, gamma, beta)
	y.iarg[0] = groups
	y.farg = eps
	xhat := g.newNode("GroupNormXhat", xs, nil)
	rstd := g.newNode("GroupNormRstd", []int{n * groups}, nil)
	sig := g.newNode("GroupNormSiLUSigma", xs, nil)
	y.aux, xhat.aux, rstd.aux = xhat, rstd, sig
	pre := g.alloc(size)
	xd, yd, hd, rd, sd := x.data(), y.data(), xhat.data(), rstd.data(), sig.data()
	gd, bd := gamma.data(), beta.data()
	done := 0 // pre[:done] went through siluSigmoid
	for k := range n * groups {
		rd[k] = groupNormForward(xd, hd, pre, gd, bd, k, groups, cg, inner, eps)
		end := (k + 1) * m &^ 3
		if k == n*groups-1 {
			end = size
		}
		if end > done {
			siluSigmoid(yd[done:end], sd[done:end], pre[done:end])
			done = end
		}
	}
	g.release(pre)
	return y
}

func groupNormSiLUVJP(n, gy *Node) {
	x, gamma, beta := n.in[0], n.in[1], n.in[2]
	g := n.g
	groups, eps := n.iarg[0], n.farg
	if g.record {
		pre := GroupNormFast(x, groups, gamma, beta, eps)
		act := SiLUCached(pre)
		groupNormGraphVJP(x, gamma, beta, groups, eps, derivMul(gy, pre, act.aux, actSiLU, 1))
		return
	}
	xhat := n.aux
	rstd, sig := xhat.aux, xhat.aux.aux
	xs := x.val.Shape
	nn, c := xs[0], xs[1]
	inner := x.val.Size() / (nn * c)
	cg := c / groups
	m := cg * inner
	gyd, hd, rd, sd, gad, bed := gy.data(), xhat.data(), rstd.data(), sig.data(), gamma.data(), beta.data()
	wantX, wantG, wantB := g.want(x), g.want(gamma), g.want(beta)
	var dd, dgd, dbd []float64
	var dx, dg, db *Node
	if wantX {
		dx = g.newNode("GroupNormSiLUBackX", xs, nil)
		dd = dx.data()
	}
	if wantG || wantB {
		dg = g.newNode("GroupNormSiLUBackGamma", []int{c}, nil)
		db = g.newNode("GroupNormSiLUBackBeta", []int{c}, nil)
		dgd, dbd = dg.data(), db.data()
		clear(dgd)
		clear(dbd)
	}
	gp := g.alloc(m) // the group's gpre, SiLU's VJP
	for k := range nn * groups {
		c0 := (k % groups) * cg
		for j := range cg {
			ga, be := gad[c0+j], bed[c0+j]
			off := k*m + j*inner
			h, s, gv := hd[off:off+inner], sd[off:off+inner], gyd[off:off+inner]
			p := gp[j*inner : (j+1)*inner]
			for i := range p {
				x := ga*h[i] + be
				si := s[i]
				p[i] = gv[i] * (x*(si-si*si) + si)
			}
		}
		if wantX {
			groupNormInputGrad(dd[k*m:(k+1)*m], gp, hd[k*m:(k+1)*m], gad[c0:c0+cg], rd[k], inner)
		}
		if dgd != nil {
			for j := range cg {
				h := hd[k*m+j*inner : k*m+(j+1)*inner]
				var a, b float64
				for i, v := range gp[j*inner : (j+1)*inner] {
					a += v * h[i]
					b += v
				}
				dgd[c0+j] += a
				dbd[c0+j] += b
			}
		}
	}
	g.release(gp)
	if wantX {
		g.acc(x, dx)
	}
	if wantG {
		g.acc(gamma, dg)
	}
	if wantB {
		g.acc(beta, db)
	}
}
