package autodiff

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// MatMul is op(a)·op(b) for 2-D a and b, op(x) = x or xᵀ by the flags.
func MatMul(a, b *Node, transA, transB bool) *Node {
	as, bs := a.val.Shape, b.val.Shape
	if len(as) != 2 || len(bs) != 2 {
		panic(shapeErr("MatMul", "want 2-D operands", as, bs))
	}
	m, k := as[0], as[1]
	if transA {
		m, k = k, m
	}
	k2, n := bs[0], bs[1]
	if transB {
		k2, n = n, k2
	}
	if k != k2 {
		panic(shapeErr("MatMul", fmt.Sprintf("inner dimensions %d and %d differ (transA=%v transB=%v)", k, k2, transA, transB), as, bs))
	}
	var shp [2]int
	shp[0], shp[1] = m, n
	y := a.g.newNode("MatMul", shp[:], matMulVJP, a, b)
	y.flag = [2]bool{transA, transB}
	if m > 0 && n > 0 {
		kernels.Gemm(transA, transB, m, n, k, 1, a.val.Data, max(as[1], 1), b.val.Data, max(bs[1], 1), 0, y.val.Data, max(n, 1))
	}
	return y
}

// matMulVJP: for y = A'B' (A' = op(a), B' = op(b)), dA' = gy·B'ᵀ and
// dB' = A'ᵀ·gy, transposed back when a or b entered transposed.
func matMulVJP(n, gy *Node) {
	a, b := n.in[0], n.in[1]
	ta, tb := n.flag[0], n.flag[1]
	g := n.g
	if g.want(a) {
		switch {
		case !ta && !tb:
			g.acc(a, MatMul(gy, b, false, true))
		case ta && !tb:
			g.acc(a, MatMul(b, gy, false, true))
		case !ta && tb:
			g.acc(a, MatMul(gy, b, false, false))
		default:
			g.acc(a, MatMul(b, gy, true, true))
		}
	}
	if g.want(b) {
		switch {
		case !ta && !tb:
			g.acc(b, MatMul(a, gy, true, false))
		case ta && !tb:
			g.acc(b, MatMul(a, gy, false, false))
		case !ta && tb:
			g.acc(b, MatMul(gy, a, true, false))
		default:
			g.acc(b, MatMul(gy, a, true, true))
		}
	}
}

// Linear is x·w + bias for x of shape (..., in), w (in, out) and bias (out)
// or nil: a dense layer applied to every row.
func Linear(x, w, bias *Node) *Node {
	xs := x.val.Shape
	if len(xs) == 0 || len(w.val.Shape) != 2 || xs[len(xs)-1] != w.val.Shape[0] {
		panic(shapeErr("Linear", "x's last axis must equal w's rows", xs, w.val.Shape))
	}
	x2 := x
	if len(xs) != 2 {
		x2 = Reshape(x, -1, xs[len(xs)-1])
	}
	y := MatMul(x2, w, false, false)
	if bias != nil {
		y = Add(y, bias)
	}
	if len(xs) != 2 {
		var buf [8]int
		shape := append(append(buf[:0], xs[:len(xs)-1]...), w.val.Shape[1])
		y = Reshape(y, shape...)
	}
	return y
}
