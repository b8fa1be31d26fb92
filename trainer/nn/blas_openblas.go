//go:build openblas

package nn

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// #cgo LDFLAGS: -lopenblas
import "C"

// BLAS names the linear-algebra backend this binary was built with.
const BLAS = "OpenBLAS (cgo)"

func init() {
	blas32.Use(netlib.Implementation{})
	G.Use(netlib.Implementation{})
}
