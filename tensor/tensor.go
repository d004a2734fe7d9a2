// Package tensor provides dense float64 tensors (row-major, shape and
// strides) and the operations hifm's autodiff, models and paths are built
// from. The arithmetic runs on package kernels, which picks AVX2+FMA
// assembly or generic Go once at start-up.
//
// # Error policy
//
// Shape mismatches are programming errors: every operation panics with a
// *ShapeError that names the operation and the shapes involved. Functions
// that take user data validate it first and return errors; Catch turns a
// ShapeError panic back into an error at such a boundary.
//
// # Destinations
//
// Operations take a destination first: dst == nil allocates a new tensor,
// otherwise dst must already have the result's shape and is overwritten and
// returned. Reusing destinations keeps hot loops free of allocations.
// Elementwise operations allow dst to alias an operand.
package tensor

import (
	"fmt"
	"strings"
)

// Tensor is a dense float64 array. Data holds the elements; element
// (i0, i1, ...) lives at Data[Σ ik*Strides[k]]. Tensors made by this package
// are contiguous (row-major) unless they come from TransposeView.
type Tensor struct {
	Shape   []int
	Strides []int
	Data    []float64
}

// ShapeError reports operands whose shapes do not fit an operation.
type ShapeError struct {
	Op     string
	Shapes [][]int
	Msg    string
}

func (e *ShapeError) Error() string {
	var b strings.Builder
	op := e.Op
	if !strings.Contains(op, ".") { // tensor's own ops; other packages qualify theirs
		op = "tensor." + op
	}
	fmt.Fprintf(&b, "%s: shape mismatch", op)
	for i, s := range e.Shapes {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString(" vs ")
		}
		b.WriteString(ShapeString(s))
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	return b.String()
}

// ShapeString formats a shape as (a, b, c).
func ShapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func shapePanic(op, msg string, shapes ...[]int) {
	// Copy the shapes so that callers' shape slices do not escape.
	cp := make([][]int, len(shapes))
	for i, s := range shapes {
		cp[i] = append([]int(nil), s...)
	}
	panic(&ShapeError{Op: op, Shapes: cp, Msg: msg})
}

// Catch runs f and returns a *ShapeError it panicked with as an error;
// other panics propagate.
func Catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if se, ok := r.(*ShapeError); ok {
				err = se
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

func sizeOf(op string, shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			shapePanic(op, "negative dimension", shape)
		}
		n *= d
	}
	return n
}

func rowMajorStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// New returns a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	n := sizeOf("New", shape)
	return &Tensor{Shape: append([]int(nil), shape...), Strides: rowMajorStrides(shape), Data: make([]float64, n)}
}

// Zeros is New.
func Zeros(shape ...int) *Tensor { return New(shape...) }

// Full returns a tensor with every element v.
func Full(v float64, shape ...int) *Tensor {
	t := New(shape...)
	t.Fill(v)
	return t
}

// FromSlice wraps data (not copied) as a tensor of the given shape.
func FromSlice(data []float64, shape ...int) *Tensor {
	if n := sizeOf("FromSlice", shape); n != len(data) {
		shapePanic("FromSlice", fmt.Sprintf("%d elements for %d values", n, len(data)), shape)
	}
	return &Tensor{Shape: append([]int(nil), shape...), Strides: rowMajorStrides(shape), Data: data}
}

// Scalar returns a 0-d tensor holding v.
func Scalar(v float64) *Tensor { return &Tensor{Shape: []int{}, Strides: []int{}, Data: []float64{v}} }

