package kernels

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Blocking parameters of the packed GEMM (Goto/BLIS). The micro-kernel
// updates a gemmMR×NR block of C (NR = 8, or 16 for AVX-512) from a packed
// MR×kc sliver of A and a packed kc×NR sliver of B (12 KiB + 16 or 32 KiB
// at kc = 256: both stay in L1). An MC×KC block of packed A (240 KiB) and
// a KC×TN panel of packed B (at most 1 MiB) stay in L2.
const (
	gemmMR    = 6
	gemmNR    = 8 // the AVX2 and Go kernels; the AVX-512 one is 6×16
	gemmNRMax = 16
	gemmKC    = 256
	gemmMC    = 120 // multiple of gemmMR
	// C is cut into tiles of at most TM×TN, the unit of parallel work, as
	// evenly as the MR×NR grid allows. The tiling depends only on the shape
	// (m, n, k), never on the thread count, and every element is computed by one
	// goroutine with the same k order: results are bit-identical for any
	// thread count or GOMAXPROCS. B is packed once per tile row and A once
	// per tile column, so tiles are kept large.
	gemmTM = 512
	gemmTN = 512 // multiple of gemmNRMax
	// Products of at least gemmSplit get at least gemmMinTiles tiles (by
	// halving the larger tile limit), so that two goroutines share them; more
	// tiles would repack A and B more often (each is packed once per tile
	// column and row).
	gemmSplit    = 8 * gemmParallel
	gemmMinTiles = 2

	// Products with m*n*k below gemmTiny run as a plain triple loop (packing
	// costs more than it saves below about 6×6×6, measured); below
	// gemmParallel they run on the calling goroutine.
	gemmTiny     = 6 * 6 * 6
	gemmParallel = 128 * 128 * 128
	// Below gemmSupMax the assembly set reads full A slivers and (op(B) not
	// transposed) full B slivers in place instead of packing them: small
	// and skinny products reuse packed data too little to pay for packing.
	gemmSupMax = gemmParallel
)

// Gemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices,
// op(X) = X or Xᵀ. op(A) is m×k, op(B) is k×n, C is m×n; lda, ldb, ldc are
// the row strides. beta == 0 overwrites C without reading it (NaN in C is
// not propagated), as in BLAS; alpha == 0 or k == 0 does not read A or B.
//
//	for i < m, j < n: C[i*ldc+j] = alpha*Σ_p opA(i,p)*opB(p,j) + beta*C[i*ldc+j]
//
// Large products are packed and cache-blocked (Goto/BLIS) around a 6×8
// (AVX2, Go) or 6×16 (AVX-512) register-blocked micro-kernel and spread
// over Threads() goroutines in fixed tiles of C; the result does not depend
// on the thread count. Bad
// dimensions, strides or short slices panic with a message naming them
// (callers in package tensor validate shapes first).
func Gemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if err := gemmCheck(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		panic(err)
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if m*n*k < gemmTiny {
		gemmNaive(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	g := gemmArgs{transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}
	if g.vector() {
		return
	}
	if impl.sup != nil && m*n*k < gemmSupMax {
		g.supPath(impl.sup, impl.sup16)
		return
	}
	g.blocked(impl.gemm, impl.nr)
}

// gemmCheck validates dimensions, strides and slice lengths.
func gemmCheck(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("kernels.Gemm: negative dimension m=%d n=%d k=%d", m, n, k)
	}
	// need reports the minimum length of a rows×cols row-major matrix with
	// stride ld, and whether ld is valid.
	need := func(rows, cols, ld int) (int, bool) {
		if rows == 0 || cols == 0 {
			return 0, ld >= 0
		}
		return (rows-1)*ld + cols, ld >= cols
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if l, ok := need(ar, ac, lda); !ok || len(a) < l {
		return fmt.Errorf("kernels.Gemm: A is %d×%d (transA=%v) with lda=%d, needs lda>=%d and len>=%d, has len %d", ar, ac, transA, lda, ac, l, len(a))
	}
	if l, ok := need(br, bc, ldb); !ok || len(b) < l {
		return fmt.Errorf("kernels.Gemm: B is %d×%d (transB=%v) with ldb=%d, needs ldb>=%d and len>=%d, has len %d", br, bc, transB, ldb, bc, l, len(b))
	}
	if l, ok := need(m, n, ldc); !ok || len(c) < l {
		return fmt.Errorf("kernels.Gemm: C is %d×%d with ldc=%d, needs ldc>=%d and len>=%d, has len %d", m, n, ldc, n, l, len(c))
	}
	return nil
}

// scaleC computes C = beta*C, writing zeros without reading C when beta == 0.
func scaleC(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else {
			impl.scal(beta, row)
		}
	}
}

type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	alpha          float64
	a              []float64
	lda            int
	b              []float64
	ldb            int
	beta           float64
	c              []float64
	ldc            int
}

