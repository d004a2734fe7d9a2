package eig

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

const eps = 0x1p-52

// residual returns max|A V − V Λ| and max|VᵀV − I| of a decomposition.
func residual(a []float64, n int, r *Result) (res, orth float64) {
	v, lam := r.Vectors, r.Values
	for i := range n {
		for j := range n {
			s := 0.0
			for k := range n {
				s += a[i*n+k] * v[k*n+j]
			}
			res = max(res, math.Abs(s-v[i*n+j]*lam[j]))
		}
	}
	for i := range n {
		for j := range n {
			s := 0.0
			for k := range n {
				s += v[k*n+i] * v[k*n+j]
			}
			if i == j {
				s--
			}
			orth = max(orth, math.Abs(s))
		}
	}
	return res, orth
}

// norm2 is ‖A‖₂ = max|λ| of a symmetric matrix, from its decomposition.
func norm2(r *Result) float64 {
	m := 0.0
	for _, l := range r.Values {
		m = max(m, math.Abs(l))
	}
	return m
}

// checkDecomposition asserts the accuracy bounds, ascending values
// and the sign convention.
//
// Tolerances: residual ≤ 1e-12·‖A‖₂·n and orthogonality ≤ 1e-13·n. A
// backward-stable solver gives O(n·ε)·‖A‖ ≈ n·2.2e-16·‖A‖, so both bounds
// leave a factor ≥ 450 of headroom while still catching any error in a
// rotation, a missed mirror, or a wrong sort (which all give O(1) errors).
func checkDecomposition(t *testing.T, name string, a []float64, n int, r *Result) {
	t.Helper()
	if len(r.Values) != n || len(r.Vectors) != n*n {
		t.Fatalf("%s: got %d values and %d vector entries, want %d and %d", name, len(r.Values), len(r.Vectors), n, n*n)
	}
	res, orth := residual(a, n, r)
	if lim := 1e-12 * norm2(r) * float64(n); res > lim {
		t.Errorf("%s: residual max|AV−VΛ| = %.3g > %.3g", name, res, lim)
	}
	if lim := 1e-13 * float64(n); orth > lim {
		t.Errorf("%s: orthogonality max|VᵀV−I| = %.3g > %.3g", name, orth, lim)
	}
	if !slices.IsSorted(r.Values) {
		t.Errorf("%s: values not ascending: %v", name, r.Values)
	}
	checkSigns(t, name, r)
}

// checkSigns asserts the sign convention: the largest-magnitude component
// of each eigenvector (the first within signTieTol of it) is positive.
func checkSigns(t *testing.T, name string, r *Result) {
	t.Helper()
	n := len(r.Values)
	for j := range n {
		big, at := 0.0, -1
		for i := range n {
			big = max(big, math.Abs(r.Vectors[i*n+j]))
		}
		for i := range n {
			if math.Abs(r.Vectors[i*n+j]) >= (1-signTieTol)*big {
				at = i
				break
			}
		}
		if r.Vectors[at*n+j] <= 0 {
			t.Errorf("%s: vector %d: largest component v[%d] = %g is not positive", name, j, at, r.Vectors[at*n+j])
		}
	}
}

// methods are the algorithms every accuracy test runs: the default and
// each of the two it chooses from.
var methods = []Method{Auto, Jacobi, Tridiagonal}

// forMethods runs f as a subtest per method.
func forMethods(t *testing.T, f func(t *testing.T, opt *Options)) {
	for _, m := range methods {
		t.Run(m.String(), func(t *testing.T) { f(t, &Options{Method: m}) })
	}
}

func mustSym(t *testing.T, a []float64, n int, opt *Options) *Result {
	t.Helper()
	r, err := Sym(a, n, opt)
	if err != nil {
		t.Fatalf("Sym(n=%d): %v", n, err)
	}
	return r
}

