package synth

import (
	"math"
	"slices"
)

// Thread model. A submission's popularity (log-normal) sets its comment
// count and score. Comment times are log-normal delays after the post, and
// in time order each comment is top-level or replies to an earlier comment
// (the better scored of two picked at random, so good comments gather
// replies). A comment's exposure falls with its rank among top-level
// comments and with its delay (replies get a share of their parent's),
// its merit grows exponentially with its hidden quality, and its upvotes
// are Poisson with mean popularity x exposure x merit: early comments
// collect more votes, yet a clearly better later one often outscores an
// earlier one by 2x or more, which is what the shp recipe looks for.
const (
	commentsPerPop      = 10.0 // mean comments of a thread per unit of popularity
	maxThreadComments   = 600
	topLevelShare       = 0.45 // chance that a comment (after the first) is top-level
	commentDelayMedian  = 3 * secPerHour
	commentDelaySigma   = 1.3
	commentDelayCap     = 6 * secPerDay // bounds the comments waiting in the heap
	exposureRankDecay   = 0.3
	exposureHalfLife    = 8 * secPerHour
	replyExposure       = 0.4
	meritSlope          = 4.5 // merit = exp(meritSlope * (VoteSignal - 0.5))
	votesPerExposure    = 14.0
	opReplyShare        = 0.1 // replies written by the submission's author
	autoModShare        = 0.03
	selfPostShare       = 0.82
	nsfwShare           = 0.04
	avgCommentLinePrior = 620.0 // bytes, until comments are written
)

const (
	secPerHour = 3600
	secPerDay  = 24 * secPerHour
)

// redditQualitySalt separates comment qualities from Stack Exchange
// answers' under the same seed.
const redditQualitySalt = 0x5245444449540000

// Comment fates: what the dump shows of a comment.
type fate uint8

const (
	fateNormal     fate = iota
	fateDeleted         // body and author [deleted]
	fateRemoved         // body [removed], author sometimes kept
	fateAuthorGone      // author [deleted], body kept
	fateAutoMod         // AutoModerator, distinguished moderator, stickied
)

func (f fate) bodyGone() bool { return f == fateDeleted || f == fateRemoved }

type redditThread struct {
	redditSubject
	id          int64 // base-36 digits of the fullname t3_...
	at          int64 // created_utc
	author      int64 // user number; deletedUser when gone
	score       int
	numComments int // planned, including comments after the month's end
	self, nsfw  bool
	selftext    fate   // fateNormal, fateDeleted or fateRemoved
	mod         bool   // distinguished moderator
	slug        []byte // of the title, for permalinks
	comments    []redditComment
}

type redditComment struct {
	at      int64
	id      int64 // given when written, so ids follow time
	quality Quality
	parent  int32 // index into comments; -1 for the submission
	score   int32
	author  int64
	fate    fate
}

// deletedUser is the author number of a [deleted] account.
const deletedUser = -1

// A commentEvent is a planned comment waiting in the heap for its time.
type commentEvent struct {
	at     int64
	seq    uint64
	thread *redditThread
	index  int32
}

func (e commentEvent) before(o commentEvent) bool {
	return e.at < o.at || e.at == o.at && e.seq < o.seq
}

type redditGen struct {
	o          RedditOptions
	start, end int64 // the month, Unix seconds
	old        bool  // before 2018: shuffled keys, fewer of them
	plan, text *rng
	w          redditWriter
	rs, rc     *dumpFile
	events     minHeap[commentEvent]
	line, body []byte

	nextAt     int64 // time of the next submission
	planned    int
	pending    int // comments in the heap
	seq        uint64
	qualitySeq int64
	subID      int64
	commentID  int64
	stopped    bool
	stats      RedditStats

	// scratch for planning one thread
	delays   []int64
	exposure []float64
	replies  []int32
}

func newRedditGen(o RedditOptions, start, end int64) *redditGen {
	months := int64(monthsSince2005(start))
	g := &redditGen{
		o:         o,
		start:     start,
		end:       end,
		old:       start < unixMilli(2018, 1, 1)/1000,
		plan:      newRNG(o.Seed, 0x72706c616e),
		text:      newRNG(o.Seed, 0x7274657874),
		subID:     36*36*36*36*36 + months*400_000,
		commentID: 36*36*36*36*36*36 + months*20_000_000,
	}
	g.w.r = g.text
	return g
}

