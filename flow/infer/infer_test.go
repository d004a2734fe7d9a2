package infer_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
)

// gaussianSet draws n points of N(m, diag(sd²)) in 2-D.
func gaussianSet(n int, seed uint64, m, sd [2]float64) *dataset.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &dataset.Set{N: n, Dim: 2, Data: make([]float64, 2*n)}
	for i := range n {
		for k := range 2 {
			s.Data[2*i+k] = m[k] + sd[k]*rng.NormFloat64()
		}
	}
	return s
}

// clusterSet is jittered particle data (dataset.JitteredClusters).
func clusterSet(n, p int, seed uint64) *dataset.Set { return dataset.JitteredClusters(n, p, seed) }

// mustField is infer.NewNetField for a valid method.
func mustField(t *testing.T, net model.Net, method string, particles, spatialDim int) *infer.NetField {
	t.Helper()
	f, err := infer.NewNetField(net, method, particles, spatialDim)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// mlpConfig and egnnConfig are small training configs (as in package
// train's tests): the networks under test are trained for a few steps.
func mlpConfig(kind flow.PathKind) train.Config {
	cfg := train.DefaultConfig()
	cfg.Flow.Kind = kind
	cfg.Net = model.NetConfig{Kind: model.KindMLP, Dim: 2, Hidden: 32, Layers: 2}
	cfg.Particles, cfg.SpatialDim = 0, 0
	cfg.Batch, cfg.Chunk, cfg.Steps = 64, 16, 10
	cfg.Optim.LR = 1e-2
	return cfg
}

func egnnConfig(p int) train.Config {
	cfg := train.DefaultConfig()
	cfg.Net = model.NetConfig{Kind: model.KindEGNN, Particles: p, Hidden: 8}
	cfg.Particles, cfg.SpatialDim = p, 3
	cfg.Flow.Project = true
	cfg.Batch, cfg.Chunk, cfg.Steps = 12, 4, 4
	cfg.Optim.LR = 1e-3
	return cfg
}

// TestNLLMatchesLogLikelihood: the parallel NLL equals flow.LogLikelihood
// with one NetField per point, bit for bit, for any worker count.
func TestNLLMatchesLogLikelihood(t *testing.T) {
	cfg := egnnConfig(4)
	set := clusterSet(6, 4, 5)
	tr, _, err := train.Train(context.Background(), cfg, set, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	xs := [][]float64{set.Row(0), set.Row(1), set.Row(2)}
	r1, err := infer.NLL(context.Background(), tr.Cfg.Inference(tr.Net), xs, infer.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := infer.NLL(context.Background(), tr.Cfg.Inference(tr.Net), xs, infer.Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r1, r2); diff != "" {
		t.Errorf("NLL depends on the worker count:\n%s", diff)
	}
	base, err := tr.Cfg.Inference(tr.Net).Base()
	if err != nil {
		t.Fatal(err)
	}
	t0, t1, err := tr.Cfg.Inference(tr.Net).Interval()
	if err != nil || t0 != 0 || t1 != tr.Cfg.Flow.SMax() {
		t.Fatalf("interval [%v, %v], %v: want [0, 1 − δ] of the finite scheme", t0, t1, err)
	}
	f := mustField(t, tr.Net, infer.DivExact, 0, 0)
	for i, x := range xs {
		l, err := flow.LogLikelihood(f, base, x, flow.ODEOptions{RTol: 1e-2, ATol: 1e-2, T1: t1})
		if err != nil {
			t.Fatal(err)
		}
		if -l.LogP != r1.NLL[i] || l.NFE != r1.NFE[i] {
			t.Errorf("sample %d: NLL %v (NFE %d), flow.LogLikelihood %v (NFE %d)", i, r1.NLL[i], r1.NFE[i], -l.LogP, l.NFE)
		}
	}
	// Zero-CoM density (HIFM-MATH §4): constant ½(N−1)d ln 2π for σ_0 = 1.
	if want := 0.5 * 9 * math.Log(2*math.Pi); math.Abs(r1.LogNormalizer-want) > 1e-12 || r1.Dim != 9 {
		t.Errorf("log normaliser %v (dim %d), want %v (9)", r1.LogNormalizer, r1.Dim, want)
	}
}

// TestDivergence checks NetField's exact divergence against central finite
// differences of its velocity (step 1e-5: truncation O(h²) ≈ 1e-10 times
// third derivatives of order 1, rounding ≈ 1e-16/1e-5, so 1e-6 is safe),
// and Hutchinson's estimate, averaged over 4000 probes, against it (the
// estimate's SD is below 1 for these small nets; 5 SE ≈ 0.08).
func TestDivergence(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  train.Config
		set  *dataset.Set
	}{
		{"mlp", mlpConfig(flow.PathOT), gaussianSet(10, 3, [2]float64{0, 0}, [2]float64{1, 1})},
		{"egnn", egnnConfig(4), clusterSet(10, 4, 4)},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := train.New(c.cfg, c.set, 1)
			if err != nil {
				t.Fatal(err)
			}
			f := mustField(t, tr.Net, infer.DivExact, 0, 0)
			n := f.Dim()
			y := append([]float64(nil), c.set.Row(0)...)
			v := make([]float64, n)
			s := 0.37
			div, err := f.VelocityDiv(s, y, v)
			if err != nil {
				t.Fatal(err)
			}
			const h = 1e-5
			var fd float64
			vp, vm := make([]float64, n), make([]float64, n)
			for i := range n {
				yi := y[i]
				y[i] = yi + h
				if err := f.Velocity(s, y, vp); err != nil {
					t.Fatal(err)
				}
				y[i] = yi - h
				if err := f.Velocity(s, y, vm); err != nil {
					t.Fatal(err)
				}
				y[i] = yi
				fd += (vp[i] - vm[i]) / (2 * h)
			}
			if !cmp.Equal(div, fd, cmpopts.EquateApprox(0, 1e-6)) {
				t.Errorf("exact divergence %v, finite differences %v", div, fd)
			}
			// The EGNN's analytic divergence (model.DivergenceNet) against
			// n reverse sweeps: the same quantity by different roundings.
			sw := mustField(t, tr.Net, infer.DivExact, c.cfg.Particles, c.cfg.SpatialDim) // subspace correction ≈ 0 for the EGNN
			infer.SetNoAnalytic(sw)
			div2, err := sw.VelocityDiv(s, y, vp)
			if err != nil {
				t.Fatal(err)
			}
			// sw removes the velocity's centre of mass again, which moves
			// it by rounding only (the EGNN's output is mean-free).
			if !cmp.Equal(div, div2, cmpopts.EquateApprox(1e-12, 1e-13)) || !cmp.Equal(v, vp, cmpopts.EquateApprox(0, 1e-14)) {
				t.Errorf("divergence %v (net's own) vs %v (reverse sweeps); velocities %v vs %v", div, div2, v, vp)
			}
			hf := mustField(t, tr.Net, infer.DivHutchinson, 0, 0)
			infer.SetProbes(hf, rand.New(rand.NewPCG(1, 2)), 4000)
			est, err := hf.VelocityDiv(s, y, v)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(est-div) > 0.08 {
				t.Errorf("Hutchinson (4000 probes) %v, exact %v", est, div)
			}
		})
	}
}

