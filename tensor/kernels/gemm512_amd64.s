//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 6×16 micro-kernel. Each C element gets the same fused
// multiply-adds in the same order as in the AVX2 6×8 kernel (one FMA per
// p, then alpha and beta as there), so the two give identical bits; this
// one is twice as wide. Accumulators Z4..Z15 (row r in Z(4+2r), Z(5+2r)).
#define ZSTEP(aoff, boff) \
	VMOVUPD      boff(DI), Z0;       \
	VMOVUPD      boff+64(DI), Z1;    \
	VBROADCASTSD aoff(SI), Z2;       \
	VFMADD231PD  Z0, Z2, Z4;         \
	VFMADD231PD  Z1, Z2, Z5;         \
	VBROADCASTSD aoff+8(SI), Z3;     \
	VFMADD231PD  Z0, Z3, Z6;         \
	VFMADD231PD  Z1, Z3, Z7;         \
	VBROADCASTSD aoff+16(SI), Z2;    \
	VFMADD231PD  Z0, Z2, Z8;         \
	VFMADD231PD  Z1, Z2, Z9;         \
	VBROADCASTSD aoff+24(SI), Z3;    \
	VFMADD231PD  Z0, Z3, Z10;        \
	VFMADD231PD  Z1, Z3, Z11;        \
	VBROADCASTSD aoff+32(SI), Z2;    \
	VFMADD231PD  Z0, Z2, Z12;        \
	VFMADD231PD  Z1, Z2, Z13;        \
	VBROADCASTSD aoff+40(SI), Z3;    \
	VFMADD231PD  Z0, Z3, Z14;        \
	VFMADD231PD  Z1, Z3, Z15

#define ZROW1(lo, hi) \
	VMOVUPD     (DX), Z1;      \
	VMOVUPD     64(DX), Z2;    \
	VFMADD231PD lo, Z0, Z1;    \
	VFMADD231PD hi, Z0, Z2;    \
	VMOVUPD     Z1, (DX);      \
	VMOVUPD     Z2, 64(DX);    \
	ADDQ        R8, DX

#define ZROWB(lo, hi) \
	VMULPD      (DX), Z3, Z1;  \
	VMULPD      64(DX), Z3, Z2; \
	VFMADD231PD lo, Z0, Z1;    \
	VFMADD231PD hi, Z0, Z2;    \
	VMOVUPD     Z1, (DX);      \
	VMOVUPD     Z2, 64(DX);    \
	ADDQ        R8, DX

#define ZROW0(lo, hi) \
	VMULPD      lo, Z0, Z1;    \
	VMULPD      hi, Z0, Z2;    \
	VMOVUPD     Z1, (DX);      \
	VMOVUPD     Z2, 64(DX);    \
	ADDQ        R8, DX

#define PREFROW \
	PREFETCHT0 (R9);      \
	PREFETCHT0 64(R9);    \
	PREFETCHT0 120(R9);   \
	ADDQ       R8, R9

// func gemmKernel6x16(k int, a, b, c *float64, ldc int, alpha, beta float64)
// C[r*ldc+j] = alpha * Σ_p a[p*6+r]*b[p*16+j] + beta*C[r*ldc+j] for r < 6,
// j < 16, k >= 1; beta == 0 does not read C, beta == 1 skips the multiply.
TEXT ·gemmKernel6x16(SB), NOSPLIT, $0-56
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   b+16(FP), DI
	MOVQ   c+24(FP), DX
	MOVQ   ldc+32(FP), R8
	SHLQ   $3, R8
	MOVQ   DX, R9
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	PREFROW
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	MOVQ   CX, BX
	SHRQ   $2, BX
	JZ     z_tail

z_loop4:
	PREFETCHT0 384(SI)
	ZSTEP(0, 0)
	PREFETCHT0 1024(DI)
	ZSTEP(48, 128)
	PREFETCHT0 1088(DI)
	ZSTEP(96, 256)
	PREFETCHT0 1152(DI)
	ZSTEP(144, 384)
	PREFETCHT0 1216(DI)
	ADDQ $192, SI
	ADDQ $512, DI
	DECQ BX
	JNZ  z_loop4

z_tail:
	ANDQ $3, CX
	JZ   z_store

z_loop1:
	ZSTEP(0, 0)
	ADDQ $48, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  z_loop1

z_store:
	VBROADCASTSD alpha+40(FP), Z0
	VBROADCASTSD beta+48(FP), Z3
	VXORPD       X1, X1, X1
	VUCOMISD     X1, X3
	JNE          z_beta_nonzero
	JPS          z_beta_nonzero
	ZROW0(Z4, Z5)
	ZROW0(Z6, Z7)
	ZROW0(Z8, Z9)
	ZROW0(Z10, Z11)
	ZROW0(Z12, Z13)
	ZROW0(Z14, Z15)
	VZEROUPPER
	RET

