package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/internal/synth"
)

// TestTrainAndEvaluatePM runs the trainer's commands end to end on the embedded server: a
// generated site through the pipeline, the tokenizer, PMP from the lake, rankings ingested and
// fine-tuned on from the stream, evaluation with its plots, the transfer experiment, and the
// registry listing; a finished run started again does nothing.
func TestTrainAndEvaluatePM(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	dir := t.TempDir()
	g := testGlobals(t)
	data := g.bus.DataDir
	lakeDir := filepath.Join(dir, "lake")
	site := generateSite(t, filepath.Join(dir, "dumps"), 400, false)
	runTestPipeline(t, g, lakeDir, input{"stackexchange", site})
	pairs := filepath.Join(lakeDir, "pairs")

	out := mustCLI(t, "--data-dir", data, "train", "tokenizer", "--from-lake", pairs, "--vocab", "600")
	if !strings.Contains(out, "tokenizer@1") {
		t.Fatalf("train tokenizer: %s", out)
	}
	pmp := []string{"--data-dir", data, "train", "pm", "--stage", "pmp", "--from-lake", pairs, "--objective", "ranked",
		"--steps", "30", "--checkpoint-every", "10", "--eval-pairs", "64", "--eval-every", "10"}
	out = mustCLI(t, pmp...)
	if !strings.Contains(out, "pm-pmp@3: 30 steps") { // checkpoints at steps 10, 20 and the final one
		t.Fatalf("train pm: %s", out)
	}
	if out = mustCLI(t, pmp...); !strings.Contains(out, "already finished at step 30") {
		t.Fatalf("a finished run started again: %s", out)
	}

	rankingsFile := filepath.Join(dir, "rankings.jsonl")
	if _, err := synth.Rankings(rankingsFile, synth.RankingsOptions{N: 300, K: 4, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "--data-dir", data, "ingest", "rankings", rankingsFile, "--quiet")
	out = mustCLI(t, "--data-dir", data, "train", "pm", "--stage", "finetune", "--init", "pm-pmp", "--steps", "10", "--eval-pairs", "64")
	if !strings.Contains(out, "pm-finetune@1: 10 steps") {
		t.Fatalf("fine-tuning: %s", out)
	}
	plots := filepath.Join(dir, "eval")
	out = mustCLI(t, "--data-dir", data, "eval", "pm", "--model", "pm-finetune", "--data", "stream:rankings", "--out", plots)
	if !strings.Contains(out, "accuracy") {
		t.Fatalf("eval pm: %s", out)
	}
	for _, png := range []string{"reliability.png", "scores.png"} {
		if st, err := os.Stat(filepath.Join(plots, png)); err != nil || st.Size() == 0 {
			t.Fatalf("eval pm wrote no %s: %v", png, err)
		}
	}
	out = mustCLI(t, "--data-dir", data, "eval", "pmp-transfer", "--pmp", "pm-pmp", "--sizes", "0,32", "--seeds", "1",
		"--passes", "1", "--eval-pairs", "64", "--out", plots)
	if !strings.Contains(out, "from scratch") || !strings.Contains(out, "transfer.png") {
		t.Fatalf("eval pmp-transfer: %s", out)
	}
	out = mustCLI(t, "--data-dir", data, "models", "list")
	for _, want := range []string{"tokenizer", "pm-pmp", "pm-finetune"} {
		if !strings.Contains(out, want) {
			t.Fatalf("models list lacks %s:\n%s", want, out)
		}
	}
	for _, bad := range [][]string{
		{"train", "pm", "--stage", "warmup"},
		{"train", "pm", "--stage", "finetune", "--init", "pm-nothing"},
		{"train", "pm", "--objective", "telepathy"},
		{"eval", "pm", "--model", "pm-pmp", "--data", filepath.Join(dir, "nowhere")},
	} {
		if out, err := rankingsCLI(testContext(t), append([]string{"--data-dir", data}, bad...)...); err == nil {
			t.Errorf("prefstream %s succeeded:\n%s", strings.Join(bad, " "), out)
		}
	}
}