func TestRandom(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		var sizes []int
		for n := 1; n <= 40; n++ {
			sizes = append(sizes, n)
		}
		sizes = append(sizes, 50, 64, 77, 100, 128, 150, 200)
		for _, n := range sizes {
			a := randSym(n, uint64(1000+n))
			r := mustSym(t, a, n, opt)
			checkDecomposition(t, "random", a, n, r)
			// The trace is invariant: Σλ = Σa_ii up to n·ε·‖A‖ (rounding of both sums).
			tr, sl := 0.0, 0.0
			for i := range n {
				tr += a[i*n+i]
				sl += r.Values[i]
			}
			if d := math.Abs(tr - sl); d > 10*float64(n)*eps*norm2(r) {
				t.Errorf("n=%d: trace %g vs Σλ %g", n, tr, sl)
			}
		}
	})
}

// TestTridiagonal: the [-1, 2, -1] matrix has λ_k = 2 − 2cos(kπ/(n+1)) and
// v_k(j) = sqrt(2/(n+1))·sin(jkπ/(n+1)) (j, k = 1..n).
func TestTridiagonal(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		for _, n := range []int{1, 2, 5, 13, 39, 64} {
			a := make([]float64, n*n)
			for i := range n {
				a[i*n+i] = 2
				if i+1 < n {
					a[i*n+i+1], a[(i+1)*n+i] = -1, -1
				}
			}
			r := mustSym(t, a, n, opt)
			checkDecomposition(t, "tridiagonal", a, n, r)
			want := make([]float64, n)
			for k := range n {
				want[k] = 2 - 2*math.Cos(float64(k+1)*math.Pi/float64(n+1))
			}
			// Eigenvalues in [0, 4]: absolute error ≤ n·ε·‖A‖ ≈ n·1e-15.
			if d := cmp.Diff(want, r.Values, cmpopts.EquateApprox(0, 1e-14*float64(n))); d != "" {
				t.Errorf("n=%d values (-want +got):\n%s", n, d)
			}
			// Vectors up to sign; the gaps are ≥ ~π²/(n+1)² ≈ 2e-3 at n = 64, so
			// vector errors are ≤ n·ε·‖A‖/gap ≈ 1e-11.
			for k := range n {
				got := r.Vector(k)
				w := make([]float64, n)
				for j := range n {
					w[j] = math.Sqrt(2/float64(n+1)) * math.Sin(float64((j+1)*(k+1))*math.Pi/float64(n+1))
				}
				if kernelsDot(w, got) < 0 {
					for j := range w {
						w[j] = -w[j]
					}
				}
				if d := cmp.Diff(w, got, cmpopts.EquateApprox(0, 1e-10)); d != "" {
					t.Errorf("n=%d vector %d (-want +got):\n%s", n, k, d)
				}
			}
		}
	})
}

func kernelsDot(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// TestDiagonal: a diagonal matrix needs no rotation; values are the sorted
// diagonal exactly and vectors the matching unit vectors.
func TestDiagonal(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		diag := []float64{3, -1, 0, 7.5, -1, 2e-300, 1e10}
		n := len(diag)
		a := make([]float64, n*n)
		for i, v := range diag {
			a[i*n+i] = v
		}
		r := mustSym(t, a, n, opt)
		want := slices.Clone(diag)
		slices.Sort(want)
		if d := cmp.Diff(want, r.Values); d != "" {
			t.Errorf("values (-want +got):\n%s", d)
		}
		if r.Sweeps != 0 || r.OffNorm != 0 {
			t.Errorf("Sweeps = %d, OffNorm = %g, want 0, 0", r.Sweeps, r.OffNorm)
		}
		// Equal values keep index order (stable sort): −1 at 1, then −1 at 4.
		order := []int{1, 4, 2, 5, 0, 3, 6}
		wantV := make([]float64, n*n)
		for j, i := range order {
			wantV[i*n+j] = 1
		}
		if d := cmp.Diff(wantV, r.Vectors); d != "" {
			t.Errorf("vectors (-want +got):\n%s", d)
		}
	})
}

