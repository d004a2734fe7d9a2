package flow

import (
	"math"
	"os"
	"testing"

	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor/npy"
)

// TestLJ13FormationSpectra runs the precompute of Algorithm 1 on real LJ13
// configurations: every formation Hessian (Eq. 25) has exactly the 6 rigid
// motions as null space, and the data priority makes r_min vary per sample
// while the interpolant priority fixes it at 1/α (HIFM-MATH §3.1).
func TestLJ13FormationSpectra(t *testing.T) {
	path := "../../shared/data/lj13/test_split_LJ13-1000.npy"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("LJ13 reference data not found at %s (%v): skipping", path, err)
	}
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const m = 40
	y1s := make([][]float64, m)
	for i := range y1s {
		y1s[i] = a.Data[i*39 : (i+1)*39]
	}
	hess := energy.FormationHessian(13, 3) // Algorithm 1's precompute, as the trainer runs it
	for _, pr := range []Priority{PriorityInterpolant, PriorityData} {
		cfg := Default()
		cfg.Priority, cfg.Alpha = pr, 1.5
		pl := Pipeline{Config: cfg}
		specs, err := pl.Spectra(y1s, hess, 0)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, sp := range specs {
			if sp.NNull != 6 {
				t.Errorf("sample %d: %d null directions, want 6 (raw λ_1..7 = %v)", i, sp.NNull, sp.Raw[:7])
			}
			r := sp.R[6] // smallest non-zero
			lo, hi = math.Min(lo, r), math.Max(hi, r)
		}
		t.Logf("priority %s: r_min in [%.4f, %.4f]", pr, lo, hi)
		switch pr {
		case PriorityInterpolant: // r_min = 1/α exactly up to rounding
			if math.Abs(lo-1/1.5) > 1e-12 || math.Abs(hi-1/1.5) > 1e-12 {
				t.Errorf("r_min range [%v, %v], want 1/α", lo, hi)
			}
		case PriorityData: // depends on ||y1||: must vary
			if hi-lo < 1e-3 {
				t.Errorf("data priority r_min range [%v, %v] does not vary", lo, hi)
			}
		}
	}
}