// vector handles the matrix-vector shapes on the level-1 kernels and
// reports whether it did: m == 1 with op(B) row-major (C's row is a sum of
// scaled rows of B, Axpy), and n == 1 with op(A) row-major and op(B)'s
// column contiguous (each C value is one Dot). Packing would pad the unit
// dimension to a full micro-kernel width and copy the matrix for no reuse.
func (g *gemmArgs) vector() bool {
	switch {
	case g.m == 1 && !g.transB:
		crow := g.c[:g.n]
		scaleC(1, g.n, g.beta, crow, g.ldc)
		for p := 0; p < g.k; p++ {
			var av float64
			if g.transA {
				av = g.a[p*g.lda]
			} else {
				av = g.a[p]
			}
			impl.axpy(g.alpha*av, g.b[p*g.ldb:p*g.ldb+g.n], crow)
		}
		return true
	case g.n == 1 && !g.transA && (g.transB || g.ldb == 1 || g.k == 1):
		// op(B)(p,0) is b[p] in both layouts when contiguous.
		bcol := g.b[:g.k]
		for i := 0; i < g.m; i++ {
			d := g.alpha * impl.dot(g.a[i*g.lda:i*g.lda+g.k], bcol)
			if g.beta == 0 {
				g.c[i*g.ldc] = d
			} else {
				g.c[i*g.ldc] = d + g.beta*g.c[i*g.ldc]
			}
		}
		return true
	}
	return false
}

// supKernel is a strided micro-kernel (see gemmKernelSupAsm).
type supKernel func(k int, a []float64, ars, acs int, b []float64, brs int, c []float64, ldc int, alpha, beta float64)

// supPath computes a small product with the strided micro-kernels: no
// packing except for B slivers of a transposed B and for the edge slivers
// (whose missing rows or columns must read as zeros, not out of bounds).
// Full 16-column blocks use kern16 when there is one, the rest kern8. It
// keeps the packed path's k slabs and per-element arithmetic, so it gives
// the same bits.
func (g *gemmArgs) supPath(kern8, kern16 supKernel) {
	buf := getBuf()
	j := gemmJob{gemmArgs: *g}
	c, ldc := g.c, g.ldc
	ars, acs := g.lda, 1
	if g.transA {
		ars, acs = 1, g.lda
	}
	for pc := 0; pc < g.k; pc += gemmKC {
		kc := min(gemmKC, g.k-pc)
		beta := 1.0
		if pc == 0 {
			beta = g.beta
		}
		// The partial last row sliver of A (m not a multiple of MR) is
		// packed once per k slab, not once per column block.
		edge := g.m - g.m%gemmMR
		if edge < g.m {
			j.packA(buf.a[:], edge, g.m-edge, pc, kc)
		}
		for jr := 0; jr < g.n; {
			NR, kern := gemmNR, kern8
			if kern16 != nil && g.n-jr >= 16 {
				NR, kern = 16, kern16
			}
			nr := min(NR, g.n-jr)
			var bp []float64
			brs := NR
			if !g.transB && nr == NR {
				bp, brs = g.b[pc*g.ldb+jr:], g.ldb
			} else {
				j.packB(buf.b[:], pc, kc, jr, jr+nr, NR)
				bp = buf.b[:kc*NR]
			}
			for ir := 0; ir < g.m; ir += gemmMR {
				mr := min(gemmMR, g.m-ir)
				var ap []float64
				ra, ca := ars, acs
				if mr == gemmMR {
					if g.transA {
						ap = g.a[pc*g.lda+ir:]
					} else {
						ap = g.a[ir*g.lda+pc:]
					}
				} else {
					ap, ra, ca = buf.a[:kc*gemmMR], 1, gemmMR // packed above
				}
				if mr == gemmMR && nr == NR {
					kern(kc, ap, ra, ca, bp, brs, c[ir*ldc+jr:], ldc, g.alpha, beta)
					continue
				}
				tmp := buf.tmp[:]
				for r := 0; r < mr; r++ {
					copy(tmp[r*NR:r*NR+nr], c[(ir+r)*ldc+jr:(ir+r)*ldc+jr+nr])
				}
				kern(kc, ap, ra, ca, bp, brs, tmp, NR, g.alpha, beta)
				for r := 0; r < mr; r++ {
					copy(c[(ir+r)*ldc+jr:(ir+r)*ldc+jr+nr], tmp[r*NR:r*NR+nr])
				}
			}
			jr += NR
		}
	}
	putBuf(buf)
}