// randOrthogonal returns a random n×n orthogonal matrix (product of n
// Householder reflections of Gaussian vectors).
func randOrthogonal(n int, rng *rand.Rand) []float64 {
	q := make([]float64, n*n)
	for i := range n {
		q[i*n+i] = 1
	}
	v := make([]float64, n)
	for range n {
		nv := 0.0
		for i := range v {
			v[i] = rng.NormFloat64()
			nv += v[i] * v[i]
		}
		// Q ← Q (I − 2vvᵀ/vᵀv)
		for i := range n {
			s := 0.0
			for k := range n {
				s += q[i*n+k] * v[k]
			}
			s *= 2 / nv
			for k := range n {
				q[i*n+k] -= s * v[k]
			}
		}
	}
	return q
}

// withSpectrum returns Q diag(lam) Qᵀ, symmetrised exactly.
func withSpectrum(lam []float64, rng *rand.Rand) []float64 {
	n := len(lam)
	q := randOrthogonal(n, rng)
	a := make([]float64, n*n)
	for i := range n {
		for j := i; j < n; j++ {
			s := 0.0
			for k := range n {
				s += q[i*n+k] * lam[k] * q[j*n+k]
			}
			a[i*n+j], a[j*n+i] = s, s
		}
	}
	return a
}

// TestRepeated: clusters of equal eigenvalues. The values are exact to
// O(n·ε·‖A‖) (Weyl), the vectors of a cluster are only determined as a
// subspace, so the residual and orthogonality carry the check.
func TestRepeated(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		rng := rand.New(rand.NewPCG(7, 7))
		lam := []float64{-2, -2, -2, 0.5, 1, 1, 1, 1, 4, 4, 9}
		a := withSpectrum(lam, rng)
		n := len(lam)
		r := mustSym(t, a, n, opt)
		checkDecomposition(t, "repeated", a, n, r)
		// 1e-13: 100·n·ε·‖A‖ with ‖A‖ = 9 gives 2.4e-12; 1e-13 relative to 9 is
		// 9e-13, still 20× above the ≈ 4e-14 that Q Λ Qᵀ's rounding causes.
		if d := cmp.Diff(lam, r.Values, cmpopts.EquateApprox(0, 1e-12)); d != "" {
			t.Errorf("values (-want +got):\n%s", d)
		}
		// The identity: all ones, V = I exactly, no rotation.
		id := make([]float64, 16)
		for i := range 4 {
			id[i*4+i] = 1
		}
		r = mustSym(t, id, 4, opt)
		if d := cmp.Diff(id, r.Vectors); d != "" || r.Sweeps != 0 {
			t.Errorf("identity: sweeps %d, vectors (-want +got):\n%s", r.Sweeps, d)
		}
	})
}

// TestRankDeficient: exact zero eigenvalues.
func TestRankDeficient(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		rng := rand.New(rand.NewPCG(3, 4))
		// Zero matrix: zero values, V = I.
		r := mustSym(t, make([]float64, 25), 5, opt)
		if slices.ContainsFunc(r.Values, func(v float64) bool { return v != 0 }) {
			t.Errorf("zero matrix: values %v", r.Values)
		}
		// A random 5×5 block embedded in 9×9 with zero rows and columns: the four
		// zero eigenvalues are exact with Jacobi (rotations never touch a zero
		// row; Auto sends zero rows to Jacobi). Householder reflectors mix the
		// zero rows in, so Tridiagonal gives them as roundoff ≤ n·ε·‖A‖.
		n := 9
		b := randSym(5, 11)
		a := make([]float64, n*n)
		idx := []int{0, 2, 3, 6, 8}
		for i, ii := range idx {
			for j, jj := range idx {
				a[ii*n+jj] = b[i*5+j]
			}
		}
		r = mustSym(t, a, n, opt)
		checkDecomposition(t, "embedded", a, n, r)
		zeros := 0
		for _, v := range r.Values {
			if v == 0 || opt.Method == Tridiagonal && math.Abs(v) <= float64(n)*eps*norm2(r) {
				zeros++
			}
		}
		if zeros != 4 {
			t.Errorf("embedded block: %d zeros, want 4: %v", zeros, r.Values)
		}
		// A = B Bᵀ with B 30×7: 23 zero eigenvalues, which come out as roundoff
		// ≤ n·ε·‖A‖ (the rounding of forming A); the 7 others are O(‖A‖).
		n, k := 30, 7
		bm := make([]float64, n*k)
		for i := range bm {
			bm[i] = rng.NormFloat64()
		}
		a = make([]float64, n*n)
		for i := range n {
			for j := i; j < n; j++ {
				s := 0.0
				for l := range k {
					s += bm[i*k+l] * bm[j*k+l]
				}
				a[i*n+j], a[j*n+i] = s, s
			}
		}
		r = mustSym(t, a, n, opt)
		checkDecomposition(t, "BBᵀ", a, n, r)
		small := 0
		for _, v := range r.Values {
			if math.Abs(v) <= float64(n)*eps*norm2(r) {
				small++
			}
		}
		if small != n-k || r.Values[n-k] < 1e-3*norm2(r) {
			t.Errorf("BBᵀ: %d roundoff-size values, want %d; λ_%d = %g: %v", small, n-k, n-k, r.Values[n-k], r.Values)
		}
	})
}

