package stackexchange

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

const (
	// DefaultUpvoteBufferIDs is the number of post ids CountUpvotes holds in
	// memory (8 bytes each, and as much again to radix-sort them) before
	// spilling a sorted run to disk.
	DefaultUpvoteBufferIDs = 4 << 20
	// maxMergeFanIn bounds the run files open at once; when reached, the runs
	// are merged into one.
	maxMergeFanIn  = 64
	runBufferBytes = 32 << 10
)

// Upvotes is a cursor over the upvote counts of Votes.xml, ordered by post
// id, for a merge-join with Posts.xml.
type Upvotes struct {
	VoteRows      int64 // rows read from Votes.xml, malformed ones included
	UpvoteRows    int64 // rows with VoteTypeId 2
	MalformedRows int64 // rows skipped because they could not be parsed

	runs    *runMerger
	readers []*os.File // run files open for the merge
	paths   []string   // temporary files to remove on Close
	head    idCount
	ahead   bool // head holds the next unconsumed count
	err     error
	looked  bool
	lastID  int64
	lastN   int64
}

type idCount struct{ id, n int64 }

// CountUpvotes counts the VoteTypeId=2 votes per PostId of a Votes.xml
// stream with bounded memory: post ids are buffered (bufferIDs of them, or
// DefaultUpvoteBufferIDs when bufferIDs <= 0), sorted and run-length encoded
// into temporary run files in tmpDir when the buffer is full, and the runs
// are merged lazily by Lookup. Malformed rows are counted, not fatal; a
// truncated or unreadable file is. Close the result to remove its files.
func CountUpvotes(r io.Reader, name string, tmpDir string, bufferIDs int) (*Upvotes, error) {
	if bufferIDs <= 0 {
		bufferIDs = DefaultUpvoteBufferIDs
	}
	c := &upvoteCounter{tmpDir: tmpDir, limit: bufferIDs, u: &Upvotes{}}
	if err := c.count(NewRowScanner(r, name, 0)); err != nil {
		return nil, errors.Join(err, c.u.Close())
	}
	if err := c.finish(); err != nil {
		return nil, errors.Join(err, c.u.Close())
	}
	return c.u, nil
}

type upvoteCounter struct {
	tmpDir  string
	limit   int
	ids     []int64
	scratch []int64  // the radix sort's, as long as ids
	spills  []string // sorted run files not merged yet
	u       *Upvotes
}

func (c *upvoteCounter) count(sc *RowScanner) error {
	rows := startRows(sc, parseVoteRow)
	defer rows.close()
	for {
		chunk := rows.next()
		for i := range chunk.rows {
			if err := c.add(&chunk.rows[i]); err != nil {
				return err
			}
		}
		end := chunk.end
		rows.release(chunk)
		if end == io.EOF {
			return nil
		}
		if end != nil {
			return end
		}
	}
}

// parseVoteRow runs on the parsing goroutines.
func parseVoteRow(data []byte, row *chunkRow) {
	postID, voteType, err := ParseVote(data[row.lo:row.hi])
	row.id, row.upvote, row.err = postID, voteType == VoteTypeUpMod, err
}

func (c *upvoteCounter) add(row *chunkRow) error {
	c.u.VoteRows++
	if row.err != nil {
		c.u.MalformedRows++
		return nil
	}
	if !row.upvote {
		return nil
	}
	c.u.UpvoteRows++
	if len(c.ids) == cap(c.ids) {
		// Grow by doubling, as append would, but never past the limit.
		c.ids = slices.Grow(c.ids, min(max(cap(c.ids), 1024), c.limit-len(c.ids)))
	}
	c.ids = append(c.ids, row.id)
	if len(c.ids) < c.limit {
		return nil
	}
	return c.spill()
}

// spill writes the buffered ids as a sorted run file, merging the run files
// into one when there are too many to open at once.
func (c *upvoteCounter) spill() error {
	c.scratch = sortIDs(c.ids, c.scratch)
	path, err := c.writeRunFile(func(w io.Writer) error { return encodeRun(w, c.ids) })
	if err != nil {
		return err
	}
	c.ids = c.ids[:0]
	c.spills = append(c.spills, path)
	if len(c.spills) < maxMergeFanIn {
		return nil
	}
	return c.mergeSpills()
}

func (c *upvoteCounter) mergeSpills() error {
	merged, files, err := openRuns(c.spills, nil)
	if err != nil {
		return err
	}
	path, err := c.writeRunFile(merged.writeTo)
	closeAll(files)
	if err != nil {
		return err
	}
	for _, old := range c.spills {
		if err := c.u.removeRun(old); err != nil {
			return err
		}
	}
	c.spills = append(c.spills[:0], path)
	return nil
}

// finish keeps the last, partial buffer as an in-memory run and opens the
// merge of all runs.
func (c *upvoteCounter) finish() error {
	sortIDs(c.ids, c.scratch)
	c.scratch = nil
	var last bytes.Buffer
	if err := encodeRun(&last, c.ids); err != nil {
		return err
	}
	c.ids = nil
	runs, files, err := openRuns(c.spills, &last)
	if err != nil {
		return err
	}
	c.u.runs, c.u.readers = runs, files
	return nil
}

func (c *upvoteCounter) writeRunFile(write func(io.Writer) error) (string, error) {
	f, err := os.CreateTemp(c.tmpDir, "prefstream-upvotes-*.run")
	if err != nil {
		return "", fmt.Errorf("stackexchange: creating upvote run: %w", err)
	}
	c.u.paths = append(c.u.paths, f.Name()) // removed by Close, even on failure
	w := bufio.NewWriterSize(f, runBufferBytes)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return "", fmt.Errorf("stackexchange: writing upvote run: %w", err)
	}
	return f.Name(), nil
}

