package eig

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Batch decomposes every n×n matrix in mats (each row-major, length n·n)
// on up to threads goroutines (threads ≤ 0: GOMAXPROCS) and returns the
// results, in dst[:len(mats)] when cap(dst) ≥ len(mats), reusing the
// slices of its Results (pass the previous result: repeated batches of the
// same size then allocate only the per-goroutine workspaces), else in a
// new slice (pass nil). Each matrix is decomposed exactly as Sym would,
// independently of which goroutine takes it, so the results are
// bit-identical for any thread count and GOMAXPROCS. On error the result
// of every matrix that succeeded is still filled in (failed ones are left
// empty) and the error, a *BatchError, names the lowest failing index.
func Batch(dst []Result, mats [][]float64, n int, opt *Options, threads int) ([]Result, error) {
	if dst == nil || cap(dst) < len(mats) {
		dst = make([]Result, len(mats))
	} else {
		dst = dst[:len(mats)]
	}
	return dst, batch(dst, mats, n, opt, threads)
}

// workspaces keeps the per-goroutine workspaces of Batch between calls.
var workspaces sync.Pool

// BatchError reports the lowest-index matrix of a batch that failed.
type BatchError struct {
	Index int   // index into mats
	Err   error // the error from that matrix
}

func (e *BatchError) Error() string { return fmt.Sprintf("eig: matrix %d: %v", e.Index, e.Err) }
func (e *BatchError) Unwrap() error { return e.Err }

func batch(dst []Result, mats [][]float64, n int, opt *Options, threads int) error {
	if n < 0 {
		return fmt.Errorf("%w: n = %d", ErrShape, n)
	}
	if _, _, _, err := opt.values(); err != nil {
		return err
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = max(1, min(threads, len(mats)))
	var (
		mu     sync.Mutex
		bad    = -1
		badErr error
	)
	// Matrices are handed out one at a time from a shared counter: which
	// goroutine decomposes a matrix does not affect its result.
	var next atomic.Int64
	work := func() {
		w, _ := workspaces.Get().(*Workspace)
		if w == nil || w.n != n {
			w = NewWorkspace(n)
		}
		defer workspaces.Put(w)
		for {
			i := int(next.Add(1) - 1)
			if i >= len(mats) {
				return
			}
			if err := w.Sym(&dst[i], mats[i], opt); err != nil {
				r := &dst[i]
				r.Values, r.Vectors, r.Sweeps, r.OffNorm = r.Values[:0], r.Vectors[:0], 0, 0
				mu.Lock()
				if bad < 0 || i < bad {
					bad, badErr = i, err
				}
				mu.Unlock()
			}
		}
	}
	if threads == 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range threads {
			wg.Go(work)
		}
		wg.Wait()
	}
	if bad >= 0 {
		return &BatchError{Index: bad, Err: badErr}
	}
	return nil
}