// formationHessian returns H = ½ RᵀR for the complete graph on points y
// (N×3, row-major): row of R for edge (i,j) holds 2(y_i−y_j)ᵀ in block i
// and −2(y_i−y_j)ᵀ in block j (HIFM-MATH §4.1, Eq. 25 at its minimum).
func formationHessian(y []float64) []float64 {
	N := len(y) / 3
	n := 3 * N
	h := make([]float64, n*n)
	for i := range N {
		for j := i + 1; j < N; j++ {
			var e [3]float64
			for c := range 3 {
				e[c] = 2 * (y[3*i+c] - y[3*j+c])
			}
			// The edge row r has r[3i+c] = e[c], r[3j+c] = −e[c]; add ½ r rᵀ.
			for c := range 3 {
				for d := range 3 {
					v := 0.5 * e[c] * e[d]
					h[(3*i+c)*n+3*i+d] += v
					h[(3*j+c)*n+3*j+d] += v
					h[(3*i+c)*n+3*j+d] -= v
					h[(3*j+c)*n+3*i+d] -= v
				}
			}
		}
	}
	return h
}

// TestFormationHessian: a rigid 3-D formation of 13 points has exactly 6
// zero eigenvalues (3 translations, 3 rotations; HIFM-MATH §4).
func TestFormationHessian(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		rng := rand.New(rand.NewPCG(13, 39))
		N := 13
		y := make([]float64, 3*N)
		for i := range y {
			y[i] = 2*rng.Float64() - 1
		}
		h := formationHessian(y)
		n := 3 * N
		r := mustSym(t, h, n, opt)
		checkDecomposition(t, "formation", h, n, r)
		lmax := r.Values[n-1]
		// Null-space threshold τ = 1e-8·λ_max (HIFM-MATH §4 default). The true
		// zeros come out at roundoff, ~n·ε·λ_max ≈ 1e-14·λ_max, so τ has a margin
		// of 1e6; the 7th eigenvalue of a random non-degenerate formation is a
		// sizeable fraction of λ_max, asserted ≥ 1e-3·λ_max.
		zeros := 0
		for _, v := range r.Values {
			if math.Abs(v) < 1e-8*lmax {
				zeros++
			}
		}
		if zeros != 6 {
			t.Fatalf("%d eigenvalues below 1e-8·λ_max, want 6: %v", zeros, r.Values)
		}
		if r.Values[6] < 1e-3*lmax {
			t.Errorf("λ_7 = %g < 1e-3·λ_max = %g", r.Values[6], 1e-3*lmax)
		}
		for _, v := range r.Values[:6] {
			if math.Abs(v) > 100*float64(n)*eps*lmax {
				t.Errorf("zero eigenvalue %g larger than roundoff 100·n·ε·λ_max", v)
			}
		}
		t.Logf("λ_1..6 / λ_max = %.2g, λ_7/λ_max = %.3g", r.Values[:6], r.Values[6]/lmax)
		// The null space is spanned by the rigid motions: translations e_c ⊗ 1
		// and rotations (ω × y_i). Each, normalised, must lie in span(V[:, :6])
		// to 1e-10 (vector error ~ n·ε·λ_max/λ_7 ≈ 1e-13, with margin).
		var motions [][]float64
		for c := range 3 {
			m := make([]float64, n)
			for i := range N {
				m[3*i+c] = 1
			}
			motions = append(motions, m)
		}
		for c := range 3 {
			var w [3]float64
			w[c] = 1
			m := make([]float64, n)
			for i := range N {
				p := y[3*i : 3*i+3]
				m[3*i+0] = w[1]*p[2] - w[2]*p[1]
				m[3*i+1] = w[2]*p[0] - w[0]*p[2]
				m[3*i+2] = w[0]*p[1] - w[1]*p[0]
			}
			motions = append(motions, m)
		}
		for mi, m := range motions {
			nm := math.Sqrt(kernelsDot(m, m))
			proj := 0.0
			for j := range 6 {
				c := kernelsDot(m, r.Vector(j)) / nm
				proj += c * c
			}
			if math.Abs(proj-1) > 1e-10 {
				t.Errorf("rigid motion %d: ‖P₀ m‖²/‖m‖² = %.15g, want 1", mi, proj)
			}
		}
	})
}

