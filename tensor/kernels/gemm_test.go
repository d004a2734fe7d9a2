package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// withSet runs f with impl temporarily switched to set (tests in this
// package do not run in parallel).
func withSet(set kernelSet, f func()) {
	old := impl
	impl = set
	defer func() { impl = old }()
	f()
}

// gemmCase is a test problem with guarded storage: every matrix has 2
// columns of NaN padding on the right of each row (lda = cols+2) plus a
// NaN guard block before and after, so reads of padding poison the result
// and writes outside C's m×n cells are detected.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float64
	a, b, c        *guarded // c.s() is the whole strided C storage
	lda, ldb, ldc  int
}

func newGemmCase(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float64) *gemmCase {
	return newGemmCasePad(rng, transA, transB, m, n, k, alpha, beta, 2)
}

// newGemmCasePad is newGemmCase with pad padding columns per row.
func newGemmCasePad(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float64, pad int) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = ac+pad, bc+pad, n+pad
	// mat makes rows×cols random values at stride ld, padding = guardNaN;
	// poison fills the cells with NaN instead (C when beta == 0).
	mat := func(rows, cols, ld int, poison bool) *guarded {
		size := 0
		if rows > 0 {
			size = (rows-1)*ld + cols
		}
		s := newGuarded(rng, size, 1)
		for i := 0; i < size; i++ {
			if i%ld >= cols {
				s.s()[i] = guardNaN
			} else if poison {
				s.s()[i] = math.NaN()
			}
		}
		return s
	}
	g.a = mat(ar, ac, g.lda, false)
	g.b = mat(br, bc, g.ldb, false)
	g.c = mat(m, n, g.ldc, beta == 0)
	return g
}

func (g *gemmCase) run(c *guarded) {
	Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a.s(), g.lda, g.b.s(), g.ldb, g.beta, c.s(), g.ldc)
}

// reference computes the naive triple loop's result (the same summation
// order as gemmNaive, p ascending, but over contiguous copies of op(A) and
// op(B)ᵀ so that it is cache-friendly) and, for the error bound, the same
// product over absolute values.
func (g *gemmCase) reference() (want, mag []float64) {
	opA := make([]float64, g.m*g.k)
	opBt := make([]float64, g.n*g.k)
	for i := 0; i < g.m; i++ {
		for p := 0; p < g.k; p++ {
			if g.transA {
				opA[i*g.k+p] = g.a.s()[p*g.lda+i]
			} else {
				opA[i*g.k+p] = g.a.s()[i*g.lda+p]
			}
		}
	}
	for j := 0; j < g.n; j++ {
		for p := 0; p < g.k; p++ {
			if g.transB {
				opBt[j*g.k+p] = g.b.s()[j*g.ldb+p]
			} else {
				opBt[j*g.k+p] = g.b.s()[p*g.ldb+j]
			}
		}
	}
	want = make([]float64, g.m*g.n)
	mag = make([]float64, g.m*g.n)
	for i := 0; i < g.m; i++ {
		ar := opA[i*g.k : i*g.k+g.k]
		for j := 0; j < g.n; j++ {
			br := opBt[j*g.k : j*g.k+g.k]
			var s, sa float64
			for p, v := range ar {
				s += v * br[p]
				sa += math.Abs(v * br[p])
			}
			c := g.c.s()[i*g.ldc+j]
			if g.beta == 0 {
				want[i*g.n+j] = g.alpha * s
				mag[i*g.n+j] = math.Abs(g.alpha) * sa
			} else {
				want[i*g.n+j] = g.alpha*s + g.beta*c
				mag[i*g.n+j] = math.Abs(g.alpha)*sa + math.Abs(g.beta*c)
			}
		}
	}
	return want, mag
}

// check compares c (after run) with the naive triple loop. Any summation
// order of k products is within γ_k Σ|a||b| of the exact value (Higham
// 3.5), plus one rounding each for α and β·C, so two methods differ by at
// most 2(k+2)·eps/2·(|α| Σ_p |a_ip||b_pj| + |β c_ij|); we allow
// (k+2)·eps times that magnitude.
func (g *gemmCase) check(t *testing.T, name string, c *guarded, want, mag []float64) {
	t.Helper()
	c.checkGuards(t, name)
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			bound := float64(g.k+2) * eps * mag[i*g.n+j]
			got, w := c.s()[i*g.ldc+j], want[i*g.n+j]
			if math.IsNaN(got) || math.Abs(got-w) > bound {
				t.Fatalf("%s: C[%d,%d] = %v, naive %v (bound %g)", name, i, j, got, w, bound)
			}
		}
	}
	// Padding columns of C are untouched.
	for i := 0; i < g.m; i++ {
		for j := g.n; j < g.ldc && i*g.ldc+j < len(c.s()); j++ {
			if math.Float64bits(c.s()[i*g.ldc+j]) != math.Float64bits(guardNaN) {
				t.Fatalf("%s: padding C[%d,%d] written", name, i, j)
			}
		}
	}
}

