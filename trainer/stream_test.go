package trainer

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

// A run reading the PAIRS stream, killed and restarted, ends with exactly the weights of an
// uninterrupted run: it resumes at the same stream position (message sequence and row).
func TestKilledStreamRunResumesAtTheSamePosition(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := bus.Connect(ctx, bus.Config{DataDir: t.TempDir(), Name: "stream-resume-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rng := rand.New(rand.NewPCG(41, 42))
	pairs := splitPairs(plantedPairs(rng, 300))
	// Messages of uneven sizes, so that windows end inside messages.
	for lo, i := 0, 0; lo < len(pairs); i++ {
		hi := min(lo+17+i%5*7, len(pairs))
		data, err := schemas.PairCodec.Encode(pairs[lo:hi])
		if err != nil {
			t.Fatal(err)
		}
		msg := &natsMsg{subject: bus.PairSubject("test"), data: data}
		if _, err := b.JS.PublishMsg(ctx, msg.build()); err != nil {
			t.Fatal(err)
		}
		lo = hi
	}
	tok := trainTokenizer(t, pairs, 300)
	c := Config{Context: 16, DModel: 16, Layers: 1, Heads: 2, DFF: 32}
	opts := RunOptions{Name: "pm", Objective: Ranked, Batch: 8, LR: 1e-3, Passes: 2, Window: 40,
		EvalPairs: 4, CheckpointEvery: 5, Seed: 3}
	src := &StreamSource{JS: b.JS, Stream: bus.StreamPairs, Subject: "pairs.test"}
	run := func(store *MemoryStore, s Source) (*Trainer, error) {
		tr, err := Start(ctx, opts, s, store, nil, c, tok)
		if err != nil {
			return nil, err
		}
		if err := tr.LoadEvalSet(ctx); err != nil {
			return nil, err
		}
		return tr, tr.Train(ctx)
	}
	ref, err := run(&MemoryStore{}, src)
	if err != nil {
		t.Fatal(err)
	}
	store := &MemoryStore{}
	for _, after := range []int{90, 130, 70} {
		if _, err := run(store, &failingSource{Source: src, after: after}); !errors.Is(err, errKilled) {
			t.Fatalf("run killed after %d pairs ended with %v", after, err)
		}
	}
	resumed, err := run(store, src)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.State().Step != ref.State().Step || resumed.State().Step == 0 {
		t.Fatalf("resumed run at step %d, uninterrupted %d", resumed.State().Step, ref.State().Step)
	}
	for i, p := range ref.Model().Params.List {
		if !slices.Equal(p.Data, resumed.Model().Params.List[i].Data) {
			t.Fatalf("%s differs between the resumed and the uninterrupted run", p.Name)
		}
	}
}
