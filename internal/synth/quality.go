package synth

// Quality is the hidden quality of an answer. Each component is in [0, 1].
//
//   - Relevance: how much of the answer (sentences, code) is about the
//     question's topic rather than another topic or filler.
//   - Correctness: >= 0.5 means the answer states the right value of the
//     question's fact; above 0.75 it also explains it, between 0.25 and 0.5
//     it hedges a wrong value.
//   - Clarity: paragraphs and a code block when high; one run-on paragraph
//     with typos, SHOUTING and "!!!" when low.
type Quality struct {
	Relevance, Correctness, Clarity float64
}

// Weights of VoteSignal. A generator of synthetic human rankings should use
// a related but different weighting (for example clarity-heavy) so that the
// two preference sources disagree the way votes and raters do.
const (
	relevanceWeight   = 0.35
	correctnessWeight = 0.40
	clarityWeight     = 0.25
)

// VoteSignal is the weighted quality, in [0, 1], that drives simulated
// voting: the mean number of upvotes grows with it and downvotes shrink.
func (q Quality) VoteSignal() float64 {
	return relevanceWeight*q.Relevance + correctnessWeight*q.Correctness + clarityWeight*q.Clarity
}

// Correct reports whether the answer states the right value of the
// question's fact.
func (q Quality) Correct() bool { return q.Correctness >= 0.5 }

// QualityOf returns the hidden quality of the answer with the given Id in a
// dump generated with Options.Seed == seed. It is a pure function of (seed,
// id), which is also how the generator draws it, so it is exact for every
// answer row, fabricated ones included; for other Ids it returns a value
// that no row uses.
func QualityOf(seed uint64, answerID int64) Quality {
	s := splitmix(seed*0xd1342543de82ef95 ^ uint64(answerID))
	skill := s.unit() // an author's skill correlates the three components
	q := Quality{
		Relevance:   blend(skill, s.unit()),
		Correctness: blend(skill, s.unit()),
		Clarity:     blend(skill, s.unit()),
	}
	if s.unit() < 0.08 { // answers to a different question, as happens
		q.Relevance *= 0.25
	}
	return q
}

func blend(skill, own float64) float64 { return 0.5*skill + 0.5*own }
