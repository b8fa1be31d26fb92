package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// train sft trains a policy that train ppo can start a run from; train ppo without its models
// fails naming what is missing.
func TestTrainSFTAndPPOErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	dir := t.TempDir()
	g := testGlobals(t)
	data := g.bus.DataDir
	lakeDir := filepath.Join(dir, "lake")
	site := generateSite(t, filepath.Join(dir, "dumps"), 200, false)
	runTestPipeline(t, g, lakeDir, input{"stackexchange", site})
	pairs := filepath.Join(lakeDir, "pairs")

	if out, err := rankingsCLI(testContext(t), "--data-dir", data, "train", "ppo", "--run", "r1", "--updates", "1"); err == nil ||
		!strings.Contains(err.Error(), "sft") {
		t.Fatalf("train ppo without an SFT policy: %v\n%s", err, out)
	}
	mustCLI(t, "--data-dir", data, "train", "tokenizer", "--from-lake", pairs, "--vocab", "500")
	out := mustCLI(t, "--data-dir", data, "train", "sft", "--from-lake", pairs, "--steps", "5", "--eval-pairs", "16")
	if !strings.Contains(out, "sft@1: 5 steps") {
		t.Fatalf("train sft: %s", out)
	}
	// The PM named by --pm does not exist: the run refuses to start and says so.
	if out, err := rankingsCLI(testContext(t), "--data-dir", data, "train", "ppo", "--run", "r1", "--pm", "pm-nothing", "--updates", "1"); err == nil ||
		!strings.Contains(err.Error(), "pm-nothing") {
		t.Fatalf("train ppo with a missing PM: %v\n%s", err, out)
	}
}
