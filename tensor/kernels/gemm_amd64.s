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

// C row = alpha*acc + C (beta == 1).
#define STOREROW1(lo, hi) \
	VMOVUPD     (DX), Y1;      \
	VMOVUPD     32(DX), Y2;    \
	VFMADD231PD lo, Y0, Y1;    \
	VFMADD231PD hi, Y0, Y2;    \
	VMOVUPD     Y1, (DX);      \
	VMOVUPD     Y2, 32(DX);    \
	ADDQ        R8, DX

// C row = alpha*acc + fl(beta*C) (Y3 = beta).
#define STOREROWB(lo, hi) \
	VMULPD      (DX), Y3, Y1;  \
	VMULPD      32(DX), Y3, Y2; \
	VFMADD231PD lo, Y0, Y1;    \
	VFMADD231PD hi, Y0, Y2;    \
	VMOVUPD     Y1, (DX);      \
	VMOVUPD     Y2, 32(DX);    \
	ADDQ        R8, DX

// C row = alpha*acc, C not read (beta == 0).
#define STOREROW0(lo, hi) \
	VMULPD      lo, Y0, Y1;    \
	VMULPD      hi, Y0, Y2;    \
	VMOVUPD     Y1, (DX);      \
	VMOVUPD     Y2, 32(DX);    \
	ADDQ        R8, DX

