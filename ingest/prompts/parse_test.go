package prompts

import (
	"strings"
	"testing"
)

func TestParseJSONL(t *testing.T) {
	tests := []struct {
		name, line string
		want       Parsed
		err        string
	}{
		{"prompt", `{"prompt":"Why is the sky blue?"}`, Parsed{Text: "Why is the sky blue?"}, ""},
		{"text", `{"text":"How?"}`, Parsed{Text: "How?"}, ""},
		{"both agree", `{"prompt":"a","text":"a"}`, Parsed{Text: "a"}, ""},
		{"string id", `{"id":"p-7","prompt":"a"}`, Parsed{ID: "p-7", Text: "a"}, ""},
		{"integer id", `{"id":42,"text":"a"}`, Parsed{ID: "42", Text: "a"}, ""},
		{"null id", `{"id":null,"text":"a"}`, Parsed{Text: "a"}, ""},
		{"other fields ignored", `{"prompt":"a","meta":{"x":[1,2]},"lang":"en"}`, Parsed{Text: "a"}, ""},
		{"text kept as given", `{"prompt":"  line one\nline two  "}`, Parsed{Text: "  line one\nline two  "}, ""},
		{"surrounding space", " \t{\"prompt\":\"a\"}  ", Parsed{Text: "a"}, ""},
		{"unicode", `{"prompt":"caf\u00e9 ✓"}`, Parsed{Text: "café ✓"}, ""},
		{"null prompt, text given", `{"prompt":null,"text":"a"}`, Parsed{Text: "a"}, ""},

		{"bad JSON", `{"prompt":"a"`, Parsed{}, "bad JSON"},
		{"not an object", `["a"]`, Parsed{}, "not a JSON object"},
		{"a bare string", `"a"`, Parsed{}, "not a JSON object"},
		{"no prompt", `{"id":"x"}`, Parsed{}, `no "prompt" or "text"`},
		{"empty object", `{}`, Parsed{}, `no "prompt" or "text"`},
		{"empty prompt", `{"prompt":""}`, Parsed{}, "empty prompt"},
		{"blank prompt", `{"prompt":" \n\t"}`, Parsed{}, "empty prompt"},
		{"prompt not a string", `{"prompt":3}`, Parsed{}, `"prompt" is not a string: "3"`},
		{"prompt a list", `{"prompt":["a"]}`, Parsed{}, `"prompt" is not a string`},
		{"text not a string", `{"text":{"a":1}}`, Parsed{}, `"text" is not a string`},
		{"prompt and text differ", `{"prompt":"a","text":"b"}`, Parsed{}, `"prompt" and "text" differ`},
		{"float id", `{"id":1.5,"prompt":"a"}`, Parsed{}, `"id" "1.5" is neither a string nor an integer`},
		{"object id", `{"id":{},"prompt":"a"}`, Parsed{}, `"id" "{}" is neither`},
		{"empty id", `{"id":"","prompt":"a"}`, Parsed{}, `"id" is empty`},
		{"long id", `{"id":"` + strings.Repeat("i", 300) + `","prompt":"a"}`, Parsed{}, `"id" of 300 bytes, at most 256`},
		{"empty line", ``, Parsed{}, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSONL([]byte(tt.line))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseJSONL(%q) = %+v, %v; want error %q", tt.line, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseJSONL(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		name, line, want, err string
	}{
		{"plain", "Why is the sky blue?", "Why is the sky blue?", ""},
		{"trimmed", "  \tHow?  ", "How?", ""},
		{"looks like JSON", `{"prompt":"a"}`, `{"prompt":"a"}`, ""},
		{"unicode", "café ✓", "café ✓", ""},
		{"blank", " \t ", "", "empty prompt"},
		{"empty", "", "", "empty prompt"},
		{"bad UTF-8", "caf\xe9", "", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine([]byte(tt.line))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseLine(%q) = %+v, %v; want error %q", tt.line, got, err, tt.err)
				}
				return
			}
			if err != nil || got != (Parsed{Text: tt.want}) {
				t.Fatalf("ParseLine(%q) = %+v, %v; want %q", tt.line, got, err, tt.want)
			}
		})
	}
}

func TestFormatsAndSources(t *testing.T) {
	for _, tt := range []struct {
		line string
		want Format
	}{
		{`{"prompt":"a"}`, FormatJSONL}, {`  {`, FormatJSONL}, {`Why?`, FormatLines}, {`[1]`, FormatLines}, {``, FormatLines},
	} {
		if got := Detect([]byte(tt.line)); got != tt.want {
			t.Errorf("Detect(%q) = %s, want %s", tt.line, got, tt.want)
		}
	}
	for _, s := range []string{"auto", "jsonl", "lines"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("csv"); err == nil || !strings.Contains(err.Error(), `unknown format "csv", want auto, jsonl or lines`) {
		t.Errorf("ParseFormat(csv): %v", err)
	}
	for path, want := range map[string]string{
		"/d/questions.jsonl": "questions", "/d/my prompts.txt.gz": "my-prompts", "x/.jsonl": "prompts",
		"p.v2.jsonl.zst": "p-v2", "__x.txt": "x",
	} {
		if got := SourceOf(path); got != want {
			t.Errorf("SourceOf(%q) = %q, want %q", path, got, want)
		}
		if err := CheckSource(SourceOf(path)); err != nil {
			t.Errorf("CheckSource(SourceOf(%q)): %v", path, err)
		}
	}
	for _, bad := range []string{"", "-a", "_a", "a.b", "a b", "a>", strings.Repeat("s", 65)} {
		if err := CheckSource(bad); err == nil {
			t.Errorf("CheckSource(%q) accepted", bad)
		}
	}
}
