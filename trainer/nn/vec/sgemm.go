package vec

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's pure-Go BLAS with Sgemm done by the AVX2/FMA kernels of
// sgemm_amd64.s when the CPU has them (gonum's float32 Sgemm uses 4-wide SSE axpy loops that
// store C once per term). A transposed operand is first copied out transposed: the copy costs
// one pass over it, the product k times that.
type Implementation struct{ gonum.Implementation }

// minTransposed is the size m·n·k from which a product with a transposed operand is worth its
// copy.
const minTransposed = 1 << 15

// Sgemm computes C = alpha·op(A)·op(B) + beta·C as blas.Float32 does.
func (f Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	transA, transB := tA != blas.NoTrans, tB != blas.NoTrans
	rowsA, colsA, rowsB, colsB := m, k, k, n
	if transA {
		rowsA, colsA = k, m
	}
	if transB {
		rowsB, colsB = n, k
	}
	if !HasFMA || m <= 0 || n < sgemmCols || k <= 0 || alpha == 0 || lda < colsA || ldb < colsB || ldc < n ||
		((transA || transB) && m*n*k < minTransposed) {
		f.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	switch {
	case len(a) < lda*(rowsA-1)+colsA:
		panic("vec: sgemm: insufficient length of a")
	case len(b) < ldb*(rowsB-1)+colsB:
		panic("vec: sgemm: insufficient length of b")
	case len(c) < ldc*(m-1)+n:
		panic("vec: sgemm: insufficient length of c")
	}
	if transA {
		at := getScratch(m * k)
		defer scratch.Put(at)
		transpose(*at, a, rowsA, colsA, lda)
		a, lda = *at, k
	}
	if transB {
		bt := getScratch(k * n)
		defer scratch.Put(bt)
		transpose(*bt, b, rowsB, colsB, ldb)
		b, ldb = *bt, n
	}
	sgemmNN(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// useAVX512 lets tests and benchmarks compare the AVX2 kernels with the AVX-512 one.
var useAVX512 = true

var scratch sync.Pool

func getScratch(n int) *[]float32 {
	s, _ := scratch.Get().(*[]float32)
	if s == nil {
		s = new([]float32)
	}
	if cap(*s) < n {
		*s = make([]float32, n)
	}
	*s = (*s)[:n]
	return s
}

// transpose writes the rows × cols matrix src (stride ld) to dst as cols × rows (stride rows),
// in 16 × 16 tiles.
func transpose(dst, src []float32, rows, cols, ld int) {
	const tile = 16
	for i0 := 0; i0 < rows; i0 += tile {
		i1 := min(i0+tile, rows)
		for j0 := 0; j0 < cols; j0 += tile {
			j1 := min(j0+tile, cols)
			for i := i0; i < i1; i++ {
				row := src[i*ld+j0 : i*ld+j1]
				for j, v := range row {
					dst[(j0+j)*rows+i] = v
				}
			}
		}
	}
}

// sgemmCols is the width of a kernel's block of C; sgemmRows the rows of A one pass over a
// panel of B serves (64 rows of up to 512 floats stay in L2).
const (
	sgemmCols = 16
	sgemmRows = 64
)

// sgemmNN is Sgemm of untransposed operands with the shapes and lengths checked: the kernels
// take the columns in blocks of 32 (AVX-512, eight rows at a time) or 16, and gonum the rest.
func sgemmNN(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	wide := n - n%sgemmCols
	wide512 := 0
	if HasAVX512 && useAVX512 {
		wide512 = n - n%32
	}
	rows16 := func(i, i1, j int) {
		for ; i+4 <= i1; i += 4 {
			kernel4x16(&a[i*lda], lda, &b[j], ldb, &c[i*ldc+j], ldc, k, alpha, beta)
		}
		for ; i < i1; i++ {
			kernel1x16(&a[i*lda], &b[j], ldb, &c[i*ldc+j], k, alpha, beta)
		}
	}
	for i0 := 0; i0 < m; i0 += sgemmRows {
		i1 := min(i0+sgemmRows, m)
		j := 0
		for ; j < wide512; j += 32 {
			i := i0
			for ; i+8 <= i1; i += 8 {
				kernel8x32(&a[i*lda], lda, &b[j], ldb, &c[i*ldc+j], ldc, k, alpha, beta)
			}
			rows16(i, i1, j)
			rows16(i, i1, j+16)
		}
		for ; j < wide; j += sgemmCols {
			rows16(i0, i1, j)
		}
	}
	if wide < n {
		gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n-wide, k, alpha, a, lda, b[wide:], ldb, beta, c[wide:], ldc)
	}
}