func monthsSince2005(unix int64) int {
	y, m, _ := civil(unix / secPerDay)
	return (y-2005)*12 + m - 1
}

// run streams both files: submissions as they are planned, comments in
// time order as the heap hands them out. Write errors stop it early and
// stay in the outputs.
func (g *redditGen) run() {
	g.nextAt = g.nextSubmissionTime(g.start)
	for g.rs.err == nil && g.rc.err == nil {
		g.planAhead()
		if g.events.len() == 0 {
			return
		}
		g.writeComment(g.events.pop())
	}
}

// planAhead plans submissions until none still to come can be earlier
// than the earliest pending comment.
func (g *redditGen) planAhead() {
	for !g.stopped && (g.events.len() == 0 || g.nextAt <= g.events.peek().at) {
		if g.enough() || g.nextAt >= g.end {
			g.stopped = true
			return
		}
		t := g.planThread(g.nextAt)
		g.writeSubmission(t)
		g.nextAt = g.nextSubmissionTime(g.nextAt)
	}
}

func (g *redditGen) enough() bool {
	if g.o.TargetBytes > 0 {
		return g.estimate() >= float64(g.o.TargetBytes)
	}
	return g.planned >= g.o.Submissions
}

// estimate is the expected final size of RC: what is written plus the
// comments waiting in the heap at the average line size so far.
func (g *redditGen) estimate() float64 {
	return float64(g.rc.size()) + float64(g.pending)*g.avgCommentLine()
}

func (g *redditGen) avgCommentLine() float64 {
	const prior = 20 // lines' worth of weight for the prior
	return (float64(g.rc.size()) + prior*avgCommentLinePrior) / float64(g.stats.Comments+prior)
}

// nextSubmissionTime draws the time of the next submission after prev: the
// earliest of the remaining submissions, each uniform over the rest of the
// month.
func (g *redditGen) nextSubmissionTime(prev int64) int64 {
	left := float64(g.end - prev)
	gap := left * (1 - math.Pow(g.plan.Float64(), 1/g.remaining(prev)))
	return prev + int64(math.Ceil(gap))
}

// remaining is how many submissions are still to come: exact for a count,
// estimated from the bytes still missing for a target. The estimate is
// capped at three times the pace so far, so that the last threads of the
// month, whose comments fall after its end, do not crowd its last seconds.
func (g *redditGen) remaining(now int64) float64 {
	if g.o.TargetBytes <= 0 {
		return float64(max(1, g.o.Submissions-g.planned))
	}
	const prior = 10 // submissions' worth of weight for the prior
	perThread := (g.estimate() + prior*commentsPerPop*meanPopularity*avgCommentLinePrior) / float64(g.planned+prior)
	left := (float64(g.o.TargetBytes) - g.estimate()) / perThread
	if g.planned >= 20 && now > g.start {
		pace := float64(g.planned) / float64(now-g.start)
		left = min(left, 3*pace*float64(g.end-now))
	}
	return max(1, left)
}

// meanPopularity is E[exp(1.1 N(0,1))].
var meanPopularity = math.Exp(1.1 * 1.1 / 2)

// planThread draws a submission and its comments and queues the comments.
func (g *redditGen) planThread(at int64) *redditThread {
	p := g.plan
	pop := math.Exp(1.1 * p.NormFloat64())
	t := &redditThread{
		redditSubject: newRedditSubject(g.text),
		id:            g.nextSubmissionID(),
		at:            at,
		author:        g.user(),
		score:         1 + int(math.Exp(2.9+0.5*math.Log(pop)+0.8*p.NormFloat64())),
		self:          p.chance(selfPostShare),
		nsfw:          p.chance(nsfwShare),
		mod:           p.chance(0.005),
	}
	switch {
	case !t.self:
	case p.chance(0.02):
		t.selftext = fateDeleted
		t.author = deletedUser
	case p.chance(0.03):
		t.selftext = fateRemoved
	}
	t.numComments = min(p.poisson(commentsPerPop*pop), maxThreadComments)
	g.planComments(t, pop)
	g.planned++
	return t
}

