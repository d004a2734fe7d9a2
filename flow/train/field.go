package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/internal/splitmix"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/rk45"
	"github.com/hifm-go/hifm/tensor"
)

// Divergence methods of NetField (HIFM-MATH §6).
const (
	DivExact      = "exact"      // n reverse sweeps sharing one forward pass
	DivHutchinson = "hutchinson" // Rademacher probes fixed during one solve
)

// NetField is a trained network as a flow.DivField on one point at a time
// (the likelihood and sampling ODEs of HIFM-MATH §6). It owns an autodiff
// graph, reused (Reset) at every evaluation, so a NetField belongs to one
// goroutine; the network itself is shared read-only.
type NetField struct {
	Net model.Net
	// Method is DivExact (default) or DivHutchinson.
	Method string
	// Probes are the Hutchinson probes (each of length Dim) used by
	// VelocityDiv; set them once per solve (SetProbes) so that the
	// estimate is a fixed function of (s, y) during it.
	Probes [][]float64
	// NoAnalytic forces autodiff.Divergence even when the network has an
	// analytic divergence (model.DivergenceNet), for cross-checks.
	NoAnalytic bool
	// Particles and SpatialDim (> 0 for particle data) make the field live
	// on the zero-centre-of-mass subspace (HIFM-MATH §4): the velocity's
	// centre of mass is removed, v ← P f, and the divergence is the
	// subspace trace tr(P J P) = tr(J) − (1/N) Σ_d 1_dᵀ J 1_d, 1_d the
	// indicator of coordinate d of every particle (three extra sweeps).
	// For a translation-invariant, mean-free network (the EGNN) both
	// changes vanish.
	Particles, SpatialDim int

	ones []*tensor.Tensor // 1_d seeds for the subspace correction

	g      *autodiff.Graph
	y, s   *tensor.Tensor
	probeT []*tensor.Tensor
}

// NewNetField returns the field of net with the given divergence method.
func NewNetField(net model.Net, method string) (*NetField, error) {
	switch method {
	case "":
		method = DivExact
	case DivExact, DivHutchinson:
	default:
		return nil, fmt.Errorf("train: divergence method %q: want %q or %q", method, DivExact, DivHutchinson)
	}
	n := net.Dim()
	return &NetField{Net: net, Method: method, g: autodiff.NewGraph(),
		y: tensor.Zeros(1, n), s: tensor.Zeros(1, 1)}, nil
}

// Dim is the data dimension.
func (f *NetField) Dim() int { return f.Net.Dim() }

// SetProbes draws k Rademacher probes from rng (Hutchinson's estimator).
// For particle data (particles > 0) each probe is projected onto the
// zero-centre-of-mass subspace, so the estimate is of the subspace trace
// tr(P J P) (HIFM-MATH §4, §6).
func (f *NetField) SetProbes(rng *rand.Rand, k, particles, dim int) {
	n := f.Dim()
	if len(f.Probes) != k {
		f.Probes = make([][]float64, k)
		f.probeT = make([]*tensor.Tensor, k)
		for i := range f.Probes {
			f.Probes[i] = make([]float64, n)
			f.probeT[i] = tensor.FromSlice(f.Probes[i], 1, n)
		}
	}
	for _, p := range f.Probes {
		for i := range p {
			p[i] = float64(2*int(rng.Uint64()&1) - 1)
		}
		if particles > 0 {
			flow.RemoveCOM(p, dim)
		}
	}
}

func (f *NetField) forward(s float64, y []float64) (*autodiff.Node, *autodiff.Node, error) {
	f.g.Reset()
	copy(f.y.Data, y)
	f.s.Data[0] = s
	var out, yn *autodiff.Node
	err := tensor.Catch(func() {
		p := model.Bind(f.g, f.Net)
		yn = f.g.Var(f.y)
		out = f.Net.Forward(f.g, p, yn, f.g.Const(f.s))
	})
	return out, yn, err
}

