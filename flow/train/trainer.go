package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/internal/splitmix"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/kernels"
)

// Trainer holds the state of one training run (Algorithm 1, HIFM-MATH §5):
// the network, the optimiser, the step counter and the per-sample spectrum
// cache. Create it with New (fresh) or Resume (from a checkpoint).
type Trainer struct {
	Cfg  Config
	Net  model.Net
	Opt  *model.AdamW
	Step int64 // optimiser steps done

	n       int
	data    [][]float64
	base    flow.Base
	path    flow.Path
	pipe    *flow.Pipeline
	spectra []*flow.Spectrum // formation Hessian cache (HI-FM); nil otherwise
	smax    float64

	chunks []*chunk
	grads  []*tensor.Tensor // summed gradient of the step
	graphs []*autodiff.Graph
	par    *parStep // the workers of a multi-worker step (made by the first)

	perm      []int // permutation of the current epoch
	permEpoch int64
	permPCG   *rand.PCG // reseeded per epoch
	permRNG   *rand.Rand
	all       []int // data indices of the current batch
}

// chunk is one fixed slice of the batch with its buffers and its partial
// gradient; it is processed by whichever worker takes it.
type chunk struct {
	lo, hi int // rows of the batch
	idx    []int
	s, tm  []float64
	y0     []float64
	ys, us []float64
	res    []float64
	spec   []*flow.Spectrum
	iso    []flow.Spectrum // per-row storage of isotropic spectra, reused every step
	yT, sT *tensor.Tensor  // views of ys and tm
	seedT  *tensor.Tensor  // cotangent 2 P(v − u)/B
	grads  []*tensor.Tensor
	loss   float64
	err    error
	pcg    *rand.PCG
	rng    *rand.Rand
	p      []*autodiff.Node // parameters bound in the current graph
	gs     []*autodiff.Node // their gradients (storage reused every step)
}

// parStep is the shared state of one multi-worker TrainStep: the calling
// goroutine and workers−1 helpers each take a graph, then chunks until none
// is left. It lives as long as the Trainer, with run made once, so that a
// step allocates nothing.
type parStep struct {
	k    int64        // the step being computed
	next atomic.Int64 // next chunk to take
	wid  atomic.Int64 // next graph to take
	wg   sync.WaitGroup
	run  func() // a helper's share: t.work(p), then wg.Done
}

// work takes the next graph and processes chunks until none is left.
func (t *Trainer) work(p *parStep) {
	g := t.graphs[p.wid.Add(1)-1]
	for {
		ci := int(p.next.Add(1)) - 1
		if ci >= len(t.chunks) {
			return
		}
		t.chunks[ci].err = t.gradChunk(g, p.k, ci, t.chunks[ci])
	}
}

// Helpers of multi-worker steps: persistent goroutines shared by every
// Trainer that take steps from a queue, so a step starts no goroutine (a
// go statement per step can allocate a goroutine descriptor). The caller
// works on its step too: a busy or full pool costs speed, never progress,
// and the result does not depend on who computes which chunk.
var (
	helperMu    sync.Mutex
	helperCount int
	helperQueue = make(chan *parStep, 64)
)

// startHelpers makes sure at least n helpers exist.
func startHelpers(n int) {
	helperMu.Lock()
	defer helperMu.Unlock()
	for helperCount < n {
		helperCount++
		go func() {
			for p := range helperQueue {
				p.run()
			}
		}()
	}
}

