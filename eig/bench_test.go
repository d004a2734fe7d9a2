package eig

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// randSym returns a random symmetric n×n matrix with entries uniform in
// [-1, 1), from a fixed seed.
func randSym(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	a := make([]float64, n*n)
	for i := range n {
		for j := i; j < n; j++ {
			v := 2*r.Float64() - 1
			a[i*n+j], a[j*n+i] = v, v
		}
	}
	return a
}

// BenchmarkSym: one matrix at a time through a reused workspace, per
// method, at the orders HI-FM uses (LJ13: 39, alanine dipeptide: 66,
// LJ55: 165).
func BenchmarkSym(b *testing.B) {
	for _, n := range []int{13, 39, 66, 165} {
		for _, m := range []Method{Auto, Jacobi, Tridiagonal} {
			b.Run(fmt.Sprintf("n=%d/%v", n, m), func(b *testing.B) { benchSym(b, n, &Options{Method: m}) })
		}
	}
}

func benchSym(b *testing.B, n int, opt *Options) {
	{
		{
			const k = 16
			mats := make([][]float64, k)
			for i := range mats {
				mats[i] = randSym(n, uint64(i+1))
			}
			w := NewWorkspace(n)
			var res Result
			if err := w.Sym(&res, mats[0], opt); err != nil { // warm-up: res gets its slices
				b.Fatal(err)
			}
			sweeps := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := w.Sym(&res, mats[i%k], opt); err != nil {
					b.Fatal(err)
				}
				sweeps += res.Sweeps
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N), "us/matrix")
			b.ReportMetric(float64(sweeps)/float64(b.N), "sweeps")
		}
	}
}

// BenchmarkBatch: 10 000 random 39×39 matrices (the LJ13 Hessian size) on
// 1 and 2 goroutines; compare us/matrix between the two for the speed-up.
func BenchmarkBatch(b *testing.B) {
	const n, count = 39, 10000
	mats := make([][]float64, count)
	for i := range mats {
		mats[i] = randSym(n, uint64(i+1))
	}
	dst := make([]Result, count)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("n=%d/count=%d/threads=%d", n, count, threads), func(b *testing.B) {
			if _, err := Batch(dst, mats, n, nil, threads); err != nil { // warm-up: results allocated
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Batch(dst, mats, n, nil, threads); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*count), "us/matrix")
		})
	}
}
