package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

func TestExplainWalkThrough(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"explain"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"Eq. 25", "Eq. 21", "Eq. 22", "Eq. 16", "6 zero eigenvalues", "κ = 4.60517"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestExplainJSON(t *testing.T) {
	for _, args := range [][]string{
		{"explain", "--json"},
		{"explain", "--json", "-hyperbolize", "-stationary", "anisotropic", "-alpha", "1.5"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		var st explainState
		if err := json.Unmarshal(out.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		hyper := st.Config.Hyperbolize
		// A rigid 3-D formation has exactly 6 zero Hessian eigenvalues (§4.1);
		// hyperbolize removes the null space.
		wantNull := 6
		if hyper {
			wantNull = 0
		}
		if st.RawNullDim != 6 {
			t.Errorf("%v: Hessian null dim %d, want 6", args, st.RawNullDim)
		}
		if st.NullDim != wantNull {
			t.Errorf("%v: null dim %d, want %d", args, st.NullDim, wantNull)
		}
		// Interpolant priority: κ = ln(1/ε)/T and r_min = 1/α (§3.1).
		if k := math.Log(1/st.Config.Epsilon) / st.Config.Horizon; math.Abs(st.Kappa-k) > 1e-12*k {
			t.Errorf("κ = %v, want %v", st.Kappa, k)
		}
		if rmin := st.R[st.NullDim]; math.Abs(rmin-1/st.Config.Alpha) > 1e-9 {
			t.Errorf("r_min = %v, want 1/α = %v", rmin, 1/st.Config.Alpha)
		}
		// The F1/F2 check is a central difference with h = 1e-6: truncation
		// O(h²·|d³ψ/ds³|) ≈ 1e-10 here; Eq. 17 vs F1 is exact up to rounding.
		if e := st.Checks["max_abs_F1_minus_dF2ds"]; !(e < 1e-7) {
			t.Errorf("F1 vs dF2/ds: %v", e)
		}
		if e := st.Checks["max_abs_eq17_over_kappa_minus_F1"]; !(e < 1e-10) {
			t.Errorf("Eq. 17 vs F1: %v", e)
		}
		last := st.Steps[len(st.Steps)-1]
		if last.DistToY1 > 1e-3 {
			t.Errorf("the mean does not reach y1 at s = 1 − δ: %v", last.DistToY1)
		}
	}
}

func TestExplainBadFlags(t *testing.T) {
	for _, args := range [][]string{{"explain", "-alpha", "0"}, {"explain", "-priority", "bogus"}, {"explain", "stray"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no error message", args)
		}
	}
}
