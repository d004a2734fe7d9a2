package main

import (
	"fmt"
	"io"
	"math"

	"github.com/hifm-go/hifm/rk45"
	"github.com/hifm-go/hifm/tensor/npy"
)

// crosscheckRK45Result is the JSON written by `hifm crosscheck rk45`, with
// solve_ivp's names: final state, nfev, accepted steps and sol.t.
type crosscheckRK45Result struct {
	Y      []float64 `json:"y"`
	NFE    int       `json:"nfev"`
	NSteps int       `json:"nsteps"`
	T      []float64 `json:"t"`
}

func init() {
	register(&command{
		name:    "crosscheck rk45",
		summary: "integrate y' = A·y with rk45 for comparison with SciPy's RK45",
		run:     runCrosscheckRK45,
	})
}

func runCrosscheckRK45(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crosscheck rk45", `
Integrates the linear system y' = A·y from t0 to t1 (t1 < t0 integrates
backward) with package rk45, which makes the same steps as SciPy's
solve_ivp(lambda t, y: A @ y, (t0, t1), y0, method="RK45", rtol=R, atol=A),
and writes JSON {"y": final state, "nfev": evaluations, "nsteps": accepted
steps, "t": t0 and the accepted times (sol.t)} to -out or stdout.
A is an n×n float .npy, y0 a length-n .npy. A·y is summed in NumPy's
order, so on the reference machine the numbers agree with SciPy bit for bit.

examples:
  hifm crosscheck rk45 -A A.npy -y0 y0.npy -t0 0 -t1 3 -rtol 1e-6 -atol 1e-6
  hifm crosscheck rk45 -A A.npy -y0 y0.npy -t0 1 -t1 0 -rtol 1e-2 -atol 1e-2 -out res.json`, stderr)
	aPath := fs.String("A", "", "n×n matrix A (.npy, required)")
	y0Path := fs.String("y0", "", "initial state, length n (.npy, required)")
	t0 := fs.Float64("t0", 0, "initial time")
	t1 := fs.Float64("t1", 1, "final time")
	rtol := fs.Float64("rtol", 1e-3, "relative tolerance (SciPy's default 1e-3; raised to 100·eps if smaller)")
	atol := fs.Float64("atol", 1e-6, "absolute tolerance (SciPy's default 1e-6)")
	maxStep := fs.Float64("max-step", 0, "largest step (0: unbounded)")
	firstStep := fs.Float64("first-step", 0, "first step (0: automatic)")
	rule := fs.String("initial-step", "scipy1.10", `initial-step rule: "scipy1.10" or "clamped" (newer SciPy)`)
	out := fs.String("out", "", "write the JSON here instead of stdout")
	_ = fs.Bool("json", true, "output is always JSON (accepted for uniformity)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *aPath == "" || *y0Path == "" {
		return usageError("-A and -y0 are required")
	}
	opt := rk45.Options{RTol: *rtol, ATol: *atol, MaxStep: *maxStep, FirstStep: *firstStep, RecordTimes: true}
	switch *rule {
	case "scipy1.10":
		opt.InitialStep = rk45.InitialStepSciPy110
	case "clamped":
		opt.InitialStep = rk45.InitialStepClamped
	default:
		return usageError(`-initial-step must be "scipy1.10" or "clamped", got %q`, *rule)
	}
	for _, v := range []struct {
		name     string
		v        float64
		negative bool // allowed
	}{{"-t0", *t0, true}, {"-t1", *t1, true}, {"-rtol", *rtol, false}, {"-atol", *atol, false},
		{"-max-step", *maxStep, false}, {"-first-step", *firstStep, false}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) || (!v.negative && v.v < 0) {
			return usageError("%s must be a finite number (≥ 0 for tolerances and steps), got %v", v.name, v.v)
		}
	}

	a, err := npy.ReadFile(*aPath)
	if err != nil {
		return fmt.Errorf("reading -A: %w", err)
	}
	y0, err := npy.ReadFile(*y0Path)
	if err != nil {
		return fmt.Errorf("reading -y0: %w", err)
	}
	if len(a.Shape) != 2 || a.Shape[0] != a.Shape[1] {
		return fmt.Errorf("-A %s: shape %v, want a square n×n matrix", *aPath, a.Shape)
	}
	n := a.Shape[0]
	if len(y0.Shape) != 1 || y0.Shape[0] != n {
		return fmt.Errorf("-y0 %s: shape %v, want (%d,) to match A", *y0Path, y0.Shape, n)
	}
	for i, v := range a.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("-A %s: entry (%d, %d) is %v", *aPath, i/n, i%n, v)
		}
	}
	f := func(_ float64, y, dydt []float64) error {
		rk45.MatVecNumPy(a.Data, n, n, y, dydt)
		return nil
	}
	res, err := rk45.Solve(f, *t0, *t1, y0.Data, opt)
	if err != nil {
		return err
	}
	r := crosscheckRK45Result{Y: res.Y, NFE: res.NFE, NSteps: res.Accepted, T: res.Times}
	if *out == "" {
		return writeJSON(stdout, r)
	}
	_, err = writeJSONFile(*out, r)
	return err
}
