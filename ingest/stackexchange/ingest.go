package stackexchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/prefstream/prefstream/ingest"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

// Source is the name of this source on subjects and in records.
const Source = "stackexchange"

// Options of an ingest run.
type Options struct {
	// TmpDir holds the sorted runs of vote counts (default: the system temp dir).
	TmpDir string
	// CheckpointBytes of Posts.xml between checkpoints (default 32 MiB).
	CheckpointBytes int64
	// Progress, if set, is told how many bytes of Posts.xml were read, of total (-1: unknown).
	Progress func(read, total int64)
}

// Result of ingesting one site.
type Result struct {
	Site    string
	Counts  ingest.Counts
	Skipped bool // the checkpoint says this dump was already ingested
}

// Ingest publishes the posts of one site (a .7z, a folder or a Posts.xml) as Documents. A run
// killed midway resumes from its last checkpoint; a finished dump is not read again.
func Ingest(ctx context.Context, b *bus.Bus, path string, o Options) (Result, error) {
	site, err := OpenSite(path)
	if err != nil {
		return Result{}, err
	}
	res := Result{Site: site.Name}
	bt, err := ingest.OpenBatcher(ctx, b, Source, site.Name, site.Identity(), ingest.BucketsFor(site.PostsSize()))
	if err != nil {
		return res, err
	}
	defer bt.Close()
	if cp := bt.Checkpoint(); cp.Done {
		res.Counts, res.Skipped = cp.Counts, true
		return res, nil
	}
	var votes *Upvotes
	if site.HasVotes() {
		if votes, err = countVotes(site, o.TmpDir); err != nil {
			return res, err
		}
		defer votes.Close()
	}
	err = readPosts(ctx, bt, site, votes, o)
	res.Counts = *bt.Counts()
	return res, err
}

func countVotes(site *Site, tmpDir string) (*Upvotes, error) {
	rc, err := site.Votes()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return CountUpvotes(rc, site.Name+"/Votes.xml", tmpDir, 0)
}

func readPosts(ctx context.Context, bt *ingest.Batcher, site *Site, votes *Upvotes, o Options) error {
	rc, err := site.Posts()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, start := ingest.SplitPosition(bt.Checkpoint().Position)
	if err := skipTo(rc, start); err != nil {
		return fmt.Errorf("stackexchange: resume %s at byte %d: %w", site.Path, start, err)
	}
	file := site.Name + "/Posts.xml"
	r := newPostReader(NewRowScanner(rc, file, start), site.Name, file, votes, time.Now().Unix())
	defer r.close()
	err = ingest.Copy(ctx, bt, r, ingest.CopyOptions{CheckpointBytes: o.CheckpointBytes, Progress: o.Progress, Total: site.PostsSize()})
	var readErr *ReadError
	if err != nil && !errors.As(err, &readErr) {
		return err
	}
	// A truncated or unreadable file: what was read before the error still goes through.
	if ferr := bt.Finish(ctx, ingest.Position(0, r.Offset())); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

func skipTo(r io.Reader, offset int64) error {
	if offset == 0 {
		return nil
	}
	if s, ok := r.(io.Seeker); ok {
		_, err := s.Seek(offset, io.SeekStart)
		return err
	}
	_, err := io.CopyN(io.Discard, r, offset)
	return err
}

func badRecord(e *RowError) *ingest.BadRecord {
	return &ingest.BadRecord{File: e.File, Offset: e.Offset, Reason: e.Reason, Row: e.Row}
}

func (r *postReader) document(p Post, kind, thread string, offset int64) schemas.Document {
	d := schemas.Document{
		Source: Source, Dump: r.site, ID: strconv.FormatInt(p.ID, 10), ThreadID: thread, Kind: kind,
		Author: p.OwnerDisplayName, Score: p.Score, Upvotes: -1, Title: p.Title, Text: p.Body, Tags: p.Tags,
		CreatedUnix: parseTime(p.CreationDate), SourceFile: r.file, Offset: offset, IngestedUnix: r.ingested,
	}
	if p.OwnerUserID != 0 {
		d.Author = strconv.FormatInt(p.OwnerUserID, 10)
	}
	if p.ParentID > 0 {
		d.ParentID = strconv.FormatInt(p.ParentID, 10)
	}
	if p.AcceptedAnswerID > 0 {
		d.AcceptedID = strconv.FormatInt(p.AcceptedAnswerID, 10)
	}
	if p.Deleted {
		d.Flags |= schemas.FlagDeleted
	}
	if p.ID >= 1_000_000_000 && p.OwnerUserID == -1 {
		d.Flags |= schemas.FlagFabricated
	}
	return d
}

// parseTime reads the dumps' "2006-01-02T15:04:05.999" times as UTC; 0 when unreadable.
func parseTime(s string) int64 {
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil {
		return 0
	}
	return t.Unix()
}
