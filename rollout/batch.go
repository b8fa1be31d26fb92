package rollout

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/rollout/promptmsg"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// Sample is one prompt's sampled response with its log-probabilities and reward.
type Sample struct {
	// PromptTokens are the tokens the policy continued (the prompt's tail); Tokens the response,
	// ending with <|endofcontext|> when the policy stopped.
	PromptTokens, Tokens []int32
	// Response is the decoded response text, without the end token, made valid UTF-8.
	Response             string
	Behaviour, Reference []float32
	Reward               float32
}

// Models are the three models a rollout samples and scores with.
type Models struct {
	Policy    *trainer.Model
	Tok       *tokenizer.Tokenizer
	Reference *trainer.Model
	PM        *trainer.Scorer
}

// Sample samples one response per prompt text with the policy (with a KV cache), computes the
// reference model's log-probabilities of the response tokens at the same temperature, and scores
// each (prompt, response) with the preference model.
func (m Models) Sample(prompts []string, s trainer.Sampling, rng *rand.Rand) ([]Sample, error) {
	enc := trainer.Encoder{Tok: m.Tok, Context: m.Policy.Config.Context}
	ids := make([][]int32, len(prompts))
	for i, p := range prompts {
		ids[i] = enc.Prompt(nil, p, s.MaxNew)
	}
	gens, err := m.Policy.Generate(ids, s, rng)
	if err != nil {
		return nil, fmt.Errorf("rollout: sampling: %w", err)
	}
	seqs := make([][]int32, len(gens))
	starts := make([]int, len(gens))
	responses := make([]string, len(gens))
	var text []byte
	for i, g := range gens {
		seqs[i] = append(append(make([]int32, 0, len(g.Prompt)+len(g.Tokens)), g.Prompt...), g.Tokens...)
		starts[i] = len(g.Prompt)
		body := g.Tokens
		if n := len(body); n > 0 && body[n-1] == tokenizer.EndOfContext {
			body = body[:n-1]
		}
		text = m.Tok.AppendDecode(text[:0], body)
		responses[i] = strings.ToValidUTF8(string(text), "\uFFFD")
	}
	refs, err := m.Reference.TokenLogProbs(seqs, starts, s.Temperature)
	if err != nil {
		return nil, fmt.Errorf("rollout: reference log-probabilities: %w", err)
	}
	rewards, err := m.PM.Score(prompts, responses)
	if err != nil {
		return nil, fmt.Errorf("rollout: preference model: %w", err)
	}
	out := make([]Sample, len(gens))
	for i, g := range gens {
		out[i] = Sample{PromptTokens: g.Prompt, Tokens: g.Tokens, Response: responses[i],
			Behaviour: g.LogProbs, Reference: refs[i], Reward: rewards[i]}
	}
	return out, nil
}

// batch samples rows of one prompt message with the current models and stores the valid
// trajectories, waiting for the server's acknowledgement.
func (w *Worker) batch(ctx context.Context, pub *bus.Publisher, info msgInfo, rows []promptmsg.Row) error {
	set := w.cur.Load()
	started := time.Now()
	first := rows[0].Index
	seed := batchSeed(w.o.Seed, info.streamSeq, info.delivery, first)
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Prompt.Text
	}
	samples, err := set.models.Sample(texts, w.o.Sampling, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	took := time.Since(started)
	now := time.Now().Unix()
	trajs := make([]schemas.Trajectory, 0, len(rows))
	report := BatchReport{PolicyVersion: set.policy.Version, PromptSeq: info.streamSeq, FirstRow: first, Started: started, Took: took}
	for i, r := range rows {
		s := samples[i]
		seq, err := TrajectorySeq(info.streamSeq, info.delivery, r.Index)
		if err != nil {
			return err
		}
		t := schemas.Trajectory{
			TrajectoryID: schemas.TrajectoryID(w.o.Run, w.o.Worker, r.Prompt.PromptID, seq),
			Run:          w.o.Run, Worker: w.o.Worker, Seq: seq,
			PolicyVersion: int64(set.policy.Version), PM: set.pm.Ref(), Reference: set.reference.Ref(),
			Tokenizer: set.models.Tok.Version(), PromptID: r.Prompt.PromptID,
			Prompt: r.Prompt.Text, Response: s.Response, PromptTokens: s.PromptTokens, ResponseTokens: s.Tokens,
			BehaviourLogProbs: s.Behaviour, ReferenceLogProbs: s.Reference, Reward: float64(s.Reward),
			Temperature: w.o.Sampling.Temperature, TopP: w.o.Sampling.TopP, Seed: int64(seed), CreatedUnix: now,
		}
		report.Tokens += len(s.Tokens)
		if err := t.Validate(); err != nil {
			if err := w.deadLetterTrajectory(ctx, info, r.Index, t, err.Error()); err != nil {
				return err
			}
			report.DeadLetters++
			continue
		}
		trajs = append(trajs, t)
	}
	if len(trajs) > 0 {
		data, err := schemas.TrajectoryCodec.Encode(trajs)
		if err != nil {
			return fmt.Errorf("rollout: encoding trajectories: %w", err)
		}
		h := nats.Header{}
		h.Set(schemas.HeaderSchema, schemas.TrajectorySchema)
		h.Set(schemas.HeaderRows, strconv.Itoa(len(trajs)))
		h.Set(schemas.HeaderOrigin, info.origin(first))
		var dup bool
		pub.OnAck = func(a bus.Ack) { dup = dup || a.Duplicate }
		if err := pub.Publish(ctx, bus.TrajectorySubject(w.o.Run), BatchMsgID(w.o.Run, info.streamSeq, first, len(rows)), data, h); err != nil {
			return err
		}
		if err := pub.Flush(ctx); err != nil {
			return err
		}
		report.Duplicate = dup
	}
	report.Trajectories = len(trajs)
	w.record(report)
	return nil
}

func (w *Worker) deadLetterTrajectory(ctx context.Context, info msgInfo, index int, t schemas.Trajectory, reason string) error {
	data, err := schemas.TrajectoryCodec.Encode([]schemas.Trajectory{t})
	if err != nil {
		return fmt.Errorf("rollout: encoding a rejected trajectory: %w", err)
	}
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, schemas.TrajectorySchema)
	origin := info.origin(index)
	if err := bus.DeadLetter(ctx, w.js, w.deadLetters(), "dlq/rollout/"+w.o.Run+"/"+t.TrajectoryID, data, h, reason, origin); err != nil {
		return err
	}
	w.countDeadLetters(1)
	w.log.Warn("dead-lettered a trajectory", zap.String("origin", origin), zap.String("reason", reason))
	return nil
}

// record counts a stored batch.
func (w *Worker) record(r BatchReport) {
	s := &w.stats
	s.batches.Add(1)
	s.tokens.Add(int64(r.Tokens))
	if r.Duplicate {
		s.duplicates.Add(1)
	} else {
		s.trajectories.Add(int64(r.Trajectories))
		w.m.trajectories.Add(float64(r.Trajectories))
	}
	w.m.batches.Inc()
	w.m.tokens.Add(float64(r.Tokens))
	if secs := r.Took.Seconds(); secs > 0 {
		w.m.tokensPerSec.Set(float64(r.Tokens) / secs)
	}
	if w.o.OnBatch != nil {
		w.o.OnBatch(r)
	}
}
