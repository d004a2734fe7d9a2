package dataset

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor"
)

// GenOptions configures Generate. Zero fields take the defaults below.
// The output depends on the seed, Chains, BurnIn, Thin, StepSize,
// TargetAccept and Energy, never on Threads.
type GenOptions struct {
	// Chains is the number of independent MALA chains (default 16). Sample i
	// comes from chain i mod Chains, so any prefix of the output mixes all chains.
	Chains int
	// BurnIn is the number of MALA steps per chain before the first kept
	// sample (default 4000); the step size is adapted during burn-in only.
	BurnIn int
	// Thin is the number of MALA steps between kept samples (default 100).
	Thin int
	// StepSize is the initial MALA step h (default 2e-3).
	StepSize float64
	// TargetAccept is the acceptance rate the burn-in adaptation aims at
	// (default 0.574, optimal for MALA: Roberts & Rosenthal 1998).
	TargetAccept float64
	// Threads is the number of worker goroutines (default GOMAXPROCS).
	Threads int
	// Progress, when not nil, is called now and then with the number of MALA
	// steps done and the total; calls are serialised.
	Progress func(done, total int64)
	// Energy is the target (default energy.NewLJ13(), HIFM-MATH §4.2).
	Energy *energy.LJ13
}

// Default generator settings. BurnIn and Thin are chosen from the measured
// integrated autocorrelation time of the energy of MALA on LJ13 at the
// adapted step (see generate_test.go): a thinned sample is then close to
// independent of the previous one of its chain.
const (
	DefaultChains       = 16
	DefaultBurnIn       = 4000
	DefaultThin         = 100
	DefaultStepSize     = 2e-3
	DefaultTargetAccept = 0.574
)

// GenStats reports what a generator run did.
type GenStats struct {
	AcceptRate float64   // acceptance rate of the kept-phase steps over all chains
	StepSizes  []float64 // adapted MALA step size of each chain
	Steps      int64     // MALA steps taken in total (burn-in included)
}

func (o *GenOptions) defaults() (GenOptions, error) {
	r := *o
	if r.Chains == 0 {
		r.Chains = DefaultChains
	}
	if r.BurnIn == 0 {
		r.BurnIn = DefaultBurnIn
	}
	if r.Thin == 0 {
		r.Thin = DefaultThin
	}
	if r.StepSize == 0 {
		r.StepSize = DefaultStepSize
	}
	if r.TargetAccept == 0 {
		r.TargetAccept = DefaultTargetAccept
	}
	if r.Threads == 0 {
		r.Threads = runtime.GOMAXPROCS(0)
	}
	if r.Energy == nil {
		r.Energy = energy.NewLJ13()
	}
	switch {
	case r.Chains < 1:
		return r, fmt.Errorf("dataset: chains = %d, want ≥ 1", r.Chains)
	case r.BurnIn < 0:
		return r, fmt.Errorf("dataset: burn-in = %d, want ≥ 0", r.BurnIn)
	case r.Thin < 1:
		return r, fmt.Errorf("dataset: thin = %d, want ≥ 1", r.Thin)
	case !(r.StepSize > 0) || math.IsInf(r.StepSize, 0):
		return r, fmt.Errorf("dataset: step size = %v, want a finite value > 0", r.StepSize)
	case !(r.TargetAccept > 0 && r.TargetAccept < 1):
		return r, fmt.Errorf("dataset: target acceptance = %v, want in (0, 1)", r.TargetAccept)
	case r.Threads < 1:
		return r, fmt.Errorf("dataset: threads = %d, want ≥ 1", r.Threads)
	case r.Energy.Particles < 2 || r.Energy.SpatialDim < 1:
		return r, fmt.Errorf("dataset: energy with %d particles in %d dimensions", r.Energy.Particles, r.Energy.SpatialDim)
	}
	return r, nil
}

// Generate draws n configurations from the LJ13 target exp(−E) of
// HIFM-MATH §4.2 with parallel MALA; see GenerateContext.
func Generate(n int, seed uint64, opt GenOptions) (*Set, error) {
	s, _, err := GenerateContext(context.Background(), n, seed, opt)
	return s, err
}

