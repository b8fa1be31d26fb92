package replay

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/internal/sink"
	"github.com/prefstream/prefstream/schemas"
)

func testBus(t *testing.T) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Connect(ctx, bus.Config{DataDir: t.TempDir(), Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// received decodes every batch stored on subject in stream, checking the schema and row headers.
func received[T any](t *testing.T, b *bus.Bus, stream, subject string, codec *schemas.Codec[T]) (rows []T, batches int) {
	t.Helper()
	ctx := testContext(t)
	s, err := b.JS.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	n := info.State.Subjects[subject]
	if n == 0 {
		return nil, 0
	}
	cons, err := b.JS.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < n; i++ {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Headers().Get(schemas.HeaderSchema); got != codec.Version {
			t.Fatalf("batch %d: schema header %q, want %q", i, got, codec.Version)
		}
		before := len(rows)
		if rows, err = codec.DecodeAppend(rows, msg.Data()); err != nil {
			t.Fatal(err)
		}
		if got := msg.Headers().Get(schemas.HeaderRows); got != fmt.Sprint(len(rows)-before) {
			t.Fatalf("batch %d: rows header %q for %d rows", i, got, len(rows)-before)
		}
		if got := msg.Headers().Get(schemas.HeaderBatch); got != fmt.Sprint(i) {
			t.Fatalf("batch %d: batch header %q", i, got)
		}
	}
	return rows, int(n)
}

// commitParts writes messages (one slice of rows per stream sequence) to ROOT/dataset/partition,
// committing a part after the messages whose index is in cuts.
func commitParts[T any](t *testing.T, root, dataset, partition string, seqs []uint64, msgs [][]T, cuts ...int) {
	t.Helper()
	w, err := lake.OpenWriter[T](root, dataset, partition, lake.Options{RowGroupRows: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i, rows := range msgs {
		if err := w.Append(rows, seqs[i]); err != nil {
			t.Fatal(err)
		}
		if i == len(msgs)-1 || inCuts(i, cuts) {
			if _, err := w.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func inCuts(i int, cuts []int) bool {
	for _, c := range cuts {
		if c == i {
			return true
		}
	}
	return false
}

func pairsOf(source string, seq uint64, n int) []schemas.Pair {
	out := make([]schemas.Pair, n)
	for i := range out {
		thread := fmt.Sprintf("t%d", seq)
		out[i] = schemas.Pair{PairID: fmt.Sprintf("%s/%d/%d", source, seq, i), Source: source, Dump: "d", ThreadID: thread,
			ChosenID: "c", RejectedID: fmt.Sprint(i), Prompt: "Question " + thread, Chosen: "good", Rejected: fmt.Sprint("bad ", i),
			ChosenScore: 2, RejectedScore: float64(i), Margin: 2 - float64(i), Split: schemas.SplitOf(source, "d", thread), Recipe: "askell/v1", Basis: "votes"}
	}
	return out
}

// pairsLake writes a lake whose two partitions hold messages 1..12 of one stream, partition a
// the odd ones in three parts, partition b the even ones in two, and returns the rows in stream
// order (part by part; their sequences do not interleave).
func pairsLake(t *testing.T) (root string, want []schemas.Pair) {
	t.Helper()
	root = t.TempDir()
	bySeq := map[uint64][]schemas.Pair{}
	var aSeqs, bSeqs []uint64
	var aMsgs, bMsgs [][]schemas.Pair
	for seq := uint64(1); seq <= 12; seq++ {
		source := "b"
		if seq <= 4 || (seq >= 9 && seq <= 10) {
			source = "a"
		}
		rows := pairsOf(source, seq, 1+int(seq%5)*300) // up to 1200 rows: batches split
		bySeq[seq] = rows
		if source == "a" {
			aSeqs, aMsgs = append(aSeqs, seq), append(aMsgs, rows)
		} else {
			bSeqs, bMsgs = append(bSeqs, seq), append(bMsgs, rows)
		}
	}
	// a: [1 2] [3 4] [9 10]; b: [5 6 7 8] [11 12]
	commitParts(t, root, "pairs", "source=a", aSeqs, aMsgs, 1, 3)
	commitParts(t, root, "pairs", "source=b", bSeqs, bMsgs, 3)
	for seq := uint64(1); seq <= 12; seq++ {
		want = append(want, bySeq[seq]...)
	}
	return root, want
}

func TestReplayPairsInStreamOrderTwice(t *testing.T) {
	root, want := pairsLake(t)
	b := testBus(t)
	ctx := testContext(t)
	var progress []int64
	o := Options{Dir: filepath.Join(root, "pairs"), Subject: "pairs.replayed", Progress: func(rows, total int64) {
		if total != int64(len(want)) {
			t.Errorf("progress total %d, want %d", total, len(want))
		}
		progress = append(progress, rows)
	}}
	res, err := Replay(ctx, b, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dataset != "pairs" || res.Stream != bus.StreamPairs || res.Schema != schemas.PairSchema || res.Parts != 5 || res.Overlapping != 0 ||
		res.Rows != int64(len(want)) || res.Duplicates != 0 || res.Batches < 8 {
		t.Fatalf("result %+v, want %d rows from 5 parts", res, len(want))
	}
	got, batches := received(t, b, bus.StreamPairs, "pairs.replayed", schemas.PairCodec)
	if int64(batches) != res.Batches || !reflect.DeepEqual(got, want) {
		t.Fatalf("received %d rows in %d batches, want the %d rows in stream order", len(got), batches, len(want))
	}
	if len(progress) != batches || progress[len(progress)-1] != int64(len(want)) {
		t.Fatalf("progress %v", progress)
	}

	// Twice: the server drops every batch as a duplicate.
	o.Progress = nil
	again, err := Replay(ctx, b, o)
	if err != nil || again.Batches != 0 || again.Duplicates != res.Batches || again.Rows != res.Rows {
		t.Fatalf("second replay: %v %+v", err, again)
	}
	if got, n := received(t, b, bus.StreamPairs, "pairs.replayed", schemas.PairCodec); n != batches || len(got) != len(want) {
		t.Fatalf("after the second replay the subject holds %d rows in %d batches", len(got), n)
	}
	// Another subject of the stream is another copy.
	if res, err := Replay(ctx, b, Options{Dir: o.Dir, Subject: "pairs.copy"}); err != nil || res.Duplicates != 0 || res.Batches != int64(batches) {
		t.Fatalf("replay to another subject: %v %+v", err, res)
	}

	// One partition, limited: its first rows.
	res, err = Replay(ctx, b, Options{Dir: filepath.Join(root, "pairs", "source=b"), Subject: "pairs.limited", Limit: 1500, BatchRows: 400})
	if err != nil || res.Rows != 1500 || res.Batches != 4 {
		t.Fatalf("limited replay: %v %+v", err, res)
	}
	got, _ = received(t, b, bus.StreamPairs, "pairs.limited", schemas.PairCodec)
	var wantB []schemas.Pair
	for _, p := range want {
		if p.Source == "b" {
			wantB = append(wantB, p)
		}
	}
	if !reflect.DeepEqual(got, wantB[:1500]) {
		t.Fatalf("limited replay: %d rows, not the first 1500 of partition b", len(got))
	}
}

func TestReplayOverlappingPartsAndRate(t *testing.T) {
	root := t.TempDir()
	// a: [1 4] b: [2 3]: b's part interleaves with a's.
	commitParts(t, root, "pairs", "source=a", []uint64{1, 4}, [][]schemas.Pair{pairsOf("a", 1, 10), pairsOf("a", 4, 10)})
	commitParts(t, root, "pairs", "source=b", []uint64{2, 3}, [][]schemas.Pair{pairsOf("b", 2, 10), pairsOf("b", 3, 10)})
	b := testBus(t)
	start := time.Now()
	res, err := Replay(testContext(t), b, Options{Dir: filepath.Join(root, "pairs"), Subject: "pairs.slow", Rate: 50})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	// 40 rows at 50 rows/s in batches of at most 12 rows (a quarter second's worth) that do not
	// span parts, 12+8 per part: the last batch leaves after 32/50 s.
	if res.Overlapping != 1 || res.Rows != 40 || res.Batches != 4 || elapsed < 600*time.Millisecond || elapsed > 5*time.Second {
		t.Fatalf("result %+v in %v", res, elapsed)
	}
	got, _ := received(t, b, bus.StreamPairs, "pairs.slow", schemas.PairCodec)
	want := append(append(pairsOf("a", 1, 10), pairsOf("a", 4, 10)...), append(pairsOf("b", 2, 10), pairsOf("b", 3, 10)...)...)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("overlapping parts: each part whole, in the order of its first sequence")
	}
}

func trajectoryOf(seq int64) schemas.Trajectory {
	t := schemas.Trajectory{Run: "run1", Worker: "w", Seq: seq, PolicyVersion: 2, PM: "pm@1", Reference: "sft@1", Tokenizer: "tok",
		PromptID: "p", Prompt: "Why?", Response: fmt.Sprint("Because ", seq), PromptTokens: []int32{1, 2},
		ResponseTokens: []int32{3, int32(seq)}, BehaviourLogProbs: []float32{-1, -0.5}, ReferenceLogProbs: []float32{-2, float32(-math.Pi)},
		Reward: float64(seq) / 10, Temperature: 1, TopP: 1, Seed: 9, CreatedUnix: 1_800_000_000}
	if seq%3 == 0 {
		t.PromptTokens = nil
	}
	t.TrajectoryID = schemas.TrajectoryID(t.Run, t.Worker, t.PromptID, t.Seq)
	return t
}

// TestReplayOtherDatasets: trajectories, rankings and prompts round-trip through Parquet and
// replay into their streams, recognised by their columns whatever the folder is called.
func TestReplayOtherDatasets(t *testing.T) {
	root := t.TempDir()
	var trajs []schemas.Trajectory
	for i := int64(0); i < 7; i++ {
		trajs = append(trajs, trajectoryOf(i))
	}
	commitParts(t, root, "trajectories", "run=run1", []uint64{5, 9}, [][]schemas.Trajectory{trajs[:4], trajs[4:]})
	rankings := []schemas.Ranking{{RankingID: "r", Source: "s", Prompt: "p", Responses: []string{"a", "b"}, Order: []int32{1, 0}, Scores: []float64{0, 1}, Split: "train"}}
	commitParts(t, root, "renamed", "x=1", []uint64{3}, [][]schemas.Ranking{rankings})
	prompts := []schemas.Prompt{{PromptID: "1", Text: "Why?", Source: "f"}, {PromptID: "2", Text: "How?", Source: "f"}}
	commitParts(t, root, "prompts", "source=f", []uint64{1}, [][]schemas.Prompt{prompts})

	b := testBus(t)
	ctx := testContext(t)
	for _, tt := range []struct {
		dir, subject, dataset string
		check                 func()
	}{
		{"trajectories", "trajectories.again", "trajectories", func() {
			if got, _ := received(t, b, bus.StreamTrajectories, "trajectories.again", schemas.TrajectoryCodec); !reflect.DeepEqual(got, trajs) {
				t.Fatalf("trajectories:\n got %+v\nwant %+v", got, trajs)
			}
		}},
		{"renamed", "rankings.again", "rankings", func() {
			if got, _ := received(t, b, bus.StreamRankings, "rankings.again", schemas.RankingCodec); !reflect.DeepEqual(got, rankings) {
				t.Fatalf("rankings: %+v", got)
			}
		}},
		{"prompts/source=f", "prompts.again", "prompts", func() {
			if got, _ := received(t, b, bus.StreamPrompts, "prompts.again", schemas.PromptCodec); !reflect.DeepEqual(got, prompts) {
				t.Fatalf("prompts: %+v", got)
			}
		}},
	} {
		res, err := Replay(ctx, b, Options{Dir: filepath.Join(root, tt.dir), Subject: tt.subject})
		if err != nil || res.Dataset != tt.dataset {
			t.Fatalf("%s: %v %+v", tt.dir, err, res)
		}
		tt.check()
	}
}

func TestReplayErrors(t *testing.T) {
	root, _ := pairsLake(t)
	commitParts(t, root, "rankings", "source=r", []uint64{1}, [][]schemas.Ranking{{{RankingID: "r", Responses: []string{"a", "b"}, Order: []int32{0, 1}}}})
	documents := t.TempDir()
	commitParts(t, documents, "documents", "source=d", []uint64{1}, [][]schemas.Document{{{ID: "1", Text: "x"}}})
	file := filepath.Join(root, "note.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	empty := t.TempDir()
	b := testBus(t)
	ctx := testContext(t)
	pairs := filepath.Join(root, "pairs")
	for _, tt := range []struct {
		name string
		o    Options
		want string
	}{
		{"missing folder", Options{Dir: filepath.Join(root, "nope"), Subject: "pairs.x"}, "replay: lake folder: stat " + filepath.Join(root, "nope")},
		{"a file", Options{Dir: file, Subject: "pairs.x"}, "is not a folder"},
		{"no parts", Options{Dir: empty, Subject: "pairs.x"}, "no committed Parquet parts under " + empty},
		{"unknown dataset", Options{Dir: filepath.Join(documents, "documents"), Subject: "pairs.x"}, "unknown dataset: its columns [accepted_id author"},
		{"two datasets", Options{Dir: root, Subject: "pairs.x"}, "replay one dataset folder at a time"},
		{"no subject", Options{Dir: pairs}, "no subject"},
		{"wildcard", Options{Dir: pairs, Subject: "pairs.*"}, `bad subject "pairs.*"`},
		{"empty token", Options{Dir: pairs, Subject: "pairs..x"}, `bad subject "pairs..x"`},
		{"outside every stream", Options{Dir: pairs, Subject: "nowhere.x"}, `subject "nowhere.x" is outside every stream (streams: DLQ dlq.>, JOBS jobs.>, PAIRS pairs.>`},
		{"another dataset's stream", Options{Dir: pairs, Subject: "rankings.x"}, "subject rankings.x is in stream RANKINGS, which holds rankings, not pairs: use one such as pairs.replayed"},
		{"raw documents", Options{Dir: pairs, Subject: "raw.x.y.0"}, "in stream RAW, which holds documents, not pairs"},
		{"negative rate", Options{Dir: pairs, Subject: "pairs.x", Rate: -1}, "rate -1"},
		{"negative limit", Options{Dir: pairs, Subject: "pairs.x", Limit: -1}, "limit -1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Replay(ctx, b, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Replay: %v, want %q", err, tt.want)
			}
		})
	}
	if rows, _ := received(t, b, bus.StreamPairs, "pairs.x", schemas.PairCodec); len(rows) != 0 {
		t.Fatalf("a failed replay published %d rows", len(rows))
	}
}

// TestReplayLakeOfTheSink replays a lake the real sink wrote from PAIRS: every pair comes back.
func TestReplayLakeOfTheSink(t *testing.T) {
	b := testBus(t)
	ctx := testContext(t)
	lakeDir := t.TempDir()
	var want []schemas.Pair
	pub := bus.NewPublisher(b.JS, 8)
	for seq := uint64(1); seq <= 6; seq++ {
		rows := pairsOf("s", seq, 50*int(seq))
		want = append(want, rows...)
		data, err := schemas.PairCodec.Encode(rows)
		if err != nil {
			t.Fatal(err)
		}
		h := nats.Header{}
		h.Set(schemas.HeaderSchema, schemas.PairSchema)
		if err := pub.Publish(ctx, bus.PairSubject("s"), fmt.Sprint("m", seq), data, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sink.RunPairs(sctx, b, sink.Options{Lake: lakeDir, CommitMessages: 2}) }()
	partition := filepath.Join(lakeDir, "pairs", "source=s")
	for deadline := time.Now().Add(time.Minute); ; {
		entries, _ := lake.ReadManifest(partition)
		n := int64(0)
		for _, e := range entries {
			n += e.Rows
		}
		if n == int64(len(want)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sink committed %d of %d rows", n, len(want))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "context canceled") {
		t.Fatal(err)
	}
	res, err := Replay(ctx, b, Options{Dir: partition, Subject: "pairs.back"})
	if err != nil || res.Rows != int64(len(want)) || res.Parts < 2 {
		t.Fatalf("replay: %v %+v", err, res)
	}
	if got, _ := received(t, b, bus.StreamPairs, "pairs.back", schemas.PairCodec); !reflect.DeepEqual(got, want) {
		t.Fatalf("replayed %d rows, want the %d the sink wrote, in order", len(got), len(want))
	}
}