// openRuns opens a merge of the run files at paths and the in-memory run,
// and returns the files to close after the merge.
func openRuns(paths []string, inMemory io.ByteReader) (*runMerger, []*os.File, error) {
	var readers []*runReader
	var files []*os.File
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			closeAll(files)
			return nil, nil, fmt.Errorf("stackexchange: opening upvote run: %w", err)
		}
		files = append(files, f)
		readers = append(readers, &runReader{r: bufio.NewReaderSize(f, runBufferBytes)})
	}
	if inMemory != nil {
		readers = append(readers, &runReader{r: inMemory})
	}
	return newRunMerger(readers), files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close() // read-only: nothing to lose
	}
}

// Lookup returns the upvote count of postID. Calls must have non-decreasing
// post ids; a smaller id than the previous call's, or a failure reading the
// runs (see Err), returns (0, false) so that the caller falls back to Score.
func (u *Upvotes) Lookup(postID int64) (n int64, ok bool) {
	if u.err != nil || u.runs == nil {
		return 0, false
	}
	if u.looked {
		if postID < u.lastID {
			return 0, false
		}
		if postID == u.lastID {
			return u.lastN, true
		}
	}
	for u.advanceTo(postID) && u.head.id == postID {
		n += u.head.n
		u.ahead = false
	}
	if u.runs.err != nil {
		u.err = fmt.Errorf("stackexchange: %w", u.runs.err)
		return 0, false
	}
	u.looked, u.lastID, u.lastN = true, postID, n
	return n, true
}

// advanceTo skips counts of ids below postID and reports whether a count
// is ahead.
func (u *Upvotes) advanceTo(postID int64) bool {
	for {
		if !u.ahead {
			u.head, u.ahead = u.runs.next()
		}
		if !u.ahead || u.head.id >= postID {
			return u.ahead
		}
		u.ahead = false
	}
}

// Err reports a failure reading the temporary runs during Lookup.
func (u *Upvotes) Err() error { return u.err }

// Close removes the temporary run files.
func (u *Upvotes) Close() error {
	u.runs = nil
	closeAll(u.readers)
	u.readers = nil
	var errs []error
	for len(u.paths) > 0 {
		errs = append(errs, u.removeRun(u.paths[0]))
	}
	return errors.Join(errs...)
}

func (u *Upvotes) removeRun(path string) error {
	u.paths = slices.DeleteFunc(u.paths, func(p string) bool { return p == path })
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stackexchange: removing upvote run: %w", err)
	}
	return nil
}

// encodeRun writes sorted ids as (id delta, count) varint pairs.
func encodeRun(w io.Writer, sorted []int64) error {
	var scratch [2 * binary.MaxVarintLen64]byte
	prev := int64(0)
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		if err := writeCount(w, scratch[:0], &prev, idCount{sorted[i], int64(j - i)}); err != nil {
			return err
		}
		i = j
	}
	return nil
}

func writeCount(w io.Writer, scratch []byte, prev *int64, c idCount) error {
	buf := binary.AppendVarint(scratch, c.id-*prev)
	buf = binary.AppendUvarint(buf, uint64(c.n))
	*prev = c.id
	_, err := w.Write(buf)
	return err
}

type runReader struct {
	r    io.ByteReader
	prev int64
	err  error
}

func (rr *runReader) next() (idCount, bool) {
	delta, err := binary.ReadVarint(rr.r)
	if err == io.EOF {
		return idCount{}, false
	}
	var n uint64
	if err == nil {
		n, err = binary.ReadUvarint(rr.r)
	}
	if err != nil {
		rr.err = fmt.Errorf("reading upvote run: %w", noEOF(err))
		return idCount{}, false
	}
	rr.prev += delta
	return idCount{rr.prev, int64(n)}, true
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// runMerger merges sorted runs into one sorted stream, summing the counts of
// equal ids.
type runMerger struct {
	heads mergeHeap
	err   error
}

type mergeHead struct {
	cur idCount
	src *runReader
}

func newRunMerger(readers []*runReader) *runMerger {
	m := &runMerger{}
	for _, rr := range readers {
		m.push(rr)
	}
	heap.Init(&m.heads)
	return m
}

func (m *runMerger) push(rr *runReader) {
	if c, ok := rr.next(); ok {
		m.heads = append(m.heads, mergeHead{c, rr})
	} else if rr.err != nil {
		m.err = rr.err
	}
}

func (m *runMerger) next() (idCount, bool) {
	if m.err != nil || len(m.heads) == 0 {
		return idCount{}, false
	}
	out := idCount{id: m.heads[0].cur.id}
	for len(m.heads) > 0 && m.heads[0].cur.id == out.id {
		out.n += m.heads[0].cur.n
		m.advanceTop()
	}
	return out, m.err == nil
}

func (m *runMerger) advanceTop() {
	top := &m.heads[0]
	if c, ok := top.src.next(); ok {
		top.cur = c
		heap.Fix(&m.heads, 0)
		return
	}
	if top.src.err != nil {
		m.err = top.src.err
	}
	heap.Pop(&m.heads)
}

func (m *runMerger) writeTo(w io.Writer) error {
	var scratch [2 * binary.MaxVarintLen64]byte
	prev := int64(0)
	for c, ok := m.next(); ok; c, ok = m.next() {
		if err := writeCount(w, scratch[:0], &prev, c); err != nil {
			return err
		}
	}
	return m.err
}

type mergeHeap []mergeHead

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return h[i].cur.id < h[j].cur.id }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(mergeHead)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
