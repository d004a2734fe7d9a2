package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hifm-go/hifm/tensor/kernels"
)

// benchGemmResult is the output of `hifm bench gemm --json`.
type benchGemmResult struct {
	N       int     `json:"n"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
	Kernels string  `json:"kernels"`
}

const benchGemmMaxN = 4096 // 3 matrices of 128 MiB each

func init() {
	register(&command{
		name:    "bench gemm",
		summary: "measure float64 GEMM speed (GFLOP/s) for n×n matrices",
		run:     runBenchGemm,
	})
}

func runBenchGemm(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench gemm", `
Times C = A·B for random n×n float64 matrices with the library's GEMM
(2n³ flops per product) and prints the median GFLOP/s of several timed runs
after a warm-up.

examples:
  hifm bench gemm -n 512 -threads 1
  hifm bench gemm -n 1024 -threads 2 --json`, stderr)
	n := fs.Int("n", 512, fmt.Sprintf("matrix size (1..%d)", benchGemmMaxN))
	threads := fs.Int("threads", 0, "GEMM goroutines (0: GOMAXPROCS)")
	runs := fs.Int("runs", 5, "timed runs; the median is reported (1..100)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > benchGemmMaxN {
		return usageError("-n must be in 1..%d, got %d", benchGemmMaxN, *n)
	}
	if *threads < 0 {
		return usageError("-threads must be >= 0, got %d", *threads)
	}
	if *runs < 1 || *runs > 100 {
		return usageError("-runs must be in 1..100, got %d", *runs)
	}
	defer kernels.SetThreads(kernels.SetThreads(*threads))
	res := benchGemmResult{N: *n, Threads: kernels.Threads(), Kernels: kernels.Name()}
	res.GFLOPS = benchGemm(*n, *runs)
	if *asJSON {
		return writeJSON(stdout, res)
	}
	_, err := fmt.Fprintf(stdout, "gemm n=%d threads=%d kernels=%s (%s): %.2f GFLOP/s (median of %d runs)\n",
		res.N, res.Threads, res.Kernels, kernels.GemmKernel(), res.GFLOPS, *runs)
	return err
}

// benchGemm returns the median GFLOP/s over runs timed runs, each repeating
// the product until it has taken at least 50 ms.
func benchGemm(n, runs int) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	a, b, c := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
	for i := range a {
		a[i], b[i] = 2*rng.Float64()-1, 2*rng.Float64()-1
	}
	product := func() { kernels.Gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n) }
	// Warm-up (page faults, pools, worker goroutines) and repetition count.
	reps := 1
	for {
		start := time.Now()
		for i := 0; i < reps; i++ {
			product()
		}
		if time.Since(start) >= 50*time.Millisecond {
			break
		}
		reps *= 2
	}
	flops := 2 * float64(n) * float64(n) * float64(n) * float64(reps)
	rates := make([]float64, runs)
	for r := range rates {
		start := time.Now()
		for i := 0; i < reps; i++ {
			product()
		}
		rates[r] = flops / time.Since(start).Seconds() / 1e9
	}
	slices.Sort(rates)
	if runs%2 == 1 {
		return rates[runs/2]
	}
	return (rates[runs/2-1] + rates[runs/2]) / 2
}