// GenerateContext draws n configurations from exp(−E), E the LJ13 energy of
// HIFM-MATH §4.2, by the Metropolis-adjusted Langevin algorithm (MALA,
// Roberts & Tweedie 1996) on the zero-centre-of-mass subspace:
//
//	y' = y − h ∇E(y) + √(2h) ξ,   ξ ~ N(0, I) projected to Σ_i ξ_i = 0,
//	accept with min(1, exp(E(y) − E(y') + ||ξ||²/2 − ||y − y' + h∇E(y')||²/(4h))).
//
// E is translation invariant, so ∇E lies in the subspace (it is projected
// to remove rounding) and the chain never moves its centre of mass, which
// stays 0: every sample is mean-free.
//
// Each of opt.Chains chains starts from a jittered icosahedral cluster
// (centre particle plus 12 at distance r_m; other particle counts use a
// jittered cubic lattice of spacing r_m), adapts log h towards
// opt.TargetAccept during burn-in only (Robbins–Monro on the acceptance
// probability; h is then frozen at the mean log h of the last half of
// burn-in, so the kept phase is an exact MH chain) and keeps every
// opt.Thin-th state. Chain c uses its own PCG stream seeded from
// splitmix64(seed, c) and fills rows c, c+C, c+2C, …, so the result is
// bit-identical for any opt.Threads and GOMAXPROCS. A cancelled ctx stops
// the run with ctx.Err().
func GenerateContext(ctx context.Context, n int, seed uint64, opt GenOptions) (*Set, GenStats, error) {
	var st GenStats
	if n < 1 {
		return nil, st, fmt.Errorf("dataset: number of samples = %d, want ≥ 1", n)
	}
	o, err := opt.defaults()
	if err != nil {
		return nil, st, err
	}
	e := o.Energy
	dim := e.Dim()
	if n > math.MaxInt/dim {
		return nil, st, fmt.Errorf("dataset: %d samples of dimension %d overflow", n, dim)
	}
	out := &Set{N: n, Dim: dim, Data: make([]float64, n*dim), Particles: e.Particles, SpatialDim: e.SpatialDim}

	chains := min(o.Chains, n) // a chain with no samples would only burn time
	perChain := func(c int) int { return (n - c + chains - 1) / chains }
	var total int64
	for c := range chains {
		total += int64(o.BurnIn) + int64(o.Thin)*int64(perChain(c))
	}
	var done atomic.Int64
	var progMu sync.Mutex
	report := func(k int64) {
		d := done.Add(k)
		if o.Progress != nil {
			progMu.Lock()
			o.Progress(d, total)
			progMu.Unlock()
		}
	}

	accepts := make([]int64, chains)
	kept := make([]int64, chains)
	st.StepSizes = make([]float64, chains)
	errs := make([]error, chains)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(o.Threads, chains) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				ch := newChain(e, splitmix64(seed^splitmix64(uint64(c)+1)), o.StepSize)
				errs[c] = ch.run(ctx, o, c, chains, perChain(c), out, report)
				accepts[c], kept[c], st.StepSizes[c] = ch.accepted, ch.proposed, ch.h
			}
		}()
	}
	for c := range chains {
		next <- c
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, st, err
	}
	var a, k int64
	for c := range chains { // fixed order: the stats do not depend on scheduling
		a += accepts[c]
		k += kept[c]
	}
	if k > 0 {
		st.AcceptRate = float64(a) / float64(k)
	}
	st.Steps = total
	return out, st, nil
}

// chain is one MALA chain with its buffers (nothing allocates per step).
type chain struct {
	e                *energy.LJ13
	rng              *rand.Rand
	y, g, yp, gp, xi []float64
	E                float64
	h                float64

	accepted, proposed int64 // kept-phase counts
}

func newChain(e *energy.LJ13, seed uint64, h float64) *chain {
	d := e.Dim()
	buf := make([]float64, 5*d)
	c := &chain{e: e, rng: tensor.NewRNG(seed), h: h,
		y: buf[:d], g: buf[d : 2*d], yp: buf[2*d : 3*d], gp: buf[3*d : 4*d], xi: buf[4*d:]}
	startConfig(c.y, e.Particles, e.SpatialDim, e.Rm, c.rng)
	c.E = c.valueGrad(c.y, c.g)
	return c
}

