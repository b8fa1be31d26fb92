package ingest

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Watch calls ingest for every file in dir that match accepts, now and as new ones appear,
// until ctx is done. A file is taken once its size and modification time held still for one
// poll (so a dump still being copied in is not read half-way). Exactly-once is the
// checkpoints' job: a file already ingested is recognised by its identity and not read again,
// and one interrupted midway resumes where it stopped.
func Watch(ctx context.Context, dir string, poll time.Duration, accepts func(name string) bool, ingest func(path string) error) error {
	type state struct {
		size  int64
		mtime time.Time
		done  bool
	}
	seen := map[string]*state{}
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			if e.IsDir() || !accepts(e.Name()) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			path := filepath.Join(dir, e.Name())
			st := seen[path]
			if st == nil || st.size != info.Size() || !st.mtime.Equal(info.ModTime()) {
				seen[path] = &state{size: info.Size(), mtime: info.ModTime()}
				continue
			}
			if st.done {
				continue
			}
			if err := ingest(path); err != nil {
				return err
			}
			st.done = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}
