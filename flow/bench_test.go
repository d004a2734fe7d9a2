package flow

import (
	"math/rand/v2"
	"testing"

	"github.com/hifm-go/hifm/flow/energy"
)

func lj13Like(rng *rand.Rand) []float64 {
	y := make([]float64, 39)
	for i := range 13 {
		y[3*i] = 1.1*float64(i%3) + 0.1*rng.NormFloat64()
		y[3*i+1] = 1.1*float64((i/3)%3) + 0.1*rng.NormFloat64()
		y[3*i+2] = 1.1*float64(i/9) + 0.1*rng.NormFloat64()
	}
	RemoveCOM(y, 3)
	return y
}

// BenchmarkDrawLJ13: one HI-FM draw (y_s, u_s) for n = 39, O(n²).
func BenchmarkDrawLJ13(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	y1 := lj13Like(rng)
	f, _ := energy.NewFormation(y1, 13, 3, energy.CompleteGraph)
	h := make([]float64, 39*39)
	f.Hessian(y1, h)
	pl := Pipeline{Config: Default()}
	sp, err := pl.Spectrum(h, y1)
	if err != nil {
		b.Fatal(err)
	}
	p := NewHIFMPath(pl.Config)
	y0 := make([]float64, 39)
	ZeroCOMBase{13, 3, 1}.Sample(rng, y0)
	ys, us := make([]float64, 39), make([]float64, 39)
	b.ReportAllocs()
	c0, ok0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		p.Draw(ys, us, y0, y1, float64(i%1000)*1e-3, sp)
	}
	// CPU time of the process: less sensitive than wall time when other
	// processes share the cores (left out where the OS does not tell).
	if c1, ok := cpuTime(); ok && ok0 {
		b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(b.N), "cpu-ns/draw")
	}
}

// BenchmarkSpectrumLJ13: formation Hessian → Jacobi → pipeline for n = 39
// (the per-sample precompute of Algorithm 1).
func BenchmarkSpectrumLJ13(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	y1 := lj13Like(rng)
	f, _ := energy.NewFormation(y1, 13, 3, energy.CompleteGraph)
	h := make([]float64, 39*39)
	pl := Pipeline{Config: Default()}
	c0, ok0 := cpuTime()
	for b.Loop() {
		f.Hessian(y1, h)
		if _, err := pl.Spectrum(h, y1); err != nil {
			b.Fatal(err)
		}
	}
	if c1, ok := cpuTime(); ok && ok0 {
		b.ReportMetric(float64((c1-c0).Microseconds())/float64(b.N), "cpu-µs/sample")
	}
}
