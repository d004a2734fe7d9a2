package infer

import (
	"context"
	"math/rand/v2"

	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/rk45"
)

// Test hooks: the network field NLL and Sample use, and reverse-sweep
// divergences even for a network with an analytic one
// (model.DivergenceNet), to cross-check the two.

// NetField is the network field of NLL and Sample.
type NetField = netField

// NewNetField is newNetField for net with the given particle layout.
func NewNetField(net model.Net, method string, particles, spatialDim int) (*NetField, error) {
	return newNetField(Model{Net: net, Particles: particles, SpatialDim: spatialDim}, method)
}

// SetProbes is f.setProbes.
func SetProbes(f *NetField, rng *rand.Rand, k int) { f.setProbes(rng, k) }

// SetNoAnalytic makes f use autodiff.Divergence always.
func SetNoAnalytic(f *NetField) { f.noAnalytic = true }

// WithSweeps returns opt with reverse-sweep divergences when on.
func WithSweeps(opt Options, on bool) Options {
	opt.noAnalytic = on
	return opt
}

// NLLSolve returns one worker's likelihood solve of test point x with f
// (NLL's per-sample work, the state reused from call to call): from T1 = 1
// back to T0 = 0 at rtol = atol = 1e-2, with probes drawn for sample 0
// when f is Hutchinson's. It returns the NFE.
func NLLSolve(f *NetField, x []float64, probes int) func() (int, error) {
	sv := newNLLSolver(context.Background(), f)
	y0 := append(append([]float64(nil), x...), 0)
	yEnd := make([]float64, len(y0))
	return func() (int, error) {
		if f.method == DivHutchinson {
			sv.seedProbes(1, 0, probes)
		}
		return sv.solve(yEnd, y0, 1, 0, rk45.Options{RTol: 1e-2, ATol: 1e-2})
	}
}
