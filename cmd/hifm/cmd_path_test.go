package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
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

var _ = golden.Update

// pathInput writes a small LJ-like batch: formation-energy Hessians of
// random 4-particle 3-D formations (6 zero eigenvalues each).
func pathInput(t *testing.T, dir string, b int, mutate func(map[string]*npy.Array)) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(41, 42))
	const p, n = 4, 12
	y0, y1, s, h := make([]float64, b*n), make([]float64, b*n), make([]float64, b), make([]float64, b*n*n)
	for i := range b {
		for j := range n {
			y0[i*n+j] = rng.NormFloat64()
			y1[i*n+j] = rng.NormFloat64()
		}
		flow.RemoveCOM(y0[i*n:(i+1)*n], 3)
		flow.RemoveCOM(y1[i*n:(i+1)*n], 3)
		s[i] = 0.9 * rng.Float64()
		f, err := energy.NewFormation(y1[i*n:(i+1)*n], p, 3, energy.CompleteGraph)
		if err != nil {
			t.Fatal(err)
		}
		f.Hessian(y1[i*n:(i+1)*n], h[i*n*n:(i+1)*n*n])
	}
	arrs := map[string]*npy.Array{
		"y0": {Shape: []int{b, n}, Data: y0}, "y1": {Shape: []int{b, n}, Data: y1},
		"s": {Shape: []int{b}, Data: s}, "hessian": {Shape: []int{b, n, n}, Data: h},
	}
	if mutate != nil {
		mutate(arrs)
	}
	var names []string
	for k := range arrs {
		names = append(names, k)
	}
	path := filepath.Join(dir, "in.npz")
	if err := npy.WriteNPZ(path, names, arrs); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeConfig(t *testing.T, dir, js string) string {
	t.Helper()
	p := filepath.Join(dir, "cfg.json")
	if err := os.WriteFile(p, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCrosscheckPath(t *testing.T) {
	for _, tc := range []struct {
		name, cfg string
	}{
		{"hifm-default", `{}`},
		{"hifm-infinite-hyperbolic", `{"scheme":"infinite","hyperbolize":true,"condition":10,"priority":"data","alpha":1.5,"stationary":"anisotropic"}`},
		{"hifm-null-conjugate", `{"null_space":"conjugate","sigma":0.2}`},
		{"hifm-null-projected", `{"null_space":"projected","stationary":"anisotropic"}`},
		{"ot", `{"path":"ot","sigma_min":0.01}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := pathInput(t, dir, 3, nil)
			out := filepath.Join(dir, "out.npz")
			var stdout, stderr bytes.Buffer
			if code := run([]string{"crosscheck", "path", "-config", writeConfig(t, dir, tc.cfg), "-in", in, "-out", out}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			got, err := npy.ReadNPZ(out)
			if err != nil {
				t.Fatal(err)
			}
			// Recompute with the library directly: the CLI must only move data.
			inp, _ := npy.ReadNPZ(in)
			cfg, err := loadPathConfig(filepath.Join(dir, "cfg.json"))
			if err != nil {
				t.Fatal(err)
			}
			const n = 12
			ys, us := make([]float64, n), make([]float64, n)
			for i := range 3 {
				y0, y1 := inp["y0"].Data[i*n:(i+1)*n], inp["y1"].Data[i*n:(i+1)*n]
				s := inp["s"].Data[i]
				if cfg.Kind == flow.PathOT {
					flow.OTPath{SigmaMin: cfg.SigmaMin, Sigma0: cfg.Sigma0}.Draw(ys, us, y0, y1, s, nil)
				} else {
					pl := flow.Pipeline{Config: cfg}
					sp, err := pl.Spectrum(inp["hessian"].Data[i*n*n:(i+1)*n*n], y1)
					if err != nil {
						t.Fatal(err)
					}
					flow.NewHIFMPath(cfg).Draw(ys, us, y0, y1, s, sp)
					if d := cmp.Diff(sp.Lambda, got["eigenvalues"].Data[i*n:(i+1)*n]); d != "" {
						t.Errorf("sample %d eigenvalues:\n%s", i, d)
					}
					if got["kappa"].Data[i] != sp.Kappa {
						t.Errorf("kappa %v vs %v", got["kappa"].Data[i], sp.Kappa)
					}
					nz := 0
					for _, l := range sp.Lambda {
						if l == 0 {
							nz++
						}
					}
					wantNull := 6
					if cfg.Hyperbolize {
						wantNull = 0
					}
					if nz != wantNull {
						t.Errorf("sample %d: %d zero eigenvalues, want %d (rigid 3-D formation)", i, nz, wantNull)
					}
				}
				// Bit-identical: same code path, same inputs.
				if d := cmp.Diff(ys, got["ys"].Data[i*n:(i+1)*n]); d != "" {
					t.Errorf("sample %d ys:\n%s", i, d)
				}
				if d := cmp.Diff(us, got["us"].Data[i*n:(i+1)*n]); d != "" {
					t.Errorf("sample %d us:\n%s", i, d)
				}
			}
			if _, ok := got["t"]; ok != (cfg.Scheme == flow.SchemeInfinite && cfg.Kind == flow.PathHIFM) {
				t.Errorf("t present = %v for scheme %s", ok, cfg.Scheme)
			}
			if cfg.Kind == flow.PathHIFM && !strings.Contains(stdout.String(), "s window") {
				t.Errorf("summary does not state the s window: %q", stdout.String())
			}
		})
	}
}

func TestCrosscheckPathErrors(t *testing.T) {
	neg := func(a map[string]*npy.Array) { // sample 1: H − ½I, its null space becomes −½
		h := a["hessian"].Data[144 : 2*144]
		for i := range 12 {
			h[i*12+i] -= 0.5
		}
	}
	for _, tc := range []struct {
		name, cfg string
		mutate    func(map[string]*npy.Array)
		code      int
		want      string
	}{
		{"alpha", `{"alpha":0}`, nil, 1, "alpha"},
		{"K", `{"condition":0.5}`, nil, 1, "condition"},
		{"eps", `{"epsilon":1.5}`, nil, 1, "epsilon"},
		{"delta", `{"delta":1}`, nil, 1, "delta"},
		{"unknown-key", `{"alfa":1}`, nil, 1, "unknown field"},
		{"null-space", `{"null_space":"orbit"}`, nil, 1, "null_space"},
		{"bad-json", `{"alpha":}`, nil, 1, "config"},
		{"negative", `{}`, neg, 1, "sample 1: flow: bad Hessian: negative eigenvalue"},
		{"nan", `{}`, func(a map[string]*npy.Array) { a["y0"].Data[13] = math.NaN() }, 1, "sample 1"},
		{"nan-hessian", `{}`, func(a map[string]*npy.Array) { a["hessian"].Data[300] = math.Inf(1) }, 1, "sample 2"},
		{"dims", `{}`, func(a map[string]*npy.Array) { a["y0"] = &npy.Array{Shape: []int{3, 11}, Data: make([]float64, 33)} }, 1, "y0"},
		{"hess-dims", `{}`, func(a map[string]*npy.Array) {
			a["hessian"] = &npy.Array{Shape: []int{3, 12}, Data: make([]float64, 36)}
		}, 1, "hessian"},
		{"missing", `{}`, func(a map[string]*npy.Array) { delete(a, "hessian") }, 1, "missing"},
		{"s-range", `{"delta":0.2}`, func(a map[string]*npy.Array) { a["s"].Data[2] = 0.85 }, 1, "s[2]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := pathInput(t, dir, 3, tc.mutate)
			var stdout, stderr bytes.Buffer
			code := run([]string{"crosscheck", "path", "-config", writeConfig(t, dir, tc.cfg), "-in", in, "-out", filepath.Join(dir, "o.npz")}, &stdout, &stderr)
			t.Log(strings.TrimSpace(stderr.String()))
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr.String(), tc.code, tc.want)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"crosscheck", "path", "-in", "x.npz"}, &stdout, &stderr); code != 2 {
		t.Errorf("missing -out: exit %d, want 2", code)
	}
}

// TestCrosscheckPathNumPyReference runs the CLI on the batches of
// testdata/flow/crosscheck, written by make_reference.py, an independent
// NumPy implementation of docs/CROSSCHECK.md (numpy.linalg.eigh, ½RᵀR).
func TestCrosscheckPathNumPyReference(t *testing.T) {
	dir := "../../testdata/flow/crosscheck"
	cfgs, err := filepath.Glob(filepath.Join(dir, "*_cfg.json"))
	if err != nil || len(cfgs) == 0 {
		t.Fatalf("no reference cases in %s (%v)", dir, err)
	}
	for _, cfg := range cfgs {
		name := strings.TrimSuffix(filepath.Base(cfg), "_cfg.json")
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.npz")
			var stdout, stderr bytes.Buffer
			if code := run([]string{"crosscheck", "path", "-config", cfg, "-in", filepath.Join(dir, name+"_in.npz"), "-out", out}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			got, err := npy.ReadNPZ(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := npy.ReadNPZ(filepath.Join(dir, name+"_expected.npz"))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("arrays: got %d, want %d", len(got), len(want))
			}
			for k, w := range want {
				g, ok := got[k]
				if !ok {
					t.Errorf("missing output %q", k)
					continue
				}
				if d := cmp.Diff(w.Shape, g.Shape); d != "" {
					t.Errorf("%s shape:\n%s", k, d)
				}
				// eigh and Jacobi agree to ~1e-14·λ_max on the eigenvalues;
				// the draws are invariant to the eigenvector basis and
				// amplify that by at most r·|log(1−s)| ≲ 1e3: 1e-9 relative.
				if d := cmp.Diff(w.Data, g.Data, cmpopts.EquateApprox(1e-9, 1e-10)); d != "" {
					t.Errorf("%s (-numpy +hifm):\n%s", k, d)
				}
			}
		})
	}
}
