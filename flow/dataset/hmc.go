package dataset

// The HMC sampler behind Generate: one chain per seed on the LJ13 energy
// (energy.LJ13.ValueGradFast) with its gradient projected onto the
// zero-centre-of-mass subspace. Nothing here knows about data sets except
// run, which writes a chain's kept states into the output rows.

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/internal/com"
	"github.com/hifm-go/hifm/flow/internal/splitmix"
	"github.com/hifm-go/hifm/tensor"
)

// chainSeed derives the seed of chain c from the master seed.
func chainSeed(seed uint64, c int) uint64 { return splitmix.Mix(seed ^ splitmix.Mix(uint64(c)+1)) }

// target evaluates E′ and its gradient projected to the zero-COM subspace.
type target struct {
	e          *energy.LJ13
	p, sd, dim int
	rm2        float64
}

func newTarget(e *energy.LJ13) *target {
	return &target{e: e, p: e.Particles, sd: e.SpatialDim, dim: e.Dim(), rm2: e.Rm * e.Rm}
}

// valueGrad returns E′(y) and sets g = ∇E′(y) with the COM component removed.
func (t *target) valueGrad(y, g []float64) float64 {
	v := t.e.ValueGradFast(y, g)
	com.Remove(g, t.sd)
	return v
}

// chain is one HMC chain with its buffers (nothing allocates per step).
type chain struct {
	t                 *target
	rng               *rand.Rand
	y, g, yp, gp, mom []float64
	E                 float64
	eps               float64
	leapfrog          int

	accepted, proposed int64 // kept-phase counts
}

func newChain(t *target, seed uint64, eps float64) *chain {
	d := t.dim
	buf := make([]float64, 5*d)
	c := &chain{t: t, rng: tensor.NewRNG(seed), eps: eps, leapfrog: DefaultLeapfrog,
		y: buf[:d], g: buf[d : 2*d], yp: buf[2*d : 3*d], gp: buf[3*d : 4*d], mom: buf[4*d:]}
	startConfig(c.y, t.p, t.sd, math.Sqrt(t.rm2), c.rng)
	c.E = t.valueGrad(c.y, c.g)
	return c
}

// startConfig writes a jittered compact cluster with nearest-neighbour
// distance ≈ rm and zero centre of mass.
func startConfig(y []float64, p, sd int, rm float64, rng *rand.Rand) {
	clear(y)
	if p == 13 && sd == 3 {
		// Icosahedron: centre particle plus the 12 vertices (0, ±1, ±φ) and
		// their cyclic permutations, scaled to distance rm from the centre.
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
	com.Remove(y, sd)
}

func pow(b, e int) int {
	r := 1
	for range e {
		r *= b
	}
	return r
}

// step makes one HMC trajectory and returns its acceptance probability.
func (c *chain) step() (prob float64, accepted bool) {
	t, mom := c.t, c.mom
	for i := range mom {
		mom[i] = c.rng.NormFloat64()
	}
	com.Remove(mom, t.sd)
	eps := c.eps * (0.9 + 0.2*c.rng.Float64())
	var k0 float64
	for i, x := range mom {
		k0 += x * x
		mom[i] = x - eps/2*c.g[i]
	}
	copy(c.yp, c.y)
	var ep float64
	for l := range c.leapfrog {
		for i, x := range mom {
			c.yp[i] += eps * x
		}
		ep = t.valueGrad(c.yp, c.gp)
		s := eps
		if l == c.leapfrog-1 {
			s = eps / 2
		}
		for i, x := range c.gp {
			mom[i] -= s * x
		}
	}
	var k1 float64
	for _, x := range mom {
		k1 += x * x
	}
	logA := c.E + k0/2 - ep - k1/2
	u := c.rng.Float64()
	if math.IsNaN(logA) {
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

// progressEvery is the number of trajectories between progress reports
// and cancellation checks of one chain.
const progressEvery = 256

// run burns in, then writes the chain's kept states to rows row, row+stride, ….
func (c *chain) run(ctx context.Context, o GenOptions, row, stride, count int, out *Set, report func(int64)) error {
	c.leapfrog = o.Leapfrog
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
	// Burn-in with Robbins–Monro adaptation of log ε: the gain 0.05 moves ε
	// by a few per cent per trajectory, enough to correct a 10× wrong start
	// within a few hundred trajectories, and the average over the last half
	// removes the remaining jitter.
	logEps := math.Log(c.eps)
	var sumLog float64
	var nSum int
	for k := range o.BurnIn {
		p, _ := c.step()
		logEps += 0.05 * (p - o.TargetAccept)
		c.eps = math.Exp(logEps)
		if k >= o.BurnIn/2 {
			sumLog += logEps
			nSum++
		}
		if err := tick(); err != nil {
			return err
		}
	}
	if nSum > 0 {
		c.eps = math.Exp(sumLog / float64(nSum))
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
		com.Remove(r, c.t.sd) // rounding drift only
	}
	if pending > 0 {
		report(pending)
	}
	return nil
}
