package main

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/golden"
	"github.com/hifm-go/hifm/tensor/npy"
)

// tinyNets are the -init arguments of one small network of each kind.
var tinyNets = map[string][]string{
	"egnn":  {"-model", "egnn", "-particles", "5", "-hidden", "8"},
	"egnn2": {"-model", "egnn", "-particles", "4", "-hidden", "6", "-layers", "2"},
	"mlp":   {"-model", "mlp", "-dim", "6", "-hidden", "8", "-layers", "2"},
	"unet":  {"-model", "unet", "-net", `{"height":4,"width":4,"channels":[2,4],"groups":2,"time_embed":4}`},
}

// initCkpt writes a tiny checkpoint with crosscheck model -init.
func initCkpt(t *testing.T, dir, name string, seed int) string {
	t.Helper()
	ck := filepath.Join(dir, name)
	runOK(t, append([]string{"crosscheck", "model", "-init", "-seed", itoa(int64(seed)), "-out", ck}, tinyNets[name]...)...)
	return ck
}

// modelInput writes y, s (and a cotangent) for a network of dimension n.
func modelInput(t *testing.T, path string, b, n int, cot bool, mutate func(map[string]*npy.Array)) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, uint64(n)))
	y, s, c := make([]float64, b*n), make([]float64, b), make([]float64, b*n)
	for i := range y {
		y[i], c[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	for i := range s {
		s[i] = rng.Float64()
	}
	arrs := map[string]*npy.Array{"y": {Shape: []int{b, n}, Data: y}, "s": {Shape: []int{b}, Data: s}}
	if cot {
		arrs["cotangent"] = &npy.Array{Shape: []int{b, n}, Data: c}
	}
	if mutate != nil {
		mutate(arrs)
	}
	var names []string
	for k := range arrs {
		names = append(names, k)
	}
	if err := npy.WriteNPZ(path, names, arrs); err != nil {
		t.Fatal(err)
	}
	return path
}

// forwardV evaluates the network with its parameters replaced by ps (nil:
// its own) at (y, s), the reference for the finite differences.
func forwardV(t *testing.T, net model.Net, y, s []float64, b int) []float64 {
	t.Helper()
	g := autodiff.NewGraph()
	v := net.Forward(g, model.Bind(g, net), g.Const(tensor.FromSlice(append([]float64(nil), y...), b, net.Dim())),
		g.Const(tensor.FromSlice(append([]float64(nil), s...), b, 1)))
	return append([]float64(nil), v.Value().Contiguous().Data[:b*net.Dim()]...)
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestCrosscheckModelFiniteDifferences is the agreement test of
// crosscheck model with itself: for each kind of network, along random
// directions d, the VJPs satisfy ⟨vjp, d⟩ = (f(+h d) − f(−h d))/2h with
// f = Σ c·v (central difference, h = 1e-5), for y and for every parameter
// tensor separately, and div equals Σ_k ∂v_k/∂y_k by central differences.
// Truncation is O(h²) ≈ 1e-10 and rounding ≈ 1e-16/h ≈ 1e-11 of the
// values' scale, so 1e-7 relative to max(1, |⟨vjp, d⟩|) is a safe bound
// that a wrong VJP (O(1) off) cannot meet.
func TestCrosscheckModelFiniteDifferences(t *testing.T) {
	for _, name := range []string{"egnn", "egnn2", "mlp", "unet"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ck := initCkpt(t, dir, name, 2)
			c0, err := model.LoadCheckpoint(ck)
			if err != nil {
				t.Fatal(err)
			}
			net, err := c0.Restore()
			if err != nil {
				t.Fatal(err)
			}
			const b, h, tol = 2, 1e-5, 1e-7
			n := net.Dim()
			in := modelInput(t, filepath.Join(dir, "x.npz"), b, n, true, nil)
			out := filepath.Join(dir, "out.npz")
			runOK(t, "crosscheck", "model", "-ckpt", ck, "-in", in, "-out", out)
			got, x := readNPZ(t, out), readNPZ(t, in)
			y, s, c := x["y"].Data, x["s"].Data, x["cotangent"].Data
			if d := cmp.Diff(forwardV(t, net, y, s, b), got["v"].Data); d != "" {
				t.Fatalf("v differs from the network's Forward:\n%s", d)
			}
			f := func() float64 { return dot(c, forwardV(t, net, y, s, b)) }
			check := func(what string, vjp, x []float64) {
				t.Helper()
				rng := rand.New(rand.NewPCG(9, uint64(len(x))))
				dir := make([]float64, len(x))
				for i := range dir {
					dir[i] = rng.NormFloat64()
				}
				keep := append([]float64(nil), x...)
				for i := range x {
					x[i] = keep[i] + h*dir[i]
				}
				fp := f()
				for i := range x {
					x[i] = keep[i] - h*dir[i]
				}
				fm := f()
				copy(x, keep)
				fd, an := (fp-fm)/(2*h), dot(vjp, dir)
				if math.Abs(fd-an) > tol*math.Max(1, math.Abs(an)) {
					t.Errorf("%s: ⟨vjp, d⟩ = %.12g, central difference %.12g", what, an, fd)
				}
			}
			check("vjp_y", got["vjp_y"].Data, y)
			for _, p := range net.Params() {
				a, ok := got["vjp/"+p.Name]
				if !ok || !cmp.Equal(a.Shape, p.Value.Shape) {
					t.Fatalf("vjp/%s missing or of the wrong shape", p.Name)
				}
				check("vjp/"+p.Name, a.Data, p.Value.Data)
			}
			for i := range b {
				var div float64
				for k := range n {
					j := i*n + k
					keep := y[j]
					y[j] = keep + h
					vp := forwardV(t, net, y, s, b)[j]
					y[j] = keep - h
					vm := forwardV(t, net, y, s, b)[j]
					y[j] = keep
					div += (vp - vm) / (2 * h)
				}
				if got := got["div"].Data[i]; math.Abs(got-div) > tol*math.Max(1, math.Abs(div)) {
					t.Errorf("sample %d: div %.12g, central differences %.12g", i, got, div)
				}
			}
			if name == "egnn" {
				// The paper's single-layer EGNN has an analytic divergence:
				// same function, another evaluation order.
				dn := net.(model.DivergenceNet)
				g := autodiff.NewGraph()
				_, div, ok := dn.ForwardDivergence(g, model.Bind(g, net), g.Const(tensor.FromSlice(append([]float64(nil), y...), b, n)), g.Const(tensor.FromSlice(append([]float64(nil), s...), b, 1)))
				if !ok {
					t.Fatal("no analytic divergence")
				}
				if d := cmp.Diff(div.Value().Data[:b], got["div"].Data, cmpopts.EquateApprox(1e-10, 1e-12)); d != "" {
					t.Errorf("div vs the EGNN's analytic divergence:\n%s", d)
				}
			}
		})
	}
}

