package vec

import "gonum.org/v1/gonum/blas"

// Sgemv computes y = alpha·op(A)·x + beta·y as blas.Float32 does: with unit strides, rows of a
// multiple of 8 (A·x, four dot products at a time) or of 32 (Aᵀ·x, 32 sums kept in registers
// over A's rows) go to the FMA kernels, the rest to gonum. These are attention's products
// over the KV cache while sampling.
func (f Implementation) Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	trans := tA != blas.NoTrans
	lenX, lenY, unit := n, m, 8
	if trans {
		lenX, lenY, unit = m, n, 32
	}
	if !HasFMA || incX != 1 || incY != 1 || m <= 0 || n <= 0 || lda < n || n%unit != 0 || alpha == 0 {
		f.Implementation.Sgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
		return
	}
	switch {
	case len(a) < lda*(m-1)+n:
		panic("vec: sgemv: insufficient length of a")
	case len(x) < lenX:
		panic("vec: sgemv: insufficient length of x")
	case len(y) < lenY:
		panic("vec: sgemv: insufficient length of y")
	}
	set := func(dst []float32, sums []float32) {
		for i, s := range sums {
			if beta == 0 {
				dst[i] = alpha * s
			} else {
				dst[i] = alpha*s + beta*dst[i]
			}
		}
	}
	if trans {
		var sums [32]float32
		for j := 0; j < n; j += 32 {
			axpyRows32(&a[j], lda, &x[0], m, &sums[0])
			set(y[j:j+32], sums[:])
		}
		return
	}
	var sums [4]float32
	i := 0
	for ; i+4 <= m; i += 4 {
		dotRows4(&a[i*lda], lda, &x[0], n, &sums[0])
		set(y[i:i+4], sums[:])
	}
	for ; i < m; i++ {
		var s float32
		for p, v := range a[i*lda : i*lda+n] {
			s += v * x[p]
		}
		set(y[i:i+1], []float32{s})
	}
}
