package rankings

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func hhJSON(tb testing.TB, chosen, rejected string) []byte {
	tb.Helper()
	b, err := json.Marshal(map[string]string{"chosen": chosen, "rejected": rejected})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzParseJSONL: any line parses into a valid ranking or fails with a reason; never a panic.
func FuzzParseJSONL(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"p","responses":["a","b","c"],"ranking":[2,0,1]}`,
		`{"id":3,"responses":["a","b"],"order":[1,0],"scores":[0,1],"created":"2023-01-02T03:04:05Z"}`,
		`{"responses":["a","b","c"],"scores":[1,1,2],"annotator":"x","created":1.5e9}`,
		`{"prompt":"p","responses":["a","a"],"ranking":[0,0]}`,
		`{"responses":[null]}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseJSONL(line)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty reason")
			}
			return
		}
		if verr := r.Validate(); verr != nil {
			t.Fatalf("parsed an invalid ranking from %q: %v", line, verr)
		}
		if r.RankingID == "" {
			t.Fatalf("no id for %q", line)
		}
		k := len(r.Responses)
		if n := len(r.Comparisons()); n > k*(k-1)/2 || (len(r.Scores) == 0 && n != k*(k-1)/2) {
			t.Fatalf("%d comparisons for k=%d", n, k)
		}
	})
}

// FuzzParseHH: transcripts parse into a prompt both share and two replies, or fail with a reason.
func FuzzParseHH(f *testing.F) {
	f.Add("\n\nHuman: hi\n\nAssistant: a", "\n\nHuman: hi\n\nAssistant: b")
	f.Add("\n\nHuman: hi\n\nAssistant: a\n\nHuman: x\n\nAssistant: y", "\n\nHuman: hi\n\nAssistant: b\n\nHuman: x\n\nAssistant: y")
	f.Add("\n\nAssistant:", "\n\nAssistant: \n\nAssistant:")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, chosen, rejected string) {
		line := hhJSON(t, chosen, rejected)
		r, err := ParseHH(line)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty reason")
			}
			return
		}
		if verr := r.Validate(); verr != nil || len(r.Responses) != 2 {
			t.Fatalf("parsed an invalid ranking: %v %+v", verr, r)
		}
		// encoding/json replaces invalid UTF-8, so compare with what it decoded.
		var in hhLine
		if err := json.Unmarshal(line, &in); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(r.Prompt, assistantMarker) || !strings.HasPrefix(*in.Chosen, r.Prompt) || !strings.HasPrefix(*in.Rejected, r.Prompt) {
			t.Fatalf("prompt %q is not a shared prefix ending in the assistant marker", r.Prompt)
		}
		if !strings.Contains((*in.Chosen)[len(r.Prompt):], r.Responses[0]) || !strings.Contains((*in.Rejected)[len(r.Prompt):], r.Responses[1]) {
			t.Fatalf("responses %q do not come from the tails", r.Responses)
		}
	})
}

// FuzzLineReader: whatever the bytes, plain or gzip-compressed, the lines read rebuild the input
// (up to the line-length cap) and offsets point at their starts.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nb\r\n\nc"), false)
	f.Add([]byte("\xef\xbb\xbf{}\n"), true)
	f.Add([]byte{}, true)
	f.Add([]byte("\x1f\x8bnot gzip"), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		path := filepath.Join(dir, "in")
		content := data
		if compress {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(data)
			zw.Close()
			content = buf.Bytes()
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := OpenLines(path, 0, 0)
		if err != nil {
			if !compress && bytes.HasPrefix(data, []byte(gzipMagic)) || bytes.HasPrefix(data, []byte(zstdMagic)) {
				return // a plain file that looks compressed
			}
			t.Fatal(err)
		}
		defer r.Close()
		var lines int64
		for {
			line, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var re *ReadError
				if !errors.As(err, &re) {
					t.Fatalf("error %v is not a *ReadError", err)
				}
				return // plain data that looks compressed
			}
			lines++
			if line.Number != lines || line.Offset < 0 || line.Offset > int64(len(data)) {
				t.Fatalf("line %d at %d of %d bytes", line.Number, line.Offset, len(data))
			}
			rest := data[line.Offset:]
			if line.Number == 1 {
				rest = bytes.TrimPrefix(rest, []byte("\xef\xbb\xbf"))
			}
			if !bytes.HasPrefix(rest, line.Text) {
				t.Fatalf("line %d %q is not the input at %d", line.Number, line.Text, line.Offset)
			}
		}
		if r.Offset() != int64(len(data)) && !bytes.HasPrefix(data, []byte(gzipMagic)) && !bytes.HasPrefix(data, []byte(zstdMagic)) {
			t.Fatalf("read to %d of %d bytes", r.Offset(), len(data))
		}
	})
}