// New prepares a fresh run on the training set: the network initialised
// from cfg.Seed, AdamW with zero moments and, for the HI-FM path with the
// formation Hessian, the spectrum of every training sample computed once on
// workers goroutines (≤ 0: GOMAXPROCS; the result does not depend on it).
func New(cfg Config, set *dataset.Set, workers int) (*Trainer, error) {
	cfg = cfg.withDefaults()
	if cfg.Particles == 0 && set != nil && set.Particles > 0 {
		cfg.Particles, cfg.SpatialDim = set.Particles, set.SpatialDim
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	net, err := model.New(cfg.Net, splitmix.Mix2(cfg.Seed, 0x6e6574)) // "net"
	if err != nil {
		return nil, err
	}
	cfg.Net = net.Config()
	if set != nil {
		cfg.Data = fingerprint(set)
	}
	opt, err := model.NewAdamW(cfg.Optim, net.Params())
	if err != nil {
		return nil, err
	}
	return newTrainer(cfg, net, opt, 0, set, workers)
}

func newTrainer(cfg Config, net model.Net, opt *model.AdamW, step int64, set *dataset.Set, workers int) (*Trainer, error) {
	if set == nil || set.N == 0 {
		return nil, fmt.Errorf("train: no training data")
	}
	n := net.Dim()
	if set.Dim != n {
		return nil, fmt.Errorf("train: data have dimension %d, the network %d", set.Dim, n)
	}
	if cfg.Particles > 0 && set.Particles > 0 && (set.Particles != cfg.Particles || set.SpatialDim != cfg.SpatialDim) {
		return nil, fmt.Errorf("train: data have %d particles in %d-D, the config %d in %d-D", set.Particles, set.SpatialDim, cfg.Particles, cfg.SpatialDim)
	}
	base, err := cfg.Inference(net).Base()
	if err != nil {
		return nil, err
	}
	t := &Trainer{Cfg: cfg, Net: net, Opt: opt, Step: step, n: n, base: base, permEpoch: -1}
	t.data = make([][]float64, set.N)
	for i := range t.data {
		t.data[i] = set.Row(i)
		for j, x := range t.data[i] {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("train: data sample %d, coordinate %d is %v", i, j, x)
			}
		}
	}
	switch cfg.Flow.Kind {
	case flow.PathOT:
		t.path = flow.OTPath{SigmaMin: cfg.Flow.SigmaMin, Sigma0: cfg.Flow.Sigma0}
		t.smax = 1
	default:
		t.path = flow.NewHIFMPath(cfg.Flow)
		t.smax = cfg.Flow.SMax()
		t.pipe = &flow.Pipeline{Config: cfg.Flow}
		switch cfg.Hessian {
		case HessianFormation:
			if t.spectra, err = t.pipe.Spectra(t.data, energy.FormationHessian(cfg.Particles, cfg.SpatialDim), workers); err != nil {
				return nil, err
			}
		case HessianEnergy, HessianEnergyMin:
			hess, err := energy.ToyHessian(cfg.Energy, cfg.Hessian == HessianEnergyMin)
			if err != nil {
				return nil, err
			}
			if t.spectra, err = t.pipe.Spectra(t.data, hess, workers); err != nil {
				return nil, err
			}
		}
	}
	t.alloc()
	return t, nil
}

// fingerprint returns the DataID of set.
func fingerprint(set *dataset.Set) *DataID {
	h := sha256.New()
	var b [8]byte
	for _, x := range set.Data[:set.N*set.Dim] {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
		h.Write(b[:])
	}
	return &DataID{N: set.N, Dim: set.Dim, SHA256: hex.EncodeToString(h.Sum(nil))}
}

func (t *Trainer) alloc() {
	b, n := t.Cfg.Batch, t.n
	c := min(t.Cfg.Chunk, b)
	for lo := 0; lo < b; lo += c {
		hi := min(lo+c, b)
		m := hi - lo
		ch := &chunk{lo: lo, hi: hi, idx: make([]int, m), s: make([]float64, m), tm: make([]float64, m),
			y0: make([]float64, m*n), ys: make([]float64, m*n), us: make([]float64, m*n), res: make([]float64, m*n),
			spec: make([]*flow.Spectrum, m), iso: make([]flow.Spectrum, m)}
		ch.yT = tensor.FromSlice(ch.ys, m, n)
		ch.sT = tensor.FromSlice(ch.tm, m, 1)
		ch.seedT = tensor.FromSlice(ch.res, m, n)
		ch.pcg = rand.NewPCG(0, 0)
		ch.rng = rand.New(ch.pcg)
		ch.p = make([]*autodiff.Node, len(t.Net.Params()))
		for _, p := range t.Net.Params() {
			ch.grads = append(ch.grads, tensor.Zeros(p.Value.Shape...))
		}
		t.chunks = append(t.chunks, ch)
	}
	for _, p := range t.Net.Params() {
		t.grads = append(t.grads, tensor.Zeros(p.Value.Shape...))
	}
}

// batchIndices fills idx with the data indices of the batch of step k: the
// training set is visited in epochs, each a fresh permutation seeded by
// (Seed, epoch), and batch k takes positions [kB, (k+1)B) of their
// concatenation, so any step's batch is known without replaying earlier ones.
func (t *Trainer) batchIndices(k int64, idx []int) {
	N := int64(len(t.data))
	pos := k * int64(len(idx))
	for j := range idx {
		p := pos + int64(j)
		e := p / N
		if e != t.permEpoch {
			if t.perm == nil {
				t.perm = make([]int, N)
				t.permPCG = rand.NewPCG(0, 0)
				t.permRNG = rand.New(t.permPCG)
			}
			for i := range t.perm {
				t.perm[i] = i
			}
			t.permPCG.Seed(splitmix.Mix2(t.Cfg.Seed, 0x7065726d), uint64(e)) // "perm"
			t.permRNG.Shuffle(len(t.perm), func(a, b int) { t.perm[a], t.perm[b] = t.perm[b], t.perm[a] })
			t.permEpoch = e
		}
		idx[j] = t.perm[p%N]
	}
}

