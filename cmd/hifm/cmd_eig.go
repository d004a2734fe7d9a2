package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hifm-go/hifm/cmd/internal/repro"
	"github.com/hifm-go/hifm/eig"
	"github.com/hifm-go/hifm/tensor/kernels"
	"github.com/hifm-go/hifm/tensor/npy"
)

func init() {
	register(&command{
		name:    "bench eig",
		summary: "measure the eigensolver (µs per n×n symmetric matrix)",
		run:     runBenchEig,
	})
	register(&command{
		name:    "crosscheck eig",
		summary: "eigendecompose matrices from an .npy file into an .npz (values, vectors)",
		run:     runCrosscheckEig,
	})
}

// benchEigResult is the output of `hifm bench eig --json`.
type benchEigResult struct {
	N           int     `json:"n"`
	UsPerMatrix float64 `json:"us_per_matrix"` // median over runs
	BestUs      float64 `json:"best_us_per_matrix"`
	// CPUUs is the median process CPU time per matrix (-1 where
	// unavailable): steadier than wall time on a shared machine.
	CPUUs   float64 `json:"cpu_us_per_matrix"`
	Method  string  `json:"method"` // the -method flag
	Ran     string  `json:"ran"`    // methods that ran, e.g. "tridiagonal" (Auto resolves per matrix)
	Threads int     `json:"threads"`
	Count   int     `json:"count"`
	Runs    int     `json:"runs"`
	Sweeps  float64 `json:"sweeps"` // mean sweeps per matrix
	Kernels string  `json:"kernels"`
}

const (
	benchEigMaxN     = 1000
	benchEigMaxBytes = 1 << 31 // matrices plus results
)

