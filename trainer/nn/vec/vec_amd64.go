//go:build !noasm

package vec

import "golang.org/x/sys/cpu"

// HasFMA: the AVX2 and FMA kernels (sgemm_amd64.s, expsum_amd64.s) can run here; HasAVX512:
// the AVX-512 kernel (sgemm512_amd64.s) too.
var (
	HasFMA    = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	HasAVX512 = HasFMA && cpu.X86.HasAVX512F
)

//go:noescape
func kernel4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, alpha, beta float32)

//go:noescape
func kernel8x32(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, alpha, beta float32)

//go:noescape
func kernel1x16(a *float32, b *float32, ldb int, c *float32, k int, alpha, beta float32)

//go:noescape
func expSum8(dst, src *float32, n int, scale, shift float32, consts *float32) float32

//go:noescape
func dotRows4(a *float32, lda int, x *float32, n int, out *float32)

//go:noescape
func axpyRows32(a *float32, lda int, x *float32, m int, y *float32)
