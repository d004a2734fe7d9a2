//go:build amd64 && !purego

#include "textflag.h"

// func rot2AVX2(x1, x2, y *float64, n int, c1, s1, c2, s2 float64)
// Two rotations sharing y, each exactly as rotAVX2 (one multiply, one
// fused multiply-add per output), so the bits equal two Rot calls.
TEXT ·rot2AVX2(SB), NOSPLIT, $0-64
	MOVQ         x1+0(FP), SI
	MOVQ         x2+8(FP), DX
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSD c1+32(FP), Y0
	VBROADCASTSD s1+40(FP), Y1
	VBROADCASTSD c2+48(FP), Y10
	VBROADCASTSD s2+56(FP), Y11
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-4, BX

rot2_loop4:
	CMPQ        AX, BX
	JGE         rot2_loop1
	VMOVUPD     (SI)(AX*8), Y2
	VMOVUPD     (DI)(AX*8), Y4
	VMOVUPD     (DX)(AX*8), Y3
	VMULPD      Y4, Y1, Y6
	VMULPD      Y2, Y1, Y8
	VFMSUB231PD Y2, Y0, Y6
	VFMADD231PD Y4, Y0, Y8
	VMOVUPD     Y6, (SI)(AX*8)
	VMULPD      Y8, Y11, Y7
	VMULPD      Y3, Y11, Y9
	VFMSUB231PD Y3, Y10, Y7
	VFMADD231PD Y8, Y10, Y9
	VMOVUPD     Y7, (DX)(AX*8)
	VMOVUPD     Y9, (DI)(AX*8)
	ADDQ        $4, AX
	JMP         rot2_loop4

rot2_loop1:
	CMPQ        AX, CX
	JGE         rot2_done
	VMOVSD      (SI)(AX*8), X2
	VMOVSD      (DI)(AX*8), X4
	VMOVSD      (DX)(AX*8), X3
	VMULSD      X4, X1, X6
	VMULSD      X2, X1, X8
	VFMSUB231SD X2, X0, X6
	VFMADD231SD X4, X0, X8
	VMOVSD      X6, (SI)(AX*8)
	VMULSD      X8, X11, X7
	VMULSD      X3, X11, X9
	VFMSUB231SD X3, X10, X7
	VFMADD231SD X8, X10, X9
	VMOVSD      X7, (DX)(AX*8)
	VMOVSD      X9, (DI)(AX*8)
	INCQ        AX
	JMP         rot2_loop1

rot2_done:
	VZEROUPPER
	RET

// func rot2AVX512(x1, x2, y *float64, n int, c1, s1, c2, s2 float64)
// rot2AVX2 with 8 lanes: the same operations per element, so the same
// bits. Only called when the CPU and OS support AVX-512F.
TEXT ·rot2AVX512(SB), NOSPLIT, $0-64
	MOVQ         x1+0(FP), SI
	MOVQ         x2+8(FP), DX
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSD c1+32(FP), Z0
	VBROADCASTSD s1+40(FP), Z1
	VBROADCASTSD c2+48(FP), Z10
	VBROADCASTSD s2+56(FP), Z11
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-8, BX

rot2z_loop8:
	CMPQ        AX, BX
	JGE         rot2z_tail4
	VMOVUPD     (SI)(AX*8), Z2
	VMOVUPD     (DI)(AX*8), Z4
	VMOVUPD     (DX)(AX*8), Z3
	VMULPD      Z4, Z1, Z6
	VMULPD      Z2, Z1, Z8
	VFMSUB231PD Z2, Z0, Z6
	VFMADD231PD Z4, Z0, Z8
	VMOVUPD     Z6, (SI)(AX*8)
	VMULPD      Z8, Z11, Z7
	VMULPD      Z3, Z11, Z9
	VFMSUB231PD Z3, Z10, Z7
	VFMADD231PD Z8, Z10, Z9
	VMOVUPD     Z7, (DX)(AX*8)
	VMOVUPD     Z9, (DI)(AX*8)
	ADDQ        $8, AX
	JMP         rot2z_loop8

rot2z_tail4:
	MOVQ         CX, BX
	ANDQ         $-4, BX

rot2z_loop4:
	CMPQ        AX, BX
	JGE         rot2z_loop1
	VMOVUPD     (SI)(AX*8), Y2
	VMOVUPD     (DI)(AX*8), Y4
	VMOVUPD     (DX)(AX*8), Y3
	VMULPD      Y4, Y1, Y6
	VMULPD      Y2, Y1, Y8
	VFMSUB231PD Y2, Y0, Y6
	VFMADD231PD Y4, Y0, Y8
	VMOVUPD     Y6, (SI)(AX*8)
	VMULPD      Y8, Y11, Y7
	VMULPD      Y3, Y11, Y9
	VFMSUB231PD Y3, Y10, Y7
	VFMADD231PD Y8, Y10, Y9
	VMOVUPD     Y7, (DX)(AX*8)
	VMOVUPD     Y9, (DI)(AX*8)
	ADDQ        $4, AX
	JMP         rot2z_loop4

rot2z_loop1:
	CMPQ        AX, CX
	JGE         rot2z_done
	VMOVSD      (SI)(AX*8), X2
	VMOVSD      (DI)(AX*8), X4
	VMOVSD      (DX)(AX*8), X3
	VMULSD      X4, X1, X6
	VMULSD      X2, X1, X8
	VFMSUB231SD X2, X0, X6
	VFMADD231SD X4, X0, X8
	VMOVSD      X6, (SI)(AX*8)
	VMULSD      X8, X11, X7
	VMULSD      X3, X11, X9
	VFMSUB231SD X3, X10, X7
	VFMADD231SD X8, X10, X9
	VMOVSD      X7, (DX)(AX*8)
	VMOVSD      X9, (DI)(AX*8)
	INCQ        AX
	JMP         rot2z_loop1

rot2z_done:
	VZEROUPPER
	RET
