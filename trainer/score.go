package trainer

import (
	"fmt"

	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// Scorer is the batched scoring API: a preference model's scores of responses to prompts,
// higher meaning preferred. Safe for concurrent use once built; Score may be called from many
// goroutines (each call encodes with its own buffers).
type Scorer struct {
	Model *Model
	Tok   *tokenizer.Tokenizer
	// Batch is how many samples one forward pass takes (default 32).
	Batch int
}

// NewScorer checks that the tokenizer is the model's.
func NewScorer(m *Model, tok *tokenizer.Tokenizer) (*Scorer, error) {
	if err := CheckTokenizer(m, tok); err != nil {
		return nil, err
	}
	return &Scorer{Model: m, Tok: tok, Batch: 32}, nil
}

// Score returns one score per (prompt, response).
func (s *Scorer) Score(prompts, responses []string) ([]float32, error) {
	if len(prompts) != len(responses) {
		return nil, fmt.Errorf("trainer: score: %d prompts but %d responses", len(prompts), len(responses))
	}
	enc := &Encoder{Tok: s.Tok, Context: s.Model.Config.Context}
	batch := s.Batch
	if batch < 1 {
		batch = 32
	}
	out := make([]float32, 0, len(prompts))
	for lo := 0; lo < len(prompts); lo += batch {
		hi := min(lo+batch, len(prompts))
		scores, err := s.scoreBatch(enc, prompts[lo:hi], responses[lo:hi])
		if err != nil {
			return nil, err
		}
		out = append(out, scores...)
	}
	return out, nil
}

func (s *Scorer) scoreBatch(enc *Encoder, prompts, responses []string) ([]float32, error) {
	m := s.Model
	switch m.Config.Scoring {
	case ScoringLogProb:
		seqs, starts := make([][]int32, len(prompts)), make([]int, len(prompts))
		for i := range prompts {
			seqs[i], starts[i] = enc.Policy(nil, prompts[i], responses[i])
		}
		return m.MeanLogProbs(seqs, starts)
	case ScoringLabelContrast:
		seqs := make([][]int32, 0, 2*len(prompts))
		for i := range prompts {
			seqs = append(seqs, enc.Reward(nil, prompts[i], responses[i], tokenizer.Good),
				enc.Reward(nil, prompts[i], responses[i], tokenizer.Bad))
		}
		r, err := m.Rewards(seqs)
		if err != nil {
			return nil, err
		}
		out := make([]float32, len(prompts))
		for i := range out {
			out[i] = r[2*i] - r[2*i+1]
		}
		return out, nil
	default:
		seqs := make([][]int32, len(prompts))
		for i := range prompts {
			seqs[i] = enc.Reward(nil, prompts[i], responses[i], -1)
		}
		return m.Rewards(seqs)
	}
}

// Margins scores both sides of each pair and returns score(chosen) - score(rejected).
func (s *Scorer) Margins(pairs []schemas.Pair) ([]float64, error) {
	prompts := make([]string, 0, 2*len(pairs))
	responses := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		prompts = append(prompts, p.Prompt, p.Prompt)
		responses = append(responses, p.Chosen, p.Rejected)
	}
	scores, err := s.Score(prompts, responses)
	if err != nil {
		return nil, err
	}
	margins := make([]float64, len(pairs))
	for i := range margins {
		margins[i] = float64(scores[2*i] - scores[2*i+1])
	}
	return margins, nil
}