// Velocity implements flow.Field: v = v_θ(y, s) (mean-free for particles).
func (f *NetField) Velocity(s float64, y, v []float64) error {
	out, _, err := f.forward(s, y)
	if err != nil {
		return err
	}
	f.copyVelocity(v, out)
	return nil
}

func (f *NetField) copyVelocity(v []float64, out *autodiff.Node) {
	copy(v, out.Value().Contiguous().Data)
	if f.Particles > 0 {
		flow.RemoveCOM(v, f.SpatialDim)
	}
}

// comCorrection returns (1/N) Σ_d 1_dᵀ J 1_d, the part of tr J outside
// the zero-CoM subspace (see Particles).
func (f *NetField) comCorrection(out, yn *autodiff.Node) (float64, error) {
	n, d := f.Dim(), f.SpatialDim
	if f.ones == nil {
		for k := range d {
			t := tensor.Zeros(1, n)
			for i := k; i < n; i += d {
				t.Data[i] = 1
			}
			f.ones = append(f.ones, t)
		}
	}
	var c float64
	for _, e := range f.ones {
		gs, err := autodiff.VJP(out, f.g.Const(e), []*autodiff.Node{yn}, false)
		if err != nil {
			return 0, err
		}
		gd := gs[0].Value().Contiguous().Data
		for i := range e.Data {
			c += gd[i] * e.Data[i]
		}
	}
	return c / float64(f.Particles), nil
}

// VelocityDiv implements flow.DivField: v = v_θ(y, s) and div_y v, exact
// (the network's analytic model.DivergenceNet form when it has one, else
// autodiff.Divergence: n reverse sweeps of one forward pass) or by
// Hutchinson with the probes set by SetProbes.
func (f *NetField) VelocityDiv(s float64, y, v []float64) (float64, error) {
	if dn, ok := f.Net.(model.DivergenceNet); ok && f.Method == DivExact && !f.NoAnalytic {
		f.g.Reset()
		copy(f.y.Data, y)
		f.s.Data[0] = s
		var out, div *autodiff.Node
		var have bool
		if err := tensor.Catch(func() {
			out, div, have = dn.ForwardDivergence(f.g, model.Bind(f.g, f.Net), f.g.Const(f.y), f.g.Const(f.s))
		}); err != nil {
			return 0, err
		}
		if have {
			f.copyVelocity(v, out)
			return div.Value().Contiguous().Data[0], nil
		}
	}
	out, yn, err := f.forward(s, y)
	if err != nil {
		return 0, err
	}
	f.copyVelocity(v, out)
	var d *tensor.Tensor
	if f.Method == DivHutchinson {
		if len(f.probeT) == 0 {
			return 0, fmt.Errorf("train: Hutchinson divergence without probes (call SetProbes)")
		}
		d, err = autodiff.Hutchinson(out, yn, f.probeT, true)
	} else {
		d, err = autodiff.Divergence(out, yn, true)
		if err == nil && f.Particles > 0 {
			var c float64
			if c, err = f.comCorrection(out, yn); err == nil {
				return d.Data[0] - c, nil
			}
		}
	}
	if err != nil {
		return 0, err
	}
	return d.Data[0], nil
}

// ExactMaxDim is the largest dimension for which NLL computes the exact
// divergence by default (issue 7: exact for n ≤ 100, Hutchinson for images).
const ExactMaxDim = 100

// NLLOptions configures NLL.
type NLLOptions struct {
	// RTol and ATol of Dormand–Prince (the paper: 1e-2 both).
	RTol, ATol float64
	// Method is DivExact or DivHutchinson; "" chooses exact for n ≤
	// ExactMaxDim and Hutchinson above (images; HIFM-MATH §6). Probes is the number
	// of Rademacher probes per solve (default 1), drawn from (Seed, sample
	// index) so that the result does not depend on the worker count.
	Method string
	Probes int
	Seed   uint64
	// Workers solves test samples in parallel (≤ 0: GOMAXPROCS).
	Workers int
	// MaxSteps bounds the rk45 step attempts per sample (0: rk45's default).
	MaxSteps int
	// Offset is the index of xs[0] in the whole test set when NLL gets a
	// shard of it: sample i draws its probes from (Seed, Offset+i) and is
	// named Offset+i in errors, so that shards merged with MergeNLL give
	// the unsharded result bit for bit.
	Offset int
}

