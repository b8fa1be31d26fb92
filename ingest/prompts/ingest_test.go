package prompts

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

	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
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

// messages reads every message stored in stream on subjects matching filter, in order.
func messages(t *testing.T, b *bus.Bus, stream, filter string) []jetstream.Msg {
	t.Helper()
	ctx := testContext(t)
	s, err := b.JS.Stream(ctx, stream)
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
		return nil
	}
	cons, err := b.JS.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for i := uint64(0); i < n; i++ {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msg)
	}
	return out
}

// streamPrompts decodes every prompt stored on subjects matching filter, checking batch headers.
func streamPrompts(t *testing.T, b *bus.Bus, filter string) (rows []schemas.Prompt, batches int) {
	t.Helper()
	msgs := messages(t, b, bus.StreamPrompts, filter)
	for _, msg := range msgs {
		if got := msg.Headers().Get(schemas.HeaderSchema); got != schemas.PromptSchema {
			t.Fatalf("batch schema header %q", got)
		}
		before := len(rows)
		var err error
		if rows, err = schemas.PromptCodec.DecodeAppend(rows, msg.Data()); err != nil {
			t.Fatal(err)
		}
		if got := msg.Headers().Get(schemas.HeaderRows); got != fmt.Sprint(len(rows)-before) {
			t.Fatalf("rows header %q for %d rows", got, len(rows)-before)
		}
	}
	return rows, len(msgs)
}

type deadLetter struct {
	reason, origin string
	doc            schemas.Document
}

