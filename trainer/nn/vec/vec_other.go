//go:build !amd64 || noasm

package vec

// HasFMA and HasAVX512: the assembly kernels can run here (never, in this build).
const (
	HasFMA    = false
	HasAVX512 = false
)

func kernel8x32(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, alpha, beta float32) {
	panic("vec: no FMA kernels in this build")
}

func kernel4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, alpha, beta float32) {
	panic("vec: no FMA kernels in this build")
}

func kernel1x16(a *float32, b *float32, ldb int, c *float32, k int, alpha, beta float32) {
	panic("vec: no FMA kernels in this build")
}

func expSum8(dst, src *float32, n int, scale, shift float32, consts *float32) float32 {
	panic("vec: no FMA kernels in this build")
}

func dotRows4(a *float32, lda int, x *float32, n int, out *float32) {
	panic("vec: no FMA kernels in this build")
}

func axpyRows32(a *float32, lda int, x *float32, m int, y *float32) {
	panic("vec: no FMA kernels in this build")
}
