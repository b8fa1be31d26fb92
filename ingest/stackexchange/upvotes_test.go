package stackexchange

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestCountUpvotesSpillsAndMerges(t *testing.T) {
	const maxPostID = 500
	data, votes := genVotesXML(11, 3000, maxPostID)
	want := map[int64]int64{}
	for _, v := range votes {
		if v.voteType == VoteTypeUpMod {
			want[v.postID]++
		}
	}
	// 7 ids per run: ~1500 upvotes make ~200 runs, so the runs are also
	// merged in cascades of maxMergeFanIn.
	for _, bufferIDs := range []int{1, 7, 1000, 0} {
		dir := t.TempDir()
		u, err := CountUpvotes(bytes.NewReader(data), "Votes.xml", dir, bufferIDs)
		if err != nil {
			t.Fatal(err)
		}
		if bufferIDs == 7 {
			if n := countFiles(t, dir); n == 0 || n > maxMergeFanIn {
				t.Errorf("buffer 7: %d run files, want 1..%d", n, maxMergeFanIn)
			}
		}
		for id := int64(0); id <= maxPostID+1; id++ {
			if n, ok := u.Lookup(id); !ok || n != want[id] {
				t.Fatalf("buffer %d: Lookup(%d) = %d, %v; want %d, true", bufferIDs, id, n, ok, want[id])
			}
		}
		if err := u.Close(); err != nil {
			t.Fatal(err)
		}
		if n := countFiles(t, dir); n != 0 {
			t.Errorf("buffer %d: %d temporary files left after Close", bufferIDs, n)
		}
	}
}

func TestUpvotesLookupOrder(t *testing.T) {
	input := `<votes>
		<row Id="1" PostId="5" VoteTypeId="2"/><row Id="2" PostId="3" VoteTypeId="2"/>
		<row Id="3" PostId="5" VoteTypeId="2"/><row Id="4" PostId="9" VoteTypeId="3"/>
	</votes>`
	u, err := CountUpvotes(strings.NewReader(input), "Votes.xml", t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	steps := []struct {
		id, n int64
		ok    bool
	}{
		{1, 0, true}, {3, 1, true}, {3, 1, true}, {2, 0, false}, {5, 2, true}, {5, 2, true}, {9, 0, true}, {100, 0, true}, {6, 0, false},
	}
	for _, s := range steps {
		if n, ok := u.Lookup(s.id); n != s.n || ok != s.ok {
			t.Errorf("Lookup(%d) = %d, %v; want %d, %v", s.id, n, ok, s.n, s.ok)
		}
	}
}

func TestCountUpvotesMalformedRows(t *testing.T) {
	input := `<votes>
		<row Id="1" PostId="1" VoteTypeId="2"/>
		<row Id="2" PostId="x" VoteTypeId="2"/>
		<row Id="3" VoteTypeId="2"/>
		<row Id="4" PostId="1" VoteTypeId="2
		<row Id="5" PostId="1" VoteTypeId="2"/>
		<row Id="6" PostId="2" VoteTypeId="&bad;"/>
	</votes>`
	u, err := CountUpvotes(strings.NewReader(input), "Votes.xml", t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if u.VoteRows != 6 || u.MalformedRows != 4 || u.UpvoteRows != 2 {
		t.Errorf("rows %d, malformed %d, upvotes %d; want 6, 4, 2", u.VoteRows, u.MalformedRows, u.UpvoteRows)
	}
	if n, ok := u.Lookup(1); n != 2 || !ok {
		t.Errorf("Lookup(1) = %d, %v; want 2, true", n, ok)
	}
}

func TestCountUpvotesTruncated(t *testing.T) {
	data, _ := genVotesXML(12, 200, 50)
	dir := t.TempDir()
	_, err := CountUpvotes(bytes.NewReader(data[:len(data)/2]), "Votes.xml", dir, 7)
	var readErr *ReadError
	if !errors.As(err, &readErr) || !strings.Contains(err.Error(), "Votes.xml") {
		t.Fatalf("error = %v, want a *ReadError naming Votes.xml", err)
	}
	if n := countFiles(t, dir); n != 0 {
		t.Errorf("%d temporary files left after a failure", n)
	}
}

func TestUpvotesCorruptRun(t *testing.T) {
	var good bytes.Buffer
	if err := encodeRun(&good, []int64{1, 2, 2, 9}); err != nil {
		t.Fatal(err)
	}
	var damaged bytes.Buffer
	if err := encodeRun(&damaged, []int64{1, 5, 7}); err != nil {
		t.Fatal(err)
	}
	damaged.Truncate(damaged.Len() - 1) // the count of id 7 is missing
	u := &Upvotes{runs: newRunMerger([]*runReader{{r: &good}, {r: &damaged}})}
	if n, ok := u.Lookup(1); n != 2 || !ok {
		t.Fatalf("Lookup(1) = %d, %v; want 2, true", n, ok)
	}
	if n, ok := u.Lookup(5); ok {
		t.Fatalf("Lookup(5) = %d, true from a damaged run", n)
	}
	if err := u.Err(); err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Err() = %v, want an unexpected EOF", err)
	}
	if _, ok := u.Lookup(9); ok {
		t.Error("Lookup succeeded after a failure")
	}
}

func TestEncodeRunRoundTrip(t *testing.T) {
	ids := []int64{-5, -5, 0, 1, 1, 1, 1 << 40, 1<<40 + 1}
	var buf bytes.Buffer
	if err := encodeRun(&buf, ids); err != nil {
		t.Fatal(err)
	}
	rr := &runReader{r: &buf}
	var got []idCount
	for c, ok := rr.next(); ok; c, ok = rr.next() {
		got = append(got, c)
	}
	want := []idCount{{-5, 2}, {0, 1}, {1, 3}, {1 << 40, 1}, {1<<40 + 1, 1}}
	if rr.err != nil || len(got) != len(want) {
		t.Fatalf("got %v (%v), want %v", got, rr.err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
