//go:build !openblas && !noasm

package nn

import "golang.org/x/sys/cpu"

// hasFMA: the AVX2 and FMA kernels of sgemm_amd64.s can run here.
var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func kernel4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, alpha, beta float32)

//go:noescape
func kernel1x16(a *float32, b *float32, ldb int, c *float32, k int, alpha, beta float32)
