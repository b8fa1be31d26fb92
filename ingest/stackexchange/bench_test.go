package stackexchange

import (
	"bytes"
	"encoding/xml"
	"io"
	"sync"
	"testing"
)

// benchPosts is a generated ~20 MB Posts.xml with ~1 KB escaped HTML bodies.
var benchPosts = sync.OnceValue(func() []byte {
	data, _ := genPostsXML(2024, 20<<20)
	return data
})

var benchVotes = sync.OnceValue(func() []byte {
	data, _ := genVotesXML(2024, 250_000, 20_000)
	return data
})

func BenchmarkRowScannerParsePost(b *testing.B) {
	data := benchPosts()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := NewRowScanner(bytes.NewReader(data), "Posts.xml", 0)
		for {
			row, err := sc.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ParsePost(row); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkRowScanner(b *testing.B) {
	data := benchPosts()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := NewRowScanner(bytes.NewReader(data), "Posts.xml", 0)
		for {
			if _, err := sc.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncodingXMLDecode is the plain encoding/xml loop that the scanner
// replaces: Token until a <row>, then DecodeElement into a struct.
func BenchmarkEncodingXMLDecode(b *testing.B) {
	data := benchPosts()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "row" {
				var row xmlPostRow
				if err := dec.DecodeElement(&row, &se); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkEncodingXMLRawToken is encoding/xml's floor: tokenising only.
func BenchmarkEncodingXMLRawToken(b *testing.B) {
	data := benchPosts()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := dec.RawToken(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkCountUpvotes(b *testing.B) {
	data := benchVotes()
	dir := b.TempDir()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		u, err := CountUpvotes(bytes.NewReader(data), "Votes.xml", dir, 64<<10)
		if err != nil {
			b.Fatal(err)
		}
		for id := range int64(20_001) {
			u.Lookup(id)
		}
		u.Close()
	}
}

func BenchmarkParsePost(b *testing.B) {
	data := benchPosts()
	var rows [][]byte
	sc := NewRowScanner(bytes.NewReader(data), "Posts.xml", 0)
	for {
		row, err := sc.Next()
		if err != nil {
			break
		}
		rows = append(rows, bytes.Clone(row))
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for _, row := range rows {
			if _, err := ParsePost(row); err != nil {
				b.Fatal(err)
			}
		}
	}
}