// TestReferenceIsNaive pins the test reference to gemmNaive.
func TestReferenceIsNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		g := newGemmCase(rng, tr[0], tr[1], 5, 7, 9, 0.5, 2)
		want, _ := g.reference()
		c := g.c.clone()
		gemmNaive(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a.s(), g.lda, g.b.s(), g.ldb, g.beta, c.s(), g.ldc)
		got := make([]float64, g.m*g.n)
		for i := 0; i < g.m; i++ {
			copy(got[i*g.n:], c.s()[i*g.ldc:i*g.ldc+g.n])
		}
		if d := cmp.Diff(want, got, exact); d != "" {
			t.Errorf("reference vs gemmNaive %v:\n%s", tr, d)
		}
	}
}

type shape struct{ m, n, k int }

func TestGemmAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := []shape{
		{0, 5, 3}, {5, 0, 3}, {4, 5, 0}, {1, 1, 1}, {1, 17, 9}, {17, 1, 9}, {1, 300, 70}, {300, 1, 70},
		{7, 11, 13}, {13, 7, 11}, {6, 8, 5}, {12, 16, 4}, {39, 64, 64}, {39, 64, 3},
		{37, 41, 43}, {97, 101, 103}, {5, 300, 257},
		{gemmMC + 7, gemmNR*3 + 5, gemmKC + 3},
		{gemmTM + 5, gemmTN + 9, gemmKC + 7},
	}
	type ab struct{ alpha, beta float64 }
	scalars := []ab{{1, 0}, {-0.5, 1}, {1.5, 0.25}, {0, 0.5}}
	for _, sh := range shapes {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for si, s := range scalars {
				if sh.m*sh.n*sh.k > 1<<20 && si > 1 {
					continue // keep the reference cheap
				}
				g := newGemmCase(rng, tr[0], tr[1], sh.m, sh.n, sh.k, s.alpha, s.beta)
				want, mag := g.reference()
				for _, set := range sets() {
					name := fmt.Sprintf("%s/%dx%dx%d/tA=%v,tB=%v/α=%v,β=%v", set.name, sh.m, sh.n, sh.k, tr[0], tr[1], s.alpha, s.beta)
					c := g.c.clone()
					withSet(set, func() { g.run(c) })
					g.check(t, name, c, want, mag)
				}
			}
		}
	}
}

// TestGemmTightStrides covers unpadded storage, where the matrix-vector
// shapes take the level-1 paths (n == 1 with ldb == 1), and tiny shapes.
func TestGemmTightStrides(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, sh := range []shape{{17, 1, 9}, {1, 17, 9}, {40, 1, 300}, {1, 40, 300}, {1, 1, 5}, {2, 3, 4}, {5, 5, 8}, {9, 8, 7}} {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, beta := range []float64{0, -2} {
				g := newGemmCasePad(rng, tr[0], tr[1], sh.m, sh.n, sh.k, 0.5, beta, 0)
				want, mag := g.reference()
				for _, set := range sets() {
					c := g.c.clone()
					withSet(set, func() { g.run(c) })
					g.check(t, fmt.Sprintf("%s tight %v %v β=%v", set.name, sh, tr, beta), c, want, mag)
				}
			}
		}
	}
}

// TestGemmGenericKernel drives the blocked path with the Go micro-kernel
// regardless of the selected set (the small-size cut-off is bypassed).
func TestGemmGenericKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, set := range sets() {
		for _, sh := range []shape{{1, 1, 1}, {7, 9, 5}, {gemmMC + 1, gemmNR + 1, gemmKC + 1}} {
			for _, tr := range [][2]bool{{false, false}, {true, true}} {
				g := newGemmCase(rng, tr[0], tr[1], sh.m, sh.n, sh.k, 0.75, 0)
				c := g.c.clone()
				args := gemmArgs{g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a.s(), g.lda, g.b.s(), g.ldb, g.beta, c.s(), g.ldc}
				args.blocked(set.gemm, set.nr)
				want, mag := g.reference()
				g.check(t, fmt.Sprintf("%s blocked %v %v", set.name, sh, tr), c, want, mag)
			}
		}
	}
}

