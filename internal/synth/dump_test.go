package synth

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type postRow struct {
	ID               int64  `xml:"Id,attr"`
	PostTypeID       int    `xml:"PostTypeId,attr"`
	ParentID         int64  `xml:"ParentId,attr"`
	AcceptedAnswerID int64  `xml:"AcceptedAnswerId,attr"`
	CreationDate     string `xml:"CreationDate,attr"`
	Score            int    `xml:"Score,attr"`
	Body             string `xml:"Body,attr"`
	OwnerUserID      string `xml:"OwnerUserId,attr"`
	Title            string `xml:"Title,attr"`
	Tags             string `xml:"Tags,attr"`
	AnswerCount      int    `xml:"AnswerCount,attr"`
	ContentLicense   string `xml:"ContentLicense,attr"`
}

type voteRow struct {
	ID           int64  `xml:"Id,attr"`
	PostID       int64  `xml:"PostId,attr"`
	VoteTypeID   int    `xml:"VoteTypeId,attr"`
	CreationDate string `xml:"CreationDate,attr"`
}

type dump struct {
	dir          string
	stats        Stats
	posts, votes []byte
	Posts        []postRow
	Votes        []voteRow
}

func generate(t testing.TB, o Options) *dump {
	t.Helper()
	d := &dump{dir: t.TempDir()}
	var err error
	if d.stats, err = StackExchange(d.dir, o); err != nil {
		t.Fatal(err)
	}
	site := filepath.Join(d.dir, cmp.Or(o.Site, DefaultSite))
	if d.posts, err = os.ReadFile(filepath.Join(site, "Posts.xml")); err != nil {
		t.Fatal(err)
	}
	if d.votes, err = os.ReadFile(filepath.Join(site, "Votes.xml")); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *dump) parse(t *testing.T) {
	t.Helper()
	var posts struct {
		Rows []postRow `xml:"row"`
	}
	if err := xml.Unmarshal(d.posts, &posts); err != nil {
		t.Fatalf("Posts.xml: %v", err)
	}
	var votes struct {
		Rows []voteRow `xml:"row"`
	}
	if err := xml.Unmarshal(d.votes, &votes); err != nil {
		t.Fatalf("Votes.xml: %v", err)
	}
	d.Posts, d.Votes = posts.Rows, votes.Rows
}

func smallOptions(questions int) Options {
	o := DefaultOptions()
	o.Questions = questions
	o.Seed = 7
	return o
}

func TestDeterministic(t *testing.T) {
	o := smallOptions(300)
	a, b := generate(t, o), generate(t, o)
	if !bytes.Equal(a.posts, b.posts) || !bytes.Equal(a.votes, b.votes) {
		t.Fatal("same options gave different files")
	}
	o.Seed++
	if c := generate(t, o); bytes.Equal(a.posts, c.posts) {
		t.Fatal("a different seed gave the same Posts.xml")
	}
}

func TestLayout(t *testing.T) {
	for _, crlf := range []bool{true, false} {
		o := smallOptions(200)
		o.CRLF = crlf
		d := generate(t, o)
		nl := map[bool]string{true: "\r\n", false: "\n"}[crlf]
		checkLayout(t, d.posts, "posts", nl)
		checkLayout(t, d.votes, "votes", nl)
	}
}

func checkLayout(t *testing.T, file []byte, root, nl string) {
	t.Helper()
	text := string(file)
	head := `<?xml version="1.0" encoding="utf-8"?>` + nl + "<" + root + ">" + nl
	if !strings.HasPrefix(text, head) || !strings.HasSuffix(text, nl+"</"+root+">"+nl) {
		t.Fatalf("%s: bad head or tail", root)
	}
	lines := strings.Split(strings.TrimSuffix(text, nl), nl)
	for _, l := range lines[2 : len(lines)-1] {
		if !strings.HasPrefix(l, "  <row ") || !strings.HasSuffix(l, " />") || strings.ContainsAny(l, "\r\n") {
			t.Fatalf("%s: bad row line %q", root, l)
		}
	}
}

func TestDumpInvariants(t *testing.T) {
	for _, newTags := range []bool{false, true} {
		o := smallOptions(1500)
		o.NewTagFormat = newTags
		d := generate(t, o)
		d.parse(t)
		checkPosts(t, d, newTags)
		checkVotes(t, d)
	}
}

