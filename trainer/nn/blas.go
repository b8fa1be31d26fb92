//go:build !openblas

package nn

// BLAS names the linear-algebra backend this binary was built with.
const BLAS = "gonum (pure Go)"
