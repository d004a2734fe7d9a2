package eig

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAutoChoice: Auto runs Tridiagonal on well-scaled matrices of order
// ≥ autoMinN (10) and Jacobi on small, graded or zero-row ones, with exactly
// the bits of the method it chose.
func TestAutoChoice(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 39))
	y := make([]float64, 39)
	for i := range y {
		y[i] = 2*rng.Float64() - 1
	}
	zeroRow := randSym(20, 3)
	for j := range 20 {
		zeroRow[7*20+j], zeroRow[j*20+7] = 0, 0
	}
	cases := []struct {
		name string
		a    []float64
		n    int
		want Method
	}{
		{"random n=9", randSym(9, 1), 9, Jacobi},
		{"random n=10", randSym(10, 1), 10, Tridiagonal},
		{"random n=39", randSym(39, 1), 39, Tridiagonal},
		{"formation n=39", formationHessian(y), 39, Tridiagonal},
		{"graded n=39", gradedMatrix(39, 3, false), 39, Jacobi},
		{"graded n=39 reversed", gradedMatrix(39, 3, true), 39, Jacobi},
		{"zero row n=20", zeroRow, 20, Jacobi},
	}
	for _, c := range cases {
		r := mustSym(t, c.a, c.n, nil)
		if r.Method != c.want {
			t.Errorf("%s: Auto ran %v, want %v", c.name, r.Method, c.want)
		}
		same := mustSym(t, c.a, c.n, &Options{Method: c.want})
		if d := cmp.Diff(same, r); d != "" {
			t.Errorf("%s: Auto differs from %v:\n%s", c.name, c.want, d)
		}
	}
}

// TestGradedAuto: at n = 24 (above autoMinN) the default keeps Jacobi's
// relative accuracy on graded matrices, eigenvalues 1e-12 … 1e12 (bound
// and reference as in TestAgainstLAPACK), where Tridiagonal's relative
// error on the smallest ones is orders of magnitude larger.
func TestGradedAuto(t *testing.T) {
	const n = 24
	for _, rev := range []bool{false, true} {
		a := gradedMatrix(n, 91, rev)
		exact := bigEigenvalues(a, n, 256)
		rel := func(r *Result) float64 {
			e := 0.0
			for j, x := range exact {
				e = max(e, math.Abs(r.Values[j]-x)/math.Abs(x))
			}
			return e
		}
		auto := mustSym(t, a, n, nil)
		tri := mustSym(t, a, n, &Options{Method: Tridiagonal})
		t.Logf("reversed=%v: max relative error auto (%v) %.2e, tridiagonal %.2e", rev, auto.Method, rel(auto), rel(tri))
		if e := rel(auto); e > 1e-13 {
			t.Errorf("reversed=%v: Auto max relative eigenvalue error %.3g > 1e-13", rev, e)
		}
		// 1e-8: the tridiagonal path's error is absolute, ~ε·‖A‖ ≈ 1e-4 on
		// the 1e-12 eigenvalues; this shows the grading test is needed.
		if e := rel(tri); e < 1e-8 {
			t.Errorf("reversed=%v: Tridiagonal relative error %.3g: the graded case no longer distinguishes the methods", rev, e)
		}
	}
}

// TestQLFallback: when QL does not converge, Sym falls back to Jacobi.
func TestQLFallback(t *testing.T) {
	defer func(k int) { qlMaxIter = k }(qlMaxIter)
	qlMaxIter = 0
	a := randSym(30, 4)
	r := mustSym(t, a, 30, &Options{Method: Tridiagonal})
	if r.Method != Jacobi {
		t.Fatalf("ran %v, want the Jacobi fallback", r.Method)
	}
	if d := cmp.Diff(mustSym(t, a, 30, &Options{Method: Jacobi}), r); d != "" {
		t.Errorf("fallback differs from Jacobi:\n%s", d)
	}
	checkDecomposition(t, "fallback", a, 30, r)
}

// TestNotFiniteMethods: NaN and ±Inf anywhere give ErrNotFinite for every
// method and size, never a panic.
func TestNotFiniteMethods(t *testing.T) {
	forMethods(t, func(t *testing.T, opt *Options) {
		for _, n := range []int{1, 2, 16, 39} {
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				a := randSym(n, 8)
				a[n*n-1] = bad
				if _, err := Sym(a, n, opt); !errors.Is(err, ErrNotFinite) {
					t.Errorf("n=%d a[n-1,n-1]=%v: got %v, want ErrNotFinite", n, bad, err)
				}
			}
		}
	})
}

func TestMethodOption(t *testing.T) {
	for _, m := range methods {
		got, err := ParseMethod(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMethod("qr"); !errors.Is(err, ErrOption) {
		t.Errorf("ParseMethod(qr): %v", err)
	}
	if _, err := Sym(randSym(3, 1), 3, &Options{Method: 7}); !errors.Is(err, ErrOption) {
		t.Errorf("Method 7: %v", err)
	}
}
