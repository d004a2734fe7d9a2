package eig

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor/npy"
)

func identity(n int) []float64 {
	q := make([]float64, n*n)
	for i := range n {
		q[i*n+i] = 1
	}
	return q
}

// TestWarmIdentity: from Start = I, A' = A exactly (products with 0 and 1
// are exact), so the warm start gives Jacobi's bits.
func TestWarmIdentity(t *testing.T) {
	for _, n := range []int{1, 2, 7, 39} {
		a := randSym(n, uint64(n))
		r, err := Sym(a, n, &Options{Start: identity(n)})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(mustSym(t, a, n, &Options{Method: Jacobi}), r); d != "" {
			t.Errorf("n=%d: Start I differs from Jacobi:\n%s", n, d)
		}
	}
}

// TestWarmNearby: started from the eigenbasis of a nearby matrix, the
// decomposition meets the usual bounds, matches Sym's eigenvalues to
// n·ε·‖A‖ and needs fewer sweeps than from the identity.
func TestWarmNearby(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, n := range []int{5, 16, 39, 66} {
		a := randSym(n, uint64(40+n))
		prev := make([]float64, len(a))
		for i := range n {
			for j := i; j < n; j++ {
				e := 1e-4 * rng.NormFloat64()
				prev[i*n+j], prev[j*n+i] = a[i*n+j]+e, a[j*n+i]+e
			}
		}
		q0 := mustSym(t, prev, n, nil).Vectors
		w := NewWorkspace(n)
		var r Result
		warm := &Options{Start: q0}
		if err := w.Sym(&r, a, warm); err != nil {
			t.Fatal(err)
		}
		checkDecomposition(t, fmt.Sprintf("n=%d warm", n), a, n, &r)
		cold := mustSym(t, a, n, &Options{Method: Jacobi})
		if d := cmp.Diff(cold.Values, r.Values, cmpopts.EquateApprox(0, 4*float64(n)*eps*norm2(cold))); d != "" {
			t.Errorf("n=%d: values (-cold +warm):\n%s", n, d)
		}
		if r.Sweeps >= cold.Sweeps || r.Sweeps > 4 {
			t.Errorf("n=%d: warm start took %d sweeps, cold %d", n, r.Sweeps, cold.Sweeps)
		}
		// From its own eigenbasis: A' is diagonal to roundoff.
		if err := w.Sym(&r, a, &Options{Start: cold.Vectors}); err != nil || r.Sweeps > 2 {
			t.Errorf("n=%d: from the exact basis: %d sweeps, %v", n, r.Sweeps, err)
		}
		if allocs := testing.AllocsPerRun(5, func() { _ = w.Sym(&r, a, warm) }); allocs != 0 {
			t.Errorf("n=%d: the warm start allocates %v times per call after warm-up", n, allocs)
		}
	}
}

