package synth

// subject is what a question asks: its topic, two of its words and a fact.
type subject struct {
	topic *topic
	a, b  int // indexes into topic.words
	fact  fact
}

func newSubject(r *rng) subject {
	t := pick(r, topics)
	a := r.IntN(len(t.words))
	b := (a + 1 + r.IntN(len(t.words)-1)) % len(t.words)
	return subject{topic: t, a: a, b: b, fact: newFact(r)}
}

func (s *subject) fill() fill {
	t := s.topic
	return fill{
		a: t.words[s.a], b: t.words[s.b], l: t.lang, u: t.url,
		e: s.fact.expr, ident: t.idents[s.a],
	}
}

// writer renders bodies and titles, already escaped for their attribute.
type writer struct {
	r     *rng
	lines []line
}

func (w *writer) title(b []byte, s *subject) []byte {
	f := s.fill()
	rw := renderer{b: b, r: w.r}
	rw.render(&titles[w.r.IntN(len(titles))], &f)
	return rw.b
}

func (w *writer) question(b []byte, s *subject) []byte {
	f := s.fill()
	rw := renderer{b: b, r: w.r}
	intros := w.lines[:0]
	first := w.r.IntN(len(questionIntros))
	for i := range 1 + w.r.IntN(3) {
		intros = append(intros, line{t: &questionIntros[(first+i)%len(questionIntros)], f: f})
	}
	rw.paragraph(intros)
	rw.lit(blockSep)
	rw.code(&s.topic.code.question, &f)
	rw.lit(blockSep)
	rw.paragraph([]line{{t: &factPrompts[w.r.IntN(len(factPrompts))], f: f}})
	if w.r.chance(0.7) {
		rw.lit(blockSep)
		rw.paragraph([]line{{t: &questionClosings[w.r.IntN(len(questionClosings))], f: f}})
	}
	w.lines = intros
	return rw.b
}

func (w *renderer) code(t *tmpl, f *fill) {
	w.lit(openCode)
	w.render(t, f)
	w.lit(closeCode)
}

// answer renders an answer to s whose text reflects q: relevance picks
// on-topic sentences and code, correctness the stated value, clarity the
// style and layout.
func (w *writer) answer(b []byte, s *subject, q Quality) []byte {
	rw := renderer{b: b, r: w.r, st: styleFor(q.Clarity)}
	lines := w.lines[:0]
	n := 3 + w.r.IntN(3)
	factAt := w.r.IntN(2)
	for i := range n {
		if i == factAt {
			lines = append(lines, w.factLine(s, q))
		} else {
			lines = append(lines, w.proseLine(s, q.Relevance))
		}
	}
	if rw.st.runOn && w.r.chance(0.6) {
		lines = append(lines, line{t: &interjections[w.r.IntN(len(interjections))]})
	}
	w.layout(&rw, lines, s, q.Relevance)
	w.lines = lines
	return rw.b
}

func (w *writer) factLine(s *subject, q Quality) line {
	l := line{f: s.fill()}
	l.f.v = s.fact.right
	if !q.Correct() {
		l.f.v = s.fact.wrong
	}
	switch {
	case q.Correctness >= 0.75:
		l.t = &confidentFacts[w.r.IntN(len(confidentFacts))]
		l.then = &s.fact.kind.explain
	case q.Correctness < 0.5 && q.Correctness >= 0.25:
		l.t = &hedgedFacts[w.r.IntN(len(hedgedFacts))]
	default:
		l.t = &confidentFacts[w.r.IntN(len(confidentFacts))]
	}
	return l
}

// proseLine is an on-topic sentence with probability relevance, otherwise a
// sentence about another topic or filler.
func (w *writer) proseLine(s *subject, relevance float64) line {
	t := &answerSentences[w.r.IntN(len(answerSentences))]
	switch {
	case w.r.chance(relevance):
		return line{t: t, f: w.wordsOf(s.topic, s)}
	case w.r.chance(0.6):
		return line{t: t, f: w.wordsOf(w.otherTopic(s.topic), nil)}
	default:
		return line{t: &fillers[w.r.IntN(len(fillers))]}
	}
}

// wordsOf fills a sentence with words of t, preferring the question's own
// words when s is given.
func (w *writer) wordsOf(t *topic, s *subject) fill {
	if s != nil && w.r.chance(0.7) {
		return s.fill()
	}
	a := w.r.IntN(len(t.words))
	b := (a + 1 + w.r.IntN(len(t.words)-1)) % len(t.words)
	return fill{a: t.words[a], b: t.words[b], l: t.lang, u: t.url, ident: t.idents[a]}
}

func (w *writer) otherTopic(not *topic) *topic {
	for {
		if t := pick(w.r, topics); t != not {
			return t
		}
	}
}

// layout writes clear answers as paragraphs of two sentences with a code
// block after the first, unclear ones as a single paragraph.
func (w *writer) layout(rw *renderer, lines []line, s *subject, relevance float64) {
	if !rw.st.paragraphs {
		rw.paragraph(lines)
		return
	}
	for i := 0; i < len(lines); i += 2 {
		if i > 0 {
			rw.lit(blockSep)
		}
		rw.paragraph(lines[i:min(i+2, len(lines))])
		if i == 0 && rw.st.code {
			rw.lit(blockSep)
			w.answerCode(rw, s, relevance)
		}
	}
}

func (w *writer) answerCode(rw *renderer, s *subject, relevance float64) {
	t, f := s.topic, s.fill()
	if !w.r.chance(relevance) {
		t = w.otherTopic(s.topic)
		f = w.wordsOf(t, nil)
	}
	rw.code(&t.code.answer, &f)
}

// styleFor maps clarity to how garbled the prose is.
func styleFor(clarity float64) style {
	murk := 1 - clarity
	return style{
		typo:       0.3 * murk * murk,
		shout:      max(0, 0.4-clarity) * 0.5,
		lowerStart: clarity < 0.4,
		runOn:      clarity < 0.35,
		bang:       max(0, 0.35-clarity),
		paragraphs: clarity >= 0.5,
		code:       clarity >= 0.55,
	}
}

func (w *writer) tagExcerpt(b []byte, s *subject) []byte {
	f := s.fill()
	rw := renderer{b: b, r: w.r}
	rw.render(&tagExcerpt, &f)
	return rw.b
}

func (w *writer) tagWiki(b []byte, s *subject) []byte {
	f := s.fill()
	rw := renderer{b: b, r: w.r}
	rw.render(&tagWiki, &f)
	return rw.b
}
