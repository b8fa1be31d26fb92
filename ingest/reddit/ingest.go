package reddit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prefstream/prefstream/ingest"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

// Options of an ingest run.
type Options struct {
	CheckpointBytes int64
	// Progress, if set, hears the uncompressed bytes read of the current file.
	Progress func(read, total int64)
}

// Result of ingesting one month.
type Result struct {
	Dump    string
	Files   []string
	Counts  ingest.Counts
	Skipped bool // the checkpoint says this month was already ingested
}

// zstdRatio estimates the uncompressed size of a monthly .zst, to pick a bucket count.
const zstdRatio = 8

// Ingest publishes the comments and submissions of the given files. Files of one month (RC_
// and RS_ of 2015-06) are one dump, read one after the other into the same buckets, so
// featurize sees each thread's submission and comments together.
func Ingest(ctx context.Context, b *bus.Bus, paths []string, o Options) ([]Result, error) {
	var results []Result
	for _, group := range ByMonth(paths) {
		res, err := ingestMonth(ctx, b, group, o)
		results = append(results, res)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// ByMonth groups dump files by month, submissions first, in a stable order.
func ByMonth(paths []string) [][]string {
	byDump := map[string][]string{}
	var dumps []string
	for _, p := range paths {
		d := DumpOf(p)
		if _, ok := byDump[d]; !ok {
			dumps = append(dumps, d)
		}
		byDump[d] = append(byDump[d], p)
	}
	groups := make([][]string, 0, len(dumps))
	for _, d := range dumps {
		files := byDump[d]
		sort.SliceStable(files, func(i, j int) bool { return rank(files[i]) < rank(files[j]) })
		groups = append(groups, files)
	}
	return groups
}

func rank(path string) string {
	base := filepath.Base(path)
	if strings.HasPrefix(base, "RS_") {
		return "0" + base
	}
	return "1" + base
}

func ingestMonth(ctx context.Context, b *bus.Bus, files []string, o Options) (Result, error) {
	res := Result{Dump: DumpOf(files[0]), Files: files}
	identity, size, err := identityOf(files)
	if err != nil {
		return res, err
	}
	bt, err := ingest.OpenBatcher(ctx, b, Source, res.Dump, identity, ingest.BucketsFor(size))
	if err != nil {
		return res, err
	}
	defer bt.Close()
	if cp := bt.Checkpoint(); cp.Done {
		res.Counts, res.Skipped = cp.Counts, true
		return res, nil
	}
	startFile, startOffset := ingest.SplitPosition(bt.Checkpoint().Position)
	ingested := time.Now().Unix()
	for i := startFile; i < len(files); i++ {
		offset := int64(0)
		if i == startFile {
			offset = startOffset
		}
		err := copyFile(ctx, bt, files[i], i, offset, res.Dump, ingested, o)
		var readErr *ReadError
		if errors.As(err, &readErr) {
			// A truncated file: what was read before it still goes through, and the next file too.
			res.Counts = *bt.Counts()
			if ferr := finishAfter(ctx, bt, files, i); ferr != nil {
				return res, errors.Join(err, ferr)
			}
			return res, err
		}
		if err != nil {
			return res, err
		}
		if err := bt.Flush(ctx, ingest.Position(i+1, 0)); err != nil {
			return res, err
		}
	}
	err = bt.Finish(ctx, ingest.Position(len(files), 0))
	res.Counts = *bt.Counts()
	return res, err
}

// finishAfter reads the files after a broken one, then queues the month's job.
func finishAfter(ctx context.Context, bt *ingest.Batcher, files []string, broken int) error {
	var errs error
	for i := broken + 1; i < len(files); i++ {
		if err := copyFile(ctx, bt, files[i], i, 0, DumpOf(files[i]), time.Now().Unix(), Options{}); err != nil {
			errs = errors.Join(errs, err)
		}
	}
	return errors.Join(errs, bt.Finish(ctx, ingest.Position(len(files), 0)))
}

func copyFile(ctx context.Context, bt *ingest.Batcher, path string, index int, offset int64, dump string, ingested int64, o Options) error {
	r, err := OpenAt(path, offset)
	if err != nil {
		return err
	}
	defer r.Close()
	docs := &documents{r: r, dump: dump, file: filepath.Base(path), ingested: ingested}
	return ingest.Copy(ctx, bt, docs, ingest.CopyOptions{File: index, CheckpointBytes: o.CheckpointBytes, Progress: o.Progress, Total: -1})
}

func identityOf(files []string) (identity string, size int64, err error) {
	var b strings.Builder
	b.WriteString(DumpOf(files[0]))
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return "", 0, fmt.Errorf("reddit: %w", err)
		}
		fmt.Fprintf(&b, "|%s:%d:%d", filepath.Base(f), fi.Size(), fi.ModTime().UnixNano())
		if strings.HasSuffix(f, ".zst") {
			size += zstdRatio * fi.Size()
		} else {
			size += fi.Size()
		}
	}
	return b.String(), size, nil
}

// documents adapts a Reader to ingest.Reader.
type documents struct {
	r        *Reader
	dump     string
	file     string
	ingested int64
}

func (d *documents) Offset() int64 { return d.r.Offset() }

func (d *documents) Next() (schemas.Document, error) {
	rec, err := d.r.Next()
	var rowErr *RowError
	switch {
	case errors.As(err, &rowErr):
		return schemas.Document{}, &ingest.BadRecord{File: rowErr.File, Offset: rowErr.Offset, Reason: rowErr.Reason, Row: rowErr.Row}
	case errors.Is(err, io.EOF):
		return schemas.Document{}, io.EOF
	case err != nil:
		return schemas.Document{}, err
	}
	doc := rec.Document(d.dump, d.file, d.ingested)
	if doc.ThreadID == "" {
		return schemas.Document{}, &ingest.BadRecord{File: d.file, Offset: rec.Offset, Reason: "comment without link_id", Row: []byte(rec.ID)}
	}
	return doc, nil
}
