package reddit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"testing"
)

// benchComments is a generated ~30 MB RC_ file of realistic comments.
var benchComments = sync.OnceValue(func() []byte {
	data, _ := genNDJSON(2024, 30<<20)
	return data
})

func benchmarkReader(b *testing.B, workers int) {
	data := benchComments()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), "RC_2015-01.ndjson", 0, workers)
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}

// BenchmarkReader is the whole reader: splitting, parsing on two workers,
// in-order delivery.
func BenchmarkReader(b *testing.B) { benchmarkReader(b, 2) }

func BenchmarkReaderOneWorker(b *testing.B) { benchmarkReader(b, 1) }

// BenchmarkEncodingJSONMap is the plain loop the reader replaces: split lines
// and decode each into a map with encoding/json.
func BenchmarkEncodingJSONMap(b *testing.B) {
	data := benchComments()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				b.Fatal(err)
			}
		}
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLine is the line parser alone, on one core.
func BenchmarkParseLine(b *testing.B) {
	data := benchComments()
	lines := bytes.SplitAfter(data, []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var p lineParser
	for b.Loop() {
		for _, line := range lines {
			if len(line) == 0 {
				continue
			}
			if _, err := p.parse(line, Comment); err != nil {
				b.Fatal(err)
			}
		}
	}
}
