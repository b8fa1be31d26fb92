package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/prefstream/prefstream/internal/calibration"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// RunOptions says what one training run does.
type RunOptions struct {
	// Name is the model name checkpoints are published under, e.g. "pm-pmp".
	Name string
	// Run identifies this run: a restart with the same Name and Run resumes it.
	Run       string
	Stage     string
	Objective Objective
	// Batch is pairs per step; LR the learning rate (constant).
	Batch int
	LR    float64
	// Steps stops the run after that many steps (0: after Passes passes over the data).
	Steps  int
	Passes int
	// Window is how many pairs are shuffled together (a bounded shuffle buffer).
	Window int
	// EvalPairs is the size of the held-out set (pairs of the test split, first in data order);
	// EvalEvery the steps between evaluations; CheckpointEvery the steps between checkpoints.
	EvalPairs       int
	EvalEvery       int
	CheckpointEvery int
	Seed            uint64
	// Init names the checkpoint a fine-tuning run starts from ("pm-pmp@3"), for the record.
	Init string
	// Log reports progress lines (nil: none).
	Log func(Progress)
}

// Progress is one report of a run.
type Progress struct {
	Step    int
	Pass    int
	Loss    float64
	Pairs   int64
	Eval    *calibration.Summary
	Event   string
	Version int
}

// RunState is what a checkpoint records of the run, so that a restart continues exactly: the
// window being trained (its start and how many of its pairs were used) and the counters.
type RunState struct {
	Name      string    `json:"name"`
	Run       string    `json:"run"`
	Stage     string    `json:"stage"`
	Objective Objective `json:"objective"`
	Step      int       `json:"step"`
	Window    Position  `json:"window"`
	Used      int       `json:"used"`
	Pairs     int64     `json:"pairs"`
	Finished  bool      `json:"finished"`
	Init      string    `json:"init,omitempty"`
}

// Checkpointer stores and finds checkpoints (the registry in production).
type Checkpointer interface {
	// Save publishes a checkpoint and returns its version.
	Save(ctx context.Context, ck *Checkpoint, st RunState, metrics map[string]float64) (int, error)
	// Last returns the newest checkpoint of the model name, or nil when there is none.
	Last(ctx context.Context, name string) (*Checkpoint, error)
}

// Trainer runs training with evaluation and checkpoints.
type Trainer struct {
	Opts    RunOptions
	Source  Source
	Store   Checkpointer
	stepper *Stepper
	state   RunState
	eval    []schemas.Pair
}

// Start prepares a run: it resumes the newest checkpoint of the same name and run, or starts
// from init (a checkpoint to fine-tune) or from fresh weights of config with tokenizer tok.
func Start(ctx context.Context, o RunOptions, src Source, store Checkpointer, init *Checkpoint, c Config, tok *tokenizer.Tokenizer) (*Trainer, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	t := &Trainer{Opts: o, Source: src, Store: store}
	last, err := store.Last(ctx, o.Name)
	if err != nil {
		return nil, err
	}
	var st RunState
	if last != nil {
		if err := json.Unmarshal(last.State, &st); err != nil {
			return nil, fmt.Errorf("trainer: checkpoint of %s: unreadable state: %w", o.Name, err)
		}
	}
	switch {
	case last != nil && st.Run == o.Run:
		if err := t.adopt(last, st.Objective); err != nil {
			return nil, err
		}
		t.state = st
		o.report(Progress{Event: "resumed", Step: st.Step, Pairs: st.Pairs})
	case init != nil:
		init.Opt = nil
		if err := t.adopt(init, o.Objective); err != nil {
			return nil, err
		}
		t.state = RunState{Name: o.Name, Run: o.Run, Stage: o.Stage, Objective: o.Objective, Init: o.Init}
	default:
		if tok == nil {
			return nil, errors.New("trainer: a fresh model needs a tokenizer")
		}
		c.Vocab, c.Kind = tok.Vocab(), o.Objective.Kind()
		m, err := New(c, o.Seed)
		if err != nil {
			return nil, err
		}
		if err := t.adopt(&Checkpoint{Model: m, Tok: tok}, o.Objective); err != nil {
			return nil, err
		}
		t.state = RunState{Name: o.Name, Run: o.Run, Stage: o.Stage, Objective: o.Objective}
	}
	return t, nil
}

func (o *RunOptions) defaults() error {
	if o.Name == "" {
		return errors.New("trainer: a run needs a model name")
	}
	if o.Run == "" {
		o.Run = o.Name
	}
	if o.Batch <= 0 {
		o.Batch = 16
	}
	if o.LR <= 0 {
		o.LR = 3e-4
	}
	if o.Passes <= 0 {
		o.Passes = 1
	}
	if o.Window <= 0 {
		o.Window = 64 * o.Batch
	}
	if o.Window < o.Batch {
		o.Window = o.Batch
	}
	if o.EvalPairs < 0 {
		o.EvalPairs = 0
	}
	if o.EvalEvery <= 0 {
		o.EvalEvery = 100
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 200
	}
	return nil
}

// adopt takes a checkpoint's model (and optimizer state, when it has one) as the one trained.
func (t *Trainer) adopt(ck *Checkpoint, obj Objective) error {
	if obj == "" {
		obj = t.Opts.Objective
	}
	st, err := NewStepper(ck.Model, ck.Tok, obj, t.Opts.Batch, t.Opts.LR)
	if err != nil {
		return err
	}
	if ck.Opt != nil {
		ck.Opt.LR = t.Opts.LR
		st.Opt = ck.Opt
	}
	t.stepper = st
	return nil
}

