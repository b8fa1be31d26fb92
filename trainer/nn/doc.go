// Package nn holds the numeric kernels of the transformer (layer norm, GELU, causal attention,
// tiled bias add, the loss heads) as plain float32 Go loops over BLAS, and wraps each of them
// as a gorgonia operation with its symbolic gradient, so that a gorgonia graph trains the model
// while the hot spots avoid gorgonia's generic transposes and scalar softmax.
//
// The same kernels serve inference without a graph (scoring, generation with a KV cache).
// BLAS is gonum's pure-Go implementation by default; build with -tags openblas to use OpenBLAS
// through cgo for both gorgonia's matrix products and the kernels here.
package nn
