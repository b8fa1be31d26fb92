package stackexchange

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// scanIDs scans input and returns the Id of each row, with "!" for a
// *RowError, stopping at the first other error.
func scanIDs(t *testing.T, r io.Reader) ([]string, error) {
	t.Helper()
	sc := NewRowScanner(r, "test/Posts.xml", 0)
	var ids []string
	for {
		row, err := sc.Next()
		var rowErr *RowError
		switch {
		case err == io.EOF:
			return ids, nil
		case errors.As(err, &rowErr):
			ids = append(ids, "!")
			continue
		case err != nil:
			return ids, err
		}
		p, err := ParsePost(row)
		if err != nil {
			ids = append(ids, "!"+err.Error())
			continue
		}
		ids = append(ids, strconv.FormatInt(p.ID, 10))
	}
}

func TestRowScannerFormats(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"plain", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<posts>\n  <row Id=\"1\" />\n  <row Id=\"2\" />\n</posts>", "1 2"},
		{"bom", utf8BOM + "<?xml version=\"1.0\"?>\n<posts>\n  <row Id=\"1\" />\n</posts>\n", "1"},
		{"crlf", "<?xml version=\"1.0\"?>\r\n<posts>\r\n  <row Id=\"1\" />\r\n  <row Id=\"2\" />\r\n</posts>\r\n", "1 2"},
		{"several rows per line", "<posts><row Id=\"1\"/><row Id=\"2\" /> <row Id=\"3\"/></posts>", "1 2 3"},
		{"row split across lines", "<posts>\n<row\n Id=\"1\"\r\n Title=\"a\"\n/>\n<row Id=\"2\"\n\t/></posts>", "1 2"},
		{"gt and slash-gt inside values", "<posts><row Id=\"1\" Title=\"a/> >\" /><row Id=\"2\"/></posts>", "1 2"},
		{"single quotes", "<posts><row Id='1' Title='\"/>'/></posts>", "1"},
		{"comments doctype and cdata", "<?xml version=\"1.0\"?><!DOCTYPE posts><!-- <row Id=\"9\"/> --><posts><![CDATA[<row Id=\"8\"/>]]><row Id=\"1\"/></posts>", "1"},
		{"non self-closing rows", "<posts><row Id=\"1\"></row><row Id=\"2\" >\n</row ></posts>", "1 2"},
		{"empty root", "<?xml version=\"1.0\"?>\n<posts/>", ""},
		{"empty root with end tag", "<posts>\n</posts>", ""},
		{"trailing content after root is ignored", "<posts><row Id=\"1\"/></posts>\n<junk", "1"},
		{"not a row element", "<posts><rows Id=\"9\"/><row Id=\"1\"/></posts>", "1"},
		{"unterminated attribute", "<posts><row Id=\"1\" Title=\"abc /><row Id=\"2\"/></posts>", "!stackexchange: attribute Title: unterminated value 2"},
		{"row not closed before the next tag", "<posts><row Id=\"1\" Title=\"abc\n<row Id=\"2\"/></posts>", "! 2"},
		{"resume without a header", "\n  <row Id=\"5\"/>\n  <row Id=\"6\"/>\n</posts>", "5 6"},
	}
	for _, tt := range tests {
		readers := map[string]func(string) io.Reader{
			"whole":    func(s string) io.Reader { return strings.NewReader(s) },
			"one byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
			"half":     func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
		}
		for readerName, newReader := range readers {
			t.Run(tt.name+"/"+readerName, func(t *testing.T) {
				ids, err := scanIDs(t, newReader(tt.input))
				if err != nil {
					t.Fatalf("scan: %v (rows so far %v)", err, ids)
				}
				if got := strings.Join(ids, " "); got != tt.want {
					t.Errorf("rows = %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestRowScannerOffsets(t *testing.T) {
	data, posts := genPostsXML(1, 100<<10)
	sc := NewRowScanner(bytes.NewReader(data), "gen/Posts.xml", 0)
	for i := range posts {
		row, err := sc.Next()
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		elem := data[sc.RowOffset():sc.Offset()]
		if !bytes.HasPrefix(elem, []byte("<row ")) || !bytes.HasSuffix(elem, []byte("/>")) {
			t.Fatalf("row %d: data[RowOffset:Offset] = %.40q...%q, want a whole <row/> element", i, elem, elem[max(0, len(elem)-10):])
		}
		if !bytes.Equal(elem[len("<row"):len(elem)-len("/>")], row) {
			t.Fatalf("row %d: returned bytes are not the element's attributes", i)
		}
	}
}

func TestRowScannerResume(t *testing.T) {
	data, posts := genPostsXML(2, 60<<10)
	offsets := make([]int64, 0, len(posts))
	sc := NewRowScanner(bytes.NewReader(data), "gen/Posts.xml", 0)
	for range posts {
		if _, err := sc.Next(); err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, sc.Offset())
	}
	for k, off := range offsets {
		resumed := NewRowScanner(iotest.HalfReader(bytes.NewReader(data[off:])), "gen/Posts.xml", off)
		for _, want := range posts[k+1:] {
			row, err := resumed.Next()
			if err != nil {
				t.Fatalf("resumed after row %d: %v", k, err)
			}
			p, err := ParsePost(row)
			if err != nil || p.ID != want.id {
				t.Fatalf("resumed after row %d: got id %d (%v), want %d", k, p.ID, err, want.id)
			}
			if got := resumed.RowOffset(); got < off || !bytes.HasPrefix(data[got:], []byte("<row")) {
				t.Fatalf("resumed after row %d: RowOffset %d is not a row start in the file", k, got)
			}
		}
		if _, err := resumed.Next(); err != io.EOF {
			t.Fatalf("resumed after row %d: after the last row got %v, want io.EOF", k, err)
		}
	}
}

func TestRowScannerTruncated(t *testing.T) {
	data, _ := genPostsXML(3, 40<<10)
	lastRowEnd := bytes.LastIndex(data, []byte("/>")) + 2
	cuts := map[string]int{
		"mid-row":                         bytes.Index(data, []byte("<row Id=\"3\"")) + 100,
		"mid-row-start":                   bytes.Index(data, []byte("<row Id=\"3\"")) + 2,
		"inside the last row":             lastRowEnd - 1,
		"after the last row":              lastRowEnd,
		"after the last row and newline":  lastRowEnd + 1,
		"inside the closing root element": len(data) - 2,
		"inside the header":               10,
		"empty":                           0,
	}
	for name, cut := range cuts {
		t.Run(name, func(t *testing.T) {
			sc := NewRowScanner(bytes.NewReader(data[:cut]), "site/Posts.xml", 0)
			var err error
			for err == nil {
				_, err = sc.Next()
			}
			var readErr *ReadError
			if !errors.As(err, &readErr) {
				t.Fatalf("error = %v, want a *ReadError", err)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v does not wrap io.ErrUnexpectedEOF", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "site/Posts.xml") || !strings.Contains(msg, fmt.Sprint(readErr.Offset)) {
				t.Errorf("error %q does not name the file and offset %d", msg, readErr.Offset)
			}
			if readErr.Offset > int64(cut) {
				t.Errorf("offset %d is beyond the end of the input %d", readErr.Offset, cut)
			}
		})
	}
}

func TestRowScannerReadFailure(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("<posts><row Id=\"1\"/>"), iotest.ErrReader(boom))
	sc := NewRowScanner(r, "x.xml", 0)
	var err error
	for err == nil {
		_, err = sc.Next()
	}
	var readErr *ReadError
	if !errors.As(err, &readErr) || !errors.Is(err, boom) {
		t.Fatalf("error = %v, want a *ReadError wrapping the reader's error", err)
	}
}

func TestRowScannerLargeRows(t *testing.T) {
	big := strings.Repeat("&lt;p&gt;word&lt;/p&gt;", 40_000) // ~920 KB, beyond the initial buffer
	input := fmt.Sprintf("<posts><row Id=\"1\" Body=\"%s\"/><row Id=\"2\"/></posts>", big)
	ids, err := scanIDs(t, strings.NewReader(input))
	if err != nil || strings.Join(ids, " ") != "1 2" {
		t.Fatalf("rows %v, err %v", ids, err)
	}
}

func TestRowScannerOversizedRow(t *testing.T) {
	big := strings.Repeat("x", 5000)
	input := fmt.Sprintf("<posts><row Id=\"1\"/><row Id=\"2\" Body=\"%s\"/><row Id=\"3\"/></posts>", big)
	for _, readerName := range []string{"whole", "one byte"} {
		t.Run(readerName, func(t *testing.T) {
			var r io.Reader = strings.NewReader(input)
			if readerName == "one byte" {
				r = iotest.OneByteReader(r)
			}
			sc := NewRowScanner(r, "big.xml", 0)
			sc.maxRow = 1000
			var got []string
			for {
				row, err := sc.Next()
				if err == io.EOF {
					break
				}
				var rowErr *RowError
				if errors.As(err, &rowErr) {
					if rowErr.Offset != int64(strings.Index(input, "<row Id=\"2\"")) || len(rowErr.Row) > maxErrorRowBytes {
						t.Errorf("RowError offset %d, row of %d bytes", rowErr.Offset, len(rowErr.Row))
					}
					got = append(got, "!")
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				p, err := ParsePost(row)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, strconv.FormatInt(p.ID, 10))
			}
			if strings.Join(got, " ") != "1 ! 3" {
				t.Errorf("rows = %v, want [1 ! 3]", got)
			}
		})
	}
}

func TestRowErrorHelper(t *testing.T) {
	input := "<posts><row Id=\"1\"/><row Id=\"x\"/></posts>"
	sc := NewRowScanner(strings.NewReader(input), "site/Posts.xml", 0)
	sc.Next()
	row, _ := sc.Next()
	_, err := ParsePost(row)
	rowErr := newRowError("site/Posts.xml", sc.RowOffset(), err, row)
	want := "stackexchange: site/Posts.xml: bad row at byte offset 20: attribute Id: not an integer: \"x\""
	if rowErr.Error() != want || string(rowErr.Row) != ` Id="x"` {
		t.Errorf("RowError = %q (row %q), want %q", rowErr.Error(), rowErr.Row, want)
	}
}

// repeatReader yields its chunk n times.
type repeatReader struct {
	chunk []byte
	n     int
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	c := copy(p, r.chunk[r.off:])
	if r.off += c; r.off == len(r.chunk) {
		r.off, r.n = 0, r.n-1
	}
	return c, nil
}

func TestRowScannerConstantMemory(t *testing.T) {
	row := []byte(`  <row Id="1" PostTypeId="1" Body="` + strings.Repeat("&lt;p&gt;text&lt;/p&gt;&#xA;", 40) + `" />` + "\n")
	const rows = 64 << 10 // ~70 MB
	r := io.MultiReader(strings.NewReader("<posts>\n"), &repeatReader{chunk: row, n: rows}, strings.NewReader("</posts>"))
	sc := NewRowScanner(r, "big/Posts.xml", 0)
	n := 0
	for {
		if _, err := sc.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != rows || len(sc.buf) != initialBufferBytes {
		t.Errorf("%d rows with a %d byte buffer; want %d rows and no growth past %d", n, len(sc.buf), rows, initialBufferBytes)
	}
	if want := int64(len("<posts>\n") + rows*len(row) - 1); sc.Offset() != want {
		t.Errorf("Offset() = %d, want %d", sc.Offset(), want)
	}
}
