package nn

import (
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/prefstream/prefstream/trainer/nn/vec"
)

// LayerNormEps is added to the variance, as torch.nn.LayerNorm does by default.
const LayerNormEps = 1e-5

// LayerNorm writes y = (x - mean) / sqrt(var + eps) * gain + bias for each row of x (rows × d).
func LayerNorm(y, x, gain, bias []float32, d int) { AllCPUs().LayerNorm(y, x, gain, bias, d) }

// LayerNorm is the package-level LayerNorm on e's workers.
func (e Exec) LayerNorm(y, x, gain, bias []float32, d int) {
	e.rows(len(x)/d, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
			mean, rstd := moments(xr)
			for i, v := range xr {
				yr[i] = (v-mean)*rstd*gain[i] + bias[i]
			}
		}
	})
}

func moments(x []float32) (mean, rstd float32) {
	var sum float32
	for _, v := range x {
		sum += v
	}
	mean = sum / float32(len(x))
	var sq float32
	for _, v := range x {
		sq += (v - mean) * (v - mean)
	}
	return mean, float32(1 / math.Sqrt(float64(sq/float32(len(x)))+LayerNormEps))
}

// LayerNormGradInput writes dx, the gradient of LayerNorm with respect to x, given gy.
func LayerNormGradInput(dx, x, gain, gy []float32, d int) {
	parallelRows(len(x)/d, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, gr, dr := x[r*d:(r+1)*d], gy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
			mean, rstd := moments(xr)
			var meanG, meanGX float32
			for i, v := range xr {
				g := gr[i] * gain[i]
				meanG += g
				meanGX += g * (v - mean) * rstd
			}
			meanG /= float32(d)
			meanGX /= float32(d)
			for i, v := range xr {
				xhat := (v - mean) * rstd
				dr[i] = rstd * (gr[i]*gain[i] - meanG - xhat*meanGX)
			}
		}
	})
}

// LayerNormGradGain writes dgain = sum over rows of gy * xhat.
func LayerNormGradGain(dgain, x, gy []float32, d int) {
	clear(dgain)
	for r := 0; r < len(x)/d; r++ {
		xr, gr := x[r*d:(r+1)*d], gy[r*d:(r+1)*d]
		mean, rstd := moments(xr)
		for i, v := range xr {
			dgain[i] += gr[i] * (v - mean) * rstd
		}
	}
}

const geluK = 0.7978845608028654 // sqrt(2/pi)

// Gelu writes the tanh approximation of GELU, as torch's gelu(approximate="tanh"), computed
// as x * sigmoid(2u) (= 0.5 x (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3)) with one
// exponential per element.
func Gelu(y, x []float32) { AllCPUs().Gelu(y, x) }

// Gelu is the package-level Gelu on e's workers.
func (e Exec) Gelu(y, x []float32) {
	e.rows(len(x), func(lo, hi int) {
		var e [geluBlock]float32
		for ; lo < hi; lo += geluBlock {
			xs := x[lo:min(lo+geluBlock, hi)]
			expMinus2U(e[:len(xs)], xs)
			for i, v := range xs {
				y[lo+i] = v / (1 + e[i])
			}
		}
	})
}

// geluBlock is how many elements Gelu and GeluGrad take at a time (their exponentials are
// computed eight at a time into a block on the stack).
const geluBlock = 256

// expMinus2U sets e[i] = exp(-2u(x[i])), u(x) = sqrt(2/pi) (x + 0.044715 x^3).
func expMinus2U(e, x []float32) {
	for i, v := range x {
		e[i] = -2 * geluK * (v + 0.044715*v*v*v)
	}
	vec.ExpSum(e, e, 1, 0)
}

// GeluGrad writes dx = gy * gelu'(x): with s = sigmoid(2u), gelu' = s + 2 x s (1 - s) u'.
func GeluGrad(dx, x, gy []float32) {
	parallelRows(len(x), func(lo, hi int) {
		var e [geluBlock]float32
		for ; lo < hi; lo += geluBlock {
			xs := x[lo:min(lo+geluBlock, hi)]
			expMinus2U(e[:len(xs)], xs)
			for i, v := range xs {
				s := 1 / (1 + e[i])
				dx[lo+i] = gy[lo+i] * (s + 2*v*s*(1-s)*geluK*(1+3*0.044715*v*v))
			}
		}
	})
}

// AddTiled writes y[r] = x[r] + p[r mod period] for rows of width d: a bias (period 1) or
// position embeddings (period = sequence length).
func AddTiled(y, x, p []float32, d, period int) {
	parallelRows(len(x)/d, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			pr := p[(r%period)*d : (r%period+1)*d]
			xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
			for i := range yr {
				yr[i] = xr[i] + pr[i]
			}
		}
	})
}

