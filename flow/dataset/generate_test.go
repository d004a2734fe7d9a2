package dataset

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/internal/com"
)

// Determinism: the same seed gives the same bits for 1, 2 and 3 threads,
// and a different seed gives different samples.
func TestGenerateDeterministic(t *testing.T) {
	opt := GenOptions{Chains: 5, BurnIn: 40, Thin: 3}
	var runs []*Set
	for _, th := range []int{1, 2, 3} {
		opt.Threads = th
		s, err := Generate(23, 42, opt)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, s)
	}
	for i := 1; i < len(runs); i++ {
		for k := range runs[0].Data {
			if math.Float64bits(runs[0].Data[k]) != math.Float64bits(runs[i].Data[k]) {
				t.Fatalf("threads run %d differs from threads 1 at value %d: %v vs %v", i, k, runs[i].Data[k], runs[0].Data[k])
			}
		}
	}
	other, err := Generate(23, 43, opt)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Equal(other.Data, runs[0].Data) {
		t.Error("seeds 42 and 43 gave identical samples")
	}
	// Every sample is mean-free and finite.
	for i := range runs[0].N {
		if c := com.Remove(append([]float64(nil), runs[0].Row(i)...), 3); c > 1e-13 {
			t.Errorf("sample %d has |COM| = %v", i, c)
		}
	}
}

