package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

// rankingsCLI runs the command line in this process with ctx and returns what it printed.
func rankingsCLI(ctx context.Context, args ...string) (string, error) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--log-level", "error", "--memory-limit", "0"}, args...))
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := rankingsCLI(testContext(t), args...)
	if err != nil {
		t.Fatalf("prefstream %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// streamCount is the number of messages stored on subjects matching filter.
func streamCount(t *testing.T, dataDir, stream, filter string) uint64 {
	t.Helper()
	ctx := testContext(t)
	b, err := bus.Connect(ctx, bus.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
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
	return n
}

// TestRankingsCommandsEndToEnd generates rankings, adds bad lines, ingests them twice through the
// CLI on an embedded JetStream, sinks them to the lake and shows them with lake cat.
func TestRankingsCommandsEndToEnd(t *testing.T) {
	work := t.TempDir()
	data, lakeDir := filepath.Join(work, "data"), filepath.Join(work, "lake")
	file := filepath.Join(work, "dumps", "synthetic.jsonl")

	out := mustCLI(t, "gen", "rankings", "--out", file, "--n", "40", "--seed", "3", "--quiet")
	if !strings.Contains(out, "40 rankings of 4 responses (240 pairs) in 40 lines") || !strings.Contains(out, "agrees with the raters on") {
		t.Fatalf("gen output:\n%s", out)
	}
	bad := []string{
		`{"prompt":"p","responses":["a","b","c"],"ranking":[0,0,1]}`, // duplicate index
		`{"prompt":"p","responses":["a","b","c"],"ranking":[2,0]}`,   // missing index
		`{"prompt":"p","responses":["a","b"],"ranking":[0,2]}`,       // out of range
		`{"prompt":"p","responses":["a"],"ranking":[0]}`,             // k < 2
		`{"prompt":"p","responses":["a","b"],"ranking":[0,1]`,        // bad JSON
		`{"prompt":"p","responses":["a",""],"ranking":[0,1]}`,        // empty response
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Join(bad, "\n") + "\n\n" + `{"responses":["x","y"],"ranking":[1,0]}` + "\n") // a good one without a prompt
	f.Close()

	out = mustCLI(t, "--data-dir", data, "ingest", "rankings", file, "--quiet", "--checkpoint-bytes", "8192")
	want := file + ": 41 rankings, 241 pairs implied -> rankings.synthetic; 6 dead letters -> dlq.ingest.rankings\n"
	if out != want {
		t.Fatalf("ingest printed\n%q\nwant\n%q", out, want)
	}
	batches := streamCount(t, data, bus.StreamRankings, "rankings.synthetic")
	if batches == 0 || streamCount(t, data, bus.StreamDeadLetters, "dlq.ingest.rankings") != 6 {
		t.Fatalf("%d batches, %d dead letters", batches, streamCount(t, data, bus.StreamDeadLetters, "dlq.ingest.rankings"))
	}
	out = mustCLI(t, "--data-dir", data, "ingest", "rankings", file, "--quiet")
	if !strings.Contains(out, "41 rankings") || !strings.Contains(out, "already ingested") {
		t.Fatalf("rerun printed\n%s", out)
	}
	if n := streamCount(t, data, bus.StreamRankings, "rankings.>"); n != batches {
		t.Fatalf("the rerun left %d batches, want %d", n, batches)
	}

	// The sink writes the rankings to the lake; lake cat shows them.
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() {
		_, err := rankingsCLI(ctx, "--data-dir", data, "sink", "parquet", "--lake", lakeDir)
		done <- err
	}()
	deadline := time.Now().Add(time.Minute)
	for lakeRankings(lakeDir) < 41 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the sink committed %d of 41 rankings: %v", lakeRankings(lakeDir), <-done)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("sink: %v", err)
	}
	var rows []schemas.Ranking
	if err := lake.Scan(filepath.Join(lakeDir, "rankings"), func(_ string, rs []schemas.Ranking) error {
		rows = append(rows, rs...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range rows {
		if err := r.Validate(); err != nil || len(r.Responses) < 2 || ids[r.RankingID] {
			t.Fatalf("lake row (%v): %+v", err, r)
		}
		ids[r.RankingID] = true
	}
	if len(rows) != 41 {
		t.Fatalf("lake holds %d rankings, want 41", len(rows))
	}

	out = mustCLI(t, "lake", "cat", filepath.Join(lakeDir, "rankings"), "--format", "jsonl", "--limit", "0")
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var rec struct {
			ID        string   `json:"ranking_id"`
			Source    string   `json:"source"`
			Responses []string `json:"responses"`
			Order     []int    `json:"order"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("lake cat line %d: %v: %s", n+1, err, sc.Text())
		}
		if !ids[rec.ID] || rec.Source != "synthetic" || len(rec.Responses) != len(rec.Order) || len(rec.Order) < 2 {
			t.Fatalf("lake cat line %d: %+v", n+1, rec)
		}
		n++
	}
	if n != 41 {
		t.Fatalf("lake cat printed %d rankings, want 41", n)
	}
	if out := mustCLI(t, "lake", "cat", filepath.Join(lakeDir, "rankings"), "--limit", "1"); !strings.Contains(out, "responses") || !strings.Contains(out, "order") {
		t.Fatalf("lake cat table:\n%s", out)
	}
}

func TestIngestRankingsCommandErrors(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	hh := filepath.Join(work, "hh.jsonl")
	mustCLI(t, "gen", "rankings", "--out", hh, "--n", "5", "--k", "3", "--format", "hh-rlhf", "--quiet")

	// hh-rlhf with a named source, beside a missing file: the good file goes through, the
	// missing one is named in the error.
	missing := filepath.Join(work, "nope.jsonl")
	out, err := rankingsCLI(testContext(t), "--data-dir", data, "ingest", "rankings", "--format", "hh-rlhf", "--source", "team-a", missing, hh, "--quiet")
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("a missing file: %v", err)
	}
	if !strings.Contains(out, hh+": 15 rankings, 15 pairs implied -> rankings.team-a; 0 dead letters") ||
		!strings.Contains(out, missing+": failed") || !strings.Contains(out, "total: 15 rankings") {
		t.Fatalf("output:\n%s", out)
	}
	// The wrong format dead-letters every line and says so.
	out = mustCLI(t, "--data-dir", data, "ingest", "rankings", "--format", "jsonl", "--source", "wrong", hh, "--quiet")
	if !strings.Contains(out, "0 rankings") || !strings.Contains(out, "15 dead letters") || !strings.Contains(out, "is --format right?") {
		t.Fatalf("wrong format output:\n%s", out)
	}
	for _, args := range [][]string{
		{"ingest", "rankings", "--format", "csv", hh},
		{"ingest", "rankings", "--source", "a.b", hh},
		{"ingest", "rankings"},
		{"gen", "rankings", "--out", filepath.Join(work, "x.jsonl"), "--k", "1"},
		{"sink", "parquet", "--datasets", "pairs,votes", "--lake", filepath.Join(work, "lake")},
	} {
		if _, err := rankingsCLI(testContext(t), append([]string{"--data-dir", data}, args...)...); err == nil {
			t.Errorf("prefstream %s succeeded", strings.Join(args, " "))
		}
	}
	help := mustCLI(t, "ingest", "rankings", "--help")
	for _, want := range []string{"--format", "hh-rlhf", "dlq.ingest.rankings", "k(k-1)/2", "--source"} {
		if !strings.Contains(help, want) {
			t.Errorf("ingest rankings --help lacks %q", want)
		}
	}
}

func lakeRankings(dir string) int64 {
	st, err := lake.Stats(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, p := range st {
		if p.Dataset == "rankings" {
			n += p.Rows
		}
	}
	return n
}
