package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/prefstream/prefstream/trainer/nn"
	"github.com/prefstream/prefstream/trainer/nn/vec"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// Sampling configures generation.
type Sampling struct {
	// Temperature divides the logits (1: the policy as trained). Log-probabilities returned
	// are of this tempered distribution, before top-p truncation.
	Temperature float64
	// TopP keeps the smallest set of tokens whose probability reaches TopP (1: all).
	TopP float64
	// MaxNew bounds the response length; generation also stops at <|endofcontext|>.
	MaxNew int
}

// Generation is one sampled response: its tokens (ending with <|endofcontext|> when the policy
// chose to stop) and each token's log-probability under the sampling policy.
type Generation struct {
	Prompt   []int32
	Tokens   []int32
	LogProbs []float32
}

// Generate samples one response per prompt with a KV cache: the prompts are run through the
// model once, then each new token costs one row per sequence. Prompts longer than the context
// allows (it must hold MaxNew new tokens) are cut from the left.
func (m *Model) Generate(prompts [][]int32, s Sampling, rng *rand.Rand) ([]Generation, error) {
	c := m.Config
	if c.Kind != KindPolicy {
		return nil, fmt.Errorf("trainer: generation needs a policy, this is a %s", c.Kind)
	}
	if s.MaxNew < 1 || s.MaxNew >= c.Context {
		return nil, fmt.Errorf("trainer: max new tokens %d outside 1..%d", s.MaxNew, c.Context-1)
	}
	if s.Temperature <= 0 {
		s.Temperature = 1
	}
	if s.TopP <= 0 || s.TopP > 1 {
		s.TopP = 1
	}
	b, d := len(prompts), c.DModel
	if b == 0 {
		return nil, nil
	}
	// One generator per sequence, seeded from rng in order: the samples depend on rng's state
	// alone, not on how the sequences are spread over the CPUs.
	rngs := make([]*rand.Rand, b)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))
	}
	gens := make([]Generation, b)
	tp := 1
	for i, p := range prompts {
		p = p[max(0, len(p)-(c.Context-s.MaxNew)):]
		if len(p) == 0 {
			p = []int32{tokenizer.EndOfContext}
		}
		gens[i].Prompt = p
		tp = max(tp, len(p))
	}
	// Prefill: the prompts, right-padded, in one pass; their k and v fill the cache.
	cache := newKVCache(c, b)
	ids := make([]int32, b*tp)
	for i, g := range gens {
		copy(ids[i*tp:], g.Prompt)
		for j := len(g.Prompt); j < tp; j++ {
			ids[i*tp+j] = tokenizer.Pad
		}
	}
	x, err := m.trunkWith(ids, b, tp, func(layer int, qkv []float32) {
		for i := range b {
			for j := range tp {
				row := qkv[(i*tp+j)*3*d:]
				copy(cache.k[layer][(i*c.Context+j)*d:(i*c.Context+j+1)*d], row[d:2*d])
				copy(cache.v[layer][(i*c.Context+j)*d:(i*c.Context+j+1)*d], row[2*d:3*d])
			}
		}
	})
	if err != nil {
		return nil, err
	}
	last := make([]float32, b*d)
	for i, g := range gens {
		r := i*tp + len(g.Prompt) - 1
		copy(last[i*d:(i+1)*d], x[r*d:(r+1)*d])
	}
	// Decoding: each CPU takes a share of the sequences and runs them to the end on its own.
	// One token per sequence is too little work to split each step's products over the CPUs:
	// on 2 cores the forks and joins cost more than they saved.
	// With fewer sequences than CPUs, each group's kernels share out the CPUs left.
	groups := min(nn.Workers(), b)
	groupExec := nn.Exec{Workers: max(1, nn.Workers()/groups)}
	nn.Parallel(groups, func(_, g int) {
		lo, hi := g*b/groups, (g+1)*b/groups
		m.decode(gens[lo:hi], last[lo*d:hi*d], cache.sequences(lo, hi), rngs[lo:hi], s, groupExec)
	})
	return gens, nil
}

