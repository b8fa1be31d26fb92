//go:build !noasm

#include "textflag.h"

// func dotRows4(a *float32, lda int, x *float32, n int, out *float32)
//
// out[r] = Σ_{p<n} a[r*lda+p]·x[p] for the 4 rows r; n a positive multiple of 8. Needs AVX2
// and FMA.
TEXT ·dotRows4(SB), NOSPLIT, $0-40
	MOVQ   a+0(FP), SI
	MOVQ   lda+8(FP), R8
	MOVQ   x+16(FP), DI
	MOVQ   n+24(FP), CX
	MOVQ   out+32(FP), DX
	SHLQ   $2, R8
	LEAQ   (SI)(R8*2), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dotloop:
	VMOVUPS     (DI), Y4
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS (SI)(R8*1), Y4, Y1
	VFMADD231PS (R11), Y4, Y2
	VFMADD231PS (R11)(R8*1), Y4, Y3
	ADDQ        $32, SI
	ADDQ        $32, R11
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         dotloop

	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVUPS      X0, (DX)
	VZEROUPPER
	RET

// func axpyRows32(a *float32, lda int, x *float32, m int, y *float32)
//
// y[0:32] = Σ_{i<m} x[i]·a[i*lda : i*lda+32]. Needs AVX2 and FMA.
TEXT ·axpyRows32(SB), NOSPLIT, $0-40
	MOVQ   a+0(FP), SI
	MOVQ   lda+8(FP), R8
	MOVQ   x+16(FP), DI
	MOVQ   m+24(FP), CX
	MOVQ   y+32(FP), DX
	SHLQ   $2, R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ  CX, CX
	JEQ    axpydone

axpyloop:
	VBROADCASTSS (DI), Y4
	VFMADD231PS  (SI), Y4, Y0
	VFMADD231PS  32(SI), Y4, Y1
	VFMADD231PS  64(SI), Y4, Y2
	VFMADD231PS  96(SI), Y4, Y3
	ADDQ         R8, SI
	ADDQ         $4, DI
	DECQ         CX
	JNZ          axpyloop

axpydone:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VZEROUPPER
	RET
