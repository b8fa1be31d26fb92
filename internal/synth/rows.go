package synth

import (
	"math"
	"strconv"
)

var (
	license30From = unixMilli(2011, 4, 8)
	license40From = unixMilli(2018, 5, 2)
)

// row holds the attributes of one Posts.xml row; zero values are omitted
// where real dumps omit them.
type row struct {
	id         int64
	kind       postKind
	accepted   int64 // questions
	parent     int64 // answers
	at         int64
	score      int
	views      int64 // questions
	body       []byte
	owner      int64 // 0: deleted user, written as OwnerDisplayName
	edit       edit
	lastActive int64
	subject    *subject // questions: Title and Tags
	answers    int
	comments   int
	closed     int64
}

type edit struct{ at, editor int64 }

func (g *generator) writePost(p *post) {
	switch p.kind {
	case kindQuestion:
		g.writeQuestion(p)
		g.stats.Questions++
	case kindAnswer:
		g.writeAnswer(p)
		g.stats.Answers++
	default:
		g.writeWiki(p)
		g.stats.Other++
	}
	g.lastAt = p.at
}

func (g *generator) writeQuestion(p *post) {
	q := p.q
	g.chooseAccepted(q)
	up, down := g.text.poisson(0.3+2.5*q.pop), g.text.poisson(0.2+0.6*math.Exp(-3*q.pop))
	g.cast(p, voteUp, up, false)
	g.cast(p, voteDown, down, false)
	g.cast(p, voteFavorite, g.text.poisson(0.25*q.pop), true)
	r := row{
		id: p.id, kind: kindQuestion, at: p.at, score: up - down,
		views: g.views(q, up), body: p.body, owner: p.owner,
		edit: g.edit(p, 0.3), subject: &q.subject, answers: len(q.assigned),
		comments: g.text.poisson(0.9),
	}
	if q.accepted != nil {
		r.accepted = q.accepted.id
	}
	r.lastActive = max(p.at, r.edit.at)
	if n := len(q.assigned); n > 0 {
		r.lastActive = max(r.lastActive, q.assigned[n-1].at)
	} else if g.text.chance(0.15) {
		r.closed = p.at + g.text.delay(6*msPerHour, 1.5, 90*msPerDay)
	}
	g.writeRow(p, &r)
}

// chooseAccepted lets the asker accept, sometimes, the answer that looks
// best to them: the highest vote signal plus noise.
func (g *generator) chooseAccepted(q *question) {
	if len(q.assigned) == 0 || !g.text.chance(0.6) {
		return
	}
	best := math.Inf(-1)
	for _, a := range q.assigned {
		if s := a.quality.VoteSignal() + 0.15*g.text.NormFloat64(); s > best {
			best, q.accepted = s, a
		}
	}
}

func (g *generator) views(q *question, up int) int64 {
	base := 15 + 120*q.pop*(1+0.5*float64(len(q.assigned)))*math.Exp(0.5*g.text.NormFloat64())
	return int64(base) + 7*int64(up)
}

// writeAnswer draws the answer's votes: upvotes grow with the vote signal
// and shrink with position, downvotes come mostly to poor answers, and both
// scale with the question's popularity.
func (g *generator) writeAnswer(p *post) {
	q := p.q
	signal := p.quality.VoteSignal()
	reach := 0.4 + 0.6*q.pop
	up := g.text.poisson(reach / (1 + 0.3*float64(p.pos)) * (0.3 + 4*signal*signal))
	down := g.text.poisson(0.1 + 1.5*math.Pow(1-signal, 3)*reach)
	if q.accepted == p {
		up += g.text.poisson(1)
		g.ballots.push(g.ballot(p.id, voteAccept, p.at+g.text.delay(3*msPerHour, 1.5, 60*msPerDay), 0))
	}
	g.cast(p, voteUp, up, false)
	g.cast(p, voteDown, down, false)
	r := row{
		id: p.id, kind: kindAnswer, parent: q.self.id, at: p.at, score: up - down,
		body: p.body, owner: p.owner, edit: g.edit(p, 0.15+0.2*(1-p.quality.Clarity)),
		comments: g.text.poisson(0.2 + 1.5*(1-p.quality.Clarity)*(1-p.quality.Correctness)),
	}
	r.lastActive = max(p.at, r.edit.at)
	g.writeRow(p, &r)
}

func (g *generator) writeWiki(p *post) {
	r := row{
		id: p.id, kind: p.kind, at: p.at, body: p.body, owner: p.owner,
		edit: edit{at: p.at, editor: communityUser}, lastActive: p.at,
	}
	g.writeRow(p, &r)
}

// edit draws, with probability prob, a later edit by the owner or someone
// else; edits by others come with an approved edit suggestion vote.
func (g *generator) edit(p *post, prob float64) edit {
	if !g.text.chance(prob) {
		return edit{}
	}
	e := edit{at: p.at + g.text.delay(2*msPerHour, 2, 365*msPerDay), editor: p.owner}
	if e.editor == 0 || g.text.chance(0.4) {
		e.editor = g.owner()
		if e.editor != 0 && e.editor != p.owner && g.text.chance(0.3) {
			g.ballots.push(g.ballot(p.id, voteApprove, e.at, 0))
		}
	}
	return e
}