// gemmBuf holds one goroutine's packing buffers.
type gemmBuf struct {
	a   [gemmMC * gemmKC]float64
	b   [gemmKC * gemmTN]float64
	tmp [gemmMR * gemmNRMax]float64
}

// freeBufs and freeJobs are free lists that, unlike sync.Pool, survive
// garbage collections: the 750 KiB buffers are not reallocated after every
// GC in allocation-heavy callers.
var (
	freeBufs = make(chan *gemmBuf, 16)
	freeJobs = make(chan *gemmJob, 16)
)

func getBuf() *gemmBuf {
	select {
	case b := <-freeBufs:
		return b
	default:
		return new(gemmBuf)
	}
}

func putBuf(b *gemmBuf) {
	select {
	case freeBufs <- b:
	default:
	}
}

// gemmJob is one blocked product shared by the caller and helper workers.
type gemmJob struct {
	gemmArgs
	kern           func(k int, a, b, c []float64, ldc int, alpha, beta float64)
	nr             int // kern's block width
	tilesM, tilesN int
	tm, tn         int // tile size
	next           atomic.Int64
	wg             sync.WaitGroup
}

func (g *gemmArgs) blocked(kern func(k int, a, b, c []float64, ldc int, alpha, beta float64), nr int) {
	tilesM, tm, tilesN, tn := gemmTiles(g.m, g.n, g.k)
	helpers := 0
	if g.m*g.n*g.k >= gemmParallel {
		helpers = min(Threads(), tilesM*tilesN) - 1
	}
	if helpers <= 0 {
		// Same tiles in the same order as the parallel path, on this
		// goroutine, with a job that does not escape.
		j := gemmJob{gemmArgs: *g, kern: kern, nr: nr, tilesM: tilesM, tilesN: tilesN, tm: tm, tn: tn}
		buf := getBuf()
		for t := 0; t < tilesM*tilesN; t++ {
			j.tile(t, buf)
		}
		putBuf(buf)
		return
	}
	var j *gemmJob
	select {
	case j = <-freeJobs:
	default:
		j = new(gemmJob)
	}
	j.gemmArgs = *g
	j.kern = kern
	j.nr = nr
	j.tilesM, j.tm, j.tilesN, j.tn = tilesM, tm, tilesN, tn
	j.next.Store(0)
	for h := 0; h < helpers; h++ {
		j.wg.Add(1)
		if !submit(j) {
			j.wg.Done()
			break
		}
	}
	buf := getBuf()
	j.work(buf)
	putBuf(buf)
	j.wg.Wait()
	j.gemmArgs = gemmArgs{} // drop references to the caller's slices
	j.kern = nil
	select {
	case freeJobs <- j:
	default:
	}
}

