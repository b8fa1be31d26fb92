package synth

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
)

// Timeline parameters, in milliseconds where they are durations.
const (
	meanQuestionGap   = 10 * msPerMinute
	meanAnswers       = 2.15 // per question of average popularity
	maxAnswers        = 15
	answerDelayMedian = 40 * msPerMinute
	answerDelaySigma  = 1.8
	answerDelayCap    = 14 * msPerDay // bounds the write queue
	tagWikiRate       = 0.004         // tag wiki pairs per question
	fabricatedBase    = 1_000_000_000
	communityUser     = -1
)

var siteStart = unixMilli(2010, 6, 1)

// postKind is the PostTypeId of a row.
type postKind uint8

const (
	kindQuestion   postKind = 1
	kindAnswer     postKind = 2
	kindTagExcerpt postKind = 4
	kindTagWiki    postKind = 5
)

// A question as planned on the timeline, then filled in as its posts get
// Ids.
type question struct {
	subject
	pop      float64 // popularity, Exp(1): drives answers, views and votes
	answers  int     // planned answer count
	self     *post
	assigned []*post // answers that have an Id, in time order
	accepted *post
}

type post struct {
	id      int64
	kind    postKind
	at      int64 // CreationDate, Unix ms
	q       *question
	pos     int // answer position, 0 for the first
	owner   int64
	body    []byte // escaped
	quality Quality
}

// An event is a planned post waiting for its Id.
type event struct {
	at   int64
	seq  uint64
	q    *question
	kind postKind
}

func (e event) before(o event) bool { return e.at < o.at || e.at == o.at && e.seq < o.seq }

type generator struct {
	o          Options
	plan, text *rng
	w          writer
	posts      *output
	votes      *output
	nl         string
	row        []byte

	events  minHeap[event]
	ballots minHeap[ballot]
	queue   []*post // posts with Ids, waiting for their question to be complete
	free    [][]byte

	nextAt  int64 // time of the next question to plan
	planned int
	seq     uint64
	nextID  int64
	voteID  int64
	stopped bool
	lastAt  int64
	size    sizeModel
	stats   Stats
}

// StackExchange writes DIR/<site>/Posts.xml and DIR/<site>/Votes.xml, and
// DIR/<site>.7z when o.SevenZip is set. Files are written under temporary
// names and renamed when complete.
func StackExchange(dir string, o Options) (Stats, error) {
	o, err := o.normalized()
	if err != nil {
		return Stats{}, err
	}
	if o.SevenZip {
		if _, err := exec.LookPath("7z"); err != nil {
			return Stats{}, fmt.Errorf("%w: %w", ErrNo7z, err)
		}
	}
	siteDir := filepath.Join(dir, o.Site)
	if err := os.MkdirAll(siteDir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("synth: %w", err)
	}
	g, err := newGenerator(o, siteDir)
	if err != nil {
		return Stats{}, err
	}
	stats, err := g.generate()
	if err != nil || !o.SevenZip {
		return stats, err
	}
	archive, err := sevenZip(dir, o.Site)
	if err != nil {
		return stats, err
	}
	stats.Files = append(stats.Files, archive)
	return stats, nil
}

func newGenerator(o Options, siteDir string) (*generator, error) {
	posts, err := createOutput(filepath.Join(siteDir, "Posts.xml"), o.Progress)
	if err != nil {
		return nil, err
	}
	votes, err := createOutput(filepath.Join(siteDir, "Votes.xml"), nil)
	if err != nil {
		posts.abort()
		return nil, err
	}
	g := &generator{
		o:      o,
		plan:   newRNG(o.Seed, 0x706c616e),
		text:   newRNG(o.Seed, 0x74657874),
		posts:  posts,
		votes:  votes,
		nl:     "\n",
		nextAt: siteStart,
		nextID: 1,
		voteID: 1,
	}
	g.w.r = g.text
	if o.CRLF {
		g.nl = "\r\n"
	}
	return g, nil
}

func (g *generator) generate() (Stats, error) {
	g.run()
	g.stats.PostsBytes, g.stats.VotesBytes = g.posts.size(), g.votes.size()
	if err := cmp.Or(g.posts.finish(), g.votes.finish()); err != nil {
		g.posts.abort()
		g.votes.abort()
		return Stats{}, err
	}
	if err := cmp.Or(g.posts.publish(), g.votes.publish()); err != nil {
		return Stats{}, err
	}
	if g.o.Progress != nil {
		g.o.Progress(g.stats.PostsBytes)
	}
	g.stats.Files = []string{g.posts.path, g.votes.path}
	return g.stats, nil
}

// run streams the whole dump; write errors stop it early and stay in the
// outputs.
func (g *generator) run() {
	g.header(g.posts, "posts")
	g.header(g.votes, "votes")
	for g.posts.err == nil && g.votes.err == nil {
		g.planAhead()
		if g.events.len() == 0 {
			break
		}
		g.assign(g.events.pop())
		g.drain()
	}
	g.castBallots(math.MaxInt64)
	if g.o.Fabricated {
		g.fabricate()
	}
	g.footer(g.posts, "posts")
	g.footer(g.votes, "votes")
}

func (g *generator) header(o *output, root string) {
	o.writeString(`<?xml version="1.0" encoding="utf-8"?>` + g.nl + "<" + root + ">" + g.nl)
}

