package trainer

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// PPOOptions follow recipes.md, "PPO": reward = PM score at the end (normalised by the running
// mean and deviation of the scores seen) minus Beta * KL(policy || reference) per token (Beta adapted toward TargetKL when it is set), GAE (Gamma, Lambda),
// whitened advantages, clipped ratio and value loss, Epochs passes of minibatches.
type PPOOptions struct {
	Beta      float64
	TargetKL  float64
	KLGain    float64
	Gamma     float64
	Lambda    float64
	Clip      float64
	ValueClip float64
	ValueCoef float64
	Epochs    int
	Minibatch int
	LR        float64
	// MaxStaleness is how many policy versions behind a trajectory may be; older ones are
	// dropped, or with Stale == "truncate" used with truncated importance weights like the rest.
	MaxStaleness int
	Stale        string
	Seed         uint64
}

// DefaultPPO are the defaults of recipes.md.
func DefaultPPO() PPOOptions {
	return PPOOptions{Beta: 0.1, KLGain: 0.1, Gamma: 1, Lambda: 0.95, Clip: 0.2, ValueClip: 0.2, ValueCoef: 0.5,
		Epochs: 2, Minibatch: 8, LR: 1e-4, MaxStaleness: 2, Stale: "drop", Seed: 1}
}

// PPOStats describe one update.
type PPOStats struct {
	Update       int
	Trajectories int
	Dropped      int
	Tokens       int
	MeanReward   float64
	MeanKL       float64
	Beta         float64
	Entropy      float64
	ClipFraction float64
	ValueLoss    float64
	PolicyLoss   float64
	Lag          map[int]int
	TokensPerSec float64
	MeanResponse float64
	MeanIS       float64
}

// PPO updates a policy from batches of trajectories.
type PPO struct {
	Model  *Model
	Opt    *AdamW
	Opts   PPOOptions
	Beta   float64
	Update int
	// Scores are running statistics of the PM scores seen, which normalise the reward: the
	// value head shares the trunk, and a reward of a few units fitted by a fresh value head
	// sends gradients through the trunk that wrecked the language model (measured: entropy
	// 2.9 to 6.4 nats in 10 updates on PM scores near 4.2; normalised, it stays put).
	Scores RunningStats
	graph  *graph
}

// RunningStats is a mean and variance over all values seen (Welford).
type RunningStats struct {
	N    float64 `json:"n"`
	Mean float64 `json:"mean"`
	M2   float64 `json:"m2"`
}

// Add counts a value.
func (r *RunningStats) Add(x float64) {
	r.N++
	d := x - r.Mean
	r.Mean += d / r.N
	r.M2 += d * (x - r.Mean)
}

// Std is the standard deviation (1 until two values were seen).
func (r *RunningStats) Std() float64 {
	if r.N < 2 {
		return 1
	}
	return math.Sqrt(r.M2 / (r.N - 1))
}

// NewPPO builds the PPO graph for the policy.
func NewPPO(m *Model, o PPOOptions) (*PPO, error) {
	if m.Config.Kind != KindPolicy {
		return nil, fmt.Errorf("trainer: PPO needs a policy, this is a %s", m.Config.Kind)
	}
	if o.Minibatch < 1 || o.Epochs < 1 {
		return nil, fmt.Errorf("trainer: PPO needs a minibatch and at least one epoch")
	}
	if o.Stale != "drop" && o.Stale != "truncate" {
		return nil, fmt.Errorf("trainer: stale policy %q: want drop or truncate", o.Stale)
	}
	gr, err := newGraph(m, o.Minibatch, m.Config.Context, headPPO)
	if err != nil {
		return nil, err
	}
	opt := NewAdamW(o.LR)
	opt.ClipNorm = 1
	opt.WeightDecay = 0
	return &PPO{Model: m, Opt: opt, Opts: o, Beta: o.Beta, graph: gr}, nil
}

// ErrBadTrajectory marks a trajectory the trainer cannot use (the reason follows).
var ErrBadTrajectory = errors.New("bad trajectory")

// CheckTrajectory validates a trajectory against the policy being trained.
func (p *PPO) CheckTrajectory(t *schemas.Trajectory) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadTrajectory, err)
	}
	if t.Tokenizer != "" && t.Tokenizer != p.Model.Tokenizer {
		return fmt.Errorf("%w: tokenizer %s, the policy uses %s", ErrBadTrajectory, t.Tokenizer, p.Model.Tokenizer)
	}
	if n := len(t.PromptTokens) + len(t.ResponseTokens); n > p.Model.Config.Context {
		return fmt.Errorf("%w: %d tokens exceed the context of %d", ErrBadTrajectory, n, p.Model.Config.Context)
	}
	if len(t.PromptTokens) == 0 {
		return fmt.Errorf("%w: no prompt tokens", ErrBadTrajectory)
	}
	for _, id := range append(append([]int32{}, t.PromptTokens...), t.ResponseTokens...) {
		if int(id) >= p.Model.Config.Vocab {
			return fmt.Errorf("%w: token %d outside the vocabulary of %d", ErrBadTrajectory, id, p.Model.Config.Vocab)
		}
	}
	return nil
}

