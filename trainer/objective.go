package trainer

import (
	"errors"
	"fmt"
	"math"

	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer/nn"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// Objective is how pairs train a model (recipes.md, "Preference model").
type Objective string

const (
	// Ranked: log(1 + exp(r_rejected - r_chosen)) per pair, read at the end-of-context token.
	Ranked Objective = "ranked"
	// Binarized: each pair (A over B) gives two comparisons of one text with itself,
	// GOOD:A over BAD:A and BAD:B over GOOD:B, the label token just before the end token.
	Binarized Objective = "binarized"
	// Discrimination: each response alone, chosen labelled good and rejected bad, binary
	// cross-entropy on its reward.
	Discrimination Objective = "discrimination"
	// Imitation: next-token loss on the chosen responses; a response's preference score is its
	// mean token log-probability.
	Imitation Objective = "imitation"
)

// Objectives lists every objective.
var Objectives = []Objective{Ranked, Binarized, Discrimination, Imitation}

// ParseObjective checks an objective's name.
func ParseObjective(s string) (Objective, error) {
	for _, o := range Objectives {
		if string(o) == s {
			return o, nil
		}
	}
	return "", fmt.Errorf("trainer: unknown objective %q (have ranked, binarized, discrimination, imitation)", s)
}

// Kind is the model kind an objective trains.
func (o Objective) Kind() string {
	if o == Imitation {
		return KindPolicy
	}
	return KindPM
}

// sequencesPerPair is how many samples one pair becomes for a model scoring as scoring: four
// labelled ones (good and bad of each side) when binarized or compared by label contrast.
func (o Objective) sequencesPerPair(scoring string) int {
	switch {
	case o == Binarized, o == Ranked && scoring == ScoringLabelContrast:
		return 4
	case o == Imitation:
		return 1
	default:
		return 2
	}
}

// Scoring says how a model scores a response: "plain" reads the reward at the end token;
// "label-contrast" is r(x <|good|>) - r(x <|bad|>), the score of a model trained binarized:
// binarized training constrains only that difference (GOOD:A over BAD:A, BAD:B over GOOD:B),
// not the level of either reward, so r(x <|good|>) alone orders responses at chance (measured:
// 0.52 where the contrast gave 0.64). Such a model is fine-tuned on the contrast too, so the
// sample format and the score it was pre-trained on carry over. "mean-logprob" is the
// imitation score.
const (
	ScoringPlain         = "plain"
	ScoringLabelContrast = "label-contrast"
	ScoringLogProb       = "mean-logprob"
)

// scoring is how a model scores after training with the objective, given how it scored before.
func (o Objective) scoring(before string) string {
	switch {
	case o == Binarized:
		return ScoringLabelContrast
	case o == Imitation:
		return ScoringLogProb
	case o == Ranked && before == ScoringLabelContrast:
		return ScoringLabelContrast
	default:
		return ScoringPlain
	}
}

// ErrNonFinite is returned by a step whose loss or gradient is NaN or infinite; the update is
// not applied, so the weights stay those of the last good step.
var ErrNonFinite = errors.New("trainer: loss or gradient is not finite")

// Stepper trains a model on batches of pairs with one objective.
type Stepper struct {
	Model     *Model
	Objective Objective
	Opt       *AdamW
	Batch     int
	enc       *Encoder
	graph     *graph
	ids       []int
	reads     []int
	seq       []int32
	grads     [][]float32
}

// NewStepper builds the training graph for batches of batch pairs.
func NewStepper(m *Model, tok *tokenizer.Tokenizer, obj Objective, batch int, lr float64) (*Stepper, error) {
	if obj.Kind() != m.Config.Kind {
		return nil, fmt.Errorf("trainer: objective %s trains a %s model, this one is a %s", obj, obj.Kind(), m.Config.Kind)
	}
	if err := CheckTokenizer(m, tok); err != nil {
		return nil, err
	}
	if batch < 1 {
		return nil, fmt.Errorf("trainer: batch must be at least 1 pair, got %d", batch)
	}
	h := headReward
	if obj == Imitation {
		h = headLM
	}
	m.Config.Scoring = obj.scoring(m.Config.Scoring)
	seqs := batch * obj.sequencesPerPair(m.Config.Scoring)
	gr, err := newGraph(m, seqs, m.Config.Context, h)
	if err != nil {
		return nil, err
	}
	opt := NewAdamW(lr)
	opt.ClipNorm = 1
	return &Stepper{Model: m, Objective: obj, Opt: opt, Batch: batch, graph: gr,
		enc: &Encoder{Tok: tok, Context: m.Config.Context}, grads: make([][]float32, len(m.Params.List)),
		ids: make([]int, seqs*m.Config.Context), reads: make([]int, seqs)}, nil
}

// CheckTokenizer refuses a tokenizer other than the one the model was trained with.
func CheckTokenizer(m *Model, tok *tokenizer.Tokenizer) error {
	if tok.Vocab() != m.Config.Vocab {
		return fmt.Errorf("trainer: tokenizer %s has %d tokens, the model expects %d", tok.Version(), tok.Vocab(), m.Config.Vocab)
	}
	if m.Tokenizer != "" && m.Tokenizer != tok.Version() {
		return fmt.Errorf("trainer: the model was trained with tokenizer %s, not %s", m.Tokenizer, tok.Version())
	}
	if m.Tokenizer == "" { // a new model takes its tokenizer; a loaded one, shared, is only read
		m.Tokenizer = tok.Version()
	}
	return nil
}

// place writes sample s as sequence i of the batch (padded) and returns where it ends.
func (st *Stepper) place(i int, s []int32) int {
	c := st.Model.Config.Context
	row := st.ids[i*c : (i+1)*c]
	for j := range row {
		row[j] = int(tokenizer.Pad)
		if j < len(s) {
			row[j] = int(s[j])
		}
	}
	return len(s) - 1
}

// Step trains on one batch of exactly Batch pairs and returns the loss before the update.
func (st *Stepper) Step(pairs []schemas.Pair) (float64, error) {
	if len(pairs) != st.Batch {
		return 0, fmt.Errorf("trainer: a step takes %d pairs, got %d", st.Batch, len(pairs))
	}
	st.fill(pairs)
	loss, err := st.graph.run(st.ids, st.reads)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, ErrNonFinite
	}
	for i, p := range st.Model.Params.List {
		if st.grads[i], err = st.graph.grad(p); err != nil {
			return 0, err
		}
	}
	if norm := st.Opt.Update(st.Model.Params.List, st.grads); math.IsNaN(norm) || math.IsInf(norm, 0) {
		return loss, ErrNonFinite
	}
	return loss, nil
}