// Size is the number of elements.
func (t *Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Dims is the number of axes.
func (t *Tensor) Dims() int { return len(t.Shape) }

// IsContiguous reports whether t is laid out row-major without gaps.
func (t *Tensor) IsContiguous() bool {
	s := 1
	for i := len(t.Shape) - 1; i >= 0; i-- {
		if t.Shape[i] != 1 && t.Strides[i] != s {
			return false
		}
		s *= t.Shape[i]
	}
	return true
}

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float64 {
	if t.Size() != 1 {
		shapePanic("Item", "want one element", t.Shape)
	}
	return t.Data[0]
}

func (t *Tensor) offset(op string, idx []int) int {
	if len(idx) != len(t.Shape) {
		shapePanic(op, fmt.Sprintf("%d indices", len(idx)), t.Shape)
	}
	o := 0
	for k, i := range idx {
		if i < 0 || i >= t.Shape[k] {
			shapePanic(op, fmt.Sprintf("index %v out of range", idx), t.Shape)
		}
		o += i * t.Strides[k]
	}
	return o
}

// At returns the element at idx.
func (t *Tensor) At(idx ...int) float64 { return t.Data[t.offset("At", idx)] }

// Set stores v at idx.
func (t *Tensor) Set(v float64, idx ...int) { t.Data[t.offset("Set", idx)] = v }

// Fill sets every element to v.
func (t *Tensor) Fill(v float64) {
	t.mustContiguous("Fill")
	for i := range t.Data[:t.Size()] {
		t.Data[i] = v
	}
}

func (t *Tensor) mustContiguous(op string) {
	if !t.IsContiguous() {
		shapePanic(op, "needs a contiguous tensor (call Contiguous)", t.Shape)
	}
}

// Clone returns a contiguous deep copy.
func (t *Tensor) Clone() *Tensor {
	c := New(t.Shape...)
	if t.IsContiguous() {
		copy(c.Data, t.Data[:c.Size()])
		return c
	}
	i := 0
	t.each(func(o int) { c.Data[i] = t.Data[o]; i++ })
	return c
}

// Contiguous returns t itself when contiguous, else a contiguous copy.
func (t *Tensor) Contiguous() *Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// each calls f with the data offset of every element in row-major order.
func (t *Tensor) each(f func(off int)) {
	n := t.Size()
	if n == 0 {
		return
	}
	idx := make([]int, len(t.Shape))
	off := 0
	for c := 0; c < n; c++ {
		f(off)
		for k := len(idx) - 1; k >= 0; k-- {
			idx[k]++
			off += t.Strides[k]
			if idx[k] < t.Shape[k] {
				break
			}
			off -= idx[k] * t.Strides[k]
			idx[k] = 0
		}
	}
}

// Copy copies src into dst (same shape) and returns dst; dst nil allocates.
func Copy(dst, src *Tensor) *Tensor {
	dst = prepare("Copy", dst, src.Shape)
	if src.IsContiguous() {
		copy(dst.Data, src.Data[:dst.Size()])
		return dst
	}
	i := 0
	src.each(func(o int) { dst.Data[i] = src.Data[o]; i++ })
	return dst
}

// prepare returns dst ready to receive a result of the given shape.
func prepare(op string, dst *Tensor, shape []int) *Tensor {
	if dst == nil {
		return New(shape...)
	}
	if !SameShape(dst.Shape, shape) {
		shapePanic(op, "destination has the wrong shape", dst.Shape, shape)
	}
	dst.mustContiguous(op)
	return dst
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Reshape returns a view of contiguous t with a new shape of the same size.
// One dimension may be -1 and is inferred.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	t.mustContiguous("Reshape")
	shape = append([]int(nil), shape...)
	infer, n := -1, 1
	for i, d := range shape {
		if d == -1 {
			if infer >= 0 {
				shapePanic("Reshape", "more than one -1", t.Shape, shape)
			}
			infer = i
			continue
		}
		if d < 0 {
			shapePanic("Reshape", "negative dimension", t.Shape, shape)
		}
		n *= d
	}
	if infer >= 0 {
		if n == 0 || t.Size()%n != 0 {
			shapePanic("Reshape", "cannot infer -1", t.Shape, shape)
		}
		shape[infer] = t.Size() / n
		n *= shape[infer]
	}
	if n != t.Size() {
		shapePanic("Reshape", "sizes differ", t.Shape, shape)
	}
	return &Tensor{Shape: shape, Strides: rowMajorStrides(shape), Data: t.Data[:n]}
}

// Rows returns a view of rows [i, j) along axis 0 of contiguous t.
func (t *Tensor) Rows(i, j int) *Tensor {
	t.mustContiguous("Rows")
	if len(t.Shape) == 0 || i < 0 || j < i || j > t.Shape[0] {
		shapePanic("Rows", fmt.Sprintf("rows [%d, %d)", i, j), t.Shape)
	}
	shape := append([]int{j - i}, t.Shape[1:]...)
	st := t.Strides[0]
	return &Tensor{Shape: shape, Strides: rowMajorStrides(shape), Data: t.Data[i*st : j*st]}
}

// Row returns row i of contiguous t as a view with the leading axis dropped.
func (t *Tensor) Row(i int) *Tensor {
	r := t.Rows(i, i+1)
	r.Shape, r.Strides = r.Shape[1:], r.Strides[1:]
	return r
}

// TransposeView returns a strided view of 2-D t with the axes swapped.
func (t *Tensor) TransposeView() *Tensor {
	if len(t.Shape) != 2 {
		shapePanic("TransposeView", "want 2-D", t.Shape)
	}
	return &Tensor{Shape: []int{t.Shape[1], t.Shape[0]}, Strides: []int{t.Strides[1], t.Strides[0]}, Data: t.Data}
}

// Transpose writes the transpose of 2-D src into dst (m×n → n×m).
func Transpose(dst, src *Tensor) *Tensor {
	if len(src.Shape) != 2 {
		shapePanic("Transpose", "want 2-D", src.Shape)
	}
	m, n := src.Shape[0], src.Shape[1]
	dst = prepare("Transpose", dst, []int{n, m})
	s0, s1 := src.Strides[0], src.Strides[1]
	const blk = 32 // cache blocking
	for i0 := 0; i0 < m; i0 += blk {
		for j0 := 0; j0 < n; j0 += blk {
			for i := i0; i < min(i0+blk, m); i++ {
				for j := j0; j < min(j0+blk, n); j++ {
					dst.Data[j*m+i] = src.Data[i*s0+j*s1]
				}
			}
		}
	}
	return dst
}

// String formats small tensors for debugging.
func (t *Tensor) String() string {
	c := t.Contiguous()
	return fmt.Sprintf("Tensor%s%v", ShapeString(t.Shape), c.Data[:c.Size()])
}