// NLLResult holds the negative log-likelihoods of a test set.
type NLLResult struct {
	// NLL[i] = −log p_1(x_i) in nats, normalised (the base's constant
	// included; for particles the density on the zero-CoM subspace,
	// HIFM-MATH §4, §6).
	NLL []float64
	NFE []int
	// Base[i] is the base point y(T0) the backward solve of sample i
	// reached (nil for a failed solve): NLL[i] = −(log p_0(Base[i]) + ∫ div).
	Base [][]float64
	// Mean and SE are the mean NLL and its standard error; MeanNFE the mean NFE.
	Mean, SE, MeanNFE float64
	// LogNormalizer is ½(N−1)d·ln(2πσ_0²) for particle data (0 otherwise):
	// bgflow's mean-free prior drops it, so its NLL is Mean − LogNormalizer.
	LogNormalizer float64
	// Dim is the density's dimension: (N−1)d for particles, else n.
	Dim int
	// Method is the divergence method used.
	Method string
	// Failed lists the test samples whose solve failed (NLL[i] is NaN,
	// excluded from Mean); FirstError is the first of their errors.
	Failed     []int
	FirstError error
}

// BgflowMean is the mean NLL in bgflow's convention (no normalising
// constant of the mean-free prior, §6).
func (r *NLLResult) BgflowMean() float64 { return r.Mean - r.LogNormalizer }

// BitsPerDim converts the mean NLL of data with pixel width w (1/256 for
// 8-bit data scaled to [0, 1]) to bits per dimension of the discrete data:
// (NLL − n ln w)/(n ln 2).
func (r *NLLResult) BitsPerDim(w float64) float64 {
	n := float64(r.Dim)
	return (r.Mean - n*math.Log(w)) / (n * math.Ln2)
}

// NLL evaluates −log p_1(x) of the trained network for every test point by
// integrating the augmented ODE d/ds [y, ℓ] = [v_θ, div v_θ] from T1 back to
// T0 (HIFM-MATH §6; Interval gives [T0, T1]) with rk45, one independent
// solve per point, on Workers goroutines. Every result is the same for any
// worker count. A solve that fails (the learned field diverging, too many
// steps) is listed in Failed and left out of the mean; if all fail NLL
// returns an error. A cancelled ctx stops the solves with ctx.Err().
func NLL(ctx context.Context, net model.Net, cfg Config, xs [][]float64, opt NLLOptions) (*NLLResult, error) {
	return nll(ctx, net, cfg, xs, opt, false)
}

