package prompts

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/schemas"
)

// lakeRow is what the lake ingest reads of a row: the prompt and its split. Pairs and rankings
// both have these columns; only they are read.
type lakeRow struct {
	Prompt string `parquet:"prompt"`
	Split  string `parquet:"split"`
}

// FromLake publishes the distinct prompts of the rows under dir to prompts.lake: dir is a lake
// root (its pairs dataset is read), or a dataset or partition folder whose rows have prompt and
// split columns (pairs, rankings). Parts are read in manifest order; a prompt is published the
// first time it is seen, with the split of its row (so held-out threads stay held out), its part
// file (relative to dir) and row as lineage, and the id schemas.PromptID("lake", text).
//
// Memory: one 8-byte hash per distinct prompt, 11 to 21 bytes with the table's free slots (at
// most 210 MB for ten million prompts), whatever the number of rows. Two prompts whose hashes
// collide (about one chance in 400,000 at ten million prompts) count as one.
//
// Each part is checkpointed by content (the manifest's sha256) with the row reached: a rerun
// skips done parts (reading only their prompts, to know them) and resumes a part where it
// stopped, re-sending batches under the same ids. If the lake gained parts that sort before an
// unfinished one, a prompt may be published twice (with one id).
func FromLake(ctx context.Context, b *bus.Bus, dir string, o Options) (Result, error) {
	res := Result{File: dir, Source: LakeSource, Subject: bus.PromptSubject(LakeSource)}
	root, err := lakeDataset(dir)
	if err != nil {
		return res, err
	}
	parts, err := lakeParts(root)
	if err != nil {
		return res, err
	}
	if len(parts) == 0 {
		return res, fmt.Errorf("prompts: no committed Parquet parts under %s (want a lake root, a pairs dataset or one of its partitions)", dir)
	}
	state, err := b.OpenState(ctx, bus.BucketCheckpoints)
	if err != nil {
		return res, err
	}
	var total, read int64
	for _, p := range parts {
		total += p.rows
	}
	l := &lakeIngest{b: b, state: state, o: o, dir: dir, total: total, read: &read}
	res.Skipped = true
	for _, p := range parts {
		counts, skipped, err := l.part(ctx, p)
		res.Counts.Add(counts)
		res.Skipped = res.Skipped && skipped
		if err != nil {
			return res, err
		}
	}
	if o.Progress != nil {
		o.Progress(read, total)
	}
	return res, nil
}

// lakeDataset is the folder to read: ROOT/pairs when dir is a lake root holding pairs, else dir.
func lakeDataset(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("prompts: lake: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("prompts: lake %s is not a directory", dir)
	}
	if st, err := os.Stat(filepath.Join(dir, "pairs")); err == nil && st.IsDir() {
		return filepath.Join(dir, "pairs"), nil
	}
	return dir, nil
}

// lakePart is one committed Parquet file and what its manifest says of it.
type lakePart struct {
	path, identity string
	rows           int64
}

// lakeParts lists the committed parts under root in manifest order, with their content hash.
func lakeParts(root string) ([]lakePart, error) {
	files, err := lake.Files(root)
	if err != nil {
		return nil, fmt.Errorf("prompts: %w", err)
	}
	manifests := map[string]map[string]lake.Entry{}
	var parts []lakePart
	for _, file := range files {
		dir := filepath.Dir(file)
		entries, ok := manifests[dir]
		if !ok {
			list, err := lake.ReadManifest(dir)
			if err != nil {
				return nil, fmt.Errorf("prompts: %w", err)
			}
			entries = make(map[string]lake.Entry, len(list))
			for _, e := range list {
				entries[e.File] = e
			}
			manifests[dir] = entries
		}
		e, ok := entries[filepath.Base(file)]
		if !ok {
			return nil, fmt.Errorf("prompts: %s is not in its partition's manifest", file)
		}
		parts = append(parts, lakePart{path: file, identity: e.SHA256[:min(len(e.SHA256), 32)], rows: e.Rows})
	}
	return parts, nil
}

type lakeIngest struct {
	b     *bus.Bus
	state bus.State
	o     Options
	dir   string
	seen  hashSet
	total int64
	read  *int64
}

// part publishes the new prompts of one part, from the row its checkpoint reached.
func (l *lakeIngest) part(ctx context.Context, p lakePart) (Counts, bool, error) {
	rel, err := filepath.Rel(l.dir, p.path)
	if err != nil {
		rel = p.path
	}
	rel = filepath.ToSlash(rel)
	cp := Checkpoint{Identity: p.identity, Source: LakeSource, File: rel}
	key := "prompts/" + LakeSource + "/" + p.identity
	if _, err := l.state.Load(ctx, key, &cp); err != nil {
		return Counts{}, false, err
	}
	if cp.Done {
		// Already published: only learn its prompts.
		err := lake.Scan(p.path, func(_ string, rows []lakeRow) error {
			for i := range rows {
				if strings.TrimSpace(rows[i].Prompt) != "" {
					l.seen.add(promptHash(rows[i].Prompt))
				}
			}
			*l.read += int64(len(rows))
			return ctx.Err()
		})
		return cp.Counts, true, prefixed(err)
	}
	every := l.o.CheckpointBytes
	if every <= 0 {
		every = 32 << 20
	}
	w := newWriter(l.b, l.state, key, &cp)
	var row, pending int64
	position := func() (int64, int64) { return row, 0 }
	last := ""
	err = lake.Scan(p.path, func(_ string, rows []lakeRow) error {
		for i := range rows {
			text, at := rows[i].Prompt, row
			row++
			blank := strings.TrimSpace(text) == ""
			if at < cp.Offset { // published before the restart
				if !blank {
					l.seen.add(promptHash(text))
				}
				continue
			}
			cp.Counts.Lines++
			switch {
			case blank:
				cp.Counts.Empty++
				continue
			case text == last:
				cp.Counts.Repeats++
				continue
			}
			last = text
			if !l.seen.add(promptHash(text)) {
				cp.Counts.Repeats++
				continue
			}
			prompt := schemas.Prompt{PromptID: schemas.PromptID(LakeSource, text), Text: text, Source: LakeSource,
				Split: rows[i].Split, SourceFile: rel, Offset: at, IngestedUnix: w.ingested}
			if prompt.Split != schemas.SplitTrain && prompt.Split != schemas.SplitTest {
				prompt.Split = schemas.SplitOfPrompt(prompt.PromptID)
			}
			origin := fmt.Sprintf("%s:row %d", p.path, at)
			if err := w.add(ctx, prompt, origin, map[string]any{"row": at}, []byte(text)); err != nil {
				return err
			}
			cp.Counts.Bytes += int64(len(text))
			if pending += int64(len(text)); pending >= every {
				pending = 0
				if err := w.flush(ctx, position); err != nil {
					return err
				}
			}
		}
		*l.read += int64(len(rows))
		if l.o.Progress != nil {
			l.o.Progress(*l.read, l.total)
		}
		return ctx.Err()
	})
	if err != nil {
		return cp.Counts, false, prefixed(err)
	}
	cp.Done = true
	return cp.Counts, false, w.flush(ctx, position)
}

// promptHash is the first 8 bytes of the text's sha256.
func promptHash(text string) uint64 {
	sum := sha256.Sum256([]byte(text))
	return binary.LittleEndian.Uint64(sum[:8])
}

// prefixed names the package in an error of the lake reader.
func prefixed(err error) error {
	if err == nil || strings.HasPrefix(err.Error(), "prompts: ") {
		return err
	}
	return fmt.Errorf("prompts: %w", err)
}
