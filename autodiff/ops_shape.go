package autodiff

import (
	"fmt"
	"slices"

	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/kernels"
)

// Reshape is a view of x with a new shape of the same size (one -1 is
// inferred). It shares x's data.
func Reshape(x *Node, shape ...int) *Node {
	var buf [8]int
	dims := append(buf[:0], shape...)
	infer, n := -1, 1
	for i, d := range dims {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(reshapeErr("bad dimension", x, shape))
		default:
			n *= d
		}
	}
	size := x.val.Size()
	if infer >= 0 {
		if n == 0 || size%n != 0 {
			panic(reshapeErr("cannot infer -1", x, shape))
		}
		dims[infer] = size / n
		n = size
	}
	if n != size {
		panic(reshapeErr("sizes differ", x, shape))
	}
	return x.g.view("Reshape", dims, x.val.Data[:size], reshapeVJP, x)
}

// reshapeErr copies the requested shape so that Reshape's variadic
// argument and buffer stay on the stack (no allocation per call).
func reshapeErr(msg string, x *Node, shape []int) error {
	return shapeErr("Reshape", msg, slices.Clone(x.val.Shape), slices.Clone(shape))
}

func reshapeVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Reshape(gy, n.in[0].val.Shape...))
	}
}

// Transpose swaps the axes of a 2-D x (copying).
func Transpose(x *Node) *Node {
	if len(x.val.Shape) != 2 {
		panic(shapeErr("Transpose", "want 2-D", x.val.Shape))
	}
	var shp [2]int
	shp[0], shp[1] = x.val.Shape[1], x.val.Shape[0]
	y := x.g.newNode("Transpose", shp[:], transposeVJP, x)
	tensor.Transpose(&y.val, &x.val)
	return y
}

func transposeVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], Transpose(gy))
	}
}

// Concat joins xs along axis; the other dimensions must agree.
func Concat(axis int, xs ...*Node) *Node {
	if len(xs) == 0 {
		panic(shapeErr("Concat", "no operands"))
	}
	first := xs[0].val.Shape
	ax, _, _, _ := axisSplit("Concat", first, axis)
	var buf [8]int
	shape := append(buf[:0], first...)
	shape[ax] = 0
	for _, x := range xs {
		s := x.val.Shape
		if len(s) != len(first) {
			panic(shapeErr("Concat", "ranks differ", first, s))
		}
		for i := range s {
			if i != ax && s[i] != first[i] {
				panic(shapeErr("Concat", fmt.Sprintf("dimension %d differs", i), first, s))
			}
		}
		shape[ax] += s[ax]
	}
	y := xs[0].g.newNode("Concat", shape, concatVJP, xs...)
	y.iarg[0] = ax
	outer := sizeOf(shape[:ax])
	row := sizeOf(shape[ax:])
	pos := 0
	yd := y.data()
	for _, x := range xs {
		xd := x.data()
		w := sizeOf(x.val.Shape[ax:])
		for o := 0; o < outer; o++ {
			copy(yd[o*row+pos:o*row+pos+w], xd[o*w:(o+1)*w])
		}
		pos += w
	}
	return y
}

func concatVJP(n, gy *Node) {
	ax, off := n.iarg[0], 0
	for i := 0; i < n.nin; i++ {
		x := n.input(i)
		k := x.val.Shape[ax]
		if n.g.want(x) {
			n.g.acc(x, Slice(gy, ax, off, off+k))
		}
		off += k
	}
}

// Slice is x[start:end] along axis (copying).
func Slice(x *Node, axis, start, end int) *Node {
	ax, outer, k, inner := axisSplit("Slice", x.val.Shape, axis)
	if start < 0 || end < start || end > k {
		panic(shapeErr("Slice", fmt.Sprintf("range [%d, %d) on axis %d", start, end, ax), x.val.Shape))
	}
	var buf [8]int
	shape := append(buf[:0], x.val.Shape...)
	shape[ax] = end - start
	y := x.g.newNode("Slice", shape, sliceVJP, x)
	y.iarg[0], y.iarg[1], y.iarg[2] = ax, start, end
	w := (end - start) * inner
	xd, yd := x.data(), y.data()
	for o := 0; o < outer; o++ {
		copy(yd[o*w:(o+1)*w], xd[(o*k+start)*inner:(o*k+end)*inner])
	}
	return y
}

