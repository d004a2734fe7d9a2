package eig

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// warmOrthTol is the accepted max|q0ᵀq0 − I| of Options.Start. The
// eigenvectors warm returns are orthonormal to about the same accuracy as
// q0, so a basis from a previous decomposition (~n·ε) keeps the usual
// bound; a looser one is an input error.
const warmOrthTol = 1e-10

// warm decomposes a like Sym, with Jacobi sweeps started from the basis
// q0 = Options.Start instead of the identity: it forms A' = q0ᵀ A q0,
// sweeps A' to diagonal form A' = V' Λ V'ᵀ and returns the vectors
// V = q0 V'. When q0 is close to an eigenbasis of a (consecutive, similar
// matrices), A' is nearly diagonal and Jacobi, converging quadratically,
// needs fewer sweeps (Result.Sweeps). Forming A' costs two n³ products and
// rounds A' to ε·‖A‖, so the warm start is backward stable but has no
// relative accuracy on graded matrices.
//
// Measured (BenchmarkWarmStart, LJ13 formation Hessians ½RᵀR of
// val_split_LJ13-1000, n = 39, 2026-12-04): successive data samples, as a
// training batch visits them, are unrelated configurations, and warm
// starts save nothing (12.24 sweeps cold, 12.22 warm); along a path
// y + 0.01·t·δ they save about 3 of 12 sweeps. The 6-dimensional null
// space costs the extra sweeps (its diagonal is roundoff, so the relative
// stopping test keeps rotating it), and either way the default Sym
// (tridiagonal QL, ~3× less time than 12 Jacobi sweeps) is faster: the
// warm start is for callers that need Jacobi and have a close basis.
func (w *Workspace) warm(dst *Result, a, q0 []float64, tol float64, maxSweeps int, symTol float64) error {
	n := w.n
	if len(q0) != n*n {
		return fmt.Errorf("%w: len(Start) = %d, want n·n = %d·%d = %d", ErrShape, len(q0), n, n, n*n)
	}
	for i, v := range q0 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: Start[%d,%d] = %v", ErrNotFinite, i/n, i%n, v)
		}
	}
	scale, _, err := w.load(a, symTol, Jacobi)
	if err != nil {
		return err
	}
	if n == 0 {
		w.store(dst, scale, w.w, n, w.ld)
		dst.Sweeps, dst.OffNorm, dst.Method = 0, 0, Jacobi
		return nil
	}
	if len(w.t) < n*n {
		w.t = make([]float64, n*n)
	}
	t := w.t[:n*n]
	// Orthonormality of q0: t = q0ᵀ q0.
	kernels.Gemm(true, false, n, n, n, 1, q0, n, q0, n, 0, t, n)
	worst, wi, wj := 0.0, 0, 0
	for i := range n {
		for j := range n {
			x := t[i*n+j]
			if i == j {
				x--
			}
			if x = math.Abs(x); !(x <= worst) {
				worst, wi, wj = x, i, j
			}
		}
	}
	if !(worst <= warmOrthTol) {
		return fmt.Errorf("%w: Start is not orthonormal: |(StartᵀStart − I)[%d,%d]| = %.3g exceeds %.3g", ErrOption, wi, wj, worst, warmOrthTol)
	}
	// A' = q0ᵀ (A q0) into the A part of w.w (full storage first).
	wa, ld, d := w.w, w.ld, w.d
	for i := range n {
		wa[i*ld+i] = d[i]
	}
	kernels.Gemm(false, false, n, n, n, 1, wa, ld, q0, n, 0, t, n)
	kernels.Gemm(true, false, n, n, n, 1, q0, n, t, n, 0, wa, ld)
	// Symmetrise (the products round the two triangles differently), move
	// the diagonal to d, and set Vᵀ = q0ᵀ: row i of the V part is column i
	// of q0, so the rotations accumulate V = q0 V'.
	for i := range n {
		row := wa[i*ld : i*ld+ld]
		d[i] = row[i]
		row[i] = 0
		for j := i + 1; j < n; j++ {
			x, y := row[j], wa[j*ld+i]
			v := x + 0.5*(y-x)
			row[j], wa[j*ld+i] = v, v
		}
		for j := range n {
			row[n+j] = q0[j*n+i]
		}
	}
	return w.jacobiInto(dst, scale, tol, maxSweeps)
}
