package reddit

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// semanticReasons are the errors a line that encoding/json accepts may still
// get: it is valid JSON but not a usable record.
var semanticReasons = []string{"no id", "no link_id", "cannot tell", "not a number", "not a boolean", "expected a string", "expected a scalar"}

func FuzzReaderLine(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range genComments(3, 8<<10) {
		f.Add(bytes.TrimSpace(c.line(rng)))
	}
	for _, s := range []string{
		`{"id":"s1","title":"t","selftext":"[removed]","is_self":true,"over_18":"1","edited":1569893994}`,
		`{"id":"c1","link_id":"t3_s1","body":"\ud83d\ude02 \ud800 \u00e9 &amp;gt;","score":"1.5e3","created_utc":null}`,
		`{"_meta":{"id":"x","body":[{"}":"]"}]},"id":42,"name":"t1_x","parent_id":"t3_a","body":"a\"b"}`,
		`{"id":"c1","link_id":"t3_s1","body":"x"`, `[{"id":1}]`, `{}`, ``, `{"a":[1}`, "{\"body\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var p lineParser
		rec, err := p.parse(line, 0)
		checkAgainstJSON(t, line, rec, err)
		checkThroughReader(t, line, rec, err)
	})
}

// checkAgainstJSON: a line encoding/json decodes as an object parses too
// (unless it is no usable record), and its strings decode the same.
func checkAgainstJSON(t *testing.T, line []byte, rec Record, err error) {
	var m map[string]any
	if bytes.ContainsRune(line, '\n') || json.Unmarshal(line, &m) != nil || m == nil {
		return
	}
	if err != nil {
		for _, reason := range semanticReasons {
			if strings.Contains(err.Error(), reason) {
				return
			}
		}
		t.Fatalf("encoding/json accepts %q, the parser fails: %v", line, err)
	}
	if body, ok := m["body"].(string); ok && rec.Kind == Comment && !rec.Deleted && rec.Body != htmlUnescaper.Replace(body) {
		t.Fatalf("body %q, encoding/json says %q", rec.Body, body)
	}
	if author, ok := m["author"].(string); ok && !rec.AuthorDeleted && rec.Author != author {
		t.Fatalf("author %q, encoding/json says %q", rec.Author, author)
	}
	if score, ok := m["score"].(float64); ok && score == float64(int64(score)) && rec.Score != int64(score) {
		t.Fatalf("score %d, encoding/json says %v", rec.Score, score)
	}
}

// checkThroughReader: the pipeline gives the same result for the line twice
// over, and never hangs.
func checkThroughReader(t *testing.T, line []byte, rec Record, err error) {
	input := append(append(append([]byte(nil), line...), '\n'), line...)
	r := NewReader(bytes.NewReader(input), "fuzz.ndjson", 0, 2)
	defer r.Close()
	want := 2
	if blank(line) {
		want = 0
	}
	if bytes.ContainsRune(line, '\n') {
		return // the line is several lines; only no panic and no hang matter
	}
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		got, gotErr := r.Next()
		if gotErr == io.EOF {
			if i != want {
				t.Fatalf("%d items, want %d", i, want)
			}
			return
		}
		if (gotErr == nil) != (err == nil) || gotErr == nil && got.ID != rec.ID {
			t.Fatalf("reader gives %+v, %v; parser %+v, %v", got, gotErr, rec, err)
		}
		if time.Now().After(deadline) || i > 2 {
			t.Fatal("reader does not end")
		}
	}
}
