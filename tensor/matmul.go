package tensor

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// matView returns the row-major data of 2-D a, its row stride and whether
// it must be read transposed (a TransposeView of a contiguous matrix is
// read in place rather than copied).
func matView(op string, a *Tensor, trans bool) (data []float64, ld int, t bool, rows, cols int) {
	if len(a.Shape) != 2 {
		shapePanic(op, "want 2-D operands", a.Shape)
	}
	r, c := a.Shape[0], a.Shape[1]
	switch {
	case a.IsContiguous():
		data, ld, t = a.Data, max(c, 1), trans
	case a.Strides[0] == 1 && a.Strides[1] >= max(r, 1):
		data, ld, t = a.Data, a.Strides[1], !trans
	default:
		a = a.Clone()
		data, ld, t = a.Data, max(c, 1), trans
	}
	if trans {
		r, c = c, r
	}
	return data, ld, t, r, c
}

// Gemm computes c = alpha·op(a)·op(b) + beta·c in place, op(x) = x or xᵀ
// by the flags, and returns c. beta == 0 ignores c's old contents.
func Gemm(transA, transB bool, alpha float64, a, b *Tensor, beta float64, c *Tensor) *Tensor {
	ad, lda, ta, m, k := matView("Gemm", a, transA)
	bd, ldb, tb, k2, n := matView("Gemm", b, transB)
	if k != k2 || len(c.Shape) != 2 || c.Shape[0] != m || c.Shape[1] != n {
		shapePanic("Gemm", fmt.Sprintf("op(a) is %d×%d, op(b) is %d×%d (transA=%v transB=%v)", m, k, k2, n, transA, transB), a.Shape, b.Shape, c.Shape)
	}
	c.mustContiguous("Gemm")
	if m == 0 || n == 0 {
		return c
	}
	kernels.Gemm(ta, tb, m, n, k, alpha, ad, lda, bd, ldb, beta, c.Data, max(n, 1))
	return c
}

// MatMul returns dst = op(a)·op(b); dst nil allocates.
func MatMul(dst, a, b *Tensor, transA, transB bool) *Tensor {
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		shapePanic("MatMul", "want 2-D operands", a.Shape, b.Shape)
	}
	rows, inner := a.Shape[0], a.Shape[1]
	if transA {
		rows, inner = inner, rows
	}
	inner2, cols := b.Shape[0], b.Shape[1]
	if transB {
		inner2, cols = cols, inner2
	}
	if inner != inner2 {
		shapePanic("MatMul", fmt.Sprintf("inner dimensions %d and %d (transA=%v transB=%v)", inner, inner2, transA, transB), a.Shape, b.Shape)
	}
	dst = prepare("MatMul", dst, []int{rows, cols})
	return Gemm(transA, transB, 1, a, b, 0, dst)
}