// TestScaleInvariance: power-of-two scaling is exact, so A·2^k has exactly
// the eigenvalues of A times 2^k and the same vectors, even at the ends of
// the float64 range (no overflow or underflow inside the solver).
func TestScaleInvariance(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		n := 12
		a := randSym(n, 5)
		base := mustSym(t, a, n, opt)
		for _, k := range []int{-1000, -600, 600, 1000} {
			b := make([]float64, len(a))
			for i, v := range a {
				b[i] = math.Ldexp(v, k)
			}
			r := mustSym(t, b, n, opt)
			for j, v := range r.Values {
				if v != math.Ldexp(base.Values[j], k) {
					t.Fatalf("2^%d: λ_%d = %g, want %g exactly", k, j, v, math.Ldexp(base.Values[j], k))
				}
			}
			if d := cmp.Diff(base.Vectors, r.Vectors); d != "" {
				t.Errorf("2^%d: vectors differ:\n%s", k, d)
			}
		}
	})
}

func TestDeterministic(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		n := 39
		a := randSym(n, 99)
		r1 := mustSym(t, a, n, opt)
		w := NewWorkspace(n)
		var r2 Result
		for range 3 { // reuse of a dirty workspace and result
			if err := w.Sym(&r2, a, opt); err != nil {
				t.Fatal(err)
			}
		}
		if d := cmp.Diff(*r1, r2); d != "" {
			t.Errorf("Sym and Workspace.Sym differ:\n%s", d)
		}
	})
}

func TestNoAllocs(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		n := 39
		a := randSym(n, 1)
		w := NewWorkspace(n)
		var r Result
		if err := w.Sym(&r, a, opt); err != nil {
			t.Fatal(err)
		}
		if allocs := testing.AllocsPerRun(10, func() { _ = w.Sym(&r, a, opt) }); allocs != 0 {
			t.Errorf("Workspace.Sym allocates %v times per call after warm-up", allocs)
		}
	})
}

