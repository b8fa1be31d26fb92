package reddit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// realFixtureDir holds real dump samples. They live outside the repository
// and are not copied into it.
const realFixtureDir = "../../../shared/fixtures/real/reddit"

const (
	realComments    = "RC_2005-12.zst"
	realLegacy      = "RC_2015-01.legacy_string_created_utc.2lines.ndjson"
	realSubmissions = "RS_2019-10_AskWomen.head50.ndjson"
)

func realFixture(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(realFixtureDir, name)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("real Reddit sample %s not found in %s; skipping", name, realFixtureDir)
	}
	return path
}

// realLines returns the decompressed lines of a fixture, independently of
// the Reader.
func realLines(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(path) == ".zst" {
		dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(MaxWindow), zstd.WithDecoderLowmem(true))
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		if data, err = dec.DecodeAll(data, nil); err != nil {
			t.Fatal(err)
		}
	}
	return bytes.SplitAfter(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

func readFile(t testing.TB, path string) []Record {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return readAll(t, r)
}

// jsonRecord builds the expected Record from encoding/json's view of a line.
func jsonRecord(t testing.TB, line []byte) Record {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	num := func(k string) int64 {
		switch v := m[k].(type) {
		case float64:
			return int64(v)
		case string:
			var n int64
			fmt.Sscan(v, &n)
			return n
		}
		return 0
	}
	r := Record{
		Author: str("author"), Subreddit: str("subreddit"), Score: num("score"), CreatedUTC: num("created_utc"),
		Distinguished: str("distinguished"),
	}
	body := str("body")
	if _, ok := m["body"]; ok {
		r.Kind, r.ID, r.LinkID, r.ParentID = Comment, "t1_"+str("id"), str("link_id"), str("parent_id")
	} else {
		r.Kind, r.ID, r.Title, body = Submission, "t3_"+str("id"), htmlUnescaper.Replace(str("title")), str("selftext")
		r.LinkID = r.ID
		r.IsSelf, _ = m["is_self"].(bool)
		r.NSFW, _ = m["over_18"].(bool)
	}
	if body == "[deleted]" || body == "[removed]" {
		r.Deleted = true
	} else {
		r.Body = htmlUnescaper.Replace(body)
	}
	if r.Author == "[deleted]" {
		r.Author, r.AuthorDeleted = "", true
	}
	return r
}

// compareWithJSON checks every record against encoding/json's decoding of
// its line, and its offset against the line's position.
func compareWithJSON(t *testing.T, recs []Record, lines [][]byte) {
	t.Helper()
	if len(recs) != len(lines) {
		t.Fatalf("got %d records, want %d", len(recs), len(lines))
	}
	var offset int64
	for i, rec := range recs {
		want := jsonRecord(t, lines[i])
		want.Offset = offset
		if rec != want {
			t.Fatalf("line %d:\n got %+v\nwant %+v", i+1, rec, want)
		}
		offset += int64(len(lines[i]))
	}
}

func TestRealCommentsThrough2GiBWindow(t *testing.T) {
	path := realFixture(t, realComments)
	recs := readFile(t, path)
	if len(recs) != 1075 {
		t.Fatalf("got %d comments, want 1075", len(recs))
	}
	compareWithJSON(t, recs, realLines(t, path))
	var deleted, authorDeleted, replies int
	for _, rec := range recs {
		if rec.Kind != Comment || rec.Subreddit == "" || rec.CreatedUTC < 1133395200 || rec.CreatedUTC >= 1136073600 {
			t.Fatalf("comment not of December 2005: %+v", rec)
		}
		deleted += btoi(rec.Deleted)
		authorDeleted += btoi(rec.AuthorDeleted)
		replies += btoi(rec.ParentID != rec.LinkID)
	}
	t.Logf("%d comments: %d deleted bodies, %d deleted authors, %d replies to comments", len(recs), deleted, authorDeleted, replies)
	if deleted == 0 || authorDeleted == 0 || replies == 0 {
		t.Error("expected deleted bodies, deleted authors and replies in the sample")
	}
}

func TestRealCommentsWorkersAgree(t *testing.T) {
	path := realFixture(t, realComments)
	lines := realLines(t, path)
	data := bytes.Join(lines, nil)
	want := readFile(t, path)
	for _, workers := range []int{1, 4} {
		r := NewReader(bufio.NewReaderSize(bytes.NewReader(data), 4096), realComments, 0, workers)
		got := readAll(t, r)
		r.Close()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%d workers: record %d differs", workers, i)
			}
		}
	}
}

func TestRealTruncatedZstd(t *testing.T) {
	path := realFixture(t, realComments)
	compressed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), realComments)
	if err := os.WriteFile(truncated, compressed[:len(compressed)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(truncated)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	checkTruncated(t, r, truncated, bytes.Join(realLines(t, path), nil))
}

func TestRealLegacyStringCreatedUTC(t *testing.T) {
	path := realFixture(t, realLegacy)
	recs := readFile(t, path)
	if len(recs) != 2 {
		t.Fatalf("got %d comments, want 2", len(recs))
	}
	compareWithJSON(t, recs, realLines(t, path))
	for _, rec := range recs {
		if rec.CreatedUTC != 1420070400 {
			t.Errorf("%s: created_utc %d, want 1420070400 from the string", rec.ID, rec.CreatedUTC)
		}
	}
	if recs[1].ParentID == recs[1].LinkID {
		t.Errorf("second comment should reply to a comment: %+v", recs[1])
	}
}

func TestRealSubmissions(t *testing.T) {
	path := realFixture(t, realSubmissions)
	recs := readFile(t, path)
	if len(recs) != 50 {
		t.Fatalf("got %d submissions, want 50", len(recs))
	}
	compareWithJSON(t, recs, realLines(t, path))
	var deleted, withText, nsfw int
	for _, rec := range recs {
		if rec.Kind != Submission || rec.Subreddit != "AskWomen" || rec.Title == "" || !rec.IsSelf {
			t.Errorf("unexpected submission %+v", rec)
		}
		deleted += btoi(rec.Deleted)
		withText += btoi(rec.Body != "")
		nsfw += btoi(rec.NSFW)
	}
	t.Logf("50 submissions: %d removed or deleted, %d with text, %d NSFW", deleted, withText, nsfw)
	if deleted == 0 || withText == 0 || nsfw == 0 {
		t.Error("expected removed, text and NSFW submissions in the sample")
	}
}

func TestRealSubmissionsDocuments(t *testing.T) {
	path := realFixture(t, realSubmissions)
	for _, rec := range readFile(t, path) {
		d := rec.Document(DumpOf(path), path, 1)
		if d.Dump != "2019-10" || d.ThreadID != d.ID || d.Kind != "submission" || d.SourceFile != realSubmissions {
			t.Fatalf("document %+v", d)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
