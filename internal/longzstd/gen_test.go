package longzstd

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Test data: deterministic NDJSON that looks like a Reddit comment dump.

var words = []string{
	"the", "a", "to", "and", "of", "is", "that", "it", "in", "you", "for", "this",
	"was", "on", "with", "but", "not", "be", "are", "have", "they", "just", "like",
	"so", "what", "if", "my", "can", "at", "as", "would", "people", "think", "one",
	"all", "about", "there", "get", "or", "do", "your", "more", "out", "an", "no",
	"when", "up", "their", "time", "he", "me", "from", "will", "really", "game",
	"because", "even", "know", "good", "how", "only", "some", "them", "which",
	"reddit", "thread", "comment", "deleted", "upvote", "source", "edit:", "lol",
	"actually", "probably", "definitely", "government", "internet", "question",
}

var subreddits = []string{"reddit.com", "politics", "programming", "science", "pics", "funny", "AskReddit", "worldnews"}

// ndjsonGenerator produces an endless NDJSON-like text stream.
type ndjsonGenerator struct {
	rng  *rand.Rand
	line int
	buf  []byte
}

func newNDJSONGenerator(seed uint64) *ndjsonGenerator {
	return &ndjsonGenerator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (g *ndjsonGenerator) appendLine(b []byte) []byte {
	r := g.rng
	g.line++
	b = append(b, `{"author":"user_`...)
	b = strconv.AppendInt(b, int64(r.IntN(5000)), 10)
	b = append(b, `","body":"`...)
	for i, n := 0, 3+r.IntN(40); i < n; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, words[r.IntN(len(words))]...)
	}
	b = append(b, `","controversiality":0,"created_utc":`...)
	b = strconv.AppendInt(b, 1133000000+int64(g.line)*7, 10)
	b = append(b, `,"id":"c`...)
	b = strconv.AppendInt(b, int64(g.line)*37+int64(r.IntN(30)), 36)
	b = append(b, `","score":`...)
	b = strconv.AppendInt(b, int64(r.IntN(200))-5, 10)
	b = append(b, `,"subreddit":"`...)
	b = append(b, subreddits[r.IntN(len(subreddits))]...)
	b = append(b, "\"}\n"...)
	return b
}

func (g *ndjsonGenerator) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) {
		g.buf = g.appendLine(g.buf)
	}
	n := copy(p, g.buf)
	g.buf = append(g.buf[:0], g.buf[n:]...)
	return n, nil
}

// ndjson returns n bytes of generated NDJSON.
func ndjson(n int, seed uint64) []byte {
	b := make([]byte, n)
	io.ReadFull(newNDJSONGenerator(seed), b)
	return b
}

// textWithFarRepeats returns n bytes of NDJSON in which about one in
// repeatEvery chunks of 256 KiB is a copy of earlier text, so that an encoder
// with a long window uses long distance matches.
func textWithFarRepeats(n int, seed uint64, repeatEvery int) []byte {
	const chunk = 256 << 10
	g := newNDJSONGenerator(seed)
	r := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for b.Len() < n {
		if b.Len() > 4*chunk && r.IntN(repeatEvery) == 0 {
			from := r.IntN(b.Len() - chunk)
			b.Write(append([]byte(nil), b.Bytes()[from:from+chunk]...))
			continue
		}
		io.CopyN(&b, g, chunk)
	}
	return b.Bytes()[:n]
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func runs(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.Write(bytes.Repeat([]byte{byte('a' + i%26)}, 1000+i*9973%300000))
	}
	return b.Bytes()[:n]
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
