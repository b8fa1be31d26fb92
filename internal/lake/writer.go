package lake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// DefaultRowGroupRows is the default cap on the rows of one row group.
const DefaultRowGroupRows = 16384

// Options configure a Writer. The zero value is usable.
type Options struct {
	// RowGroupRows caps the rows of a row group. A full row group is flushed to the temp file, so
	// memory stays bounded whatever the part size. Default DefaultRowGroupRows.
	RowGroupRows int
	// Compression is the Parquet codec. Default zstd at its fastest level.
	Compression compress.Codec
	// FreeText names the columns that hold free text (prompts, answers), as dotted Parquet
	// paths ("prompt", "responses.list.element"): they get no min/max statistics, which would
	// copy whole texts into every page header and the footer, and compare every text with the
	// bounds so far, for bounds no query can use.
	FreeText []string
}

func (o Options) withDefaults() Options {
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = DefaultRowGroupRows
	}
	if o.Compression == nil {
		o.Compression = fastestZstd
	}
	return o
}

// fastestZstd is shared by all writers: a codec pools its encoders and is safe for concurrent use.
var fastestZstd = &zstd.Codec{Level: zstd.SpeedFastest}

var (
	// ErrOutOfOrder is returned by Append for a sequence below the open part's last that the part
	// does not hold. Commit the open part, then append it again.
	ErrOutOfOrder = errors.New("lake: sequence out of order")
	// ErrLocked is returned by OpenWriter when another writer holds the partition.
	ErrLocked = errors.New("partition is held by another writer")

	errClosed = errors.New("lake: writer is closed")
)

// Writer appends the rows of stream messages to the open part of one partition and commits parts
// atomically, recording the exact stream sequences they hold. It is not safe for concurrent use.
//
// After a failed Append or Commit the writer refuses further work: Close it and open a new one,
// which recovers the partition to its last commit.
type Writer[T any] struct {
	dir       string
	opts      Options
	manifest  *os.File // open and locked for the writer's life
	committed Ranges
	part      *part[T]
	err       error
}

type part[T any] struct {
	tmp  *os.File
	out  *hashingWriter
	pw   *parquet.GenericWriter[T]
	seqs Ranges
	nseq int
	rows int
}

// hashingWriter counts and hashes what goes to the file, so committing needs no second read.
type hashingWriter struct {
	f    *os.File
	hash hash.Hash
	n    int64
}

func (h *hashingWriter) Write(p []byte) (int, error) {
	n, err := h.f.Write(p)
	h.hash.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// OpenWriter opens the partition ROOT/dataset/partition for writing, creating it if needed, and
// recovers it from any crash: temp files are deleted, a torn last manifest line is dropped, and a
// part file the manifest does not list is deleted. Such a part was renamed into place but its
// manifest line never became durable, so its messages were never acknowledged and will be
// redelivered; deleting it is always correct, whereas adding it back would need its exact
// sequences, which only the lost manifest line recorded.
func OpenWriter[T any](root, dataset, partition string, o Options) (*Writer[T], error) {
	if err := checkName("dataset", dataset); err != nil {
		return nil, err
	}
	if err := checkName("partition", partition); err != nil {
		return nil, err
	}
	dir := filepath.Join(root, dataset, partition)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lake: %w", err)
	}
	manifest, err := os.OpenFile(filepath.Join(dir, ManifestName), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lake: %w", err)
	}
	if err := lockFile(manifest); err != nil {
		manifest.Close()
		return nil, fmt.Errorf("lake: lock %s: %w", dir, err)
	}
	w := &Writer[T]{dir: dir, opts: o.withDefaults(), manifest: manifest}
	if err := w.recover(); err != nil {
		manifest.Close()
		return nil, err
	}
	// Make the directories themselves durable, in case this call created them.
	for _, d := range []string{dir, filepath.Dir(dir), root} {
		if err := syncDir(d); err != nil {
			manifest.Close()
			return nil, err
		}
	}
	return w, nil
}

func checkName(kind, name string) error {
	if name == "" || name == ".." || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return fmt.Errorf("lake: bad %s name %q", kind, name)
	}
	return nil
}

func (w *Writer[T]) recover() error {
	path := w.manifest.Name()
	entries, complete, err := parseManifest(path, w.manifest)
	if err != nil {
		return err
	}
	st, err := w.manifest.Stat()
	if err != nil {
		return fmt.Errorf("lake: %w", err)
	}
	if st.Size() > complete {
		if err := w.manifest.Truncate(complete); err != nil {
			return fmt.Errorf("lake: drop torn line of %s: %w", path, err)
		}
		if err := w.manifest.Sync(); err != nil {
			return fmt.Errorf("lake: drop torn line of %s: %w", path, err)
		}
	}
	listed := make(map[string]bool, len(entries))
	for _, e := range entries {
		file := filepath.Join(w.dir, e.File)
		st, err := os.Stat(file)
		if err != nil {
			return fmt.Errorf("lake: manifest %s lists %s: %w", path, file, err)
		}
		if st.Size() != e.Bytes {
			return fmt.Errorf("lake: %s is %d bytes, manifest %s says %d", file, st.Size(), path, e.Bytes)
		}
		if listed[e.File] {
			return fmt.Errorf("lake: manifest %s lists %s twice", path, file)
		}
		listed[e.File] = true
		w.committed.union(e.Ranges)
	}
	names, err := os.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("lake: %w", err)
	}
	for _, de := range names {
		name := de.Name()
		isTemp := strings.HasPrefix(name, ".part-") && strings.HasSuffix(name, ".tmp")
		if isTemp || (partName.MatchString(name) && !listed[name]) {
			if err := os.Remove(filepath.Join(w.dir, name)); err != nil {
				return fmt.Errorf("lake: recover: %w", err)
			}
		}
	}
	return nil
}

