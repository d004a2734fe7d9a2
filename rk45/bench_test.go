package rk45

import (
	"math"
	"testing"
	"time"
)

// bench39 returns the 39-dimensional linear problem y' = S·y of the
// benchmarks (S·y in NumPy's order) and its y0: S = (A − Aᵀ)/2 for the
// golden matrix A of "linear39". S is skew-symmetric, so |y| stays 1-ish
// over millions of steps (a decaying system would reach subnormal numbers,
// whose arithmetic is 100× slower, and time those instead).
func bench39(b *testing.B) (Func, []float64, func() time.Duration) {
	g := loadSciPy(b)
	a := skew(g.Matrices["linear39"])
	var y0 []float64
	for _, c := range g.Cases {
		if c.Problem == "linear39" {
			y0 = c.Y0
			break
		}
	}
	n := len(a)
	flat := make([]float64, 0, n*n)
	for _, row := range a {
		flat = append(flat, row...)
	}
	f := func(_ float64, y, d []float64) error { MatVecNumPy(flat, n, n, y, d); return nil }
	// rhsCost times the right-hand side alone.
	rhsCost := func() time.Duration {
		y, d := append([]float64(nil), y0...), make([]float64, n)
		const reps = 20000
		start := time.Now()
		for i := 0; i < reps; i++ {
			_ = f(0, y, d)
			y[i%n] += d[0] * 1e-300 // keep the calls live
		}
		return time.Since(start) / reps
	}
	return f, y0, rhsCost
}

// BenchmarkStep39 measures one accepted RK45 step on the 39-dimensional
// linear system (rtol = atol = 1e-6, as bench_scipy.py does for SciPy):
// ns per accepted step including the right-hand side, evaluations per
// step, the cost of one A·y (timed alone) and the difference, which is the
// integrator's overhead per step (noisy: a difference of two timings; see
// BenchmarkStepOverhead39 for a direct figure). Allocations: 0.
func BenchmarkStep39(b *testing.B) {
	f, y0, rhsCost := bench39(b)
	benchSteps(b, f, y0, rhsCost)
}

// BenchmarkStepOverhead39 is BenchmarkStep39 with a nearly free right-hand
// side of the same dimension, 19 independent rotations y' = ω·(y₂, −y₁)
// (ω in [0.3, 1.3]) and one constant, so ns/step is the integrator's own
// work per accepted step (stage sums, error norm, controller, FSAL copy,
// finiteness checks).
func BenchmarkStepOverhead39(b *testing.B) {
	_, y0, _ := bench39(b)
	n := len(y0)
	om := make([]float64, n)
	for i := range om {
		om[i] = 0.3 + float64(i)/float64(n)
	}
	f := func(_ float64, y, d []float64) error {
		for i := 0; i+1 < n; i += 2 {
			d[i], d[i+1] = om[i]*y[i+1], -om[i]*y[i]
		}
		d[n-1] = 0
		return nil
	}
	rhsCost := func() time.Duration {
		y, d := append([]float64(nil), y0...), make([]float64, len(y0))
		const reps = 100000
		start := time.Now()
		for i := 0; i < reps; i++ {
			_ = f(0, y, d)
		}
		return time.Since(start) / reps
	}
	benchSteps(b, f, y0, rhsCost)
}

func benchSteps(b *testing.B, f Func, y0 []float64, rhsCost func() time.Duration) {
	opt := Options{RTol: 1e-6, ATol: 1e-6, MaxSteps: math.MaxInt}
	s, err := NewStepper(f, 0, 1e9, y0, opt)
	if err != nil {
		b.Fatal(err)
	}
	rhs := float64(rhsCost().Nanoseconds())
	for i := 0; i < 100; i++ { // warm up past the transient
		if err := s.Step(); err != nil {
			b.Fatal(err)
		}
	}
	nfe0, att0 := s.NFE(), s.Accepted()+s.Rejected()
	b.ReportAllocs()
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s.Done() {
			b.Fatal("finished")
		}
		if err := s.Step(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if cpu1, ok := cpuTime(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/step")
	}
	perStep := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	evals := float64(s.NFE()-nfe0) / float64(b.N)
	attempts := float64(s.Accepted()+s.Rejected()-att0) / float64(b.N)
	b.ReportMetric(perStep, "ns/step")
	b.ReportMetric(evals, "nfe/step")
	b.ReportMetric(rhs, "rhs-ns/eval")
	b.ReportMetric(perStep-evals*rhs, "overhead-ns/step")
	b.ReportMetric((perStep-evals*rhs)/attempts, "overhead-ns/attempt")
}

// BenchmarkRHS39 is the cost of one evaluation of the right-hand side A·y.
func BenchmarkRHS39(b *testing.B) {
	f, y0, _ := bench39(b)
	y, d := append([]float64(nil), y0...), make([]float64, len(y0))
	b.ReportAllocs()
	b.ResetTimer() // not the loading of the golden file
	cpu0, cpuOK := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = f(0, y, d)
	}
	if cpu1, ok := cpuTime(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/eval")
	}
}

// BenchmarkSolveBatch39 solves 64 copies of the 39-dimensional problem
// (rtol = atol = 1e-2, the paper's likelihood tolerance) on GOMAXPROCS
// workers.
func BenchmarkSolveBatch39(b *testing.B) {
	f, y0, _ := bench39(b)
	y0s := make([][]float64, 64)
	for i := range y0s {
		y0s[i] = make([]float64, len(y0))
		for j := range y0 {
			y0s[i][j] = y0[j] * float64(1+i%7)
		}
	}
	bf := func(_, _ int, t float64, y, d []float64) error { return f(t, y, d) }
	opt := Options{RTol: 1e-2, ATol: 1e-2}
	b.ReportAllocs()
	b.ResetTimer() // not the loading of the golden file
	for i := 0; i < b.N; i++ {
		if _, err := SolveBatch(bf, 0, 3, y0s, opt, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(y0s)), "ns/problem")
}

// skew returns (A − Aᵀ)/2.
func skew(a [][]float64) [][]float64 {
	s := make([][]float64, len(a))
	for i := range a {
		s[i] = make([]float64, len(a))
		for j := range a {
			s[i][j] = (a[i][j] - a[j][i]) / 2
		}
	}
	return s
}
