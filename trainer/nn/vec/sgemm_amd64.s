//go:build !noasm

#include "textflag.h"

// func kernel4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, alpha, beta float32)
//
// C[0:4][0:16] = alpha * A[0:4][0:k] * B[0:k][0:16] + beta * C[0:4][0:16], all row-major with
// leading dimensions in elements. C is not read when beta is zero. Needs AVX2 and FMA.
TEXT ·kernel4x16(SB), NOSPLIT, $0-64
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R10
	MOVQ k+48(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (SI)(R8*2), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JEQ   scale4

loop4:
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (R11), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (R11)(R8*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         $4, SI
	ADDQ         $4, R11
	ADDQ         R9, DI
	DECQ         CX
	JNZ          loop4

scale4:
	VBROADCASTSS alpha+56(FP), Y14
	VMULPS       Y14, Y0, Y0
	VMULPS       Y14, Y1, Y1
	VMULPS       Y14, Y2, Y2
	VMULPS       Y14, Y3, Y3
	VMULPS       Y14, Y4, Y4
	VMULPS       Y14, Y5, Y5
	VMULPS       Y14, Y6, Y6
	VMULPS       Y14, Y7, Y7
	MOVL         beta+60(FP), AX
	TESTL        $0x7fffffff, AX
	JEQ          store4
	VBROADCASTSS beta+60(FP), Y15
	LEAQ         (DX)(R10*2), R12
	VFMADD231PS  (DX), Y15, Y0
	VFMADD231PS  32(DX), Y15, Y1
	VFMADD231PS  (DX)(R10*1), Y15, Y2
	VFMADD231PS  32(DX)(R10*1), Y15, Y3
	VFMADD231PS  (R12), Y15, Y4
	VFMADD231PS  32(R12), Y15, Y5
	VFMADD231PS  (R12)(R10*1), Y15, Y6
	VFMADD231PS  32(R12)(R10*1), Y15, Y7

store4:
	LEAQ    (DX)(R10*2), R12
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, (DX)(R10*1)
	VMOVUPS Y3, 32(DX)(R10*1)
	VMOVUPS Y4, (R12)
	VMOVUPS Y5, 32(R12)
	VMOVUPS Y6, (R12)(R10*1)
	VMOVUPS Y7, 32(R12)(R10*1)
	VZEROUPPER
	RET

// func kernel1x16(a *float32, b *float32, ldb int, c *float32, k int, alpha, beta float32)
//
// kernel4x16 for one row.
TEXT ·kernel1x16(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ ldb+16(FP), R9
	MOVQ c+24(FP), DX
	MOVQ k+32(FP), CX
	SHLQ $2, R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	TESTQ CX, CX
	JEQ   scale1

loop1:
	VBROADCASTSS (SI), Y10
	VFMADD231PS  (DI), Y10, Y0
	VFMADD231PS  32(DI), Y10, Y1
	ADDQ         $4, SI
	ADDQ         R9, DI
	DECQ         CX
	JNZ          loop1

scale1:
	VBROADCASTSS alpha+40(FP), Y14
	VMULPS       Y14, Y0, Y0
	VMULPS       Y14, Y1, Y1
	MOVL         beta+44(FP), AX
	TESTL        $0x7fffffff, AX
	JEQ          store1
	VBROADCASTSS beta+44(FP), Y15
	VFMADD231PS  (DX), Y15, Y0
	VFMADD231PS  32(DX), Y15, Y1

store1:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VZEROUPPER
	RET
