package tensor

import "fmt"

// Concat joins tensors along axis; all other dimensions must agree.
func Concat(dst *Tensor, axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		shapePanic("Concat", "no operands")
	}
	first := ts[0]
	if axis < 0 {
		axis += len(first.Shape)
	}
	if axis < 0 || axis >= len(first.Shape) {
		shapePanic("Concat", fmt.Sprintf("axis %d out of range", axis), first.Shape)
	}
	out := append([]int(nil), first.Shape...)
	out[axis] = 0
	for _, t := range ts {
		if len(t.Shape) != len(first.Shape) {
			shapePanic("Concat", "ranks differ", first.Shape, t.Shape)
		}
		for i := range t.Shape {
			if i != axis && t.Shape[i] != first.Shape[i] {
				shapePanic("Concat", fmt.Sprintf("dimension %d differs", i), first.Shape, t.Shape)
			}
		}
		out[axis] += t.Shape[axis]
	}
	dst = prepare("Concat", dst, out)
	outer := 1
	for i := 0; i < axis; i++ {
		outer *= out[i]
	}
	rowLen := dst.Size()
	if outer > 0 {
		rowLen /= outer
	}
	pos := 0
	for _, t := range ts {
		t = t.Contiguous()
		w := 0
		if outer > 0 {
			w = t.Size() / outer
		}
		for o := 0; o < outer; o++ {
			copy(dst.Data[o*rowLen+pos:o*rowLen+pos+w], t.Data[o*w:(o+1)*w])
		}
		pos += w
	}
	return dst
}

// Slice copies a[start:end] along axis into dst.
func Slice(dst, a *Tensor, axis, start, end int) *Tensor {
	a = a.Contiguous()
	outer, n, inner, _ := axisSplit("Slice", a, axis)
	if axis < 0 {
		axis += len(a.Shape)
	}
	if start < 0 || end < start || end > n {
		shapePanic("Slice", fmt.Sprintf("range [%d, %d) on axis %d", start, end, axis), a.Shape)
	}
	out := append([]int(nil), a.Shape...)
	out[axis] = end - start
	dst = prepare("Slice", dst, out)
	w := (end - start) * inner
	for o := 0; o < outer; o++ {
		copy(dst.Data[o*w:(o+1)*w], a.Data[(o*n+start)*inner:(o*n+end)*inner])
	}
	return dst
}

func rowsCheck(op string, a *Tensor) (rows, width int) {
	if len(a.Shape) == 0 {
		shapePanic(op, "want at least 1-D", a.Shape)
	}
	rows = a.Shape[0]
	if rows > 0 {
		width = a.Size() / rows
	} else {
		width = 1
		for _, d := range a.Shape[1:] {
			width *= d
		}
	}
	return rows, width
}

// GatherRows returns dst[i] = src[idx[i]] along axis 0 (graph networks:
// the sender or receiver features of every edge).
func GatherRows(dst, src *Tensor, idx []int) *Tensor {
	src = src.Contiguous()
	rows, w := rowsCheck("GatherRows", src)
	out := append([]int{len(idx)}, src.Shape[1:]...)
	dst = prepare("GatherRows", dst, out)
	for i, r := range idx {
		if r < 0 || r >= rows {
			shapePanic("GatherRows", fmt.Sprintf("index %d out of range", r), src.Shape)
		}
		copy(dst.Data[i*w:(i+1)*w], src.Data[r*w:(r+1)*w])
	}
	return dst
}

// ScatterAddRows adds src[i] into dst[idx[i]] along axis 0 (segment sum:
// message aggregation). dst must be given; it is not cleared first.
// Rows are added in index order, so the result is deterministic.
func ScatterAddRows(dst, src *Tensor, idx []int) *Tensor {
	if dst == nil {
		shapePanic("ScatterAddRows", "destination required", src.Shape)
	}
	src = src.Contiguous()
	dst.mustContiguous("ScatterAddRows")
	rows, w := rowsCheck("ScatterAddRows", dst)
	srows, sw := rowsCheck("ScatterAddRows", src)
	if sw != w || srows != len(idx) || !SameShape(dst.Shape[1:], src.Shape[1:]) {
		shapePanic("ScatterAddRows", fmt.Sprintf("%d indices", len(idx)), dst.Shape, src.Shape)
	}
	for i, r := range idx {
		if r < 0 || r >= rows {
			shapePanic("ScatterAddRows", fmt.Sprintf("index %d out of range", r), dst.Shape)
		}
		d, s := dst.Data[r*w:(r+1)*w], src.Data[i*w:(i+1)*w]
		for j, v := range s {
			d[j] += v
		}
	}
	return dst
}
