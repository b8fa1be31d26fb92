package synth

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	featreddit "github.com/prefstream/prefstream/featurize/reddit"
	"github.com/prefstream/prefstream/ingest/reddit"
	"github.com/prefstream/prefstream/schemas"
)

func redditOptions(submissions int) RedditOptions {
	return RedditOptions{Month: "2015-06", Submissions: submissions, Seed: 11, Plain: true}
}

// month is a generated Reddit month, read back with ingest/reddit.
type month struct {
	stats                 RedditStats
	rsPath, rcPath        string
	submissions, comments []reddit.Record
}

func generateReddit(t testing.TB, o RedditOptions) *month {
	t.Helper()
	dir := t.TempDir()
	st, err := Reddit(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	m := &month{stats: st, rsPath: st.Files[0], rcPath: st.Files[1]}
	m.submissions = readRecords(t, m.rsPath)
	m.comments = readRecords(t, m.rcPath)
	return m
}

func readRecords(t testing.TB, path string) []reddit.Record {
	t.Helper()
	r, err := reddit.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []reddit.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(path), err)
		}
		recs = append(recs, rec)
	}
}

// uncompressed returns a dump file's NDJSON.
func uncompressed(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(path) != ".zst" {
		return data
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderLowmem(true))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	out, err := dec.DecodeAll(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRedditDeterministic(t *testing.T) {
	o := redditOptions(60)
	a, b := generateReddit(t, o), generateReddit(t, o)
	for i := range 2 {
		if !bytes.Equal(uncompressed(t, a.stats.Files[i]), uncompressed(t, b.stats.Files[i])) {
			t.Fatalf("same options gave different %s", filepath.Base(a.stats.Files[i]))
		}
	}
	o.Plain = false
	z := generateReddit(t, o)
	for i := range 2 {
		if !bytes.Equal(uncompressed(t, a.stats.Files[i]), uncompressed(t, z.stats.Files[i])) {
			t.Fatalf("the .zst file holds other lines than the plain one (%s)", filepath.Base(z.stats.Files[i]))
		}
	}
	o.Seed++
	if c := generateReddit(t, o); bytes.Equal(uncompressed(t, a.rcPath), uncompressed(t, c.rcPath)) {
		t.Fatal("a different seed gave the same comments")
	}
}

func TestRedditMonthInvariants(t *testing.T) {
	for _, monthName := range []string{"2015-06", "2019-10"} {
		t.Run(monthName, func(t *testing.T) {
			o := redditOptions(250)
			o.Month = monthName
			m := generateReddit(t, o)
			checkRedditCounts(t, m)
			checkSubmissions(t, m, monthName)
			checkCommentTree(t, m)
			checkRawQuirks(t, uncompressed(t, m.rcPath), uncompressed(t, m.rsPath), monthName < "2016")
		})
	}
}

func checkRedditCounts(t *testing.T, m *month) {
	t.Helper()
	if len(m.submissions) != m.stats.Submissions || len(m.comments) != m.stats.Comments || m.stats.Submissions != 250 {
		t.Fatalf("read %d submissions and %d comments, stats %+v", len(m.submissions), len(m.comments), m.stats)
	}
	if m.stats.SubmissionBytes != int64(len(uncompressed(t, m.rsPath))) || m.stats.CommentBytes != int64(len(uncompressed(t, m.rcPath))) {
		t.Fatalf("byte counts %d/%d differ from the files", m.stats.SubmissionBytes, m.stats.CommentBytes)
	}
}

func monthBounds(t *testing.T, name string) (int64, int64) {
	t.Helper()
	_, start, end, err := RedditOptions{Month: name}.normalized()
	if err != nil {
		t.Fatal(err)
	}
	return start, end
}

func checkSubmissions(t *testing.T, m *month, monthName string) {
	t.Helper()
	start, end := monthBounds(t, monthName)
	var last int64
	var scored, nsfw, links, gone int
	for _, s := range m.submissions {
		if s.Kind != reddit.Submission || s.CreatedUTC < start || s.CreatedUTC >= end || s.CreatedUTC < last {
			t.Fatalf("submission %s: kind %v, created %d (month %d-%d, previous %d)", s.ID, s.Kind, s.CreatedUTC, start, end, last)
		}
		last = s.CreatedUTC
		count(&scored, s.Score >= 10)
		count(&nsfw, s.NSFW)
		count(&links, !s.IsSelf)
		count(&gone, s.Deleted)
		if s.Title == "" || s.IsSelf && !s.Deleted && s.Body == "" || !s.IsSelf && s.Body != "" {
			t.Fatalf("submission %s: title %q, self %v, body %q", s.ID, s.Title, s.IsSelf, s.Body)
		}
	}
	n := len(m.submissions)
	if scored < n*6/10 || nsfw == 0 || links < n/10 || gone == 0 {
		t.Errorf("of %d submissions: %d scored >= 10, %d NSFW, %d links, %d deleted", n, scored, nsfw, links, gone)
	}
}

func count(n *int, cond bool) {
	if cond {
		*n++
	}
}

// checkCommentTree checks that comments come in time and id order, belong
// to a submission of the month, reply to an earlier comment of their
// thread or to the submission, and that threads nest and branch.
func checkCommentTree(t *testing.T, m *month) {
	t.Helper()
	posts := map[string]int64{}
	for _, s := range m.submissions {
		posts[s.ID] = s.CreatedUTC
	}
	type seen struct {
		link    string
		created int64
		depth   int
	}
	byID := map[string]seen{}
	children := map[string]int{}
	var lastCreated, lastID int64
	var deep, gone, authorGone, moderator int
	for _, c := range m.comments {
		postAt, ok := posts[c.LinkID]
		if c.Kind != reddit.Comment || !ok {
			t.Fatalf("comment %s: kind %v, link %s not a submission of the month", c.ID, c.Kind, c.LinkID)
		}
		id, err := strconv.ParseInt(strings.TrimPrefix(c.ID, "t1_"), 36, 64)
		if err != nil || id <= lastID || c.CreatedUTC < lastCreated {
			t.Fatalf("comment %s (created %d) after id %d, created %d", c.ID, c.CreatedUTC, lastID, lastCreated)
		}
		lastID, lastCreated = id, c.CreatedUTC
		depth := 0
		if c.ParentID == c.LinkID {
			if c.CreatedUTC <= postAt {
				t.Fatalf("comment %s is not after its submission", c.ID)
			}
		} else {
			parent, ok := byID[c.ParentID]
			if !ok || parent.link != c.LinkID || parent.created >= c.CreatedUTC {
				t.Fatalf("comment %s: parent %s is not an earlier comment of %s", c.ID, c.ParentID, c.LinkID)
			}
			depth = parent.depth + 1
		}
		byID[c.ID] = seen{c.LinkID, c.CreatedUTC, depth}
		children[c.ParentID]++
		count(&deep, depth >= 3)
		count(&gone, c.Deleted)
		count(&authorGone, c.AuthorDeleted)
		count(&moderator, c.Distinguished == reddit.DistinguishedModerator)
	}
	branching := 0
	for id, n := range children {
		count(&branching, strings.HasPrefix(id, "t1_") && n >= 3)
	}
	if deep == 0 || branching < 5 || gone == 0 || authorGone == 0 || moderator == 0 {
		t.Errorf("%d comments: %d at depth >= 3, %d comments with 3+ replies, %d deleted, %d deleted authors, %d moderator",
			len(m.comments), deep, branching, gone, authorGone, moderator)
	}
}

// checkRawQuirks looks for what the reader hides: string created_utc,
// edited timestamps, _meta objects, escaped markdown and non-ASCII.
func checkRawQuirks(t *testing.T, rc, rs []byte, old bool) {
	t.Helper()
	for _, want := range []string{`"_meta":{`, `"edited":1`, `"edited":false`, `&gt; `, `\u`, `"body":"[deleted]"`, `"body":"[removed]"`, `"author":"[deleted]"`} {
		if !bytes.Contains(rc, []byte(want)) {
			t.Errorf("no comment line has %s", want)
		}
	}
	if old && !bytes.Contains(rc, []byte(`"created_utc":"14`)) {
		t.Error("no created_utc as a string in an old month")
	}
	for _, want := range []string{`"over_18":true`, `"is_self":false`, `"selftext":"[removed]"`, `"selftext":""`} {
		if !bytes.Contains(rs, []byte(want)) {
			t.Errorf("no submission line has %s", want)
		}
	}
}

func TestRedditZstdWindow(t *testing.T) {
	if _, err := exec.LookPath("zstd"); err != nil {
		t.Skip("zstd not on PATH: the fallback encoder is tested by TestRedditZstdFallback")
	}
	o := redditOptions(20)
	o.Plain = false
	m := generateReddit(t, o)
	if m.stats.Compressor != zstdCommandName {
		t.Errorf("Compressor = %q", m.stats.Compressor)
	}
	for _, path := range m.stats.Files {
		if w := frameWindow(t, path); w != 1<<31 {
			t.Errorf("%s declares a %d-byte window, want 2 GiB", filepath.Base(path), w)
		}
	}
}

func TestRedditZstdFallback(t *testing.T) {
	o := redditOptions(80) // more than one 128 KiB block: a single block makes a single-segment frame
	o.Plain = false
	o.zstdBinary = "no-such-zstd-command"
	m := generateReddit(t, o)
	if m.stats.Compressor != zstdFallbackName || len(m.comments) != m.stats.Comments {
		t.Fatalf("Compressor %q, %d comments read of %d", m.stats.Compressor, len(m.comments), m.stats.Comments)
	}
	if w := frameWindow(t, m.rcPath); w != zstd.MaxWindowSize {
		t.Errorf("fallback declares a %d-byte window, want %d", w, zstd.MaxWindowSize)
	}
}

// frameWindow decodes the Window_Descriptor of a file's first zstd frame
// (RFC 8878, 3.1.1.1).
func frameWindow(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var head [6]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(head[:4]) != 0xFD2FB528 {
		t.Fatalf("%s: no zstd magic", path)
	}
	if head[4]&0x20 != 0 {
		t.Fatalf("%s: single-segment frame: no window descriptor", path)
	}
	exponent, mantissa := int64(head[5]>>3), int64(head[5]&7)
	base := int64(1) << (10 + exponent)
	return base + base/8*mantissa
}

func TestRedditTargetBytes(t *testing.T) {
	for _, tc := range []struct {
		month  string
		target int64
	}{{"2015-06", 1 << 20}, {"2015-06", 5 << 20}, {"2021-02", 3 << 20}} {
		o := redditOptions(1) // ignored
		o.Month, o.TargetBytes = tc.month, tc.target
		st, err := Reddit(t.TempDir(), o)
		if err != nil {
			t.Fatal(err)
		}
		off := float64(st.CommentBytes-tc.target) / float64(tc.target)
		t.Logf("%s target %d: %d bytes (%+.2f%%), %d submissions, %d comments", tc.month, tc.target, st.CommentBytes, 100*off, st.Submissions, st.Comments)
		if math.Abs(off) > 0.05 {
			t.Errorf("%s target %d: wrote %d bytes", tc.month, tc.target, st.CommentBytes)
		}
	}
}

// TestRedditSHPFires groups the month into threads as the pipeline does
// (documents by LinkID) and runs the recipes: shp must find a later
// comment with at least twice the score of an earlier one in a fair share
// of the threads it can use, and siblings must find pairs too.
func TestRedditSHPFires(t *testing.T) {
	m := generateReddit(t, redditOptions(400))
	threads := map[string][]schemas.Document{}
	for _, rec := range append(m.submissions, m.comments...) {
		threads[rec.LinkID] = append(threads[rec.LinkID], rec.Document("2015-06", m.rcPath, 0))
	}
	var usable, fired, siblings, shpPairs int
	for _, docs := range threads {
		res := featreddit.PairsSHP(docs, featreddit.DefaultOptions())
		shpPairs += len(res.Pairs)
		count(&fired, len(res.Pairs) > 0)
		count(&usable, len(res.Pairs) > 0 || strings.Contains(res.Skipped, "score rules"))
		count(&siblings, len(featreddit.PairsSiblings(docs, featreddit.DefaultOptions()).Pairs) > 0)
	}
	share := float64(fired) / float64(usable)
	t.Logf("%d threads: shp fires in %d of %d usable (%.0f%%), %d pairs; siblings in %d", len(threads), fired, usable, 100*share, shpPairs, siblings)
	if usable < 100 || share < 0.25 || share > 0.9 {
		t.Errorf("shp fires in %d of %d usable threads", fired, usable)
	}
	if siblings < len(threads)/3 {
		t.Errorf("siblings pairs in only %d of %d threads", siblings, len(threads))
	}
}

// TestRedditScoresCarryQuality checks the planned threads: scores follow
// hidden quality, earlier comments still win more often than not
// (exposure), and the later comments shp prefers are mostly the better
// ones.
func TestRedditScoresCarryQuality(t *testing.T) {
	o, start, end, err := redditOptions(0).normalized()
	if err != nil {
		t.Fatal(err)
	}
	g := newRedditGen(o, start, end)
	var earlierWins, pairs, shpAgree, shp int
	var signals, scores []float64
	for range 1500 {
		th := g.planThread(start + secPerDay)
		top := topLevel(th)
		for i, a := range top {
			signals = append(signals, a.quality.VoteSignal())
			scores = append(scores, math.Log1p(math.Max(0, float64(a.score))))
			for _, b := range top[i+1:] {
				if a.score == b.score {
					continue
				}
				pairs++
				count(&earlierWins, a.score > b.score)
				if b.score >= 2*a.score && a.score >= 2 {
					shp++
					count(&shpAgree, b.quality.VoteSignal() > a.quality.VoteSignal())
				}
			}
		}
	}
	r := pearson(signals, scores)
	t.Logf("corr(signal, log score) %.2f; earlier comment wins %.2f of %d pairs; shp-style pairs prefer the better comment in %.2f of %d",
		r, float64(earlierWins)/float64(pairs), pairs, float64(shpAgree)/float64(shp), shp)
	if r < 0.3 || float64(earlierWins) < 0.55*float64(pairs) || float64(shpAgree) < 0.75*float64(shp) {
		t.Error("scores do not carry quality and exposure as planned")
	}
}

func topLevel(th *redditThread) []*redditComment {
	var top []*redditComment
	for i := range th.comments {
		if c := &th.comments[i]; c.parent < 0 && c.fate == fateNormal {
			top = append(top, c)
		}
	}
	return top
}

func TestRedditTextReflectsQuality(t *testing.T) {
	w := &redditWriter{r: newRNG(3, 4)}
	var good, bad struct{ shouts, topic, right int }
	for range 300 {
		s := newRedditSubject(w.r)
		measure := func(q Quality, m *struct{ shouts, topic, right int }) {
			body := string(w.answer(nil, &s, q, 5))
			m.shouts += len(shouting(body))
			for _, word := range s.topic.words {
				m.topic += strings.Count(body, word)
			}
			if containsNumber(body, strconv.Itoa(s.fact.right)) {
				m.right++
			}
		}
		measure(Quality{Relevance: 0.95, Correctness: 0.95, Clarity: 0.95}, &good)
		measure(Quality{Relevance: 0.05, Correctness: 0.05, Clarity: 0.05}, &bad)
	}
	t.Logf("good %+v, bad %+v", good, bad)
	if good.shouts*5 > bad.shouts || good.topic < 2*bad.topic || good.right < 3*bad.right+10 {
		t.Errorf("good %+v and bad %+v comments read alike", good, bad)
	}
}

// shouting returns the all-caps words of at least four letters.
func shouting(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		if len(w) >= 4 && strings.ToUpper(w) == w && strings.ToLower(w) != w {
			out = append(out, w)
		}
	}
	return out
}

// TestRedditBodiesAreEscaped checks the raw lines: valid JSON, markdown
// HTML-escaped once (no raw < or >, no &amp;amp;), ASCII only; and that the
// reader gets the characters back.
func TestRedditBodiesAreEscaped(t *testing.T) {
	m := generateReddit(t, redditOptions(80))
	for _, path := range m.stats.Files {
		for _, line := range bytes.Split(bytes.TrimSuffix(uncompressed(t, path), []byte("\n")), []byte("\n")) {
			if !json.Valid(line) || bytes.ContainsAny(line, "<>") || bytes.Contains(line, []byte("&amp;amp;")) || !isASCII(string(line)) {
				t.Fatalf("%s: invalid or badly escaped line: %s", filepath.Base(path), line)
			}
		}
	}
	var quotes, shifts, emoji int
	for _, c := range m.comments {
		count(&quotes, strings.HasPrefix(c.Body, "> "))
		count(&shifts, strings.Contains(c.Body, " << "))
		count(&emoji, strings.ContainsAny(c.Body, "😂👍🤷—ï"))
	}
	if quotes == 0 || shifts == 0 || emoji == 0 {
		t.Errorf("read back %d quotes, %d shifts, %d non-ASCII bodies", quotes, shifts, emoji)
	}
}

func TestRedditProgress(t *testing.T) {
	o := redditOptions(1)
	o.TargetBytes = 3 << 20
	var calls []int64
	o.Progress = func(n int64) { calls = append(calls, n) }
	st, err := Reddit(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 3 || calls[len(calls)-1] != st.CommentBytes {
		t.Fatalf("progress calls %v, CommentBytes %d", calls, st.CommentBytes)
	}
}

func TestRedditOptionsErrors(t *testing.T) {
	for _, o := range []RedditOptions{
		{Month: "2015-13", Submissions: 1},
		{Month: "June", Submissions: 1},
		{Month: "1999-01", Submissions: 1},
		{Submissions: -1},
		{Submissions: 1, TargetBytes: -1},
	} {
		if _, err := Reddit(t.TempDir(), o); err == nil || !strings.HasPrefix(err.Error(), "synth: ") {
			t.Errorf("%+v: err = %v", o, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Reddit(dir, redditOptions(1)); err == nil || !strings.HasPrefix(err.Error(), "synth: ") {
		t.Errorf("dir is a file: err = %v", err)
	}
}

// TestRedditCompressorFails checks that a compressor that dies is an
// error and leaves no files behind.
func TestRedditCompressorFails(t *testing.T) {
	bin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false command")
	}
	dir := t.TempDir()
	o := redditOptions(50)
	o.Plain, o.zstdBinary = false, bin
	if _, err := Reddit(dir, o); err == nil || !strings.HasPrefix(err.Error(), "synth: ") {
		t.Fatalf("err = %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestRedditZeroSubmissions(t *testing.T) {
	m := generateReddit(t, redditOptions(0))
	if len(m.submissions) != 0 || len(m.comments) != 0 {
		t.Fatalf("%d submissions, %d comments", len(m.submissions), len(m.comments))
	}
}

// BenchmarkReddit measures NDJSON generation (both files, uncompressed
// bytes) on one core; each iteration writes 32 MB of comments.
func BenchmarkReddit(b *testing.B) {
	benchmarkReddit(b, true)
}

// BenchmarkRedditZstd is the same month compressed, as the CLI writes it.
func BenchmarkRedditZstd(b *testing.B) {
	benchmarkReddit(b, false)
}

func benchmarkReddit(b *testing.B, plain bool) {
	o := redditOptions(1)
	o.TargetBytes, o.Plain = 32<<20, plain
	dir := b.TempDir()
	var written int64
	for b.Loop() {
		st, err := Reddit(dir, o)
		if err != nil {
			b.Fatal(err)
		}
		written = st.CommentBytes + st.SubmissionBytes
	}
	b.SetBytes(written)
}