// sample is one trajectory prepared for the update.
type ppoSample struct {
	seq        []int32
	start      int
	adv, ret   []float32
	oldV, prox []float32
	weight     []float32
}

// Step runs one PPO update on trajectories sampled by policy versions up to current (the
// version being improved). Trajectories must have passed CheckTrajectory.
func (p *PPO) Step(trajs []schemas.Trajectory, current int64) (PPOStats, error) {
	o := p.Opts
	started := time.Now()
	st := PPOStats{Update: p.Update + 1, Lag: map[int]int{}, Beta: p.Beta}
	var kept []*schemas.Trajectory
	for i := range trajs {
		t := &trajs[i]
		lag := int(current - t.PolicyVersion)
		if lag < 0 {
			lag = 0
		}
		st.Lag[lag]++
		if lag > o.MaxStaleness && o.Stale == "drop" {
			st.Dropped++
			continue
		}
		kept = append(kept, t)
	}
	st.Trajectories = len(kept)
	if len(kept) == 0 {
		return st, nil
	}
	temperature := kept[0].Temperature
	if temperature <= 0 {
		temperature = 1
	}
	seqs := make([][]int32, len(kept))
	starts := make([]int, len(kept))
	for i, t := range kept {
		seqs[i] = append(append([]int32{}, t.PromptTokens...), t.ResponseTokens...)
		starts[i] = len(t.PromptTokens)
	}
	prox, values, err := p.Model.policyEval(seqs, starts, temperature)
	if err != nil {
		return st, err
	}
	for _, t := range kept {
		p.Scores.Add(t.Reward)
	}
	scoreStd := max(p.Scores.Std(), 1e-6)
	samples := make([]ppoSample, len(kept))
	var allAdv []float64
	var klSum, rewardSum, isSum float64
	for i, t := range kept {
		n := len(t.ResponseTokens)
		rewards := make([]float64, n)
		var kl float64
		for j := range n {
			k := float64(t.BehaviourLogProbs[j] - t.ReferenceLogProbs[j])
			kl += k
			rewards[j] = -p.Beta * k
		}
		rewards[n-1] += (t.Reward - p.Scores.Mean) / scoreStd
		klSum += kl
		rewardSum += t.Reward
		s := ppoSample{seq: seqs[i], start: starts[i], adv: make([]float32, n), ret: make([]float32, n),
			oldV: values[i], prox: prox[i], weight: make([]float32, n)}
		var next, gae float64
		for j := n - 1; j >= 0; j-- {
			v := float64(values[i][j])
			delta := rewards[j] + o.Gamma*next - v
			gae = delta + o.Gamma*o.Lambda*gae
			s.adv[j] = float32(gae)
			s.ret[j] = float32(gae + v)
			next = v
		}
		for j := range n {
			w := math.Min(1, math.Exp(float64(prox[i][j]-t.BehaviourLogProbs[j])))
			s.weight[j] = float32(w)
			isSum += w
			allAdv = append(allAdv, float64(s.adv[j]))
		}
		samples[i] = s
		st.Tokens += n
	}
	st.MeanKL = klSum / float64(len(kept))
	st.MeanReward = rewardSum / float64(len(kept))
	st.MeanResponse = float64(st.Tokens) / float64(len(kept))
	st.MeanIS = isSum / float64(st.Tokens)
	mean, sd := meanStd(allAdv)
	for i := range samples {
		for j := range samples[i].adv {
			samples[i].adv[j] = float32((float64(samples[i].adv[j]) - mean) / (sd + 1e-8))
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, uint64(p.Update)))
	var steps int
	var ent, clip, vloss, ploss float64
	for range o.Epochs {
		order := rng.Perm(len(samples))
		for lo := 0; lo < len(order); lo += o.Minibatch {
			idx := order[lo:min(lo+o.Minibatch, len(order))]
			loss, err := p.minibatch(samples, idx, float32(temperature))
			if err != nil {
				return st, err
			}
			ent += p.graph.policy.Entropy
			clip += p.graph.policy.ClipFraction
			vloss += p.graph.value.Loss
			ploss += loss
			steps++
		}
	}
	st.Entropy, st.ClipFraction, st.ValueLoss, st.PolicyLoss = ent/float64(steps), clip/float64(steps), vloss/float64(steps), ploss/float64(steps)
	if o.TargetKL > 0 {
		// Proportional control of the KL coefficient (Ziegler et al. 2019): the error is
		// clipped to ±0.2 and scaled by the gain (default 0.1: at most ±2% per update), slow
		// on purpose; a faster controller chases one batch's noise into oscillation (measured:
		// at ±10% per update the KL swung between 1 and 16 nats around a target of 4).
		e := math.Min(math.Max((st.MeanKL-o.TargetKL)/o.TargetKL, -0.2), 0.2)
		p.Beta *= 1 + o.KLGain*e
	}
	p.Update++
	st.TokensPerSec = float64(st.Tokens*o.Epochs) / time.Since(started).Seconds()
	return st, nil
}

