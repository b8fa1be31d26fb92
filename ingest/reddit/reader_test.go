package reddit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/zstd"
	"github.com/prefstream/prefstream/internal/leakcheck"
)

// readAll reads r to its end and returns the records; any error fails t.
func readAll(t testing.TB, r *Reader) []Record {
	t.Helper()
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatalf("Next after %d records: %v", len(recs), err)
		}
		recs = append(recs, rec)
	}
}

// wantRecord is what the reader must make of a generated comment.
func (c genComment) wantRecord() Record {
	r := Record{
		Kind: Comment, ID: "t1_" + c.id, LinkID: c.link, ParentID: c.parent, Author: c.author,
		Subreddit: c.subreddit, Body: htmlUnescaper.Replace(c.body), Score: c.score, CreatedUTC: c.created,
		Distinguished: c.distinguished,
	}
	if c.body == "[deleted]" || c.body == "[removed]" {
		r.Body, r.Deleted = "", true
	}
	if c.author == "[deleted]" {
		r.Author, r.AuthorDeleted = "", true
	}
	return r
}

func checkGenerated(t *testing.T, recs []Record, comments []genComment, data []byte) {
	t.Helper()
	if len(recs) != len(comments) {
		t.Fatalf("got %d records, want %d", len(recs), len(comments))
	}
	for i, rec := range recs {
		want := comments[i].wantRecord()
		want.Offset = rec.Offset
		if rec != want {
			t.Fatalf("record %d:\n got %+v\nwant %+v", i, rec, want)
		}
		if rec.Offset != 0 && data[rec.Offset-1] != '\n' {
			t.Fatalf("record %d: offset %d is not at a line start", i, rec.Offset)
		}
		if i > 0 && rec.Offset <= recs[i-1].Offset {
			t.Fatalf("record %d: offset %d not after %d", i, rec.Offset, recs[i-1].Offset)
		}
	}
}

func TestReaderOrderWithWorkers(t *testing.T) {
	data, comments := genNDJSON(7, 5<<20) // several chunks
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprint(workers, "workers"), func(t *testing.T) {
			r := NewReader(bytes.NewReader(data), "RC_2015-01.ndjson", 0, workers)
			defer r.Close()
			checkGenerated(t, readAll(t, r), comments, data)
			if r.Offset() != int64(len(data)) {
				t.Errorf("Offset at end = %d, want %d", r.Offset(), len(data))
			}
		})
	}
}

func TestReaderSmallReads(t *testing.T) {
	data, comments := genNDJSON(8, 300<<10)
	r := NewReader(iotest.HalfReader(iotest.OneByteReader(bytes.NewReader(data))), "x.ndjson", 0, 2)
	defer r.Close()
	checkGenerated(t, readAll(t, r), comments, data)
}