// startConfig writes a jittered compact cluster with nearest-neighbour
// distance ≈ rm and zero centre of mass.
func startConfig(y []float64, p, sd int, rm float64, rng *rand.Rand) {
	clear(y)
	if p == 13 && sd == 3 {
		// Icosahedron: centre particle plus the 12 vertices (0, ±1, ±φ) and
		// cyclic permutations, scaled to distance rm from the centre.
		phi := (1 + math.Sqrt(5)) / 2
		sc := rm / math.Sqrt(1+phi*phi)
		i := 1
		for _, a := range []float64{-1, 1} {
			for _, b := range []float64{-phi, phi} {
				for perm := range 3 {
					v := [3]float64{0, a, b}
					for k := range 3 {
						y[i*3+k] = sc * v[(k+perm)%3]
					}
					i++
				}
			}
		}
	} else {
		side := 1
		for pow(side, sd) < p {
			side++
		}
		for i := range p {
			q := i
			for k := range sd {
				y[i*sd+k] = rm * float64(q%side)
				q /= side
			}
		}
	}
	for i := range y {
		y[i] += 0.05 * rm * rng.NormFloat64()
	}
	removeCOM(y, p, sd)
}

func pow(b, e int) int {
	r := 1
	for range e {
		r *= b
	}
	return r
}

// valueGrad returns E(y) and sets g = ∇E(y) projected to the zero-COM subspace.
func (c *chain) valueGrad(y, g []float64) float64 {
	v := c.e.ValueGrad(y, g)
	removeCOM(g, c.e.Particles, c.e.SpatialDim)
	return v
}

// step makes one MALA move and returns its acceptance probability.
func (c *chain) step() (prob float64, accepted bool) {
	h := c.h
	s := math.Sqrt(2 * h)
	for i := range c.xi {
		c.xi[i] = c.rng.NormFloat64()
	}
	removeCOM(c.xi, c.e.Particles, c.e.SpatialDim)
	var xi2 float64
	for i, x := range c.xi {
		xi2 += x * x
		c.yp[i] = c.y[i] - h*c.g[i] + s*x
	}
	ep := c.valueGrad(c.yp, c.gp)
	var back float64
	for i := range c.y {
		d := c.y[i] - c.yp[i] + h*c.gp[i]
		back += d * d
	}
	logA := c.E - ep + 0.5*xi2 - back/(4*h)
	u := c.rng.Float64()
	if math.IsNaN(logA) || math.IsInf(ep, 0) || math.IsNaN(ep) {
		return 0, false
	}
	prob = math.Exp(min(logA, 0))
	if u < prob {
		c.y, c.yp = c.yp, c.y
		c.g, c.gp = c.gp, c.g
		c.E = ep
		return prob, true
	}
	return prob, false
}

// progressEvery is the number of steps between progress reports and
// cancellation checks of one chain.
const progressEvery = 2048

// run burns in, then writes the chain's kept states to rows c, c+stride, ….
func (c *chain) run(ctx context.Context, o GenOptions, row, stride, count int, out *Set, report func(int64)) error {
	var pending int64
	tick := func() error {
		pending++
		if pending == progressEvery {
			report(pending)
			pending = 0
			return ctx.Err()
		}
		return nil
	}
	// Burn-in with Robbins–Monro adaptation of log h; the gain 0.05 moves h
	// by a few per cent per step, enough to correct a 10× wrong start within
	// a few hundred steps, while the average over the last half removes
	// the remaining jitter.
	logH := math.Log(c.h)
	var sumLogH float64
	var nSum int
	for k := range o.BurnIn {
		p, _ := c.step()
		logH += 0.05 * (p - o.TargetAccept)
		c.h = math.Exp(logH)
		if k >= o.BurnIn/2 {
			sumLogH += logH
			nSum++
		}
		if err := tick(); err != nil {
			return err
		}
	}
	if nSum > 0 {
		c.h = math.Exp(sumLogH / float64(nSum))
	}
	for i := range count {
		for range o.Thin {
			_, ok := c.step()
			c.proposed++
			if ok {
				c.accepted++
			}
			if err := tick(); err != nil {
				return err
			}
		}
		r := out.Row(row + i*stride)
		copy(r, c.y)
		removeCOM(r, c.e.Particles, c.e.SpatialDim) // rounding drift only
	}
	if pending > 0 {
		report(pending)
	}
	return nil
}
