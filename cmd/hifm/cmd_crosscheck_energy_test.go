package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor/golden"
	"github.com/hifm-go/hifm/tensor/npy"
)

// randomLJ13 returns b configurations of 13 particles in a box of side 2.6
// with every pair at least 0.85 apart, centre of mass removed.
func randomLJ13(seed uint64, b int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x6c6a))
	const p = 13
	out := make([]float64, 0, b*3*p)
	for range b {
		var x [][3]float64
		for len(x) < p {
			c := [3]float64{2.6 * rng.Float64(), 2.6 * rng.Float64(), 2.6 * rng.Float64()}
			ok := true
			for _, o := range x {
				if (c[0]-o[0])*(c[0]-o[0])+(c[1]-o[1])*(c[1]-o[1])+(c[2]-o[2])*(c[2]-o[2]) < 0.85*0.85 {
					ok = false
				}
			}
			if ok {
				x = append(x, c)
			}
		}
		row := make([]float64, 0, 3*p)
		for _, c := range x {
			row = append(row, c[:]...)
		}
		flow.RemoveCOM(row, 3)
		out = append(out, row...)
	}
	return out
}

func writeNPY(t *testing.T, path string, data []float64, shape ...int) string {
	t.Helper()
	if err := npy.WriteFile(path, &npy.Array{Shape: shape, Data: data}); err != nil {
		t.Fatal(err)
	}
	return path
}