// Append adds the rows of the message with stream sequence seq to the open part, starting one if
// needed. A seq already committed or already in the open part is ignored, so redeliveries are
// harmless. Rows may be empty: the seq is still recorded.
func (w *Writer[T]) Append(rows []T, seq uint64) error {
	if w.err != nil {
		return w.err
	}
	if w.committed.Contains(seq) {
		return nil
	}
	if p := w.part; p != nil && seq <= p.seqs.Last() {
		if p.seqs.Contains(seq) {
			return nil
		}
		return fmt.Errorf("%w: %d after %d in %s", ErrOutOfOrder, seq, p.seqs.Last(), w.dir)
	}
	if w.part == nil {
		p, err := w.newPart()
		if err != nil {
			return err
		}
		w.part = p
	}
	if _, err := w.part.pw.Write(rows); err != nil {
		return w.fail(fmt.Errorf("lake: append seq %d to %s: %w", seq, w.dir, err))
	}
	w.part.seqs.push(seq)
	w.part.nseq++
	w.part.rows += len(rows)
	return nil
}

func (w *Writer[T]) newPart() (*part[T], error) {
	tmp, err := os.CreateTemp(w.dir, ".part-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("lake: %w", err)
	}
	out := &hashingWriter{f: tmp, hash: sha256.New()}
	options := []parquet.WriterOption{parquet.MaxRowsPerRowGroup(int64(w.opts.RowGroupRows)), parquet.Compression(w.opts.Compression)}
	for _, column := range w.opts.FreeText {
		path := strings.Split(column, ".")
		options = append(options, parquet.SkipPageStatistics(path...), parquet.SkipPageBounds(path...))
	}
	pw := parquet.NewGenericWriter[T](out, options...)
	return &part[T]{tmp: tmp, out: out, pw: pw}, nil
}

// fail drops the open part and refuses further work.
func (w *Writer[T]) fail(err error) error {
	w.dropPart()
	w.err = fmt.Errorf("%w (reopen the writer to recover)", err)
	return err
}

// Pending is what the open part holds: rows, estimated bytes (flushed plus buffered) and messages.
func (w *Writer[T]) Pending() (rows int, bytes int64, seqs int) {
	if w.part == nil {
		return 0, 0, 0
	}
	return w.part.rows, w.part.pw.Size(), w.part.nseq
}

// Commit makes the open part durable: it closes the Parquet writer, fsyncs the temp file, renames
// it to its final name, fsyncs the directory, then appends and fsyncs its manifest line. Only
// once Commit returns are its messages safe to acknowledge. With nothing pending it returns a
// zero Entry.
func (w *Writer[T]) Commit() (Entry, error) {
	if w.err != nil {
		return Entry{}, w.err
	}
	p := w.part
	if p == nil {
		return Entry{}, nil
	}
	e, err := w.commit(p)
	if err != nil {
		return Entry{}, w.fail(fmt.Errorf("lake: commit %s: %w", w.dir, err))
	}
	w.part = nil
	w.committed.union(p.seqs)
	return e, nil
}

func (w *Writer[T]) commit(p *part[T]) (Entry, error) {
	if err := p.pw.Close(); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", p.tmp.Name(), err)
	}
	if err := p.tmp.Sync(); err != nil {
		return Entry{}, fmt.Errorf("sync %s: %w", p.tmp.Name(), err)
	}
	if err := p.tmp.Close(); err != nil {
		return Entry{}, err
	}
	e := Entry{
		File:          partFile(p.seqs[0][0], p.seqs.Last()),
		FirstSeq:      p.seqs[0][0],
		LastSeq:       p.seqs.Last(),
		Seqs:          p.nseq,
		Rows:          int64(p.rows),
		Bytes:         p.out.n,
		SHA256:        hex.EncodeToString(p.out.hash.Sum(nil)),
		CommittedUnix: time.Now().Unix(),
		Ranges:        p.seqs,
	}
	final := filepath.Join(w.dir, e.File)
	if _, err := os.Lstat(final); err == nil {
		return Entry{}, fmt.Errorf("%s already exists", final)
	}
	if err := os.Rename(p.tmp.Name(), final); err != nil {
		return Entry{}, err
	}
	if err := syncDir(w.dir); err != nil {
		return Entry{}, err
	}
	line, err := json.Marshal(e)
	if err != nil {
		return Entry{}, err
	}
	if _, err := w.manifest.Write(append(line, '\n')); err != nil {
		return Entry{}, fmt.Errorf("append to manifest: %w", err)
	}
	if err := w.manifest.Sync(); err != nil {
		return Entry{}, fmt.Errorf("sync manifest: %w", err)
	}
	return e, nil
}

// Committed reports whether the message with stream sequence seq is in a committed part.
func (w *Writer[T]) Committed(seq uint64) bool {
	return w.committed.Contains(seq)
}

// Abort drops the open part. Its messages were not acknowledged and will be redelivered.
func (w *Writer[T]) Abort() error {
	return w.dropPart()
}

func (w *Writer[T]) dropPart() error {
	p := w.part
	if p == nil {
		return nil
	}
	w.part = nil
	p.tmp.Close() // already closed if a commit failed after closing it
	if err := os.Remove(p.tmp.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("lake: abort: %w", err)
	}
	return nil
}

// Close aborts the open part and releases the partition.
func (w *Writer[T]) Close() error {
	if errors.Is(w.err, errClosed) {
		return nil
	}
	err := w.dropPart()
	w.err = errClosed
	if cerr := w.manifest.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("lake: %w", cerr)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("lake: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("lake: sync %s: %w", dir, err)
	}
	return nil
}
