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
	if unix, ok := parseDumpTime(s); ok {
		return unix
	}
	t, err := time.Parse(dumpTimeLayout, s)
	if err != nil {
		return 0
	}
	return t.Unix()
}

const dumpTimeLayout = "2006-01-02T15:04:05.999999999"

// parseDumpTime reads the form every dump row has, YYYY-MM-DDTHH:MM:SS with an optional
// fraction of up to 9 digits, without time.Parse's layout interpretation (a tenth of the
// cost); ok is false for anything else, which time.Parse then decides.
func parseDumpTime(s string) (unix int64, ok bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	if frac := s[19:]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 || !allDigits(frac[1:]) {
			return 0, false
		}
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	second, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > 28 && day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || second > 59 {
		return 0, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, 0, time.UTC).Unix(), true
}

func digits(s string) (int, bool) {
	n := 0
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func allDigits(s string) bool {
	_, ok := digits(s)
	return ok
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
