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
	r := &reader{site: site, bt: bt, votes: votes, o: o, ingested: time.Now().Unix()}
	err = r.readPosts(ctx)
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

type reader struct {
	site     *Site
	bt       *ingest.Batcher
	votes    *Upvotes
	o        Options
	ingested int64
	file     string
}

func (r *reader) readPosts(ctx context.Context) error {
	rc, err := r.site.Posts()
	if err != nil {
		return err
	}
	defer rc.Close()
	start := r.bt.Checkpoint().Position
	if err := skipTo(rc, start); err != nil {
		return fmt.Errorf("stackexchange: resume %s at byte %d: %w", r.site.Path, start, err)
	}
	r.file = r.site.Name + "/Posts.xml"
	every := r.o.CheckpointBytes
	if every <= 0 {
		every = 32 << 20
	}
	scanner := NewRowScanner(rc, r.site.Name+"/Posts.xml", start)
	next, nextProgress := start+every, start
	for {
		row, err := scanner.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *RowError
		if errors.As(err, &rowErr) {
			if err := r.deadLetter(ctx, rowErr); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			// A truncated or unreadable file: publish what was read, then report where it broke.
			if ferr := r.bt.Finish(ctx, scanner.Offset()); ferr != nil {
				return errors.Join(err, ferr)
			}
			return err
		}
		if err := r.post(ctx, scanner, row); err != nil {
			return err
		}
		if off := scanner.Offset(); off >= next {
			r.bt.Counts().Bytes = off
			if err := r.bt.Flush(ctx, off); err != nil {
				return err
			}
			next = off + every
		}
		if r.o.Progress != nil && scanner.Offset() >= nextProgress {
			r.o.Progress(scanner.Offset(), r.site.PostsSize())
			nextProgress = scanner.Offset() + 1<<20
		}
	}
	r.bt.Counts().Bytes = scanner.Offset()
	if r.o.Progress != nil {
		r.o.Progress(scanner.Offset(), r.site.PostsSize())
	}
	return r.bt.Finish(ctx, scanner.Offset())
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

func (r *reader) post(ctx context.Context, scanner *RowScanner, row []byte) error {
	offset := scanner.RowOffset()
	p, err := ParsePost(row)
	if err != nil {
		return r.deadLetter(ctx, scanner.RowError(row, err))
	}
	var kind, thread string
	switch p.PostTypeID {
	case 1:
		kind, thread = schemas.KindQuestion, strconv.FormatInt(p.ID, 10)
	case 2:
		if p.ParentID <= 0 {
			return r.deadLetter(ctx, scanner.RowError(row, errors.New("answer without ParentId")))
		}
		kind, thread = schemas.KindAnswer, strconv.FormatInt(p.ParentID, 10)
	default:
		r.bt.Counts().Skipped++
		return nil
	}
	return r.bt.Add(ctx, r.document(p, offset, kind, thread))
}

func (r *reader) document(p Post, offset int64, kind, thread string) schemas.Document {
	d := schemas.Document{
		Source: Source, Dump: r.site.Name, ID: strconv.FormatInt(p.ID, 10), ThreadID: thread, Kind: kind,
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
	if r.votes != nil {
		n, _ := r.votes.Lookup(p.ID)
		d.Upvotes = n
	}
	return d
}

// deadLetter records a row that could not be used, with its reason, file and byte offset.
func (r *reader) deadLetter(ctx context.Context, e *RowError) error {
	d := schemas.Document{Source: Source, Dump: r.site.Name, Text: string(e.Row), SourceFile: r.file, Offset: e.Offset, IngestedUnix: r.ingested}
	return r.bt.DeadLetter(ctx, e.Reason, fmt.Sprintf("%s:%d", e.File, e.Offset), d)
}

// parseTime reads the dumps' "2006-01-02T15:04:05.999" times as UTC; 0 when unreadable.
func parseTime(s string) int64 {
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil {
		return 0
	}
	return t.Unix()
}
