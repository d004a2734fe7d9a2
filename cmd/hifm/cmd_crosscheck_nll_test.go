package main

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/rk45"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/golden"
)

// TestCrosscheckNLL: (1) the two conventions differ by ½(N−1)d·ln 2π for
// particles (4 particles: 4.5 ln 2π) and not at all otherwise; (2) the
// base point is where the flow starts: integrating v_θ forward from
// base_point over the interval returns to y (rtol = atol = 1e-9 both ways:
// 1e-6 is far above the two solves' errors and far below any wrong base
// point); (3) nll = int_div − log_p0 with log_p0 the base density of
// base_point; (4) -workers does not change a bit; (5) golden values.
func TestCrosscheckNLL(t *testing.T) {
	for _, name := range []string{"egnn", "mlp"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			var ck string
			var n int
			if name == "egnn" {
				ck, n = lossCkpt(t, dir), 12
			} else {
				ck, n = initCkpt(t, dir, "mlp", 3), 6
			}
			const b = 3
			rng := rand.New(rand.NewPCG(8, 9))
			y := make([]float64, b*n)
			for i := range y {
				y[i] = rng.NormFloat64()
			}
			in := writeNPY(t, filepath.Join(dir, "y.npy"), y, b, n)
			out := filepath.Join(dir, "nll.npz")
			runOK(t, "crosscheck", "nll", "-ckpt", ck, "-in", in, "-out", out, "-rtol", "1e-9", "-atol", "1e-9", "-workers", "1")
			got := readNPZ(t, out)
			out2 := filepath.Join(dir, "nll2.npz")
			runOK(t, "crosscheck", "nll", "-ckpt", ck, "-in", in, "-out", out2, "-rtol", "1e-9", "-atol", "1e-9", "-workers", "2")
			if d := cmp.Diff(got, readNPZ(t, out2)); d != "" {
				t.Errorf("-workers 1 vs 2:\n%s", d)
			}
			wantGap := 0.0
			if name == "egnn" {
				wantGap = 4.5 * math.Log(2*math.Pi)
			}
			cfg, net, err := loadCheckpoint(ck)
			if err != nil {
				t.Fatal(err)
			}
			base, _ := cfg.Inference(net).Base()
			t0, t1, _ := infer.Model{Flow: cfg.Flow}.Interval()
			// v_θ(y, s) on one point, mean-free for particles (as NLL's field).
			g := autodiff.NewGraph()
			velocity := func(s float64, y, dy []float64) error {
				g.Reset()
				v := net.Forward(g, model.Bind(g, net), g.Const(tensor.FromSlice(y, 1, n)), g.Const(tensor.FromSlice([]float64{s}, 1, 1)))
				copy(dy, v.Value().Contiguous().Data)
				if cfg.Particles > 0 {
					flow.RemoveCOM(dy, cfg.SpatialDim)
				}
				return nil
			}
			for i := range b {
				nll, bg := got["nll"].Data[i], got["nll_bgflow"].Data[i]
				if math.Abs(nll-bg-wantGap) > 1e-12 {
					t.Errorf("sample %d: nll − nll_bgflow = %v, want %v", i, nll-bg, wantGap)
				}
				bp := got["base_point"].Data[i*n : (i+1)*n]
				if lp := base.LogDensity(bp); lp != got["log_p0"].Data[i] || math.Abs(got["int_div"].Data[i]-lp-nll) > 1e-12*math.Abs(nll) {
					t.Errorf("sample %d: log_p0 %v (base density %v), int_div %v, nll %v", i, got["log_p0"].Data[i], lp, got["int_div"].Data[i], nll)
				}
				fw, err := rk45.Solve(velocity, t0, t1,
					append([]float64(nil), bp...), rk45.Options{RTol: 1e-9, ATol: 1e-9})
				if err != nil {
					t.Fatal(err)
				}
				want := y[i*n : (i+1)*n]
				if d := cmp.Diff(want, fw.Y, cmpopts.EquateApprox(0, 1e-6)); d != "" {
					t.Errorf("sample %d: forward flow from base_point does not return to y:\n%s", i, d)
				}
			}
			gd := struct{ NLL, NFE []float64 }{got["nll"].Data, got["nfe"].Data}
			golden.Check(t, "../../testdata/crosscheck/nll_"+name+".json",
				"go test ./cmd/hifm -run TestCrosscheckNLL -update: crosscheck model -init (egnn: -particles 4 -hidden 8 -seed 5; mlp: -dim 6 -hidden 8 -layers 2 -seed 3), then crosscheck nll -rtol 1e-9 -atol 1e-9 on 3 PCG(8, 9) normal rows",
				gd, cmpopts.EquateApprox(1e-9, 0))
		})
	}
}

func TestCrosscheckNLLOptions(t *testing.T) {
	dir := t.TempDir()
	ck := initCkpt(t, dir, "mlp", 3)
	in := writeNPY(t, filepath.Join(dir, "y.npy"), []float64{1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0}, 2, 6)
	out := filepath.Join(dir, "h.npz")
	js, _ := runOK(t, "crosscheck", "nll", "-ckpt", ck, "-in", in, "-out", out, "-divergence", "hutchinson", "-probes", "3", "--json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(out + ".json")
	if string(saved) != js || rep["divergence"] != "hutchinson" || rep["probes"] != 3.0 {
		t.Errorf("--json output %s; config file %s", js, saved)
	}
	nan := writeNPY(t, filepath.Join(dir, "nan.npy"), []float64{1, 2, 3, 4, 5, 6, 0, 0, 0, math.NaN(), 0, 0}, 2, 6)
	wrong := writeNPY(t, filepath.Join(dir, "w.npy"), make([]float64, 10), 2, 5)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-ckpt", ck, "-out", out}, 2, "-ckpt, -in and -out are required"},
		{[]string{"-ckpt", ck, "-in", in, "-out", out, "-divergence", "auto"}, 2, `-divergence "auto"`},
		{[]string{"-ckpt", ck, "-in", in, "-out", out, "-rtol", "0"}, 2, "-rtol and -atol"},
		{[]string{"-ckpt", ck, "-in", nan, "-out", out}, 1, "non-finite value NaN in sample 1"},
		{[]string{"-ckpt", ck, "-in", wrong, "-out", out}, 1, "want (b, n) with n = 6"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"crosscheck", "nll"}, tc.args...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}
