// Package dataset provides the data hifm trains on: the LJ13 reference
// configurations (loaded from .npy files, HIFM-MATH §4.2), an LJ13 generator
// (parallel HMC on the law of the reference files, see SamplingLJ13, so that
// hifm runs with no downloaded data), MNIST from the IDX files of the GoMNIST
// module, and the sample statistics used to compare sets (mean energy,
// pair-distance histograms, total variation).
package dataset

import (
	"fmt"
	"math/rand/v2"

	"github.com/hifm-go/hifm/flow/internal/com"
)

// Set is a data set of N samples of dimension Dim, row-major in Data
// (sample i is Data[i*Dim : (i+1)*Dim]).
type Set struct {
	N, Dim int
	Data   []float64

	// Particles and SpatialDim describe particle data (Dim = Particles·SpatialDim);
	// both are 0 for non-particle data such as MNIST.
	Particles, SpatialDim int

	// MaxCOM is the largest centre-of-mass norm found before recentring
	// (particle data only), Recentred reports whether it exceeded 1e-4,
	// i.e. whether the file was not mean-free to float32 rounding and the
	// loader changed the data noticeably.
	MaxCOM    float64
	Recentred bool

	// Labels holds one class label per sample for labelled data (MNIST digits).
	Labels []uint8
}

// Row returns sample i (a slice of Data, not a copy).
func (s *Set) Row(i int) []float64 { return s.Data[i*s.Dim : (i+1)*s.Dim] }

// Subset returns the first n samples (sharing Data).
func (s *Set) Subset(n int) (*Set, error) {
	if n < 0 || n > s.N {
		return nil, fmt.Errorf("dataset: subset of %d samples from a set of %d", n, s.N)
	}
	c := *s
	c.N = n
	c.Data = s.Data[:n*s.Dim]
	if s.Labels != nil {
		c.Labels = s.Labels[:n]
	}
	return &c, nil
}

// JitteredClusters returns n configurations of p particles in 3-D, each a
// small Gaussian jitter (σ = 0.1) of one random reference cluster (σ = 1.5),
// centre of mass removed: cheap particle data for tests and benchmarks whose
// cost does not depend on the values (not samples of any physical law).
func JitteredClusters(n, p int, seed uint64) *Set {
	rng := rand.New(rand.NewPCG(seed, 2))
	ref := make([]float64, 3*p)
	for i := range ref {
		ref[i] = 1.5 * rng.NormFloat64()
	}
	s := &Set{N: n, Dim: 3 * p, Data: make([]float64, n*3*p), Particles: p, SpatialDim: 3}
	for i := range n {
		y := s.Row(i)
		for j := range y {
			y[j] = ref[j] + 0.1*rng.NormFloat64()
		}
		com.Remove(y, 3)
	}
	return s
}
