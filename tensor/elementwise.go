package tensor

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// broadcastInner reports the length of b's repeating block when b can be
// combined with a: b has a's shape (block = a.Size()), b's shape is a
// suffix of a's shape (a row vector broadcast over rows, block = b.Size()),
// or b holds one element.
func broadcastInner(op string, a, b *Tensor) int {
	if SameShape(a.Shape, b.Shape) {
		return a.Size()
	}
	if b.Size() == 1 && len(b.Shape) <= 1 {
		return 1
	}
	if len(b.Shape) < len(a.Shape) && SameShape(a.Shape[len(a.Shape)-len(b.Shape):], b.Shape) {
		return b.Size()
	}
	shapePanic(op, "operands do not broadcast (second must match the first or its trailing axes)", a.Shape, b.Shape)
	return 0
}

type binaryOp int

const (
	opAdd binaryOp = iota
	opSub
	opMul
	opDiv
)

var binaryNames = [...]string{"Add", "Sub", "Mul", "Div"}

func binary(k binaryOp, dst, a, b *Tensor) *Tensor {
	op := binaryNames[k]
	a, b = a.Contiguous(), b.Contiguous()
	inner := broadcastInner(op, a, b)
	dst = prepare(op, dst, a.Shape)
	n := a.Size()
	if n == 0 {
		return dst
	}
	bd := b.Data[:inner]
	for off := 0; off < n; off += inner {
		d, x := dst.Data[off:off+inner], a.Data[off:off+inner]
		switch k {
		case opAdd:
			if inner == 1 {
				d[0] = x[0] + bd[0]
			} else {
				kernels.Add(d, x, bd)
			}
		case opMul:
			if inner == 1 {
				d[0] = x[0] * bd[0]
			} else {
				kernels.Mul(d, x, bd)
			}
		case opSub:
			for i := range d {
				d[i] = x[i] - bd[i]
			}
		case opDiv:
			for i := range d {
				d[i] = x[i] / bd[i]
			}
		}
	}
	return dst
}

// Add computes dst = a + b; b may be broadcast (see the package doc and
// broadcastInner): same shape, a trailing-axes row, or one element.
func Add(dst, a, b *Tensor) *Tensor { return binary(opAdd, dst, a, b) }

// Sub computes dst = a − b with the broadcasting rules of Add.
func Sub(dst, a, b *Tensor) *Tensor { return binary(opSub, dst, a, b) }

// Mul computes dst = a ⊙ b (elementwise) with the broadcasting rules of Add.
func Mul(dst, a, b *Tensor) *Tensor { return binary(opMul, dst, a, b) }

// Div computes dst = a ⊘ b (elementwise) with the broadcasting rules of Add.
func Div(dst, a, b *Tensor) *Tensor { return binary(opDiv, dst, a, b) }

// AddRow adds the row vector row (length = a's last dimension) to every row
// of a: the bias broadcast of a linear layer.
func AddRow(dst, a, row *Tensor) *Tensor {
	if len(a.Shape) == 0 || row.Size() != a.Shape[len(a.Shape)-1] {
		shapePanic("AddRow", "row length must equal the last dimension", a.Shape, row.Shape)
	}
	return Add(dst, a, row.Reshape(row.Size()))
}

// Scale computes dst = alpha·a.
func Scale(dst *Tensor, alpha float64, a *Tensor) *Tensor {
	a = a.Contiguous()
	dst = prepare("Scale", dst, a.Shape)
	n := a.Size()
	if n > 0 && &dst.Data[0] != &a.Data[0] {
		copy(dst.Data[:n], a.Data[:n])
	}
	kernels.Scal(alpha, dst.Data[:n])
	return dst
}

// Axpy computes y += alpha·x in place (same shapes) and returns y.
func Axpy(alpha float64, x, y *Tensor) *Tensor {
	if !SameShape(x.Shape, y.Shape) {
		shapePanic("Axpy", "", x.Shape, y.Shape)
	}
	x = x.Contiguous()
	y.mustContiguous("Axpy")
	kernels.Axpy(alpha, x.Data[:x.Size()], y.Data[:y.Size()])
	return y
}

// AddScalar computes dst = a + c.
func AddScalar(dst *Tensor, a *Tensor, c float64) *Tensor {
	return Apply(dst, a, func(v float64) float64 { return v + c })
}

// Apply computes dst[i] = f(a[i]).
func Apply(dst, a *Tensor, f func(float64) float64) *Tensor {
	a = a.Contiguous()
	dst = prepare("Apply", dst, a.Shape)
	d, x := dst.Data[:a.Size()], a.Data[:a.Size()]
	for i, v := range x {
		d[i] = f(v)
	}
	return dst
}

// Apply2 computes dst[i] = f(a[i], b[i]) for same-shaped a and b.
func Apply2(dst, a, b *Tensor, f func(x, y float64) float64) *Tensor {
	if !SameShape(a.Shape, b.Shape) {
		shapePanic("Apply2", "", a.Shape, b.Shape)
	}
	a, b = a.Contiguous(), b.Contiguous()
	dst = prepare("Apply2", dst, a.Shape)
	n := a.Size()
	d, x, y := dst.Data[:n], a.Data[:n], b.Data[:n]
	for i := range d {
		d[i] = f(x[i], y[i])
	}
	return dst
}

// Dot returns Σ a[i]·b[i] over same-sized tensors.
func Dot(a, b *Tensor) float64 {
	if a.Size() != b.Size() {
		shapePanic("Dot", fmt.Sprintf("%d vs %d elements", a.Size(), b.Size()), a.Shape, b.Shape)
	}
	a, b = a.Contiguous(), b.Contiguous()
	return kernels.Dot(a.Data[:a.Size()], b.Data[:b.Size()])
}