func (g *redditGen) nextSubmissionID() int64 {
	g.subID += 1 + g.plan.Int64N(4)
	return g.subID
}

// planComments draws the thread's comment tree up to the month's end and
// queues every comment.
func (g *redditGen) planComments(t *redditThread, pop float64) {
	delays := g.commentDelays(t.numComments)
	g.exposure, g.replies = g.exposure[:0], g.replies[:0]
	t.comments = make([]redditComment, 0, len(delays))
	topRank := 0
	autoMod := g.plan.chance(autoModShare)
	for i, d := range delays {
		at := t.at + d
		if at >= g.end {
			break // the rest is later still: next month's dump
		}
		c := redditComment{at: at, parent: -1, quality: QualityOf(g.o.Seed^redditQualitySalt, g.qualitySeq)}
		g.qualitySeq++
		var exposure float64
		if i == 0 || g.plan.chance(topLevelShare) {
			exposure = 1 / (1 + exposureRankDecay*float64(topRank)) / (1 + float64(d)/exposureHalfLife)
			topRank++
		} else {
			parent := g.pickParent(t)
			c.parent = int32(parent)
			exposure = replyExposure * g.exposure[parent] / (1 + 0.5*float64(g.replies[parent]))
			g.replies[parent]++
		}
		g.exposure, g.replies = append(g.exposure, exposure), append(g.replies, 0)
		c.score = int32(g.commentScore(pop, exposure, c.quality))
		c.author, c.fate = g.commentAuthor(t, c.parent)
		if i == 0 && autoMod {
			c.fate, c.score, c.author = fateAutoMod, 1, 0
		}
		t.comments = append(t.comments, c)
		g.events.push(commentEvent{at: at, seq: g.seq, thread: t, index: int32(len(t.comments) - 1)})
		g.seq++
		g.pending++
	}
}

// commentDelays returns n strictly increasing delays after the post.
func (g *redditGen) commentDelays(n int) []int64 {
	ds := g.delays[:0]
	for range n {
		ds = append(ds, 20+g.plan.delay(commentDelayMedian, commentDelaySigma, commentDelayCap))
	}
	slices.Sort(ds)
	for i := 1; i < len(ds); i++ {
		ds[i] = max(ds[i], ds[i-1]+1)
	}
	g.delays = ds
	return ds
}

// pickParent chooses an earlier comment to reply to: the better scored
// of two drawn at random.
func (g *redditGen) pickParent(t *redditThread) int {
	n := len(t.comments)
	a, b := g.plan.IntN(n), g.plan.IntN(n)
	if t.comments[b].score > t.comments[a].score {
		return b
	}
	return a
}

// commentScore draws net votes: 1 (the author's own) plus upvotes that
// grow with exposure and merit, minus downvotes that come mostly to poor
// comments.
func (g *redditGen) commentScore(pop, exposure float64, q Quality) int {
	signal := q.VoteSignal()
	mean := votesPerExposure * pop * exposure * math.Exp(meritSlope*(signal-0.5))
	up := g.plan.poisson(mean)
	down := g.plan.poisson(0.12*mean + 2*math.Pow(1-signal, 3)*min(pop, 3)*exposure)
	return 1 + up - down
}

// commentAuthor draws who wrote a comment and how much of it survives.
func (g *redditGen) commentAuthor(t *redditThread, parent int32) (int64, fate) {
	p := g.plan
	switch {
	case p.chance(0.025):
		return deletedUser, fateDeleted
	case p.chance(0.015):
		if p.chance(0.5) {
			return deletedUser, fateRemoved
		}
		return g.user(), fateRemoved
	case p.chance(0.02):
		return deletedUser, fateAuthorGone
	case parent >= 0 && t.author != deletedUser && p.chance(opReplyShare):
		return t.author, fateNormal
	}
	return g.user(), fateNormal
}

// user draws an author: a few heavy posters, most from a population that
// grows with the month. User 0 is AutoModerator.
func (g *redditGen) user() int64 {
	population := 500 + int64(g.planned)*3
	if g.plan.chance(0.2) {
		return 1 + g.plan.Int64N(min(population, 300))
	}
	return 1 + g.plan.Int64N(population)
}