// decode samples the responses of gens, whose prompts are in the cache and whose last hidden
// rows are last, on the calling goroutine with exec's kernels.
func (m *Model) decode(gens []Generation, last []float32, cache *kvCache, rngs []*rand.Rand, s Sampling, exec nn.Exec) {
	c := m.Config
	b := len(gens)
	st := newDecodeState(m, b, exec)
	pos := make([]int, b)
	for i, g := range gens {
		pos[i] = len(g.Prompt)
	}
	done := make([]bool, b)
	next := make([]int32, b)
	logits := st.logits(last)
	for step := 0; step < s.MaxNew; step++ {
		active := false
		for i := range b {
			if done[i] {
				next[i] = tokenizer.Pad
				continue
			}
			tok, lp := sample(logits[i*c.Vocab:(i+1)*c.Vocab], s, rngs[i], st.probs[i*c.Vocab:(i+1)*c.Vocab])
			gens[i].Tokens = append(gens[i].Tokens, tok)
			gens[i].LogProbs = append(gens[i].LogProbs, lp)
			next[i] = tok
			if tok == tokenizer.EndOfContext || pos[i]+1 >= c.Context || step+1 == s.MaxNew {
				done[i] = true
				continue
			}
			active = true
		}
		if !active {
			return
		}
		logits = st.logits(st.step(next, pos, done, cache))
		for i := range pos {
			if !done[i] {
				pos[i]++
			}
		}
	}
}

// kvCache holds each layer's keys and values per sequence and position (b × context × d).
type kvCache struct {
	k, v [][]float32
	seqs int
}

func newKVCache(c Config, b int) *kvCache {
	kc := &kvCache{seqs: b}
	for range c.Layers {
		kc.k = append(kc.k, make([]float32, b*c.Context*c.DModel))
		kc.v = append(kc.v, make([]float32, b*c.Context*c.DModel))
	}
	return kc
}

// sequences is the part of the cache that holds sequences lo to hi-1.
func (kc *kvCache) sequences(lo, hi int) *kvCache {
	sub := &kvCache{}
	for l := range kc.k {
		per := len(kc.k[l]) / kc.seqs
		sub.k = append(sub.k, kc.k[l][lo*per:hi*per])
		sub.v = append(sub.v, kc.v[l][lo*per:hi*per])
	}
	sub.seqs = hi - lo
	return sub
}

// decodeState holds the buffers of single-token steps for b sequences.
type decodeState struct {
	m                *Model
	b                int
	x, h, qkv, a, f  []float32
	lnGain, lnBias   []float32
	lmOut, hf, probs []float32
	scores           []float32
	exec             nn.Exec
}

func newDecodeState(m *Model, b int, exec nn.Exec) *decodeState {
	c := m.Config
	return &decodeState{m: m, b: b, x: make([]float32, b*c.DModel), h: make([]float32, b*c.DModel),
		qkv: make([]float32, b*3*c.DModel), a: make([]float32, b*c.DModel), f: make([]float32, b*c.DFF),
		lnGain: m.Params.Get("lnf.gain").Data, lnBias: m.Params.Get("lnf.bias").Data,
		lmOut: make([]float32, b*c.Vocab), hf: make([]float32, b*c.DModel), probs: make([]float32, b*c.Vocab),
		scores: make([]float32, exec.Workers*c.Context), exec: exec}
}

// logits applies the final norm and the LM head to hidden rows.
func (st *decodeState) logits(h []float32) []float32 {
	d := st.m.Config.DModel
	st.exec.LayerNorm(st.hf, h, st.lnGain, st.lnBias, d)
	st.linear(st.lmOut, st.hf, st.m.Params.Get("lm.w"), st.m.Params.Get("lm.b"))
	return st.lmOut
}

// linear writes y (st.b rows) = x · w + b on st's workers.
func (st *decodeState) linear(y, x []float32, w, b *Param) {
	st.exec.Linear(y, x, w.Data, b.Data, st.b, w.Shape[0], w.Shape[1])
}