func readNPZ(t *testing.T, path string) map[string]*npy.Array {
	t.Helper()
	a, err := npy.ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCrosscheckEnergyLJ13: energy and gradient are the closed forms of
// §4.2 bit for bit; the autodiff Hessian is exactly symmetric and agrees
// with the closed-form Hessian to 1e-10 relative to its largest entry
// (two evaluation orders of the same sums); a golden file pins the values.
func TestCrosscheckEnergyLJ13(t *testing.T) {
	dir := t.TempDir()
	const b, n = 3, 39
	y := randomLJ13(7, b)
	in := writeNPY(t, filepath.Join(dir, "y.npy"), y, b, n)
	out := filepath.Join(dir, "e.npz")
	runOK(t, "crosscheck", "energy", "-energy", "lj13", "-in", in, "-out", out)
	got := readNPZ(t, out)
	lj := energy.NewLJ13()
	g, h := make([]float64, n), make([]float64, n*n)
	for i := range b {
		row := y[i*n : (i+1)*n]
		if e := lj.Value(row); e != got["energy"].Data[i] {
			t.Errorf("sample %d: energy %v, closed form %v", i, got["energy"].Data[i], e)
		}
		lj.Grad(row, g)
		if d := cmp.Diff(g, got["grad"].Data[i*n:(i+1)*n]); d != "" {
			t.Errorf("sample %d grad:\n%s", i, d)
		}
		lj.Hessian(row, h)
		H := got["hessian"].Data[i*n*n : (i+1)*n*n]
		var scale float64
		for _, x := range h {
			scale = max(scale, math.Abs(x))
		}
		if d := cmp.Diff(h, H, cmpopts.EquateApprox(0, 1e-10*scale)); d != "" {
			t.Errorf("sample %d: autodiff Hessian vs closed form (atol %.3g):\n%s", i, 1e-10*scale, d)
		}
		for p := range n {
			for q := range p {
				if H[p*n+q] != H[q*n+p] {
					t.Fatalf("sample %d: H[%d,%d] = %v ≠ H[%d,%d] = %v", i, p, q, H[p*n+q], q, p, H[q*n+p])
				}
			}
		}
	}
	type gold struct {
		Energy   []float64
		Grad0    []float64
		HessDiag []float64
	}
	var gd gold
	gd.Energy = got["energy"].Data
	gd.Grad0 = got["grad"].Data[:n]
	for k := range n {
		gd.HessDiag = append(gd.HessDiag, got["hessian"].Data[k*n+k])
	}
	golden.Check(t, "../../testdata/crosscheck/energy_lj13.json",
		"go test ./cmd/hifm -run TestCrosscheckEnergyLJ13 -update: hifm crosscheck energy -energy lj13 on randomLJ13(seed 7, b 3) (13 points in a 2.6 box, pairs ≥ 0.85 apart); energy, grad of sample 0, Hessian diagonal of sample 0",
		gd, cmpopts.EquateApprox(1e-12, 1e-12))
}

// TestCrosscheckEnergyFormation: at its reference a formation is a minimum
// (V = 0, ∇V = 0) with Hessian ½RᵀR; -ref may hold one row for all or one per row.
func TestCrosscheckEnergyFormation(t *testing.T) {
	dir := t.TempDir()
	const b, n = 2, 12
	rng := rand.New(rand.NewPCG(3, 4))
	y := make([]float64, b*n)
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	in := writeNPY(t, filepath.Join(dir, "y.npy"), y, b, n)
	perRow := filepath.Join(dir, "per.npz")
	runOK(t, "crosscheck", "energy", "-energy", "formation", "-in", in, "-ref", in, "-out", perRow)
	got := readNPZ(t, perRow)
	for i := range b {
		f, err := energy.NewFormation(y[i*n:(i+1)*n], 4, 3, energy.CompleteGraph)
		if err != nil {
			t.Fatal(err)
		}
		if e := got["energy"].Data[i]; e != 0 {
			t.Errorf("sample %d: V at its own reference = %v, want 0", i, e)
		}
		if d := cmp.Diff(make([]float64, n), got["grad"].Data[i*n:(i+1)*n], cmpopts.EquateApprox(0, 1e-14)); d != "" {
			t.Errorf("sample %d: gradient at the minimum:\n%s", i, d)
		}
		if d := cmp.Diff(f.HalfRtR(y[i*n:(i+1)*n]), got["hessian"].Data[i*n*n:(i+1)*n*n], cmpopts.EquateApprox(1e-12, 1e-12)); d != "" {
			t.Errorf("sample %d: Hessian vs ½RᵀR:\n%s", i, d)
		}
	}
	// One reference (n,) for both rows: row 1 is evaluated against row 0's distances.
	one := writeNPY(t, filepath.Join(dir, "ref.npy"), y[:n], n)
	shared := filepath.Join(dir, "one.npz")
	runOK(t, "crosscheck", "energy", "-energy", "formation", "-in", in, "-ref", one, "-out", shared)
	got = readNPZ(t, shared)
	f, _ := energy.NewFormation(y[:n], 4, 3, energy.CompleteGraph)
	if e, want := got["energy"].Data[1], f.Value(y[n:]); e != want || e == 0 {
		t.Errorf("row 1 against reference 0: V = %v, want %v (> 0)", e, want)
	}
}

func TestCrosscheckEnergyErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeNPY(t, filepath.Join(dir, "y.npy"), randomLJ13(1, 2), 2, 39)
	bad := randomLJ13(1, 2)
	bad[39+5] = math.NaN()
	nan := writeNPY(t, filepath.Join(dir, "nan.npy"), bad, 2, 39)
	flat := writeNPY(t, filepath.Join(dir, "flat.npy"), randomLJ13(1, 1), 39)
	odd := writeNPY(t, filepath.Join(dir, "odd.npy"), make([]float64, 8), 2, 4)
	ref3 := writeNPY(t, filepath.Join(dir, "ref3.npy"), randomLJ13(2, 3), 3, 39)
	out := filepath.Join(dir, "o.npz")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-energy", "lj", "-in", good, "-out", out}, 2, "-energy must be lj13 or formation"},
		{[]string{"-energy", "lj13", "-out", out}, 2, "-in and -out are required"},
		{[]string{"-energy", "formation", "-in", good, "-out", out}, 2, "needs -ref"},
		{[]string{"-energy", "lj13", "-in", good, "-ref", good, "-out", out}, 2, "only for -energy formation"},
		{[]string{"-energy", "lj13", "-in", nan, "-out", out}, 1, "non-finite value NaN in sample 1"},
		{[]string{"-energy", "lj13", "-in", flat, "-out", out}, 1, "want 2 dimensions (b, n)"},
		{[]string{"-energy", "lj13", "-in", odd, "-out", out}, 1, "not P·d with d = 3"},
		{[]string{"-energy", "formation", "-in", good, "-ref", ref3, "-out", out}, 1, "ref3.npy has shape [3 39], want (b, n)"},
		{[]string{"-energy", "lj13", "-in", filepath.Join(dir, "none.npy"), "-out", out}, 1, "none.npy"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"crosscheck", "energy"}, tc.args...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
	// Coinciding particles: a clear error, not Inf in the output.
	same := randomLJ13(1, 1)
	copy(same[3:6], same[0:3])
	coinc := writeNPY(t, filepath.Join(dir, "same.npy"), same, 1, 39)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"crosscheck", "energy", "-energy", "lj13", "-in", coinc, "-out", out}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "sample 0") {
		t.Errorf("coinciding particles: exit %d, %q", code, stderr.String())
	}
}

