package rankings

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/synth"
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

// streamRankings reads every ranking stored on subjects matching filter.
func streamRankings(t *testing.T, b *bus.Bus, filter string) (rows []schemas.Ranking, msgs int) {
	t.Helper()
	ctx := testContext(t)
	s, err := b.JS.Stream(ctx, bus.StreamRankings)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, c := range info.State.Subjects {
		n += c
	}
	if n == 0 {
		return nil, 0
	}
	cons, err := b.JS.OrderedConsumer(ctx, bus.StreamRankings, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < n; i++ {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Headers().Get(schemas.HeaderSchema); got != schemas.RankingSchema {
			t.Fatalf("batch schema header %q", got)
		}
		rows, err = schemas.RankingCodec.DecodeAppend(rows, msg.Data())
		if err != nil {
			t.Fatal(err)
		}
	}
	return rows, int(n)
}

type deadLetter struct {
	reason, origin string
	doc            schemas.Document
}

// deadLetters reads the dead letters of the rankings ingest.
func deadLetters(t *testing.T, b *bus.Bus) []deadLetter {
	t.Helper()
	ctx := testContext(t)
	subject := bus.DeadLetterSubject("ingest", DeadLetterSource)
	s, err := b.JS.Stream(ctx, bus.StreamDeadLetters)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	n := info.State.Subjects[subject]
	if n == 0 {
		return nil
	}
	cons, err := b.JS.OrderedConsumer(ctx, bus.StreamDeadLetters, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	var out []deadLetter
	for i := uint64(0); i < n; i++ {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		docs, err := schemas.DocumentCodec.Decode(msg.Data())
		if err != nil || len(docs) != 1 {
			t.Fatalf("dead letter body: %v (%d documents)", err, len(docs))
		}
		out = append(out, deadLetter{reason: msg.Headers().Get(schemas.HeaderReason), origin: msg.Headers().Get(schemas.HeaderOrigin), doc: docs[0]})
	}
	return out
}

// badLine is an invalid input line and the reason it must be dead-lettered with.
type badLine struct{ line, reason string }

var badJSONL = []badLine{
	{`{"prompt":"p","responses":["a","b","c"],"ranking":[0,0,1]}`, "response 0 appears twice in the order"},
	{`{"prompt":"p","responses":["a","b","c"],"ranking":[2,0]}`, "response 1 is missing from the order"},
	{`{"prompt":"p","responses":["a","b","c"],"ranking":[0,1,3]}`, "order[2] = 3 is out of range [0,3)"},
	{`{"prompt":"p","responses":["a"],"ranking":[0]}`, "at least 2 responses, has 1"},
	{`{"prompt":"p","responses":["a","b"],"ranking":[0,1]`, "bad JSON"},
	{`{"prompt":"p","responses":["a",""],"ranking":[0,1]}`, "response 1 is empty"},
}

// withBadLines writes the generated good lines with the bad ones spread among them, plus blank
// lines, and returns the good lines' count and each bad line's 1-based line number.
func withBadLines(t *testing.T, path string, good []byte, bad []badLine) (int, []int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(good), "\n"), "\n")
	var out []string
	var at []int
	step := max(len(lines)/(len(bad)+1), 1)
	next := 0
	for i, l := range lines {
		if i > 0 && i%step == 0 && next < len(bad) {
			out = append(out, bad[next].line)
			at = append(at, len(out))
			next++
		}
		out = append(out, l)
		if i == 3 {
			out = append(out, "", "   ") // blank lines are skipped
		}
	}
	for ; next < len(bad); next++ {
		out = append(out, bad[next].line)
		at = append(at, len(out))
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return len(lines), at
}

func generate(t *testing.T, o synth.RankingsOptions) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gen.jsonl")
	if _, err := synth.Rankings(path, o); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestIngestGoodAndBadLinesThenRerun(t *testing.T) {
	b := testBus(t)
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "human.jsonl")
	good, badAt := withBadLines(t, path, generate(t, synth.RankingsOptions{N: 60, Seed: 4}), badJSONL)
	o := Options{Format: FormatJSONL, CheckpointBytes: 8 << 10}

	results, err := Ingest(ctx, b, []string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	c := results[0].Counts
	if results[0].Source != "human" || results[0].Subject != "rankings.human" || results[0].Skipped {
		t.Fatalf("result %+v", results[0])
	}
	if c.Rankings != int64(good) || c.Pairs != int64(6*good) || c.DeadLetters != int64(len(badJSONL)) || c.Lines != int64(good+len(badJSONL)) || c.Duplicates != 0 {
		t.Fatalf("counts %+v, want %d rankings and %d dead letters", c, good, len(badJSONL))
	}
	rows, msgs := streamRankings(t, b, "rankings.>")
	if len(rows) != good || int64(msgs) != c.Batches || msgs < 2 {
		t.Fatalf("stream holds %d rankings in %d batches, want %d in %d (>= 2)", len(rows), msgs, good, c.Batches)
	}
	ids := map[string]bool{}
	for _, r := range rows {
		if err := r.Validate(); err != nil || ids[r.RankingID] || r.Source != "human" || r.SourceFile != "human.jsonl" || r.Split == "" || r.IngestedUnix == 0 {
			t.Fatalf("bad stored ranking (%v): %+v", err, r)
		}
		ids[r.RankingID] = true
	}
	dead := deadLetters(t, b)
	if len(dead) != len(badJSONL) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(badJSONL))
	}
	for i, d := range dead {
		want := fmt.Sprintf("%s:%d (line %d)", path, d.doc.Offset, badAt[i])
		if !strings.Contains(d.reason, badJSONL[i].reason) || d.origin != want || d.doc.Text != badJSONL[i].line {
			t.Fatalf("dead letter %d: reason %q origin %q text %q; want %q, %q, %q", i, d.reason, d.origin, d.doc.Text, badJSONL[i].reason, want, badJSONL[i].line)
		}
	}
	data, _ := os.ReadFile(path)
	if off := dead[0].doc.Offset; !bytes.HasPrefix(data[off:], []byte(badJSONL[0].line)) {
		t.Fatalf("dead letter offset %d does not point at its line", off)
	}

	// A rerun finds the file done and reads nothing.
	results, err = Ingest(ctx, b, []string{path}, o)
	if err != nil || !results[0].Skipped || results[0].Counts.Rankings != int64(good) {
		t.Fatalf("rerun: %v %+v", err, results)
	}
	// Without its checkpoint (lost, or a crash before the first one) the file is read again,
	// and the server drops every batch and dead letter as a duplicate.
	dropCheckpoints(t, b)
	results, err = Ingest(ctx, b, []string{path}, o)
	if err != nil || results[0].Skipped || results[0].Counts.Batches != 0 || results[0].Counts.Duplicates != int64(msgs) {
		t.Fatalf("rerun without a checkpoint: %v %+v", err, results)
	}
	if rows, again := streamRankings(t, b, "rankings.>"); again != msgs || len(rows) != good {
		t.Fatalf("after reruns the stream holds %d rankings in %d batches, want %d in %d", len(rows), again, good, msgs)
	}
	if n := len(deadLetters(t, b)); n != len(badJSONL) {
		t.Fatalf("after reruns %d dead letters, want %d", n, len(badJSONL))
	}
	// Another source is another subject: the same file is ingested into it.
	o.Source = "copy"
	if results, err = Ingest(ctx, b, []string{path}, o); err != nil || results[0].Counts.Rankings != int64(good) {
		t.Fatalf("ingest as another source: %v %+v", err, results)
	}
	if rows, _ := streamRankings(t, b, "rankings.copy"); len(rows) != good {
		t.Fatalf("rankings.copy holds %d rankings, want %d", len(rows), good)
	}
}

