package wikipedia

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/prefstream/prefstream/ingest"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

// Options of an ingest run.
type Options struct {
	// Namespaces to keep: "0" (the default: articles), a list "0,1,4", or "all".
	Namespaces      string
	CheckpointBytes int64
	// Progress, if set, hears the uncompressed bytes read.
	Progress func(read, total int64)
}

// Result of ingesting one history file.
type Result struct {
	Dump    string
	Counts  ingest.Counts
	Skipped bool // the checkpoint says this file was already ingested
}

// Ingest publishes the revisions of one history file (.xml, .bz2 or .7z) as Documents, page
// by page in order, into a single bucket: the reverts recipe reads them back as a stream.
func Ingest(ctx context.Context, b *bus.Bus, path string, o Options) (Result, error) {
	res := Result{Dump: DumpName(path)}
	keep, err := NamespaceFilter(o.Namespaces)
	if err != nil {
		return res, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return res, fmt.Errorf("wikipedia: %w", err)
	}
	identity := fmt.Sprintf("%s|%s:%d:%d|ns=%s", res.Dump, filepath.Base(path), fi.Size(), fi.ModTime().UnixNano(), o.Namespaces)
	bt, err := ingest.OpenBatcher(ctx, b, Source, res.Dump, identity, 1)
	if err != nil {
		return res, err
	}
	defer bt.Close()
	if cp := bt.Checkpoint(); cp.Done {
		res.Counts, res.Skipped = cp.Counts, true
		return res, nil
	}
	r, err := Open(path)
	if err != nil {
		return res, err
	}
	defer r.Close()
	_, start := ingest.SplitPosition(bt.Checkpoint().Position)
	if start > 0 {
		if err := r.SkipTo(start); err != nil && !errors.Is(err, io.EOF) {
			return res, err
		}
	}
	pages := &pages{r: r, keep: keep, dump: res.Dump, file: filepath.Base(path), ingested: time.Now().Unix(), offset: start}
	err = ingest.Copy(ctx, bt, pages, ingest.CopyOptions{CheckpointBytes: o.CheckpointBytes, Progress: o.Progress, Total: -1})
	var readErr *ReadError
	if err != nil && !errors.As(err, &readErr) {
		return res, err
	}
	// A truncated file: the pages read before the error still go through.
	if ferr := bt.Finish(ctx, ingest.Position(0, pages.Offset())); ferr != nil {
		err = errors.Join(err, ferr)
	}
	res.Counts = *bt.Counts()
	return res, err
}

// pages adapts a Reader to ingest.Reader: revisions of the kept namespaces, page after page,
// with a boundary between pages (the only points a history can be resumed at).
type pages struct {
	r        *Reader
	keep     func(ns int) bool
	page     Page
	inPage   bool
	dump     string
	file     string
	ingested int64
	offset   int64
}

// Offset is the start of the next page while between pages.
func (p *pages) Offset() int64 { return p.offset }

func (p *pages) Next() (schemas.Document, error) {
	if !p.inPage {
		page, err := p.r.NextPage()
		if err != nil {
			return schemas.Document{}, err
		}
		p.page, p.offset = page, p.r.Offset()
		p.inPage = p.keep(page.NS)
		return schemas.Document{}, ingest.ErrBoundary
	}
	rev, err := p.r.NextRevision()
	if errors.Is(err, io.EOF) {
		p.inPage = false
		return p.Next()
	}
	if err != nil {
		return schemas.Document{}, err
	}
	return rev.Document(p.page, p.dump, p.file, p.ingested), nil
}