// nll is NLL; noAnalytic forces reverse sweeps (benchmarks, cross-checks).
func nll(ctx context.Context, net model.Net, cfg Config, xs [][]float64, opt NLLOptions, noAnalytic bool) (*NLLResult, error) {
	cfg = cfg.withDefaults()
	base, err := cfg.Base()
	if err != nil {
		return nil, err
	}
	t0, t1, err := Interval(cfg.Flow)
	if err != nil {
		return nil, err
	}
	if opt.RTol == 0 && opt.ATol == 0 {
		opt.RTol, opt.ATol = 1e-2, 1e-2
	}
	if opt.Probes <= 0 {
		opt.Probes = 1
	}
	n := net.Dim()
	if len(xs) == 0 {
		return nil, fmt.Errorf("train: NLL of an empty test set")
	}
	y0s := make([][]float64, len(xs))
	for i, x := range xs {
		if len(x) != n {
			return nil, fmt.Errorf("train: test sample %d has length %d, the network dimension %d", i, len(x), n)
		}
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("train: test sample %d, coordinate %d is %v", i, j, v)
			}
		}
		y0s[i] = append(append(make([]float64, 0, n+1), x...), 0)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(xs))
	if opt.Method == "" {
		opt.Method = DivExact
		if n > ExactMaxDim {
			opt.Method = DivHutchinson
		}
	}
	fields := make([]*NetField, workers)
	for w := range fields {
		if fields[w], err = NewNetField(net, opt.Method); err != nil {
			return nil, err
		}
		fields[w].NoAnalytic = noAnalytic
		fields[w].Particles, fields[w].SpatialDim = cfg.Particles, cfg.SpatialDim
	}
	current := make([]int, workers) // problem whose probes worker w holds
	for w := range current {
		current[w] = -1
	}
	hutch := fields[0].Method == DivHutchinson
	solver := rk45.Options{RTol: opt.RTol, ATol: opt.ATol, MaxSteps: opt.MaxSteps}
	res := make([]*rk45.Result, len(xs))
	errs := make([]error, len(xs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(f *NetField) {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(xs) {
					return
				}
				if hutch {
					f.SetProbes(rand.New(rand.NewPCG(splitmix.Mix2(opt.Seed, 0x70726f6265), uint64(opt.Offset+i))), opt.Probes, cfg.Particles, cfg.SpatialDim)
				}
				res[i], errs[i] = rk45.Solve(func(s float64, y, dy []float64) error {
					if err := ctx.Err(); err != nil {
						return err
					}
					div, err := f.VelocityDiv(s, y[:n], dy[:n])
					dy[n] = div
					return err
				}, t1, t0, y0s[i], solver)
			}
		}(fields[w])
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &NLLResult{NLL: make([]float64, len(xs)), NFE: make([]int, len(xs)), Base: make([][]float64, len(xs)), Dim: n, Method: opt.Method}
	if zb, ok := base.(flow.ZeroCOMBase); ok {
		out.LogNormalizer = zb.LogNormalizer()
		out.Dim = zb.SubspaceDim()
	}
	for i := range res {
		if errs[i] != nil {
			// A diverging solve (e.g. a field that blows up in finite
			// time) is reported, not averaged in.
			out.NLL[i] = math.NaN()
			if out.FirstError == nil {
				out.FirstError = fmt.Errorf("test sample %d: %w", opt.Offset+i, errs[i])
			}
			if res[i] != nil {
				out.NFE[i] = res[i].NFE
			}
			continue
		}
		logp := base.LogDensity(res[i].Y[:n]) + res[i].Y[n]
		out.Base[i] = append([]float64(nil), res[i].Y[:n]...)
		out.NLL[i] = -logp
		out.NFE[i] = res[i].NFE
		if math.IsNaN(logp) && out.FirstError == nil {
			out.FirstError = fmt.Errorf("test sample %d: the log-density is NaN", opt.Offset+i)
		}
	}
	if err := out.summarize(); err != nil {
		return nil, err
	}
	return out, nil
}

// summarize sets Failed, Mean, SE and MeanNFE from NLL and NFE (a NaN NLL
// is a failed solve, left out).
func (out *NLLResult) summarize() error {
	out.Failed, out.Mean, out.MeanNFE, out.SE = nil, 0, 0, 0
	var ok int
	for i, v := range out.NLL {
		if math.IsNaN(v) {
			out.Failed = append(out.Failed, i)
			continue
		}
		out.Mean += v
		out.MeanNFE += float64(out.NFE[i])
		ok++
	}
	if ok == 0 {
		return fmt.Errorf("train: every likelihood solve failed; first: %w", out.FirstError)
	}
	m := float64(ok)
	out.Mean /= m
	out.MeanNFE /= m
	if ok > 1 {
		var ss float64
		for _, v := range out.NLL {
			if !math.IsNaN(v) {
				ss += (v - out.Mean) * (v - out.Mean)
			}
		}
		out.SE = math.Sqrt(ss / (m - 1) / m)
	}
	return nil
}