// Model is the model being trained.
func (t *Trainer) Model() *Model { return t.stepper.Model }

// Tokenizer is the model's tokenizer.
func (t *Trainer) Tokenizer() *tokenizer.Tokenizer { return t.stepper.enc.Tok }

// State is the run's state.
func (t *Trainer) State() RunState { return t.state }

// LoadEvalSet reads the held-out pairs: the first EvalPairs pairs of the test split in the
// source's order. They are never trained on.
func (t *Trainer) LoadEvalSet(ctx context.Context) error {
	t.eval = t.eval[:0]
	if t.Opts.EvalPairs == 0 {
		return nil
	}
	err := t.Source.Each(ctx, Position{}, func(p schemas.Pair, _ Position) error {
		if p.Split == schemas.SplitTest {
			t.eval = append(t.eval, p)
			if len(t.eval) >= t.Opts.EvalPairs {
				return errStop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	return nil
}

// Evaluate scores the held-out set.
func (t *Trainer) Evaluate() (calibration.Summary, error) {
	s, err := NewScorer(t.stepper.Model, t.stepper.enc.Tok)
	if err != nil {
		return calibration.Summary{}, err
	}
	margins, err := s.Margins(t.eval)
	if err != nil {
		return calibration.Summary{}, err
	}
	return calibration.Summarize(margins, 10), nil
}

// Train runs until the steps or passes are done, checkpointing on the way and at the end.
// A non-finite loss stops the run with ErrNonFinite; the last checkpoint stays the newest.
func (t *Trainer) Train(ctx context.Context) error {
	if t.state.Finished {
		return nil
	}
	o := t.Opts
	window := make([]schemas.Pair, 0, o.Window)
	var lossSum float64
	var lossN int
	var lastEval *calibration.Summary
	checkpoint := func(finished bool) error {
		metrics := map[string]float64{"step": float64(t.state.Step), "pairs": float64(t.state.Pairs)}
		if lossN > 0 {
			metrics["train_loss"] = lossSum / float64(lossN)
		}
		if len(t.eval) > 0 {
			ev, err := t.Evaluate()
			if err != nil {
				return err
			}
			lastEval = &ev
			metrics["eval_accuracy"], metrics["eval_loss"], metrics["eval_ece"] = ev.Accuracy, ev.Loss, ev.ECE
		}
		t.state.Finished = finished
		v, err := t.Store.Save(ctx, t.checkpoint(), t.state, metrics)
		if err != nil {
			return err
		}
		o.report(Progress{Event: "checkpoint", Step: t.state.Step, Pairs: t.state.Pairs, Version: v, Eval: lastEval})
		return nil
	}
	// train uses the window's pairs from t.state.Used on, in a shuffled order fixed by the
	// window's start, so that a resumed run sees exactly the same batches.
	train := func() error {
		order := rand.New(rand.NewPCG(o.Seed, windowSeed(t.state.Window))).Perm(len(window))
		for t.state.Used+o.Batch <= len(window) {
			if o.Steps > 0 && t.state.Step >= o.Steps {
				return errStop
			}
			batch := make([]schemas.Pair, o.Batch)
			for i := range batch {
				batch[i] = window[order[t.state.Used+i]]
			}
			loss, err := t.stepper.Step(batch)
			if errors.Is(err, ErrNonFinite) {
				return fmt.Errorf("%w at step %d (loss %v): stopped; the last checkpoint is the last good model", err, t.state.Step+1, loss)
			}
			if err != nil {
				return err
			}
			t.state.Step++
			t.state.Used += o.Batch
			t.state.Pairs += int64(o.Batch)
			lossSum += loss
			lossN++
			if t.state.Step%o.EvalEvery == 0 && len(t.eval) > 0 && o.Log != nil {
				ev, err := t.Evaluate()
				if err != nil {
					return err
				}
				lastEval = &ev
				o.report(Progress{Event: "eval", Step: t.state.Step, Pass: t.state.Window.Pass, Loss: lossSum / float64(lossN), Pairs: t.state.Pairs, Eval: &ev})
				lossSum, lossN = 0, 0
			}
			if t.state.Step%o.CheckpointEvery == 0 && (o.Steps == 0 || t.state.Step < o.Steps) {
				if err := checkpoint(false); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for t.state.Window.Pass < o.Passes {
		start := t.state.Window
		window = window[:0]
		fill := func(p schemas.Pair, next Position) error {
			if p.Split == schemas.SplitTest {
				return nil
			}
			window = append(window, p)
			if len(window) == o.Window {
				if err := train(); err != nil {
					return err
				}
				window = window[:0]
				t.state.Window, t.state.Used = next, 0
			}
			return nil
		}
		err := t.Source.Each(ctx, start, fill)
		if err == nil && len(window) > 0 {
			err = train()
		}
		if errors.Is(err, errStop) {
			break
		}
		if err != nil {
			return err
		}
		t.state.Window, t.state.Used = Position{Pass: start.Pass + 1}, 0
	}
	return checkpoint(true)
}

func windowSeed(p Position) uint64 {
	return uint64(p.Pass)<<56 ^ p.Seq<<20 ^ uint64(p.Row)
}

func (t *Trainer) checkpoint() *Checkpoint {
	state, _ := json.Marshal(t.state)
	return &Checkpoint{Model: t.stepper.Model, Tok: t.stepper.enc.Tok, Opt: t.stepper.Opt, State: state}
}
