package eig

import "unsafe"

// toColumn stores src[i] into dst[i*ld] for i < len(src): a row copied into
// a column of a row-major matrix (the Jacobi "mirror" stores). One explicit
// bounds check of the last element replaces the per-store checks, which
// made the n = 39 solve about 15% slower (measured); all addresses are
// then inside dst.
func toColumn(dst []float64, ld int, src []float64) {
	if len(src) == 0 {
		return
	}
	_ = dst[(len(src)-1)*ld] // the last element written is in range
	base := unsafe.Pointer(unsafe.SliceData(dst))
	step := uintptr(ld) * 8
	for i, x := range src {
		*(*float64)(unsafe.Add(base, uintptr(i)*step)) = x
	}
}

// fromColumn sets dst[i] = src[i*ld] for i < len(dst), with the same
// single bounds check as toColumn.
func fromColumn(dst, src []float64, ld int) {
	if len(dst) == 0 {
		return
	}
	_ = src[(len(dst)-1)*ld]
	base := unsafe.Pointer(unsafe.SliceData(src))
	step := uintptr(ld) * 8
	for i := range dst {
		dst[i] = *(*float64)(unsafe.Add(base, uintptr(i)*step))
	}
}

// aligned64 returns a zeroed slice of length n whose first element is on a
// 64-byte (cache line) boundary.
func aligned64(n int) []float64 {
	buf := make([]float64, n+7)
	off := 0
	if n > 0 {
		off = int((64-uintptr(unsafe.Pointer(&buf[0]))%64)%64) / 8
	}
	return buf[off : off+n : off+n]
}