// MergeNLL joins the results of consecutive shards of a test set (NLL
// with Offset 0, len(parts[0].NLL), …) into the result of the whole, with
// the same Mean, SE and MeanNFE bits as one NLL call on it. The parts
// must agree on Dim, Method and LogNormalizer.
func MergeNLL(parts ...*NLLResult) (*NLLResult, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("train: MergeNLL of nothing")
	}
	p0 := parts[0]
	out := &NLLResult{Dim: p0.Dim, Method: p0.Method, LogNormalizer: p0.LogNormalizer}
	for k, p := range parts {
		if p.Dim != p0.Dim || p.Method != p0.Method || p.LogNormalizer != p0.LogNormalizer {
			return nil, fmt.Errorf("train: MergeNLL: part %d (dim %d, %s) differs from part 0 (dim %d, %s)", k, p.Dim, p.Method, p0.Dim, p0.Method)
		}
		if len(p.NFE) != len(p.NLL) {
			return nil, fmt.Errorf("train: MergeNLL: part %d has %d NLL values and %d NFE", k, len(p.NLL), len(p.NFE))
		}
		if out.FirstError == nil {
			out.FirstError = p.FirstError
		}
		if p.Base != nil && len(p.Base) != len(p.NLL) {
			return nil, fmt.Errorf("train: MergeNLL: part %d has %d NLL values and %d base points", k, len(p.NLL), len(p.Base))
		}
		out.NLL = append(out.NLL, p.NLL...)
		out.NFE = append(out.NFE, p.NFE...)
		if p.Base != nil {
			out.Base = append(out.Base, p.Base...)
		} else {
			out.Base = append(out.Base, make([][]float64, len(p.NLL))...)
		}
	}
	if err := out.summarize(); err != nil {
		return nil, err
	}
	return out, nil
}

// SampleOptions configures Sample.
type SampleOptions struct {
	RTol, ATol float64 // default 1e-2 both, as the likelihood
	Seed       uint64
	Workers    int
	MaxSteps   int
}

// Sample draws n samples by integrating v_θ forward from base draws over
// Interval (HIFM-MATH §6). Base draw i comes from the PCG stream (Seed, i),
// so the samples do not depend on the worker count. It returns the samples
// (n×Dim, row-major) and the NFE of each solve.
func Sample(ctx context.Context, net model.Net, cfg Config, count int, opt SampleOptions) ([]float64, []int, error) {
	cfg = cfg.withDefaults()
	base, err := cfg.Base()
	if err != nil {
		return nil, nil, err
	}
	t0, t1, err := Interval(cfg.Flow)
	if err != nil {
		return nil, nil, err
	}
	if count < 1 {
		return nil, nil, fmt.Errorf("train: sample count %d < 1", count)
	}
	if opt.RTol == 0 && opt.ATol == 0 {
		opt.RTol, opt.ATol = 1e-2, 1e-2
	}
	n := net.Dim()
	y0s := make([][]float64, count)
	for i := range y0s {
		y0s[i] = make([]float64, n)
		base.Sample(rand.New(rand.NewPCG(splitmix.Mix2(opt.Seed, 0x73616d706c65), uint64(i))), y0s[i])
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, count)
	fields := make([]*NetField, workers)
	for w := range fields {
		if fields[w], err = NewNetField(net, DivExact); err != nil {
			return nil, nil, err
		}
		fields[w].Particles, fields[w].SpatialDim = cfg.Particles, cfg.SpatialDim
	}
	res, err := rk45.SolveBatch(func(w, _ int, s float64, y, dy []float64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fields[w].Velocity(s, y, dy)
	}, t0, t1, y0s, rk45.Options{RTol: opt.RTol, ATol: opt.ATol, MaxSteps: opt.MaxSteps}, workers)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("train: sampling solve: %w", err)
	}
	out := make([]float64, count*n)
	nfe := make([]int, count)
	for i := range res {
		copy(out[i*n:], res[i].Y)
		nfe[i] = res[i].NFE
	}
	return out, nfe, nil
}
