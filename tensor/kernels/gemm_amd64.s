//go:build amd64 && !purego

#include "textflag.h"

// One k step of the 6×8 micro-kernel: two ymm loads of the packed B row
// (8 values), six broadcasts of the packed A column (6 values), twelve FMAs
// into the accumulators Y4..Y15 (row r lives in Y(4+2r), Y(5+2r)).
#define STEP(aoff, boff) \
	VMOVUPD      boff(DI), Y0;       \
	VMOVUPD      boff+32(DI), Y1;    \
	VBROADCASTSD aoff(SI), Y2;       \
	VFMADD231PD  Y0, Y2, Y4;         \
	VFMADD231PD  Y1, Y2, Y5;         \
	VBROADCASTSD aoff+8(SI), Y3;     \
	VFMADD231PD  Y0, Y3, Y6;         \
	VFMADD231PD  Y1, Y3, Y7;         \
	VBROADCASTSD aoff+16(SI), Y2;    \
	VFMADD231PD  Y0, Y2, Y8;         \
	VFMADD231PD  Y1, Y2, Y9;         \
	VBROADCASTSD aoff+24(SI), Y3;    \
	VFMADD231PD  Y0, Y3, Y10;        \
	VFMADD231PD  Y1, Y3, Y11;        \
	VBROADCASTSD aoff+32(SI), Y2;    \
	VFMADD231PD  Y0, Y2, Y12;        \
	VFMADD231PD  Y1, Y2, Y13;        \
	VBROADCASTSD aoff+40(SI), Y3;    \
	VFMADD231PD  Y0, Y3, Y14;        \
	VFMADD231PD  Y1, Y3, Y15

// C row += alpha * accumulators (one FMA per 4 values).
#define STOREROW(lo, hi) \
	VMOVUPD     (DX), Y1;      \
	VMOVUPD     32(DX), Y2;    \
	VFMADD231PD lo, Y0, Y1;    \
	VFMADD231PD hi, Y0, Y2;    \
	VMOVUPD     Y1, (DX);      \
	VMOVUPD     Y2, 32(DX);    \
	ADDQ        R8, DX

// func gemmKernel6x8(k int, a, b, c *float64, ldc int, alpha float64)
// C[r*ldc+j] += alpha * Σ_p a[p*6+r]*b[p*8+j] for r < 6, j < 8, k >= 1.
TEXT ·gemmKernel6x8(SB), NOSPLIT, $0-48
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   b+16(FP), DI
	MOVQ   c+24(FP), DX
	MOVQ   ldc+32(FP), R8
	SHLQ   $3, R8
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15
	MOVQ   CX, BX
	SHRQ   $2, BX
	JZ     k_tail

k_loop4:
	PREFETCHT0 384(SI)
	STEP(0, 0)
	PREFETCHT0 512(DI)
	STEP(48, 64)
	PREFETCHT0 576(DI)
	STEP(96, 128)
	STEP(144, 192)
	ADDQ $192, SI
	ADDQ $256, DI
	DECQ BX
	JNZ  k_loop4

k_tail:
	ANDQ $3, CX
	JZ   k_store

k_loop1:
	STEP(0, 0)
	ADDQ $48, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  k_loop1

k_store:
	VBROADCASTSD alpha+40(FP), Y0
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	STOREROW(Y8, Y9)
	STOREROW(Y10, Y11)
	STOREROW(Y12, Y13)
	STOREROW(Y14, Y15)
	VZEROUPPER
	RET