func TestErrors(t *testing.T) {
	sym := []float64{2, 1, 1, 3}
	tests := []struct {
		name string
		a    []float64
		n    int
		opt  *Options
		want error
		msg  string
	}{
		{"short", []float64{1, 2, 3}, 2, nil, ErrShape, "len(a) = 3, want n·n = 2·2 = 4"},
		{"long", make([]float64, 5), 2, nil, ErrShape, "len(a) = 5"},
		{"negative n", nil, -1, nil, ErrShape, "n = -1"},
		{"NaN", []float64{1, 0, 0, math.NaN()}, 2, nil, ErrNotFinite, "a[1,1] = NaN"},
		{"Inf", []float64{1, math.Inf(-1), math.Inf(-1), 1}, 2, nil, ErrNotFinite, "a[0,1] = -Inf"},
		{"asymmetric", []float64{1, 2, 0, 2, 5, 7, 0, 6, 1}, 3, nil, ErrNotSymmetric, "|a[1,2] − a[2,1]| = 1"},
		{"asymmetric tight", []float64{1, 1 + 1e-9, 1, 1}, 2, &Options{SymTol: 1e-12}, ErrNotSymmetric, "exceeds SymTol"},
		{"bad tol", sym, 2, &Options{Tol: 2}, ErrOption, "Tol = 2"},
		{"bad sweeps", sym, 2, &Options{MaxSweeps: -3}, ErrOption, "MaxSweeps = -3"},
	}
	for _, tc := range tests {
		_, err := Sym(tc.a, tc.n, tc.opt)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %v containing %q", tc.name, err, tc.want, tc.msg)
		}
	}
	// Within the default SymTol (1e-10 relative): accepted, symmetric part used.
	r, err := Sym([]float64{2, 1 + 1e-13, 1, 2}, 2, nil)
	if err != nil {
		t.Fatalf("roundoff asymmetry rejected: %v", err)
	}
	if d := cmp.Diff([]float64{1, 3}, r.Values, cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Errorf("values (-want +got):\n%s", d)
	}
	// Negative SymTol disables the check.
	if _, err := Sym([]float64{1, 5, 0, 1}, 2, &Options{SymTol: -1}); err != nil {
		t.Errorf("SymTol < 0: %v", err)
	}
	// No convergence: one sweep is not enough for a random 20×20; the error
	// says how far off it got.
	_, err = Sym(randSym(20, 1), 20, &Options{MaxSweeps: 1, Method: Jacobi})
	if !errors.Is(err, ErrNoConvergence) || !strings.Contains(err.Error(), "after 1 sweeps: off-diagonal norm") || strings.Contains(err.Error(), "norm 0 ") {
		t.Errorf("MaxSweeps 1: got %v", err)
	}
	// Workspace of the wrong size.
	var res Result
	if err := NewWorkspace(3).Sym(&res, sym, nil); !errors.Is(err, ErrShape) {
		t.Errorf("workspace n=3 with 2×2: got %v", err)
	}
	// n = 0: an empty decomposition, not an error.
	if r, err := Sym(nil, 0, nil); err != nil || len(r.Values) != 0 {
		t.Errorf("n=0: %v, %v", r, err)
	}
}

// TestGolden pins a few fixed decompositions (values, and vectors with the
// sign convention). Written by `go test -update`; the tolerance 1e-13
// absolute covers the FMA/non-FMA kernel sets and other machines, which
// differ only by roundoff (~1e-15 here), while any change of ordering, sign
// convention or algorithm result shows.
func TestGolden(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		type entry struct {
			Name    string
			N       int
			A       []float64
			Values  []float64
			Vectors []float64
		}
		cases := []struct {
			name string
			n    int
			a    []float64
		}{
			{"3x3 hand", 3, []float64{4, 1, -2, 1, 2, 0, -2, 0, 3}},
			{"tridiag 4", 4, []float64{2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2}},
			{"random 6 seed 42", 6, randSym(6, 42)},
			{"indefinite 5 seed 8", 5, randSym(5, 8)},
		}
		var got []entry
		for _, c := range cases {
			r := mustSym(t, c.a, c.n, opt)
			got = append(got, entry{c.name, c.n, c.a, r.Values, r.Vectors})
		}
		golden.Check(t, "testdata/golden.json",
			"eig.Sym (cyclic Jacobi, Rutishauser thresholds, default Options) via go test -run TestGolden -update; matrices from randSym(n, seed) with math/rand/v2 PCG",
			got, cmpopts.EquateApprox(0, 1e-13))
	})
}

