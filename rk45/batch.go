package rk45

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// BatchFunc is the right-hand side of problem `problem` in SolveBatch,
// called from worker `worker` (0 ≤ worker < workers). Calls with different
// workers run concurrently; a worker's calls are sequential, so per-worker
// scratch memory needs no locking.
type BatchFunc func(worker, problem int, t float64, y, dydt []float64) error

// SolveBatch integrates len(y0s) independent problems y' = f(problem, t, y)
// from t0 to t1, each with its own step control, on `workers` goroutines
// (≤ 0: GOMAXPROCS). Each problem is solved start to finish by one worker,
// so every Result is the same as Solve's, whatever the worker count or
// scheduling. On failures it stops handing out problems and returns the
// error of the lowest-index failed problem (deterministic: every lower
// index was started before it and runs to completion); results of
// problems not run are zero.
func SolveBatch(f BatchFunc, t0, t1 float64, y0s [][]float64, opt Options, workers int) ([]Result, error) {
	if f == nil {
		return nil, fmt.Errorf("rk45: nil right-hand side")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(y0s)))
	res := make([]Result, len(y0s))
	errs := make([]error, len(y0s))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var s Stepper
			problem := 0
			fw := func(t float64, y, dydt []float64) error { return f(w, problem, t, y, dydt) }
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(y0s) {
					return
				}
				problem = i
				if err := s.Reset(fw, t0, t1, y0s[i], opt); err != nil {
					errs[i] = err
					failed.Store(true)
					continue
				}
				if err := drive(&res[i], &s, t0, opt); err != nil {
					errs[i] = err
					failed.Store(true)
				}
			}
		}(w)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return res, fmt.Errorf("rk45: problem %d: %w", i, err)
		}
	}
	return res, nil
}
