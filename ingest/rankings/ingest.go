package rankings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/prefstream/prefstream/ingest"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/schemas"
)

// DeadLetterSource is the dead-letter subject's last token: bad lines of every rankings source
// go to dlq.ingest.rankings.
const DeadLetterSource = "rankings"

// Options of an ingest run.
type Options struct {
	Format Format
	// Source names where the rankings come from: the subject rankings.<source> and the lake
	// partition source=<source>. Empty: SourceOf each file.
	Source string
	// CheckpointBytes of input between checkpoints (default 32 MiB).
	CheckpointBytes int64
	// Progress, if set, hears the uncompressed bytes read of the current file, of total (-1 when
	// the file is compressed).
	Progress func(read, total int64)
}

// Counts are one file's running totals.
type Counts struct {
	Lines       int64 `json:"lines"`
	Rankings    int64 `json:"rankings"`
	Pairs       int64 `json:"pairs"` // the comparisons the rankings imply
	DeadLetters int64 `json:"dead_letters"`
	Bytes       int64 `json:"bytes"` // uncompressed input read
	// Batches the server stored, and batches it already had (re-sent after a restart).
	Batches    int64 `json:"batches"`
	Duplicates int64 `json:"duplicates"`
}

// Result of ingesting one file.
type Result struct {
	File, Source, Subject string
	Counts                Counts
	// Skipped: the checkpoint says this file was already ingested completely into this source.
	Skipped bool
}

// Checkpoint is what an ingest remembers of one file (by content, see identityOf) and source: the
// line it resumes at, the number of its next batch, and the counts so far.
type Checkpoint struct {
	Identity string `json:"identity"`
	Source   string `json:"source"`
	File     string `json:"file"`
	Offset   int64  `json:"offset"`
	Line     int64  `json:"line"`
	Batches  int    `json:"batches"`
	Counts   Counts `json:"counts"`
	Done     bool   `json:"done"`
}

