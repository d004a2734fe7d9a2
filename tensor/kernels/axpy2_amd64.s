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

// func axpy2DotAVX2(a1 float64, x1 *float64, a2 float64, x2, y, z *float64, n int) float64
// axpy2AVX2, then dotAVX2(y, z) on the updated y with dotAVX2's blocking
// (16 per iteration in four accumulators, then 4, reduce, scalar tail),
// so the same bits, in one pass.
TEXT ·axpy2DotAVX2(SB), NOSPLIT, $0-64
	VBROADCASTSD a1+0(FP), Y8
	MOVQ         x1+8(FP), SI
	VBROADCASTSD a2+16(FP), Y9
	MOVQ         x2+24(FP), DX
	MOVQ         y+32(FP), DI
	MOVQ         z+40(FP), R8
	MOVQ         n+48(FP), CX
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y2, Y2, Y2
	VXORPD       Y3, Y3, Y3
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-16, BX

a2d_loop16:
	CMPQ        AX, BX
	JGE         a2d_tail4
	VMOVUPD     (DI)(AX*8), Y4
	VMOVUPD     32(DI)(AX*8), Y5
	VMOVUPD     64(DI)(AX*8), Y6
	VMOVUPD     96(DI)(AX*8), Y7
	VFMADD231PD (SI)(AX*8), Y8, Y4
	VFMADD231PD 32(SI)(AX*8), Y8, Y5
	VFMADD231PD 64(SI)(AX*8), Y8, Y6
	VFMADD231PD 96(SI)(AX*8), Y8, Y7
	VFMADD231PD (DX)(AX*8), Y9, Y4
	VFMADD231PD 32(DX)(AX*8), Y9, Y5
	VFMADD231PD 64(DX)(AX*8), Y9, Y6
	VFMADD231PD 96(DX)(AX*8), Y9, Y7
	VMOVUPD     Y4, (DI)(AX*8)
	VMOVUPD     Y5, 32(DI)(AX*8)
	VMOVUPD     Y6, 64(DI)(AX*8)
	VMOVUPD     Y7, 96(DI)(AX*8)
	VFMADD231PD (R8)(AX*8), Y4, Y0
	VFMADD231PD 32(R8)(AX*8), Y5, Y1
	VFMADD231PD 64(R8)(AX*8), Y6, Y2
	VFMADD231PD 96(R8)(AX*8), Y7, Y3
	ADDQ        $16, AX
	JMP         a2d_loop16

a2d_tail4:
	MOVQ CX, BX
	ANDQ $-4, BX

a2d_loop4:
	CMPQ        AX, BX
	JGE         a2d_reduce
	VMOVUPD     (DI)(AX*8), Y4
	VFMADD231PD (SI)(AX*8), Y8, Y4
	VFMADD231PD (DX)(AX*8), Y9, Y4
	VMOVUPD     Y4, (DI)(AX*8)
	VFMADD231PD (R8)(AX*8), Y4, Y0
	ADDQ        $4, AX
	JMP         a2d_loop4

a2d_reduce:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VUNPCKHPD    X0, X0, X1
	VADDSD       X1, X0, X0

a2d_loop1:
	CMPQ        AX, CX
	JGE         a2d_done
	VMOVSD      (DI)(AX*8), X4
	VFMADD231SD (SI)(AX*8), X8, X4
	VFMADD231SD (DX)(AX*8), X9, X4
	VMOVSD      X4, (DI)(AX*8)
	VFMADD231SD (R8)(AX*8), X4, X0
	INCQ        AX
	JMP         a2d_loop1

a2d_done:
	VZEROUPPER
	MOVSD X0, ret+56(FP)
	RET
