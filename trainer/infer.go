package trainer

import (
	"fmt"
	"math"

	"github.com/prefstream/prefstream/trainer/nn"
	"github.com/prefstream/prefstream/trainer/nn/vec"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// matmulBias writes y (rows × out) = x (rows × in) · w (in × out) + b.
func matmulBias(y, x []float32, rows int, w, b *Param) {
	nn.Linear(y, x, w.Data, b.Data, rows, w.Shape[0], w.Shape[1])
}

// trunk runs the embeddings and every block over seqs sequences of t tokens (ids row-major,
// shorter sequences padded) and returns the hidden states (seqs*t × d), before the final norm.
func (m *Model) trunk(ids []int32, seqs, t int) ([]float32, error) {
	return m.trunkWith(ids, seqs, t, nil)
}

// trunkWith is trunk calling onQKV with each layer's packed q, k, v rows (for a KV cache).
func (m *Model) trunkWith(ids []int32, seqs, t int, onQKV func(layer int, qkv []float32)) ([]float32, error) {
	c := m.Config
	d, n := c.DModel, seqs*t
	if t > c.Context || t < 1 {
		return nil, fmt.Errorf("trainer: sequence length %d outside 1..%d", t, c.Context)
	}
	tok, pos := m.Params.Get("tok").Data, m.Params.Get("pos").Data
	x := make([]float32, n*d)
	for r, id := range ids {
		if id < 0 || int(id) >= c.Vocab {
			return nil, fmt.Errorf("trainer: token id %d outside the vocabulary of %d", id, c.Vocab)
		}
		copy(x[r*d:(r+1)*d], tok[int(id)*d:(int(id)+1)*d])
	}
	nn.AddTiled(x, x, pos, d, t)
	h := make([]float32, n*d)
	qkv := make([]float32, n*3*d)
	a := make([]float32, n*d)
	f := make([]float32, n*c.DFF)
	shape := nn.AttentionShape{Seqs: seqs, T: t, Heads: c.Heads, D: d}
	for l := range c.Layers {
		p := func(part string) *Param { return m.Params.Get(blockName(l, part)) }
		nn.LayerNorm(h, x, p("ln1.gain").Data, p("ln1.bias").Data, d)
		matmulBias(qkv, h, n, p("qkv.w"), p("qkv.b"))
		if onQKV != nil {
			onQKV(l, qkv)
		}
		nn.Attention(a, qkv, shape)
		matmulBias(h, a, n, p("proj.w"), p("proj.b"))
		addInPlace(x, h)
		nn.LayerNorm(h, x, p("ln2.gain").Data, p("ln2.bias").Data, d)
		matmulBias(f, h, n, p("fc1.w"), p("fc1.b"))
		nn.Gelu(f, f)
		matmulBias(h, f, n, p("fc2.w"), p("fc2.b"))
		addInPlace(x, h)
	}
	return x, nil
}

// trunkPadded runs the trunk over sequences of different lengths, right-padded to the longest
// (harmless under causal attention), and returns the hidden states and that length (0, with no
// states, when every sequence is empty).
func (m *Model) trunkPadded(seqs [][]int32) ([]float32, int, error) {
	t := 0
	for _, s := range seqs {
		t = max(t, len(s))
	}
	if t == 0 {
		return nil, 0, nil
	}
	ids := make([]int32, len(seqs)*t)
	for i, s := range seqs {
		copy(ids[i*t:], s)
		for j := len(s); j < t; j++ {
			ids[i*t+j] = tokenizer.Pad
		}
	}
	x, err := m.trunk(ids, len(seqs), t)
	return x, t, err
}

func addInPlace(x, y []float32) {
	for i := range x {
		x[i] += y[i]
	}
}

// Rewards scores sequences with a preference model: each sequence's reward is read at its
// last token (the end-of-context token). Sequences may differ in length; they are padded to
// the longest, which causal attention makes harmless.
func (m *Model) Rewards(seqs [][]int32) ([]float32, error) {
	if m.Config.Kind != KindPM {
		return nil, fmt.Errorf("trainer: Rewards needs a preference model, this is a %s", m.Config.Kind)
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	for _, s := range seqs {
		if len(s) == 0 {
			return nil, fmt.Errorf("trainer: an empty sequence has no end-of-context token to score")
		}
	}
	x, t, err := m.trunkPadded(seqs)
	if err != nil {
		return nil, err
	}
	d := m.Config.DModel
	last := make([]float32, len(seqs)*d)
	for i, s := range seqs {
		r := i*t + len(s) - 1
		copy(last[i*d:(i+1)*d], x[r*d:(r+1)*d])
	}
	nn.LayerNorm(last, last, m.Params.Get("lnf.gain").Data, m.Params.Get("lnf.bias").Data, d)
	out := make([]float32, len(seqs))
	matmulBias(out, last, len(seqs), m.Params.Get("reward.w"), m.Params.Get("reward.b"))
	return out, nil
}

// MeanLogProbs returns, for each sequence of a policy, the mean log-probability of its tokens
// from position start[i] on, each predicted from those before it (the imitation score).
func (m *Model) MeanLogProbs(seqs [][]int32, starts []int) ([]float32, error) {
	lps, err := m.TokenLogProbs(seqs, starts, 1)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(seqs))
	for i, lp := range lps {
		var sum float64
		for _, v := range lp {
			sum += float64(v)
		}
		if len(lp) > 0 {
			out[i] = float32(sum / float64(len(lp)))
		}
	}
	return out, nil
}

// logSoftmaxAt is log softmax(logits)[k].
func logSoftmaxAt(logits []float32, k int32) float64 {
	mx := maxOf(logits)
	sum := vec.ExpSum(nil, logits, 1, mx)
	return float64(logits[k]-mx) - math.Log(sum)
}
