package stackexchange

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/ingest"
	"github.com/prefstream/prefstream/internal/leakcheck"
)

// readSequentially is what the post reader must return, computed row by row with the scanner:
// one line per record, "id kind thread offset end" or "skip end" or "bad offset end", then the
// error that ended the input.
func readSequentially(t *testing.T, data []byte) ([]string, error) {
	t.Helper()
	sc := NewRowScanner(bytes.NewReader(data), "t/Posts.xml", 0)
	var out []string
	for {
		row, err := sc.Next()
		var rowErr *RowError
		switch {
		case errors.As(err, &rowErr):
			out = append(out, fmt.Sprintf("bad %d %d", rowErr.Offset, sc.Offset()))
			continue
		case err != nil:
			return out, err
		}
		p, err := ParsePost(row)
		switch {
		case err != nil, p.PostTypeID == PostTypeAnswer && p.ParentID <= 0:
			out = append(out, fmt.Sprintf("bad %d %d", sc.RowOffset(), sc.Offset()))
		case p.PostTypeID == PostTypeQuestion:
			out = append(out, fmt.Sprintf("%d question %d %d %d", p.ID, p.ID, sc.RowOffset(), sc.Offset()))
		case p.PostTypeID == PostTypeAnswer:
			out = append(out, fmt.Sprintf("%d answer %d %d %d", p.ID, p.ParentID, sc.RowOffset(), sc.Offset()))
		default:
			out = append(out, fmt.Sprintf("skip %d", sc.Offset()))
		}
	}
}

func readInParallel(data []byte) ([]string, error) {
	r := newPostReader(NewRowScanner(bytes.NewReader(data), "t/Posts.xml", 0), "t", "t/Posts.xml", nil, 0)
	defer r.close()
	var out []string
	for {
		d, err := r.Next()
		var bad *ingest.BadRecord
		switch {
		case errors.As(err, &bad):
			out = append(out, fmt.Sprintf("bad %d %d", bad.Offset, r.Offset()))
		case errors.Is(err, ingest.ErrSkip):
			out = append(out, fmt.Sprintf("skip %d", r.Offset()))
		case err != nil:
			return out, err
		default:
			out = append(out, fmt.Sprintf("%s %s %s %d %d", d.ID, d.Kind, d.ThreadID, d.Offset, r.Offset()))
		}
	}
}

// mixedPosts is a Posts.xml of n rows with, every so often, a row the scanner refuses, a row
// ParsePost refuses, an answer without a parent and a post type the recipe does not use.
func mixedPosts(n int) []byte {
	var b strings.Builder
	b.WriteString(utf8BOM + "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<posts>\r\n")
	for i := 1; i <= n; i++ {
		switch {
		case i%397 == 0:
			fmt.Fprintf(&b, "  <row Id=\"%d\" Title=\"never closed\r\n", i)
		case i%211 == 0:
			fmt.Fprintf(&b, "  <row Id=\"%d\" Score=\"ten\" />\r\n", i)
		case i%173 == 0:
			fmt.Fprintf(&b, "  <row Id=\"%d\" PostTypeId=\"2\" Body=\"orphan\" />\r\n", i)
		case i%101 == 0:
			fmt.Fprintf(&b, "  <row Id=\"%d\" PostTypeId=\"5\" Body=\"wiki\" />\r\n", i)
		case i%3 == 0:
			fmt.Fprintf(&b, "  <row Id=\"%d\" PostTypeId=\"1\" Title=\"q%d\" Body=\"&lt;p&gt;%s&lt;/p&gt;\" />\r\n", i, i, strings.Repeat("x", i%700))
		default:
			fmt.Fprintf(&b, "  <row Id=\"%d\" PostTypeId=\"2\" ParentId=\"%d\" Score=\"%d\" Body=\"a%d\" />\r\n", i, i-i%3, i%7, i)
		}
	}
	b.WriteString("</posts>\r\n")
	return []byte(b.String())
}

func TestPostReaderMatchesSequentialReading(t *testing.T) {
	full := mixedPosts(5000)
	generated, _ := genPostsXML(3, 2<<20)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty root", []byte("<posts/>")},
		{"one row", []byte(`<posts><row Id="1" PostTypeId="1" Title="t" /></posts>`)},
		{"mixed rows over many chunks", full},
		{"generated site", generated},
		{"truncated inside a row", full[:len(full)*2/3]},
		{"no closing root element", full[:len(full)-len("</posts>\r\n")]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := readSequentially(t, tt.data)
			if tt.name == "mixed rows over many chunks" {
				joined := strings.Join(want, "\n")
				for _, kind := range []string{"bad", "skip", "question", "answer"} {
					if !strings.Contains(joined, kind) {
						t.Fatalf("the input has no %s record", kind)
					}
				}
			}
			got, gotErr := readInParallel(tt.data)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("ending error = %v, want %v", gotErr, wantErr)
			}
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("record %d = %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

func TestPostReaderCloseMidway(t *testing.T) {
	goroutinesEnded := leakcheck.Goroutines(t)
	data := mixedPosts(20000)
	r := newPostReader(NewRowScanner(bytes.NewReader(data), "t/Posts.xml", 0), "t", "t/Posts.xml", nil, 0)
	for range 10 {
		if _, err := r.Next(); err != nil && !errors.Is(err, ingest.ErrSkip) {
			var bad *ingest.BadRecord
			if !errors.As(err, &bad) {
				t.Fatal(err)
			}
		}
	}
	r.close()
	goroutinesEnded()
}

func TestPostReaderReadFailure(t *testing.T) {
	data := mixedPosts(3000)
	failing := io.MultiReader(bytes.NewReader(data[:len(data)/2]), &failingReader{})
	r := newPostReader(NewRowScanner(failing, "t/Posts.xml", 0), "t", "t/Posts.xml", nil, 0)
	defer r.close()
	for {
		_, err := r.Next()
		var bad *ingest.BadRecord
		if err == nil || errors.Is(err, ingest.ErrSkip) || errors.As(err, &bad) {
			continue
		}
		var readErr *ReadError
		if !errors.As(err, &readErr) {
			t.Fatalf("error %v, want a *ReadError", err)
		}
		if r.Offset() <= 0 || r.Offset() > int64(len(data)/2) {
			t.Fatalf("offset %d after the failure, want within the %d bytes read", r.Offset(), len(data)/2)
		}
		if _, again := r.Next(); fmt.Sprint(again) != fmt.Sprint(err) {
			t.Fatalf("Next after the failure = %v, want the same error", again)
		}
		return
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