func TestReaderBadLineThenNext(t *testing.T) {
	good1 := `{"id":"a","link_id":"t3_s","body":"one"}`
	bad := `{"id":"b","link_id":"t3_s","body":"two"`
	good2 := `{"id":"c","link_id":"t3_s","body":"three"}`
	input := good1 + "\n" + bad + "\r\n\n  \n" + good2 // no final newline
	r := NewReader(strings.NewReader(input), "RC_test.ndjson", 100, 2)
	defer r.Close()

	rec, err := r.Next()
	if err != nil || rec.Body != "one" || rec.Offset != 100 {
		t.Fatalf("first Next = %+v, %v", rec, err)
	}
	_, err = r.Next()
	var rowErr *RowError
	if !errors.As(err, &rowErr) {
		t.Fatalf("second Next: %v, want a *RowError", err)
	}
	wantOffset := int64(100 + len(good1) + 1)
	if rowErr.Line != 2 || rowErr.Offset != wantOffset || string(rowErr.Row) != bad || rowErr.File != "RC_test.ndjson" {
		t.Errorf("RowError = line %d offset %d row %q file %q; want line 2 offset %d row %q",
			rowErr.Line, rowErr.Offset, rowErr.Row, rowErr.File, wantOffset, bad)
	}
	if !strings.HasPrefix(err.Error(), "reddit: RC_test.ndjson: bad line 2") {
		t.Errorf("Error() = %q", err)
	}
	if got, want := r.Offset(), wantOffset+int64(len(bad))+2; got != want {
		t.Errorf("Offset after the bad line = %d, want %d", got, want)
	}
	rec, err = r.Next()
	if err != nil || rec.Body != "three" {
		t.Fatalf("third Next = %+v, %v", rec, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("fourth Next: %v, want io.EOF", err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after EOF: %v, want io.EOF again", err)
	}
	if r.Offset() != int64(100+len(input)) {
		t.Errorf("final Offset = %d, want %d", r.Offset(), 100+len(input))
	}
}

func TestReaderLongLine(t *testing.T) {
	long := `{"id":"b","link_id":"t3_s","body":"` + strings.Repeat("x", maxLineBytes) + `"}`
	input := `{"id":"a","link_id":"t3_s","body":"one"}` + "\n" + long + "\n" + `{"id":"c","link_id":"t3_s","body":"three"}` + "\n"
	r := NewReader(strings.NewReader(input), "RC_test.ndjson", 0, 2)
	defer r.Close()
	if rec, err := r.Next(); err != nil || rec.Body != "one" {
		t.Fatalf("first Next = %+v, %v", rec, err)
	}
	_, err := r.Next()
	var rowErr *RowError
	if !errors.As(err, &rowErr) || !strings.Contains(rowErr.Reason, "longer than") || rowErr.Line != 2 || len(rowErr.Row) != maxErrorRowBytes {
		t.Fatalf("second Next: %v, want a *RowError for line 2 with a clipped row", err)
	}
	if rec, err := r.Next(); err != nil || rec.Body != "three" || rec.Offset != int64(strings.LastIndex(input[:len(input)-1], "\n")+1) {
		t.Fatalf("third Next = %+v, %v", rec, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("fourth Next: %v, want io.EOF", err)
	}
}

func TestReaderReadError(t *testing.T) {
	data, _ := genNDJSON(9, 3<<20)
	broken := io.MultiReader(bytes.NewReader(data[:2<<20+17]), iotest.ErrReader(errors.New("disk on fire")))
	r := NewReader(broken, "RC_x.ndjson", 0, 2)
	defer r.Close()
	var n int
	var err error
	for err == nil {
		_, err = r.Next()
		n++
	}
	var readErr *ReadError
	if !errors.As(err, &readErr) || readErr.Offset != 2<<20+17 || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("after %d records: %v, want a *ReadError at %d", n, err, 2<<20+17)
	}
	if want := bytes.Count(data[:2<<20+17], []byte{'\n'}); n-1 != want {
		t.Errorf("read %d records before the error, want every complete line (%d)", n-1, want)
	}
	if _, again := r.Next(); again != err {
		t.Errorf("Next after a ReadError = %v, want the same error", again)
	}
}

func writeZstd(t *testing.T, path string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, zstd.WithWindowSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenZstdAndPlain(t *testing.T) {
	data, comments := genNDJSON(10, 2<<20)
	dir := t.TempDir()
	zst := filepath.Join(dir, "RC_2015-01.zst")
	plain := filepath.Join(dir, "RC_2015-01.ndjson")
	writeZstd(t, zst, data)
	if err := os.WriteFile(plain, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{zst, plain} {
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		checkGenerated(t, readAll(t, r), comments, data)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTruncatedZstd(t *testing.T) {
	data, _ := genNDJSON(11, 2<<20)
	dir := t.TempDir()
	full := filepath.Join(dir, "full.zst")
	writeZstd(t, full, data)
	compressed, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "RC_2015-01.zst")
	if err := os.WriteFile(truncated, compressed[:len(compressed)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(truncated)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkTruncated(t, r, truncated, data)
}

// checkTruncated reads a truncated file: whole lines, then a *ReadError that
// names the file and the uncompressed offset.
func checkTruncated(t *testing.T, r *Reader, path string, data []byte) {
	t.Helper()
	var recs int
	var err error
	for {
		if _, err = r.Next(); err != nil {
			break
		}
		recs++
	}
	var readErr *ReadError
	if !errors.As(err, &readErr) {
		t.Fatalf("after %d records: %v, want a *ReadError", recs, err)
	}
	if readErr.File != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), fmt.Sprint(readErr.Offset)) {
		t.Errorf("ReadError %q does not name file %s and offset %d", err, path, readErr.Offset)
	}
	if readErr.Offset <= 0 || readErr.Offset >= int64(len(data)) || r.Offset() > readErr.Offset {
		t.Errorf("ReadError offset %d, reader offset %d, input %d bytes", readErr.Offset, r.Offset(), len(data))
	}
	if want := bytes.Count(data[:r.Offset()], []byte{'\n'}); recs != want || recs == 0 {
		t.Errorf("read %d records before the error, want %d (> 0)", recs, want)
	}
}

func TestResumeFromOffset(t *testing.T) {
	data, comments := genNDJSON(12, 3<<20)
	dir := t.TempDir()
	zst := filepath.Join(dir, "RC_2015-01.zst")
	plain := filepath.Join(dir, "RC_2015-01.ndjson")
	writeZstd(t, zst, data)
	if err := os.WriteFile(plain, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{zst, plain} {
		t.Run(filepath.Ext(path), func(t *testing.T) {
			first, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			const k = 1234
			for range k {
				if _, err := first.Next(); err != nil {
					t.Fatal(err)
				}
			}
			offset := first.Offset()
			first.Close()

			resumed, err := OpenAt(path, offset)
			if err != nil {
				t.Fatal(err)
			}
			defer resumed.Close()
			recs := readAll(t, resumed)
			if len(recs) != len(comments)-k {
				t.Fatalf("resumed: %d records, want %d", len(recs), len(comments)-k)
			}
			if recs[0].Offset != offset || recs[0].ID != "t1_"+comments[k].id {
				t.Errorf("first resumed record %s at %d, want t1_%s at %d", recs[0].ID, recs[0].Offset, comments[k].id, offset)
			}
			checkGenerated(t, recs, comments[k:], data)
		})
	}
	if _, err := OpenAt(zst, int64(len(data))+10); err == nil {
		t.Error("OpenAt past the end of a .zst: no error")
	}
}

func TestCloseMidStream(t *testing.T) {
	data, _ := genNDJSON(13, 4<<20)
	goroutinesEnded := leakcheck.Goroutines(t)
	r := NewReader(bytes.NewReader(data), "RC_x.ndjson", 0, 2)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v, want an error", err)
	}
	goroutinesEnded()
}

func TestKindFromFileName(t *testing.T) {
	line := `{"id":"x1","score":3,"link_id":"t3_s"}` + "\n"
	for name, want := range map[string]Kind{"RS_2019-10.ndjson": Submission, "RC_2019-10.ndjson": Comment} {
		r := NewReader(strings.NewReader(line), name, 0, 1)
		rec, err := r.Next()
		r.Close()
		if err != nil || rec.Kind != want {
			t.Errorf("%s: %+v, %v; want kind %v", name, rec, err, want)
		}
	}
	r := NewReader(strings.NewReader(line), "comments.ndjson", 0, 1)
	defer r.Close()
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "cannot tell") {
		t.Errorf("no kind from name or keys: %v, want a *RowError", err)
	}
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "RC_none.zst"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "reddit: ") {
		t.Errorf("Open of a missing file: %v", err)
	}
}

func TestRowErrorLineAcrossChunks(t *testing.T) {
	data, comments := genNDJSON(14, 3<<20)
	lines := bytes.SplitAfter(data, []byte("\n"))
	const badAt = 3000 // 0-based index of the bad line
	bad := []byte(`{"id":"zz","body":` + "\n")
	input := bytes.Join(slices.Concat(lines[:badAt], [][]byte{bad}, lines[badAt:]), nil)
	r := NewReader(bytes.NewReader(input), "RC_x.ndjson", 0, 2)
	defer r.Close()
	var recs []Record
	var rowErrs []*RowError
	for {
		rec, err := r.Next()
		var rowErr *RowError
		switch {
		case err == io.EOF:
			if len(rowErrs) != 1 || rowErrs[0].Line != badAt+1 || rowErrs[0].Offset != int64(len(bytes.Join(lines[:badAt], nil))) {
				t.Fatalf("row errors %+v, want one at line %d", rowErrs, badAt+1)
			}
			if len(recs) != len(comments) || recs[badAt].ID != "t1_"+comments[badAt].id {
				t.Fatalf("%d records around the bad line, want %d", len(recs), len(comments))
			}
			return
		case errors.As(err, &rowErr):
			rowErrs = append(rowErrs, rowErr)
		case err != nil:
			t.Fatal(err)
		default:
			recs = append(recs, rec)
		}
	}
}
