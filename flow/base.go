package flow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hifm-go/hifm/flow/internal/com"
)

// Base is the base distribution p_0 of a flow: it draws y0 and gives the
// log-density used by the likelihood (HIFM-MATH §6).
type Base interface {
	Dim() int
	// Sample fills y (length Dim) with a draw from p_0.
	Sample(rng *rand.Rand, y []float64)
	// LogDensity returns log p_0(y).
	LogDensity(y []float64) float64
}

// GaussianBase is N(0, σ_0² I) on R^n (the OT base, MNIST's base).
type GaussianBase struct {
	N      int
	Sigma0 float64
}

// Dim returns N.
func (b GaussianBase) Dim() int { return b.N }

// Sample draws y ~ N(0, σ_0² I).
func (b GaussianBase) Sample(rng *rand.Rand, y []float64) {
	mustLen("GaussianBase.Sample", y, b.N)
	for i := range y {
		y[i] = b.Sigma0 * rng.NormFloat64()
	}
}

// LogDensity returns −½||y||²/σ_0² − (n/2) ln(2πσ_0²).
func (b GaussianBase) LogDensity(y []float64) float64 {
	mustLen("GaussianBase.LogDensity", y, b.N)
	s2 := b.Sigma0 * b.Sigma0
	var q float64
	for _, x := range y {
		q += x * x
	}
	return -0.5*q/s2 - 0.5*float64(b.N)*math.Log(2*math.Pi*s2)
}

// ZeroCOMBase is the invariant base of particle systems (HIFM-MATH §4):
// N(0, σ_0² I) restricted to the zero-centre-of-mass subspace Σ_i y_i = 0
// of Particles particles in SpatialDim dimensions. Densities are over the
// (N−1)·d-dimensional subspace (36 for LJ13) and keep the normalising
// constant (the DEM convention; bgflow drops it, see LogNormalizer).
type ZeroCOMBase struct {
	Particles, SpatialDim int
	Sigma0                float64
}

// NewZeroCOMBase checks the sizes.
func NewZeroCOMBase(particles, dim int, sigma0 float64) (ZeroCOMBase, error) {
	if particles < 2 || dim < 1 || !finitePos(sigma0) {
		return ZeroCOMBase{}, fmt.Errorf("flow: zero-CoM base needs ≥ 2 particles, dim ≥ 1, σ_0 > 0; got %d, %d, %v", particles, dim, sigma0)
	}
	return ZeroCOMBase{Particles: particles, SpatialDim: dim, Sigma0: sigma0}, nil
}

// Dim returns Particles·SpatialDim (39 for LJ13), the ambient dimension.
func (b ZeroCOMBase) Dim() int { return b.Particles * b.SpatialDim }

// SubspaceDim returns (Particles − 1)·SpatialDim, the density's dimension.
func (b ZeroCOMBase) SubspaceDim() int { return (b.Particles - 1) * b.SpatialDim }

// Sample draws isotropically and subtracts the mean particle.
func (b ZeroCOMBase) Sample(rng *rand.Rand, y []float64) {
	mustLen("ZeroCOMBase.Sample", y, b.Dim())
	for i := range y {
		y[i] = b.Sigma0 * rng.NormFloat64()
	}
	RemoveCOM(y, b.SpatialDim)
}

// LogNormalizer returns ((N−1)d/2)·ln(2πσ_0²), the constant bgflow's
// mean-free prior drops (18·ln 2π ≈ 33.08 nats for LJ13, σ_0 = 1; §6).
func (b ZeroCOMBase) LogNormalizer() float64 {
	return 0.5 * float64(b.SubspaceDim()) * math.Log(2*math.Pi*b.Sigma0*b.Sigma0)
}

// LogDensity returns −½||P y||²/σ_0² − ((N−1)d/2) ln(2πσ_0²), where P
// removes the centre of mass (so y off the subspace is projected onto it).
func (b ZeroCOMBase) LogDensity(y []float64) float64 {
	mustLen("ZeroCOMBase.LogDensity", y, b.Dim())
	d := b.SpatialDim
	var mean [16]float64
	m := mean[:0]
	if d > len(mean) {
		m = make([]float64, 0, d)
	}
	m = m[:d]
	com.Mean(y, d, m)
	var q float64
	for i, x := range y {
		x -= m[i%d]
		q += x * x
	}
	return -0.5*q/(b.Sigma0*b.Sigma0) - b.LogNormalizer()
}

// RemoveCOM subtracts the mean particle from y (particles of dim coordinates).
func RemoveCOM(y []float64, dim int) { com.Remove(y, dim) }
