//go:build !noasm

#include "textflag.h"

// func expSum8(dst, src *float32, n int, scale, shift float32, consts *float32) float32
//
// For n a multiple of 8: dst[i] = exp(src[i]*scale - shift) (not stored when dst is nil) and the
// sum of those, with Expf's range reduction and polynomial (consts: expConsts), arguments
// clamped to [-87.33654, 88.72283] (the clamps return their second source, the argument,
// when it is NaN, so a NaN stays NaN). Needs AVX2 and FMA.
TEXT ·expSum8(SB), NOSPLIT, $0-44
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS scale+24(FP), Y0
	VBROADCASTSS shift+28(FP), Y1
	MOVQ         consts+32(FP), R8
	VXORPS       Y15, Y15, Y15
	TESTQ        CX, CX
	JEQ          done

loop:
	VMOVUPS      (SI), Y2
	VFMSUB213PS  Y1, Y0, Y2
	VBROADCASTSS 0(R8), Y3
	VMINPS       Y2, Y3, Y2
	VBROADCASTSS 4(R8), Y3
	VMAXPS       Y2, Y3, Y2
	VBROADCASTSS 8(R8), Y3
	VBROADCASTSS 12(R8), Y4
	VFMADD213PS  Y4, Y2, Y3
	VROUNDPS     $1, Y3, Y3
	VBROADCASTSS 16(R8), Y4
	VFNMADD231PS Y4, Y3, Y2
	VBROADCASTSS 20(R8), Y4
	VFNMADD231PS Y4, Y3, Y2
	VBROADCASTSS 24(R8), Y5
	VBROADCASTSS 28(R8), Y4
	VFMADD213PS  Y4, Y2, Y5
	VBROADCASTSS 32(R8), Y4
	VFMADD213PS  Y4, Y2, Y5
	VBROADCASTSS 36(R8), Y4
	VFMADD213PS  Y4, Y2, Y5
	VBROADCASTSS 40(R8), Y4
	VFMADD213PS  Y4, Y2, Y5
	VBROADCASTSS 44(R8), Y4
	VFMADD213PS  Y4, Y2, Y5
	VMULPS       Y2, Y2, Y6
	VBROADCASTSS 48(R8), Y4
	VADDPS       Y4, Y2, Y7
	VFMADD231PS  Y6, Y5, Y7
	VCVTPS2DQ    Y3, Y3
	VPBROADCASTD 52(R8), Y4
	VPADDD       Y4, Y3, Y3
	VPSLLD       $23, Y3, Y3
	VMULPS       Y3, Y7, Y7
	VADDPS       Y7, Y15, Y15
	TESTQ        DI, DI
	JEQ          next
	VMOVUPS      Y7, (DI)
	ADDQ         $32, DI

next:
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  loop

done:
	VEXTRACTF128 $1, Y15, X0
	VADDPS       X0, X15, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	MOVSS        X0, ret+40(FP)
	VZEROUPPER
	RET