// Epoch returns the (fractional) number of passes over the training data
// after step optimiser steps.
func (t *Trainer) Epoch(step int64) float64 {
	return float64(step) * float64(t.Cfg.Batch) / float64(len(t.data))
}

// fill draws chunk ch of step k (Algorithm 1): y0 ~ p_0, then s ~ U[0, s_max]
// per sample (the order of flow.Sampler.Fill), y_s by F2 and u_s by F1, with
// randomness from the PCG stream of (Seed, k, chunk).
func (t *Trainer) fill(k int64, ci int, ch *chunk) error {
	n := t.n
	ch.pcg.Seed(splitmix.Mix2(t.Cfg.Seed, uint64(k)), splitmix.Mix2(uint64(ci), 0x6368756e6b)) // "chunk"
	rng := ch.rng
	fc := &t.Cfg.Flow
	for j, i := range ch.idx {
		y0 := ch.y0[j*n : (j+1)*n]
		t.base.Sample(rng, y0)
		s := rng.Float64() * t.smax
		y1 := t.data[i]
		var sp *flow.Spectrum
		if t.pipe != nil {
			if t.spectra != nil {
				sp = t.spectra[i]
			} else {
				// H = λI: O(n) per sample, rebuilt in place (no allocation).
				sp = &ch.iso[j]
				if err := t.pipe.IsotropicSpectrumInto(sp, t.Cfg.IsoLambda, y1); err != nil {
					return fmt.Errorf("sample %d: %w", i, err)
				}
			}
		}
		ch.spec[j] = sp
		ch.s[j], ch.tm[j] = s, s
		if sp != nil && fc.Scheme == flow.SchemeInfinite {
			ch.tm[j] = flow.Time(s, sp.Kappa)
		}
		t.path.Draw(ch.ys[j*n:(j+1)*n], ch.us[j*n:(j+1)*n], y0, y1, s, sp)
	}
	return nil
}

// gradChunk computes chunk ch's share of the loss, Σ_b ||P(v_θ − u)||²/B,
// and its gradient with respect to the parameters in graph g.
func (t *Trainer) gradChunk(g *autodiff.Graph, k int64, ci int, ch *chunk) error {
	if err := t.fill(k, ci, ch); err != nil {
		return err
	}
	g.Reset()
	project := t.Cfg.Flow.Project && t.Cfg.Flow.Kind == flow.PathHIFM
	loss, _, gs, err := chunkLoss(g, t.Net, ch.p, ch.yT, ch.sT, ch.seedT, ch.us, ch.spec, project, t.Cfg.Batch, nil, nil, ch.gs)
	if err != nil {
		return err
	}
	ch.loss, ch.gs = loss, gs
	for i, gt := range gs {
		tensor.Copy(ch.grads[i], gt.Value())
	}
	return nil
}

// StepInfo describes one finished optimiser step.
type StepInfo struct {
	Step     int64   // steps done (1 after the first)
	Epoch    float64 // passes over the training data
	Loss     float64 // batch loss before the update
	GradNorm float64 // global gradient norm before clipping
}