// minibatch lays out the samples idx in the graph (unused rows carry no loss) and takes one
// optimizer step; it returns the loss.
func (p *PPO) minibatch(samples []ppoSample, idx []int, temperature float32) (float64, error) {
	gr, c := p.graph, p.Model.Config.Context
	rows := gr.seqs * c
	pt, vt := gr.policy, gr.value
	if len(pt.Token) != rows {
		pt.Token, pt.ProxLogProb, pt.Advantage, pt.Weight = make([]int32, rows), make([]float32, rows), make([]float32, rows), make([]float32, rows)
		vt.Use, vt.Return, vt.OldValue = make([]bool, rows), make([]float32, rows), make([]float32, rows)
	}
	pt.Clip, pt.Temperature = float32(p.Opts.Clip), temperature
	vt.Clip, vt.Coef = float32(p.Opts.ValueClip), float32(p.Opts.ValueCoef)
	ids := make([]int, rows)
	for r := range rows {
		ids[r] = int(tokenizer.Pad)
		pt.Token[r] = -1
		vt.Use[r] = false
	}
	for slot, i := range idx {
		s := &samples[i]
		for j, id := range s.seq {
			ids[slot*c+j] = int(id)
		}
		for j := range s.adv {
			r := slot*c + s.start + j - 1
			pt.Token[r] = s.seq[s.start+j]
			pt.ProxLogProb[r], pt.Advantage[r], pt.Weight[r] = s.prox[j], s.adv[j], s.weight[j]
			vt.Use[r], vt.Return[r], vt.OldValue[r] = true, s.ret[j], s.oldV[j]
		}
	}
	loss, err := gr.run(ids, nil)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, ErrNonFinite
	}
	grads := make([][]float32, len(p.Model.Params.List))
	for i, prm := range p.Model.Params.List {
		if grads[i], err = gr.grad(prm); err != nil {
			return 0, err
		}
	}
	if norm := p.Opt.Update(p.Model.Params.List, grads); math.IsNaN(norm) || math.IsInf(norm, 0) {
		return loss, ErrNonFinite
	}
	return loss, nil
}

// meanStd is the mean and the population standard deviation.
func meanStd(xs []float64) (float64, float64) { return stat.PopMeanStdDev(xs, nil) }

// policyEval returns, for each sequence, the log-probability of each token from start on and
// the value of the state before it, from one pass through the trunk.
func (m *Model) policyEval(seqs [][]int32, starts []int, temperature float64) (logprobs, values [][]float32, err error) {
	h, err := m.predictingRows(seqs, starts)
	if err != nil {
		return nil, nil, err
	}
	return m.logProbsAt(h, seqs, starts, temperature), m.valuesAt(h, seqs, starts), nil
}

// Values returns the value head's estimate at the state before each token from start on.
func (m *Model) Values(seqs [][]int32, starts []int) ([][]float32, error) {
	if m.Config.Kind != KindPolicy {
		return nil, fmt.Errorf("trainer: values need a policy, this is a %s", m.Config.Kind)
	}
	h, err := m.predictingRows(seqs, starts)
	if err != nil {
		return nil, err
	}
	return m.valuesAt(h, seqs, starts), nil
}

// valuesAt applies the value head to the predicting rows h.
func (m *Model) valuesAt(h []float32, seqs [][]int32, starts []int) [][]float32 {
	n := len(h) / m.Config.DModel
	v := make([]float32, n)
	matmulBias(v, h, n, m.Params.Get("value.w"), m.Params.Get("value.b"))
	out := make([][]float32, len(seqs))
	k := 0
	for i, s := range seqs {
		for j := max(starts[i], 1); j < len(s); j++ {
			out[i] = append(out[i], v[k])
			k++
		}
	}
	return out
}