func TestGemmValues(t *testing.T) {
	// [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50]; exact in floating point.
	a := []float64{1, 2, 3, 4}
	b := []float64{5, 6, 7, 8}
	c := []float64{1, 1, 1, 1}
	Gemm(false, false, 2, 2, 2, 2, a, 2, b, 2, -1, c, 2)
	if d := cmp.Diff([]float64{37, 43, 85, 99}, c); d != "" {
		t.Errorf("Gemm (-want +got):\n%s", d)
	}
	// Aᵀ·Bᵀ = (B·A)ᵀ: B·A = [23 34; 31 46].
	Gemm(true, true, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	if d := cmp.Diff([]float64{23, 31, 34, 46}, c); d != "" {
		t.Errorf("GemmTT (-want +got):\n%s", d)
	}
}

func TestGemmBadArgs(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Gemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }},
		{"short A", func() {
			Gemm(false, false, 2, 2, 2, 1, make([]float64, 3), 2, make([]float64, 4), 2, 0, make([]float64, 4), 2)
		}},
		{"small ldb", func() {
			Gemm(false, false, 2, 2, 2, 1, make([]float64, 4), 2, make([]float64, 4), 1, 0, make([]float64, 4), 2)
		}},
		{"short C", func() {
			Gemm(false, false, 2, 2, 2, 1, make([]float64, 4), 2, make([]float64, 4), 2, 0, make([]float64, 3), 2)
		}},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// TestGemmDeterministic: the same bits for every thread count and
// GOMAXPROCS, for each kernel set.
func TestGemmDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	defer SetThreads(SetThreads(0))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, set := range sets() {
		withSet(set, func() {
			for _, sh := range []shape{{gemmTM*2 + 17, gemmTN + 3, gemmKC + 20}, {700, 40, 100}} {
				g := newGemmCase(rng, false, true, sh.m, sh.n, sh.k, 1.25, 0.5)
				var ref []float64
				for _, cfg := range [][2]int{{1, 1}, {2, 2}, {3, 2}, {4, 1}, {7, 4}, {0, 3}} {
					SetThreads(cfg[0])
					runtime.GOMAXPROCS(cfg[1])
					c := g.c.clone()
					g.run(c)
					if ref == nil {
						ref = c.s()
						continue
					}
					// A plain loop: cmp.Diff is too slow for 10^5 elements.
					for i, v := range c.s() {
						if math.Float64bits(v) != math.Float64bits(ref[i]) {
							t.Fatalf("%s %v threads=%d GOMAXPROCS=%d: element %d = %v, 1 thread gave %v", set.name, sh, cfg[0], cfg[1], i, v, ref[i])
						}
					}
				}
			}
		})
	}
}

func TestGemmNoAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	defer SetThreads(SetThreads(2))
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{10, 64, 300} {
		g := newGemmCase(rng, false, false, n, n, n, 1, 0)
		c := g.c.clone()
		g.run(c) // warm-up: pools, workers
		if allocs := testing.AllocsPerRun(20, func() { g.run(c) }); allocs != 0 {
			t.Errorf("n=%d: %v allocs per Gemm", n, allocs)
		}
	}
}

func TestThreads(t *testing.T) {
	defer SetThreads(SetThreads(0))
	if got := Threads(); got != runtime.GOMAXPROCS(0) {
		t.Errorf("default Threads() = %d, want GOMAXPROCS %d", got, runtime.GOMAXPROCS(0))
	}
	SetThreads(3)
	if got := Threads(); got != 3 {
		t.Errorf("Threads() = %d after SetThreads(3)", got)
	}
	if prev := SetThreads(-5); prev != 3 || Threads() != runtime.GOMAXPROCS(0) {
		t.Errorf("SetThreads(-5) returned %d, Threads() = %d", prev, Threads())
	}
}

// TestGemmConcurrentCallers: several goroutines sharing the helper pool get
// the same bits as one caller alone.
func TestGemmConcurrentCallers(t *testing.T) {
	defer SetThreads(SetThreads(3))
	rng := rand.New(rand.NewPCG(15, 16))
	const callers = 4
	cases := make([]*gemmCase, callers)
	want := make([][]float64, callers)
	for i := range cases {
		cases[i] = newGemmCase(rng, i%2 == 0, i%3 == 0, 200+i*7, 300-i*5, 150, 1, 0.5)
		c := cases[i].c.clone()
		cases[i].run(c)
		want[i] = c.s()
	}
	got := make([][]float64, callers)
	done := make(chan int)
	for i := range cases {
		go func() {
			var c *guarded
			for rep := 0; rep < 3; rep++ {
				c = cases[i].c.clone()
				cases[i].run(c)
			}
			got[i] = c.s()
			done <- i
		}()
	}
	for range cases {
		<-done
	}
	for i := range cases {
		for e, v := range got[i] {
			if math.Float64bits(v) != math.Float64bits(want[i][e]) {
				t.Fatalf("caller %d element %d: %v, alone %v", i, e, v, want[i][e])
			}
		}
	}
}

