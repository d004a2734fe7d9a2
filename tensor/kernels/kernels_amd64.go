//go:build amd64 && !purego

package kernels

import "unsafe"

// Assembly bodies in vec_amd64.s and gemm_amd64.s. They take raw pointers
// and a count; the Go wrappers below establish the length preconditions
// with ordinary (bounds-checked) slicing first.

//go:noescape
func dotAVX2(x, y *float64, n int) float64

//go:noescape
func axpyAVX2(alpha float64, x, y *float64, n int)

//go:noescape
func scalAVX2(alpha float64, x *float64, n int)

//go:noescape
func addAVX2(dst, x, y *float64, n int)

//go:noescape
func mulAVX2(dst, x, y *float64, n int)

//go:noescape
func rotAVX2(x, y *float64, n int, c, s float64)

//go:noescape
func gemmKernel6x8(k int, a, b, c *float64, ldc int, alpha, beta float64)

//go:noescape
func gemmKernel6x8S(k int, a *float64, ars, acs int, b *float64, brs int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func gemmKernel6x16(k int, a, b, c *float64, ldc int, alpha, beta float64)

//go:noescape
func gemmKernel6x16S(k int, a *float64, ars, acs int, b *float64, brs int, c *float64, ldc int, alpha, beta float64)

//go:noescape
func packA6AVX2(dst, src *float64, lda, kc int)

//go:noescape
func packBRowsAVX2(dst, src *float64, ldb, rows, nr int)

//go:noescape
func packBTAVX2(dst, src *float64, ldb, kc, nr int)

var avx2fma = kernelSet{
	name:     "avx2fma",
	dot:      dotAsm,
	axpy:     axpyAsm,
	scal:     scalAsm,
	add:      addAsm,
	mul:      mulAsm,
	rot:      rotAsm,
	gemm:     gemmKernelAsm,
	nr:       8,
	gemmName: "avx2 6x8",
	sup:      gemmKernelSupAsm,
	packA6:   packA6Asm,
	packB:    packBRowsAsm,
	packBT:   packBTAsm,
}

// avx2fma512 is avx2fma with the AVX-512 6×16 GEMM micro-kernel, which
// gives the same bits as the 6×8 one (see gemm512_amd64.s): the set keeps
// the name "avx2fma".
var avx2fma512 = func() kernelSet {
	s := avx2fma
	s.gemm = gemmKernel16Asm
	s.nr = 16
	s.gemmName = "avx512 6x16"
	s.sup16 = gemmKernelSup16Asm
	return s
}()

func dotAsm(x, y []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	y = y[:len(x)]
	return dotAVX2(&x[0], &y[0], len(x))
}

func axpyAsm(alpha float64, x, y []float64) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	axpyAVX2(alpha, &x[0], &y[0], len(x))
}

func scalAsm(alpha float64, x []float64) {
	if len(x) == 0 {
		return
	}
	scalAVX2(alpha, &x[0], len(x))
}

func addAsm(dst, x, y []float64) {
	if len(dst) == 0 {
		return
	}
	x, y = x[:len(dst)], y[:len(dst)]
	addAVX2(&dst[0], &x[0], &y[0], len(dst))
}

func mulAsm(dst, x, y []float64) {
	if len(dst) == 0 {
		return
	}
	x, y = x[:len(dst)], y[:len(dst)]
	mulAVX2(&dst[0], &x[0], &y[0], len(dst))
}

func rotAsm(x, y []float64, c, s float64) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	rotAVX2(&x[0], &y[0], len(x), c, s)
}

// gemmKernelAsm is the AVX2+FMA 6×8 micro-kernel (see gemmKernelGeneric for
// the contract). The slice checks make the assembly's accesses provably in
// bounds: a holds k*6 values, b k*8, and c rows 0..5 × cols 0..7 at ldc.
func gemmKernelAsm(k int, a, b, c []float64, ldc int, alpha, beta float64) {
	_ = a[k*gemmMR-1]
	_ = b[k*gemmNR-1]
	_ = c[(gemmMR-1)*ldc+gemmNR-1]
	gemmKernel6x8(k, unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), ldc, alpha, beta)
}

// gemmKernelSupAsm is the strided twin of gemmKernelAsm for unpacked
// operands: A element (r, p) at a[r*ars+p*acs], B element (p, q) at
// b[p*brs+q]. The checks bound every address the assembly forms.
func gemmKernelSupAsm(k int, a []float64, ars, acs int, b []float64, brs int, c []float64, ldc int, alpha, beta float64) {
	_ = a[(gemmMR-1)*ars+(k-1)*acs]
	_ = b[(k-1)*brs+gemmNR-1]
	_ = c[(gemmMR-1)*ldc+gemmNR-1]
	gemmKernel6x8S(k, unsafe.SliceData(a), ars, acs, unsafe.SliceData(b), brs, unsafe.SliceData(c), ldc, alpha, beta)
}

// gemmKernel16Asm is the AVX-512 6×16 micro-kernel: b holds k*16 values
// and c rows 0..5 × cols 0..15 at ldc.
func gemmKernel16Asm(k int, a, b, c []float64, ldc int, alpha, beta float64) {
	_ = a[k*gemmMR-1]
	_ = b[k*16-1]
	_ = c[(gemmMR-1)*ldc+15]
	gemmKernel6x16(k, unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), ldc, alpha, beta)
}

// gemmKernelSup16Asm is the strided AVX-512 6×16 kernel (see
// gemmKernelSupAsm).
func gemmKernelSup16Asm(k int, a []float64, ars, acs int, b []float64, brs int, c []float64, ldc int, alpha, beta float64) {
	_ = a[(gemmMR-1)*ars+(k-1)*acs]
	_ = b[(k-1)*brs+15]
	_ = c[(gemmMR-1)*ldc+15]
	gemmKernel6x16S(k, unsafe.SliceData(a), ars, acs, unsafe.SliceData(b), brs, unsafe.SliceData(c), ldc, alpha, beta)
}

// packA6Asm is packA6Generic in assembly (see packA6AVX2).
func packA6Asm(dst, src []float64, lda, kc int) {
	if kc == 0 {
		return
	}
	_ = dst[6*kc-1]
	_ = src[5*lda+kc-1]
	packA6AVX2(unsafe.SliceData(dst), unsafe.SliceData(src), lda, kc)
}

// packBRowsAsm is packBRowsGeneric in assembly (nr = 6, 8 or 16).
func packBRowsAsm(dst, src []float64, ldb, rows, nr int) {
	if rows == 0 {
		return
	}
	if nr != 6 && nr != 8 && nr != 16 {
		packBRowsGeneric(dst, src, ldb, rows, nr)
		return
	}
	_ = dst[rows*nr-1]
	_ = src[(rows-1)*ldb+nr-1]
	packBRowsAVX2(unsafe.SliceData(dst), unsafe.SliceData(src), ldb, rows, nr)
}

// packBTAsm is packBTGeneric in assembly for nr = 8 or 16.
func packBTAsm(dst, src []float64, ldb, kc, nr int) {
	if kc == 0 {
		return
	}
	if nr != 8 && nr != 16 {
		packBTGeneric(dst, src, ldb, kc, nr)
		return
	}
	_ = dst[kc*nr-1]
	_ = src[(nr-1)*ldb+kc-1]
	k4 := kc &^ 3
	if k4 > 0 {
		packBTAVX2(unsafe.SliceData(dst), unsafe.SliceData(src), ldb, k4, nr)
	}
	for p := k4; p < kc; p++ {
		for q := 0; q < nr; q++ {
			dst[p*nr+q] = src[q*ldb+p]
		}
	}
}
