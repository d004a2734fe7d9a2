package autodiff

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/kernels"
)

// Sum is the sum of all elements, a 0-d node.
func Sum(x *Node) *Node {
	y := x.g.newNode("Sum", nil, sumVJP, x)
	y.val.Data[0] = tensor.Sum(&x.val)
	return y
}

func sumVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], BroadcastTo(gy, n.in[0].val.Shape))
	}
}

// Mean is the mean of all elements, a 0-d node.
func Mean(x *Node) *Node {
	y := x.g.newNode("Mean", nil, meanVJP, x)
	y.val.Data[0] = tensor.Sum(&x.val) / float64(x.val.Size())
	return y
}

func meanVJP(n, gy *Node) {
	x := n.in[0]
	if n.g.want(x) {
		n.g.acc(x, BroadcastTo(Scale(gy, 1/float64(x.val.Size())), x.val.Shape))
	}
}

// axisSplit views shape as (outer, n, inner) around axis (negative axes
// count from the end) and returns the normalised axis.
func axisSplit(op string, shape []int, axis int) (ax, outer, n, inner int) {
	if axis < 0 {
		axis += len(shape)
	}
	if axis < 0 || axis >= len(shape) {
		panic(shapeErr(op, fmt.Sprintf("axis %d out of range", axis), shape))
	}
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return axis, outer, shape[axis], inner
}

// dropAxis writes shape without axis into buf and returns it.
func dropAxis(buf []int, shape []int, axis int) []int {
	buf = append(buf[:0], shape[:axis]...)
	return append(buf, shape[axis+1:]...)
}

// sumAxisInto computes dst[o,i] = scale·Σ_k src[o,k,i].
func sumAxisInto(dst, src []float64, outer, n, inner int, scale float64) {
	for o := 0; o < outer; o++ {
		d := dst[o*inner : (o+1)*inner]
		base := o * n * inner
		if inner == 1 {
			var s float64
			for _, v := range src[base : base+n] {
				s += v
			}
			d[0] = s * scale
			continue
		}
		copy(d, src[base:base+inner])
		for k := 1; k < n; k++ {
			kernels.Add(d, d, src[base+k*inner:base+(k+1)*inner])
		}
		if scale != 1 {
			kernels.Scal(scale, d)
		}
	}
}

func reduceAxis(op string, x *Node, axis int, vjp vjpFunc, scale func(n int) float64) *Node {
	ax, outer, n, inner := axisSplit(op, x.val.Shape, axis)
	var buf [8]int
	y := x.g.newNode(op, dropAxis(buf[:0], x.val.Shape, ax), vjp, x)
	y.iarg[0] = ax
	sumAxisInto(y.data(), x.data(), outer, n, inner, scale(n))
	return y
}

func one(int) float64     { return 1 }
func recip(n int) float64 { return 1 / float64(n) }

// SumAxis sums x along axis, dropping it from the shape.
func SumAxis(x *Node, axis int) *Node { return reduceAxis("SumAxis", x, axis, sumAxisVJP, one) }

func sumAxisVJP(n, gy *Node) {
	x := n.in[0]
	if n.g.want(x) {
		n.g.acc(x, ExpandAxis(gy, n.iarg[0], x.val.Shape[n.iarg[0]]))
	}
}

// MeanAxis averages x along axis, dropping it from the shape.
func MeanAxis(x *Node, axis int) *Node { return reduceAxis("MeanAxis", x, axis, meanAxisVJP, recip) }

func meanAxisVJP(n, gy *Node) {
	x := n.in[0]
	if n.g.want(x) {
		k := x.val.Shape[n.iarg[0]]
		n.g.acc(x, ExpandAxis(Scale(gy, 1/float64(k)), n.iarg[0], k))
	}
}

// SqNormAxis is Σ_k x[..., k, ...]² along axis (squared Euclidean norms,
// e.g. squared particle distances), dropping the axis.
func SqNormAxis(x *Node, axis int) *Node {
	ax, outer, n, inner := axisSplit("SqNormAxis", x.val.Shape, axis)
	var buf [8]int
	y := x.g.newNode("SqNormAxis", dropAxis(buf[:0], x.val.Shape, ax), sqNormVJP, x)
	y.iarg[0] = ax
	yd, xd := y.data(), x.data()
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var s float64
			for k := 0; k < n; k++ {
				v := xd[(o*n+k)*inner+i]
				s += v * v
			}
			yd[o*inner+i] = s
		}
	}
	return y
}

func sqNormVJP(n, gy *Node) {
	x := n.in[0]
	if n.g.want(x) {
		ax := n.iarg[0]
		n.g.acc(x, Mul(ExpandAxis(gy, ax, x.val.Shape[ax]), Scale(x, 2)))
	}
}

// ExpandAxis inserts a new axis at position axis with k copies of x:
// y[o, j, i] = x[o, i]. It is the adjoint of SumAxis.
func ExpandAxis(x *Node, axis, k int) *Node {
	if axis < 0 {
		axis += len(x.val.Shape) + 1
	}
	if axis < 0 || axis > len(x.val.Shape) || k < 0 {
		panic(shapeErr("ExpandAxis", fmt.Sprintf("axis %d, %d copies", axis, k), x.val.Shape))
	}
	var buf [8]int
	shape := append(append(append(buf[:0], x.val.Shape[:axis]...), k), x.val.Shape[axis:]...)
	y := x.g.newNode("ExpandAxis", shape, expandAxisVJP, x)
	y.iarg[0] = axis
	outer, inner := sizeOf(x.val.Shape[:axis]), sizeOf(x.val.Shape[axis:])
	xd, yd := x.data(), y.data()
	for o := 0; o < outer; o++ {
		src := xd[o*inner : (o+1)*inner]
		for j := 0; j < k; j++ {
			copy(yd[(o*k+j)*inner:(o*k+j+1)*inner], src)
		}
	}
	return y
}

func expandAxisVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], SumAxis(gy, n.iarg[0]))
	}
}

// SumTo sums x down to shape, which must be x's shape, a suffix of it, or a
// single element: the adjoint of the broadcasting in Add. It returns x
// itself when the shapes agree.
func SumTo(x *Node, shape []int) *Node {
	if tensor.SameShape(x.val.Shape, shape) {
		return x
	}
	if !broadcastOK(x.val.Shape, shape) {
		panic(shapeErr("SumTo", "target must be a trailing part of the shape or one element", x.val.Shape, shape))
	}
	y := x.g.newNode("SumTo", shape, sumToVJP, x)
	inner := y.val.Size()
	sumAxisInto(y.data(), x.data(), 1, x.val.Size()/inner, inner, 1)
	return y
}

func sumToVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], BroadcastTo(gy, n.in[0].val.Shape))
	}
}

// BroadcastTo repeats x (shape a suffix of shape, or one element) over the
// leading axes of shape. It is the adjoint of SumTo.
func BroadcastTo(x *Node, shape []int) *Node {
	if tensor.SameShape(x.val.Shape, shape) {
		return x
	}
	if !broadcastOK(shape, x.val.Shape) {
		panic(shapeErr("BroadcastTo", "shape must be a trailing part of the target or one element", x.val.Shape, shape))
	}
	y := x.g.newNode("BroadcastTo", shape, broadcastVJP, x)
	xd, yd := x.data(), y.data()
	w := len(xd)
	if w == 1 {
		v := xd[0]
		for i := range yd {
			yd[i] = v
		}
		return y
	}
	for off := 0; off < len(yd); off += w {
		copy(yd[off:off+w], xd)
	}
	return y
}

func broadcastVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], SumTo(gy, n.in[0].val.Shape))
	}
}