func runBenchEig(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench eig", `
Times eig.Batch on count random symmetric n×n matrices (entries uniform
in [-1, 1), fixed seed) and prints the median time per matrix of several
timed runs after a warm-up, wall clock and process CPU time. count = 1
times one matrix at a time through a reused workspace. -method picks the
algorithm (auto: the default of eig.Sym). Compare with
testdata/peers/eig_numpy.py (numpy.linalg.eigh) in the same time window.

examples:
  hifm bench eig -n 39
  hifm bench eig -n 39 -count 2000 -threads 1 --json
  hifm bench eig -n 165 -method jacobi`, stderr)
	n := fs.Int("n", 39, fmt.Sprintf("matrix order (1..%d)", benchEigMaxN))
	count := fs.Int("count", 1, "matrices per batch (≥ 1)")
	threads := fs.Int("threads", 0, "goroutines for the batch (0: GOMAXPROCS)")
	runs := fs.Int("runs", 5, "timed runs; the median is reported (1..100)")
	methodName := fs.String("method", "auto", "algorithm: auto, jacobi or tridiagonal")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	method, err := eig.ParseMethod(*methodName)
	if err != nil {
		return usageError("-method: %v", err)
	}
	switch {
	case *n < 1 || *n > benchEigMaxN:
		return usageError("-n must be in 1..%d, got %d", benchEigMaxN, *n)
	case *count < 1:
		return usageError("-count must be >= 1, got %d", *count)
	case int64(*count)*int64(*n)*int64(*n)*16 > benchEigMaxBytes:
		return usageError("-count %d of %d×%d matrices needs more than %d GiB", *count, *n, *n, benchEigMaxBytes>>30)
	case *threads < 0:
		return usageError("-threads must be >= 0, got %d", *threads)
	case *runs < 1 || *runs > 100:
		return usageError("-runs must be in 1..100, got %d", *runs)
	}
	t := *threads
	if t == 0 {
		t = runtime.GOMAXPROCS(0)
	}
	res, err := benchEig(*n, *count, t, *runs, method)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	_, err = fmt.Fprintf(stdout, "eig n=%d count=%d threads=%d kernels=%s method=%s (ran %s): %.2f µs per matrix (median of %d runs, best %.2f; CPU %.2f), %.2f sweeps\n",
		res.N, res.Count, res.Threads, res.Kernels, res.Method, res.Ran, res.UsPerMatrix, res.Runs, res.BestUs, res.CPUUs, res.Sweeps)
	return err
}

func benchEig(n, count, threads, runs int, method eig.Method) (*benchEigResult, error) {
	opt := &eig.Options{Method: method}
	rng := rand.New(rand.NewPCG(39, 13))
	mats := make([][]float64, count)
	for k := range mats {
		a := make([]float64, n*n)
		for i := range n {
			for j := i; j < n; j++ {
				v := 2*rng.Float64() - 1
				a[i*n+j], a[j*n+i] = v, v
			}
		}
		mats[k] = a
	}
	dst := make([]eig.Result, count)
	var ws *eig.Workspace
	once := func() error {
		if count == 1 {
			return ws.Sym(&dst[0], mats[0], opt)
		}
		_, err := eig.Batch(dst, mats, n, opt, threads) // fills dst in place
		return err
	}
	if count == 1 {
		ws = eig.NewWorkspace(n)
	}
	// Warm-up, and enough repetitions for ≥ 50 ms per run.
	reps := 1
	for {
		start := time.Now()
		for range reps {
			if err := once(); err != nil {
				return nil, err
			}
		}
		if time.Since(start) >= 50*time.Millisecond {
			break
		}
		reps *= 2
	}
	us := make([]float64, runs)
	cpu := make([]float64, runs)
	for r := range us {
		start, c0 := time.Now(), processCPUSeconds()
		for range reps {
			if err := once(); err != nil {
				return nil, err
			}
		}
		us[r] = float64(time.Since(start).Nanoseconds()) / 1e3 / float64(reps*count)
		cpu[r] = -1
		if c1 := processCPUSeconds(); c0 >= 0 && c1 >= c0 {
			cpu[r] = (c1 - c0) * 1e6 / float64(reps*count)
		}
	}
	sweeps := 0
	var ran []string
	for i := range dst {
		sweeps += dst[i].Sweeps
		if m := dst[i].Method.String(); !slices.Contains(ran, m) {
			ran = append(ran, m)
		}
	}
	slices.Sort(ran)
	best := slices.Min(us)
	return &benchEigResult{
		N: n, UsPerMatrix: repro.Median(us), BestUs: best, CPUUs: repro.Median(cpu), Method: method.String(), Ran: strings.Join(ran, ","),
		Threads: min(threads, count), Count: count, Runs: runs,
		Sweeps: float64(sweeps) / float64(count), Kernels: kernels.Name(),
	}, nil
}

func runCrosscheckEig(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crosscheck eig", `
Reads one symmetric matrix (shape (n,n)) or a stack (shape (k,n,n)) from a
float32 or float64 .npy file, decomposes each with the eigensolver (-method:
auto picks tridiagonal QL for well-scaled matrices of order ≥ 10 and Jacobi
for graded or small ones; jacobi keeps relative accuracy everywhere), and writes an uncompressed .npz with two float64 arrays:

  values   (k,n)    eigenvalues, ascending
  vectors  (k,n,n)  vectors[i][:, j] is the unit eigenvector of values[i][j];
                    its largest-magnitude component is positive (on
                    near-ties, within 1e-8 relative, the first of them)

(k = 1 for a single (n,n) matrix.) Compare with numpy:
  w, v = numpy.linalg.eigh(A)   # then fix each column's sign the same way

examples:
  hifm crosscheck eig -in hessians.npy -out eig.npz
  hifm crosscheck eig -in A.npy -out out.npz -symtol 1e-6`, stderr)
	in := fs.String("in", "", "input .npy file (required)")
	out := fs.String("out", "", "output .npz file (required)")
	symTol := fs.Float64("symtol", 0, "accepted asymmetry |a_ij − a_ji| relative to max|a| (0: 1e-10; < 0: no check)")
	maxSweeps := fs.Int("max-sweeps", 0, "sweep limit per matrix (0: 60)")
	threads := fs.Int("threads", 0, "goroutines (0: GOMAXPROCS)")
	methodName := fs.String("method", "auto", "algorithm: auto, jacobi or tridiagonal")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	method, err := eig.ParseMethod(*methodName)
	if err != nil {
		return usageError("-method: %v", err)
	}
	switch {
	case *in == "":
		return usageError("-in is required")
	case *out == "":
		return usageError("-out is required")
	case *maxSweeps < 0:
		return usageError("-max-sweeps must be >= 0, got %d", *maxSweeps)
	case *threads < 0:
		return usageError("-threads must be >= 0, got %d", *threads)
	}
	arr, err := npy.ReadFile(*in)
	if err != nil {
		return err
	}
	var k, n int
	switch s := arr.Shape; {
	case len(s) == 2 && s[0] == s[1]:
		k, n = 1, s[0]
	case len(s) == 3 && s[1] == s[2]:
		k, n = s[0], s[1]
	default:
		return fmt.Errorf("%s: shape %v: want a square matrix (n,n) or a stack (k,n,n)", *in, arr.Shape)
	}
	if n == 0 {
		return fmt.Errorf("%s: shape %v: empty matrices", *in, arr.Shape)
	}
	mats := make([][]float64, k)
	for i := range mats {
		mats[i] = arr.Data[i*n*n : (i+1)*n*n : (i+1)*n*n]
	}
	opt := &eig.Options{SymTol: *symTol, MaxSweeps: *maxSweeps, Method: method}
	res, err := eig.Batch(nil, mats, n, opt, *threads)
	if err != nil {
		var be *eig.BatchError
		if errors.As(err, &be) {
			if len(arr.Shape) == 3 {
				return fmt.Errorf("%s: matrix [%d]: %w", *in, be.Index, be.Err)
			}
			return fmt.Errorf("%s: %w", *in, be.Err)
		}
		return fmt.Errorf("%s: %w", *in, err)
	}
	values := &npy.Array{Shape: []int{k, n}, Data: make([]float64, 0, k*n)}
	vectors := &npy.Array{Shape: []int{k, n, n}, Data: make([]float64, 0, k*n*n)}
	for i := range res {
		values.Data = append(values.Data, res[i].Values...)
		vectors.Data = append(vectors.Data, res[i].Vectors...)
	}
	if err := npy.WriteNPZ(*out, []string{"values", "vectors"}, map[string]*npy.Array{"values": values, "vectors": vectors}); err != nil {
		return err
	}
	var sweeps int
	for i := range res {
		sweeps += res[i].Sweeps
	}
	if printed, err := writeSidecar(stdout, *out+".json", map[string]any{
		"command": "crosscheck eig", "version": hifmBuildVersion(), "in": *in, "out": *out,
		"k": k, "n": n, "symtol": *symTol, "max_sweeps": *maxSweeps, "method": method.String(), "kernels": kernels.Name(),
		"mean_sweeps": float64(sweeps) / float64(k), "arrays": []string{"values", "vectors"},
	}, *asJSON); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s: values (%d,%d), vectors (%d,%d,%d); config %s.json\n", *out, k, n, k, n, n, *out)
	return err
}