// TestCrosscheckModelInit: -init is reproducible (same seed, same bits),
// params.npz holds every parameter under its name, and the golden file pins
// the EGNN's output for seed 1 on a fixed input.
func TestCrosscheckModelInit(t *testing.T) {
	dir := t.TempDir()
	a, b := initCkpt(t, filepath.Join(dir, "a"), "egnn", 1), initCkpt(t, filepath.Join(dir, "b"), "egnn", 1)
	pa, pb := readNPZ(t, filepath.Join(a, "params.npz")), readNPZ(t, filepath.Join(b, "params.npz"))
	if d := cmp.Diff(pa, pb); d != "" {
		t.Fatalf("same seed, different weights:\n%s", d)
	}
	ck, err := model.LoadCheckpoint(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(pa) != len(ck.Params) {
		t.Fatalf("params.npz has %d arrays, the checkpoint %d", len(pa), len(ck.Params))
	}
	for _, p := range ck.Params {
		if d := cmp.Diff(p.Value.Data, pa[p.Name].Data); d != "" {
			t.Errorf("params.npz %q differs from the checkpoint:\n%s", p.Name, d)
		}
	}
	var side map[string]any
	js, err := os.ReadFile(filepath.Join(a, "params.npz.json"))
	if err != nil || json.Unmarshal(js, &side) != nil || side["net"] == nil {
		t.Fatalf("params.npz.json missing or without the net config: %v %s", err, js)
	}
	in := modelInput(t, filepath.Join(dir, "x.npz"), 2, 15, true, nil)
	out := filepath.Join(dir, "out.npz")
	runOK(t, "crosscheck", "model", "-ckpt", a, "-in", in, "-out", out)
	got := readNPZ(t, out)
	type gold struct{ V, Div, VJPY, VJPEmbedBias []float64 }
	golden.Check(t, "../../testdata/crosscheck/model_egnn.json",
		"go test ./cmd/hifm -run TestCrosscheckModelInit -update: hifm crosscheck model -init -model egnn -particles 5 -hidden 8 -seed 1, evaluated on modelInput(b 2, n 15) (PCG(5, 15) normals, s uniform)",
		gold{got["v"].Data, got["div"].Data, got["vjp_y"].Data, got["vjp/egnn.embed.bias"].Data},
		cmpopts.EquateApprox(1e-12, 1e-14))
}

func TestCrosscheckModelErrors(t *testing.T) {
	dir := t.TempDir()
	ck := initCkpt(t, dir, "mlp", 1)
	out := filepath.Join(dir, "o.npz")
	noS := modelInput(t, filepath.Join(dir, "nos.npz"), 2, 6, false, func(m map[string]*npy.Array) { delete(m, "s") })
	wrongN := modelInput(t, filepath.Join(dir, "n.npz"), 2, 5, false, nil)
	nan := modelInput(t, filepath.Join(dir, "nan.npz"), 3, 6, false, func(m map[string]*npy.Array) { m["y"].Data[2*6+1] = math.Inf(1) })
	badCot := modelInput(t, filepath.Join(dir, "cot.npz"), 2, 6, true, func(m map[string]*npy.Array) {
		m["cotangent"] = &npy.Array{Shape: []int{2, 5}, Data: make([]float64, 10)}
	})
	sLen := modelInput(t, filepath.Join(dir, "slen.npz"), 2, 6, false, func(m map[string]*npy.Array) {
		m["s"] = &npy.Array{Shape: []int{3}, Data: make([]float64, 3)}
	})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-ckpt", ck, "-out", out}, 2, "-ckpt, -in and -out are required"},
		{[]string{"-ckpt", ck, "-in", noS, "-out", out, "-hidden", "3"}, 2, "for -init only"},
		{[]string{"-init", "-model", "cnn", "-out", filepath.Join(dir, "x")}, 2, "-model must be egnn, mlp or unet"},
		{[]string{"-init", "-model", "mlp", "-out", filepath.Join(dir, "x")}, 2, "mlp dim"},
		{[]string{"-init", "-model", "egnn", "-net", "{", "-out", filepath.Join(dir, "x")}, 2, "-net"},
		{[]string{"-ckpt", ck, "-in", noS, "-out", out}, 1, `missing array "s", want (b,) with b = 2`},
		{[]string{"-ckpt", ck, "-in", wrongN, "-out", out}, 1, `"y" has shape [2 5], want (b, n) with n = 6`},
		{[]string{"-ckpt", ck, "-in", nan, "-out", out}, 1, `"y" has a non-finite value +Inf in sample 2`},
		{[]string{"-ckpt", ck, "-in", badCot, "-out", out}, 1, `"cotangent" has shape [2 5], want (b, n) = (2, 6)`},
		{[]string{"-ckpt", ck, "-in", sLen, "-out", out}, 1, `"s" has shape [3], want (b,) with b = 2`},
		{[]string{"-ckpt", dir, "-in", noS, "-out", out}, 1, "no checkpoint"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"crosscheck", "model"}, tc.args...), &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// TestEGNNTorch runs docs/crosscheck/egnn_torch.py, the PyTorch
// re-implementation built from docs/CROSSCHECK.md: v, div, vjp_y and every
// parameter gradient must agree to 1e-10 (relative to each array's largest
// entry), for the paper's single-layer EGNN, a two-layer one, and (checking
// the page's MLP and UNet sections) the MLP and the UNet. Skipped without
// python3 + torch (never required by CI).
func TestEGNNTorch(t *testing.T) {
	py := pythonWith(t, "numpy", "torch")
	dir := t.TempDir()
	args := []string{"../../docs/crosscheck/egnn_torch.py"}
	for name, n := range map[string]int{"egnn": 15, "egnn2": 12, "mlp": 6, "unet": 16} {
		ck := initCkpt(t, dir, name, 4)
		in := modelInput(t, filepath.Join(dir, name+".npz"), 3, n, true, nil)
		out := filepath.Join(dir, name+"-out.npz")
		runOK(t, "crosscheck", "model", "-ckpt", ck, "-in", in, "-out", out)
		args = append(args, "--check", filepath.Join(ck, "params.npz"), in, out)
	}
	b, err := exec.Command(py, args...).CombinedOutput()
	t.Logf("egnn_torch.py:\n%s", b)
	if err != nil {
		t.Fatalf("egnn_torch.py: %v", err)
	}
}

// TestCrosscheckModelEMA: -ema evaluates the checkpoint's parameter EMA
// (for model and nll), and is an error for a checkpoint without one.
func TestCrosscheckModelEMA(t *testing.T) {
	dir := t.TempDir()
	plain := initCkpt(t, dir, "mlp", 1)
	ck, err := model.LoadCheckpoint(plain)
	if err != nil {
		t.Fatal(err)
	}
	net, _ := ck.Restore()
	oc := model.DefaultAdamW()
	oc.EMADecay = 0.5
	opt, err := model.NewAdamW(oc, net.Params())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range opt.EMA { // an EMA that differs from the parameters
		for i := range e.Data {
			e.Data[i] *= 0.9
		}
	}
	ck.Optim = opt
	withEMA := filepath.Join(dir, "ema")
	if err := model.SaveCheckpoint(withEMA, ck); err != nil {
		t.Fatal(err)
	}
	in := modelInput(t, filepath.Join(dir, "x.npz"), 2, 6, false, nil)
	runOK(t, "crosscheck", "model", "-ckpt", withEMA, "-ema", "-in", in, "-out", filepath.Join(dir, "e.npz"))
	runOK(t, "crosscheck", "model", "-ckpt", withEMA, "-in", in, "-out", filepath.Join(dir, "p.npz"))
	x := readNPZ(t, in)
	for i, p := range net.Params() {
		copy(p.Value.Data, opt.EMA[i].Data)
	}
	want := forwardV(t, net, x["y"].Data, x["s"].Data, 2)
	if d := cmp.Diff(want, readNPZ(t, filepath.Join(dir, "e.npz"))["v"].Data); d != "" {
		t.Errorf("-ema: v is not the EMA network's:\n%s", d)
	}
	if cmp.Equal(want, readNPZ(t, filepath.Join(dir, "p.npz"))["v"].Data) {
		t.Error("without -ema, v equals the EMA network's")
	}
	y := writeNPY(t, filepath.Join(dir, "y.npy"), x["y"].Data, 2, 6)
	runOK(t, "crosscheck", "nll", "-ckpt", withEMA, "-ema", "-in", y, "-out", filepath.Join(dir, "n.npz"))
	for _, c := range []string{"model", "nll"} {
		inArg := in
		if c == "nll" {
			inArg = y
		}
		var stdout, stderr bytes.Buffer
		if code := run([]string{"crosscheck", c, "-ckpt", plain, "-ema", "-in", inArg, "-out", filepath.Join(dir, "z.npz")}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "keeps no parameter EMA") {
			t.Errorf("%s -ema without an EMA: exit %d, %q", c, code, stderr.String())
		}
	}
}