// step runs one token per sequence at its position through every block, appending to the
// cache, and returns the hidden rows.
func (st *decodeState) step(tokens []int32, pos []int, done []bool, cache *kvCache) []float32 {
	m, c := st.m, st.m.Config
	d, hd := c.DModel, c.DModel/c.Heads
	tok, posEmb := m.Params.Get("tok").Data, m.Params.Get("pos").Data
	for i, t := range tokens {
		row := st.x[i*d : (i+1)*d]
		p := min(pos[i], c.Context-1)
		for j := range row {
			row[j] = tok[int(t)*d+j] + posEmb[p*d+j]
		}
	}
	scale := float32(1 / math.Sqrt(float64(hd)))
	for l := range c.Layers {
		p := func(part string) *Param { return m.Params.Get(blockName(l, part)) }
		st.exec.LayerNorm(st.h, st.x, p("ln1.gain").Data, p("ln1.bias").Data, d)
		st.linear(st.qkv, st.h, p("qkv.w"), p("qkv.b"))
		for i := range st.b {
			if done[i] {
				continue
			}
			at := i*c.Context + pos[i]
			copy(cache.k[l][at*d:(at+1)*d], st.qkv[i*3*d+d:i*3*d+2*d])
			copy(cache.v[l][at*d:(at+1)*d], st.qkv[i*3*d+2*d:i*3*d+3*d])
		}
		st.exec.Parallel(st.b*c.Heads, func(worker, unit int) {
			i, head := unit/c.Heads, unit%c.Heads
			if done[i] {
				return
			}
			q := st.qkv[i*3*d+head*hd : i*3*d+(head+1)*hd]
			n := pos[i] + 1
			sc := st.scores[worker*c.Context : worker*c.Context+n]
			// scores = K q and out = Vᵀ p over this sequence's cached rows of this head.
			rows := func(cache []float32) blas32.General {
				return blas32.General{Rows: n, Cols: hd, Stride: d, Data: cache[i*c.Context*d+head*hd:]}
			}
			blas32.Gemv(blas.NoTrans, scale, rows(cache.k[l]), blas32.Vector{N: hd, Inc: 1, Data: q}, 0, blas32.Vector{N: n, Inc: 1, Data: sc})
			mx := float32(math.Inf(-1))
			for _, v := range sc {
				mx = max(mx, v)
			}
			sum := float32(vec.ExpSum(sc, sc, 1, mx))
			out := st.a[i*d+head*hd : i*d+(head+1)*hd]
			blas32.Gemv(blas.Trans, 1/sum, rows(cache.v[l]), blas32.Vector{N: n, Inc: 1, Data: sc}, 0, blas32.Vector{N: hd, Inc: 1, Data: out})
		})
		st.linear(st.h, st.a, p("proj.w"), p("proj.b"))
		addInPlace(st.x, st.h)
		st.exec.LayerNorm(st.h, st.x, p("ln2.gain").Data, p("ln2.bias").Data, d)
		st.linear(st.f, st.h, p("fc1.w"), p("fc1.b"))
		st.exec.Gelu(st.f, st.f)
		st.linear(st.h, st.f, p("fc2.w"), p("fc2.b"))
		addInPlace(st.x, st.h)
	}
	return st.x
}

// drawFrom draws a token with probability proportional to probs, r uniform in [0, 1): it
// returns the first i at which probs[0] + ... + probs[i] reaches r times their total. Both the
// total and the search add the probabilities in blocks of 16 (a running total would be one long
// chain of dependent additions), in the same order, so rounding cannot leave the draw past the
// end but by the last bits of a float64; then the likeliest token is drawn.
func drawFrom(probs []float32, r float64) int {
	blocks := len(probs) / 16
	var total float64
	for b := range blocks {
		total += block16(probs[b*16:])
	}
	for _, p := range probs[blocks*16:] {
		total += float64(p)
	}
	u := r * total
	i := 0
	for ; i+16 <= len(probs); i += 16 {
		block := block16(probs[i:])
		if u <= block {
			break
		}
		u -= block
	}
	for ; i < len(probs); i++ {
		if u -= float64(probs[i]); u <= 0 {
			return i
		}
	}
	best := 0
	for i, p := range probs {
		if p > probs[best] {
			best = i
		}
	}
	return best
}