func dropCheckpoints(t *testing.T, b *bus.Bus) {
	t.Helper()
	ctx := testContext(t)
	kv, err := b.JS.KeyValue(ctx, bus.BucketCheckpoints)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys.Keys() {
		if strings.HasPrefix(k, "rankings/") {
			if err := kv.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestIngestResumesAfterInterruption stops an ingest partway (its context ends after a few
// checkpoints) and runs it again: the stream ends up with every ranking exactly once.
func TestIngestResumesAfterInterruption(t *testing.T) {
	b := testBus(t)
	dir := t.TempDir()
	data := generate(t, synth.RankingsOptions{N: 1500, Seed: 9}) // over 2 MiB: progress is heard every MiB
	for _, name := range []string{"plain.jsonl", "gz.jsonl.gz", "zst.jsonl.zst"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, compress(t, name, data), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(testContext(t))
			o := Options{Format: FormatJSONL, CheckpointBytes: 64 << 10, Progress: func(read, _ int64) {
				if read > int64(len(data))/2 {
					cancel()
				}
			}}
			_, err := Ingest(ctx, b, []string{path}, o)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted ingest: %v", err)
			}
			source := SourceOf(path, FormatJSONL)
			if rows, _ := streamRankings(t, b, bus.RankingSubject(source)); len(rows) == 0 || len(rows) >= 1500 {
				t.Fatalf("the interrupted run stored %d of 1500 rankings", len(rows))
			}
			resumedAt := int64(-1)
			o.Progress = func(read, _ int64) {
				if resumedAt < 0 {
					resumedAt = read
				}
			}
			results, err := Ingest(testContext(t), b, []string{path}, o)
			if resumedAt < int64(len(data))/4 {
				t.Fatalf("the second run started reading at %d of %d bytes: it did not resume", resumedAt, len(data))
			}
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := streamRankings(t, b, bus.RankingSubject(source))
			ids := map[string]bool{}
			for _, r := range rows {
				ids[r.RankingID] = true
			}
			if len(rows) != 1500 || len(ids) != 1500 || results[0].Counts.Rankings != 1500 {
				t.Fatalf("after resuming: %d rankings stored (%d distinct), counted %d; want 1500", len(rows), len(ids), results[0].Counts.Rankings)
			}
		})
	}
}

func compress(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch filepath.Ext(name) {
	case ".gz":
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
	case ".zst":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(data)
		zw.Close()
	default:
		return data
	}
	return buf.Bytes()
}

func TestIngestHHRLHF(t *testing.T) {
	b := testBus(t)
	path := filepath.Join(t.TempDir(), "train.jsonl.gz")
	gen := generate(t, synth.RankingsOptions{N: 10, K: 3, Seed: 2, Format: synth.RankingsHH})
	q := "\n\nHuman: hi\n\nAssistant:"
	bad := []badLine{
		{string(hhJSON(t, q+" a\n\nHuman: more\n\nAssistant: x", q+" b\n\nHuman: more\n\nAssistant: x")), "diverge before the last assistant turn"},
		{string(hhJSON(t, q+" same", q+" same")), "identical"},
		{string(hhJSON(t, q, q+" b")), "the chosen reply is empty"},
		{`{"chosen": "x"}`, `want both "chosen" and "rejected"`},
	}
	var plain bytes.Buffer
	good, _ := withBadLines(t, path, gen, bad)
	raw, _ := os.ReadFile(path)
	plain.Write(raw)
	if err := os.WriteFile(path, compress(t, ".gz", plain.Bytes()), 0o644); err != nil {
		t.Fatal(err)
	}
	results, err := Ingest(testContext(t), b, []string{path}, Options{Format: FormatHH})
	if err != nil {
		t.Fatal(err)
	}
	c := results[0].Counts
	if results[0].Subject != "rankings.hh-rlhf" || c.Rankings != int64(good) || c.Pairs != int64(good) || c.DeadLetters != int64(len(bad)) {
		t.Fatalf("result %+v, want %d rankings and %d dead letters", results[0], good, len(bad))
	}
	rows, _ := streamRankings(t, b, "rankings.hh-rlhf")
	for _, r := range rows {
		if len(r.Responses) != 2 || !strings.HasPrefix(r.Prompt, "\n\nHuman: ") || !strings.HasSuffix(r.Prompt, "\n\nAssistant:") {
			t.Fatalf("stored %+v", r)
		}
	}
	for i, d := range deadLetters(t, b) {
		if !strings.Contains(d.reason, bad[i].reason) {
			t.Fatalf("dead letter %d: %q, want %q", i, d.reason, bad[i].reason)
		}
	}
}

func TestIngestUnreadableFiles(t *testing.T) {
	b := testBus(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	if err := os.WriteFile(good, []byte(`{"prompt":"p","responses":["a","b"],"ranking":[1,0]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "cut.jsonl.gz")
	full := compress(t, ".gz", generate(t, synth.RankingsOptions{N: 50, Seed: 1}))
	if err := os.WriteFile(truncated, full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.jsonl")
	results, err := Ingest(testContext(t), b, []string{missing, dir, truncated, good}, Options{Format: FormatJSONL})
	for _, want := range []string{missing, dir + " is a directory", truncated + ": read error at byte"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v does not name %q", err, want)
		}
	}
	if len(results) != 4 || results[3].Counts.Rankings != 1 {
		t.Fatalf("the good file after the bad ones: %+v", results)
	}
	if results[2].Counts.Rankings == 0 || results[2].Counts.Rankings >= 50 {
		t.Fatalf("the truncated file's readable lines: %+v", results[2].Counts)
	}
	if _, err := Ingest(testContext(t), b, []string{good}, Options{Format: "csv"}); err == nil {
		t.Fatal("an unknown format must fail")
	}
	if _, err := Ingest(testContext(t), b, []string{good}, Options{Format: FormatJSONL, Source: "a.b"}); err == nil {
		t.Fatal("a bad source must fail")
	}
}
