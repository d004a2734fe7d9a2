//go:build amd64 && !purego

#include "textflag.h"

// func axpy2AVX2(a1 float64, x1 *float64, a2 float64, x2, y *float64, n int)
// Per element y = fma(a2, x2, fma(a1, x1, y)): the operations of two
// axpyAVX2 calls, so the same bits, with one load and store of y.
TEXT ·axpy2AVX2(SB), NOSPLIT, $0-48
	VBROADCASTSD a1+0(FP), Y0
	MOVQ         x1+8(FP), SI
	VBROADCASTSD a2+16(FP), Y1
	MOVQ         x2+24(FP), DX
	MOVQ         y+32(FP), DI
	MOVQ         n+40(FP), CX
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-8, BX

axpy2_loop8:
	CMPQ        AX, BX
	JGE         axpy2_tail4
	VMOVUPD     (DI)(AX*8), Y2
	VMOVUPD     32(DI)(AX*8), Y3
	VFMADD231PD (SI)(AX*8), Y0, Y2
	VFMADD231PD 32(SI)(AX*8), Y0, Y3
	VFMADD231PD (DX)(AX*8), Y1, Y2
	VFMADD231PD 32(DX)(AX*8), Y1, Y3
	VMOVUPD     Y2, (DI)(AX*8)
	VMOVUPD     Y3, 32(DI)(AX*8)
	ADDQ        $8, AX
	JMP         axpy2_loop8

axpy2_tail4:
	MOVQ CX, BX
	ANDQ $-4, BX

axpy2_loop4:
	CMPQ        AX, BX
	JGE         axpy2_loop1
	VMOVUPD     (DI)(AX*8), Y2
	VFMADD231PD (SI)(AX*8), Y0, Y2
	VFMADD231PD (DX)(AX*8), Y1, Y2
	VMOVUPD     Y2, (DI)(AX*8)
	ADDQ        $4, AX
	JMP         axpy2_loop4

axpy2_loop1:
	CMPQ        AX, CX
	JGE         axpy2_done
	VMOVSD      (DI)(AX*8), X2
	VFMADD231SD (SI)(AX*8), X0, X2
	VFMADD231SD (DX)(AX*8), X1, X2
	VMOVSD      X2, (DI)(AX*8)
	INCQ        AX
	JMP         axpy2_loop1

axpy2_done:
	VZEROUPPER
	RET