func TestWarmErrors(t *testing.T) {
	n := 4
	a := randSym(n, 1)
	q := identity(n)
	bad := identity(n)
	bad[1] = 1e-6 // columns 0 and 1 no longer orthogonal
	nan := identity(n)
	nan[5] = math.NaN()
	tests := []struct {
		name string
		opt  *Options
		want error
	}{
		{"short Start", &Options{Start: q[:3]}, ErrShape},
		{"NaN Start", &Options{Start: nan}, ErrNotFinite},
		{"not orthonormal", &Options{Start: bad}, ErrOption},
		{"tridiagonal", &Options{Start: q, Method: Tridiagonal}, ErrOption},
		{"bad tol", &Options{Start: q, Tol: 3}, ErrOption},
	}
	for _, tc := range tests {
		if _, err := Sym(a, n, tc.opt); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	a[3] = math.Inf(1)
	if _, err := Sym(a, n, &Options{Start: q}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("Inf in a: %v", err)
	}
	if _, err := Sym(a[:5], n, &Options{Start: q}); !errors.Is(err, ErrShape) {
		t.Errorf("short a: %v", err)
	}
	if r, err := Sym(nil, 0, &Options{Start: []float64{}}); err != nil || len(r.Values) != 0 {
		t.Errorf("n=0: %v %v", r, err)
	}
}

// lj13Configs returns up to k LJ13 configurations (13×3, row-major) from
// the shared data set when present (../../shared/data/lj13), else k
// random configurations in [-1, 1)³, and where they came from.
func lj13Configs(k int) ([][]float64, string) {
	const path = "../../shared/data/lj13/val_split_LJ13-1000.npy"
	if _, err := os.Stat(path); err == nil {
		if arr, err := npy.ReadFile(path); err == nil && len(arr.Shape) == 2 && arr.Shape[1] == 39 {
			k = min(k, arr.Shape[0])
			ys := make([][]float64, k)
			for i := range ys {
				ys[i] = arr.Data[i*39 : (i+1)*39]
			}
			return ys, "val_split_LJ13-1000"
		}
	}
	rng := rand.New(rand.NewPCG(13, 13))
	ys := make([][]float64, k)
	for i := range ys {
		ys[i] = make([]float64, 39)
		for j := range ys[i] {
			ys[i][j] = 2*rng.Float64() - 1
		}
	}
	return ys, "generated"
}

// BenchmarkWarmStart: Jacobi on sequences of LJ13 formation Hessians
// (½RᵀR, HIFM-MATH §4.1), cold (Sym, Method Jacobi) and warm (Start:
// the previous matrix's eigenvectors), with the default Sym for scale.
// "consecutive": successive data samples (training order); "path":
// one configuration moved in small steps (y + 0.01·t·δ), where
// successive eigenbases are close.
func BenchmarkWarmStart(b *testing.B) {
	const k = 64
	ys, src := lj13Configs(k)
	rng := rand.New(rand.NewPCG(1, 2))
	delta := make([]float64, 39)
	for i := range delta {
		delta[i] = rng.NormFloat64()
	}
	path := make([][]float64, k)
	for t := range path {
		path[t] = make([]float64, 39)
		for i := range path[t] {
			path[t][i] = ys[0][i] + 0.01*float64(t)*delta[i]
		}
	}
	for _, seq := range []struct {
		name string
		ys   [][]float64
	}{{"consecutive-" + src, ys}, {"path-" + src, path}} {
		hs := make([][]float64, len(seq.ys))
		for i, y := range seq.ys {
			hs[i] = formationHessian(y)
		}
		for _, mode := range []string{"cold", "warm", "default"} {
			b.Run(seq.name+"/"+mode, func(b *testing.B) {
				w := NewWorkspace(39)
				var prev, r Result
				jac, warm := &Options{Method: Jacobi}, &Options{}
				if err := w.Sym(&prev, hs[0], jac); err != nil {
					b.Fatal(err)
				}
				// Warm-up: r gets its slices, the workspace its warm-start scratch.
				warm.Start = prev.Vectors
				if err := w.Sym(&r, hs[1], warm); err != nil {
					b.Fatal(err)
				}
				sweeps := 0
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					h := hs[1+i%(len(hs)-1)]
					var err error
					switch mode {
					case "cold":
						err = w.Sym(&r, h, jac)
					case "warm":
						warm.Start = prev.Vectors
						err = w.Sym(&r, h, warm)
					default:
						err = w.Sym(&r, h, nil)
					}
					if err != nil {
						b.Fatal(err)
					}
					sweeps += r.Sweeps
					// The next matrix starts from this one's vectors (the
					// sequence wraps around once per len(hs)-1 matrices).
					prev, r = r, prev
					if i%(len(hs)-1) == len(hs)-2 {
						b.StopTimer()
						if err := w.Sym(&prev, hs[0], jac); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N), "us/matrix")
				b.ReportMetric(float64(sweeps)/float64(b.N), "sweeps")
			})
		}
	}
}