func checkPosts(t *testing.T, d *dump, newTags bool) {
	t.Helper()
	byID := map[int64]*postRow{}
	answers := map[int64][]*postRow{}
	kinds := map[int]int{}
	var last int64
	interleaved, fabricated := 0, 0
	for i := range d.Posts {
		p := &d.Posts[i]
		if p.ID <= last {
			t.Fatalf("Id %d after %d", p.ID, last)
		}
		last = p.ID
		byID[p.ID] = p
		kinds[p.PostTypeID]++
		parseDate(t, p.CreationDate)
		if p.ContentLicense == "" {
			t.Fatalf("post %d has no ContentLicense", p.ID)
		}
		if p.ID >= fabricatedBase {
			fabricated++
			if p.OwnerUserID != "-1" {
				t.Fatalf("fabricated post %d owned by %q", p.ID, p.OwnerUserID)
			}
		}
		switch p.PostTypeID {
		case 1:
			checkQuestion(t, p, newTags)
		case 2:
			q := byID[p.ParentID]
			if q == nil || q.PostTypeID != 1 {
				t.Fatalf("answer %d: parent %d is not an earlier question", p.ID, p.ParentID)
			}
			if !(parseDate(t, p.CreationDate).After(parseDate(t, q.CreationDate))) {
				t.Fatalf("answer %d is not after its question", p.ID)
			}
			if prev := answers[p.ParentID]; len(prev) > 0 && !parseDate(t, p.CreationDate).After(parseDate(t, prev[len(prev)-1].CreationDate)) {
				t.Fatalf("answer %d is not after the previous answer", p.ID)
			}
			if !strings.HasPrefix(p.Body, "<p>") {
				t.Fatalf("answer %d body %q", p.ID, p.Body)
			}
			answers[p.ParentID] = append(answers[p.ParentID], p)
			if byID[p.ID-1].PostTypeID == 1 && p.ID-1 != p.ParentID {
				interleaved++
			}
		}
	}
	for _, p := range d.Posts {
		if p.PostTypeID != 1 {
			continue
		}
		if p.AnswerCount != len(answers[p.ID]) {
			t.Fatalf("question %d: AnswerCount %d, %d answers", p.ID, p.AnswerCount, len(answers[p.ID]))
		}
		if a := byID[p.AcceptedAnswerID]; p.AcceptedAnswerID != 0 && (a == nil || a.ParentID != p.ID) {
			t.Fatalf("question %d accepts %d, not one of its answers", p.ID, p.AcceptedAnswerID)
		}
	}
	if kinds[4] == 0 || kinds[5] == 0 {
		t.Errorf("no tag wiki rows: %v", kinds)
	}
	if fabricated == 0 || fabricated != d.stats.Fabricated {
		t.Errorf("fabricated rows: %d, stats say %d", fabricated, d.stats.Fabricated)
	}
	if interleaved == 0 {
		t.Error("answers never interleave with later questions")
	}
	if got, want := kinds[1]+kinds[2], d.stats.Questions+d.stats.Answers+d.stats.Fabricated; got != want {
		t.Errorf("%d questions and answers, stats say %d", got, want)
	}
	checkAnswerCounts(t, d, answers)
}

func checkQuestion(t *testing.T, p *postRow, newTags bool) {
	t.Helper()
	tagged := strings.HasPrefix(p.Tags, "<") && strings.HasSuffix(p.Tags, ">")
	if newTags {
		tagged = strings.HasPrefix(p.Tags, "|") && strings.HasSuffix(p.Tags, "|")
	}
	if !tagged || p.Title == "" || !strings.HasPrefix(p.Body, "<p>") || !strings.Contains(p.Body, "<pre><code>") {
		t.Fatalf("question %d: Title %q Tags %q Body %.40q", p.ID, p.Title, p.Tags, p.Body)
	}
}

func checkAnswerCounts(t *testing.T, d *dump, answers map[int64][]*postRow) {
	t.Helper()
	total, few, most, negative := 0, 0, 0, 0
	for _, p := range d.Posts {
		if p.PostTypeID == 2 && p.Score < 0 {
			negative++
		}
		if p.PostTypeID != 1 || p.ID >= fabricatedBase {
			continue
		}
		n := len(answers[p.ID])
		total += n
		most = max(most, n)
		if n <= 1 {
			few++
		}
	}
	mean := float64(total) / float64(d.stats.Questions)
	if mean < 1.8 || mean > 2.5 || float64(few) < 0.4*float64(d.stats.Questions) || most > maxAnswers || most < 8 {
		t.Errorf("answers per question: mean %.2f, %d of %d with 0-1, max %d", mean, few, d.stats.Questions, most)
	}
	if negative == 0 {
		t.Error("no answer has a negative score")
	}
}