// block16 is the sum of p[0:16].
func block16(p []float32) float64 {
	p = p[:16:16]
	return float64(((p[0]+p[1])+(p[2]+p[3]))+((p[4]+p[5])+(p[6]+p[7]))) +
		float64(((p[8]+p[9])+(p[10]+p[11]))+((p[12]+p[13])+(p[14]+p[15])))
}

// maxOf is the largest of xs (not empty).
func maxOf(xs []float32) float32 {
	m := xs[0]
	for _, x := range xs[1:] {
		if x > m {
			m = x
		}
	}
	return m
}

// sample draws a token from softmax(logits / temperature), restricted to the top-p nucleus,
// and returns it with its log-probability under the tempered distribution.
func sample(logits []float32, s Sampling, rng *rand.Rand, probs []float32) (int32, float32) {
	inv := float32(1 / s.Temperature)
	mx := maxOf(logits) * inv // inv > 0: the largest scaled logit
	sum := vec.ExpSum(probs, logits, inv, mx)
	logZ := float64(mx) + math.Log(sum)
	chosen := -1
	if s.TopP < 1 {
		idx := make([]int, len(probs))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			switch {
			case probs[a] > probs[b]:
				return -1
			case probs[a] < probs[b]:
				return 1
			}
			return a - b
		})
		var kept float64
		n := 0
		for _, i := range idx {
			kept += float64(probs[i])
			n++
			if kept >= s.TopP*sum {
				break
			}
		}
		u := rng.Float64() * kept
		for _, i := range idx[:n] {
			u -= float64(probs[i])
			if u <= 0 {
				chosen = i
				break
			}
		}
		if chosen < 0 {
			chosen = idx[n-1]
		}
	} else {
		chosen = drawFrom(probs, rng.Float64())
	}
	return int32(chosen), float32(float64(logits[chosen]*inv) - logZ)
}

// TokenLogProbs returns, for each sequence, the log-probability of every token from start[i]
// on, each predicted from those before it, under softmax(logits / temperature).
func (m *Model) TokenLogProbs(seqs [][]int32, starts []int, temperature float64) ([][]float32, error) {
	if m.Config.Kind != KindPolicy {
		return nil, fmt.Errorf("trainer: log-probabilities need a policy, this is a %s", m.Config.Kind)
	}
	h, err := m.predictingRows(seqs, starts)
	if err != nil {
		return nil, err
	}
	return m.logProbsAt(h, seqs, starts, temperature), nil
}

// predictingRows runs the trunk once and returns the final-normed hidden states of the rows
// that predict a scored token (for each sequence, positions start-1 .. len-2), in order.
func (m *Model) predictingRows(seqs [][]int32, starts []int) ([]float32, error) {
	x, t, err := m.trunkPadded(seqs)
	if err != nil || t == 0 {
		return nil, err
	}
	d := m.Config.DModel
	var h []float32
	for i, s := range seqs {
		for j := max(starts[i], 1); j < len(s); j++ {
			r := i*t + j - 1
			h = append(h, x[r*d:(r+1)*d]...)
		}
	}
	nn.LayerNorm(h, h, m.Params.Get("lnf.gain").Data, m.Params.Get("lnf.bias").Data, d)
	return h, nil
}

// logProbsAt applies the LM head to the predicting rows h (one matrix product) and reads each
// scored token's log-probability.
func (m *Model) logProbsAt(h []float32, seqs [][]int32, starts []int, temperature float64) [][]float32 {
	if temperature <= 0 {
		temperature = 1
	}
	d, v := m.Config.DModel, m.Config.Vocab
	n := len(h) / d
	logits := make([]float32, n*v)
	matmulBias(logits, h, n, m.Params.Get("lm.w"), m.Params.Get("lm.b"))
	inv := float32(1 / temperature)
	out := make([][]float32, len(seqs))
	k := 0
	for i, s := range seqs {
		for j := max(starts[i], 1); j < len(s); j++ {
			row := logits[k*v : (k+1)*v]
			for e := range row {
				row[e] *= inv
			}
			out[i] = append(out[i], float32(logSoftmaxAt(row, s[j])))
			k++
		}
	}
	return out
}