func (g *generator) writeRow(p *post, r *row) {
	b := g.appendRow(g.row[:0], r)
	g.posts.write(b)
	g.size.written(p.kind, len(p.body), len(b))
	g.row = b
}

func (g *generator) appendRow(b []byte, r *row) []byte {
	b = appendInt(b, `  <row Id="`, r.id)
	b = appendInt(b, ` PostTypeId="`, int64(r.kind))
	if r.accepted != 0 {
		b = appendInt(b, ` AcceptedAnswerId="`, r.accepted)
	}
	if r.parent != 0 {
		b = appendInt(b, ` ParentId="`, r.parent)
	}
	b = appendDateAttr(b, ` CreationDate="`, r.at)
	b = appendInt(b, ` Score="`, int64(r.score))
	if r.kind == kindQuestion {
		b = appendInt(b, ` ViewCount="`, r.views)
	}
	b = append(b, ` Body="`...)
	b = append(b, r.body...)
	b = append(b, '"')
	b = g.appendOwner(b, r)
	if r.edit.at != 0 {
		b = g.appendUser(b, ` LastEditorUserId="`, ` LastEditorDisplayName="`, r.edit.editor)
		b = appendDateAttr(b, ` LastEditDate="`, r.edit.at)
	}
	b = appendDateAttr(b, ` LastActivityDate="`, r.lastActive)
	if r.subject != nil {
		b = g.appendTitleTags(b, r.subject)
		b = appendInt(b, ` AnswerCount="`, int64(r.answers))
	}
	b = appendInt(b, ` CommentCount="`, int64(r.comments))
	if r.closed != 0 {
		b = appendDateAttr(b, ` ClosedDate="`, r.closed)
	}
	b = append(b, ` ContentLicense="`...)
	b = append(b, license(r.at)...)
	b = append(b, `" />`...)
	return append(b, g.nl...)
}

func (g *generator) appendOwner(b []byte, r *row) []byte {
	if r.owner != 0 {
		return appendInt(b, ` OwnerUserId="`, r.owner)
	}
	return appendInt(b, ` OwnerDisplayName="user`, 1000+r.id%90000)
}

func (g *generator) appendUser(b []byte, idAttr, nameAttr string, user int64) []byte {
	if user != 0 {
		return appendInt(b, idAttr, user)
	}
	return append(b, nameAttr+`anonymous"`...)
}

func (g *generator) appendTitleTags(b []byte, s *subject) []byte {
	b = append(b, ` Title="`...)
	b = g.w.title(b, s)
	b = append(b, `" Tags="`...)
	if g.o.NewTagFormat {
		b = append(b, s.topic.newTags...)
	} else {
		b = append(b, s.topic.oldTags...)
	}
	return append(b, '"')
}

func license(at int64) string {
	switch {
	case at < license30From:
		return "CC BY-SA 2.5"
	case at < license40From:
		return "CC BY-SA 3.0"
	default:
		return "CC BY-SA 4.0"
	}
}

func appendInt(b []byte, prefix string, v int64) []byte {
	b = append(b, prefix...)
	b = strconv.AppendInt(b, v, 10)
	return append(b, '"')
}

func appendDateAttr(b []byte, prefix string, ms int64) []byte {
	b = append(b, prefix...)
	b = appendDate(b, ms)
	return append(b, '"')
}

// fabricate appends rows like those real dumps plant to detect copying:
// plausible questions and answers with Ids from 1000000000 and
// OwnerUserId -1, without votes.
func (g *generator) fabricate() {
	id := int64(fabricatedBase)
	span := max(g.lastAt-siteStart, msPerDay)
	for range 2 + g.stats.Questions/5000 {
		s := newSubject(g.text)
		at := siteStart + g.text.Int64N(span)
		answers := g.text.IntN(3)
		qid := id
		q := row{
			id: qid, kind: kindQuestion, at: at, views: 1 + g.text.Int64N(50),
			owner: communityUser, lastActive: at, subject: &s, answers: answers,
		}
		q.body = g.w.question(g.buffer()[:0], &s)
		g.writeFabricated(&q)
		for range answers {
			id++
			at += g.text.delay(answerDelayMedian, answerDelaySigma, answerDelayCap)
			a := row{id: id, kind: kindAnswer, parent: qid, at: at, owner: communityUser, lastActive: at}
			a.body = g.w.answer(g.buffer()[:0], &s, QualityOf(g.o.Seed, id))
			g.writeFabricated(&a)
		}
		id++
	}
}

func (g *generator) writeFabricated(r *row) {
	g.row = g.appendRow(g.row[:0], r)
	g.posts.write(g.row)
	g.free = append(g.free, r.body[:0])
	g.stats.Fabricated++
}
