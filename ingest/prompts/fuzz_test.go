package prompts

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prefstream/prefstream/schemas"
)

// FuzzParseJSONL: any line parses into a usable prompt or fails with a reason; never a panic.
func FuzzParseJSONL(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"Why?"}`, `{"id":7,"text":"a"}`, `{"id":"x","prompt":"a","text":"a"}`,
		`{"prompt":"a","text":"b"}`, `{"prompt":3}`, `{"id":1e3,"prompt":"a"}`, `[]`, `{`, ``, `{"prompt":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		p, err := ParseJSONL(line)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty reason")
			}
			return
		}
		checkParsed(t, line, p)
	})
}

// FuzzParseLine: any line is a trimmed UTF-8 prompt or fails with a reason; never a panic.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"Why?", "  a  ", "", " ", "caf\xe9", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		p, err := ParseLine(line)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty reason")
			}
			return
		}
		if p.ID != "" || p.Text != strings.TrimSpace(p.Text) || !utf8.ValidString(p.Text) {
			t.Fatalf("ParseLine(%q) = %+v", line, p)
		}
		checkParsed(t, line, p)
	})
}

// checkParsed: what a parser accepts becomes a valid prompt record.
func checkParsed(t *testing.T, line []byte, p Parsed) {
	t.Helper()
	rec := schemas.Prompt{PromptID: p.ID, Text: p.Text}
	if rec.PromptID == "" {
		rec.PromptID = schemas.PromptID("fuzz", p.Text)
	}
	if err := rec.Validate(); err != nil {
		t.Fatalf("parsed an invalid prompt from %q: %+v: %v", line, p, err)
	}
}