// gemmTiles chooses the tiling of an m×n C from the shape alone: tiles of
// at most TM×TN, halving the larger limit (down to 64) while a large
// product would have fewer than gemmMinTiles tiles.
func gemmTiles(m, n, k int) (tilesM, tm, tilesN, tn int) {
	limM, limN := gemmTM, gemmTN
	for {
		tilesM, tm = tiling(m, limM, gemmMR)
		tilesN, tn = tiling(n, limN, gemmNRMax)
		if tilesM*tilesN >= gemmMinTiles || m*n*k < gemmSplit {
			return
		}
		switch {
		case limM >= limN && limM > 64 && m > limM/2:
			limM /= 2
		case limN > 64 && n > limN/2:
			limN /= 2
		case limM > 64 && m > limM/2:
			limM /= 2
		default:
			return
		}
	}
}

// tiling cuts length into the fewest pieces of at most maxLen, of equal
// size rounded up to a multiple of unit (the last piece may be shorter).
func tiling(length, maxLen, unit int) (count, size int) {
	count = (length + maxLen - 1) / maxLen
	size = (length + count - 1) / count
	size = (size + unit - 1) / unit * unit
	count = (length + size - 1) / size
	return count, size
}

// work takes tiles until none are left.
func (j *gemmJob) work(buf *gemmBuf) {
	tiles := int64(j.tilesM * j.tilesN)
	for {
		t := j.next.Add(1) - 1
		if t >= tiles {
			return
		}
		j.tile(int(t), buf)
	}
}

// tile computes one tile of C: for each kc slab
// pack B's panel once and A block by block, and run the micro-kernel over
// the MR×NR blocks (B sliver outer so it stays in L1 while A slivers stream
// from L2).
func (j *gemmJob) tile(t int, buf *gemmBuf) {
	i0 := (t / j.tilesN) * j.tm
	j0 := (t % j.tilesN) * j.tn
	i1 := min(i0+j.tm, j.m)
	j1 := min(j0+j.tn, j.n)
	c, ldc := j.c, j.ldc
	for pc := 0; pc < j.k; pc += gemmKC {
		kc := min(gemmKC, j.k-pc)
		// β applies once, in the first k slab; later slabs accumulate.
		beta := 1.0
		if pc == 0 {
			beta = j.beta
		}
		j.packB(buf.b[:], pc, kc, j0, j1, j.nr)
		for ic := i0; ic < i1; ic += gemmMC {
			mc := min(gemmMC, i1-ic)
			j.packA(buf.a[:], ic, mc, pc, kc)
			NR := j.nr
			for jr := j0; jr < j1; jr += NR {
				nr := min(NR, j1-jr)
				bp := buf.b[(jr-j0)*kc : (jr-j0)*kc+kc*NR]
				for ir := ic; ir < ic+mc; ir += gemmMR {
					mr := min(gemmMR, ic+mc-ir)
					ap := buf.a[(ir-ic)*kc : (ir-ic)*kc+kc*gemmMR]
					if mr == gemmMR && nr == NR {
						j.kern(kc, ap, bp, c[ir*ldc+jr:], ldc, j.alpha, beta)
						continue
					}
					// Edge block: run the same kernel on a copy so that the
					// arithmetic is identical to a full block (copying NaN
					// is harmless: with β = 0 the kernel does not read it).
					tmp := buf.tmp[:]
					for r := 0; r < mr; r++ {
						copy(tmp[r*NR:r*NR+nr], c[(ir+r)*ldc+jr:(ir+r)*ldc+jr+nr])
					}
					j.kern(kc, ap, bp, tmp, NR, j.alpha, beta)
					for r := 0; r < mr; r++ {
						copy(c[(ir+r)*ldc+jr:(ir+r)*ldc+jr+nr], tmp[r*NR:r*NR+nr])
					}
				}
			}
		}
	}
}

