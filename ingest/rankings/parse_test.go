package rankings

import (
	"reflect"
	"strings"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

func TestParseJSONL(t *testing.T) {
	tests := []struct {
		name string
		line string
		want schemas.Ranking // RankingID checked separately when empty here
		err  string
	}{
		{name: "ranking", line: `{"prompt":"p","responses":["a","b","c"],"ranking":[2,0,1]}`,
			want: schemas.Ranking{Prompt: "p", Responses: []string{"a", "b", "c"}, Order: []int32{2, 0, 1}}},
		{name: "order is a synonym", line: `{"prompt":"p","responses":["a","b"],"order":[1,0]}`,
			want: schemas.Ranking{Prompt: "p", Responses: []string{"a", "b"}, Order: []int32{1, 0}}},
		{name: "both agree", line: `{"prompt":"p","responses":["a","b"],"order":[1,0],"ranking":[1,0]}`,
			want: schemas.Ranking{Prompt: "p", Responses: []string{"a", "b"}, Order: []int32{1, 0}}},
		{name: "given id, annotator, created as RFC 3339", line: `{"id":"r-1","prompt":"p","responses":["a","b"],"ranking":[0,1],"annotator":"ann","created":"2023-01-02T03:04:05Z","extra":{"x":1}}`,
			want: schemas.Ranking{RankingID: "r-1", Prompt: "p", Responses: []string{"a", "b"}, Order: []int32{0, 1}, Annotator: "ann", CreatedUnix: 1672628645}},
		{name: "integer id, created as Unix seconds", line: `{"id":17,"prompt":"p","responses":["a","b"],"ranking":[0,1],"created":1700000000}`,
			want: schemas.Ranking{RankingID: "17", Prompt: "p", Responses: []string{"a", "b"}, Order: []int32{0, 1}, CreatedUnix: 1700000000}},
		{name: "scores alone give the order, ties kept", line: `{"prompt":"p","responses":["a","b","c"],"scores":[1,3,1]}`,
			want: schemas.Ranking{Prompt: "p", Responses: []string{"a", "b", "c"}, Order: []int32{1, 0, 2}, Scores: []float64{1, 3, 1}}},
		{name: "empty prompt", line: `{"prompt":"","responses":["a","b"],"ranking":[1,0]}`,
			want: schemas.Ranking{Responses: []string{"a", "b"}, Order: []int32{1, 0}}},
		{name: "no prompt", line: `  {"responses":["a","b"],"ranking":[1,0]}  `,
			want: schemas.Ranking{Responses: []string{"a", "b"}, Order: []int32{1, 0}}},
		{name: "unicode", line: `{"prompt":"¿qué?","responses":["✓ sí","no \ud83d\ude00"],"ranking":[0,1]}`,
			want: schemas.Ranking{Prompt: "¿qué?", Responses: []string{"✓ sí", "no 😀"}, Order: []int32{0, 1}}},

		{name: "duplicate index", line: `{"prompt":"p","responses":["a","b","c"],"ranking":[0,0,1]}`, err: "response 0 appears twice in the order"},
		{name: "missing index", line: `{"prompt":"p","responses":["a","b","c"],"ranking":[2,0]}`, err: "response 1 is missing from the order (2 of 3 ranked)"},
		{name: "out of range", line: `{"prompt":"p","responses":["a","b","c"],"ranking":[1,2,3]}`, err: "order[2] = 3 is out of range [0,3)"},
		{name: "negative index", line: `{"prompt":"p","responses":["a","b"],"ranking":[-1,0]}`, err: "order[0] = -1 is out of range [0,2)"},
		{name: "fractional index", line: `{"prompt":"p","responses":["a","b"],"ranking":[0.5,1]}`, err: "ranking[0] = 0.5 is not a response index"},
		{name: "huge index", line: `{"prompt":"p","responses":["a","b"],"ranking":[0,99999999999]}`, err: "ranking[1] = 99999999999 is not a response index"},
		{name: "k < 2", line: `{"prompt":"p","responses":["a"],"ranking":[0]}`, err: "at least 2 responses, has 1"},
		{name: "no responses", line: `{"prompt":"p","ranking":[0]}`, err: `no "responses"`},
		{name: "empty responses", line: `{"prompt":"p","responses":[],"ranking":[]}`, err: "at least 2 responses, has 0"},
		{name: "null response", line: `{"prompt":"p","responses":["a",null],"ranking":[0,1]}`, err: "response 1 is null"},
		{name: "empty response", line: `{"prompt":"p","responses":["a",""],"ranking":[0,1]}`, err: "response 1 is empty"},
		{name: "blank response", line: `{"prompt":"p","responses":["  \n","a"],"ranking":[0,1]}`, err: "response 0 is empty"},
		{name: "identical responses", line: `{"prompt":"p","responses":["a","a"],"ranking":[0,1]}`, err: "responses 0 and 1 are identical"},
		{name: "no ranking", line: `{"prompt":"p","responses":["a","b"]}`, err: `no "ranking"`},
		{name: "ranking and order disagree", line: `{"prompt":"p","responses":["a","b"],"ranking":[0,1],"order":[1,0]}`, err: `"ranking" and "order" disagree`},
		{name: "scores against the ranking", line: `{"prompt":"p","responses":["a","b"],"ranking":[0,1],"scores":[1,2]}`, err: "order puts response 0 (score 1) above response 1 (score 2)"},
		{name: "too few scores", line: `{"prompt":"p","responses":["a","b"],"scores":[1]}`, err: "1 scores for 2 responses"},
		{name: "null score", line: `{"prompt":"p","responses":["a","b"],"scores":[1,null]}`, err: "score 1 is null"},
		{name: "bad JSON", line: `{"prompt":"p","responses":["a","b"],"ranking":[0,1]`, err: "bad JSON: unexpected end of JSON input"},
		{name: "wrong type", line: `{"prompt":"p","responses":"ab","ranking":[0,1]}`, err: "bad JSON: cannot unmarshal string"},
		{name: "number response", line: `{"prompt":"p","responses":["a",2],"ranking":[0,1]}`, err: "bad JSON: cannot unmarshal number"},
		{name: "not an object", line: `[1,2]`, err: "not a JSON object"},
		{name: "null", line: `null`, err: "not a JSON object"},
		{name: "object id", line: `{"id":{"a":1},"prompt":"p","responses":["a","b"],"ranking":[0,1]}`, err: `"id" {"a":1} is neither a string nor an integer`},
		{name: "bad created", line: `{"prompt":"p","responses":["a","b"],"ranking":[0,1],"created":"yesterday"}`, err: `"created" "yesterday" is not an RFC 3339 time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSONL([]byte(tt.line))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseJSONL: %v, want an error containing %q", err, tt.err)
				}
				if strings.HasPrefix(err.Error(), "schemas:") {
					t.Fatalf("reason %q keeps the package prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.RankingID == "" {
				tt.want.RankingID = schemas.RankingID(tt.want.Prompt, tt.want.Responses, tt.want.Order, tt.want.Annotator)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseHH(t *testing.T) {
	const q = "\n\nHuman: What is 2+2?\n\nAssistant:"
	tests := []struct {
		name             string
		chosen, rejected string
		raw              string // the whole line, when not built from chosen and rejected
		prompt           string
		responses        []string
		err              string
	}{
		{name: "one turn", chosen: q + " 4.", rejected: q + " 5, I think.", prompt: q, responses: []string{"4.", "5, I think."}},
		{name: "replies sharing a start", chosen: q + " It is 4.", rejected: q + " It is 5.", prompt: q, responses: []string{"It is 4.", "It is 5."}},
		{name: "several turns",
			chosen:   "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: sum 2+2\n\nAssistant: 4",
			rejected: "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: sum 2+2\n\nAssistant: go away",
			prompt:   "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: sum 2+2\n\nAssistant:", responses: []string{"4", "go away"}},
		{name: "one reply extends the other", chosen: q + " 4", rejected: q + " 4!", prompt: q, responses: []string{"4", "4!"}},
		{name: "no leading blank line", chosen: "Human: x\n\nAssistant: a", rejected: "Human: x\n\nAssistant: b",
			prompt: "Human: x\n\nAssistant:", responses: []string{"a", "b"}},

		{name: "diverge before the last turn",
			chosen:   "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: sum\n\nAssistant: 4",
			rejected: "\n\nHuman: hi\n\nAssistant: go away\n\nHuman: sum\n\nAssistant: 4",
			err:      "the transcripts diverge before the last assistant turn (chosen goes on for more turns)"},
		{name: "rejected goes on", chosen: q + " 4", rejected: q + " 5\n\nHuman: really?\n\nAssistant: yes",
			err: "diverge before the last assistant turn (rejected goes on for more turns)"},
		{name: "different questions", chosen: "\n\nHuman: a?\n\nAssistant: x", rejected: "\n\nHuman: b?\n\nAssistant: y",
			err: `share no "\n\nAssistant:" turn`},
		{name: "no assistant at all", chosen: "hello", rejected: "help", err: `share no "\n\nAssistant:" turn`},
		{name: "identical", chosen: q + " 4", rejected: q + " 4", err: "the chosen and rejected replies are identical"},
		{name: "empty chosen reply", chosen: q, rejected: q + " 4", err: "the chosen reply is empty"},
		{name: "empty rejected reply", chosen: q + " 4", rejected: q + "  ", err: "the rejected reply is empty"},
		{name: "missing rejected", raw: `{"chosen":"x"}`, err: `want both "chosen" and "rejected" strings`},
		{name: "null chosen", raw: `{"chosen":null,"rejected":"x"}`, err: `want both "chosen" and "rejected"`},
		{name: "bad JSON", raw: `{"chosen":"x","rejected":`, err: "bad JSON"},
		{name: "not an object", raw: `"x"`, err: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := []byte(tt.raw)
			if tt.raw == "" {
				line = hhJSON(t, tt.chosen, tt.rejected)
			}
			got, err := ParseHH(line)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseHH: %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := schemas.Ranking{Prompt: tt.prompt, Responses: tt.responses, Order: []int32{0, 1}}
			want.RankingID = schemas.RankingID(want.Prompt, want.Responses, want.Order, "")
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Fatalf("ParseFormat(%q) = %q, %v", f, got, err)
		}
		if _, err := ParserOf(f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ParseFormat("csv"); err == nil || !strings.Contains(err.Error(), "jsonl or hh-rlhf") {
		t.Fatalf("ParseFormat(csv): %v", err)
	}
	if _, err := ParserOf("csv"); err == nil {
		t.Fatal("ParserOf(csv) must fail")
	}
}

func TestSourceOfAndCheckSource(t *testing.T) {
	for path, want := range map[string]string{
		"/x/rankings.jsonl":          "rankings",
		"team_a.batch-2.jsonl.gz":    "team_a-batch-2",
		"human prefs.json.zst":       "human-prefs",
		"_hidden.jsonl":              "hidden",
		".jsonl":                     "rankings",
		"/data/helpful-base/x.jsonl": "x",
	} {
		if got := SourceOf(path, FormatJSONL); got != want {
			t.Errorf("SourceOf(%q) = %q, want %q", path, got, want)
		}
		if err := CheckSource(SourceOf(path, FormatJSONL)); err != nil {
			t.Errorf("SourceOf(%q) gives a bad source: %v", path, err)
		}
	}
	if got := SourceOf("train.jsonl.gz", FormatHH); got != "hh-rlhf" {
		t.Errorf("hh-rlhf source %q", got)
	}
	for _, bad := range []string{"", "a.b", "a b", "-a", "_a", "a>", strings.Repeat("a", 65)} {
		if CheckSource(bad) == nil {
			t.Errorf("CheckSource(%q) accepted", bad)
		}
	}
}
