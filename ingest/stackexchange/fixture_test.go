package stackexchange

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realFixtureDir holds a real site sample (393 posts, 1884 votes). It lives
// outside the repository and is not copied into it.
const realFixtureDir = "../../../shared/fixtures/real/stackexchange"

func readRealFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(realFixtureDir, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("real Stack Exchange sample %s not found in %s; skipping", name, realFixtureDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// xmlPostRow decodes a post with encoding/xml, independently of ParsePost.
type xmlPostRow struct {
	ID               int64  `xml:"Id,attr"`
	PostTypeID       int64  `xml:"PostTypeId,attr"`
	ParentID         int64  `xml:"ParentId,attr"`
	AcceptedAnswerID int64  `xml:"AcceptedAnswerId,attr"`
	OwnerUserID      int64  `xml:"OwnerUserId,attr"`
	Score            *int64 `xml:"Score,attr"`
	CreationDate     string `xml:"CreationDate,attr"`
	Title            string `xml:"Title,attr"`
	Body             string `xml:"Body,attr"`
	Tags             string `xml:"Tags,attr"`
	OwnerDisplayName string `xml:"OwnerDisplayName,attr"`
	DeletionDate     string `xml:"DeletionDate,attr"`
}

func (r xmlPostRow) post() Post {
	p := Post{
		ID: r.ID, PostTypeID: r.PostTypeID, ParentID: r.ParentID, AcceptedAnswerID: r.AcceptedAnswerID,
		OwnerUserID: r.OwnerUserID, CreationDate: r.CreationDate, Title: r.Title, Body: r.Body,
		OwnerDisplayName: r.OwnerDisplayName, Deleted: r.DeletionDate != "",
	}
	if r.Score != nil {
		p.Score, p.HasScore = *r.Score, true
	}
	tags := strings.FieldsFunc(r.Tags, func(c rune) bool { return c == '<' || c == '>' || c == '|' })
	p.Tags = strings.Join(tags, "|")
	return p
}

// decodeWithEncodingXML returns every row element of data via encoding/xml.
func decodeWithEncodingXML[T any](t testing.TB, data []byte) []T {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var rows []T
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("encoding/xml: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "row" {
			var row T
			if err := dec.DecodeElement(&row, &se); err != nil {
				t.Fatalf("encoding/xml: %v", err)
			}
			rows = append(rows, row)
		}
	}
}

func scanPosts(t testing.TB, data []byte, name string) []Post {
	t.Helper()
	sc := NewRowScanner(bytes.NewReader(data), name, 0)
	var posts []Post
	for {
		row, err := sc.Next()
		if err == io.EOF {
			return posts
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		p, err := ParsePost(row)
		if err != nil {
			t.Fatal(newRowError(sc.name, sc.RowOffset(), err, row))
		}
		posts = append(posts, p)
	}
}

func TestRealPosts(t *testing.T) {
	data := readRealFixture(t, postsFile)
	posts := scanPosts(t, data, postsFile)
	if len(posts) != 393 {
		t.Fatalf("got %d posts, want 393", len(posts))
	}
	want := decodeWithEncodingXML[xmlPostRow](t, data)
	for i, p := range posts {
		if w := want[i].post(); p != w {
			t.Fatalf("post %d differs from encoding/xml:\n got %+v\nwant %+v", p.ID, p, w)
		}
		if i > 0 && p.ID <= posts[i-1].ID {
			t.Errorf("post ids not ascending: %d after %d", p.ID, posts[i-1].ID)
		}
		if p.PostTypeID == PostTypeAnswer && p.ParentID == 0 {
			t.Errorf("answer %d has no ParentId", p.ID)
		}
		if p.PostTypeID == PostTypeQuestion && (p.Title == "" || p.Tags == "" || strings.ContainsAny(p.Tags, "<>&")) {
			t.Errorf("question %d: title %q, tags %q", p.ID, p.Title, p.Tags)
		}
	}
}

type xmlVoteRow struct {
	PostID     int64 `xml:"PostId,attr"`
	VoteTypeID int   `xml:"VoteTypeId,attr"`
}

func TestRealVotes(t *testing.T) {
	votesData := readRealFixture(t, votesFile)
	posts := scanPosts(t, readRealFixture(t, postsFile), postsFile)

	votes := decodeWithEncodingXML[xmlVoteRow](t, votesData)
	if len(votes) != 1884 {
		t.Fatalf("encoding/xml found %d votes, want 1884", len(votes))
	}
	up, down, voted := map[int64]int64{}, map[int64]int64{}, map[int64]bool{}
	for _, v := range votes {
		voted[v.PostID] = true
		switch v.VoteTypeID {
		case VoteTypeUpMod:
			up[v.PostID]++
		case VoteTypeDownMod:
			down[v.PostID]++
		}
	}

	for _, bufferIDs := range []int{0, 7, 100} {
		u, err := CountUpvotes(bytes.NewReader(votesData), votesFile, t.TempDir(), bufferIDs)
		if err != nil {
			t.Fatalf("CountUpvotes(buffer %d): %v", bufferIDs, err)
		}
		if u.VoteRows != 1884 || u.MalformedRows != 0 || u.UpvoteRows != 1589 {
			t.Errorf("buffer %d: rows %d, upvotes %d, malformed %d", bufferIDs, u.VoteRows, u.UpvoteRows, u.MalformedRows)
		}
		scoreChecked := 0
		for _, p := range posts {
			n, ok := u.Lookup(p.ID)
			if !ok || n != up[p.ID] {
				t.Fatalf("buffer %d: Lookup(%d) = %d, %v; want %d", bufferIDs, p.ID, n, ok, up[p.ID])
			}
			if voted[p.ID] {
				scoreChecked++
				if p.Score != n-down[p.ID] {
					t.Errorf("post %d: Score %d != %d up - %d down", p.ID, p.Score, n, down[p.ID])
				}
			}
		}
		if scoreChecked == 0 {
			t.Error("no post had votes")
		}
		if err := u.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
