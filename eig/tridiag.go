package eig

import (
	"math"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// The tridiagonal path (MethodTridiagonal): Householder reduction
// A = Q T Qᵀ (LAPACK dsytd2 + dorg2l), then implicit QL with Wilkinson
// shifts on T, accumulating the plane rotations into Q (EISPACK tql2,
// LAPACK dsteqr). About 9n³ flops against Jacobi's ~6n³ per sweep times
// 7–10 sweeps. Backward stable (eigenvalue errors ≲ n·ε·‖A‖ absolute) but,
// unlike Jacobi, not relatively accurate on graded matrices: see Auto.

// qlMaxIter bounds the QL iterations per eigenvalue (LAPACK dsteqr: 30);
// on failure Sym falls back to Jacobi. A variable for the test of that.
var qlMaxIter = 30

// tridiagonal decomposes the working matrix (w.w's A part with the
// diagonal in w.d, max|a_ij| ∈ [2^-100, 2^100] or 0) by reduction and
// QL. It leaves the eigenvalues in w.d and the eigenvectors in the rows of
// w.z (row j: the unit eigenvector of d[j]). ok is false if QL did not
// converge in qlMaxIter·n iterations; off is the Frobenius norm of the
// neglected off-diagonal part.
func (w *Workspace) tridiagonal() (off float64, ok bool) {
	w.reduce()
	w.formQT()
	return w.ql()
}

// reduce overwrites the A part of w.w (full symmetric storage) with the
// Householder reflectors H_k = I − τ_k v_k v_kᵀ, k < n−2, that reduce it to
// the tridiagonal T = Qᵀ A Q, Q = H_0 H_1 ⋯ H_{n−3} (lower form of dsytd2):
// v_k is stored in row k, columns k+1 … n−1 (v_k[k+1] = 1), τ_k in w.tau,
// T's diagonal in w.d and its off-diagonal in w.e (e[k] = t_{k,k+1}).
func (w *Workspace) reduce() {
	n, a, ld := w.n, w.w, w.ld
	d, e, tau := w.d, w.e, w.tau
	p, q := w.p, w.q
	for i := range n {
		a[i*ld+i] = d[i]
	}
	// ready: reflector k and the raw products q[i] = row_{k+1+i}·v_k were
	// computed during step k−1, fused into its update (Axpy2Dot).
	ready := false
	for k := 0; k < n-2; k++ {
		m := n - k - 1
		v := a[k*ld+k+1 : k*ld+n]
		var t float64
		if ready {
			t = tau[k]
			p, q = q, p
		} else if t = w.reflector(k); t != 0 {
			for i := range m {
				p[i] = kernels.Dot(a[(k+1+i)*ld+k+1:(k+1+i)*ld+n], v)
			}
		}
		ready = false
		if t == 0 {
			continue
		}
		// Trailing block B = A[k+1:, k+1:] ← H B H (dsytd2):
		// p = τ B v, w = p − (τ/2)(pᵀv) v, B ← B − v wᵀ − w vᵀ.
		pk := p[:m]
		for i := range pk {
			pk[i] *= t
		}
		kernels.Axpy(-0.5*t*kernels.Dot(pk, v), v, pk)
		// Row k+1 first: it holds the next reflector, whose products with
		// the other rows are then formed in the same pass as their update.
		r1 := a[(k+1)*ld+k+1 : (k+1)*ld+n]
		kernels.Axpy2(-v[0], pk, -pk[0], v, r1)
		next := k+1 < n-2
		if next {
			// z = (0, v_{k+1}) over columns k+1 …: the diagonal slot of
			// row k+1 is read into d by reflector and not used again.
			ready = true
			next = w.reflector(k+1) != 0
			r1[0] = 0
		}
		for i := 1; i < m; i++ {
			row := a[(k+1+i)*ld+k+1 : (k+1+i)*ld+n]
			if next {
				q[i-1] = kernels.Axpy2Dot(-v[i], pk, -pk[i], v, row, r1)
			} else {
				kernels.Axpy2(-v[i], pk, -pk[i], v, row) // the bits of two Axpys
			}
		}
	}
	if n >= 2 {
		d[n-2] = a[(n-2)*ld+n-2]
		e[n-2] = a[(n-2)*ld+n-1]
	}
	if n >= 1 {
		d[n-1] = a[(n-1)*ld+n-1]
		e[n-1] = 0
	}
}

// reflector computes the Householder reflector of step k from row k of
// the A part (dlarfg): H x = β e_1 for x = A[k+1:, k], stored as v_k over
// x (v_k[0] = 1), τ_k in tau, β in e[k], and a_kk into d[k]. It returns
// τ_k, 0 when there is nothing to annihilate.
func (w *Workspace) reflector(k int) float64 {
	n, ld := w.n, w.ld
	rk := w.w[k*ld : k*ld+n]
	w.d[k] = rk[k]
	x := rk[k+1 : n]
	alpha := x[0]
	xn2 := kernels.Dot(x[1:], x[1:])
	nrm2 := alpha*alpha + xn2
	if xn2 == 0 || nrm2 < 0x1p-800 {
		// Nothing to annihilate, or a column below 2^-400 (its squares
		// would lose precision), ≪ ε·max|a_ij| ≥ 2^-152: neglected, a
		// backward error far below roundoff.
		w.tau[k], w.e[k] = 0, alpha
		return 0
	}
	beta := -math.Copysign(math.Sqrt(nrm2), alpha)
	t := (beta - alpha) / beta
	kernels.Scal(1/(alpha-beta), x[1:])
	x[0] = 1
	w.tau[k], w.e[k] = t, beta
	return t
}

// formQT sets the rows of w.z to the columns of Q (that is, w.z = Qᵀ =
// H_{n−3} ⋯ H_0), accumulated backwards as X ← X H_k from X = I (dorg2l):
// at step k only rows and columns ≥ k+1 of X differ from I.
func (w *Workspace) formQT() {
	n, a, ld := w.n, w.w, w.ld
	z, lz := w.z, w.ldz
	clear(z)
	for i := range n {
		z[i*lz+i] = 1
	}
	for k := n - 3; k >= 0; k-- {
		t := w.tau[k]
		if t == 0 {
			continue
		}
		v := a[k*ld+k+1 : k*ld+n]
		for i := k + 1; i < n; i++ {
			row := z[i*lz+k+1 : i*lz+n]
			kernels.Axpy(-t*kernels.Dot(row, v), v, row)
		}
	}
}

// ql diagonalises the tridiagonal (w.d, w.e) by implicit QL with Wilkinson
// shifts (tql2), applying each rotation to two rows of w.z. e[m] is
// neglected once |e_m| ≤ (ε/2)·(|d_m| + |d_{m+1}|), scale-invariant.
func (w *Workspace) ql() (off float64, ok bool) {
	n := w.n
	d, e := w.d, w.e
	z, lz := w.z, w.ldz
	// Rotate whole padded rows of 4 (the padding is zero and stays zero):
	// the vector kernel then runs no scalar tail.
	rl := min((n+3)&^3, lz)
	const halfEps = 0x1p-53
	maxIter, iters := qlMaxIter*n, 0
	for l := 0; l < n; l++ {
		for {
			m := l
			for ; m < n-1; m++ {
				if math.Abs(e[m]) <= halfEps*(math.Abs(d[m])+math.Abs(d[m+1])) {
					break
				}
			}
			if m == l {
				break
			}
			if iters >= maxIter {
				return 0, false
			}
			iters++
			// Wilkinson shift from the leading 2×2 block.
			g := (d[l+1] - d[l]) / (2 * e[l])
			r := math.Hypot(g, 1)
			g = d[m] - d[l] + e[l]/(g+math.Copysign(r, g))
			s, c, p := 1.0, 1.0, 0.0
			i := m - 1
			for ; i >= l; i-- {
				f, b := s*e[i], c*e[i]
				ff := f*f + g*g
				r = math.Sqrt(ff)
				if ff < 0x1p-900 {
					// The squares lost precision or underflowed: rotate
					// with f, g scaled by 2^600 (exact), so c² + s² = 1
					// to roundoff even for subnormal f, g.
					fs, gs := f*0x1p600, g*0x1p600
					rs := math.Sqrt(fs*fs + gs*gs)
					r = rs * 0x1p-600
					if rs == 0 { // f = g = 0: deflate at i
						e[i+1] = 0
						d[i+1] -= p
						e[m] = 0
						break
					}
					e[i+1] = r
					s, c = fs/rs, gs/rs
				} else {
					e[i+1] = r
					s, c = f/r, g/r
				}
				g = d[i+1] - p
				r = (d[i]-g)*s + 2*c*b
				p = s * r
				d[i+1] = g + p
				g = c*r - b
				kernels.Rot(z[i*lz:i*lz+rl], z[(i+1)*lz:(i+1)*lz+rl], c, s)
			}
			if i >= l { // deflated at i by underflow (tql2)
				continue
			}
			d[l] -= p
			e[l] = g
			e[m] = 0
		}
	}
	s := 0.0
	for _, x := range e[:max(n-1, 0)] {
		s += x * x
	}
	return math.Sqrt(2 * s), true
}
