package wikipedia

import (
	"encoding/json"
	"testing"

	"github.com/prefstream/prefstream/schemas"
)

func TestRevisionDocument(t *testing.T) {
	p := Page{ID: 45046, NS: 2, Title: "User:Ryulong"}
	tests := []struct {
		name string
		rev  Revision
		want schemas.Document
	}{
		{"ordinary", Revision{ID: 360840, ParentID: 360821, Timestamp: 1174995350, Contributor: "Eptalon", Minor: true,
			Comment: `Reverted <edits> by "X" & Y`, Text: "{{babel|en}}", SHA1: "61o9wqbehiqpmke7163b1675fic2cri", Offset: 4242},
			schemas.Document{Source: "wikipedia", Dump: "simplewiki", ID: "360840", ThreadID: "45046", ParentID: "360821",
				Kind: schemas.KindRevision, Author: "Eptalon", CreatedUnix: 1174995350, Upvotes: -1, Title: "User:Ryulong",
				Text: "{{babel|en}}", Flags: schemas.FlagMinorEdit,
				Extra:      `{"sha1":"61o9wqbehiqpmke7163b1675fic2cri","comment":"Reverted <edits> by \"X\" & Y","ns":2}`,
				SourceFile: "/d/simplewiki.xml.bz2", Offset: 4242, IngestedUnix: 99}},
		{"first revision, everything deleted", Revision{ID: 1, Timestamp: 5, ContributorDeleted: true, CommentDeleted: true, TextDeleted: true},
			schemas.Document{Source: "wikipedia", Dump: "simplewiki", ID: "1", ThreadID: "45046", Kind: schemas.KindRevision,
				CreatedUnix: 5, Upvotes: -1, Title: "User:Ryulong", Flags: schemas.FlagDeleted | schemas.FlagAuthorDeleted,
				Extra: `{"sha1":"","ns":2}`, SourceFile: "/d/simplewiki.xml.bz2", IngestedUnix: 99}},
		{"empty comment is kept", Revision{ID: 2, Text: "x", SHA1: "s"},
			schemas.Document{Source: "wikipedia", Dump: "simplewiki", ID: "2", ThreadID: "45046", Kind: schemas.KindRevision,
				Upvotes: -1, Title: "User:Ryulong", Text: "x", Extra: `{"sha1":"s","comment":"","ns":2}`,
				SourceFile: "/d/simplewiki.xml.bz2", IngestedUnix: 99}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rev.Document(p, "simplewiki", "/d/simplewiki.xml.bz2", 99)
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			var e Extra
			if err := json.Unmarshal([]byte(got.Extra), &e); err != nil || e.SHA1 != tt.rev.SHA1 || e.NS != 2 {
				t.Errorf("extra %s does not decode: %v", got.Extra, err)
			}
		})
	}
}

func TestNamespaceFilter(t *testing.T) {
	tests := []struct {
		spec string
		keep []int
		drop []int
	}{
		{"", []int{0}, []int{1, 2, -1}},
		{"0", []int{0}, []int{1}},
		{"0,1,4", []int{0, 1, 4}, []int{2, 3}},
		{" 0 , 14 ", []int{0, 14}, []int{1}},
		{"all", []int{0, 1, 2, 118, -2}, nil},
	}
	for _, tt := range tests {
		keep, err := NamespaceFilter(tt.spec)
		if err != nil {
			t.Fatalf("%q: %v", tt.spec, err)
		}
		for _, ns := range tt.keep {
			if !keep(ns) {
				t.Errorf("%q drops namespace %d", tt.spec, ns)
			}
		}
		for _, ns := range tt.drop {
			if keep(ns) {
				t.Errorf("%q keeps namespace %d", tt.spec, ns)
			}
		}
	}
	for _, bad := range []string{"main", "0,,1", "1;2", "All"} {
		if _, err := NamespaceFilter(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDumpName(t *testing.T) {
	for path, want := range map[string]string{
		"/d/enwiki-20240601-pages-meta-history1.xml-p1p812.bz2": "enwiki-20240601-pages-meta-history1.xml-p1p812",
		"simplewiki-history-sample-export-0.11.xml":             "simplewiki-history-sample-export-0.11",
		"pywikibot-article-pyrus.xml.7z":                        "pywikibot-article-pyrus",
		"x.XML.BZ2":                                             "x",
	} {
		if got := DumpName(path); got != want {
			t.Errorf("DumpName(%q) = %q, want %q", path, got, want)
		}
	}
}
