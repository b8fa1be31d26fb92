package stackexchange

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParsePost(f *testing.F) {
	f.Add([]byte(` Id="1" PostTypeId="1" Score="3" Title="a &amp; b" Tags="&lt;x&gt;&lt;y&gt;" Body="&lt;p&gt;hi&lt;/p&gt;&#xA;"`))
	f.Add([]byte(` Id='2' ParentId='1' Tags='|a|b|' OwnerUserId='-1' DeletionDate='x'`))
	f.Add([]byte(` Id="3" Title="&#x1F600;&#65;&#0;&bogus;&lt"`))
	f.Add([]byte(` Id = "4"` + "\r\n" + `Score="x`))
	data, _ := genPostsXML(5, 4<<10)
	f.Add(data)
	f.Fuzz(func(t *testing.T, row []byte) {
		p, err := ParsePost(row)
		if err != nil {
			return
		}
		if bytes.Contains([]byte(p.Tags), []byte("||")) || bytes.ContainsAny([]byte(p.Tags), "<>") {
			t.Errorf("tags %q not normalised", p.Tags)
		}
		if len(p.Title)+len(p.Body)+len(p.Tags)+len(p.CreationDate)+len(p.OwnerDisplayName) > 4*len(row) {
			t.Errorf("decoded text larger than the row")
		}
	})
}

func FuzzRowScanner(f *testing.F) {
	seed, _ := genPostsXML(6, 1<<10)
	f.Add(seed)
	f.Add([]byte(utf8BOM + "<?xml version=\"1.0\"?>\r\n<posts>\r\n<row Id='1'/><row Id=\"2\"\n/></posts>"))
	f.Add([]byte("<posts><row Id=\"1\" Title=\"abc\n<row Id=\"2\"/><!-- x --><row></row></posts>"))
	f.Add([]byte("<posts/>"))
	f.Add([]byte("<posts><row Id=\"1\""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, offsets := scanForFuzz(t, data, 0)
		if len(rows) == 0 {
			return
		}
		// Resuming after the first row must yield the remaining rows.
		resumed, _ := scanForFuzz(t, data[offsets[0]:], offsets[0])
		if len(resumed) != len(rows)-1 {
			t.Fatalf("resumed after the first row: %d rows, want %d", len(resumed), len(rows)-1)
		}
		for i := range resumed {
			if resumed[i] != rows[i+1] {
				t.Fatalf("resumed row %d = %q, want %q", i, resumed[i], rows[i+1])
			}
		}
	})
}

// scanForFuzz scans data to its end, checking the scanner's invariants, and
// returns the rows and the offset after each.
func scanForFuzz(t *testing.T, data []byte, start int64) (rows []string, offsets []int64) {
	sc := NewRowScanner(bytes.NewReader(data), "fuzz.xml", start)
	sc.maxRow = 1 << 10
	sc.bufSize = 16 // exercise refills and growth
	prev := start
	for range len(data) + 2 {
		row, err := sc.Next()
		var rowErr *RowError
		var readErr *ReadError
		switch {
		case err == io.EOF:
			return rows, offsets
		case errors.As(err, &readErr):
			if readErr.Offset < start || readErr.Offset > start+int64(len(data)) {
				t.Fatalf("ReadError offset %d outside [%d, %d]", readErr.Offset, start, start+int64(len(data)))
			}
			return rows, offsets
		case errors.As(err, &rowErr):
		case err != nil:
			t.Fatalf("unexpected error type %T: %v", err, err)
		default:
			elem := data[sc.RowOffset()-start : sc.Offset()-start]
			if !bytes.HasPrefix(elem, []byte("<row")) || !bytes.HasSuffix(elem, []byte(">")) || !bytes.Contains(elem, row) {
				t.Fatalf("row %q is not within element %q", row, elem)
			}
			rows = append(rows, string(row))
			offsets = append(offsets, sc.Offset())
			ParsePost(row)
		}
		if sc.Offset() < prev {
			t.Fatalf("offset went back from %d to %d", prev, sc.Offset())
		}
		prev = sc.Offset()
	}
	t.Fatal("the scanner did not stop")
	return nil, nil
}

// unescapeReference is a slow, obviously correct appendUnescaped.
func unescapeReference(src []byte) ([]byte, bool) {
	names := map[string]rune{"lt": '<', "gt": '>', "amp": '&', "quot": '"', "apos": '\''}
	var out []byte
	for i := 0; i < len(src); i++ {
		if src[i] != '&' {
			out = append(out, src[i])
			continue
		}
		semi := bytes.IndexByte(src[i:min(len(src), i+maxEntityBytes)], ';')
		if semi < 0 {
			return nil, false
		}
		body := string(src[i+1 : i+semi])
		r, ok := names[body]
		if !ok {
			if r, ok = parseCharRef([]byte(body)); !ok {
				return nil, false
			}
		}
		out = utf8.AppendRune(out, r)
		i += semi
	}
	return out, true
}

func FuzzAppendUnescaped(f *testing.F) {
	f.Add([]byte("&lt;p&gt;x &amp; y&#xA;&quot;z&quot; &#233;&apos;"))
	f.Add([]byte("a long run of text without any entity at all, longer than 64 bytes for sure &lt;"))
	f.Add([]byte("&bogus; &#0; &lt"))
	f.Fuzz(func(t *testing.T, src []byte) {
		prefix := []byte("kept:")
		got, err := appendUnescaped(bytes.Clone(prefix), src)
		want, ok := unescapeReference(src)
		if ok != (err == nil) {
			t.Fatalf("appendUnescaped(%q) error %v, reference ok %v", src, err, ok)
		}
		if ok && !bytes.Equal(got, append(prefix, want...)) {
			t.Fatalf("appendUnescaped(%q) = %q, want %q", src, got, want)
		}
		if ok != (checkEntities(src) == nil) {
			t.Fatalf("checkEntities(%q) disagrees", src)
		}
	})
}

// parseTimeByLayout is what parseTime must equal: time.Parse with the dumps' layout.
func parseTimeByLayout(s string) int64 {
	t, err := time.Parse(dumpTimeLayout, s)
	if err != nil {
		return 0
	}
	return t.Unix()
}

func TestParseTime(t *testing.T) {
	for _, s := range []string{
		"2008-07-31T21:42:52.667", "2008-07-31T21:42:52", "2024-02-29T23:59:59.999999999", "2023-02-29T00:00:00",
		"2023-04-31T00:00:00", "2023-12-31T24:00:00", "2023-12-31T23:60:00", "2023-12-31T23:59:60", "2023-00-10T00:00:00",
		"2023-13-10T00:00:00", "2023-01-00T00:00:00", "0000-01-01T00:00:00", "9999-12-31T23:59:59.1", "2008-07-31T21:42:52.",
		"2008-07-31T21:42:52.1234567890", "2008-07-31T21:42:52,5", "2008-07-31 21:42:52", "2008-7-31T21:42:52",
		"+008-07-31T21:42:52", "2008-07-31T21:42:5x", "2008-07-31T21:42:52Z", "2008-07-31T21:42:52.5x", "", "x",
		"1900-02-29T00:00:00", "2000-02-29T00:00:00", "2100-02-29T00:00:00",
	} {
		if got, want := parseTime(s), parseTimeByLayout(s); got != want {
			t.Errorf("parseTime(%q) = %d, time.Parse gives %d", s, got, want)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2008-07-31T21:42:52.667", "2024-02-29T23:59:59", "2023-04-31T00:00:00.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := parseTime(s), parseTimeByLayout(s); got != want {
			t.Fatalf("parseTime(%q) = %d, time.Parse gives %d", s, got, want)
		}
	})
}
