package synth

// Vote types written to Votes.xml.
const (
	voteAccept   = 1
	voteUp       = 2
	voteDown     = 3
	voteFavorite = 5
	voteApprove  = 16 // approved edit suggestion
)

// A ballot is a vote waiting in the heap until no later post can precede
// it; vote Ids are given when it is written, so they follow time.
type ballot struct {
	at   int64
	seq  uint64
	post int64
	user int64 // written as UserId when non-zero (favorites)
	kind uint8
}

func (b ballot) before(o ballot) bool { return b.at < o.at || b.at == o.at && b.seq < o.seq }

func (g *generator) ballot(post int64, kind uint8, at, user int64) ballot {
	g.seq++
	return ballot{at: at, seq: g.seq, post: post, user: user, kind: kind}
}

// cast queues n votes of a kind for p, spread over the following months
// with most in the first day.
func (g *generator) cast(p *post, kind uint8, n int, withUser bool) {
	for range n {
		var user int64
		if withUser {
			user = max(1, g.owner())
		}
		at := p.at + g.text.delay(8*msPerHour, 1.8, 730*msPerDay)
		g.ballots.push(g.ballot(p.id, kind, at, user))
	}
}

// castBallots writes, in time order, every queued vote earlier than before.
func (g *generator) castBallots(before int64) {
	for g.ballots.len() > 0 && g.ballots.peek().at < before {
		g.writeBallot(g.ballots.pop())
	}
}

func (g *generator) writeBallot(v ballot) {
	b := appendInt(g.row[:0], `  <row Id="`, g.voteID)
	b = appendInt(b, ` PostId="`, v.post)
	b = appendInt(b, ` VoteTypeId="`, int64(v.kind))
	if v.user != 0 {
		b = appendInt(b, ` UserId="`, v.user)
	}
	b = append(b, ` CreationDate="`...)
	b = appendDay(b, v.at)
	b = append(b, `" />`...)
	b = append(b, g.nl...)
	g.votes.write(b)
	g.row = b
	g.voteID++
	g.stats.Votes++
}
