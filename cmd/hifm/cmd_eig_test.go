package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/eig"
	"github.com/hifm-go/hifm/tensor/golden"
	"github.com/hifm-go/hifm/tensor/kernels"
	"github.com/hifm-go/hifm/tensor/npy"
)

var _ = golden.Update

func TestBenchEigJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "eig", "-n", "6", "-count", "5", "-threads", "2", "-runs", "3", "--json"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	var r benchEigResult
	dec := json.NewDecoder(strings.NewReader(stdout.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("output %q does not parse: %v", stdout.String(), err)
	}
	// Timings are machine-dependent: any positive finite figure with
	// best ≤ median is plausible; a 6×6 needs a few sweeps, not 0 or 60.
	if r.N != 6 || r.Count != 5 || r.Threads != 2 || r.Runs != 3 || r.Kernels != kernels.Name() ||
		!(r.UsPerMatrix > 0 && r.UsPerMatrix < 1e6) || r.BestUs > r.UsPerMatrix || !(r.Sweeps >= 1 && r.Sweeps < 20) {
		t.Errorf("result %+v", r)
	}
	// The wire names (what scripts read).
	var m map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil || m["n"] != 6.0 || m["threads"] != 2.0 || m["count"] != 5.0 ||
		m["us_per_matrix"] == nil || m["method"] != "auto" || m["ran"] != "jacobi" {
		t.Errorf("output %s (%v): want n 6, threads 2, count 5, us_per_matrix, method auto, ran jacobi", stdout.String(), err)
	}
	// -method: at n = 20 auto runs the tridiagonal path (no sweeps), and
	// -method jacobi forces sweeps.
	for _, tc := range []struct{ method, ran string }{{"auto", "tridiagonal"}, {"tridiagonal", "tridiagonal"}, {"jacobi", "jacobi"}} {
		stdout.Reset()
		if code := run([]string{"bench", "eig", "-n", "20", "-count", "3", "-runs", "1", "-method", tc.method, "--json"}, &stdout, &stderr); code != 0 {
			t.Fatalf("-method %s: exit %d, stderr %q", tc.method, code, stderr.String())
		}
		var r benchEigResult
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Method != tc.method || r.Ran != tc.ran || (r.Sweeps == 0) != (tc.ran == "tridiagonal") || !(r.CPUUs == -1 || r.CPUUs >= 0) {
			t.Errorf("-method %s: %+v", tc.method, r)
		}
	}
}

func TestBenchEigText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "eig", "-n", "4", "-runs", "1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if s := stdout.String(); !strings.Contains(s, "µs per matrix") || !strings.Contains(s, "n=4 count=1") {
		t.Errorf("output %q", s)
	}
}

func TestBenchEigBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "0"}, {"-n", "x"}, {"-n", "5000"}, {"-count", "0"}, {"-count", "100000000"},
		{"-threads", "-1"}, {"-runs", "0"}, {"--bogus"}, {"extra"}, {"-method", "qr"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"bench", "eig"}, args...), &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
		if stderr.Len() == 0 {
			t.Errorf("%v: no message on stderr", args)
		}
	}
}

// TestCrosscheckEig: a float64 (n,n) file and a float32 (k,n,n) stack give
// exactly eig.Sym's results, in the documented shapes.
func TestCrosscheckEig(t *testing.T) {
	dir := t.TempDir()
	single := []float64{4, 1, -2, 1, 2, 0, -2, 0, 3}
	in1 := filepath.Join(dir, "a.npy")
	if err := npy.WriteFile(in1, &npy.Array{Shape: []int{3, 3}, Data: single}); err != nil {
		t.Fatal(err)
	}
	// A float32 stack of two 4×4 matrices (values exactly representable).
	stack := []float64{
		2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2,
		1, 0.5, 0.25, 0, 0.5, -3, 0, 1, 0.25, 0, 0, 2, 0, 1, 2, 5,
	}
	in2 := filepath.Join(dir, "stack.npy")
	f, err := os.Create(in2)
	if err != nil {
		t.Fatal(err)
	}
	if err := npy.WriteFloat32(f, &npy.Array{Shape: []int{2, 4, 4}, Data: stack}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tc := range []struct {
		in   string
		k, n int
		data []float64
	}{{in1, 1, 3, single}, {in2, 2, 4, stack}} {
		out := filepath.Join(dir, "out.npz")
		var stdout, stderr bytes.Buffer
		if code := run([]string{"crosscheck", "eig", "-in", tc.in, "-out", out}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", tc.in, code, stderr.String())
		}
		z, err := npy.ReadNPZ(out)
		if err != nil {
			t.Fatal(err)
		}
		vals, vecs := z["values"], z["vectors"]
		if vals == nil || vecs == nil || !cmp.Equal(vals.Shape, []int{tc.k, tc.n}) || !cmp.Equal(vecs.Shape, []int{tc.k, tc.n, tc.n}) {
			t.Fatalf("%s: arrays %v", tc.in, z)
		}
		nn := tc.n * tc.n
		for i := range tc.k {
			want, err := eig.Sym(tc.data[i*nn:(i+1)*nn], tc.n, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want.Values, vals.Data[i*tc.n:(i+1)*tc.n]); d != "" {
				t.Errorf("%s[%d] values:\n%s", tc.in, i, d)
			}
			if d := cmp.Diff(want.Vectors, vecs.Data[i*nn:(i+1)*nn]); d != "" {
				t.Errorf("%s[%d] vectors:\n%s", tc.in, i, d)
			}
		}
	}
}

func TestCrosscheckEigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, shape []int, data []float64) string {
		p := filepath.Join(dir, name)
		if err := npy.WriteFile(p, &npy.Array{Shape: shape, Data: data}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := filepath.Join(dir, "out.npz")
	nonsq := write("nonsq.npy", []int{2, 3}, make([]float64, 6))
	vec := write("vec.npy", []int{4}, make([]float64, 4))
	nan := write("nan.npy", []int{2, 2, 2}, []float64{1, 0, 0, 1, 1, 0, 0, math.NaN()})
	asym := write("asym.npy", []int{2, 2}, []float64{1, 2, 3, 4})
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-out", out}, 2, "-in is required"},
		{[]string{"-in", nonsq}, 2, "-out is required"},
		{[]string{"-in", nonsq, "-out", out, "-max-sweeps", "-1"}, 2, "-max-sweeps"},
		{[]string{"-in", nonsq, "-out", out, "-method", "qr"}, 2, "-method"},
		{[]string{"-in", filepath.Join(dir, "missing.npy"), "-out", out}, 1, "missing.npy"},
		{[]string{"-in", nonsq, "-out", out}, 1, "shape [2 3]"},
		{[]string{"-in", vec, "-out", out}, 1, "shape [4]"},
		{[]string{"-in", nan, "-out", out}, 1, "matrix [1]: eig: matrix has a NaN or Inf entry: a[1,1] = NaN"},
		{[]string{"-in", asym, "-out", out}, 1, "not symmetric"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"crosscheck", "eig"}, tc.args...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind", out)
	}
	// The asymmetric file is accepted with the check disabled.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"crosscheck", "eig", "-in", asym, "-out", out, "-symtol", "-1"}, &stdout, &stderr); code != 0 {
		t.Errorf("-symtol -1: exit %d, %s", code, stderr.String())
	}
}