// fill lays out the batch's samples and targets for the objective.
func (st *Stepper) fill(pairs []schemas.Pair) {
	prefs, n := st.graph.prefs, len(pairs)
	contrast := st.Model.Config.Scoring == ScoringLabelContrast
	prefs.Comparisons, prefs.Judgements = prefs.Comparisons[:0], prefs.Judgements[:0]
	reward := func(i int, prompt, response string, label int32) {
		st.seq = st.enc.Reward(st.seq[:0], prompt, response, label)
		st.reads[i] = st.place(i, st.seq)
	}
	for i, p := range pairs {
		switch st.Objective {
		case Ranked:
			if contrast {
				reward(4*i, p.Prompt, p.Chosen, tokenizer.Good)
				reward(4*i+1, p.Prompt, p.Chosen, tokenizer.Bad)
				reward(4*i+2, p.Prompt, p.Rejected, tokenizer.Good)
				reward(4*i+3, p.Prompt, p.Rejected, tokenizer.Bad)
				prefs.Comparisons = append(prefs.Comparisons, nn.Comparison{Better: 4 * i, Worse: 4*i + 2, Weight: 1, Contrast: true})
				continue
			}
			reward(i, p.Prompt, p.Chosen, -1)
			reward(n+i, p.Prompt, p.Rejected, -1)
			prefs.Comparisons = append(prefs.Comparisons, nn.Comparison{Better: i, Worse: n + i, Weight: 1})
		case Binarized:
			reward(4*i, p.Prompt, p.Chosen, tokenizer.Good)
			reward(4*i+1, p.Prompt, p.Chosen, tokenizer.Bad)
			reward(4*i+2, p.Prompt, p.Rejected, tokenizer.Bad)
			reward(4*i+3, p.Prompt, p.Rejected, tokenizer.Good)
			prefs.Comparisons = append(prefs.Comparisons,
				nn.Comparison{Better: 4 * i, Worse: 4*i + 1, Weight: 1},
				nn.Comparison{Better: 4*i + 2, Worse: 4*i + 3, Weight: 1})
		case Discrimination:
			reward(i, p.Prompt, p.Chosen, -1)
			reward(n+i, p.Prompt, p.Rejected, -1)
			prefs.Judgements = append(prefs.Judgements,
				nn.Judgement{Index: i, Good: true, Weight: 1}, nn.Judgement{Index: n + i, Good: false, Weight: 1})
		case Imitation:
			c := st.Model.Config.Context
			var start int
			st.seq, start = st.enc.Policy(st.seq[:0], p.Prompt, p.Chosen)
			st.place(i, st.seq)
			next := st.graph.tokens.Next
			if cap(next) < n*c {
				next = make([]int32, n*c)
			}
			next = next[:n*c]
			for j := range c {
				next[i*c+j] = -1
				if j+1 >= start && j+1 < len(st.seq) && j+1 > 0 {
					next[i*c+j] = st.seq[j+1]
				}
			}
			st.graph.tokens.Next = next
		}
	}
}
