package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/tensor/golden"
	"github.com/hifm-go/hifm/tensor/npy"
)

var _ = golden.Update

// rk45Golden is the part of testdata/rk45/scipy_rk45.json (written by
// make_goldens.py with SciPy) that the CLI test needs.
type rk45Golden struct {
	Matrices map[string][][]float64 `json:"matrices"`
	Cases    []struct {
		Problem string      `json:"problem"`
		RTol    float64     `json:"rtol"`
		ATol    float64     `json:"atol"`
		T0      float64     `json:"t0"`
		T1      float64     `json:"t1"`
		Y0      []float64   `json:"y0"`
		NFE     int         `json:"nfev"`
		NSteps  int         `json:"nsteps"`
		T       []float64   `json:"t"`
		Y       [][]float64 `json:"y"`
	} `json:"cases"`
}

// writeRK45Inputs writes A and y0 of a golden problem as .npy files.
func writeRK45Inputs(t *testing.T, a [][]float64, y0 []float64) (aPath, yPath string) {
	t.Helper()
	dir := t.TempDir()
	n := len(a)
	flat := make([]float64, 0, n*n)
	for _, row := range a {
		flat = append(flat, row...)
	}
	aPath, yPath = filepath.Join(dir, "A.npy"), filepath.Join(dir, "y0.npy")
	if err := npy.WriteFile(aPath, &npy.Array{Shape: []int{n, n}, Data: flat}); err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFile(yPath, &npy.Array{Shape: []int{len(y0)}, Data: y0}); err != nil {
		t.Fatal(err)
	}
	return aPath, yPath
}

func TestCrosscheckRK45MatchesSciPy(t *testing.T) {
	g, err := golden.Read[rk45Golden]("../../testdata/rk45/scipy_rk45.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Value.Cases {
		if c.Problem != "linear39" || c.RTol != 1e-6 {
			continue
		}
		aPath, yPath := writeRK45Inputs(t, g.Value.Matrices["linear39"], c.Y0)
		out := filepath.Join(t.TempDir(), "res.json")
		var stdout, stderr bytes.Buffer
		code := run([]string{"crosscheck", "rk45", "-A", aPath, "-y0", yPath, "-t0", "0", "-t1", "3",
			"-rtol", "1e-6", "-atol", "1e-6", "-out", out}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var r crosscheckRK45Result
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if r.NFE != c.NFE || r.NSteps != c.NSteps {
			t.Errorf("nfev %d, nsteps %d; SciPy %d, %d", r.NFE, r.NSteps, c.NFE, c.NSteps)
		}
		// Bit for bit: the CLI sums A·y in NumPy's order (rk45.MatVecNumPy)
		// and JSON float64 round-trips exactly.
		if d := cmp.Diff(c.T, r.T); d != "" {
			t.Errorf("accepted times (-scipy +cli):\n%s", d)
		}
		if d := cmp.Diff(c.Y[len(c.Y)-1], r.Y); d != "" {
			t.Errorf("final state (-scipy +cli):\n%s", d)
		}
		return
	}
	t.Fatal("golden case linear39 rtol=1e-6 missing")
}

func TestCrosscheckRK45Errors(t *testing.T) {
	aPath, yPath := writeRK45Inputs(t, [][]float64{{-1, 0}, {0, -2}}, []float64{1, 1})
	_, y3Path := writeRK45Inputs(t, [][]float64{{1}}, []float64{1, 2, 3})
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-y0", yPath}, 2, "required"},
		{[]string{"-A", aPath, "-y0", yPath, "-rtol", "-1"}, 2, "-rtol"},
		{[]string{"-A", aPath, "-y0", yPath, "-t1", "NaN"}, 2, "-t1"},
		{[]string{"-A", aPath, "-y0", yPath, "-initial-step", "x"}, 2, "initial-step"},
		{[]string{"-A", aPath, "-y0", yPath, "extra"}, 2, "unexpected"},
		{[]string{"-A", aPath, "-y0", y3Path}, 1, "want (2,)"},
		{[]string{"-A", yPath, "-y0", yPath}, 1, "square"},
		{[]string{"-A", filepath.Join(t.TempDir(), "missing.npy"), "-y0", yPath}, 1, "reading -A"},
		{[]string{"-A", aPath, "-y0", yPath, "-first-step", "5"}, 1, "first step"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"crosscheck", "rk45"}, c.args...), &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr.String(), c.code, c.msg)
		}
	}
	// Backward to stdout: y = (e^{-t}, e^{-2t}) from t = 1 to 0.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"crosscheck", "rk45", "-A", aPath, "-y0", yPath, "-t0", "1", "-t1", "0",
		"-rtol", "1e-10", "-atol", "1e-12"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r crosscheckRK45Result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	// y(0) = (e, e²)·y(1) with y(1) = (1, 1); 1e-8 relative ≫ the global
	// error of rtol 1e-10.
	want := []float64{2.718281828459045, 7.38905609893065}
	for i := range want {
		if d := r.Y[i]/want[i] - 1; d > 1e-8 || d < -1e-8 {
			t.Errorf("y[%d] = %v, want %v", i, r.Y[i], want[i])
		}
	}
	if r.T[0] != 1 || r.T[len(r.T)-1] != 0 || r.NSteps != len(r.T)-1 || r.NFE < 2+6*r.NSteps {
		t.Errorf("result %+v", r)
	}
}