// packA packs op(A)[ic:ic+mc, pc:pc+kc] into slivers of MR rows: sliver s
// holds, for each p, the MR values opA(ic+s*MR+r, pc+p) at dst[s*MR*kc+p*MR+r],
// zero-padded past row mc.
func (j *gemmJob) packA(dst []float64, ic, mc, pc, kc int) {
	a, lda := j.a, j.lda
	if j.transA {
		// opA(i,p) = a[p*lda+i]: 8 stored rows at a time, as in packB.
		full := mc - mc%gemmMR
		for pb := 0; pb < kc; pb += 8 {
			pe := min(pb+8, kc)
			for s := 0; s < full; s += gemmMR {
				impl.packB(dst[s*kc+pb*gemmMR:], a[(pc+pb)*lda+ic+s:], lda, pe-pb, gemmMR)
			}
		}
		if full < mc {
			d := dst[full*kc : full*kc+kc*gemmMR]
			for p := 0; p < kc; p++ {
				dd := d[p*gemmMR : p*gemmMR+gemmMR]
				copy(dd, a[(pc+p)*lda+ic+full:(pc+p)*lda+ic+mc])
				clear(dd[mc-full:])
			}
		}
		return
	}
	for s := 0; s < mc; s += gemmMR {
		mr := min(gemmMR, mc-s)
		d := dst[s*kc : s*kc+kc*gemmMR]
		if mr == gemmMR {
			impl.packA6(d, a[(ic+s)*lda+pc:], lda, kc)
			continue
		}
		for r := 0; r < mr; r++ {
			src := a[(ic+s+r)*lda+pc : (ic+s+r)*lda+pc+kc]
			for p, v := range src {
				d[p*gemmMR+r] = v
			}
		}
		for r := mr; r < gemmMR; r++ {
			for p := 0; p < kc; p++ {
				d[p*gemmMR+r] = 0
			}
		}
	}
}

// packB packs op(B)[pc:pc+kc, j0:j1] into slivers of NR columns (NR = 8
// or 16): sliver s holds, for each p, the NR values opB(pc+p, j0+s*NR+q)
// at dst[s*NR*kc+p*NR+q], zero-padded past column j1.
func (j *gemmJob) packB(dst []float64, pc, kc, j0, j1, NR int) {
	b, ldb := j.b, j.ldb
	if !j.transB {
		// opB(p,j) = b[p*ldb+j]: 8 rows of B at a time (contiguous reads,
		// and contiguous writes per sliver; a row at a time would write
		// many streams 16 KiB apart, which alias in L1, and a sliver at a
		// time would read one cache line per 4 KiB page).
		w := j1 - j0
		full := w - w%NR
		for pb := 0; pb < kc; pb += 8 {
			rows := min(8, kc-pb)
			for s := 0; s < full; s += NR {
				impl.packB(dst[s*kc+pb*NR:], b[(pc+pb)*ldb+j0+s:], ldb, rows, NR)
			}
		}
		if full < w {
			d := dst[full*kc : full*kc+kc*NR]
			for p := 0; p < kc; p++ {
				dd := d[p*NR : p*NR+NR]
				copy(dd, b[(pc+p)*ldb+j0+full:(pc+p)*ldb+j1])
				clear(dd[w-full:])
			}
		}
		return
	}
	for s := 0; s < j1-j0; s += NR {
		nr := min(NR, j1-j0-s)
		d := dst[s*kc : s*kc+kc*NR]
		col := j0 + s
		if nr == NR {
			impl.packBT(d, b[col*ldb+pc:], ldb, kc, NR)
			continue
		}
		for q := 0; q < nr; q++ {
			src := b[(col+q)*ldb+pc : (col+q)*ldb+pc+kc]
			for p, v := range src {
				d[p*NR+q] = v
			}
		}
		for q := nr; q < NR; q++ {
			for p := 0; p < kc; p++ {
				d[p*NR+q] = 0
			}
		}
	}
}

// packA6Generic interleaves six rows of A into a packed sliver:
//
//	for r < 6, p < kc: dst[p*6+r] = src[r*lda+p]
func packA6Generic(dst, src []float64, lda, kc int) {
	r0 := src[:kc]
	r1 := src[lda : lda+kc][:len(r0)]
	r2 := src[2*lda : 2*lda+kc][:len(r0)]
	r3 := src[3*lda : 3*lda+kc][:len(r0)]
	r4 := src[4*lda : 4*lda+kc][:len(r0)]
	r5 := src[5*lda : 5*lda+kc][:len(r0)]
	dst = dst[:len(r0)*gemmMR]
	for p := range r0 {
		q := p * gemmMR
		dst[q+5] = r5[p]
		dst[q], dst[q+1], dst[q+2], dst[q+3], dst[q+4] = r0[p], r1[p], r2[p], r3[p], r4[p]
	}
}