func (g *generator) footer(o *output, root string) {
	o.writeString("</" + root + ">" + g.nl)
}

// planAhead plans questions until no question still to be planned can
// produce a post earlier than the earliest pending event.
func (g *generator) planAhead() {
	for !g.stopped && (g.events.len() == 0 || g.nextAt <= g.events.peek().at) {
		if g.enough() {
			g.stopped = true
			return
		}
		g.planQuestion()
	}
}

func (g *generator) enough() bool {
	if g.o.TargetBytes > 0 {
		return g.size.estimate(g.posts.size()) >= g.o.TargetBytes
	}
	return g.planned >= g.o.Questions
}

func (g *generator) planQuestion() {
	at := g.nextAt
	g.nextAt += 1 + int64(g.plan.ExpFloat64()*meanQuestionGap)
	q := &question{pop: g.plan.ExpFloat64()}
	q.answers = min(g.plan.poisson(meanAnswers*q.pop), maxAnswers)
	g.schedule(at, q, kindQuestion)
	for _, d := range g.answerDelays(q.answers) {
		g.schedule(at+d, q, kindAnswer)
	}
	if g.plan.chance(tagWikiRate) {
		g.schedule(at+msPerMinute, q, kindTagExcerpt)
		g.schedule(at+msPerMinute, q, kindTagWiki)
	}
	g.planned++
}

// answerDelays returns n strictly increasing delays after a question.
func (g *generator) answerDelays(n int) []int64 {
	var buf [maxAnswers]int64
	ds := buf[:n]
	for i := range ds {
		ds[i] = msPerMinute + g.plan.delay(answerDelayMedian, answerDelaySigma, answerDelayCap)
	}
	slices.Sort(ds)
	for i := 1; i < len(ds); i++ {
		ds[i] = max(ds[i], ds[i-1]+msPerSecond)
	}
	return ds
}

func (g *generator) schedule(at int64, q *question, k postKind) {
	g.events.push(event{at: at, seq: g.seq, q: q, kind: k})
	g.seq++
	g.size.pending[k]++
}

// assign gives the next Id to the earliest event and renders its body.
func (g *generator) assign(e event) {
	p := &post{id: g.nextID, kind: e.kind, at: e.at, q: e.q, owner: g.owner()}
	g.nextID++
	q, body := e.q, g.buffer()
	switch e.kind {
	case kindQuestion:
		q.subject = newSubject(g.text)
		q.self = p
		p.body = g.w.question(body, &q.subject)
	case kindAnswer:
		p.pos = len(q.assigned)
		p.quality = QualityOf(g.o.Seed, p.id)
		p.body = g.w.answer(body, &q.subject, p.quality)
		q.assigned = append(q.assigned, p)
	case kindTagExcerpt:
		p.owner = communityUser
		p.body = g.w.tagExcerpt(body, &q.subject)
	case kindTagWiki:
		p.owner = communityUser
		p.body = g.w.tagWiki(body, &q.subject)
	}
	g.size.assigned(p.kind, len(p.body))
	g.queue = append(g.queue, p)
}

// drain writes queued posts in Id order while the head is complete: a
// question is written once all its answers have Ids.
func (g *generator) drain() {
	for len(g.queue) > 0 {
		p := g.queue[0]
		if p.kind == kindQuestion && len(p.q.assigned) < p.q.answers {
			return
		}
		g.queue[0] = nil
		g.queue = g.queue[1:]
		g.writePost(p)
		g.castBallots(p.at)
		g.free = append(g.free, p.body[:0])
	}
}

func (g *generator) buffer() []byte {
	if n := len(g.free); n > 0 {
		b := g.free[n-1]
		g.free = g.free[:n-1]
		return b
	}
	return make([]byte, 0, 4096)
}

// owner draws a user Id: a few heavy users, most from a population that
// grows with the site. 0 means a deleted user (OwnerDisplayName only).
func (g *generator) owner() int64 {
	switch population := 50 + g.nextID/4; {
	case g.text.chance(0.01):
		return 0
	case g.text.chance(0.3):
		return 1 + g.text.Int64N(min(population, 400))
	default:
		return 1 + g.text.Int64N(population)
	}
}

// sizeModel estimates the final Posts.xml size from what is written, what
// waits in the queue (bodies known) and what is only planned (average
// sizes so far).
type sizeModel struct {
	pending, queued   [kindTagWiki + 1]int64
	queuedBody        int64
	bodyBytes, bodies [kindTagWiki + 1]int64
	rowExtra, rows    [kindTagWiki + 1]int64
}

func (m *sizeModel) assigned(k postKind, body int) {
	m.pending[k]--
	m.queued[k]++
	m.queuedBody += int64(body)
	m.bodyBytes[k] += int64(body)
	m.bodies[k]++
}

func (m *sizeModel) written(k postKind, body, row int) {
	m.queued[k]--
	m.queuedBody -= int64(body)
	m.rowExtra[k] += int64(row - body)
	m.rows[k]++
}

func (m *sizeModel) estimate(written int64) int64 {
	total := written + m.queuedBody
	for k := range m.pending {
		extra, body := int64(300), int64(900)
		if m.rows[k] > 0 {
			extra = m.rowExtra[k] / m.rows[k]
		}
		if m.bodies[k] > 0 {
			body = m.bodyBytes[k] / m.bodies[k]
		}
		total += m.queued[k]*extra + m.pending[k]*(body+extra)
	}
	return total
}
