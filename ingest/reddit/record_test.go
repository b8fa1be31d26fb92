package reddit

import (
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

func TestDocumentComment(t *testing.T) {
	rec := Record{
		Kind: Comment, ID: "t1_c2", LinkID: "t3_s1", ParentID: "t1_c1", Author: "bob", Subreddit: "AskWomen",
		Body: "text", Score: 7, CreatedUTC: 1134365188, Distinguished: "moderator", Offset: 4096,
	}
	got := rec.Document("2005-12", "/data/reddit/RC_2005-12.zst", 99)
	want := schemas.Document{
		Source: "reddit", Dump: "2005-12", ID: "t1_c2", ThreadID: "t3_s1", ParentID: "t1_c1", Kind: schemas.KindComment,
		Author: "bob", CreatedUnix: 1134365188, Score: 7, Upvotes: -1, Text: "text", Tags: "AskWomen",
		Flags: schemas.FlagDistinguished, SourceFile: "RC_2005-12.zst", Offset: 4096, IngestedUnix: 99,
	}
	if got != want {
		t.Errorf("Document:\n got %+v\nwant %+v", got, want)
	}
}

func TestDocumentSubmission(t *testing.T) {
	rec := Record{
		Kind: Submission, ID: "t3_s1", LinkID: "t3_s1", Title: "Q?", Body: "", Score: 12, Deleted: true,
		AuthorDeleted: true, NSFW: true, IsSelf: true, Distinguished: "admin",
	}
	got := rec.Document("2019-10", "RS_2019-10.zst", 1)
	if got.Kind != schemas.KindSubmission || got.ThreadID != "t3_s1" || got.ParentID != "" || got.Title != "Q?" {
		t.Errorf("Document = %+v", got)
	}
	wantFlags := schemas.FlagDeleted | schemas.FlagAuthorDeleted | schemas.FlagNSFW | schemas.FlagSelfPost
	if got.Flags != wantFlags {
		t.Errorf("flags = %b, want %b (admin is not moderator-distinguished)", got.Flags, wantFlags)
	}
	if got.Extra != `{"distinguished":"admin"}` {
		t.Errorf("Extra = %q", got.Extra)
	}
}

func TestDocumentExtraOnlyWhenNeeded(t *testing.T) {
	for dist, want := range map[string]string{"": "", "moderator": "", "special": `{"distinguished":"special"}`, `a"b`: `{"distinguished":"a\"b"}`} {
		if got := (Record{Kind: Comment, Distinguished: dist}).Document("d", "f", 0).Extra; got != want {
			t.Errorf("distinguished %q: Extra %q, want %q", dist, got, want)
		}
	}
	if f := (Record{Kind: Comment, IsSelf: true}).Document("d", "f", 0).Flags; f != 0 {
		t.Errorf("a comment is never a self-post: flags %b", f)
	}
}

func TestDumpOf(t *testing.T) {
	tests := map[string]string{
		"RC_2005-12.zst":                         "2005-12",
		"/data/RS_2005-12.zst":                   "2005-12",
		"RC_2015-01.legacy_string.2lines.ndjson": "2015-01",
		"RS_2019-10_AskWomen.head50.ndjson":      "2019-10",
		"RC_2005-123.zst":                        "RC_2005-123",
		"RC_20x5-12.zst":                         "RC_20x5-12",
		"RX_2005-12.zst":                         "RX_2005-12",
		"RC_2005.zst":                            "RC_2005",
		"comments.ndjson":                        "comments",
		"some.dump.json":                         "some",
		"noext":                                  "noext",
	}
	for path, want := range tests {
		if got := DumpOf(path); got != want {
			t.Errorf("DumpOf(%q) = %q, want %q", path, got, want)
		}
	}
}
