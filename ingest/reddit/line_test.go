package reddit

import (
	"strings"
	"testing"
)

func parseOne(t *testing.T, line string, hint Kind) (Record, error) {
	t.Helper()
	var p lineParser
	return p.parse([]byte(line), hint)
}

func TestParseLine(t *testing.T) {
	const c = `"id":"c1","link_id":"t3_s1","parent_id":"t3_s1"`
	comment := func(mod func(*Record)) Record {
		r := Record{Kind: Comment, ID: "t1_c1", LinkID: "t3_s1", ParentID: "t3_s1"}
		if mod != nil {
			mod(&r)
		}
		return r
	}
	tests := []struct {
		name string
		line string
		hint Kind
		want Record
	}{
		{"minimal comment", `{` + c + `,"body":"hi"}`, 0, comment(func(r *Record) { r.Body = "hi" })},
		{"score int", `{` + c + `,"body":"","score":14}`, 0, comment(func(r *Record) { r.Score = 14 })},
		{"score negative", `{` + c + `,"body":"","score":-3}`, 0, comment(func(r *Record) { r.Score = -3 })},
		{"score float", `{` + c + `,"body":"","score":2.0}`, 0, comment(func(r *Record) { r.Score = 2 })},
		{"score exponent", `{` + c + `,"body":"","score":1E2}`, 0, comment(func(r *Record) { r.Score = 100 })},
		{"score string", `{` + c + `,"body":"","score":"7"}`, 0, comment(func(r *Record) { r.Score = 7 })},
		{"score empty string", `{` + c + `,"body":"","score":""}`, 0, comment(nil)},
		{"score null", `{` + c + `,"body":"","score":null}`, 0, comment(nil)},
		{"created string", `{` + c + `,"body":"","created_utc":"1420070400"}`, 0, comment(func(r *Record) { r.CreatedUTC = 1420070400 })},
		{"created float", `{` + c + `,"body":"","created_utc":1134365188.0}`, 0, comment(func(r *Record) { r.CreatedUTC = 1134365188 })},
		{"created float string", `{` + c + `,"body":"","created_utc":"1134365188.5"}`, 0, comment(func(r *Record) { r.CreatedUTC = 1134365188 })},
		{"created escaped string", `{` + c + `,"body":"","created_utc":"\u0031\u0032"}`, 0, comment(func(r *Record) { r.CreatedUTC = 12 })},
		{"missing keys", `{"id":"c1","link_id":"t3_s1","body":"x"}`, 0, Record{Kind: Comment, ID: "t1_c1", LinkID: "t3_s1", Body: "x"}},
		{"body escapes and surrogates", `{` + c + `,"body":"a\n\"b\" \u00e9 \ud83d\ude02 \udc00"}`, 0,
			comment(func(r *Record) { r.Body = "a\n\"b\" é 😂 \uFFFD" })},
		{"body html entities", `{` + c + `,"body":"&gt; quote &amp;amp; &lt;b&gt;","author":"a&amp;b"}`, 0,
			comment(func(r *Record) { r.Body = "> quote &amp; <b>"; r.Author = "a&amp;b" })},
		{"invalid utf8", "{" + c + `,"body":"a` + "\xff" + `b"}`, 0, comment(func(r *Record) { r.Body = "a\uFFFDb" })},
		{"nested values skipped", `{"_meta":{"id":"zz","body":"no","x":[{"title":"}"}]},` + c + `,"gildings":{},"all_awardings":[{"name":"x","id":"y"}],"body":"yes"}`, 0,
			comment(func(r *Record) { r.Body = "yes" })},
		{"unknown keys of every type", `{"a":1,"b":-2.5e3,"c":true,"d":false,"e":null,"f":"s\"}","g":[],"h":{},` + c + `,"body":""}`, 0, comment(nil)},
		{"white space between tokens", " { \"id\" : \"c1\" ,\t\"link_id\":\"t3_s1\" , \"parent_id\" :\"t3_s1\", \"body\" : \"\" } \r\n", 0, comment(nil)},
		{"byte order mark", "\xef\xbb\xbf{" + c + `,"body":""}`, 0, comment(nil)},
		{"escaped key", `{` + c + `,"b\u006fdy":"k"}`, 0, comment(func(r *Record) { r.Body = "k" })},
		{"duplicate key last wins", `{` + c + `,"body":"one","body":"two"}`, 0, comment(func(r *Record) { r.Body = "two" })},
		{"deleted body", `{` + c + `,"body":"[deleted]","author":"[deleted]"}`, 0, comment(func(r *Record) { r.Deleted, r.AuthorDeleted = true, true })},
		{"removed body", `{` + c + `,"body":"[removed]","author":"bob"}`, 0, comment(func(r *Record) { r.Deleted, r.Author = true, "bob" })},
		{"deleted is exact", `{` + c + `,"body":"[deleted] later"}`, 0, comment(func(r *Record) { r.Body = "[deleted] later" })},
		{"null body", `{` + c + `,"body":null}`, 0, comment(nil)},
		{"distinguished", `{` + c + `,"body":"","distinguished":"moderator"}`, 0, comment(func(r *Record) { r.Distinguished = "moderator" })},
		{"distinguished null", `{` + c + `,"body":"","distinguished":null}`, 0, comment(nil)},
		{"id already a fullname", `{"id":"t1_c1","link_id":"t3_s1","parent_id":"t3_s1","body":""}`, 0, comment(nil)},
		{"name instead of id", `{"name":"t1_c1","link_id":"t3_s1","parent_id":"t3_s1","body":""}`, 0, comment(nil)},
		{"numeric id", `{"id":42,"link_id":"t3_s1","parent_id":"t3_s1","body":""}`, 0, comment(func(r *Record) { r.ID = "t1_42" })},
		{"bare link id", `{"id":"c1","link_id":"s1","parent_id":"t3_s1","body":""}`, 0, comment(nil)},
		{"no link id, submission parent", `{"id":"c1","parent_id":"t3_s1","body":""}`, 0, comment(nil)},
		{"subreddit", `{` + c + `,"body":"","subreddit":"AskWomen"}`, 0, comment(func(r *Record) { r.Subreddit = "AskWomen" })},
		{"hint does not override body", `{` + c + `,"body":""}`, Submission, comment(nil)},
		{"comment by hint", `{` + c + `}`, Comment, comment(nil)},
		{"submission", `{"id":"s1","title":"Q &amp; A","selftext":"text","score":"12","over_18":false,"is_self":true,"author":"op","edited":1569893994}`, 0,
			Record{Kind: Submission, ID: "t3_s1", LinkID: "t3_s1", Title: "Q & A", Body: "text", Score: 12, IsSelf: true, Author: "op"}},
		{"submission edited bool, nsfw string", `{"id":"s1","title":"t","edited":false,"over_18":"true","is_self":false}`, 0,
			Record{Kind: Submission, ID: "t3_s1", LinkID: "t3_s1", Title: "t", NSFW: true}},
		{"submission removed selftext", `{"id":"s1","title":"t","selftext":"[removed]","is_self":1}`, 0,
			Record{Kind: Submission, ID: "t3_s1", LinkID: "t3_s1", Title: "t", Deleted: true, IsSelf: true}},
		{"self post from domain", `{"id":"s1","title":"t","domain":"self.AskWomen"}`, 0,
			Record{Kind: Submission, ID: "t3_s1", LinkID: "t3_s1", Title: "t", IsSelf: true}},
		{"link post", `{"id":"s1","title":"t","domain":"example.com","url":"http://example.com"}`, 0,
			Record{Kind: Submission, ID: "t3_s1", LinkID: "t3_s1", Title: "t"}},
		{"is_self wins over domain", `{"id":"s1","title":"t","domain":"self.x","is_self":false}`, 0,
			Record{Kind: Submission, ID: "t3_s1", LinkID: "t3_s1", Title: "t"}},
		{"submission by hint", `{"id":"s1","score":5}`, Submission, Record{Kind: Submission, ID: "t3_s1", LinkID: "t3_s1", Score: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOne(t, tt.line, tt.hint)
			if err != nil {
				t.Fatalf("parse(%s): %v", tt.line, err)
			}
			if got != tt.want {
				t.Errorf("parse(%s)\n got %+v\nwant %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseLineErrors(t *testing.T) {
	const c = `"id":"c1","link_id":"t3_s1","body":"x"`
	tests := []struct{ name, line, reason string }{
		{"not an object", `[1,2]`, "not a JSON object"},
		{"not json", `hello`, "not a JSON object"},
		{"truncated", `{"id":"c1","body":"x`, "unterminated string"},
		{"truncated after value", `{"id":"c1"`, "unexpected end of line"},
		{"truncated after comma", `{"id":"c1",`, "unexpected end of line"},
		{"truncated after colon", `{"id":`, "unexpected end of line"},
		{"truncated nested", `{"a":{"b":[1,2]`, "unexpected end of line"},
		{"trailing data", `{` + c + `} {}`, "data after the JSON object"},
		{"missing colon", `{"id" "c1"}`, "expected ':'"},
		{"missing comma", `{"id":"c1" "body":"x"}`, "after a value"},
		{"bare key", `{id:"c1"}`, "expected a key"},
		{"mismatched brackets", `{"a":[1}` + `,` + c + `}`, "mismatched bracket"},
		{"bad literal", `{"a":nope,` + c + `}`, "invalid value"},
		{"score not a number", `{` + c + `,"score":"abc"}`, `value of "score": not a number`},
		{"score boolean", `{` + c + `,"score":true}`, "not a number"},
		{"score object", `{` + c + `,"score":{"n":1}}`, "expected a scalar"},
		{"body array", `{` + c + `,"body":["x"]}`, "expected a string"},
		{"over_18 nonsense", `{` + c + `,"over_18":"maybe"}`, "not a boolean"},
		{"no id", `{"link_id":"t3_s1","body":"x"}`, "no id"},
		{"no link", `{"id":"c1","parent_id":"t1_c0","body":"x"}`, "no link_id"},
		{"no kind", `{"id":"c1","score":1}`, "cannot tell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOne(t, tt.line, 0)
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("parse(%s) = %v, want an error containing %q", tt.line, err, tt.reason)
			}
		})
	}
}

func TestParseLineReusesNothing(t *testing.T) {
	var p lineParser
	first, err := p.parse([]byte(`{"id":"c1","link_id":"t3_s1","body":"first body","author":"alice","score":3}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.parse([]byte(`{"id":"s2","title":"second"}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	if first.Body != "first body" || first.Author != "alice" || first.ID != "t1_c1" {
		t.Errorf("first record changed after the next parse: %+v", first)
	}
	if second.Author != "" || second.Score != 0 || second.Body != "" {
		t.Errorf("second record carries fields of the first: %+v", second)
	}
}