// TestSample: samples of the EGNN flow stay on the zero-CoM subspace, and
// do not depend on the worker count.
func TestSample(t *testing.T) {
	cfg := egnnConfig(4)
	set := clusterSet(6, 4, 6)
	tr, err := train.New(cfg, set, 1)
	if err != nil {
		t.Fatal(err)
	}
	a, nfe, err := infer.Sample(context.Background(), tr.Cfg.Inference(tr.Net), 3, infer.Options{Seed: 4, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := infer.Sample(context.Background(), tr.Cfg.Inference(tr.Net), 3, infer.Options{Seed: 4, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("samples depend on workers:\n%s", diff)
	}
	for i := range 3 {
		y := a[i*12 : (i+1)*12]
		var c [3]float64
		for j, x := range y {
			c[j%3] += x
		}
		// The base and every field value are mean-free to rounding.
		for _, x := range c {
			if math.Abs(x) > 1e-12 {
				t.Errorf("sample %d has centre of mass sum %v", i, c)
			}
		}
		if nfe[i] < 8 {
			t.Errorf("NFE %d", nfe[i])
		}
	}
}

// TestNLLFailures: failed solves are reported, and an all-failed set is an
// error rather than a NaN mean.
func TestNLLFailures(t *testing.T) {
	cfg := mlpConfig(flow.PathOT)
	set := gaussianSet(4, 7, [2]float64{0, 0}, [2]float64{1, 1})
	tr, err := train.New(cfg, set, 1)
	if err != nil {
		t.Fatal(err)
	}
	xs := [][]float64{set.Row(0), set.Row(1)}
	if _, err := infer.NLL(context.Background(), tr.Cfg.Inference(tr.Net), xs, infer.Options{MaxSteps: 1}); err == nil {
		t.Error("NLL with every solve failing returned no error")
	}
	if _, err := infer.NLL(context.Background(), tr.Cfg.Inference(tr.Net), [][]float64{{1, math.Inf(1)}}, infer.Options{}); err == nil {
		t.Error("non-finite test point accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := infer.NLL(ctx, tr.Cfg.Inference(tr.Net), xs, infer.Options{}); err != context.Canceled {
		t.Errorf("cancelled NLL: %v", err)
	}
}

// TestSubspaceDivergence: an MLP on particle data is neither mean-free nor
// translation invariant; with the particle layout set, the network field's velocity is
// mean-free and its divergence is the trace on the zero-CoM subspace,
// checked against central differences along w_i = P e_i (Σ_i w_iᵀ (P J P) w_i
// = tr(P J P)); tolerance as in TestDivergence.
func TestSubspaceDivergence(t *testing.T) {
	p := 4
	set := clusterSet(6, p, 8)
	cfg := train.DefaultConfig()
	cfg.Net = model.NetConfig{Kind: model.KindMLP, Dim: 3 * p, Hidden: 16, Layers: 2}
	cfg.Particles, cfg.SpatialDim = p, 3
	tr, err := train.New(cfg, set, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := mustField(t, tr.Net, infer.DivExact, p, 3)
	n := 3 * p
	y := append([]float64(nil), set.Row(1)...)
	v := make([]float64, n)
	div, err := f.VelocityDiv(0.4, y, v)
	if err != nil {
		t.Fatal(err)
	}
	var c [3]float64
	for i, x := range v {
		c[i%3] += x
	}
	for _, x := range c {
		if math.Abs(x) > 1e-13 {
			t.Errorf("velocity not mean-free: %v", c)
		}
	}
	const h = 1e-5
	var fd float64
	vp, vm, yp, ym := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		w := make([]float64, n)
		w[i] = 1
		flow.RemoveCOM(w, 3)
		for k := range n {
			yp[k], ym[k] = y[k]+h*w[k], y[k]-h*w[k]
		}
		if err := f.Velocity(0.4, yp, vp); err != nil {
			t.Fatal(err)
		}
		if err := f.Velocity(0.4, ym, vm); err != nil {
			t.Fatal(err)
		}
		for k := range n {
			fd += w[k] * (vp[k] - vm[k]) / (2 * h)
		}
	}
	full := mustField(t, tr.Net, infer.DivExact, 0, 0)
	fullDiv, err := full.VelocityDiv(0.4, y, vp)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(div, fd, cmpopts.EquateApprox(0, 1e-6)) {
		t.Errorf("subspace divergence %v, finite differences %v (full trace %v)", div, fd, fullDiv)
	}
	if math.Abs(fullDiv-div) < 1e-3 {
		t.Errorf("full trace %v ≈ subspace trace %v: the test would not see a missing correction", fullDiv, div)
	}
}

// TestNLLAutoMethod: exact divergence up to infer.ExactMaxDim, Hutchinson above.
func TestNLLAutoMethod(t *testing.T) {
	for _, n := range []int{infer.ExactMaxDim, infer.ExactMaxDim + 1} {
		cfg := mlpConfig(flow.PathOT)
		cfg.Net = model.NetConfig{Kind: model.KindMLP, Dim: n, Hidden: 8, Layers: 1}
		set := &dataset.Set{N: 2, Dim: n, Data: make([]float64, 2*n)}
		tr, err := train.New(cfg, set, 1)
		if err != nil {
			t.Fatal(err)
		}
		r, err := infer.NLL(context.Background(), tr.Cfg.Inference(tr.Net), [][]float64{set.Row(0)}, infer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := infer.DivExact
		if n > infer.ExactMaxDim {
			want = infer.DivHutchinson
		}
		if r.Method != want {
			t.Errorf("n = %d: method %q, want %q", n, r.Method, want)
		}
	}
}

// TestMergeNLLShards: NLL of a test set cut into shards (Offset = index of
// the shard's first sample, Hutchinson probes included) merged by
// infer.MergeNLL equals one NLL of the whole bit for bit.
func TestMergeNLLShards(t *testing.T) {
	cfg := egnnConfig(4)
	set := clusterSet(7, 4, 5)
	tr, _, err := train.Train(context.Background(), cfg, set, train.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	xs := make([][]float64, set.N)
	for i := range xs {
		xs[i] = set.Row(i)
	}
	for _, method := range []string{infer.DivExact, infer.DivHutchinson} {
		opt := infer.Options{Method: method, Seed: 3, Workers: 2}
		whole, err := infer.NLL(context.Background(), tr.Cfg.Inference(tr.Net), xs, opt)
		if err != nil {
			t.Fatal(err)
		}
		var parts []*infer.NLLResult
		for _, cut := range [][2]int{{0, 2}, {2, 5}, {5, 7}} {
			o := opt
			o.Offset = cut[0]
			p, err := infer.NLL(context.Background(), tr.Cfg.Inference(tr.Net), xs[cut[0]:cut[1]], o)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, p)
		}
		merged, err := infer.MergeNLL(parts...)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(whole, merged); diff != "" {
			t.Errorf("%s: merged shards differ from the whole (-whole +merged):\n%s", method, diff)
		}
		if method == infer.DivHutchinson { // without Offset a shard would reuse sample 0's probes
			p, err := infer.NLL(context.Background(), tr.Cfg.Inference(tr.Net), xs[2:5], opt)
			if err != nil {
				t.Fatal(err)
			}
			if p.NLL[0] == whole.NLL[2] {
				t.Errorf("Hutchinson NLL of sample 2 is the same with probe stream 0 and 2: the test cannot see Offset")
			}
		}
	}
	if _, err := infer.MergeNLL(); err == nil {
		t.Error("infer.MergeNLL() accepted nothing")
	}
}
