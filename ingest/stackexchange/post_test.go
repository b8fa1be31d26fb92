package stackexchange

import (
	"strings"
	"testing"
)

func TestParsePost(t *testing.T) {
	tests := []struct {
		name string
		row  string
		want Post
	}{
		{
			name: "question with escaped tags",
			row:  ` Id="1" PostTypeId="1" AcceptedAnswerId="3" CreationDate="2016-08-02T15:39:14.947" Score="10" ViewCount="1" Body="&lt;p&gt;What is...&lt;/p&gt;&#xA;" OwnerUserId="8" Title="What is AI?" Tags="&lt;neural-networks&gt;&lt;ai&gt;" AnswerCount="2" ContentLicense="CC BY-SA 3.0" `,
			want: Post{ID: 1, PostTypeID: 1, AcceptedAnswerID: 3, CreationDate: "2016-08-02T15:39:14.947", Score: 10, HasScore: true,
				Body: "<p>What is...</p>\n", OwnerUserID: 8, Title: "What is AI?", Tags: "neural-networks|ai"},
		},
		{
			name: "pipe tags",
			row:  ` Id="7" PostTypeId="1" Tags="|python|c++|c#|"`,
			want: Post{ID: 7, PostTypeID: 1, Tags: "python|c++|c#"},
		},
		{
			name: "single tag and empty tags",
			row:  ` Id="7" Tags="&lt;ai&gt;" Title=""`,
			want: Post{ID: 7, Tags: "ai"},
		},
		{
			name: "answer",
			row:  ` Id="3" PostTypeId="2" ParentId="1" Score="-2" OwnerUserId="-1" OwnerDisplayName="J&amp;J"`,
			want: Post{ID: 3, PostTypeID: 2, ParentID: 1, Score: -2, HasScore: true, OwnerUserID: -1, OwnerDisplayName: "J&J"},
		},
		{
			name: "all entities",
			row:  ` Id="2" Title="a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#x1F600;&#233;&#x00000A;"`,
			want: Post{ID: 2, Title: "a & b <c> \"d\" 'e' AB\U0001F600\u00e9\n"},
		},
		{
			name: "single quotes",
			row:  ` Id='4' Title='say "hi"' Score='5'`,
			want: Post{ID: 4, Title: `say "hi"`, Score: 5, HasScore: true},
		},
		{
			name: "missing attributes",
			row:  ` Id="5"`,
			want: Post{ID: 5},
		},
		{
			name: "spaces around equals and attributes over several lines",
			row:  "\r\n\tId = \"6\"\r\n\tScore\t=\t'0'\nTitle=\"x\"\n",
			want: Post{ID: 6, HasScore: true, Title: "x"},
		},
		{
			name: "no space between attributes",
			row:  ` Id="8"Score="1"`,
			want: Post{ID: 8, Score: 1, HasScore: true},
		},
		{
			name: "deleted",
			row:  ` Id="9" DeletionDate="2020-01-01T00:00:00.000"`,
			want: Post{ID: 9, Deleted: true},
		},
		{
			name: "raw gt and slash in value",
			row:  ` Id="10" Title="a > b /> c"`,
			want: Post{ID: 10, Title: "a > b /> c"},
		},
		{
			name: "numeric id written as an entity",
			row:  ` Id="&#49;2"`,
			want: Post{ID: 12},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePost([]byte(tt.row))
			if err != nil {
				t.Fatalf("ParsePost: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParsePost:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParsePostErrors(t *testing.T) {
	tests := []struct {
		name, row, wantErr string
	}{
		{"missing id", ` PostTypeId="1"`, "no Id"},
		{"empty row", ``, "no Id"},
		{"non-numeric id", ` Id="abc"`, "Id: not an integer"},
		{"non-numeric score", ` Id="1" Score="ten"`, "Score: not an integer"},
		{"empty score", ` Id="1" Score=""`, "Score: not an integer"},
		{"fractional parent", ` Id="1" ParentId="1.5"`, "ParentId: not an integer"},
		{"space in number", ` Id=" 1"`, "not an integer"},
		{"overflowing id", ` Id="99999999999999999999"`, "not an integer"},
		{"non-numeric accepted answer", ` Id="1" AcceptedAnswerId="x"`, "AcceptedAnswerId"},
		{"non-numeric owner", ` Id="1" OwnerUserId="-"`, "OwnerUserId"},
		{"non-numeric post type", ` Id="1" PostTypeId="q"`, "PostTypeId"},
		{"unterminated quote", ` Id="1" Title="abc`, "unterminated value"},
		{"mismatched quotes", ` Title='x" Id="1"`, "unterminated value"},
		{"unquoted value", ` Id=1`, "not quoted"},
		{"attribute without value", ` Id="1" Title`, "without a value"},
		{"attribute name with quote", ` Id="1" "x"="y"`, "malformed attribute name"},
		{"unknown entity", ` Id="1" Body="&nbsp;"`, "bad entity"},
		{"unterminated entity", ` Id="1" Body="a &lt b"`, "unterminated entity"},
		{"nul character reference", ` Id="1" Body="&#0;"`, "bad entity"},
		{"surrogate character reference", ` Id="1" Body="&#xD800;"`, "bad entity"},
		{"too large character reference", ` Id="1" Body="&#x110000;"`, "bad entity"},
		{"empty character reference", ` Id="1" Body="&#x;"`, "bad entity"},
		{"bad entity in an unused attribute", ` Id="1" LastActivityDate="&bogus;"`, "bad entity"},
		{"bad entity in tags", ` Id="1" Tags="&lt;a&gt"`, "unterminated entity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePost([]byte(tt.row))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParsePost(%q) error = %v, want one containing %q", tt.row, err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "stackexchange: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestParseVote(t *testing.T) {
	tests := []struct {
		name       string
		row        string
		wantPost   int64
		wantType   int
		wantErrSub string
	}{
		{"upvote", ` Id="1" PostId="1" VoteTypeId="2" CreationDate="2016-08-02T00:00:00.000" `, 1, 2, ""},
		{"any attribute order, single quotes", ` VoteTypeId='3' UserId='5' PostId='42' Id='9'`, 42, 3, ""},
		{"missing post", ` Id="1" VoteTypeId="2"`, 0, 0, "no PostId"},
		{"missing type", ` Id="1" PostId="2"`, 0, 0, "no VoteTypeId"},
		{"non-numeric post", ` PostId="x" VoteTypeId="2"`, 0, 0, "PostId: not an integer"},
		{"type out of range", ` PostId="1" VoteTypeId="99999999999"`, 0, 0, "out of range"},
		{"unterminated", ` PostId="1" VoteTypeId="2`, 0, 0, "unterminated value"},
		{"bad entity", ` PostId="1" VoteTypeId="2" CreationDate="&x;"`, 0, 0, "bad entity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			post, voteType, err := ParseVote([]byte(tt.row))
			if tt.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrSub) {
					t.Fatalf("ParseVote error = %v, want one containing %q", err, tt.wantErrSub)
				}
				return
			}
			if err != nil || post != tt.wantPost || voteType != tt.wantType {
				t.Fatalf("ParseVote = %d, %d, %v; want %d, %d, nil", post, voteType, err, tt.wantPost, tt.wantType)
			}
		})
	}
}

func TestNormalizeTags(t *testing.T) {
	tests := map[string]string{
		"":                 "",
		"<a>":              "a",
		"<a><b><c>":        "a|b|c",
		"|a|b|c|":          "a|b|c",
		"a|b":              "a|b",
		"||":               "",
		"<c++><c#><.net>":  "c++|c#|.net",
		"<a>|<b>":          "a|b",
		"<long-tag-name>x": "long-tag-name|x",
	}
	for in, want := range tests {
		b := []byte(in)
		if got := string(b[:normalizeTags(b)]); got != want {
			t.Errorf("normalizeTags(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePostGenerated(t *testing.T) {
	data, posts := genPostsXML(7, 200<<10)
	sc := NewRowScanner(strings.NewReader(string(data)), "gen/Posts.xml", 0)
	for i, want := range posts {
		row, err := sc.Next()
		if err != nil {
			t.Fatalf("row %d: Next: %v", i, err)
		}
		got, err := ParsePost(row)
		if err != nil {
			t.Fatalf("row %d: ParsePost: %v", i, err)
		}
		if got != want.want() {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, got, want.want())
		}
	}
	if _, err := sc.Next(); err.Error() != "EOF" {
		t.Fatalf("after the last row: %v, want EOF", err)
	}
}

func TestParsePostAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	row := []byte(` Id="1" PostTypeId="1" CreationDate="2016-08-02T15:39:14.947" Score="10" Body="&lt;p&gt;What is it?&lt;/p&gt;&#xA;" Title="T" Tags="&lt;a&gt;&lt;b&gt;"`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ParsePost(row); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("ParsePost allocates %.1f times per row, want 1", allocs)
	}
}
