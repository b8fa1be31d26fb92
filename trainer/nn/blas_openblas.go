//go:build openblas

package nn

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

// BLAS names the linear-algebra backend this binary was built with.
const BLAS = "OpenBLAS (cgo)"

// OpenBLAS runs single-threaded: the kernels here split their matrix products by rows over
// Go's goroutines, and OpenBLAS's own threads, busy-waiting between calls, took a third of the
// CPU from them on 2 cores (measured: 50 pairs/s with its threads, 62 with one).
func init() {
	C.openblas_set_num_threads(1)
	blas32.Use(netlib.Implementation{})
	G.Use(netlib.Implementation{})
}
