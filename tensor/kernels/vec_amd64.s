//go:build amd64 && !purego

#include "textflag.h"

// AVX2+FMA level-1 kernels. Each processes 16 elements per iteration in
// four ymm registers, then 4 at a time, then a scalar tail, so that every
// length 0..n is handled without reading or writing past element n-1.

// func dotAVX2(x, y *float64, n int) float64
TEXT ·dotAVX2(SB), NOSPLIT, $0-32
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   AX, AX
	MOVQ   CX, BX
	ANDQ   $-16, BX

dot_loop16:
	CMPQ        AX, BX
	JGE         dot_tail4
	VMOVUPD     (SI)(AX*8), Y4
	VMOVUPD     32(SI)(AX*8), Y5
	VMOVUPD     64(SI)(AX*8), Y6
	VMOVUPD     96(SI)(AX*8), Y7
	VFMADD231PD (DI)(AX*8), Y4, Y0
	VFMADD231PD 32(DI)(AX*8), Y5, Y1
	VFMADD231PD 64(DI)(AX*8), Y6, Y2
	VFMADD231PD 96(DI)(AX*8), Y7, Y3
	ADDQ        $16, AX
	JMP         dot_loop16

dot_tail4:
	MOVQ CX, BX
	ANDQ $-4, BX

dot_loop4:
	CMPQ        AX, BX
	JGE         dot_reduce
	VMOVUPD     (SI)(AX*8), Y4
	VFMADD231PD (DI)(AX*8), Y4, Y0
	ADDQ        $4, AX
	JMP         dot_loop4

dot_reduce:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VUNPCKHPD    X0, X0, X1
	VADDSD       X1, X0, X0

dot_loop1:
	CMPQ        AX, CX
	JGE         dot_done
	VMOVSD      (SI)(AX*8), X4
	VFMADD231SD (DI)(AX*8), X4, X0
	INCQ        AX
	JMP         dot_loop1

dot_done:
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET

// func axpyAVX2(alpha float64, x, y *float64, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSD alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-16, BX

axpy_loop16:
	CMPQ        AX, BX
	JGE         axpy_tail4
	VMOVUPD     (DI)(AX*8), Y1
	VMOVUPD     32(DI)(AX*8), Y2
	VMOVUPD     64(DI)(AX*8), Y3
	VMOVUPD     96(DI)(AX*8), Y4
	VFMADD231PD (SI)(AX*8), Y0, Y1
	VFMADD231PD 32(SI)(AX*8), Y0, Y2
	VFMADD231PD 64(SI)(AX*8), Y0, Y3
	VFMADD231PD 96(SI)(AX*8), Y0, Y4
	VMOVUPD     Y1, (DI)(AX*8)
	VMOVUPD     Y2, 32(DI)(AX*8)
	VMOVUPD     Y3, 64(DI)(AX*8)
	VMOVUPD     Y4, 96(DI)(AX*8)
	ADDQ        $16, AX
	JMP         axpy_loop16

axpy_tail4:
	MOVQ CX, BX
	ANDQ $-4, BX

axpy_loop4:
	CMPQ        AX, BX
	JGE         axpy_loop1
	VMOVUPD     (DI)(AX*8), Y1
	VFMADD231PD (SI)(AX*8), Y0, Y1
	VMOVUPD     Y1, (DI)(AX*8)
	ADDQ        $4, AX
	JMP         axpy_loop4

axpy_loop1:
	CMPQ        AX, CX
	JGE         axpy_done
	VMOVSD      (DI)(AX*8), X1
	VFMADD231SD (SI)(AX*8), X0, X1
	VMOVSD      X1, (DI)(AX*8)
	INCQ        AX
	JMP         axpy_loop1

axpy_done:
	VZEROUPPER
	RET

// func scalAVX2(alpha float64, x *float64, n int)
TEXT ·scalAVX2(SB), NOSPLIT, $0-24
	VBROADCASTSD alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-16, BX

scal_loop16:
	CMPQ    AX, BX
	JGE     scal_tail4
	VMULPD  (SI)(AX*8), Y0, Y1
	VMULPD  32(SI)(AX*8), Y0, Y2
	VMULPD  64(SI)(AX*8), Y0, Y3
	VMULPD  96(SI)(AX*8), Y0, Y4
	VMOVUPD Y1, (SI)(AX*8)
	VMOVUPD Y2, 32(SI)(AX*8)
	VMOVUPD Y3, 64(SI)(AX*8)
	VMOVUPD Y4, 96(SI)(AX*8)
	ADDQ    $16, AX
	JMP     scal_loop16

scal_tail4:
	MOVQ CX, BX
	ANDQ $-4, BX

scal_loop4:
	CMPQ    AX, BX
	JGE     scal_loop1
	VMULPD  (SI)(AX*8), Y0, Y1
	VMOVUPD Y1, (SI)(AX*8)
	ADDQ    $4, AX
	JMP     scal_loop4

scal_loop1:
	CMPQ   AX, CX
	JGE    scal_done
	VMULSD (SI)(AX*8), X0, X1
	VMOVSD X1, (SI)(AX*8)
	INCQ   AX
	JMP    scal_loop1

scal_done:
	VZEROUPPER
	RET

// func addAVX2(dst, x, y *float64, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DX
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-16, BX

