package rollout

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/prefstream/prefstream/trainer"
	"github.com/prefstream/prefstream/trainer/nn"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// Throughput is a sampling speed measurement of one worker.
type Throughput struct {
	Preset                      string
	Batch, PromptTokens, MaxNew int
	Rounds                      int
	BLAS                        string
	// Tokens sampled in the timed rounds and the seconds they took: Model.Generate alone, which
	// returns each token's log-probability (what shared/bench/gen_reference.py measures).
	Tokens     int
	Seconds    float64
	TokensPerS float64
	// WorkerTokensPerS adds what a worker does next to each batch: the reference model's
	// log-probabilities of the response and the preference model's reward.
	WorkerTokensPerS float64
}

// BenchGenerate times sampling with a preset's policy (random weights, vocabulary 4096) on
// batch random prompts of promptTokens tokens, maxNew new tokens each at temperature 1: one
// warm-up round, then rounds timed.
func BenchGenerate(preset string, batch, promptTokens, maxNew, rounds int) (Throughput, error) {
	if batch < 1 || promptTokens < 1 || maxNew < 1 || rounds < 1 {
		return Throughput{}, fmt.Errorf("rollout: bench: batch, prompt tokens, new tokens and rounds must be positive")
	}
	models, err := benchModels(preset)
	if err != nil {
		return Throughput{}, err
	}
	policy := models[0]
	if promptTokens+maxNew > policy.Config.Context {
		return Throughput{}, fmt.Errorf("rollout: bench: %d prompt + %d new tokens exceed the context of %d", promptTokens, maxNew, policy.Config.Context)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	prompts := make([][]int32, batch)
	for i := range prompts {
		for range promptTokens {
			prompts[i] = append(prompts[i], int32(tokenizer.FirstMerge+rng.IntN(policy.Config.Vocab-tokenizer.FirstMerge)))
		}
	}
	s := trainer.Sampling{Temperature: 1, TopP: 1, MaxNew: maxNew}
	generate := func() (int, error) {
		gens, err := policy.Generate(prompts, s, rng)
		n := 0
		for _, g := range gens {
			n += len(g.Tokens)
		}
		return n, err
	}
	if _, err := generate(); err != nil {
		return Throughput{}, err
	}
	out := Throughput{Preset: preset, Batch: batch, PromptTokens: promptTokens, MaxNew: maxNew, Rounds: rounds, BLAS: nn.BLAS}
	start := time.Now()
	for range rounds {
		n, err := generate()
		if err != nil {
			return Throughput{}, err
		}
		out.Tokens += n
	}
	out.Seconds = time.Since(start).Seconds()
	out.TokensPerS = float64(out.Tokens) / out.Seconds

	reference, pm := models[1], models[2]
	tokens := 0
	start = time.Now()
	for range rounds {
		gens, err := policy.Generate(prompts, s, rng)
		if err != nil {
			return Throughput{}, err
		}
		seqs, starts := make([][]int32, len(gens)), make([]int, len(gens))
		scored := make([][]int32, len(gens))
		for i, g := range gens {
			seqs[i] = append(append([]int32{}, g.Prompt...), g.Tokens...)
			starts[i] = len(g.Prompt)
			scored[i] = append(append([]int32{}, seqs[i][:len(seqs[i])-1]...), tokenizer.EndOfContext)
			tokens += len(g.Tokens)
		}
		if _, err := reference.TokenLogProbs(seqs, starts, 1); err != nil {
			return Throughput{}, err
		}
		if _, err := pm.Rewards(scored); err != nil {
			return Throughput{}, err
		}
	}
	out.WorkerTokensPerS = float64(tokens) / time.Since(start).Seconds()
	return out, nil
}

// benchModels returns a preset's policy, reference and preference model with random weights.
func benchModels(preset string) ([3]*trainer.Model, error) {
	var out [3]*trainer.Model
	for i, kind := range []string{trainer.KindPolicy, trainer.KindPolicy, trainer.KindPM} {
		c, err := trainer.Preset(preset, kind, 4096)
		if err != nil {
			return out, err
		}
		if out[i], err = trainer.New(c, uint64(i+1)); err != nil {
			return out, err
		}
	}
	return out, nil
}