func deadLetters(t *testing.T, b *bus.Bus) []deadLetter {
	t.Helper()
	var out []deadLetter
	for _, msg := range messages(t, b, bus.StreamDeadLetters, bus.DeadLetterSubject("ingest", DeadLetterSource)) {
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
	{`{"prompt":"unterminated"`, "bad JSON"},
	{`{"prompt":""}`, "empty prompt"},
	{`{"id":"x"}`, `no "prompt" or "text"`},
	{`{"prompt":42}`, `"prompt" is not a string`},
	{`{"prompt":"a","text":"b"}`, `"prompt" and "text" differ`},
	{`{"id":2.5,"prompt":"a"}`, `"id" "2.5" is neither a string nor an integer`},
	{`["a list"]`, "not a JSON object"},
}

// promptsFile writes n good JSONL prompts with the bad lines spread among them, plus blank lines,
// and returns the good prompts' texts and each bad line's 1-based line number.
func promptsFile(t *testing.T, path string, n int, bad []badLine) (good []string, badAt []int) {
	t.Helper()
	var out []string
	step := max(n/(len(bad)+1), 1)
	next := 0
	for i := 0; i < n; i++ {
		if i > 0 && i%step == 0 && next < len(bad) {
			out = append(out, bad[next].line)
			badAt = append(badAt, len(out))
			next++
		}
		text := fmt.Sprintf("Question %d: why does \"%s\" happen?", i, strings.Repeat("x", i%17))
		if i%5 == 0 {
			out = append(out, fmt.Sprintf(`{"id":"q%d","text":%q}`, i, text))
		} else {
			out = append(out, fmt.Sprintf(`{"prompt":%q,"lang":"en"}`, text))
		}
		good = append(good, text)
		if i == 3 {
			out = append(out, "", "   ") // blank lines are skipped
		}
	}
	for ; next < len(bad); next++ {
		out = append(out, bad[next].line)
		badAt = append(badAt, len(out))
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return good, badAt
}

func TestIngestGoodAndBadLinesThenRerun(t *testing.T) {
	b := testBus(t)
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "questions.jsonl")
	good, badAt := promptsFile(t, path, 2500, badJSONL)
	o := Options{CheckpointBytes: 16 << 10}

	results, err := Ingest(ctx, b, []string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	res, c := results[0], results[0].Counts
	if res.Source != "questions" || res.Subject != "prompts.questions" || res.Format != FormatJSONL || res.Skipped {
		t.Fatalf("result %+v", res)
	}
	if c.Prompts != int64(len(good)) || c.DeadLetters != int64(len(badJSONL)) || c.Lines != int64(len(good)+len(badJSONL)) || c.Duplicates != 0 {
		t.Fatalf("counts %+v, want %d prompts and %d dead letters", c, len(good), len(badJSONL))
	}
	rows, msgs := streamPrompts(t, b, "prompts.>")
	if len(rows) != len(good) || int64(msgs) != c.Batches || msgs < 3 {
		t.Fatalf("stream holds %d prompts in %d batches, want %d in %d (>= 3)", len(rows), msgs, len(good), c.Batches)
	}
	data, _ := os.ReadFile(path)
	test := 0
	for i, p := range rows {
		wantID := schemas.PromptID("questions", good[i])
		if i%5 == 0 {
			wantID = fmt.Sprintf("q%d", i)
		}
		if p.Text != good[i] || p.PromptID != wantID || p.Source != "questions" || p.SourceFile != "questions.jsonl" ||
			p.Split != schemas.SplitOfPrompt(p.PromptID) || p.IngestedUnix == 0 || p.Validate() != nil {
			t.Fatalf("prompt %d: %+v, want text %q, id %q", i, p, good[i], wantID)
		}
		if !bytes.HasPrefix(data[p.Offset:], []byte(`{"`)) {
			t.Fatalf("prompt %d: offset %d does not point at its line", i, p.Offset)
		}
		if p.Split == schemas.SplitTest {
			test++
		}
	}
	if test == 0 || test == len(rows) {
		t.Fatalf("%d of %d prompts in test", test, len(rows))
	}
	dead := deadLetters(t, b)
	if len(dead) != len(badJSONL) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(badJSONL))
	}
	for i, d := range dead {
		want := fmt.Sprintf("%s:%d (line %d)", path, d.doc.Offset, badAt[i])
		if !strings.Contains(d.reason, badJSONL[i].reason) || d.origin != want || d.doc.Text != badJSONL[i].line ||
			!bytes.HasPrefix(data[d.doc.Offset:], []byte(badJSONL[i].line)) || !strings.Contains(d.doc.Extra, fmt.Sprintf(`"line":%d`, badAt[i])) {
			t.Fatalf("dead letter %d: reason %q origin %q text %q extra %s; want %q, %q, %q", i, d.reason, d.origin, d.doc.Text, d.doc.Extra, badJSONL[i].reason, want, badJSONL[i].line)
		}
	}

	// A rerun finds the file done and reads nothing.
	results, err = Ingest(ctx, b, []string{path}, o)
	if err != nil || !results[0].Skipped || results[0].Counts.Prompts != int64(len(good)) {
		t.Fatalf("rerun: %v %+v", err, results)
	}
	// Without its checkpoint the file is read again, and the server drops every batch and dead
	// letter as a duplicate.
	dropCheckpoints(t, b)
	results, err = Ingest(ctx, b, []string{path}, o)
	if err != nil || results[0].Skipped || results[0].Counts.Batches != 0 || results[0].Counts.Duplicates != int64(msgs) {
		t.Fatalf("rerun without a checkpoint: %v %+v", err, results)
	}
	if rows, again := streamPrompts(t, b, "prompts.>"); again != msgs || len(rows) != len(good) {
		t.Fatalf("after reruns the stream holds %d prompts in %d batches, want %d in %d", len(rows), again, len(good), msgs)
	}
	if n := len(deadLetters(t, b)); n != len(badJSONL) {
		t.Fatalf("after reruns %d dead letters, want %d", n, len(badJSONL))
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
		if strings.HasPrefix(k, "prompts/") {
			if err := kv.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestIngestPlainLines: plain text, detected or forced, gzip-compressed, with a line that is not
// UTF-8; a JSONL file forced to be read as lines takes each line as a prompt.
func TestIngestPlainLines(t *testing.T) {
	b := testBus(t)
	dir := t.TempDir()
	text := "\ufeffWhy is the sky blue?\r\n\n  How do magnets work?  \ncaf\xe9 au lait\n\t\nWhat is 2+2?"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	path := filepath.Join(dir, "plain.txt.gz")
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	results, err := Ingest(testContext(t), b, []string{path}, Options{Source: "science"})
	if err != nil {
		t.Fatal(err)
	}
	if r := results[0]; r.Format != FormatLines || r.Subject != "prompts.science" || r.Counts.Prompts != 3 || r.Counts.DeadLetters != 1 || r.Counts.Lines != 4 {
		t.Fatalf("result %+v", r)
	}
	rows, _ := streamPrompts(t, b, "prompts.science")
	want := []string{"Why is the sky blue?", "How do magnets work?", "What is 2+2?"}
	offsets := []int64{0, 26, 66} // uncompressed, the byte order mark included
	for i, p := range rows {
		if p.Text != want[i] || p.Offset != offsets[i] || p.PromptID != schemas.PromptID("science", want[i]) {
			t.Fatalf("prompt %d: %+v, want %q at %d", i, p, want[i], offsets[i])
		}
	}
	dead := deadLetters(t, b)
	if len(dead) != 1 || dead[0].reason != "not valid UTF-8" || dead[0].origin != path+":51 (line 4)" || dead[0].doc.Text != "caf\uFFFD au lait" {
		t.Fatalf("dead letters %+v", dead)
	}

	jsonl := filepath.Join(dir, "j.jsonl")
	if err := os.WriteFile(jsonl, []byte(`{"prompt":"a"}`+"\n"+`{"prompt":"b"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	results, err = Ingest(testContext(t), b, []string{jsonl}, Options{Format: FormatLines})
	if err != nil || results[0].Counts.Prompts != 2 {
		t.Fatalf("forced lines: %v %+v", err, results)
	}
	if rows, _ := streamPrompts(t, b, "prompts.j"); len(rows) != 2 || rows[0].Text != `{"prompt":"a"}` {
		t.Fatalf("forced lines stored %+v", rows)
	}
}

// TestIngestResumesAfterInterruption stops an ingest partway (its context ends after a few
// checkpoints) and runs it again: the stream ends up with every prompt exactly once.
func TestIngestResumesAfterInterruption(t *testing.T) {
	b := testBus(t)
	path := filepath.Join(t.TempDir(), "big.txt")
	var buf bytes.Buffer
	const n = 30000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&buf, "Prompt number %d, padded to make the file pass two MiB: %s\n", i, strings.Repeat("p", 40))
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	size := int64(buf.Len())
	ctx, cancel := context.WithCancel(testContext(t))
	o := Options{CheckpointBytes: 64 << 10, Progress: func(read, _ int64) {
		if read > size/2 {
			cancel()
		}
	}}
	if _, err := Ingest(ctx, b, []string{path}, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted ingest: %v", err)
	}
	if rows, _ := streamPrompts(t, b, "prompts.big"); len(rows) == 0 || len(rows) >= n {
		t.Fatalf("the interrupted run stored %d of %d prompts", len(rows), n)
	}
	resumedAt := int64(-1)
	o.Progress = func(read, _ int64) {
		if resumedAt < 0 {
			resumedAt = read
		}
	}
	results, err := Ingest(testContext(t), b, []string{path}, o)
	if err != nil {
		t.Fatal(err)
	}
	if resumedAt < size/4 {
		t.Fatalf("the second run started reading at %d of %d bytes: it did not resume", resumedAt, size)
	}
	rows, _ := streamPrompts(t, b, "prompts.big")
	ids := map[string]bool{}
	for i, p := range rows {
		if want := fmt.Sprintf("Prompt number %d,", i); !strings.HasPrefix(p.Text, want) {
			t.Fatalf("prompt %d is %q: out of order", i, p.Text)
		}
		ids[p.PromptID] = true
	}
	if len(rows) != n || len(ids) != n || results[0].Counts.Prompts != n {
		t.Fatalf("after resuming: %d prompts stored (%d distinct), counted %d; want %d", len(rows), len(ids), results[0].Counts.Prompts, n)
	}
}

func TestIngestUnreadableFiles(t *testing.T) {
	b := testBus(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	if err := os.WriteFile(good, []byte("a prompt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(zw, "prompt %d %s\n", i, strings.Repeat("z", i%50))
	}
	zw.Close()
	truncated := filepath.Join(dir, "cut.txt.gz")
	if err := os.WriteFile(truncated, gz.Bytes()[:gz.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.txt")
	results, err := Ingest(testContext(t), b, []string{missing, dir, truncated, good}, Options{})
	for _, want := range []string{"prompts: open " + missing, "prompts: " + dir + " is a directory", "prompts: " + truncated + ": read error at byte"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v does not say %q", err, want)
		}
	}
	if len(results) != 4 || results[3].Counts.Prompts != 1 {
		t.Fatalf("the good file after the bad ones: %+v", results)
	}
	if c := results[2].Counts; c.Prompts == 0 || c.Prompts >= 5000 {
		t.Fatalf("the truncated file's readable lines: %+v", c)
	}
	if _, err := Ingest(testContext(t), b, []string{good}, Options{Format: "csv"}); err == nil {
		t.Fatal("an unknown format must fail")
	}
	if _, err := Ingest(testContext(t), b, []string{good}, Options{Source: "a.b"}); err == nil {
		t.Fatal("a bad source must fail")
	}
}
