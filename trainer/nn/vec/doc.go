// Package vec holds the AVX2/FMA kernels in Go assembly that the pure-Go build leans on: a
// matrix product of untransposed operands (Implementation.Sgemm, in place of gonum's float32
// Sgemm, whose 4-wide axpy loops store C once per term) and a vector exponential with its sum
// (ExpSum, for softmax and GELU). It is kept apart from package nn because a package that uses
// cgo (nn with -tags openblas) cannot hold Go assembly. Without AVX2 and FMA, or with -tags
// noasm, everything falls back to gonum and the scalar Expf.
package vec
