package infer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/internal/splitmix"
	"github.com/hifm-go/hifm/rk45"
)

// ExactMaxDim is the largest dimension for which NLL computes the exact
// divergence by default (issue 7: exact for n ≤ 100, Hutchinson for images).
const ExactMaxDim = 100

// Options configures NLL and Sample. Method, Probes and Offset are the
// likelihood's; Sample ignores them.
type Options struct {
	// RTol and ATol of Dormand–Prince (the paper: 1e-2 both, also the
	// default when both are 0).
	RTol, ATol float64
	// Method is DivExact or DivHutchinson; "" chooses exact for n ≤
	// ExactMaxDim and Hutchinson above (images; HIFM-MATH §6). Probes is the number
	// of Rademacher probes per solve (default 1), drawn from (Seed, sample
	// index) so that the result does not depend on the worker count.
	Method string
	Probes int
	// Seed seeds the Hutchinson probes (NLL) or the base draws (Sample).
	Seed uint64
	// Workers solves test points or samples in parallel (≤ 0: GOMAXPROCS).
	Workers int
	// MaxSteps bounds the rk45 step attempts per solve (0: rk45's default).
	MaxSteps int
	// Offset is the index of xs[0] in the whole test set when NLL gets a
	// shard of it: sample i draws its probes from (Seed, Offset+i) and is
	// named Offset+i in errors, so that shards merged with MergeNLL give
	// the unsharded result bit for bit.
	Offset int

	// noAnalytic forces reverse sweeps (netField.noAnalytic): benchmarks
	// and cross-checks only (export_test.go).
	noAnalytic bool
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
// T0 (HIFM-MATH §6; Model.Interval gives [T0, T1]) with rk45, one independent
// solve per point, on Workers goroutines. Every result is the same for any
// worker count. A solve that fails (the learned field diverging, too many
// steps) is listed in Failed and left out of the mean; if all fail NLL
// returns an error. A cancelled ctx stops the solves with ctx.Err().
func NLL(ctx context.Context, m Model, xs [][]float64, opt Options) (*NLLResult, error) {
	base, t0, t1, err := m.setup()
	if err != nil {
		return nil, err
	}
	net := m.Net
	if opt.RTol == 0 && opt.ATol == 0 {
		opt.RTol, opt.ATol = 1e-2, 1e-2
	}
	if opt.Probes <= 0 {
		opt.Probes = 1
	}
	n := net.Dim()
	if len(xs) == 0 {
		return nil, fmt.Errorf("infer: NLL of an empty test set")
	}
	// The starting points [x, 0], the end points of the solves and the
	// base points of the result each live in one allocation: a solve
	// allocates nothing per sample.
	y0s, yEnd := make([][]float64, len(xs)), make([][]float64, len(xs))
	y0Flat, yEndFlat := make([]float64, len(xs)*(n+1)), make([]float64, len(xs)*(n+1))
	for i, x := range xs {
		if len(x) != n {
			return nil, fmt.Errorf("infer: test sample %d has length %d, the network dimension %d", i, len(x), n)
		}
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("infer: test sample %d, coordinate %d is %v", i, j, v)
			}
		}
		y0s[i] = y0Flat[i*(n+1) : (i+1)*(n+1) : (i+1)*(n+1)]
		copy(y0s[i], x) // y0s[i][n] = 0: ℓ(T1)
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
	fields := make([]*netField, workers)
	for w := range fields {
		if fields[w], err = newNetField(m, opt.Method); err != nil {
			return nil, err
		}
		fields[w].noAnalytic = opt.noAnalytic
	}
	current := make([]int, workers) // problem whose probes worker w holds
	for w := range current {
		current[w] = -1
	}
	hutch := fields[0].method == DivHutchinson
	solver := rk45.Options{RTol: opt.RTol, ATol: opt.ATol, MaxSteps: opt.MaxSteps}
	nfe := make([]int, len(xs))
	errs := make([]error, len(xs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(f *netField) {
			defer wg.Done()
			sv := newNLLSolver(ctx, f)
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(xs) {
					return
				}
				if hutch {
					sv.seedProbes(opt.Seed, uint64(opt.Offset+i), opt.Probes)
				}
				yEnd[i] = yEndFlat[i*(n+1) : (i+1)*(n+1) : (i+1)*(n+1)]
				nfe[i], errs[i] = sv.solve(yEnd[i], y0s[i], t1, t0, solver)
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
	baseFlat := make([]float64, len(xs)*n)
	for i := range yEnd {
		if errs[i] != nil {
			// A diverging solve (e.g. a field that blows up in finite
			// time) is reported, not averaged in.
			out.NLL[i] = math.NaN()
			if out.FirstError == nil {
				out.FirstError = fmt.Errorf("test sample %d: %w", opt.Offset+i, errs[i])
			}
			out.NFE[i] = nfe[i] // 0 if the solve did not start (rk45.Solve: no result)
			continue
		}
		logp := base.LogDensity(yEnd[i][:n]) + yEnd[i][n]
		out.Base[i] = baseFlat[i*n : (i+1)*n : (i+1)*n]
		copy(out.Base[i], yEnd[i][:n])
		out.NLL[i] = -logp
		out.NFE[i] = nfe[i]
		if math.IsNaN(logp) && out.FirstError == nil {
			out.FirstError = fmt.Errorf("test sample %d: the log-density is NaN", opt.Offset+i)
		}
	}
	if err := out.summarize(); err != nil {
		return nil, err
	}
	return out, nil
}

// nllSolver is one worker's state for the likelihood solves, reused by every
// test sample so that a solve allocates nothing once warm: the stepper
// (rk45.Solve would make one per sample), the right-hand side
// d/ds [y, ℓ] = [v_θ, div v_θ] and the probe RNG.
type nllSolver struct {
	f   *netField
	st  rk45.Stepper
	rhs rk45.Func
	pcg *rand.PCG
	rng *rand.Rand
}

func newNLLSolver(ctx context.Context, f *netField) *nllSolver {
	n := f.Dim()
	pcg := rand.NewPCG(0, 0)
	return &nllSolver{f: f, pcg: pcg, rng: rand.New(pcg), rhs: func(s float64, y, dy []float64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		div, err := f.VelocityDiv(s, y[:n], dy[:n])
		dy[n] = div
		return err
	}}
}

// seedProbes draws the Hutchinson probes of sample i from the PCG stream
// (seed, i) (Seed gives the state of a fresh rand.NewPCG).
func (sv *nllSolver) seedProbes(seed, i uint64, k int) {
	sv.pcg.Seed(splitmix.Mix2(seed, 0x70726f6265), i)
	sv.f.setProbes(sv.rng, k)
}

// solve is rk45.Solve of the augmented ODE from y0 at t0 to t1 without its
// allocations: Reset, step to the end. It writes the end point (the
// point reached, on failure) into yEnd and returns the NFE (0 when the
// solve did not start, where rk45.Solve returns no result).
func (sv *nllSolver) solve(yEnd, y0 []float64, t0, t1 float64, opt rk45.Options) (int, error) {
	st := &sv.st
	if err := st.Reset(sv.rhs, t0, t1, y0, opt); err != nil {
		return 0, err
	}
	var err error
	for !st.Done() {
		if err = st.Step(); err != nil {
			break
		}
	}
	copy(yEnd, st.Y())
	return st.NFE(), err
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
		return fmt.Errorf("infer: every likelihood solve failed; first: %w", out.FirstError)
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
		return nil, fmt.Errorf("infer: MergeNLL of nothing")
	}
	p0 := parts[0]
	out := &NLLResult{Dim: p0.Dim, Method: p0.Method, LogNormalizer: p0.LogNormalizer}
	for k, p := range parts {
		if p.Dim != p0.Dim || p.Method != p0.Method || p.LogNormalizer != p0.LogNormalizer {
			return nil, fmt.Errorf("infer: MergeNLL: part %d (dim %d, %s) differs from part 0 (dim %d, %s)", k, p.Dim, p.Method, p0.Dim, p0.Method)
		}
		if len(p.NFE) != len(p.NLL) {
			return nil, fmt.Errorf("infer: MergeNLL: part %d has %d NLL values and %d NFE", k, len(p.NLL), len(p.NFE))
		}
		if out.FirstError == nil {
			out.FirstError = p.FirstError
		}
		if p.Base != nil && len(p.Base) != len(p.NLL) {
			return nil, fmt.Errorf("infer: MergeNLL: part %d has %d NLL values and %d base points", k, len(p.NLL), len(p.Base))
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