// An exact target: with ε = 0 the energy is ½ Σ||y_i − ȳ||², a standard
// Gaussian on the 36-dimensional zero-COM subspace, so ½Σ||y_i||² ~ ½χ²₃₆ has
// mean 18 and SD √18 = 4.24. 4000 samples, thinned 5 trajectories of 10
// leapfrog steps ≈ 5 rad of harmonic motion apart, are practically
// independent: SE 0.067, and ±0.35 is 5 SE. This checks the HMC
// acceptance rule and the subspace projection without any data file.
func TestGenerateGaussianTarget(t *testing.T) {
	e := energy.NewLJ13()
	e.Epsilon = 0
	s, st, err := GenerateContext(t.Context(), 4000, 7, GenOptions{Energy: e, BurnIn: 200, Thin: 5, StepSize: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	m, sd, err := EnergyStats(s, e)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m-18) > 0.35 || math.Abs(sd-math.Sqrt(18)) > 0.4 {
		t.Errorf("Gaussian target: mean ½||y||² = %.3f (want 18 ± 0.35), SD %.3f (want 4.24 ± 0.4)", m, sd)
	}
	if st.AcceptRate < 0.6 || st.AcceptRate > 0.9 {
		t.Errorf("acceptance %.3f, want near the 0.75 target", st.AcceptRate)
	}
}

// Generated samples match the reference files (issue 8): mean §4.2 energy
// within 0.15 of the references' and pair-distance histogram TV ≤ 0.03.
//
// Why the tolerances hold: thinned samples of one chain are 20 trajectories
// apart, ≈ 1 integrated autocorrelation time of the energy (measured 19),
// and the SE from 16 per-chain means equals the i.i.d. SE (measured
// 0.021–0.026 vs 0.023 at 30 000 samples), so 20 000 samples are ≈ 20 000
// effective: SE(mean energy) = 4.05/√20000 = 0.029. Long runs (3 × 30 000
// samples, and 100 000 with seed 11: −16.944 ± 0.013) put the generator's
// mean at −16.95 ± 0.01; the two reference files give −16.969 and −17.047
// (± 0.041 each), pooled −17.008, so the expected gap is 0.06 and the 0.15
// tolerance is 3 SE beyond it. The histogram TV between the two
// reference files themselves is 0.004 and the generator's is ≈ 0.005, far
// under 0.03.
func TestGenerateMatchesReference(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 20 000-sample reference comparison")
	}
	train, test := referenceSets(t)
	ref := &Set{N: train.N + test.N, Dim: 39, Particles: 13, SpatialDim: 3,
		Data: append(append([]float64(nil), train.Data...), test.Data...)}
	refMean, err := MeanEnergy(ref)
	if err != nil {
		t.Fatal(err)
	}
	refHist, err := PairDistanceHistogram(ref, PairHistLo, PairHistHi, PairHistBins)
	if err != nil {
		t.Fatal(err)
	}
	s, st, err := GenerateContext(t.Context(), 20000, 1, GenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := MeanEnergy(s)
	if err != nil {
		t.Fatal(err)
	}
	h, err := PairDistanceHistogram(s, PairHistLo, PairHistHi, PairHistBins)
	if err != nil {
		t.Fatal(err)
	}
	tv, _ := TotalVariation(h, refHist)
	t.Logf("generated mean energy %.4f (reference %.4f), TV %.4f, acceptance %.3f", m, refMean, tv, st.AcceptRate)
	if math.Abs(m-refMean) > 0.15 {
		t.Errorf("mean energy %.4f, reference %.4f: differ by more than 0.15", m, refMean)
	}
	if tv > 0.03 {
		t.Errorf("pair-distance histogram TV = %.4f > 0.03", tv)
	}
}

func TestGenerateErrors(t *testing.T) {
	bad := map[string]GenOptions{
		"chains":   {Chains: -1},
		"burn-in":  {BurnIn: -2},
		"thin":     {Thin: -1},
		"step":     {StepSize: math.NaN()},
		"leapfrog": {Leapfrog: -3},
		"accept":   {TargetAccept: 1.5},
		"threads":  {Threads: -1},
		"energy":   {Energy: &energy.LJ13{Particles: 1, SpatialDim: 3, Rm: 1}},
	}
	for name, o := range bad {
		if _, err := Generate(4, 1, o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Generate(0, 1, GenOptions{}); err == nil {
		t.Error("n = 0: no error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := GenerateContext(ctx, 100, 1, GenOptions{BurnIn: 5000}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestGenerateProgress(t *testing.T) {
	var last, total int64
	calls := 0
	_, st, err := GenerateContext(t.Context(), 10, 1, GenOptions{Chains: 3, BurnIn: 300, Thin: 2, Threads: 2,
		Progress: func(d, tot int64) {
			if d <= last {
				t.Errorf("progress went from %d to %d", last, d)
			}
			last, total = d, tot
			calls++
		}})
	if err != nil {
		t.Fatal(err)
	}
	// Chains 0..2 keep 4, 3, 3 samples: 3·300 + 2·10 trajectories.
	if calls == 0 || last != 920 || total != 920 || st.Trajectories != 920 {
		t.Errorf("progress: %d calls, last %d/%d, stats %d; want final 920/920", calls, last, total, st.Trajectories)
	}
}

func BenchmarkHMCTrajectory(b *testing.B) {
	c := newChain(newTarget(SamplingLJ13()), 1, 0.024)
	c.step()
	b.ReportAllocs()
	for b.Loop() {
		c.step()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.leapfrog), "ns/grad")
}

// TestHMCNoAlloc: an HMC trajectory and a chain's run (burn-in with step
// adaptation, thinning, writing the kept states) allocate nothing: the
// chain owns every buffer.
func TestHMCNoAlloc(t *testing.T) {
	c := newChain(newTarget(SamplingLJ13()), 1, 0.024)
	c.step()
	if a := testing.AllocsPerRun(20, func() { c.step() }); a != 0 {
		t.Errorf("a trajectory allocates %v times", a)
	}
	o, err := (&GenOptions{BurnIn: 20, Thin: 2}).defaults()
	if err != nil {
		t.Fatal(err)
	}
	out := &Set{N: 3, Dim: 39, Data: make([]float64, 3*39)}
	var reported int64
	report := func(n int64) { reported += n }
	run := func() {
		if err := c.run(t.Context(), o, 0, 1, 3, out, report); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if a := testing.AllocsPerRun(5, run); a != 0 {
		t.Errorf("a chain's run allocates %v times", a)
	}
	if reported == 0 {
		t.Error("no progress reported")
	}
}
