//go:build !openblas

package nn

import (
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"
)

// BLAS names the linear-algebra backend this binary was built with.
var BLAS = "gonum (pure Go)"

func init() {
	if hasFMA {
		BLAS = "pure Go, AVX2/FMA kernels"
	}
	blas32.Use(fmaBLAS{})
	G.Use(fmaBLAS{})
}