// func gemmKernel6x8(k int, a, b, c *float64, ldc int, alpha, beta float64)
// C[r*ldc+j] = alpha * Σ_p a[p*6+r]*b[p*8+j] + beta*C[r*ldc+j] for r < 6,
// j < 8, k >= 1; beta == 0 does not read C, beta == 1 skips the multiply.
TEXT ·gemmKernel6x8(SB), NOSPLIT, $0-56
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   b+16(FP), DI
	MOVQ   c+24(FP), DX
	MOVQ   ldc+32(FP), R8
	SHLQ   $3, R8
	// Prefetch the C block so that the final update does not stall.
	MOVQ       DX, R9
	PREFETCHT0 (R9)
	PREFETCHT0 56(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 56(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 56(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 56(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 56(R9)
	ADDQ       R8, R9
	PREFETCHT0 (R9)
	PREFETCHT0 56(R9)
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
	VBROADCASTSD beta+48(FP), Y3
	VXORPD       X1, X1, X1
	VUCOMISD     X1, X3
	JNE          k_beta_nonzero
	JPS          k_beta_nonzero
	STOREROW0(Y4, Y5)
	STOREROW0(Y6, Y7)
	STOREROW0(Y8, Y9)
	STOREROW0(Y10, Y11)
	STOREROW0(Y12, Y13)
	STOREROW0(Y14, Y15)
	VZEROUPPER
	RET

k_beta_nonzero:
	MOVQ   $0x3ff0000000000000, AX
	VMOVQ  AX, X2
	VUCOMISD X2, X3
	JNE    k_beta_general
	JPS    k_beta_general
	STOREROW1(Y4, Y5)
	STOREROW1(Y6, Y7)
	STOREROW1(Y8, Y9)
	STOREROW1(Y10, Y11)
	STOREROW1(Y12, Y13)
	STOREROW1(Y14, Y15)
	VZEROUPPER
	RET

k_beta_general:
	STOREROWB(Y4, Y5)
	STOREROWB(Y6, Y7)
	STOREROWB(Y8, Y9)
	STOREROWB(Y10, Y11)
	STOREROWB(Y12, Y13)
	STOREROWB(Y14, Y15)
	VZEROUPPER
	RET

// One k step of the strided 6×8 kernel: A element (r, p) at
// SI + r*R9 (R10 = 3*R9, R11 = 5*R9), B row p at DI; then advance SI by
// R12 (A's column stride) and DI by R13 (B's row stride). Same arithmetic,
// in the same order, as STEP.
#define SSTEP \
	VMOVUPD      (DI), Y0;          \
	VMOVUPD      32(DI), Y1;        \
	VBROADCASTSD (SI), Y2;          \
	VFMADD231PD  Y0, Y2, Y4;        \
	VFMADD231PD  Y1, Y2, Y5;        \
	VBROADCASTSD (SI)(R9*1), Y3;    \
	VFMADD231PD  Y0, Y3, Y6;        \
	VFMADD231PD  Y1, Y3, Y7;        \
	VBROADCASTSD (SI)(R9*2), Y2;    \
	VFMADD231PD  Y0, Y2, Y8;        \
	VFMADD231PD  Y1, Y2, Y9;        \
	VBROADCASTSD (SI)(R10*1), Y3;   \
	VFMADD231PD  Y0, Y3, Y10;       \
	VFMADD231PD  Y1, Y3, Y11;       \
	VBROADCASTSD (SI)(R9*4), Y2;    \
	VFMADD231PD  Y0, Y2, Y12;       \
	VFMADD231PD  Y1, Y2, Y13;       \
	VBROADCASTSD (SI)(R11*1), Y3;   \
	VFMADD231PD  Y0, Y3, Y14;       \
	VFMADD231PD  Y1, Y3, Y15;       \
	ADDQ         R12, SI;           \
	ADDQ         R13, DI

// func gemmKernel6x8S(k int, a *float64, ars, acs int, b *float64, brs int, c *float64, ldc int, alpha, beta float64)
// As gemmKernel6x8 with A element (r, p) at a[r*ars+p*acs] and B element
// (p, q) at b[p*brs+q]: reads unpacked operands in place.
TEXT ·gemmKernel6x8S(SB), NOSPLIT, $0-80
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   ars+16(FP), R9
	SHLQ   $3, R9
	LEAQ   (R9)(R9*2), R10
	LEAQ   (R9)(R9*4), R11
	MOVQ   acs+24(FP), R12
	SHLQ   $3, R12
	MOVQ   b+32(FP), DI
	MOVQ   brs+40(FP), R13
	SHLQ   $3, R13
	MOVQ   c+48(FP), DX
	MOVQ   ldc+56(FP), R8
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
	JZ     s_tail

s_loop4:
	PREFETCHT0 (DI)(R13*8)
	SSTEP
	SSTEP
	SSTEP
	SSTEP
	DECQ BX
	JNZ  s_loop4

s_tail:
	ANDQ $3, CX
	JZ   s_store

s_loop1:
	SSTEP
	DECQ CX
	JNZ  s_loop1

s_store:
	VBROADCASTSD alpha+64(FP), Y0
	VBROADCASTSD beta+72(FP), Y3
	VXORPD       X1, X1, X1
	VUCOMISD     X1, X3
	JNE          s_beta_nonzero
	JPS          s_beta_nonzero
	STOREROW0(Y4, Y5)
	STOREROW0(Y6, Y7)
	STOREROW0(Y8, Y9)
	STOREROW0(Y10, Y11)
	STOREROW0(Y12, Y13)
	STOREROW0(Y14, Y15)
	VZEROUPPER
	RET

s_beta_nonzero:
	MOVQ     $0x3ff0000000000000, AX
	VMOVQ    AX, X2
	VUCOMISD X2, X3
	JNE      s_beta_general
	JPS      s_beta_general
	STOREROW1(Y4, Y5)
	STOREROW1(Y6, Y7)
	STOREROW1(Y8, Y9)
	STOREROW1(Y10, Y11)
	STOREROW1(Y12, Y13)
	STOREROW1(Y14, Y15)
	VZEROUPPER
	RET

s_beta_general:
	STOREROWB(Y4, Y5)
	STOREROWB(Y6, Y7)
	STOREROWB(Y8, Y9)
	STOREROWB(Y10, Y11)
	STOREROWB(Y12, Y13)
	STOREROWB(Y14, Y15)
	VZEROUPPER
	RET