// TestGemmSupMatchesPacked: the unpacked small-product path must give the
// same bits as the packed path (same kernel arithmetic, same k slabs).
func TestGemmSupMatchesPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, set := range sets() {
		if set.sup == nil {
			continue
		}
		for _, sh := range []shape{{6, 8, 1}, {7, 9, 3}, {39, 64, 64}, {13, 17, gemmKC + 5}, {64, 5, 40}, {100, 100, 100}, {gemmMC + 7, 40, 30}} {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				for _, beta := range []float64{0, 1, -0.5} {
					g := newGemmCase(rng, tr[0], tr[1], sh.m, sh.n, sh.k, 1.5, beta)
					args := func(c *guarded) gemmArgs {
						return gemmArgs{g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a.s(), g.lda, g.b.s(), g.ldb, g.beta, c.s(), g.ldc}
					}
					cp, cs := g.c.clone(), g.c.clone()
					ap, as := args(cp), args(cs)
					ap.blocked(set.gemm, set.nr)
					as.supPath(set.sup, set.sup16)
					cs.checkGuards(t, "sup")
					for i, v := range cs.s() {
						if math.Float64bits(v) != math.Float64bits(cp.s()[i]) {
							t.Fatalf("%s %v %v β=%v: sup[%d] = %v, packed %v", set.name, sh, tr, beta, i, v, cp.s()[i])
						}
					}
				}
			}
		}
	}
}

// TestGemmAVX512MatchesAVX2: the 6×16 AVX-512 kernel performs the same
// fused operations per element as the 6×8 AVX2 kernel, so Gemm gives the
// same bits with either.
func TestGemmAVX512MatchesAVX2(t *testing.T) {
	s2, ok2 := accelerated()
	s5, ok5 := accelerated512()
	if !ok2 || !ok5 {
		t.Skip("no AVX-512 on this build or CPU")
	}
	rng := rand.New(rand.NewPCG(19, 20))
	for _, sh := range []shape{{6, 16, 3}, {7, 17, 5}, {64, 64, 64}, {250, 270, gemmKC + 9}, {gemmTM + 3, 2*gemmTN + 5, 40}} {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, beta := range []float64{0, 1, 0.75} {
				g := newGemmCase(rng, tr[0], tr[1], sh.m, sh.n, sh.k, -1.25, beta)
				c2, c5 := g.c.clone(), g.c.clone()
				withSet(s2, func() { g.run(c2) })
				withSet(s5, func() { g.run(c5) })
				for i, v := range c5.s() {
					if math.Float64bits(v) != math.Float64bits(c2.s()[i]) {
						t.Fatalf("%v %v β=%v: avx512 [%d] = %v, avx2 %v", sh, tr, beta, i, v, c2.s()[i])
					}
				}
			}
		}
	}
}

// TestPackers: each set's packing loops produce exactly the generic layout.
func TestPackers(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, set := range sets() {
		for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 31, 256} {
			lda := kc + 3
			src := randSlice(rng, 5*lda+kc)
			got, want := make([]float64, 6*kc+4), make([]float64, 6*kc+4)
			set.packA6(got, src, lda, kc)
			packA6Generic(want, src, lda, kc)
			if d := cmp.Diff(want, got, exact); d != "" {
				t.Fatalf("%s packA6 kc=%d (-want +got):\n%s", set.name, kc, d)
			}
			for _, nr := range []int{6, 8, 16} {
				ldb := nr + 5
				src := randSlice(rng, (kc-1)*ldb+nr)
				got, want := make([]float64, kc*nr+3), make([]float64, kc*nr+3)
				set.packB(got, src, ldb, kc, nr)
				packBRowsGeneric(want, src, ldb, kc, nr)
				if d := cmp.Diff(want, got, exact); d != "" {
					t.Fatalf("%s packB kc=%d nr=%d (-want +got):\n%s", set.name, kc, nr, d)
				}
				// Transposed: nr stored rows of kc values at stride ldt.
				ldt := kc + 3
				srcT := randSlice(rng, (nr-1)*ldt+kc)
				set.packBT(got, srcT, ldt, kc, nr)
				packBTGeneric(want, srcT, ldt, kc, nr)
				if d := cmp.Diff(want, got, exact); d != "" {
					t.Fatalf("%s packBT kc=%d nr=%d (-want +got):\n%s", set.name, kc, nr, d)
				}
			}
		}
	}
}
