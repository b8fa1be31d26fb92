package vec

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's pure-Go BLAS with the products of untransposed matrices (the forward pass
// of every linear layer, and sampling) done by the AVX2/FMA kernels of sgemm_amd64.s when the
// CPU has them; gonum's float32 Sgemm uses 4-wide SSE axpy loops that store C once per term.
type Implementation struct{ gonum.Implementation }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C as blas.Float32 does.
func (f Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !HasFMA || tA != blas.NoTrans || tB != blas.NoTrans || m <= 0 || n < sgemmCols || k <= 0 || alpha == 0 ||
		lda < k || ldb < n || ldc < n {
		f.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	switch {
	case len(a) < lda*(m-1)+k:
		panic("vec: sgemm: insufficient length of a")
	case len(b) < ldb*(k-1)+n:
		panic("vec: sgemm: insufficient length of b")
	case len(c) < ldc*(m-1)+n:
		panic("vec: sgemm: insufficient length of c")
	}
	sgemmNN(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmCols is the width of a kernel's block of C; sgemmRows the rows of A one pass over a
// panel of B serves (64 rows of up to 512 floats stay in L2).
const (
	sgemmCols = 16
	sgemmRows = 64
)

// sgemmNN is Sgemm of untransposed operands with the shapes and lengths checked: the kernels
// take the columns in blocks of 16, and gonum the rest.
func sgemmNN(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	wide := n - n%sgemmCols
	for i0 := 0; i0 < m; i0 += sgemmRows {
		i1 := min(i0+sgemmRows, m)
		for j := 0; j < wide; j += sgemmCols {
			i := i0
			for ; i+4 <= i1; i += 4 {
				kernel4x16(&a[i*lda], lda, &b[j], ldb, &c[i*ldc+j], ldc, k, alpha, beta)
			}
			for ; i < i1; i++ {
				kernel1x16(&a[i*lda], &b[j], ldb, &c[i*ldc+j], k, alpha, beta)
			}
		}
	}
	if wide < n {
		gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n-wide, k, alpha, a, lda, b[wide:], ldb, beta, c[wide:], ldc)
	}
}
