//go:build !openblas

package nn

import (
	"gonum.org/v1/gonum/blas/blas32"
	G "gorgonia.org/gorgonia"

	"github.com/prefstream/prefstream/trainer/nn/vec"
)

// BLAS names the linear-algebra backend this binary was built with.
var BLAS = "gonum (pure Go)"

func init() {
	switch {
	case vec.HasAVX512:
		BLAS = "pure Go, AVX-512 and AVX2/FMA kernels"
	case vec.HasFMA:
		BLAS = "pure Go, AVX2/FMA kernels"
	}
	blas32.Use(vec.Implementation{})
	G.Use(vec.Implementation{})
}