// Ingest publishes the rankings of each file to rankings.<source>, in batches with deterministic
// ids (a rerun, or a resumed run, stores nothing twice), and dead-letters every line that is not
// a valid ranking to dlq.ingest.rankings with the reason, file, byte offset and line number. A
// file that cannot be read fails with an error naming it; the other files still go through.
func Ingest(ctx context.Context, b *bus.Bus, paths []string, o Options) ([]Result, error) {
	parse, err := ParserOf(o.Format)
	if err != nil {
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
		res, err := ingestFile(ctx, b, state, path, parse, o)
		results = append(results, res)
		errs = errors.Join(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return results, errs
}

func ingestFile(ctx context.Context, b *bus.Bus, state bus.State, path string, parse Parser, o Options) (Result, error) {
	source := o.Source
	if source == "" {
		source = SourceOf(path, o.Format)
	}
	res := Result{File: path, Source: source, Subject: bus.RankingSubject(source)}
	identity, size, compressed, err := IdentifyFile(path)
	if err != nil {
		return res, err
	}
	key := "rankings/" + source + "/" + identity
	cp := Checkpoint{Identity: identity, Source: source, File: filepath.Base(path)}
	if _, err := state.Load(ctx, key, &cp); err != nil {
		return res, err
	}
	if cp.Done {
		res.Counts, res.Skipped = cp.Counts, true
		return res, nil
	}
	lines, err := OpenLines(path, cp.Offset, cp.Line)
	if err != nil {
		return res, err
	}
	defer lines.Close()
	total := size
	if compressed {
		total = -1
	}
	w := &writer{b: b, state: state, key: key, path: path, format: o.Format, cp: &cp,
		pub: bus.NewPublisher(b.JS, 32), maxRow: b.MaxPayload() - 64<<10, ingested: time.Now().Unix()}
	w.pub.OnAck = w.acked
	err = CopyLines(ctx, lines, CopyOptions{Every: o.CheckpointBytes, Total: total, Progress: o.Progress, Bytes: &cp.Counts.Bytes,
		Checkpoint: func(done bool) error {
			cp.Done = done
			return w.flush(ctx, lines)
		}}, func(l Line) error { return w.line(ctx, l, parse) })
	res.Counts = cp.Counts
	return res, err
}

// writer batches one file's rankings and keeps its checkpoint.
type writer struct {
	b        *bus.Bus
	state    bus.State
	key      string
	path     string
	format   Format
	cp       *Checkpoint
	pub      *bus.Publisher
	rows     []schemas.Ranking
	size     int
	maxRow   int
	ingested int64
}

// line publishes or dead-letters one input line; blank lines are skipped.
func (w *writer) line(ctx context.Context, line Line, parse Parser) error {
	if len(strings.TrimSpace(string(line.Text))) == 0 && !line.TooLong {
		return nil
	}
	w.cp.Counts.Lines++
	if line.TooLong {
		return w.deadLetter(ctx, line, fmt.Sprintf("line longer than %d bytes", MaxLineBytes))
	}
	r, err := parse(line.Text)
	if err != nil {
		return w.deadLetter(ctx, line, err.Error())
	}
	r.Source = w.cp.Source
	r.Split = schemas.SplitOfRanking(r.Prompt, r.RankingID)
	r.SourceFile, r.Offset, r.IngestedUnix = w.cp.File, line.Offset, w.ingested
	if n := r.Size(); n > w.maxRow {
		return w.deadLetter(ctx, line, fmt.Sprintf("ranking of %d bytes exceeds the max payload", n))
	}
	w.cp.Counts.Rankings++
	w.cp.Counts.Pairs += int64(len(r.Comparisons()))
	if w.size+r.Size() > bus.BatchBytes {
		if err := w.publish(ctx); err != nil {
			return err
		}
	}
	w.rows = append(w.rows, r)
	w.size += r.Size()
	if len(w.rows) >= bus.BatchRows {
		return w.publish(ctx)
	}
	return nil
}

// publish sends the pending rows as batch number cp.Batches; the id makes a re-send a duplicate.
func (w *writer) publish(ctx context.Context) error {
	if len(w.rows) == 0 {
		return nil
	}
	batch := ingest.RecordBatch[schemas.Ranking]{Codec: schemas.RankingCodec, Schema: schemas.RankingSchema, Kind: "rankings",
		Source: w.cp.Source, Identity: w.cp.Identity, File: w.cp.File, Subject: bus.RankingSubject(w.cp.Source), N: w.cp.Batches, Rows: w.rows}
	if err := batch.Publish(ctx, w.pub); err != nil {
		return err
	}
	w.cp.Batches++
	clear(w.rows)
	w.rows, w.size = w.rows[:0], 0
	return nil
}

func (w *writer) acked(a bus.Ack) {
	if a.Duplicate {
		w.cp.Counts.Duplicates++
	} else {
		w.cp.Counts.Batches++
	}
}

// flush publishes the partial batch, waits until the server has stored everything, and stores
// the checkpoint at the reader's position: a rerun resumes from there.
func (w *writer) flush(ctx context.Context, lines *LineReader) error {
	if err := w.publish(ctx); err != nil {
		return err
	}
	if err := w.pub.Flush(ctx); err != nil {
		return err
	}
	w.cp.Offset, w.cp.Line = lines.Offset(), lines.Lines()
	return w.state.Store(ctx, w.key, w.cp)
}

// maxDeadLetterRow caps how much of a bad line a dead letter keeps.
const maxDeadLetterRow = 64 << 10

// deadLetter stores a bad line with its reason on dlq.ingest.rankings, as a Document like every
// ingest's dead letters: the line in Text, the file and byte offset in the lineage fields, the
// line number and format in Extra. Its id (file identity and offset) makes a rerun's copy a
// duplicate.
func (w *writer) deadLetter(ctx context.Context, line Line, reason string) error {
	extra, _ := json.Marshal(map[string]any{"line": line.Number, "format": w.format})
	doc := schemas.Document{
		Source: w.cp.Source, Dump: w.cp.File, ID: strconv.FormatInt(line.Offset, 10),
		Text: string(line.Text[:min(len(line.Text), maxDeadLetterRow)]), Extra: string(extra),
		SourceFile: w.cp.File, Offset: line.Offset, IngestedUnix: w.ingested,
	}
	data, err := schemas.DocumentCodec.Encode([]schemas.Document{doc})
	if err != nil {
		return err
	}
	h := nats.Header{}
	h.Set(schemas.HeaderSchema, schemas.DocumentSchema)
	h.Set(schemas.HeaderDump, w.cp.File)
	origin := fmt.Sprintf("%s:%d (line %d)", w.path, line.Offset, line.Number)
	msgID := fmt.Sprintf("dlq/rankings/%s/%s/%d", w.cp.Source, w.cp.Identity, line.Offset)
	w.cp.Counts.DeadLetters++
	return bus.DeadLetter(ctx, w.b.JS, bus.DeadLetterSubject("ingest", DeadLetterSource), msgID, data, h, reason, origin)
}

// identityPrefix is how much of a file's start its identity hashes.
const identityPrefix = 64 << 10

// IdentifyFile names a file of lines by content: its base name, size and a hash of its first
// 64 KiB, so a copied or moved file is recognised and a changed one is not. It also says
// whether the file is compressed (gzip or zstd: its size is then not what its lines hold).
// The line ingests (rankings, prompts) key their checkpoints by it.
func IdentifyFile(path string) (identity string, size int64, compressed bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, false, fmt.Errorf("rankings: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, false, fmt.Errorf("rankings: %w", err)
	}
	if fi.IsDir() {
		return "", 0, false, fmt.Errorf("rankings: %s is a directory, want a file of lines", path)
	}
	head := make([]byte, min(fi.Size(), identityPrefix))
	if _, err := io.ReadFull(f, head); err != nil {
		return "", 0, false, fmt.Errorf("rankings: read %s: %w", path, err)
	}
	sum := sha256.Sum256(head)
	compressed = strings.HasPrefix(string(head), gzipMagic) || strings.HasPrefix(string(head), zstdMagic)
	return fmt.Sprintf("%s:%d:%s", filepath.Base(path), fi.Size(), hex.EncodeToString(sum[:8])), fi.Size(), compressed, nil
}

// SourceOf is the default source of a file: "hh-rlhf" for that format, otherwise the file's
// base name without extensions, reduced to letters, digits, '-' and '_'.
func SourceOf(path string, f Format) string {
	if f == FormatHH {
		return "hh-rlhf"
	}
	return ingest.SourceFromFile(path, "rankings")
}

// CheckSource accepts a source name usable as a subject token and a lake partition (see
// ingest.CheckSource).
func CheckSource(s string) error {
	if err := ingest.CheckSource(s); err != nil {
		return fmt.Errorf("rankings: %w", err)
	}
	return nil
}