func sliceVJP(n, gy *Node) {
	x := n.in[0]
	if n.g.want(x) {
		n.g.acc(x, padSlice(gy, n.iarg[0], n.iarg[1], x.val.Shape[n.iarg[0]]))
	}
}

// padSlice embeds x at [start, start+len) along axis in zeros of length k:
// the adjoint of Slice.
func padSlice(x *Node, axis, start, k int) *Node {
	ax, outer, m, inner := axisSplit("padSlice", x.val.Shape, axis)
	var buf [8]int
	shape := append(buf[:0], x.val.Shape...)
	shape[ax] = k
	y := x.g.newNode("PadSlice", shape, padSliceVJP, x)
	y.iarg[0], y.iarg[1] = ax, start
	yd, xd := y.data(), x.data()
	clear(yd)
	w := m * inner
	for o := 0; o < outer; o++ {
		copy(yd[(o*k+start)*inner:(o*k+start)*inner+w], xd[o*w:(o+1)*w])
	}
	return y
}

func padSliceVJP(n, gy *Node) {
	x := n.in[0]
	if n.g.want(x) {
		ax, start := n.iarg[0], n.iarg[1]
		n.g.acc(x, Slice(gy, ax, start, start+x.val.Shape[ax]))
	}
}

// GatherRows is y[i] = x[idx[i]] along axis 0 (edge features from node
// features). idx is kept, not copied: do not change it before Reset.
func GatherRows(x *Node, idx []int) *Node {
	if len(x.val.Shape) == 0 {
		panic(shapeErr("GatherRows", "want at least 1-D", x.val.Shape))
	}
	var buf [8]int
	shape := append(append(buf[:0], len(idx)), x.val.Shape[1:]...)
	rows := x.val.Shape[0]
	for _, r := range idx {
		if r < 0 || r >= rows {
			panic(shapeErr("GatherRows", fmt.Sprintf("index %d out of range", r), x.val.Shape))
		}
	}
	y := x.g.newNode("GatherRows", shape, gatherVJP, x)
	y.idxs = idx
	w := sizeOf(x.val.Shape[1:])
	xd, yd := x.data(), y.data()
	for i, r := range idx {
		copy(yd[i*w:(i+1)*w], xd[r*w:(r+1)*w])
	}
	return y
}

func gatherVJP(n, gy *Node) {
	x := n.in[0]
	if n.g.want(x) {
		n.g.acc(x, ScatterAddRows(gy, n.idxs, x.val.Shape[0]))
	}
}

// ScatterAddRows is the segment sum y[r] = Σ_{i: idx[i]=r} x[i] into rows
// rows (message aggregation), the adjoint of GatherRows. Rows are added in
// index order, so the result is deterministic. idx is kept, not copied.
func ScatterAddRows(x *Node, idx []int, rows int) *Node {
	if len(x.val.Shape) == 0 || x.val.Shape[0] != len(idx) {
		panic(shapeErr("ScatterAddRows", fmt.Sprintf("%d indices", len(idx)), x.val.Shape))
	}
	for _, r := range idx {
		if r < 0 || r >= rows {
			panic(shapeErr("ScatterAddRows", fmt.Sprintf("index %d out of range for %d rows", r, rows), x.val.Shape))
		}
	}
	var buf [8]int
	shape := append(append(buf[:0], rows), x.val.Shape[1:]...)
	y := x.g.newNode("ScatterAddRows", shape, scatterVJP, x)
	y.idxs = idx
	w := sizeOf(x.val.Shape[1:])
	xd, yd := x.data(), y.data()
	clear(yd)
	for i, r := range idx {
		d := yd[r*w : (r+1)*w]
		kernels.Add(d, d, xd[i*w:(i+1)*w])
	}
	return y
}

func scatterVJP(n, gy *Node) {
	if n.g.want(n.in[0]) {
		n.g.acc(n.in[0], GatherRows(gy, n.idxs))
	}
}
