package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/internal/bus"
)

// TestReplayCommand replays a lake of pairs twice into a fresh subject through the CLI on an
// embedded JetStream: the second run is dropped as duplicates.
func TestReplayCommand(t *testing.T) {
	work := t.TempDir()
	data, lakeDir := filepath.Join(work, "data"), filepath.Join(work, "lake")
	pairs, _ := pairsLakeForCLI(t, lakeDir)
	dataset := filepath.Join(lakeDir, "pairs")
	out := mustCLI(t, "--data-dir", data, "replay", "--lake", dataset, "--subject", "pairs.replayed", "--batch-rows", "150")
	want := fmt.Sprintf("replayed %d rows of pairs from 2 parts of %s to pairs.replayed (stream PAIRS) in %d batches (0 already there) in ",
		pairs, dataset, pairs/150)
	if !strings.HasPrefix(out, want) || !strings.HasSuffix(out, " s\n") {
		t.Fatalf("replay printed\n%q\nwant it to start with\n%q", out, want)
	}
	out = mustCLI(t, "--data-dir", data, "replay", "--lake", dataset, "--subject", "pairs.replayed", "--batch-rows", "150")
	if !strings.Contains(out, fmt.Sprintf("in 0 batches (%d already there)", pairs/150)) {
		t.Fatalf("second replay printed\n%s", out)
	}
	if n := streamCount(t, data, bus.StreamPairs, "pairs.replayed"); n != uint64(pairs/150) {
		t.Fatalf("pairs.replayed holds %d batches, want %d", n, pairs/150)
	}
	out = mustCLI(t, "--data-dir", data, "replay", "--lake", dataset, "--subject", "pairs.some", "--limit", "10", "--rate", "100")
	if !strings.HasPrefix(out, "replayed 10 rows of pairs from 1 part of") {
		t.Fatalf("limited replay printed\n%s", out)
	}
}

func TestReplayCommandErrors(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	lakeDir := filepath.Join(work, "lake")
	pairsLakeForCLI(t, lakeDir)
	empty := filepath.Join(work, "empty")
	os.MkdirAll(empty, 0o755)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "--subject", "pairs.x"}, `required flag(s) "lake" not set`},
		{[]string{"replay", "--lake", lakeDir}, `required flag(s) "subject" not set`},
		{[]string{"replay", "--lake", filepath.Join(work, "nope"), "--subject", "pairs.x"}, "replay: lake folder: stat"},
		{[]string{"replay", "--lake", empty, "--subject", "pairs.x"}, "no committed Parquet parts under " + empty},
		{[]string{"replay", "--lake", lakeDir, "--subject", "pairs.>"}, `bad subject "pairs.>"`},
		{[]string{"replay", "--lake", lakeDir, "--subject", "elsewhere.x"}, `subject "elsewhere.x" is outside every stream`},
		{[]string{"replay", "--lake", lakeDir, "--subject", "prompts.x"}, "in stream PROMPTS, which holds prompts, not pairs"},
		{[]string{"replay", "--lake", lakeDir, "--subject", "pairs.x", "--rate", "-2"}, "rate -2"},
	} {
		args := append([]string{"--data-dir", data}, tt.args...)
		out, err := rankingsCLI(testContext(t), args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("prefstream %s: %v (printed %q), want %q", strings.Join(tt.args, " "), err, out, tt.want)
		}
	}
}
