// Package eig computes eigenvalues and eigenvectors of real symmetric
// matrices: the decomposition H = Q Λ Qᵀ behind every HI-FM path
// (HIFM-MATH §2, Eq. 14; §3 Eq. 22; §4 null spaces, λ_i < τ·λ_max).
//
// Two algorithms, chosen by Options.Method:
//   - Jacobi: cyclic Jacobi with Rutishauser's thresholds. It computes the
//     eigenvalues of graded matrices (A = D H D, H well conditioned) to
//     high relative accuracy (Demmel & Veselić 1992), so the smallest
//     non-zero eigenvalue λ_min that sets the interpolant rate (Eq. 20) is
//     reliable even when the spectrum spans many orders of magnitude.
//   - Tridiagonal: Householder reduction and implicit QL with Wilkinson
//     shifts (LAPACK dsytrd + dsteqr): backward stable, eigenvalue errors
//     ≲ n·ε·‖A‖ absolute, 2–4× faster than Jacobi at n ≥ 39.
//
// The default, Auto, runs Tridiagonal on matrices of order ≥ 10 whose row
// scales max_j |a_ij| agree within a factor 64 (every LJ13 formation
// Hessian), and Jacobi on graded matrices, matrices with a zero
// row and small ones; Result.Method says which ran. Auto therefore keeps
// Jacobi's relative accuracy where it differs from QL's (TestGradedAuto,
// TestAgainstLAPACK). A Jacobi refinement of the QL result was not used:
// forming QᵀAQ rounds it to ε·‖A‖ and loses the relative accuracy it
// would be for. Options.Start warm-starts Jacobi from a given basis.
//
// Matrices are row-major []float64 of length n·n. Results are deterministic:
// the same input gives the same bits for any GOMAXPROCS and thread count.
//
// # Speed against LAPACK
//
// Median wall-clock µs per matrix (eigenvalues and vectors, one matrix at a
// time, one thread; 3 runs each, interleaved in one quiet window, where
// process CPU time agreed within 2%), random symmetric matrices with
// entries uniform in [-1, 1), against numpy.linalg.eigh (LAPACK dsyevd,
// OpenBLAS 0.3.21, NumPy 1.24.2, Python call included), 2026-12-04,
// 2-core AMD EPYC (family 26), avx2fma kernels:
//
//	hifm bench eig -n N -count C -threads 1 -method M --json   # us_per_matrix
//	OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=T /usr/bin/python3 testdata/peers/eig_numpy.py --n N
//
//	  n    auto   jacobi   numpy, T = unset / SkylakeX / Zen   auto / fastest
//	 13     9.7     13.4     16.8 /  16.3 /  16.1               0.60
//	 39    83.7    171.3    115.7 / 116.6 / 121.8               0.72
//	 66   256.4    665.9    287.5 / 284.8 / 305.5               0.90
//	165    2465    10546     2233 /  2246 /  2464               1.10
//
// (auto ran tridiagonal at every n here.) OPENBLAS_CORETYPE, which this
// CPU needs for a fast OpenBLAS GEMM, changes eigh by less than the noise
// at these sizes. Earlier the same day, under heavy load (wall clock 2–4×
// CPU time), the CPU-time ratios auto/numpy were 0.69–0.80 at n = 39,
// 0.96–1.25 at 66 and 1.4–1.7 at 165. Above n ≈ 100 LAPACK's blocked
// (level-3) reduction pulls ahead of the unblocked one here.
package eig

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// The values of the zero Options fields (documented there).
const (
	defaultTol       = 0x1p-52
	defaultMaxSweeps = 60
	defaultSymTol    = 1e-10
	// signTieTol: eigenvector components whose magnitudes are within this
	// relative distance of the largest count as tied for the sign
	// convention, and the first of them is made positive. Far above the
	// roundoff in a component (~n·ε/gap), far below real differences.
	signTieTol = 1e-8
)