// pythonWith returns a Python 3 interpreter that can import every module
// (python3 on PATH, else the system /usr/bin/python3, where Debian's
// python3-numpy and python3-torch live), or skips the test: Python is never
// required by CI.
func pythonWith(t *testing.T, modules ...string) string {
	t.Helper()
	var tried []string
	for _, c := range []string{"python3", "/usr/bin/python3"} {
		py, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(py, "-c", "import "+strings.Join(modules, ", ")).Run() == nil {
			return py
		}
		tried = append(tried, py)
	}
	t.Skipf("no python3 that imports %v (tried %v); this cross-check runs only where they are installed", modules, tried)
	return ""
}

// TestEnergyNumpy runs docs/crosscheck/energy_numpy.py: an independent
// numpy evaluation (analytic gradient, central-difference Hessian) must
// agree with crosscheck energy to 1e-6 relative on random LJ13
// configurations. Skipped without python3 + numpy.
func TestEnergyNumpy(t *testing.T) {
	py := pythonWith(t, "numpy")
	dir := t.TempDir()
	in := writeNPY(t, filepath.Join(dir, "y.npy"), randomLJ13(11, 4), 4, 39)
	out := filepath.Join(dir, "e.npz")
	runOK(t, "crosscheck", "energy", "-energy", "lj13", "-in", in, "-out", out)
	cmd := exec.Command(py, "../../docs/crosscheck/energy_numpy.py", "--in", in, "--out", out)
	b, err := cmd.CombinedOutput()
	t.Logf("energy_numpy.py:\n%s", b)
	if err != nil {
		t.Fatalf("energy_numpy.py: %v", err)
	}
}

// TestCrosscheckHelp: every new crosscheck subcommand has -h with examples
// (exit 0) and is listed in the command table.
func TestCrosscheckHelp(t *testing.T) {
	var table bytes.Buffer
	run([]string{"help"}, &table, &table)
	for _, c := range []string{"energy", "model", "loss", "nll"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"crosscheck", c, "-h"}, &stdout, &stderr); code != 0 {
			t.Errorf("crosscheck %s -h: exit %d", c, code)
		}
		h := stderr.String()
		if !strings.Contains(h, "examples:\n  hifm crosscheck "+c) || !strings.Contains(h, "docs/CROSSCHECK.md") || !strings.Contains(h, "-json") {
			t.Errorf("crosscheck %s -h lacks examples, the schema's page or -json:\n%s", c, h)
		}
		if !strings.Contains(table.String(), "crosscheck "+c) {
			t.Errorf("crosscheck %s missing from the command table", c)
		}
	}
}
