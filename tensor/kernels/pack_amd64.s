//go:build amd64 && !purego

#include "textflag.h"

// func packA6AVX2(dst, src *float64, lda, kc int)
// dst[p*6+r] = src[r*lda+p] for r < 6, p < kc: six rows of A interleaved
// into a packed sliver, 4 columns at a time with a 4×4 (rows 0–3) and a
// 2×4 (rows 4–5) register transpose.
TEXT ·packA6AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $3, R8
	MOVQ kc+24(FP), CX
	LEAQ (R8)(R8*2), R9   // 3*lda
	LEAQ (R8)(R8*4), R10  // 5*lda
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   pa_tail

pa_loop4:
	VMOVUPD      (SI), Y0
	VMOVUPD      (SI)(R8*1), Y1
	VMOVUPD      (SI)(R8*2), Y2
	VMOVUPD      (SI)(R9*1), Y3
	VMOVUPD      (SI)(R8*4), Y4
	VMOVUPD      (SI)(R10*1), Y5
	VUNPCKLPD    Y1, Y0, Y6
	VUNPCKHPD    Y1, Y0, Y7
	VUNPCKLPD    Y3, Y2, Y8
	VUNPCKHPD    Y3, Y2, Y9
	VUNPCKLPD    Y5, Y4, Y10
	VUNPCKHPD    Y5, Y4, Y11
	VPERM2F128   $0x20, Y8, Y6, Y0
	VPERM2F128   $0x20, Y9, Y7, Y1
	VPERM2F128   $0x31, Y8, Y6, Y2
	VPERM2F128   $0x31, Y9, Y7, Y3
	VMOVUPD      Y0, (DI)
	VMOVUPD      X10, 32(DI)
	VMOVUPD      Y1, 48(DI)
	VMOVUPD      X11, 80(DI)
	VMOVUPD      Y2, 96(DI)
	VEXTRACTF128 $1, Y10, 128(DI)
	VMOVUPD      Y3, 144(DI)
	VEXTRACTF128 $1, Y11, 176(DI)
	ADDQ         $32, SI
	ADDQ         $192, DI
	DECQ         BX
	JNZ          pa_loop4

pa_tail:
	ANDQ $3, CX
	JZ   pa_done

pa_loop1:
	MOVQ (SI), AX
	MOVQ AX, (DI)
	MOVQ (SI)(R8*1), AX
	MOVQ AX, 8(DI)
	MOVQ (SI)(R8*2), AX
	MOVQ AX, 16(DI)
	MOVQ (SI)(R9*1), AX
	MOVQ AX, 24(DI)
	MOVQ (SI)(R8*4), AX
	MOVQ AX, 32(DI)
	MOVQ (SI)(R10*1), AX
	MOVQ AX, 40(DI)
	ADDQ $8, SI
	ADDQ $48, DI
	DECQ CX
	JNZ  pa_loop1

pa_done:
	VZEROUPPER
	RET

// func packBRowsAVX2(dst, src *float64, ldb, rows, nr int)
// dst[p*nr+q] = src[p*ldb+q] for p < rows, q < nr; nr is 6, 8 or 16 (6:
// slivers of a transposed A).
TEXT ·packBRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $3, R8
	MOVQ rows+24(FP), CX
	MOVQ nr+32(FP), DX
	TESTQ CX, CX
	JZ   pb_done
	CMPQ DX, $16
	JEQ  pb_loop16
	CMPQ DX, $6
	JEQ  pb_loop6

pb_loop8:
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     pb_loop8
	JMP     pb_done

pb_loop16:
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADDQ    R8, SI
	ADDQ    $128, DI
	DECQ    CX
	JNZ     pb_loop16
	JMP     pb_done

pb_loop6:
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), X1
	VMOVUPD Y0, (DI)
	VMOVUPD X1, 32(DI)
	ADDQ    R8, SI
	ADDQ    $48, DI
	DECQ    CX
	JNZ     pb_loop6

pb_done:
	VZEROUPPER
	RET

// Transpose the 4×4 block held in Y0..Y3 (rows) into Y4..Y7 (columns).
#define TRANSPOSE4 \
	VUNPCKLPD  Y1, Y0, Y8;        \
	VUNPCKHPD  Y1, Y0, Y9;        \
	VUNPCKLPD  Y3, Y2, Y10;       \
	VUNPCKHPD  Y3, Y2, Y11;       \
	VPERM2F128 $0x20, Y10, Y8, Y4; \
	VPERM2F128 $0x20, Y11, Y9, Y5; \
	VPERM2F128 $0x31, Y10, Y8, Y6; \
	VPERM2F128 $0x31, Y11, Y9, Y7

// func packBTAVX2(dst, src *float64, ldb, kc, nr int)
// dst[p*nr+q] = src[q*ldb+p] for q < nr, p < kc&^3 (nr is 8 or 16): the
// columns of a transposed B, four rows × four columns at a time. The
// caller copies the last kc%4 columns.
TEXT ·packBTAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $3, R8
	MOVQ kc+24(FP), CX
	SHRQ $2, CX
	JZ   bt_done
	MOVQ nr+32(FP), R11
	SHLQ $3, R11              // dst row stride in bytes
	LEAQ (R8)(R8*2), R9       // 3*ldb bytes
	MOVQ nr+32(FP), R12
	SHRQ $2, R12              // groups of 4 rows

bt_group:
	MOVQ SI, AX               // src of this group's rows, column 0
	MOVQ DI, DX               // dst column offset of this group
	MOVQ CX, BX

bt_loop:
	VMOVUPD (AX), Y0
	VMOVUPD (AX)(R8*1), Y1
	VMOVUPD (AX)(R8*2), Y2
	VMOVUPD (AX)(R9*1), Y3
	TRANSPOSE4
	VMOVUPD Y4, (DX)
	ADDQ    R11, DX
	VMOVUPD Y5, (DX)
	ADDQ    R11, DX
	VMOVUPD Y6, (DX)
	ADDQ    R11, DX
	VMOVUPD Y7, (DX)
	ADDQ    R11, DX
	ADDQ    $32, AX
	DECQ    BX
	JNZ     bt_loop

	LEAQ (SI)(R8*4), SI       // next 4 rows of stored B
	ADDQ $32, DI              // next 4 columns of the sliver
	DECQ R12
	JNZ  bt_group

bt_done:
	VZEROUPPER
	RET
