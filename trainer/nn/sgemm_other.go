//go:build !amd64 || openblas || noasm

package nn

const hasFMA = false

func kernel4x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, k int, alpha, beta float32) {
	panic("nn: no FMA kernel in this build")
}

func kernel1x16(a *float32, b *float32, ldb int, c *float32, k int, alpha, beta float32) {
	panic("nn: no FMA kernel in this build")
}