add_loop16:
	CMPQ    AX, BX
	JGE     add_tail4
	VMOVUPD (SI)(AX*8), Y1
	VMOVUPD 32(SI)(AX*8), Y2
	VMOVUPD 64(SI)(AX*8), Y3
	VMOVUPD 96(SI)(AX*8), Y4
	VADDPD  (DI)(AX*8), Y1, Y1
	VADDPD  32(DI)(AX*8), Y2, Y2
	VADDPD  64(DI)(AX*8), Y3, Y3
	VADDPD  96(DI)(AX*8), Y4, Y4
	VMOVUPD Y1, (DX)(AX*8)
	VMOVUPD Y2, 32(DX)(AX*8)
	VMOVUPD Y3, 64(DX)(AX*8)
	VMOVUPD Y4, 96(DX)(AX*8)
	ADDQ    $16, AX
	JMP     add_loop16

add_tail4:
	MOVQ CX, BX
	ANDQ $-4, BX

add_loop4:
	CMPQ    AX, BX
	JGE     add_loop1
	VMOVUPD (SI)(AX*8), Y1
	VADDPD  (DI)(AX*8), Y1, Y1
	VMOVUPD Y1, (DX)(AX*8)
	ADDQ    $4, AX
	JMP     add_loop4

add_loop1:
	CMPQ   AX, CX
	JGE    add_done
	VMOVSD (SI)(AX*8), X1
	VADDSD (DI)(AX*8), X1, X1
	VMOVSD X1, (DX)(AX*8)
	INCQ   AX
	JMP    add_loop1

add_done:
	VZEROUPPER
	RET

// func mulAVX2(dst, x, y *float64, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DX
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-16, BX

mul_loop16:
	CMPQ    AX, BX
	JGE     mul_tail4
	VMOVUPD (SI)(AX*8), Y1
	VMOVUPD 32(SI)(AX*8), Y2
	VMOVUPD 64(SI)(AX*8), Y3
	VMOVUPD 96(SI)(AX*8), Y4
	VMULPD  (DI)(AX*8), Y1, Y1
	VMULPD  32(DI)(AX*8), Y2, Y2
	VMULPD  64(DI)(AX*8), Y3, Y3
	VMULPD  96(DI)(AX*8), Y4, Y4
	VMOVUPD Y1, (DX)(AX*8)
	VMOVUPD Y2, 32(DX)(AX*8)
	VMOVUPD Y3, 64(DX)(AX*8)
	VMOVUPD Y4, 96(DX)(AX*8)
	ADDQ    $16, AX
	JMP     mul_loop16

mul_tail4:
	MOVQ CX, BX
	ANDQ $-4, BX

mul_loop4:
	CMPQ    AX, BX
	JGE     mul_loop1
	VMOVUPD (SI)(AX*8), Y1
	VMULPD  (DI)(AX*8), Y1, Y1
	VMOVUPD Y1, (DX)(AX*8)
	ADDQ    $4, AX
	JMP     mul_loop4

mul_loop1:
	CMPQ   AX, CX
	JGE    mul_done
	VMOVSD (SI)(AX*8), X1
	VMULSD (DI)(AX*8), X1, X1
	VMOVSD X1, (DX)(AX*8)
	INCQ   AX
	JMP    mul_loop1

mul_done:
	VZEROUPPER
	RET

// func rotAVX2(x, y *float64, n int, c, s float64)
// x' = c*x - s*y, y' = c*y + s*x, each with one fused multiply-add.
TEXT ·rotAVX2(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         y+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD c+24(FP), Y0
	VBROADCASTSD s+32(FP), Y1
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-8, BX

rot_loop8:
	CMPQ        AX, BX
	JGE         rot_tail4
	VMOVUPD     (SI)(AX*8), Y2
	VMOVUPD     32(SI)(AX*8), Y3
	VMOVUPD     (DI)(AX*8), Y4
	VMOVUPD     32(DI)(AX*8), Y5
	VMULPD      Y4, Y1, Y6
	VMULPD      Y5, Y1, Y7
	VMULPD      Y2, Y1, Y8
	VMULPD      Y3, Y1, Y9
	VFMSUB231PD Y2, Y0, Y6
	VFMSUB231PD Y3, Y0, Y7
	VFMADD231PD Y4, Y0, Y8
	VFMADD231PD Y5, Y0, Y9
	VMOVUPD     Y6, (SI)(AX*8)
	VMOVUPD     Y7, 32(SI)(AX*8)
	VMOVUPD     Y8, (DI)(AX*8)
	VMOVUPD     Y9, 32(DI)(AX*8)
	ADDQ        $8, AX
	JMP         rot_loop8

rot_tail4:
	MOVQ CX, BX
	ANDQ $-4, BX

rot_loop4:
	CMPQ        AX, BX
	JGE         rot_loop1
	VMOVUPD     (SI)(AX*8), Y2
	VMOVUPD     (DI)(AX*8), Y4
	VMULPD      Y4, Y1, Y6
	VMULPD      Y2, Y1, Y8
	VFMSUB231PD Y2, Y0, Y6
	VFMADD231PD Y4, Y0, Y8
	VMOVUPD     Y6, (SI)(AX*8)
	VMOVUPD     Y8, (DI)(AX*8)
	ADDQ        $4, AX
	JMP         rot_loop4

rot_loop1:
	CMPQ        AX, CX
	JGE         rot_done
	VMOVSD      (SI)(AX*8), X2
	VMOVSD      (DI)(AX*8), X4
	VMULSD      X4, X1, X6
	VMULSD      X2, X1, X8
	VFMSUB231SD X2, X0, X6
	VFMADD231SD X4, X0, X8
	VMOVSD      X6, (SI)(AX*8)
	VMOVSD      X8, (DI)(AX*8)
	INCQ        AX
	JMP         rot_loop1

rot_done:
	VZEROUPPER
	RET