z_beta_nonzero:
	MOVQ     $0x3ff0000000000000, AX
	VMOVQ    AX, X2
	VUCOMISD X2, X3
	JNE      z_beta_general
	JPS      z_beta_general
	ZROW1(Z4, Z5)
	ZROW1(Z6, Z7)
	ZROW1(Z8, Z9)
	ZROW1(Z10, Z11)
	ZROW1(Z12, Z13)
	ZROW1(Z14, Z15)
	VZEROUPPER
	RET

z_beta_general:
	ZROWB(Z4, Z5)
	ZROWB(Z6, Z7)
	ZROWB(Z8, Z9)
	ZROWB(Z10, Z11)
	ZROWB(Z12, Z13)
	ZROWB(Z14, Z15)
	VZEROUPPER
	RET

// Strided twin of ZSTEP (see SSTEP in gemm_amd64.s): A element (r, p) at
// SI + r*R9, B row p at DI; advance SI by R12 and DI by R13.
#define ZSSTEP \
	VMOVUPD      (DI), Z0;          \
	VMOVUPD      64(DI), Z1;        \
	VBROADCASTSD (SI), Z2;          \
	VFMADD231PD  Z0, Z2, Z4;        \
	VFMADD231PD  Z1, Z2, Z5;        \
	VBROADCASTSD (SI)(R9*1), Z3;    \
	VFMADD231PD  Z0, Z3, Z6;        \
	VFMADD231PD  Z1, Z3, Z7;        \
	VBROADCASTSD (SI)(R9*2), Z2;    \
	VFMADD231PD  Z0, Z2, Z8;        \
	VFMADD231PD  Z1, Z2, Z9;        \
	VBROADCASTSD (SI)(R10*1), Z3;   \
	VFMADD231PD  Z0, Z3, Z10;       \
	VFMADD231PD  Z1, Z3, Z11;       \
	VBROADCASTSD (SI)(R9*4), Z2;    \
	VFMADD231PD  Z0, Z2, Z12;       \
	VFMADD231PD  Z1, Z2, Z13;       \
	VBROADCASTSD (SI)(R11*1), Z3;   \
	VFMADD231PD  Z0, Z3, Z14;       \
	VFMADD231PD  Z1, Z3, Z15;       \
	ADDQ         R12, SI;           \
	ADDQ         R13, DI

// func gemmKernel6x16S(k int, a *float64, ars, acs int, b *float64, brs int, c *float64, ldc int, alpha, beta float64)
// As gemmKernel6x16 with A element (r, p) at a[r*ars+p*acs] and B element
// (p, q) at b[p*brs+q].
TEXT ·gemmKernel6x16S(SB), NOSPLIT, $0-80
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
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	MOVQ   CX, BX
	SHRQ   $2, BX
	JZ     zs_tail

zs_loop4:
	PREFETCHT0 (DI)(R13*8)
	ZSSTEP
	ZSSTEP
	ZSSTEP
	ZSSTEP
	DECQ BX
	JNZ  zs_loop4

zs_tail:
	ANDQ $3, CX
	JZ   zs_store

zs_loop1:
	ZSSTEP
	DECQ CX
	JNZ  zs_loop1

zs_store:
	VBROADCASTSD alpha+64(FP), Z0
	VBROADCASTSD beta+72(FP), Z3
	VXORPD       X1, X1, X1
	VUCOMISD     X1, X3
	JNE          zs_beta_nonzero
	JPS          zs_beta_nonzero
	ZROW0(Z4, Z5)
	ZROW0(Z6, Z7)
	ZROW0(Z8, Z9)
	ZROW0(Z10, Z11)
	ZROW0(Z12, Z13)
	ZROW0(Z14, Z15)
	VZEROUPPER
	RET

zs_beta_nonzero:
	MOVQ     $0x3ff0000000000000, AX
	VMOVQ    AX, X2
	VUCOMISD X2, X3
	JNE      zs_beta_general
	JPS      zs_beta_general
	ZROW1(Z4, Z5)
	ZROW1(Z6, Z7)
	ZROW1(Z8, Z9)
	ZROW1(Z10, Z11)
	ZROW1(Z12, Z13)
	ZROW1(Z14, Z15)
	VZEROUPPER
	RET

zs_beta_general:
	ZROWB(Z4, Z5)
	ZROWB(Z6, Z7)
	ZROWB(Z8, Z9)
	ZROWB(Z10, Z11)
	ZROWB(Z12, Z13)
	ZROWB(Z14, Z15)
	VZEROUPPER
	RET
