package sink

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

// The sink decodes each message into an arena it reuses for the next one, which is right only
// if the lake writer copies every value it is given. Each case decodes its batches into one
// arena, appends them, scribbles over the arena, and checks the lake against the rows encoded.
func TestLakeKeepsNothingOfTheArena(t *testing.T) {
	t.Run("pairs", func(t *testing.T) {
		checkThroughArena(t, schemas.PairCodec, batchesOf(6, 25, func(b, i int) schemas.Pair {
			id := fmt.Sprintf("%d-%d", b, i)
			return schemas.Pair{PairID: id, Source: "stackexchange", Dump: "ai", ThreadID: fmt.Sprint(i / 5),
				ChosenID: id + "c", RejectedID: id + "r", Prompt: fmt.Sprintf("prompt %d", i/5), Chosen: "chosen " + id,
				Rejected: fmt.Sprintf("rejected %d", i%3), ChosenScore: 2, Margin: 2, Split: schemas.SplitTrain,
				Recipe: "askell/v1", Basis: "votes"}
		}))
	})
	t.Run("rankings", func(t *testing.T) {
		checkThroughArena(t, schemas.RankingCodec, batchesOf(4, 10, func(b, i int) schemas.Ranking {
			return schemas.Ranking{RankingID: fmt.Sprintf("%d-%d", b, i), Source: "test", Prompt: fmt.Sprint("p", i),
				Responses: []string{fmt.Sprint("a", i), "b", fmt.Sprint("c", b)}, Order: []int32{2, 0, 1}, Scores: []float64{1, 0, 2},
				Annotator: "x", Split: schemas.SplitTest, SourceFile: "r.jsonl", Offset: int64(i)}
		}))
	})
	t.Run("trajectories", func(t *testing.T) {
		checkThroughArena(t, schemas.TrajectoryCodec, batchesOf(4, 10, func(b, i int) schemas.Trajectory {
			return schemas.Trajectory{TrajectoryID: fmt.Sprintf("%d-%d", b, i), Run: "r", Worker: "w", Seq: int64(i),
				PM: "pm", Reference: "ref", Tokenizer: "tok", PromptID: fmt.Sprint(i), Prompt: fmt.Sprint("prompt ", i%4),
				Response: fmt.Sprint("response ", b, i), PromptTokens: []int32{1, 2, int32(i)}, ResponseTokens: []int32{int32(b), 4},
				BehaviourLogProbs: []float32{-0.5, float32(-i)}, ReferenceLogProbs: []float32{-0.25, -1}, Reward: 0.5}
		}))
	})
}

// batchesOf is n batches of rows rows, row i of batch b made by row(b, i).
func batchesOf[T any](n, rows int, row func(b, i int) T) [][]T {
	batches := make([][]T, n)
	for b := range batches {
		for i := range rows {
			batches[b] = append(batches[b], row(b, i))
		}
	}
	return batches
}

func checkThroughArena[T any](t *testing.T, codec *schemas.Codec[T], batches [][]T) {
	t.Helper()
	root := t.TempDir()
	w, err := lake.OpenWriter[T](root, "ds", "source=test", lake.Options{RowGroupRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var arena schemas.Arena
	var want []T
	for i, rows := range batches {
		data, err := codec.Encode(rows)
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := codec.DecodeIn(&arena, nil, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Append(decoded, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
		want = append(want, rows...)
		arena.Reset()
		for range 16 {
			b := arena.Allocate(1 << 20)
			for j := range b {
				b[j] = 'X'
			}
		}
		arena.Reset()
		if i%2 == 1 {
			if _, err := w.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	var got []T
	if err := lake.Scan(root, func(_ string, rows []T) error {
		got = append(got, rows...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the lake differs from the rows encoded: %d rows, want %d", len(got), len(want))
	}
}

// TestFreeTextColumnsExist: a free-text path that names no column would silently keep its
// statistics.
func TestFreeTextColumnsExist(t *testing.T) {
	check := func(name string, schema *parquet.Schema, paths []string) {
		for _, p := range paths {
			if _, ok := schema.Lookup(strings.Split(p, ".")...); !ok {
				t.Errorf("%s: no column %s in %s", name, p, schema)
			}
		}
	}
	check("pairs", parquet.SchemaOf(schemas.Pair{}), schemas.PairFreeText)
	check("rankings", parquet.SchemaOf(schemas.Ranking{}), schemas.RankingFreeText)
	check("trajectories", parquet.SchemaOf(schemas.Trajectory{}), schemas.TrajectoryFreeText)
}