// Options control Sym. The zero value (or a nil *Options) uses the defaults.
type Options struct {
	// Tol is the relative off-diagonal threshold of the Jacobi sweeps:
	// a_pq is treated as zero once |a_pq| ≤ Tol·sqrt(|a_pp|·|a_qq|) (the
	// Demmel–Veselić stopping criterion, which preserves high relative
	// accuracy). 0 means 2⁻⁵².
	Tol float64
	// MaxSweeps bounds the number of Jacobi sweeps. 0 means 60: random
	// matrices up to n = 300 need about 10, and convergence is quadratic.
	MaxSweeps int
	// SymTol is the accepted asymmetry, |a_ij − a_ji| ≤ SymTol·max|a|.
	// 0 means 1e-10: roundoff-level asymmetry (autodiff Hessians, float32
	// input) passes, a genuinely non-symmetric matrix is rejected;
	// negative disables the check. The solver works on the symmetric part
	// (A + Aᵀ)/2.
	SymTol float64
	// Method selects the algorithm (Auto if 0).
	Method Method
	// Start, if not nil, warm-starts the Jacobi sweeps from the
	// orthonormal basis Start (row-major n×n, its columns the basis, e.g.
	// the Vectors of a previous Result) instead of the identity: fewer
	// sweeps when it is close to an eigenbasis of a, but no relative
	// accuracy on graded matrices (see warm). Method must be Auto or
	// Jacobi, and max|StartᵀStart − I| ≤ 1e-10 (ErrOption otherwise): the
	// vectors returned are orthonormal to about the same accuracy as
	// Start.
	Start []float64
}

// Method is the algorithm behind Sym.
type Method int

const (
	// Auto (the default) uses Tridiagonal when n ≥ 10 and the row scales
	// s_i = max_j |a_ij| are within a factor 64 of each other (there the
	// tridiagonal error bound is within 12 bits of Jacobi's), and Jacobi
	// otherwise: graded matrices (where only Jacobi is relatively
	// accurate), zero rows, small n (where Jacobi is as fast), and a warm
	// start (Options.Start). Result.Method tells which ran.
	Auto Method = iota
	// Jacobi is the cyclic Jacobi method with Rutishauser's thresholds:
	// eigenvalues of graded matrices to high relative accuracy
	// (Demmel & Veselić 1992).
	Jacobi
	// Tridiagonal is Householder reduction to tridiagonal form and
	// implicit QL with Wilkinson shifts (LAPACK dsytrd + dsteqr):
	// backward stable, errors ≲ n·ε·‖A‖ absolute. If QL does not converge
	// (30 iterations per eigenvalue) Sym falls back to Jacobi.
	Tridiagonal
)

