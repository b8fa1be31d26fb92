package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prefstream/prefstream/internal/bus"
)

// TestWatchIngestsEachFileOnce drops history files into a watched directory, one of them while
// the watcher runs, then restarts the watcher: every file becomes exactly one job.
func TestWatchIngestsEachFileOnce(t *testing.T) {
	first := filepath.Join(realWikipedia, "pywikibot-pair-0.10.xml")
	second := filepath.Join(realWikipedia, "simplewiki-history-sample-export-0.11.xml")
	needFixture(t, first)
	needFixture(t, second)
	g := testGlobals(t)
	b, err := g.connect(testContext(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dir := t.TempDir()
	copyDir(t, realWikipedia, dir, filepath.Base(first))

	watch := func(until func() bool) {
		ctx, cancel := context.WithCancel(testContext(t))
		done := make(chan error, 1)
		go func() {
			done <- watchDir(ctx, g, b, "wikipedia", dir, 20*time.Millisecond, ingestOptions{namespaces: "all"})
		}()
		deadline := time.Now().Add(time.Minute)
		for !until() {
			if time.Now().After(deadline) {
				t.Fatalf("watch: %d jobs queued", jobs(t, b))
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	watch(func() bool { return jobs(t, b) == 1 })
	copyDir(t, realWikipedia, dir, filepath.Base(second))
	watch(func() bool { return jobs(t, b) == 2 })
	// A new watcher on the same directory sees both files again and ingests neither twice.
	start := time.Now()
	watch(func() bool { return time.Since(start) > 300*time.Millisecond })
	if n := jobs(t, b); n != 2 {
		t.Fatalf("%d jobs after a restart, want 2", n)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.Base(second))); err != nil {
		t.Fatal(err)
	}
}

func jobs(t *testing.T, b *bus.Bus) uint64 {
	t.Helper()
	s, err := b.JS.Stream(context.Background(), bus.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
