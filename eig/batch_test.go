package eig

import (
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBatchBitIdentical: Batch gives the same bits as Sym for every thread
// count and GOMAXPROCS (each matrix is decomposed independently).
func TestBatchBitIdentical(t *testing.T) {
	forMethods(t, testBatchBitIdentical)
}

func testBatchBitIdentical(t *testing.T, opt *Options) {
	n := 17
	mats := make([][]float64, 50)
	want := make([]Result, len(mats))
	for i := range mats {
		mats[i] = randSym(n, uint64(500+i))
		want[i] = *mustSym(t, mats[i], n, opt)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, threads := range []int{0, 1, 2, 3, 8, 100} {
			got, err := Batch(nil, mats, n, opt, threads)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("GOMAXPROCS=%d threads=%d differs from Sym:\n%s", procs, threads, d)
			}
		}
	}
	// Batch reuses dst without reallocating.
	dst, err := Batch(nil, mats, n, opt, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := &dst[3].Vectors[0]
	if got, err := Batch(dst, mats, n, opt, 2); err != nil || &got[0] != &dst[0] || &got[3].Vectors[0] != p {
		t.Errorf("Batch(dst) reallocated or failed: %v", err)
	}
}

func TestBatchErrors(t *testing.T) {
	n := 3
	good := randSym(n, 1)
	bad := randSym(n, 2)
	bad[4] = math.Inf(1)
	mats := [][]float64{good, good, bad, good, {1, 2}, good}
	res, err := Batch(nil, mats, n, nil, 3)
	var be *BatchError
	if !errors.As(err, &be) || be.Index != 2 || !errors.Is(err, ErrNotFinite) {
		t.Fatalf("got %v, want the error of matrix 2 (lowest failing index)", err)
	}
	if len(res[2].Values) != 0 || len(res[4].Values) != 0 || len(res[5].Values) != n {
		t.Errorf("failed results should be empty, good ones filled: %d %d %d", len(res[2].Values), len(res[4].Values), len(res[5].Values))
	}
	if _, err := Batch(nil, nil, 3, nil, 2); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	if got, err := Batch(make([]Result, 1), [][]float64{good, good}, n, nil, 1); err != nil || len(got) != 2 || len(got[1].Values) != n {
		t.Errorf("Batch with a short dst: %d results, %v; want a new slice of 2", len(got), err)
	}
	if _, err := Batch(nil, mats, n, &Options{Tol: -1}, 1); !errors.Is(err, ErrOption) {
		t.Errorf("bad options: got %v", err)
	}
}
