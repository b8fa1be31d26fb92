package prompts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/prefstream/prefstream/ingest"
	"github.com/prefstream/prefstream/ingest/rankings"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

// DeadLetterSource is the dead-letter subject's last token: bad lines of every prompts source go
// to dlq.ingest.prompts.
const DeadLetterSource = "prompts"

// LakeSource is the source of prompts taken from the lake (subject prompts.lake).
const LakeSource = "lake"

// Options of an ingest run.
type Options struct {
	Format Format
	// Source names where the prompts come from: the subject prompts.<source>. Empty: SourceOf
	// each file.
	Source string
	// CheckpointBytes of input (of prompt text, for the lake) between checkpoints (default 32 MiB).
	CheckpointBytes int64
	// Progress, if set, hears the bytes read of the current file, of total (-1 when unknown:
	// a compressed file); for the lake, the rows read of all rows.
	Progress func(read, total int64)
}

// Counts are an ingest's running totals.
type Counts struct {
	// Lines read (blank ones not counted), or, from the lake, rows read.
	Lines   int64 `json:"lines"`
	Prompts int64 `json:"prompts"`
	// Repeats are lake rows whose prompt was already published; Empty are lake rows without one.
	Repeats     int64 `json:"repeats,omitempty"`
	Empty       int64 `json:"empty,omitempty"`
	DeadLetters int64 `json:"dead_letters"`
	Bytes       int64 `json:"bytes"`
	// Batches the server stored, and batches it already had (re-sent after a restart).
	Batches    int64 `json:"batches"`
	Duplicates int64 `json:"duplicates"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Lines += o.Lines
	c.Prompts += o.Prompts
	c.Repeats += o.Repeats
	c.Empty += o.Empty
	c.DeadLetters += o.DeadLetters
	c.Bytes += o.Bytes
	c.Batches += o.Batches
	c.Duplicates += o.Duplicates
}

// Result of ingesting one file, or one lake part.
type Result struct {
	File, Source, Subject string
	Format                Format
	Counts                Counts
	// Skipped: the checkpoint says this input was already ingested completely into this source.
	Skipped bool
}

// Checkpoint is what an ingest remembers of one input (by content) and source: where it resumes
// (a byte offset and line number in a file, a row in a lake part), the number of its next batch,
// the format it detected, and the counts so far.
type Checkpoint struct {
	Identity string `json:"identity"`
	Source   string `json:"source"`
	File     string `json:"file"`
	Format   Format `json:"format,omitempty"`
	Offset   int64  `json:"offset"`
	Line     int64  `json:"line"`
	Batches  int    `json:"batches"`
	Counts   Counts `json:"counts"`
	Done     bool   `json:"done"`
}

// Ingest publishes the prompts of each file to prompts.<source> in batches with deterministic ids
// (a rerun, or a resumed run, stores nothing twice), and dead-letters every line that is not a
// prompt (bad JSON, no or an empty prompt, a bad id, invalid UTF-8) to dlq.ingest.prompts with the
// reason, file, byte offset and line number. Files may be plain, gzip or zstd. A file that cannot
// be read fails with an error naming it; the other files still go through. Prompts repeated in a
// file are published as often as they appear (with the same id).
func Ingest(ctx context.Context, b *bus.Bus, paths []string, o Options) ([]Result, error) {
	if o.Format == "" {
		o.Format = FormatAuto
	}
	if _, err := ParseFormat(string(o.Format)); err != nil {
		return nil, err
	}
	if o.Source != "" {
		if err := CheckSource(o.Source); err != nil {
			return nil, err
		}
	}
	state, err := b.OpenState(ctx, bus.BucketCheckpoints)
	if err != nil {
		return nil, err
	}
	var results []Result
	var errs error
	for _, path := range paths {
		res, err := ingestFile(ctx, b, state, path, o)
		results = append(results, res)
		errs = errors.Join(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return results, errs
}

func ingestFile(ctx context.Context, b *bus.Bus, state bus.State, path string, o Options) (Result, error) {
	source := o.Source
	if source == "" {
		source = SourceOf(path)
	}
	res := Result{File: path, Source: source, Subject: bus.PromptSubject(source)}
	identity, size, compressed, err := rankings.IdentifyFile(path)
	if err != nil {
		return res, renamed{err}
	}
	if compressed {
		size = -1
	}
	cp := Checkpoint{Identity: identity, Source: source, File: filepath.Base(path)}
	key := "prompts/" + source + "/" + identity
	if _, err := state.Load(ctx, key, &cp); err != nil {
		return res, err
	}
	if cp.Format == "" && o.Format != FormatAuto {
		cp.Format = o.Format
	}
	res.Format = cp.Format
	if cp.Done {
		res.Counts, res.Skipped = cp.Counts, true
		return res, nil
	}
	lines, err := rankings.OpenLines(path, cp.Offset, cp.Line)
	if err != nil {
		return res, renamed{err}
	}
	defer lines.Close()
	w := newWriter(b, state, key, &cp)
	position := func() (int64, int64) { return lines.Offset(), lines.Lines() }
	err = rankings.CopyLines(ctx, lines, rankings.CopyOptions{Every: o.CheckpointBytes, Total: size, Progress: o.Progress,
		Bytes: &cp.Counts.Bytes, ReadError: func(err error) error { return renamed{err} },
		Checkpoint: func(done bool) error {
			cp.Done = done
			return w.flush(ctx, position)
		}}, func(l rankings.Line) error { return w.line(ctx, path, l) })
	res.Counts, res.Format = cp.Counts, cp.Format
	return res, err
}

// line publishes or dead-letters one input line; blank lines are skipped. The first non-blank
// line decides the format of a file read with FormatAuto.
func (w *writer) line(ctx context.Context, path string, line rankings.Line) error {
	if len(strings.TrimSpace(string(line.Text))) == 0 && !line.TooLong {
		return nil
	}
	w.cp.Counts.Lines++
	if w.cp.Format == "" {
		w.cp.Format = Detect(line.Text)
	}
	origin := fmt.Sprintf("%s:%d (line %d)", path, line.Offset, line.Number)
	where := map[string]any{"line": line.Number, "format": w.cp.Format}
	if line.TooLong {
		return w.deadLetter(ctx, origin, line.Offset, where, line.Text, fmt.Sprintf("line longer than %d bytes", rankings.MaxLineBytes))
	}
	parse, err := ParserOf(w.cp.Format)
	if err != nil {
		return err
	}
	p, err := parse(line.Text)
	if err != nil {
		return w.deadLetter(ctx, origin, line.Offset, where, line.Text, err.Error())
	}
	prompt := schemas.Prompt{PromptID: p.ID, Text: p.Text, Source: w.cp.Source, SourceFile: w.cp.File, Offset: line.Offset, IngestedUnix: w.ingested}
	if prompt.PromptID == "" {
		prompt.PromptID = schemas.PromptID(prompt.Source, prompt.Text)
	}
	prompt.Split = schemas.SplitOfPrompt(prompt.PromptID)
	return w.add(ctx, prompt, origin, where, line.Text)
}

// writer batches one input's prompts and keeps its checkpoint.
type writer struct {
	b        *bus.Bus
	state    bus.State
	key      string
	cp       *Checkpoint
	pub      *bus.Publisher
	rows     []schemas.Prompt
	size     int
	maxRow   int
	ingested int64
}

func newWriter(b *bus.Bus, state bus.State, key string, cp *Checkpoint) *writer {
	w := &writer{b: b, state: state, key: key, cp: cp, pub: bus.NewPublisher(b.JS, 32),
		maxRow: b.MaxPayload() - 64<<10, ingested: time.Now().Unix()}
	w.pub.OnAck = func(a bus.Ack) {
		if a.Duplicate {
			w.cp.Counts.Duplicates++
		} else {
			w.cp.Counts.Batches++
		}
	}
	return w
}

// add queues a valid prompt (dead-letters one that is not, or that cannot fit in a message) and
// publishes a full batch.
func (w *writer) add(ctx context.Context, p schemas.Prompt, origin string, where map[string]any, raw []byte) error {
	if err := p.Validate(); err != nil {
		return w.deadLetter(ctx, origin, p.Offset, where, raw, strings.TrimPrefix(err.Error(), "schemas: "))
	}
	n := p.Size()
	if n > w.maxRow {
		return w.deadLetter(ctx, origin, p.Offset, where, raw, fmt.Sprintf("prompt of %d bytes exceeds the max payload", n))
	}
	if w.size+n > bus.BatchBytes {
		if err := w.publish(ctx); err != nil {
			return err
		}
	}
	w.cp.Counts.Prompts++
	w.rows = append(w.rows, p)
	w.size += n
	if len(w.rows) >= BatchRows {
		return w.publish(ctx)
	}
	return nil
}

// BatchRows is the most prompts in one message. A message is the unit of work rollout workers
// share (each takes one at a time and a redelivered one is sampled again), so messages are
// small, unlike the 1000-row batches of the dumps.
const BatchRows = 64

// publish sends the pending rows as batch number cp.Batches; the id makes a re-send a duplicate.
func (w *writer) publish(ctx context.Context) error {
	if len(w.rows) == 0 {
		return nil
	}
	batch := ingest.RecordBatch[schemas.Prompt]{Codec: schemas.PromptCodec, Schema: schemas.PromptSchema, Kind: "prompts",
		Source: w.cp.Source, Identity: w.cp.Identity, File: w.cp.File, Subject: bus.PromptSubject(w.cp.Source), N: w.cp.Batches, Rows: w.rows}
	if err := batch.Publish(ctx, w.pub); err != nil {
		return err
	}
	w.cp.Batches++
	clear(w.rows)
	w.rows, w.size = w.rows[:0], 0
	return nil
}

// flush publishes the partial batch, waits until the server has stored everything, and stores
// the checkpoint at the position the input has reached: a rerun resumes from there.
func (w *writer) flush(ctx context.Context, position func() (offset, line int64)) error {
	if err := w.publish(ctx); err != nil {
		return err
	}
	if err := w.pub.Flush(ctx); err != nil {
		return err
	}
	w.cp.Offset, w.cp.Line = position()
	return w.state.Store(ctx, w.key, w.cp)
}

// maxDeadLetterRow caps how much of a bad line a dead letter keeps.
const maxDeadLetterRow = 64 << 10

// deadLetter stores a bad record with its reason on dlq.ingest.prompts, as a Document like every
// ingest's dead letters: the line in Text, the file and position in the lineage fields, where
// (the line number and format, or the lake row) in Extra. Its id (input identity and position) makes a rerun's copy a
// duplicate.
func (w *writer) deadLetter(ctx context.Context, origin string, offset int64, where map[string]any, raw []byte, reason string) error {
	extra, _ := json.Marshal(where)
	doc := schemas.Document{
		Source: w.cp.Source, Dump: w.cp.File, ID: strconv.FormatInt(offset, 10),
		Text: strings.ToValidUTF8(string(raw[:min(len(raw), maxDeadLetterRow)]), "\uFFFD"), Extra: string(extra),
		SourceFile: w.cp.File, Offset: offset, IngestedUnix: w.ingested,
	}
	data, err := schemas.DocumentCodec.Encode([]schemas.Document{doc})
	if err != nil {
		return err
	}
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, schemas.DocumentSchema)
	h.Set(schemas.HeaderDump, w.cp.File)
	msgID := fmt.Sprintf("dlq/prompts/%s/%s/%d", w.cp.Source, w.cp.Identity, offset)
	w.cp.Counts.DeadLetters++
	return bus.DeadLetter(ctx, w.b.JS, bus.DeadLetterSubject("ingest", DeadLetterSource), msgID, data, h, reason, origin)
}

// renamed is an error of the line reader (shared with the rankings ingest) told as the prompts
// ingest's own.
type renamed struct{ err error }

func (e renamed) Error() string { return "prompts: " + strings.TrimPrefix(e.err.Error(), "rankings: ") }
func (e renamed) Unwrap() error { return e.err }

// SourceOf is the default source of a file: its base name without extensions, reduced to
// letters, digits, '-' and '_'; "prompts" when nothing is left.
func SourceOf(path string) string { return ingest.SourceFromFile(path, "prompts") }

// CheckSource accepts a source name usable as a subject token and a lake partition (see
// ingest.CheckSource).
func CheckSource(s string) error {
	if err := ingest.CheckSource(s); err != nil {
		return fmt.Errorf("prompts: %w", err)
	}
	return nil
}
