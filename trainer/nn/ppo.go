package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/prefstream/prefstream/trainer/nn/vec"
)

// PolicyTargets drive the clipped PPO policy loss over the rows of a logits matrix: for each
// row whose Token is not -1, the log-probability of Token under softmax(logits/Temperature) is
// compared with ProxLogProb (the policy at the start of the update), the ratio clipped to
// 1 ± Clip, multiplied by Advantage, weighted by Weight (the truncated importance weight of
// a late trajectory). The loss is the mean over those rows of -Weight * min(r A, clip(r) A).
// The forward pass also records the clip fraction, the mean entropy and the approximate KL
// to the proximal policy.
type PolicyTargets struct {
	Token       []int32
	ProxLogProb []float32
	Advantage   []float32
	Weight      []float32
	Clip        float32
	Temperature float32

	ClipFraction, Entropy, ApproxKL float64
}

// policyRow returns the row's loss and, when grad is not nil, writes dloss/dlogits (unscaled).
func (t *PolicyTargets) policyRow(r int, logits, grad []float32, probs []float32) (loss float64, clipped bool, entropy, kl float64) {
	inv := 1 / t.Temperature
	mx := float32(math.Inf(-1))
	for _, v := range logits {
		mx = max(mx, v*inv)
	}
	var sum float64
	for i, v := range logits {
		probs[i] = vec.Expf(v*inv - mx)
		sum += float64(probs[i])
	}
	logZ := float64(mx) + math.Log(sum)
	tok := t.Token[r]
	lp := float64(logits[tok]*inv) - logZ
	ratio := math.Exp(lp - float64(t.ProxLogProb[r]))
	a, w := float64(t.Advantage[r]), float64(t.Weight[r])
	eps := float64(t.Clip)
	cr := min(max(ratio, 1-eps), 1+eps)
	unclipped, clippedObj := ratio*a, cr*a
	loss = -w * min(unclipped, clippedObj)
	clipped = clippedObj < unclipped
	for i := range probs {
		p := float64(probs[i]) / sum
		if p > 0 {
			entropy -= p * math.Log(p)
		}
	}
	kl = float64(t.ProxLogProb[r]) - lp
	if grad != nil {
		clear(grad)
		if !clipped {
			// d(-w r A)/dlp = -w r A; dlp/dlogit_j = (1[j=tok] - p_j) / T.
			g := -w * ratio * a
			for i := range grad {
				grad[i] = float32(-g * float64(probs[i]) / sum * float64(inv))
			}
			grad[tok] += float32(g * float64(inv))
		}
	}
	return loss, clipped, entropy, kl
}

func (t *PolicyTargets) rows() int {
	n := 0
	for _, tok := range t.Token {
		if tok >= 0 {
			n++
		}
	}
	return n
}

// loss computes the mean loss (and the gradient scaled by upstream when dlogits is not nil).
func (t *PolicyTargets) loss(logits []float32, vocab int, dlogits []float32, upstream float32) float64 {
	rows := len(logits) / vocab
	n := t.rows()
	if dlogits != nil {
		clear(dlogits)
	}
	if n == 0 {
		return 0
	}
	type acc struct {
		loss, ent, kl float64
		clipped       int
	}
	parts := make([]acc, rows)
	parallelRows(rows, func(lo, hi int) {
		probs := make([]float32, vocab)
		for r := lo; r < hi; r++ {
			if t.Token[r] < 0 {
				continue
			}
			var g []float32
			if dlogits != nil {
				g = dlogits[r*vocab : (r+1)*vocab]
			}
			l, c, e, k := t.policyRow(r, logits[r*vocab:(r+1)*vocab], g, probs)
			parts[r] = acc{l, e, k, 0}
			if c {
				parts[r].clipped = 1
			}
			if g != nil {
				s := upstream / float32(n)
				for i := range g {
					g[i] *= s
				}
			}
		}
	})
	var total acc
	for _, p := range parts {
		total.loss += p.loss
		total.ent += p.ent
		total.kl += p.kl
		total.clipped += p.clipped
	}
	if dlogits == nil {
		t.ClipFraction = float64(total.clipped) / float64(n)
		t.Entropy = total.ent / float64(n)
		t.ApproxKL = total.kl / float64(n)
	}
	return total.loss / float64(n)
}

