package trainer

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

// failingSource fails after a number of pairs, as a trainer killed mid-run would stop.
type failingSource struct {
	Source
	after int
}

var errKilled = errors.New("killed")

func (f *failingSource) Each(ctx context.Context, from Position, fn func(schemas.Pair, Position) error) error {
	n := 0
	return f.Source.Each(ctx, from, func(p schemas.Pair, next Position) error {
		if n++; n > f.after {
			return errKilled
		}
		return fn(p, next)
	})
}

func splitPairs(pairs []schemas.Pair) []schemas.Pair {
	for i := range pairs {
		pairs[i].Split = schemas.SplitTrain
		if i%10 == 0 {
			pairs[i].Split = schemas.SplitTest
		}
	}
	return pairs
}

func TestKilledRunResumesExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	pairs := splitPairs(plantedPairs(rng, 400))
	tok := trainTokenizer(t, pairs, 300)
	c := Config{Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32}
	opts := RunOptions{Name: "pm", Objective: Ranked, Batch: 8, LR: 1e-3, Passes: 2, Window: 64,
		EvalPairs: 4, EvalEvery: 5, CheckpointEvery: 7, Seed: 3}
	ctx := context.Background()

	run := func(store *MemoryStore, src Source) (*Trainer, error) {
		tr, err := Start(ctx, opts, src, store, nil, c, tok)
		if err != nil {
			return nil, err
		}
		if err := tr.LoadEvalSet(ctx); err != nil {
			return nil, err
		}
		return tr, tr.Train(ctx)
	}
	whole := &MemoryStore{}
	ref, err := run(whole, &SliceSource{Pairs: pairs})
	if err != nil {
		t.Fatal(err)
	}
	if st := ref.State(); !st.Finished || st.Step != 2*(360/64*8+360%64/8) {
		t.Fatalf("uninterrupted run: %+v", st)
	}

	// Killed three times at different points, each time restarted on the same store.
	store := &MemoryStore{}
	for _, after := range []int{150, 200, 100} {
		if _, err := run(store, &failingSource{Source: &SliceSource{Pairs: pairs}, after: after}); !errors.Is(err, errKilled) {
			t.Fatalf("run killed after %d pairs ended with %v", after, err)
		}
	}
	resumed, err := run(store, &SliceSource{Pairs: pairs})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.State().Step != ref.State().Step || resumed.State().Pairs != ref.State().Pairs {
		t.Fatalf("resumed run state %+v, uninterrupted %+v", resumed.State(), ref.State())
	}
	for i, p := range ref.Model().Params.List {
		if !slices.Equal(p.Data, resumed.Model().Params.List[i].Data) {
			t.Fatalf("%s differs between the resumed and the uninterrupted run", p.Name)
		}
	}
	// A finished run started again does nothing more.
	again, err := run(store, &SliceSource{Pairs: pairs})
	if err != nil || again.State().Step != ref.State().Step {
		t.Fatalf("rerun of a finished run: %v, state %+v", err, again.State())
	}
}

func TestNonFiniteLossStopsAndKeepsLastCheckpoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pairs := splitPairs(plantedPairs(rng, 200))
	tok := trainTokenizer(t, pairs, 300)
	c := Config{Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32}
	opts := RunOptions{Name: "pm", Objective: Ranked, Batch: 8, LR: 1e-3, CheckpointEvery: 2, Window: 16, Seed: 1}
	ctx := context.Background()
	store := &MemoryStore{}
	tr, err := Start(ctx, opts, &SliceSource{Pairs: pairs}, store, nil, c, tok)
	if err != nil {
		t.Fatal(err)
	}
	// Poison a weight after the first checkpoint: the next loss is NaN.
	poison := &poisonSource{SliceSource: SliceSource{Pairs: pairs}, at: 60, model: tr.Model()}
	tr.Source = poison
	err = tr.Train(ctx)
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("train ended with %v, want ErrNonFinite", err)
	}
	st, err := store.LastState("pm")
	if err != nil || st.Step == 0 || st.Finished {
		t.Fatalf("last checkpoint state %+v (%v): want an unfinished checkpoint before the NaN", st, err)
	}
	last, _ := store.Last(ctx, "pm")
	for _, p := range last.Model.Params.List {
		for _, v := range p.Data {
			if v != v {
				t.Fatalf("the kept checkpoint has NaN in %s", p.Name)
			}
		}
	}
}

type poisonSource struct {
	SliceSource
	at    int
	model *Model
}

func (p *poisonSource) Each(ctx context.Context, from Position, fn func(schemas.Pair, Position) error) error {
	n := 0
	return p.SliceSource.Each(ctx, from, func(pr schemas.Pair, next Position) error {
		if n++; n == p.at {
			p.model.Params.Get("reward.w").Data[0] = float32(math.NaN())
		}
		return fn(pr, next)
	})
}
