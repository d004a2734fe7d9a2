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
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor/golden"
	"github.com/hifm-go/hifm/tensor/npy"
)

// lossCkpt writes a fresh 4-particle EGNN checkpoint (n = 12, pathInput's size).
func lossCkpt(t *testing.T, dir string) string {
	t.Helper()
	ck := filepath.Join(dir, "ck")
	runOK(t, "crosscheck", "model", "-init", "-model", "egnn", "-particles", "4", "-hidden", "8", "-seed", "5", "-out", ck)
	return ck
}

// TestCrosscheckLoss: the CLI returns train.Loss's numbers bit for bit
// (train.TestLossMatchesTrainStep shows those are the training step's);
// loss is the mean of per_sample, per_sample the squared norm of residual;
// the gradient agrees with a central difference of the loss along a random
// direction (h = 1e-5, 1e-7 relative: see TestCrosscheckModelFiniteDifferences);
// a golden file pins the default case.
func TestCrosscheckLoss(t *testing.T) {
	for _, tc := range []struct{ name, cfg string }{
		{"hifm-default", `{}`},
		{"hifm-projected-infinite", `{"project":true,"scheme":"infinite","priority":"data","alpha":1.5}`},
		{"ot", `{"path":"ot"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ck := lossCkpt(t, dir)
			in := pathInput(t, dir, 5, nil)
			out := filepath.Join(dir, "loss.npz")
			cfgFile := writeConfig(t, dir, tc.cfg)
			runOK(t, "crosscheck", "loss", "-config", cfgFile, "-ckpt", ck, "-in", in, "-out", out, "-chunk", "2")
			got := readNPZ(t, out)

			cfg, err := loadPathConfig(cfgFile)
			if err != nil {
				t.Fatal(err)
			}
			c0, _ := model.LoadCheckpoint(ck)
			net, _ := c0.Restore()
			x := readNPZ(t, in)
			const b, n = 5, 12
			var spectra []*flow.Spectrum
			if cfg.Kind == flow.PathHIFM {
				pl := flow.Pipeline{Config: cfg}
				for i := range b {
					sp, err := pl.Spectrum(x["hessian"].Data[i*n*n:(i+1)*n*n], x["y1"].Data[i*n:(i+1)*n])
					if err != nil {
						t.Fatal(err)
					}
					spectra = append(spectra, sp)
				}
			}
			want, err := train.Loss(net, cfg, 2, x["y0"].Data, x["y1"].Data, x["s"].Data, spectra)
			if err != nil {
				t.Fatal(err)
			}
			if got["loss"].Data[0] != want.Loss || len(got["loss"].Shape) != 0 {
				t.Errorf("loss %v %v, train.Loss %v", got["loss"].Data, got["loss"].Shape, want.Loss)
			}
			for name, w := range map[string][]float64{"per_sample": want.PerSample, "residual": want.Residual, "v": want.V, "ys": want.YS, "us": want.US, "time": want.Time} {
				if d := cmp.Diff(w, got[name].Data); d != "" {
					t.Errorf("%s differs from train.Loss:\n%s", name, d)
				}
			}
			var mean float64
			for i, q := range got["per_sample"].Data {
				var r2 float64
				for _, r := range got["residual"].Data[i*n : (i+1)*n] {
					r2 += r * r
				}
				if math.Abs(r2-q) > 1e-13*q {
					t.Errorf("sample %d: per_sample %v, ||residual||² %v", i, q, r2)
				}
				mean += q / b
			}
			if math.Abs(mean-want.Loss) > 1e-13*want.Loss {
				t.Errorf("mean per_sample %v, loss %v", mean, want.Loss)
			}
			// Central difference of the loss along a random direction in θ.
			rng := rand.New(rand.NewPCG(1, 2))
			var an float64
			dirs := make([][]float64, len(net.Params()))
			for i, p := range net.Params() {
				g := got["grad/"+p.Name]
				if g == nil || !cmp.Equal(g.Shape, p.Value.Shape) {
					t.Fatalf("grad/%s missing or of the wrong shape", p.Name)
				}
				dirs[i] = make([]float64, len(p.Value.Data))
				for k := range dirs[i] {
					dirs[i][k] = rng.NormFloat64()
					an += dirs[i][k] * g.Data[k]
				}
			}
			const h = 1e-5
			at := func(sign float64) float64 {
				keep := make([][]float64, len(dirs))
				for i, p := range net.Params() {
					keep[i] = append([]float64(nil), p.Value.Data...)
					for k := range p.Value.Data {
						p.Value.Data[k] += sign * h * dirs[i][k]
					}
				}
				r, err := train.Loss(net, cfg, 2, x["y0"].Data, x["y1"].Data, x["s"].Data, spectra)
				if err != nil {
					t.Fatal(err)
				}
				for i, p := range net.Params() {
					copy(p.Value.Data, keep[i])
				}
				return r.Loss
			}
			fd := (at(1) - at(-1)) / (2 * h)
			if math.Abs(fd-an) > 1e-7*math.Max(1, math.Abs(an)) {
				t.Errorf("⟨grad, d⟩ = %.12g, central difference %.12g", an, fd)
			}
			if tc.name == "hifm-default" {
				golden.Check(t, "../../testdata/crosscheck/loss_egnn.json",
					"go test ./cmd/hifm -run TestCrosscheckLoss -update: hifm crosscheck model -init -model egnn -particles 4 -hidden 8 -seed 5, then crosscheck loss -config {} -chunk 2 on pathInput(b 5) (random 4-particle formations and their formation Hessians)",
					struct{ Loss, PerSample, GradEmbedBias []float64 }{got["loss"].Data, got["per_sample"].Data, got["grad/egnn.embed.bias"].Data},
					cmpopts.EquateApprox(1e-12, 1e-15))
			}
		})
	}
}

func TestCrosscheckLossErrors(t *testing.T) {
	dir := t.TempDir()
	ck := lossCkpt(t, dir)
	out := filepath.Join(dir, "o.npz")
	sub := func(name string, mutate func(map[string]*npy.Array)) string {
		d := filepath.Join(dir, name)
		if err := mkdir(d); err != nil {
			t.Fatal(err)
		}
		return pathInput(t, d, 3, mutate)
	}
	noH := sub("noh", func(m map[string]*npy.Array) { delete(m, "hessian") })
	nan := sub("nan", func(m map[string]*npy.Array) { m["y0"].Data[2*12+3] = math.NaN() })
	bigS := sub("bigs", func(m map[string]*npy.Array) { m["s"].Data[1] = 1 })
	small := sub("small", func(m map[string]*npy.Array) {
		for _, k := range []string{"y0", "y1"} {
			m[k] = &npy.Array{Shape: []int{3, 6}, Data: make([]float64, 18)}
		}
		m["hessian"] = &npy.Array{Shape: []int{3, 6, 6}, Data: make([]float64, 108)}
	})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-ckpt", ck, "-out", out}, 2, "-ckpt, -in and -out are required"},
		{[]string{"-ckpt", ck, "-in", noH, "-out", out, "-chunk", "-1"}, 2, "-chunk must be ≥ 0"},
		{[]string{"-ckpt", ck, "-in", noH, "-out", out}, 1, `missing array "hessian"`},
		{[]string{"-ckpt", ck, "-in", nan, "-out", out}, 1, `"y0" has a non-finite value NaN in sample 2`},
		{[]string{"-ckpt", ck, "-in", bigS, "-out", out}, 1, "s[1] = 1 outside [0, 0.99999]"},
		{[]string{"-ckpt", ck, "-in", small, "-out", out}, 1, `want (b, n) with n = 12 (the network's dimension)`},
		{[]string{"-ckpt", dir, "-in", noH, "-out", out}, 1, "no checkpoint"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"crosscheck", "loss"}, tc.args...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

func mkdir(d string) error { return os.MkdirAll(d, 0o755) }