// SumTiled writes dp[k] = sum of gy[r] over rows r with r mod period = k, the gradient of
// AddTiled with respect to p; rows of dp at or past period are zeroed.
func SumTiled(dp, gy []float32, d, period int) {
	clear(dp)
	for r := 0; r < len(gy)/d; r++ {
		pr := dp[(r%period)*d : (r%period+1)*d]
		for i, v := range gy[r*d : (r+1)*d] {
			pr[i] += v
		}
	}
}

// AttentionShape describes a batch of sequences for causal self-attention: Seqs sequences of
// T tokens each, model width D split into Heads heads. q, k and v are packed per token as one
// row of 3D values, the output is one row of D values.
type AttentionShape struct{ Seqs, T, Heads, D int }

func (s AttentionShape) headDim() int { return s.D / s.Heads }

type attentionScratch struct{ p, dp []float32 }

var scratchPool = sync.Pool{New: func() any { return new(attentionScratch) }}

func (s *attentionScratch) size(n int) {
	if cap(s.p) < n {
		s.p, s.dp = make([]float32, n), make([]float32, n)
	}
	s.p, s.dp = s.p[:n], s.dp[:n]
}

// headViews returns q, k, v of one (sequence, head) as strided views into qkv.
func (s AttentionShape) headViews(qkv []float32, seq, head int) (q, k, v blas32.General) {
	dh, row := s.headDim(), 3*s.D
	base := seq*s.T*row + head*dh
	view := func(off int) blas32.General {
		return blas32.General{Rows: s.T, Cols: dh, Stride: row, Data: qkv[base+off:]}
	}
	return view(0), view(s.D), view(2 * s.D)
}

func (s AttentionShape) outView(y []float32, seq, head int) blas32.General {
	dh := s.headDim()
	return blas32.General{Rows: s.T, Cols: dh, Stride: s.D, Data: y[seq*s.T*s.D+head*dh:]}
}

// causalSoftmax fills p (T × T) with the softmax of scale * q kᵀ over the keys at or before
// each query, zero after it.
func causalSoftmax(p []float32, q, k blas32.General, t int, scale float32) blas32.General {
	pm := blas32.General{Rows: t, Cols: t, Stride: t, Data: p}
	blas32.Gemm(blas.NoTrans, blas.Trans, scale, q, k, 0, pm)
	for i := 0; i < t; i++ {
		row := p[i*t : (i+1)*t]
		mx := row[0]
		for _, v := range row[1 : i+1] {
			mx = max(mx, v)
		}
		inv := float32(1 / vec.ExpSum(row[:i+1], row[:i+1], 1, mx))
		for j := 0; j <= i; j++ {
			row[j] *= inv
		}
		clear(row[i+1:])
	}
	return pm
}

// Attention writes y (Seqs*T × D), causal multi-head self-attention over packed qkv.
func Attention(y, qkv []float32, s AttentionShape) {
	scale := float32(1 / math.Sqrt(float64(s.headDim())))
	parallelUnits(s.Seqs*s.Heads, func(_, unit int) {
		seq, head := unit/s.Heads, unit%s.Heads
		sc := scratchPool.Get().(*attentionScratch)
		defer scratchPool.Put(sc)
		sc.size(s.T * s.T)
		q, k, v := s.headViews(qkv, seq, head)
		p := causalSoftmax(sc.p, q, k, s.T, scale)
		blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, p, v, 0, s.outView(y, seq, head))
	})
}

// AttentionGrad writes dqkv, the gradient of Attention with respect to qkv given gy. The
// attention weights are recomputed rather than kept from the forward pass.
func AttentionGrad(dqkv, qkv, gy []float32, s AttentionShape) {
	scale := float32(1 / math.Sqrt(float64(s.headDim())))
	parallelUnits(s.Seqs*s.Heads, func(_, unit int) {
		seq, head := unit/s.Heads, unit%s.Heads
		sc := scratchPool.Get().(*attentionScratch)
		defer scratchPool.Put(sc)
		sc.size(s.T * s.T)
		q, k, v := s.headViews(qkv, seq, head)
		dq, dk, dv := s.headViews(dqkv, seq, head)
		g := s.outView(gy, seq, head)
		p := causalSoftmax(sc.p, q, k, s.T, scale)
		dp := blas32.General{Rows: s.T, Cols: s.T, Stride: s.T, Data: sc.dp}
		blas32.Gemm(blas.NoTrans, blas.Trans, 1, g, v, 0, dp)
		for i := 0; i < s.T; i++ {
			pr, dr := sc.p[i*s.T:(i+1)*s.T], sc.dp[i*s.T:(i+1)*s.T]
			var dot float32
			for j := 0; j <= i; j++ {
				dot += pr[j] * dr[j]
			}
			for j := 0; j <= i; j++ {
				dr[j] = pr[j] * (dr[j] - dot)
			}
			clear(dr[i+1:])
		}
		blas32.Gemm(blas.NoTrans, blas.NoTrans, scale, dp, k, 0, dq)
		blas32.Gemm(blas.Trans, blas.NoTrans, scale, dp, q, 0, dk)
		blas32.Gemm(blas.Trans, blas.NoTrans, 1, p, g, 0, dv)
	})
}
