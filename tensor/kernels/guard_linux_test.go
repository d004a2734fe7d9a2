//go:build linux

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"unsafe"
)

// pageRegion maps one read-write page between two PROT_NONE pages and
// returns it as float64s: any access just before or after faults, so a
// kernel that reads or writes out of bounds crashes the test.
func pageRegion(t *testing.T) []float64 {
	t.Helper()
	ps := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 3*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[:ps], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	if err := syscall.Mprotect(mem[2*ps:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&mem[ps])), ps/8)
}

// atEnd and atStart place n values flush against the following or the
// preceding guard page.
func atEnd(r []float64, n int) []float64   { return r[len(r)-n : len(r) : len(r)] }
func atStart(r []float64, n int) []float64 { return r[:n:n] }

// TestGuardPages runs every kernel of every set on slices that touch a
// protected page on either side, for all lengths 0..70 and a few larger
// ones (up to the 512 values of a 4 KiB page), and checks every result
// against the generic reference (a kernel that stays in bounds but writes
// wrong numbers fails too).
func TestGuardPages(t *testing.T) {
	rx, ry, rd := pageRegion(t), pageRegion(t), pageRegion(t)
	rng := rand.New(rand.NewPCG(21, 22))
	for i := range rx {
		rx[i], ry[i], rd[i] = rng.Float64(), rng.Float64(), rng.Float64()
	}
	sizes := []int{}
	for n := 0; n <= 70; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 127, 128, 129, 255, 256, 257, len(rx)-1, len(rx))
	for _, set := range sets() {
		for _, n := range sizes {
			if n > len(rx) {
				continue
			}
			for _, place := range []func([]float64, int) []float64{atEnd, atStart} {
				name := fmt.Sprintf("%s/n=%d", set.name, n)
				x, y, d := place(rx, n), place(ry, n), place(rd, n)
				// References on ordinary copies, with the bounds of
				// TestLevel1AgainstGeneric: dot within n·eps·Σ|x_i y_i|,
				// FMA kernels (axpy, rot) within 2 eps of the operands'
				// magnitude, scal, add and mul bit-identical.
				x0, y0, d0 := slices.Clone(x), slices.Clone(y), slices.Clone(d)
				var absSum float64
				for i := range x0 {
					absSum += math.Abs(x0[i] * y0[i])
				}
				if got, want := set.dot(x, y), dotGeneric(x0, y0); math.Abs(got-want) > float64(n)*eps*absSum || math.IsNaN(got) {
					t.Fatalf("%s dot = %v, generic %v", name, got, want)
				}
				set.axpy(1e-3, x, y)
				axpyGeneric(1e-3, x0, y0)
				guardCheck(t, name+" axpy", y, y0, func(i int) float64 { return 2 * eps * (math.Abs(1e-3*x0[i]) + math.Abs(y0[i])) })
				copy(y0, y)
				set.scal(0.999, x)
				scalGeneric(0.999, x0)
				guardCheck(t, name+" scal", x, x0, nil)
				set.add(d, x, y)
				addGeneric(d0, x0, y0)
				guardCheck(t, name+" add", d, d0, nil)
				set.mul(d, x, y)
				mulGeneric(d0, x0, y0)
				guardCheck(t, name+" mul", d, d0, nil)
				xr, yr := slices.Clone(x0), slices.Clone(y0)
				set.rot(x, y, 0.6, 0.8)
				rotGeneric(x0, y0, 0.6, 0.8)
				guardCheck(t, name+" rot x", x, x0, func(i int) float64 { return 2 * eps * (math.Abs(0.6*xr[i]) + math.Abs(0.8*yr[i])) })
				guardCheck(t, name+" rot y", y, y0, func(i int) float64 { return 2 * eps * (math.Abs(0.6*yr[i]) + math.Abs(0.8*xr[i])) })
			}
		}
	}
}

// guardCheck compares a kernel's output with the generic reference: within
// bound(i) of it, or bit for bit when bound is nil.
func guardCheck(t *testing.T, name string, got, want []float64, bound func(int) float64) {
	t.Helper()
	for i := range want {
		ok := math.Float64bits(got[i]) == math.Float64bits(want[i])
		if !ok && bound != nil {
			ok = math.Abs(got[i]-want[i]) <= bound(i)
		}
		if !ok {
			t.Fatalf("%s[%d] = %v, generic %v", name, i, got[i], want[i])
		}
	}
}

// TestGemmGuardPages runs Gemm with tightly packed A, B and C that end (or
// start) at a protected page, for shapes that exercise the tiny, vector,
// strided and packed paths, every transpose combination and β = 0 and 1.
func TestGemmGuardPages(t *testing.T) {
	ra, rb, rc := pageRegion(t), pageRegion(t), pageRegion(t)
	rng := rand.New(rand.NewPCG(23, 24))
	for i := range ra {
		ra[i], rb[i], rc[i] = rng.Float64(), rng.Float64(), rng.Float64()
	}
	shapes := []shape{{1, 1, 1}, {3, 4, 5}, {1, 40, 12}, {40, 1, 12}, {6, 8, 10}, {7, 9, 11}, {13, 17, 19}, {20, 24, 21}, {12, 40, 9}}
	for _, set := range sets() {
		withSet(set, func() {
			for _, sh := range shapes {
				if sh.m*sh.k > len(ra) || sh.k*sh.n > len(rb) || sh.m*sh.n > len(rc) {
					t.Fatalf("shape %v does not fit a page", sh)
				}
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
					lda, ldb := sh.k, sh.n
					if tr[0] {
						lda = sh.m
					}
					if tr[1] {
						ldb = sh.k
					}
					for _, place := range []func([]float64, int) []float64{atEnd, atStart} {
						for _, beta := range []float64{0, 1} {
							a, b, c := place(ra, sh.m*sh.k), place(rb, sh.k*sh.n), place(rc, sh.m*sh.n)
							Gemm(tr[0], tr[1], sh.m, sh.n, sh.k, 1e-3, a, lda, b, ldb, beta, c, sh.n)
						}
					}
				}
			}
			// The blocked path on both kernels too (sizes below its
			// cut-offs are routed elsewhere by Gemm).
			for _, sh := range shapes[4:] {
				a, b, c := atEnd(ra, sh.m*sh.k), atEnd(rb, sh.k*sh.n), atEnd(rc, sh.m*sh.n)
				g := gemmArgs{false, false, sh.m, sh.n, sh.k, 1e-3, a, sh.k, b, sh.n, 1, c, sh.n}
				g.blocked(set.gemm, set.nr)
			}
		})
	}
}
