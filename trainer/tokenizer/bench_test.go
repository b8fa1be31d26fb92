package tokenizer

import (
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchText []byte
	benchTok  *Tokenizer
)

// benchSetup: 4 MB of English-like text and a 4096 vocab trained on it.
func benchSetup(b *testing.B) ([]byte, *Tokenizer) {
	benchOnce.Do(func() {
		benchText = englishText(42, 4<<20)
		tok, err := Train(chunks(benchText, 4096), 4096)
		if err != nil {
			panic(err)
		}
		benchTok = tok
	})
	return benchText, benchTok
}

func BenchmarkTrain(b *testing.B) {
	text, _ := benchSetup(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		tok, err := Train(chunks(text, 4096), 4096)
		if err != nil {
			b.Fatal(err)
		}
		if tok.Vocab() != 4096 {
			b.Fatalf("vocab %d", tok.Vocab())
		}
	}
}

// BenchmarkEncode encodes documents of 4 KB, as the trainer does.
func BenchmarkEncode(b *testing.B) {
	text, tok := benchSetup(b)
	const doc = 4096
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var ids []int32
	tokens := 0
	for b.Loop() {
		tokens = 0
		for i := 0; i < len(text); i += doc {
			ids = tok.AppendEncode(ids[:0], text[i:min(i+doc, len(text))])
			tokens += len(ids)
		}
	}
	b.ReportMetric(float64(len(text))/float64(tokens), "bytes/token")
}

func BenchmarkEncodeParallel(b *testing.B) {
	text, tok := benchSetup(b)
	const doc = 4096
	b.SetBytes(doc)
	b.RunParallel(func(pb *testing.PB) {
		var ids []int32
		i := 0
		for pb.Next() {
			ids = tok.AppendEncode(ids[:0], text[i:i+doc])
			i = (i + doc) % (len(text) - doc)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	text, tok := benchSetup(b)
	ids := tok.Encode(text)
	b.SetBytes(int64(len(text)))
	var out []byte
	for b.Loop() {
		out = tok.AppendDecode(out[:0], ids)
	}
}
