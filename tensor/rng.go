package tensor

import "math/rand/v2"

// NewRNG returns a seeded PCG generator: the one source of randomness in
// hifm, so that a seed reproduces a run bit for bit on every machine.
func NewRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// RandN returns a tensor of standard normal draws from rng.
func RandN(rng *rand.Rand, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = rng.NormFloat64()
	}
	return t
}

// RandU returns a tensor of uniform draws in [lo, hi) from rng.
func RandU(rng *rand.Rand, lo, hi float64, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*rng.Float64()
	}
	return t
}