// TestExtremeEntries: tiny couplings and zero diagonals at the ends of the
// float64 range decompose without overflow, underflow to NaN, or hangs.
func TestExtremeEntries(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		for _, x := range []float64{1e-300, 1e-200, 1e-20, 1, 1e200, 1e300} {
			// [[0, x], [x, 0]]: eigenvalues ±x, vectors (1, ∓1)/√2.
			r := mustSym(t, []float64{0, x, x, 0}, 2, opt)
			// Relative 1e-15: two roundings (scale and rotation) of ~ε each.
			if d := cmp.Diff([]float64{-x, x}, r.Values, cmpopts.EquateApprox(1e-15, 0)); d != "" {
				t.Errorf("x=%g: values (-want +got):\n%s", x, d)
			}
			checkSigns(t, "2×2", r)
		}
		// Equal diagonals with a coupling far below ε: the eigenvalues 1 ± 1e-160
		// round to 1; the coupling is below absFloor-relative and is not rotated.
		r := mustSym(t, []float64{1, 1e-160, 1e-160, 1}, 2, opt)
		if r.Values[0] != 1 || r.Values[1] != 1 {
			t.Errorf("1 ± 1e-160: %v", r.Values)
		}
		// A 3×3 with entries from 1e-150 to 1e150 (scaled once into range).
		a := []float64{1e150, 1, 0, 1, 1, 1e-150, 0, 1e-150, 1e-150}
		r = mustSym(t, a, 3, opt)
		checkDecomposition(t, "wide range", a, 3, r)
		for _, v := range r.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("wide range: %v", r.Values)
			}
		}
	})
}

// TestSignTies: components of equal magnitude (up to roundoff) resolve the
// sign by the first index, the same on every kernel set.
func TestSignTies(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		r := mustSym(t, []float64{1, 1, 1, 1}, 2, opt)
		h := math.Sqrt(0.5)
		// Columns: λ=0 → (1, −1)/√2, λ=2 → (1, 1)/√2; 1e-15: roundoff of √½.
		if d := cmp.Diff([]float64{h, h, -h, h}, r.Vectors, cmpopts.EquateApprox(0, 1e-15)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		// The 3×3 [-1, 2, -1] matrix: λ = 2 has the vector (1, 0, −1)/√2.
		r = mustSym(t, []float64{2, -1, 0, -1, 2, -1, 0, -1, 2}, 3, opt)
		if v := r.Vector(1); !(v[0] > 0 && v[2] < 0) {
			t.Errorf("λ=2 vector %v, want (+, 0, −)", v)
		}
	})
}

// TestTolOption: a looser Tol stops earlier with an off-diagonal remainder
// of the order Tol·‖A‖, and eigenvalues still within Tol·‖A‖ of the
// default result (Weyl: perturbation ≤ ‖off-diagonal‖).
func TestTolOption(t *testing.T) {
	n := 39
	a := randSym(n, 77)
	tight := mustSym(t, a, n, &Options{Method: Jacobi})
	loose := mustSym(t, a, n, &Options{Tol: 1e-6, Method: Jacobi})
	if loose.Sweeps >= tight.Sweeps {
		t.Errorf("Tol 1e-6: %d sweeps, default %d", loose.Sweeps, tight.Sweeps)
	}
	nrm := norm2(tight)
	if loose.OffNorm > 1e-6*nrm*float64(n) {
		t.Errorf("Tol 1e-6: off-diagonal norm %g", loose.OffNorm)
	}
	for j := range n {
		if d := math.Abs(loose.Values[j] - tight.Values[j]); d > loose.OffNorm+1e-14*nrm {
			t.Errorf("λ_%d moved by %g > OffNorm %g", j, d, loose.OffNorm)
		}
	}
}

// TestRotationZeroTau: τ = a_qq − a_pp = −0 counts as positive, like +0
// (signs relies on τ + 0 not being folded to τ), so equal diagonals give
// the same rotation whatever the sign of their zero difference.
func TestRotationZeroTau(t *testing.T) {
	for _, dq := range []float64{0, math.Copysign(0, -1)} {
		c, s, h := rotation(signs(0.5, 0, dq))
		// τ = 0: a 45° rotation, c = s = 1/√2 and h = a_pq, to roundoff.
		want := []float64{math.Sqrt2 / 2, math.Sqrt2 / 2, 0.5}
		if d := cmp.Diff(want, []float64{c, s, h}, cmpopts.EquateApprox(1e-15, 0)); d != "" {
			t.Errorf("a_qq = %v: (c, s, h) (-want +got):\n%s", dq, d)
		}
	}
}