// TrainStep runs one step of Algorithm 1 on workers goroutines (≤ 0:
// GOMAXPROCS): chunks are handed out dynamically, their gradients summed in
// chunk order, then AdamW updates the parameters.
func (t *Trainer) TrainStep(workers int) (StepInfo, error) {
	k := t.Step
	if len(t.all) != t.Cfg.Batch {
		t.all = make([]int, t.Cfg.Batch)
	}
	all := t.all
	t.batchIndices(k, all)
	for _, ch := range t.chunks {
		copy(ch.idx, all[ch.lo:ch.hi])
		ch.err = nil
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(t.chunks))
	for len(t.graphs) < workers {
		t.graphs = append(t.graphs, autodiff.NewGraph())
	}
	if workers == 1 {
		for ci, ch := range t.chunks {
			ch.err = t.gradChunk(t.graphs[0], k, ci, ch)
		}
	} else {
		// The chunks already occupy every worker: GEMMs run single-threaded
		// inside them (no nested parallelism; results do not depend on it).
		prev := kernels.SetThreads(1)
		defer kernels.SetThreads(prev)
		p := t.par
		if p == nil {
			p = &parStep{}
			p.run = func() { t.work(p); p.wg.Done() }
			t.par = p
		}
		p.k = k
		p.next.Store(0)
		p.wid.Store(0)
		startHelpers(workers - 1)
		for range workers - 1 {
			p.wg.Add(1)
			select {
			case helperQueue <- p:
			default: // queue full: fewer hands, same result
				p.wg.Done()
			}
		}
		t.work(p)
		p.wg.Wait()
	}
	var loss float64
	for ci, ch := range t.chunks {
		if ch.err != nil {
			return StepInfo{}, fmt.Errorf("train: step %d, chunk %d: %w", k+1, ci, ch.err)
		}
		loss += ch.loss
	}
	// Fixed-order reduction: chunk 0 + chunk 1 + … whatever ran where.
	for i, gsum := range t.grads {
		tensor.Copy(gsum, t.chunks[0].grads[i])
		for _, ch := range t.chunks[1:] {
			tensor.Add(gsum, gsum, ch.grads[i])
		}
	}
	gn, err := t.Opt.Update(t.Net.Params(), t.grads)
	if err != nil {
		return StepInfo{}, fmt.Errorf("train: step %d (loss %v): %w", k+1, loss, err)
	}
	t.Step++
	return StepInfo{Step: t.Step, Epoch: t.Epoch(t.Step), Loss: loss, GradNorm: gn}, nil
}

// RunOptions controls a run without changing its result.
type RunOptions struct {
	// Workers is the number of goroutines (≤ 0: GOMAXPROCS).
	Workers int
	// CheckpointDir, when set, receives a checkpoint every CheckpointEvery
	// steps (0: only at the end), at the end and on cancellation.
	CheckpointDir   string
	CheckpointEvery int64
	// OnStep is called after every step.
	OnStep func(StepInfo)
	// EvalEvery > 0 calls Eval after every EvalEvery steps (and at the
	// end), e.g. to record test NLL against epoch (the paper's Fig. 4).
	EvalEvery int64
	Eval      func(ctx context.Context, t *Trainer, info StepInfo) error
}

// Result summarises a run.
type Result struct {
	Steps       int64   // steps done in total (including before a resume)
	Loss        float64 // loss of the last step (NaN if none ran)
	Interrupted bool    // ctx was cancelled; a checkpoint was written if CheckpointDir is set
	Checkpoint  string  // directory of the last checkpoint written ("" if none)
}

// Run trains until Cfg.Steps steps are done or ctx is cancelled. On
// cancellation it writes a checkpoint (when CheckpointDir is set) and
// returns the result with Interrupted set and a nil error.
func (t *Trainer) Run(ctx context.Context, opt RunOptions) (*Result, error) {
	res := &Result{Loss: math.NaN()}
	save := func() error {
		if opt.CheckpointDir == "" {
			return nil
		}
		if err := t.Save(opt.CheckpointDir); err != nil {
			return err
		}
		res.Checkpoint = opt.CheckpointDir
		return nil
	}
	for t.Step < t.Cfg.Steps {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		info, err := t.TrainStep(opt.Workers)
		if err != nil {
			res.Steps = t.Step
			return res, err
		}
		res.Loss = info.Loss
		if opt.OnStep != nil {
			opt.OnStep(info)
		}
		if opt.EvalEvery > 0 && opt.Eval != nil && (t.Step%opt.EvalEvery == 0 || t.Step == t.Cfg.Steps) {
			if err := opt.Eval(ctx, t, info); err != nil {
				res.Steps = t.Step
				return res, err
			}
		}
		if opt.CheckpointEvery > 0 && t.Step%opt.CheckpointEvery == 0 && t.Step < t.Cfg.Steps {
			if err := save(); err != nil {
				return res, err
			}
		}
	}
	res.Steps = t.Step
	if err := save(); err != nil {
		return res, err
	}
	return res, nil
}

// Train is New followed by Run: Algorithm 1 from scratch.
func Train(ctx context.Context, cfg Config, set *dataset.Set, opt RunOptions) (*Trainer, *Result, error) {
	t, err := New(cfg, set, opt.Workers)
	if err != nil {
		return nil, nil, err
	}
	res, err := t.Run(ctx, opt)
	return t, res, err
}