func checkVotes(t *testing.T, d *dump) {
	t.Helper()
	score := map[int64]int{}
	accepts := map[int64]int{}
	var lastID int64
	lastDay := ""
	unsorted := 0
	for i, v := range d.Votes {
		if v.ID <= lastID || v.CreationDate < lastDay {
			t.Fatalf("vote %d out of order (%s after %s)", v.ID, v.CreationDate, lastDay)
		}
		if !strings.HasSuffix(v.CreationDate, "T00:00:00.000") {
			t.Fatalf("vote %d date %q", v.ID, v.CreationDate)
		}
		if i > 0 && v.PostID < d.Votes[i-1].PostID {
			unsorted++
		}
		lastID, lastDay = v.ID, v.CreationDate
		switch v.VoteTypeID {
		case 1:
			accepts[v.PostID]++
		case 2:
			score[v.PostID]++
		case 3:
			score[v.PostID]--
		}
	}
	if unsorted == 0 {
		t.Error("Votes.xml is sorted by PostId")
	}
	if len(d.Votes) != d.stats.Votes {
		t.Errorf("%d votes, stats say %d", len(d.Votes), d.stats.Votes)
	}
	accepted := map[int64]bool{}
	for _, p := range d.Posts {
		if p.Score != score[p.ID] {
			t.Fatalf("post %d: Score %d, votes say %d", p.ID, p.Score, score[p.ID])
		}
		if p.AcceptedAnswerID != 0 {
			accepted[p.AcceptedAnswerID] = true
			if accepts[p.AcceptedAnswerID] != 1 {
				t.Fatalf("accepted answer %d has %d accept votes", p.AcceptedAnswerID, accepts[p.AcceptedAnswerID])
			}
		}
	}
	if len(accepts) != len(accepted) || len(accepted) == 0 {
		t.Errorf("%d posts with accept votes, %d accepted answers", len(accepts), len(accepted))
	}
}

func parseDate(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse("2006-01-02T15:04:05.000", s)
	if err != nil {
		t.Fatalf("date %q: %v", s, err)
	}
	return ts
}

// TestVoteSignalLearnable checks that scores carry the hidden quality:
// across answers, and within questions as pairwise preferences.
func TestVoteSignalLearnable(t *testing.T) {
	o := smallOptions(3000)
	d := generate(t, o)
	d.parse(t)
	var signals, scores []float64
	byQuestion := map[int64][]int{}
	for _, p := range d.Posts {
		if p.PostTypeID != 2 || p.ID >= fabricatedBase {
			continue
		}
		byQuestion[p.ParentID] = append(byQuestion[p.ParentID], len(scores))
		signals = append(signals, QualityOf(o.Seed, p.ID).VoteSignal())
		scores = append(scores, float64(p.Score))
	}
	r := pearson(signals, scores)
	agree, pairs := 0, 0
	for _, idx := range byQuestion {
		for _, i := range idx {
			for _, j := range idx {
				if scores[i] > scores[j] {
					pairs++
					if signals[i] > signals[j] {
						agree++
					}
				}
			}
		}
	}
	pairAgreement := float64(agree) / float64(pairs)
	t.Logf("corr(VoteSignal, Score) = %.3f over %d answers; %d pairs agree %.3f", r, len(scores), pairs, pairAgreement)
	if r < 0.3 {
		t.Errorf("correlation %.3f < 0.3", r)
	}
	if pairAgreement < 0.6 {
		t.Errorf("pairwise agreement %.3f < 0.6", pairAgreement)
	}
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy, sxx, syy, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		syy += y[i] * y[i]
		sxy += x[i] * y[i]
	}
	return (sxy - sx*sy/n) / math.Sqrt((sxx-sx*sx/n)*(syy-sy*sy/n))
}

func TestTargetBytes(t *testing.T) {
	for _, target := range []int64{1 << 20, 6 << 20} {
		o := smallOptions(1) // ignored
		o.TargetBytes = target
		d := generate(t, o)
		off := float64(d.stats.PostsBytes-target) / float64(target)
		t.Logf("target %d: %d bytes (%+.2f%%), %d questions", target, d.stats.PostsBytes, 100*off, d.stats.Questions)
		if math.Abs(off) > 0.05 || d.stats.PostsBytes != int64(len(d.posts)) {
			t.Errorf("target %d: wrote %d bytes (file %d)", target, d.stats.PostsBytes, len(d.posts))
		}
	}
}

func TestProgress(t *testing.T) {
	o := smallOptions(1)
	o.TargetBytes = 3 << 20
	var calls []int64
	o.Progress = func(n int64) { calls = append(calls, n) }
	d := generate(t, o)
	if len(calls) < 3 || calls[len(calls)-1] != d.stats.PostsBytes {
		t.Fatalf("progress calls %v, PostsBytes %d", calls, d.stats.PostsBytes)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] < calls[i-1] {
			t.Fatalf("progress went backwards: %v", calls)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, o := range []Options{
		{Questions: -1},
		{Questions: 1, TargetBytes: -1},
		{Questions: 1, Site: "a/b"},
		{Questions: 1, Site: ".."},
	} {
		if _, err := StackExchange(t.TempDir(), o); err == nil || !strings.HasPrefix(err.Error(), "synth: ") {
			t.Errorf("%+v: err = %v", o, err)
		}
	}
}

func TestZeroQuestions(t *testing.T) {
	o := smallOptions(0)
	o.Fabricated = false
	d := generate(t, o)
	d.parse(t)
	if len(d.Posts) != 0 || len(d.Votes) != 0 {
		t.Fatalf("%d posts, %d votes", len(d.Posts), len(d.Votes))
	}
}

func TestSevenZipMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	o := smallOptions(5)
	o.SevenZip = true
	if _, err := StackExchange(t.TempDir(), o); !errors.Is(err, ErrNo7z) {
		t.Fatalf("err = %v, want ErrNo7z", err)
	}
}