// packBRowsGeneric copies rows of nr values of B into a packed sliver:
//
//	for p < rows, q < nr: dst[p*nr+q] = src[p*ldb+q]
func packBRowsGeneric(dst, src []float64, ldb, rows, nr int) {
	for p := 0; p < rows; p++ {
		copy(dst[p*nr:p*nr+nr], src[p*ldb:p*ldb+nr])
	}
}

// packBTGeneric packs a sliver of a transposed B (stored n×k):
//
//	for p < kc, q < nr: dst[p*nr+q] = src[q*ldb+p]
func packBTGeneric(dst, src []float64, ldb, kc, nr int) {
	dst = dst[:kc*nr]
	for q := 0; q < nr; q++ {
		for p, v := range src[q*ldb : q*ldb+kc] {
			dst[p*nr+q] = v
		}
	}
}

// gemmKernelGeneric is the Go 6×8 micro-kernel:
//
//	for r < 6, q < 8: c[r*ldc+q] = alpha*Σ_{p<k} a[p*6+r]*b[p*8+q] + beta*c[r*ldc+q]
//
// where beta == 0 does not read c. It runs as six 2×4 register blocks (8
// accumulators each) so that the Go compiler keeps them in registers.
func gemmKernelGeneric(k int, a, b, c []float64, ldc int, alpha, beta float64) {
	a = a[:k*gemmMR]
	b = b[:k*gemmNR]
	for r := 0; r < gemmMR; r += 2 {
		for q := 0; q < gemmNR; q += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float64
			ai, bi := r, q
			for p := 0; p < k; p++ {
				a0, a1 := a[ai], a[ai+1]
				bb := b[bi : bi+4 : bi+4]
				b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
				ai += gemmMR
				bi += gemmNR
			}
			acc := [8]float64{c00, c01, c02, c03, c10, c11, c12, c13}
			for h := 0; h < 2; h++ {
				row := c[(r+h)*ldc+q : (r+h)*ldc+q+4 : (r+h)*ldc+q+4]
				for x := range row {
					switch beta {
					case 0:
						row[x] = alpha * acc[h*4+x]
					case 1:
						row[x] += alpha * acc[h*4+x]
					default:
						row[x] = alpha*acc[h*4+x] + beta*row[x]
					}
				}
			}
		}
	}
}

// gemmNaive is the reference triple loop.
func gemmNaive(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

// Thread control. threads == 0 means runtime.GOMAXPROCS(0).
var threads atomic.Int64

// SetThreads sets how many goroutines one large Gemm may use; n <= 0
// restores the default, GOMAXPROCS. The result of Gemm does not depend on
// it. It returns the previous setting (0 for the default).
func SetThreads(n int) int {
	if n < 0 {
		n = 0
	}
	return int(threads.Swap(int64(n)))
}

// Threads reports how many goroutines one large Gemm may use.
func Threads() int {
	if t := threads.Load(); t > 0 {
		return int(t)
	}
	return runtime.GOMAXPROCS(0)
}

// Helper workers: persistent goroutines, each with its own buffers, that
// take jobs from a channel (no allocation per call). The caller always
// works on its own job too, so a busy pool only costs speed, never progress.
var (
	workerMu    sync.Mutex
	workerCount int
	workQueue   = make(chan *gemmJob, 256)
)

// submit hands j to a helper, starting helpers up to Threads()-1. It
// reports false if the queue is full.
func submit(j *gemmJob) bool {
	want := Threads() - 1
	workerMu.Lock()
	for workerCount < want {
		workerCount++
		go worker()
	}
	workerMu.Unlock()
	select {
	case workQueue <- j:
		return true
	default:
		return false
	}
}

func worker() {
	buf := new(gemmBuf)
	for j := range workQueue {
		j.work(buf)
		j.wg.Done()
	}
}
