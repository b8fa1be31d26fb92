package trainer

import (
	"bytes"
	"context"
	"fmt"

	"github.com/prefstream/prefstream/internal/calibration"
	"github.com/prefstream/prefstream/schemas"
	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// TransferOptions configures the PMP transfer experiment: fine-tune on N human-ranking pairs
// from scratch and from the PMP checkpoint, with the same seeds, and compare held-out accuracy.
type TransferOptions struct {
	Sizes  []int
	Seeds  []uint64
	Batch  int
	Passes int
	// LR is the fine-tuning rate of both arms (recipes.md: fine-tuning at about 0.1x the
	// pre-training rate), so that they differ only in their initial weights; ScratchLR, when
	// set, gives the scratch arm its own rate.
	LR        float64
	ScratchLR float64
	Log       func(TransferPoint)
}

// TransferPoint is one fine-tuning run's result.
type TransferPoint struct {
	N        int
	Seed     uint64
	FromPMP  bool
	Accuracy float64
	Loss     float64
}

// Transfer runs the experiment. train holds at least max(Sizes) training pairs (the first N
// are used for size N); eval is the held-out set.
func Transfer(ctx context.Context, pmp *Checkpoint, train, eval []schemas.Pair, o TransferOptions) ([]TransferPoint, error) {
	if len(eval) == 0 {
		return nil, fmt.Errorf("trainer: transfer: no held-out pairs")
	}
	var points []TransferPoint
	for _, n := range o.Sizes {
		if n > len(train) {
			return nil, fmt.Errorf("trainer: transfer: %d training pairs asked, %d available", n, len(train))
		}
		for _, seed := range o.Seeds {
			for _, fromPMP := range []bool{false, true} {
				acc, loss, err := transferRun(ctx, pmp, train[:n], eval, o, seed, fromPMP)
				if err != nil {
					return nil, err
				}
				p := TransferPoint{N: n, Seed: seed, FromPMP: fromPMP, Accuracy: acc, Loss: loss}
				points = append(points, p)
				if o.Log != nil {
					o.Log(p)
				}
			}
		}
	}
	return points, nil
}

func transferRun(ctx context.Context, pmp *Checkpoint, train, eval []schemas.Pair, o TransferOptions, seed uint64, fromPMP bool) (float64, float64, error) {
	opts := RunOptions{Name: "transfer", Stage: "finetune", Objective: Ranked, Batch: max(1, min(o.Batch, len(train))), LR: o.LR,
		Passes: o.Passes, Window: len(train), CheckpointEvery: 1 << 30, Seed: seed}
	var init *Checkpoint
	if fromPMP {
		// A private copy, so runs never share weights.
		copyOf, err := cloneCheckpoint(pmp)
		if err != nil {
			return 0, 0, err
		}
		init = copyOf
	} else if o.ScratchLR > 0 {
		opts.LR = o.ScratchLR
	}
	c := pmp.Model.Config
	c.Kind = KindPM
	if len(train) == 0 {
		// N = 0: the starting point itself, without fine-tuning.
		m := init
		if m == nil {
			fresh, err := New(c, seed)
			if err != nil {
				return 0, 0, err
			}
			m = &Checkpoint{Model: fresh, Tok: pmp.Tok}
		}
		return evalAccuracy(m.Model, m.Tok, eval)
	}
	tr, err := Start(ctx, opts, &SliceSource{Pairs: train, Name: "rankings"}, &MemoryStore{}, init, c, pmp.Tok)
	if err != nil {
		return 0, 0, err
	}
	if err := tr.Train(ctx); err != nil {
		return 0, 0, err
	}
	return evalAccuracy(tr.Model(), tr.Tokenizer(), eval)
}

func evalAccuracy(m *Model, tok *tokenizer.Tokenizer, eval []schemas.Pair) (float64, float64, error) {
	s, err := NewScorer(m, tok)
	if err != nil {
		return 0, 0, err
	}
	margins, err := s.Margins(eval)
	if err != nil {
		return 0, 0, err
	}
	sum := calibration.Summarize(margins, 10)
	return sum.Accuracy, sum.Loss, nil
}

func cloneCheckpoint(ck *Checkpoint) (*Checkpoint, error) {
	var buf bytes.Buffer
	if _, err := (&Checkpoint{Model: ck.Model, Tok: ck.Tok, State: ck.State}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return ReadCheckpoint(&buf)
}
