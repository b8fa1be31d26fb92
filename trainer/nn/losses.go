package nn

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/prefstream/prefstream/trainer/nn/vec"
)

// Comparison says the score of Better should exceed the score of Worse (indices into a batch of
// rewards). A score is the reward itself, or with Contrast the reward minus the next one
// (r[i] - r[i+1]: a response with the good label minus the same with the bad label).
type Comparison struct {
	Better, Worse int
	Weight        float32
	Contrast      bool
}

func (c Comparison) margin(r []float32) float64 {
	if c.Contrast {
		return float64((r[c.Better] - r[c.Better+1]) - (r[c.Worse] - r[c.Worse+1]))
	}
	return float64(r[c.Better] - r[c.Worse])
}

// Judgement labels one score alone: Good means the sample should score high.
type Judgement struct {
	Index  int
	Good   bool
	Weight float32
}

// PreferenceTargets is what one batch of scalar rewards is trained toward: comparisons (the
// ranked and binarized preference losses, log(1 + exp(r_worse - r_better))) and single
// judgements (binary discrimination, binary cross-entropy on sigmoid(r)). The loss is their
// weighted mean. The trainer refills it before each step; the graph keeps a pointer.
type PreferenceTargets struct {
	Comparisons []Comparison
	Judgements  []Judgement
}

func (t *PreferenceTargets) terms(r []float32) (total float64, weights float64) {
	for _, c := range t.Comparisons {
		total += float64(c.Weight) * Softplus(-c.margin(r))
		weights += float64(c.Weight)
	}
	for _, j := range t.Judgements {
		sign := float32(-1)
		if j.Good {
			sign = 1
		}
		total += float64(j.Weight) * Softplus(-float64(sign*r[j.Index]))
		weights += float64(j.Weight)
	}
	return total, weights
}

// Loss is the weighted mean loss of rewards r under the targets.
func (t *PreferenceTargets) Loss(r []float32) float64 {
	total, weights := t.terms(r)
	if weights == 0 {
		return 0
	}
	return total / weights
}

// grad writes dL/dr scaled by upstream.
func (t *PreferenceTargets) grad(dr, r []float32, upstream float32) {
	clear(dr)
	_, weights := t.terms(r)
	if weights == 0 {
		return
	}
	scale := upstream / float32(weights)
	for _, c := range t.Comparisons {
		s := scale * c.Weight * float32(Sigmoid(-c.margin(r)))
		dr[c.Better] -= s
		dr[c.Worse] += s
		if c.Contrast {
			dr[c.Better+1] += s
			dr[c.Worse+1] -= s
		}
	}
	for _, j := range t.Judgements {
		sign := float32(-1)
		if j.Good {
			sign = 1
		}
		s := float32(Sigmoid(float64(-sign * r[j.Index])))
		dr[j.Index] -= scale * j.Weight * sign * s
	}
}

// PreferenceLossNode is the scalar-per-batch loss (shape [1]) of rewards r (n × 1 or n).
func PreferenceLossNode(r *G.Node, targets *PreferenceTargets) (*G.Node, error) {
	op := &kernelOp{
		name: "PreferenceLoss", params: fmt.Sprintf("%p", targets), inDims: []int{r.Dims()}, outDims: 1, wrt: []bool{true},
		shape: func([]tensor.Shape) tensor.Shape { return tensor.Shape{1} },
		run: func(out []float32, in [][]float32, _ []tensor.Shape) {
			out[0] = float32(targets.Loss(in[0]))
		},
		grad: func(in G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			dr, err := G.ApplyOp(&kernelOp{
				name: "PreferenceLossGrad", params: fmt.Sprintf("%p", targets), inDims: []int{r.Dims(), 1}, outDims: r.Dims(), shape: same,
				run: func(out []float32, in [][]float32, _ []tensor.Shape) { targets.grad(out, in[0], in[1][0]) },
			}, in[0], gy)
			return G.Nodes{dr}, err
		},
	}
	return G.ApplyOp(op, r)
}

// TokenTargets holds, for each row of a logits matrix, the id of the next token, or -1 where
// no loss is taken (prompt tokens, padding). The trainer refills it before each step.
type TokenTargets struct{ Next []int32 }

// CrossEntropy returns the mean negative log-likelihood of the targets under the row-wise
// softmax of logits (rows × vocab) and, when dlogits is not nil, writes its gradient scaled by
// upstream.
func (t *TokenTargets) CrossEntropy(logits []float32, vocab int, dlogits []float32, upstream float32) float64 {
	count := 0
	for _, n := range t.Next {
		if n >= 0 {
			count++
		}
	}
	if dlogits != nil {
		clear(dlogits)
	}
	if count == 0 {
		return 0
	}
	rows := len(logits) / vocab
	losses := make([]float64, rows)
	scale := upstream / float32(count)
	parallelRows(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			target := t.Next[r]
			if target < 0 {
				continue
			}
			row := logits[r*vocab : (r+1)*vocab]
			mx := row[0]
			for _, v := range row {
				mx = max(mx, v)
			}
			var sum float32
			for _, v := range row {
				sum += vec.Expf(v - mx)
			}
			logZ := float64(mx) + math.Log(float64(sum))
			losses[r] = logZ - float64(row[target])
			if dlogits != nil {
				d := dlogits[r*vocab : (r+1)*vocab]
				inv := 1 / sum
				for i, v := range row {
					d[i] = scale * vec.Expf(v-mx) * inv
				}
				d[target] -= scale
			}
		}
	})
	var total float64
	for _, l := range losses {
		total += l
	}
	return total / float64(count)
}

// CrossEntropyNode is the mean next-token loss (shape [1]) of logits (rows × vocab).
func CrossEntropyNode(logits *G.Node, targets *TokenTargets) (*G.Node, error) {
	op := &kernelOp{
		name: "CrossEntropy", params: fmt.Sprintf("%p", targets), inDims: []int{2}, outDims: 1, wrt: []bool{true},
		shape: func([]tensor.Shape) tensor.Shape { return tensor.Shape{1} },
		run: func(out []float32, in [][]float32, s []tensor.Shape) {
			out[0] = float32(targets.CrossEntropy(in[0], cols(s[0]), nil, 0))
		},
		grad: func(in G.Nodes, _, gy *G.Node) (G.Nodes, error) {
			d, err := G.ApplyOp(&kernelOp{
				name: "CrossEntropyGrad", params: fmt.Sprintf("%p", targets), inDims: []int{2, 1}, outDims: 2, shape: same,
				run: func(out []float32, in [][]float32, s []tensor.Shape) {
					targets.CrossEntropy(in[0], cols(s[0]), out, in[1][0])
				},
			}, in[0], gy)
			return G.Nodes{d}, err
		},
	}
	return G.ApplyOp(op, logits)
}
