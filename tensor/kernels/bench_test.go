package kernels

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 2*rng.Float64() - 1
	}
	return s
}

// benchGemm reports GFLOP/s (2·m·n·k flops per call) for square n.
func benchGemm(b *testing.B, n, threads int, set kernelSet) {
	defer SetThreads(SetThreads(threads))
	rng := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice(rng, n*n), randSlice(rng, n*n), make([]float64, n*n)
	withSet(set, func() {
		Gemm(false, false, n, n, n, 1, a, n, bb, n, 0, c, n)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			Gemm(false, false, n, n, n, 1, a, n, bb, n, 0, c, n)
		}
		b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

func BenchmarkGemm(b *testing.B) {
	for _, n := range []int{64, 128, 256, 512, 1024} {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("n=%d/threads=%d", n, th), func(b *testing.B) { benchGemm(b, n, th, impl) })
		}
	}
}

func BenchmarkGemmGeneric(b *testing.B) {
	for _, n := range []int{64, 512} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchGemm(b, n, 1, generic) })
	}
}

// BenchmarkGemmNaive is the triple loop the generic path must beat 2×.
func BenchmarkGemmNaive(b *testing.B) {
	n := 512
	rng := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice(rng, n*n), randSlice(rng, n*n), make([]float64, n*n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		gemmNaive(false, false, n, n, n, 1, a, n, bb, n, 0, c, n)
	}
	b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemmShapes covers the project's typical small and skinny products.
func BenchmarkGemmShapes(b *testing.B) {
	for _, s := range []struct {
		m, n, k        int
		transA, transB bool
	}{
		{39, 64, 64, false, false}, {256, 64, 64, false, false}, {256, 64, 64, false, true},
		{64, 64, 256, true, false}, {16, 16, 16, false, false}, {1024, 8, 64, false, false},
		{4096, 64, 64, false, false},
	} {
		b.Run(fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v", s.m, s.n, s.k, s.transA, s.transB), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			a, bb, c := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n), make([]float64, s.m*s.n)
			lda, ldb := s.k, s.n
			if s.transA {
				lda = s.m
			}
			if s.transB {
				ldb = s.k
			}
			Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func benchLevel1(b *testing.B, bytesPerElem int, f func(set kernelSet, x, y []float64)) {
	seen := map[string]bool{}
	for _, set := range sets() {
		if seen[set.name] { // the AVX-512 variant differs only in GEMM
			continue
		}
		seen[set.name] = true
		for _, n := range []int{256, 4096, 65536} {
			b.Run(fmt.Sprintf("%s/n=%d", set.name, n), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				x, y := randSlice(rng, n), randSlice(rng, n)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					f(set, x, y)
				}
				b.ReportMetric(float64(bytesPerElem*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

var sink float64

// BenchmarkDot counts 16 bytes per element: read x and y.
func BenchmarkDot(b *testing.B) {
	benchLevel1(b, 16, func(set kernelSet, x, y []float64) { sink += set.dot(x, y) })
}

// BenchmarkAxpy counts 24 bytes per element: read x, read and write y.
func BenchmarkAxpy(b *testing.B) {
	benchLevel1(b, 24, func(set kernelSet, x, y []float64) { set.axpy(1e-9, x, y) })
}

// BenchmarkMicroKernel measures the 6×8 kernel alone on L1-resident packed
// data (kc = 256): the ceiling for the blocked GEMM.
func BenchmarkMicroKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const kc = gemmKC
	a, bb, c := randSlice(rng, kc*gemmMR), randSlice(rng, kc*gemmNRMax), make([]float64, gemmMR*gemmNRMax)
	for _, set := range sets() {
		b.Run(strings.ReplaceAll(set.gemmName, " ", "_"), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				set.gemm(kc, a, bb, c, set.nr, 1e-9, 1)
			}
			b.ReportMetric(2*gemmMR*float64(set.nr)*kc*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
