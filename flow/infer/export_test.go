package infer

import (
	"math/rand/v2"

	"github.com/hifm-go/hifm/model"
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