func (m Method) String() string {
	switch m {
	case Auto:
		return "auto"
	case Jacobi:
		return "jacobi"
	case Tridiagonal:
		return "tridiagonal"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod returns the Method named by s ("auto", "jacobi",
// "tridiagonal"), as printed by Method.String.
func ParseMethod(s string) (Method, error) {
	for _, m := range []Method{Auto, Jacobi, Tridiagonal} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w: method %q, want auto, jacobi or tridiagonal", ErrOption, s)
}

const (
	// autoMinN: below this order Auto uses Jacobi, which takes about the
	// same time there (CPU µs per matrix at n = 3, 4, 6, 8: Jacobi 0.6–0.9,
	// 1.2, 2.9–3.1, 5.2–5.7; Tridiagonal 0.6–0.7, 1.3–1.4, 2.7, 4.8–5.5)
	// and is relatively accurate; from n ≈ 10 on Tridiagonal is faster.
	autoMinN = 10
	// gradedRowRatio: Auto uses Jacobi when max_i s_i > gradedRowRatio ·
	// min_i s_i (s_i = max_j |a_ij|), i.e. on graded matrices. For a
	// positive definite A = D H D (D = diag(a_ii)^½), Jacobi's relative
	// eigenvalue error is ≲ n·ε·κ(H) (Demmel–Veselić), the tridiagonal
	// path's ≲ n·ε·κ(A) ≤ n·ε·κ(H)·max a_ii/min a_ii, and that diagonal
	// ratio is at most (max s_i/min s_i)² ≤ 4096: below the ratio the
	// tridiagonal bound is within 12 bits of Jacobi's. LJ13 formation
	// Hessians (HIFM-MATH §4.1) have ratios 4–38 (1000 samples of
	// val_split, median 8), so they take the tridiagonal path; graded
	// matrices such as D H D with D spanning 10^±6 take Jacobi.
	gradedRowRatio = 64
)

func (o *Options) values() (tol float64, maxSweeps int, symTol float64, err error) {
	tol, maxSweeps, symTol = defaultTol, defaultMaxSweeps, defaultSymTol
	if o == nil {
		return
	}
	if o.Tol != 0 {
		tol = o.Tol
	}
	if o.MaxSweeps != 0 {
		maxSweeps = o.MaxSweeps
	}
	if o.SymTol != 0 {
		symTol = o.SymTol
	}
	switch {
	case o.Method < Auto || o.Method > Tridiagonal:
		err = fmt.Errorf("%w: Method = %d", ErrOption, int(o.Method))
	case o.Start != nil && o.Method == Tridiagonal:
		err = fmt.Errorf("%w: Start warm-starts Jacobi, Method = %v", ErrOption, o.Method)
	case !(tol > 0 && tol < 1):
		err = fmt.Errorf("%w: Tol = %g, want 0 < Tol < 1", ErrOption, tol)
	case maxSweeps < 0:
		err = fmt.Errorf("%w: MaxSweeps = %d, want ≥ 0", ErrOption, maxSweeps)
	case math.IsNaN(symTol):
		err = fmt.Errorf("%w: SymTol is NaN", ErrOption)
	}
	return
}

// Result is an eigendecomposition A = V diag(Values) Vᵀ.
type Result struct {
	// Values are the eigenvalues in ascending order.
	Values []float64
	// Vectors is the row-major n×n matrix V whose column j is the unit
	// eigenvector of Values[j]. Sign convention: the component of largest
	// magnitude is positive; on ties (magnitudes within 1e-8 relative)
	// the first of them.
	Vectors []float64
	// Sweeps is the number of sweeps that performed rotations.
	Sweeps int
	// OffNorm is the Frobenius norm of the off-diagonal part left at
	// termination, sqrt(Σ_{i≠j} a_ij²) (for Tridiagonal: of the
	// neglected off-diagonal entries of T).
	OffNorm float64
	// Method is the algorithm that produced the result (Jacobi or
	// Tridiagonal; never Auto).
	Method Method
}

// Vector returns a copy of eigenvector j (column j of Vectors).
func (r *Result) Vector(j int) []float64 {
	n := len(r.Values)
	v := make([]float64, n)
	for i := range v {
		v[i] = r.Vectors[i*n+j]
	}
	return v
}

// Input and convergence errors. Errors returned by Sym wrap one of these
// (test with errors.Is); the message says what and where.
var (
	ErrShape        = errors.New("eig: matrix is not n×n")
	ErrNotFinite    = errors.New("eig: matrix has a NaN or Inf entry")
	ErrNotSymmetric = errors.New("eig: matrix is not symmetric")
	ErrOption       = errors.New("eig: bad option")
	// ErrNoConvergence: the Jacobi sweeps reached MaxSweeps; the message
	// gives the sweeps and the off-diagonal norm reached.
	ErrNoConvergence = errors.New("eig: no convergence")
)

// Sym returns the eigendecomposition of the symmetric n×n matrix a
// (row-major, not modified). See Workspace.Sym.
func Sym(a []float64, n int, opt *Options) (*Result, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: n = %d", ErrShape, n)
	}
	if len(a) != n*n {
		return nil, fmt.Errorf("%w: len(a) = %d, want n·n = %d·%d = %d", ErrShape, len(a), n, n, n*n)
	}
	r := new(Result)
	if err := NewWorkspace(n).Sym(r, a, opt); err != nil {
		return nil, err
	}
	return r, nil
}

// Workspace holds the scratch memory for n×n decompositions (~2n² + O(n)
// float64s), so repeated calls allocate nothing once dst has its slices.
// A Workspace is not safe for concurrent use.
type Workspace struct {
	n int
	// w is n×ld: row i is [row i of A | row i of Vᵀ | zero padding], so one
	// kernels.Rot call rotates a row of the working copy of A (full
	// symmetric storage, diagonal kept in d) together with the matching
	// eigenvector row. ld = 2n rounded up to a multiple of 8 and w starts
	// on a 64-byte boundary, so the rows are whole cache lines and the
	// vector loads of the rotations never straddle two (the padding stays
	// zero under rotation).
	w    []float64
	ld   int
	d    []float64 // diagonal of A
	perm []int
	// The tridiagonal path: off-diagonal of T, reflector scalars, a
	// scratch vector, and the eigenvector rows (Qᵀ, then rotated) in z,
	// n×ldz with ldz = n rounded up to a multiple of 8, 64-byte aligned.
	e, tau, p, q []float64
	z            []float64
	ldz          int
	// t is warm's n×n product scratch, made on first use.
	t []float64
}

// NewWorkspace returns a workspace for n×n matrices.
func NewWorkspace(n int) *Workspace {
	n = max(n, 0)
	ld := (2*n + 7) &^ 7
	ldz := (n + 7) &^ 7
	return &Workspace{
		n:    n,
		w:    aligned64(n * ld),
		ld:   ld,
		d:    make([]float64, n),
		perm: make([]int, n),
		e:    make([]float64, n),
		tau:  make([]float64, n),
		p:    make([]float64, n),
		q:    make([]float64, n),
		z:    aligned64(n * ldz),
		ldz:  ldz,
	}
}

// N is the matrix order the workspace was made for.
func (w *Workspace) N() int { return w.n }

// Sym decomposes the n×n symmetric matrix a (n = w.N()) into dst, reusing
// dst's slices when they are large enough. a is not modified. The method
// is opt.Method (Auto: see the package doc); Tridiagonal falls back to
// Jacobi if QL does not converge. With opt.Start the sweeps start from
// that basis (warm).
//
// Jacobi: cyclic sweeps (a block variant of the row-cyclic order, see
// jacobi) with Rutishauser's thresholds: during the first three sweeps only
// elements above 0.2·Σ|a_pq|/n² are rotated; at any time an element with
// |a_pq| ≤ Tol·sqrt(|a_pp a_qq|) is treated as zero and not rotated.
// Converged when every off-diagonal element satisfies that bound; the
// eigenvalues are then the diagonal (to relative accuracy ~Tol for graded
// matrices, Demmel–Veselić) and the vectors the accumulated rotations,
// renormalised. Tridiagonal: see tridiagonal.
func (w *Workspace) Sym(dst *Result, a []float64, opt *Options) error {
	n := w.n
	if len(a) != n*n {
		return fmt.Errorf("%w: len(a) = %d, want n·n = %d·%d = %d", ErrShape, len(a), n, n, n*n)
	}
	tol, maxSweeps, symTol, err := opt.values()
	if err != nil {
		return err
	}
	method := Auto
	if opt != nil {
		if opt.Start != nil {
			return w.warm(dst, a, opt.Start, tol, maxSweeps, symTol)
		}
		method = opt.Method
	}
	scale, method, err := w.load(a, symTol, method)
	if err != nil {
		return err
	}
	if method == Tridiagonal {
		off, ok := w.tridiagonal()
		if ok {
			w.store(dst, scale, w.z, 0, w.ldz)
			dst.Sweeps, dst.OffNorm, dst.Method = 0, math.Ldexp(off, scale), Tridiagonal
			return nil
		}
		// QL did not converge (never seen): reload for Jacobi.
		if scale, _, err = w.load(a, symTol, Jacobi); err != nil {
			return err
		}
	}
	return w.jacobiInto(dst, scale, tol, maxSweeps)
}

// load validates a, copies its symmetric part into w.w and w.d, sets
// Vᵀ = I, and resolves Auto to the method that will run. For Jacobi, when
// max|a_ij| is outside [2^-100, 2^100] the copy is scaled by a power of two
// (exact) so that max|a_ij| ∈ [1, 2): squares and products in the rotation
// formulas then neither overflow nor underflow. It returns the exponent of
// the scale: A = 2^scale · w.A.
func (w *Workspace) load(a []float64, symTol float64, method Method) (scale int, _ Method, err error) {
	n := w.n
	// max|a_ij| as the integer maximum of the magnitudes' bit patterns
	// (ordered like the values; NaN and ±Inf sort above every finite
	// number): a one-cycle dependency per element, where the float max
	// builtin's NaN and signed-zero handling cost ~4% of an n = 39 solve.
	// The row maxima (bits) give Auto's grading test.
	mbits, rmin := uint64(0), uint64(math.MaxUint64)
	for i := range n {
		rb := uint64(0)
		for _, v := range a[i*n : i*n+n] {
			rb = max(rb, math.Float64bits(v)&^(1<<63))
		}
		mbits, rmin = max(mbits, rb), min(rmin, rb)
	}
	if mbits >= 0x7ff0000000000000 {
		for i, v := range a {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, method, fmt.Errorf("%w: a[%d,%d] = %v", ErrNotFinite, i/n, i%n, v)
			}
		}
	}
	amax := math.Float64frombits(mbits)
	if symTol >= 0 {
		worst, wi, wj := 0.0, 0, 0
		for i := range n {
			for j := i + 1; j < n; j++ {
				if d := math.Abs(a[i*n+j] - a[j*n+i]); d > worst {
					worst, wi, wj = d, i, j
				}
			}
		}
		if worst > symTol*amax {
			return 0, method, fmt.Errorf("%w: |a[%d,%d] − a[%d,%d]| = %.3g exceeds SymTol·max|a| = %.3g·%.3g",
				ErrNotSymmetric, wi, wj, wj, wi, worst, symTol, amax)
		}
	}
	if method == Auto {
		method = Jacobi
		if n >= autoMinN && amax <= gradedRowRatio*math.Float64frombits(rmin) {
			method = Tridiagonal
		}
	}
	if amax > 0 && (amax > 0x1p100 || amax < 0x1p-100) {
		_, scale = math.Frexp(amax) // amax = f·2^e, f ∈ [0.5, 1)
		scale--
	}
	wa, ld := w.w, w.ld
	clear(wa)
	for i := range n {
		row := a[i*n : i*n+n]
		wr := wa[i*ld : i*ld+ld]
		w.d[i] = row[i]
		for j := i + 1; j < n; j++ {
			x, y := row[j], a[j*n+i]
			v := x + 0.5*(y-x)
			wr[j], wa[j*ld+i] = v, v
		}
		if method == Jacobi {
			wr[n+i] = 1
		}
	}
	if scale != 0 { // exact power-of-two scaling
		if scale >= -1000 && scale <= 1000 {
			f := math.Ldexp(1, -scale) // a product by f rounds once, like Ldexp
			for i := range n {
				w.d[i] *= f
				kernels.Scal(f, wa[i*ld:i*ld+n])
			}
		} else {
			for i := range n {
				w.d[i] = math.Ldexp(w.d[i], -scale)
				for j, v := range wa[i*ld : i*ld+n] {
					wa[i*ld+j] = math.Ldexp(v, -scale)
				}
			}
		}
	}
	return scale, method, nil
}

// absFloor: off-diagonal elements below it (in the working matrix, where
// max|a| ∈ [2^-100, 2^100]) are treated as zero. It keeps every square in
// the rotation formulas a normal number and lets matrices with exactly
// zero diagonal blocks terminate; an eigenvalue moves by at most
// 2^-400·max|a| ≈ 4e-121·max|a|.
const absFloor = 0x1p-500

// negligible reports whether a_pq (absolute value x) may be treated as
// zero: |a_pq| ≤ Tol·sqrt(|a_pp a_qq|) (Demmel–Veselić), compared in
// squares, which cannot overflow in the scaled matrix.
func negligible(x, tol2, dp, dq float64) bool {
	return x <= absFloor || x*x <= tol2*math.Abs(dp*dq)
}

// rotation returns the Jacobi rotation that annihilates a_pq:
// τ = a_qq − a_pp, ρ = sqrt(τ² + 4a_pq²), cos 2φ = |τ|/ρ, and
//
//	c = sqrt((ρ+|τ|)/(2ρ)),  s = sgn(τ)·a_pq/sqrt(ρ(ρ+|τ|)/2),
//	h = t·a_pq with t = s/c = 2·sgn(τ)·a_pq/(|τ|+ρ)
//
// (the same t = sgn θ/(|θ|+sqrt(θ²+1)), θ = τ/(2a_pq), as Rutishauser's,
// written with one fewer division on the critical path). The new diagonal
// is a_pp − h, a_qq + h.
//
// It is called as rotation(signs(a_pq, a_pp, a_qq)): the two halves each
// fit the inlining budget (a call would spill every live register).
func rotation(at, sa, apq float64) (c, s, h float64) {
	rho := math.Sqrt(at*at + 4*apq*apq)
	sum := rho + at
	r := math.Sqrt(0.5 * rho * sum)
	return r / rho, sa / r, 2 * sa * apq / sum
}

// signs returns |τ| and sgn(τ)·a_pq (τ = a_qq − a_pp) by flipping sign
// bits, and a_pq: the sign of τ is random, and a branch on it mispredicted
// half the time on the critical path. τ + 0 turns −0 into +0, so τ = ±0
// counts as positive.
func signs(apq, dp, dq float64) (at, sa, a float64) {
	tau := dq - dp
	sign := math.Float64bits(tau+0) & (1 << 63)
	return math.Abs(tau), math.Float64frombits(math.Float64bits(apq) ^ sign), apq
}

// frob returns the Frobenius norm of the working matrix: off-diagonal
// entries in the A part of w (n×ld), diagonal in d.
func frob(w, d []float64, n, ld int) float64 {
	s := 0.0
	for i := range n {
		for j, v := range w[i*ld : i*ld+n] {
			if j != i { // diagonal slots hold garbage; the diagonal is d
				s += v * v
			}
		}
	}
	for _, v := range d {
		s += v * v
	}
	return math.Sqrt(s)
}

// store sorts the eigenpairs ascending (stable: equal values keep their
// index order), normalises the vectors, applies the sign convention and
// writes dst. The eigenvector of d[i] is vecs[i*ld+off : i*ld+off+n].
func (w *Workspace) store(dst *Result, scale int, vecs []float64, off, ld int) {
	n := w.n
	dst.Values = grow(dst.Values, n)
	dst.Vectors = grow(dst.Vectors, n*n)
	perm := w.perm
	for i := range perm {
		perm[i] = i
	}
	d := w.d
	slices.SortStableFunc(perm, func(i, j int) int {
		switch {
		case d[i] < d[j]:
			return -1
		case d[i] > d[j]:
			return 1
		}
		return 0
	})
	for j, src := range perm {
		dst.Values[j] = math.Ldexp(d[src], scale)
		v := vecs[src*ld+off : src*ld+off+n]
		// Renormalise: each rotation's c² + s² differs from 1 by roundoff,
		// and this norm drift (√(rotations)·ε) dominated max|VᵀV − I|.
		f := 1 / math.Sqrt(kernels.Dot(v, v))
		bbits := uint64(0) // max |x| as bits, as in load
		for i, x := range v {
			x *= f
			dst.Vectors[i*n+j] = x
			bbits = max(bbits, math.Float64bits(x)&^(1<<63))
		}
		big := math.Float64frombits(bbits)
		// Sign convention, decided on the stored values: the first
		// component within signTieTol of the largest magnitude is positive
		// (so structurally equal components, e.g. (1, 0, −1)/√2, give the
		// same sign on every machine despite roundoff).
		at := 0
		for i := range n {
			if math.Abs(dst.Vectors[i*n+j]) >= (1-signTieTol)*big {
				at = i
				break
			}
		}
		if dst.Vectors[at*n+j] < 0 {
			for i := range n {
				dst.Vectors[i*n+j] = -dst.Vectors[i*n+j]
			}
		}
	}
}

func grow(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// jacobi runs the sweeps on w.w (A with diagonal slots kept 0, and Vᵀ)
// and w.d (the diagonal of A). It returns the number of
// sweeps that rotated, the final off-diagonal norm (in working units) and
// whether it converged.
//
// Ordering: rows are taken in pairs P = {p1, p2 = p1+1}; a sweep rotates
// (p1, p2), then (p1, q) and (p2, q) for q = p2+1 … n−1, then the next
// pair: every off-diagonal pair once per sweep, a block variant of the
// row-cyclic order. Each rotation updates two contiguous rows of [A | Vᵀ]
// with one kernels.Rot call; A's columns are kept in step by copying rows
// into columns ("mirroring", strided scalar stores), and the ordering
// exists to do little of that:
//   - the hot rows p1, p2 are authoritative during their block and are
//     mirrored into their columns once, at its end;
//   - row q is mirrored once after both of its rotations. The entries in
//     the hot columns (a_{p1 p2}, a_{p1 q}, a_{p2 q} in both copies) are
//     tracked as scalars and stored after the rotations, so no scalar
//     store lands in a row just before a vector load of it;
//   - mirrors write only rows ≥ p1: rows above are not read again in the
//     sweep, and the upper triangle is restored from the (always current)
//     lower one at the end of the sweep.
//
// The parameters of the next rotation are computed from the entries it
// will see before the current rotation is applied, so their division and
// square-root chain overlaps the vector work instead of waiting for it.
func (w *Workspace) jacobi(tol float64, maxSweeps int) (sweeps int, off float64, ok bool) {
	n := w.n
	a, d, ld := w.w, w.d, w.ld
	tol2 := tol * tol
	for sweep := 1; ; sweep++ {
		// Convergence test, and Σ|a_pq| for the threshold in the first
		// three sweeps. Later sweeps stop the scan at the first element
		// that is not negligible (usually the first), and ‖off‖ is summed
		// only on return: the full scans' serial add chains cost ~5% of an
		// n = 39 solve.
		converged := sweep > 3
		sabs := 0.0
		if sweep <= 3 {
			converged = true
			for p := range n {
				row := a[p*ld : p*ld+n]
				dp := d[p]
				for q := p + 1; q < n; q++ {
					x := math.Abs(row[q])
					sabs += x
					if converged && !negligible(x, tol2, dp, d[q]) {
						converged = false
					}
				}
			}
		} else {
		scan:
			for p := range n {
				row := a[p*ld : p*ld+n]
				dp := d[p]
				for q := p + 1; q < n; q++ {
					if !negligible(math.Abs(row[q]), tol2, dp, d[q]) {
						converged = false
						break scan
					}
				}
			}
		}
		if converged || sweeps >= maxSweeps {
			off2 := 0.0
			for p := range n {
				for _, x := range a[p*ld+p+1 : p*ld+n] {
					off2 += x * x
				}
			}
			return sweeps, math.Sqrt(2 * off2), converged
		}
		sweeps++
		// Rutishauser: the first three sweeps rotate only elements above
		// 0.2·Σ|a_pq|/n².
		thresh := absFloor
		if sweep <= 3 {
			thresh = max(thresh, 0.2*sabs/float64(n*n))
		}
		for p1 := 0; p1 < n-1; p1 += 2 {
			p2 := p1 + 1
			r1 := a[p1*ld : p1*ld+ld]
			r2 := a[p2*ld : p2*ld+ld]
			// (p1, p2). Rot leaves garbage in the diagonal slots (the
			// diagonal lives in d; garbage there only ever flows into
			// pivot slots) and in the pivot slots, which are set after
			// each rotation from scalars, never before a Rot reads them.
			r1[p1], r2[p2] = 0, 0
			if x := math.Abs(r1[p2]); x > thresh && !negligible(x, tol2, d[p1], d[p2]) {
				c, s, h := rotation(signs(r1[p2], d[p1], d[p2]))
				d[p1] -= h
				d[p2] += h
				kernels.Rot(r1, r2, c, s)
				r1[p2], r2[p1] = 0, 0
			}
			// v is a_{p1 p2}, equal in both hot rows.
			v := r1[p2]
			// Parameters of (p1, q) for the first q.
			q := p2 + 1
			var do1 bool
			var c1, s1, h1 float64
			if q < n {
				if x := math.Abs(r1[q]); x > thresh && !negligible(x, tol2, d[p1], d[q]) {
					do1 = true
					c1, s1, h1 = rotation(signs(r1[q], d[p1], d[q]))
				}
			}
			for ; q < n; q++ {
				rq := a[q*ld : q*ld+ld]
				// Both parameter chains that follow (p1, q) start now, from
				// the entries as (p1, q) will leave them; the critical path
				// is one chain per q, and the rotations run beside it.
				// (p1, q+1): a_{p1,q+1} ← c1·a_{p1,q+1} − s1·a_{q,q+1}.
				var nd1 bool
				var nc1, ns1, nh1 float64
				if q+1 < n {
					x, dp := r1[q+1], d[p1]
					if do1 {
						x, dp = c1*x-s1*rq[q+1], dp-h1
					}
					if ax := math.Abs(x); ax > thresh && !negligible(ax, tol2, dp, d[q+1]) {
						nd1 = true
						nc1, ns1, nh1 = rotation(signs(x, dp, d[q+1]))
					}
				}
				// The hot-column entries as (p1, q) leaves them:
				// a_{p1 p2} ← c1·v − s1·a_{p2 q}, a_{p2 q} ← s1·v + c1·a_{p2 q},
				// a_{p1 q} ← 0. Row q's own copies of them are stale and Rot
				// makes garbage of them; the true values are stored after.
				x1, x2, vv := r1[q], r2[q], v
				dq := d[q]
				if do1 {
					x1, x2, vv = 0, s1*v+c1*x2, c1*v-s1*x2
					dq += h1
				}
				var do2 bool
				var c2, s2, h2 float64
				if x := math.Abs(x2); x > thresh && !negligible(x, tol2, d[p2], dq) {
					do2 = true
					c2, s2, h2 = rotation(signs(x2, d[p2], dq))
				}
				switch {
				case do1 && do2:
					// Both rotations in one pass over row q (same bits).
					kernels.Rot2(r1, r2, rq, c1, s1, c2, s2)
				case do1:
					kernels.Rot(r1, rq, c1, s1)
				case do2:
					kernels.Rot(r2, rq, c2, s2)
				}
				if do1 {
					d[p1] -= h1
					d[q] += h1
				}
				if do2 {
					d[p2] -= h2
					d[q] += h2
					// (p2, q) acts on column p2 of row p1 and column p1 of
					// row q: a_{p1 p2} ← c2·v − s2·a_{p1 q},
					// a_{p1 q} ← s2·v + c2·a_{p1 q}, a_{p2 q} ← 0.
					x1, vv = s2*vv+c2*x1, c2*vv-s2*x1
					x2 = 0
				}
				if do1 || do2 {
					r1[p2], r2[p1] = vv, vv
					r1[q], rq[p1] = x1, x1
					r2[q], rq[p2] = x2, x2
					v = vv
					// Mirror row q into column q, rows ≥ p1; row q+1 first,
					// as the next rotation reads it.
					col := a[q:]
					if q+1 < n {
						col[(q+1)*ld] = rq[q+1]
					}
					toColumn(col[(p2+1)*ld:], ld, rq[p2+1:n])
				}
				do1, c1, s1, h1 = nd1, nc1, ns1, nh1
			}
			// Mirror the hot rows into their columns, rows ≥ p1.
			toColumn(a[p1*ld+p1:], ld, r1[p1:n])
			toColumn(a[p1*ld+p2:], ld, r2[p1:n])
		}
		// Upper triangle from the lower one.
		for i := range n {
			if i+1 < n {
				fromColumn(a[i*ld+i+1:i*ld+n], a[(i+1)*ld+i:], ld)
			}
		}
	}
}

// jacobiInto runs the Jacobi sweeps on the loaded workspace (power-of-two
// scale 2^scale undone on output) and stores the result in dst, or returns
// an ErrNoConvergence: the end of Sym's cold and warm Jacobi paths.
func (w *Workspace) jacobiInto(dst *Result, scale int, tol float64, maxSweeps int) error {
	n := w.n
	sweeps, off, ok := w.jacobi(tol, maxSweeps)
	off = math.Ldexp(off, scale)
	if !ok {
		norm := math.Ldexp(frob(w.w, w.d, n, w.ld), scale)
		return fmt.Errorf("%w after %d sweeps: off-diagonal norm %.3g (%.3g relative to ‖A‖_F = %.3g)",
			ErrNoConvergence, sweeps, off, off/norm, norm)
	}
	w.store(dst, scale, w.w, n, w.ld)
	dst.Sweeps, dst.OffNorm, dst.Method = sweeps, off, Jacobi
	return nil
}