// PolicyLossNode is the PPO policy loss (shape [1]) of logits (rows × vocab).
func PolicyLossNode(logits *G.Node, t *PolicyTargets) (*G.Node, error) {
	op := &kernelOp{
		name: "PolicyLoss", params: fmt.Sprintf("%p", t), inDims: []int{2}, outDims: 1, wrt: []bool{true},
		shape: func([]tensor.Shape) tensor.Shape { return tensor.Shape{1} },
		run: func(out []float32, in [][]float32, s []tensor.Shape) {
			out[0] = float32(t.loss(in[0], cols(s[0]), nil, 0))
		},
		grad: func(in G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			d, err := G.ApplyOp(&kernelOp{
				name: "PolicyLossGrad", params: fmt.Sprintf("%p", t), inDims: []int{2, 1}, outDims: 2, shape: same,
				run: func(out []float32, in [][]float32, s []tensor.Shape) { t.loss(in[0], cols(s[0]), out, in[1][0]) },
			}, in[0], gy)
			return G.Nodes{d}, err
		},
	}
	return G.ApplyOp(op, logits)
}

// ValueTargets drive the clipped value loss over rows of a value column: for each row with
// Use set, 0.5 * max((v - Return)^2, (OldValue + clip(v - OldValue, ±Clip) - Return)^2), the
// mean over those rows times Coef.
type ValueTargets struct {
	Use      []bool
	Return   []float32
	OldValue []float32
	Clip     float32
	Coef     float32

	Loss float64
}

func (t *ValueTargets) loss(v, dv []float32, upstream float32) float64 {
	n := 0
	for _, u := range t.Use {
		if u {
			n++
		}
	}
	if dv != nil {
		clear(dv)
	}
	if n == 0 {
		return 0
	}
	var total float64
	for r, use := range t.Use {
		if !use {
			continue
		}
		old, ret := float64(t.OldValue[r]), float64(t.Return[r])
		x := float64(v[r])
		d := min(max(x-old, -float64(t.Clip)), float64(t.Clip))
		vc := old + d
		a, b := (x-ret)*(x-ret), (vc-ret)*(vc-ret)
		total += 0.5 * max(a, b)
		if dv != nil {
			s := float64(t.Coef) * float64(upstream) / float64(n)
			switch {
			case a >= b:
				dv[r] = float32(s * (x - ret))
			case math.Abs(x-old) < float64(t.Clip):
				dv[r] = float32(s * (vc - ret))
			}
		}
	}
	if dv == nil {
		t.Loss = total / float64(n)
	}
	return float64(t.Coef) * total / float64(n)
}

// ValueLossNode is the clipped value loss (shape [1]) of values (rows × 1).
func ValueLossNode(values *G.Node, t *ValueTargets) (*G.Node, error) {
	op := &kernelOp{
		name: "ValueLoss", params: fmt.Sprintf("%p", t), inDims: []int{2}, outDims: 1, wrt: []bool{true},
		shape: func([]tensor.Shape) tensor.Shape { return tensor.Shape{1} },
		run:   func(out []float32, in [][]float32, _ []tensor.Shape) { out[0] = float32(t.loss(in[0], nil, 0)) },
		grad: func(in G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			d, err := G.ApplyOp(&kernelOp{
				name: "ValueLossGrad", params: fmt.Sprintf("%p", t), inDims: []int{2, 1}, outDims: 2, shape: same,
				run: func(out []float32, in [][]float32, _ []tensor.Shape) { t.loss(in[0], out, in[1][0]) },
			}, in[0], gy)
			return G.Nodes{d}, err
		},
	}
	return G.ApplyOp(op, values)
}
