package synth

import (
	"strings"
	"unicode/utf16"
)

// Reddit bodies are markdown stored the way the dumps have them: &, < and >
// HTML-escaped, then written as JSON string content (ASCII only, as the
// dumps' Python writer does). Templates here are plain ASCII without any of
// &<>"\ so that they need neither; code, URLs, fact expressions and the
// odd emoji are escaped once, when prepared.

var redditIntros = markdownTemplates(
	"I am trying to get {A} to work with {B} in {L} and I am completely stuck",
	"Noob here. My {A} code was fine until I added {B}",
	"So I have been reading about {A} and {B} all week and I still do not get it",
	"Can someone explain why {B} gets ignored when I use {A}?",
	"Using {L} at work and {A} keeps doing weird things with {B}",
	"Quick question about `{A}` in {L}",
	"I expected {A} to take care of {B} for me but apparently not",
	"Been stuck on this for two days, {A} just refuses to cooperate with {B}",
)

var redditFactPrompts = markdownTemplates(
	"Also, side question: what does `{E}` evaluate to? My coworker and I disagree",
	"Bonus question: what is `{E}` in {L}?",
	"And while we are at it, what should `{E}` give?",
)

var redditClosings = markdownTemplates(
	"Thanks in advance!",
	"Any help appreciated",
	"I already read [the docs]({U}) but it did not help",
	"Edit: formatting",
	"What am I missing?",
)

var redditSentences = markdownTemplates(
	"You need to call {A} before {B}, otherwise you get the old value",
	"{A} does not change the original, you have to keep the result",
	"In {L}, {A} and {B} run in a different order than you think",
	"Just use `{A}` directly and skip the {B} step",
	"The [{L} docs on {A}]({U}) explain this pretty well",
	"If you really need {B}, wrap it in a helper so {A} stays simple",
	"This is a classic gotcha with {A}: {B} is applied lazily",
	"Make sure {B} is set up right, because {A} silently falls back to the default",
	"**Note:** {A} behaves differently in older versions of {L}",
	"Let {A} handle {B} for you, that is what it is for",
	"I have been writing {L} for years and {A} with {B} still trips me up sometimes",
)

var redditFillers = markdownTemplates(
	"Hope this helps",
	"Had the exact same problem last month",
	"This is a super common pitfall",
	"Let me know if that works",
	"There are a few ways to do this",
	"Source: I do this for a living",
)

// redditInterjections only appear in unclear comments.
var redditInterjections = markdownTemplates(
	"lol this is so easy",
	"just google it next time",
	"idk why people overcomplicate this",
	"who even uses {L} anymore",
	"this sub has gone downhill",
)

var redditConfidentFacts = markdownTemplates(
	"`{E}` is {V}",
	"`{E}` evaluates to **{V}**",
	"To answer the side question, `{E}` gives {V}",
)

var redditHedgedFacts = markdownTemplates(
	"I think `{E}` is {V} but do not quote me on that",
	"Pretty sure `{E}` is {V}?",
)

// redditExplains follows factKinds, in order.
var redditExplains = markdownTemplates(
	"since it is just left to right addition",
	"because `*` binds tighter than `+`",
	"because `%` gives the remainder, not the quotient",
	"because shifting left by n doubles the value n times",
	"because every hex digit counts in base sixteen",
)

var redditAgreements = markdownTemplates(
	"This is the right answer",
	"Came here to say this",
	"Can confirm, {A} fixed it for me",
	"Thanks, that worked!",
	"Same thing happened to me with {B}",
	"+1, {A} is the way to go",
)

var redditDisagreements = markdownTemplates(
	"Not really, {A} has nothing to do with {B} here",
	"This is wrong, {A} does not work like that in {L}",
	"Are you sure? I tried {A} and still got the error",
	"Does this also work with {B}?",
	"What version of {L} are you on?",
)

// Escaped fragments: paragraph breaks and the other bits templates cannot
// hold.
var (
	mdBreak     = `\n\n`
	mdQuote     = "&gt; "
	mdCodeStart = "    "
	mdEmoji     = []string{jsonText(" 😂"), jsonText(" 👍"), jsonText(" 🤷"), jsonText(" — just saying"), jsonText(" (naïve, I know)")}
	mdAutoMod   = jsonText(redditEscape("Hi! Please remember to format your code & read the rules in the sidebar. Low effort posts will be removed.\n\n*I am a bot, and this action was performed automatically. Please [contact the moderators of this subreddit](/message/compose/?to=/r/learnprogramming) if you have any questions or concerns.*"))
	mdGildEdit  = jsonText("\n\nEdit: wow, thanks for the gold kind stranger!")
	mdTypoEdit  = jsonText("\n\nEdit: typo")
)

func init() {
	if len(redditExplains) != len(factKinds) {
		panic("synth: redditExplains must follow factKinds")
	}
}

// markdownTemplates compiles templates in htmlMode, for word styling; with
// none of &<>"\ their literal text needs no escaping anywhere.
func markdownTemplates(srcs ...string) []tmpl {
	for _, s := range srcs {
		if strings.ContainsAny(s, "&<>\"\\\n\r\t") || !isASCII(s) {
			panic("synth: markdown template needs escaping: " + s)
		}
	}
	return compileAll(htmlMode, srcs...)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// redditTopic is what a topic needs in Reddit text: the subreddit it is
// asked in and its link and code escaped for bodies.
type redditTopic struct {
	subreddit        string
	url              string // reddit-escaped, JSON-ready
	question, answer tmpl   // code as indented markdown blocks, JSON-ready
}

var redditTopics = map[*topic]*redditTopic{}

// subredditOf maps topic languages to the subreddits they are asked in.
var subredditOf = map[string]string{
	"Python": "learnpython", "pandas": "datascience", "JavaScript": "learnjavascript",
	"React": "reactjs", "TypeScript": "typescript", "npm": "node", "SQL": "SQL",
	"PostgreSQL": "PostgreSQL", "Git": "git", "Bash": "bash", "regex": "regex",
	"Linux": "linux4noobs", "SSH": "sysadmin", "Java": "javahelp", "Spring Boot": "SpringBoot",
	"C": "C_Programming", "C++": "cpp_questions", "Go": "golang", "Rust": "rust",
	"CSS": "css", "HTML": "webdev", "Docker": "docker", "Kubernetes": "kubernetes",
	"HTTP": "webdev", "C#": "csharp",
}

// generalSubreddits take questions on any topic.
var generalSubreddits = []string{"learnprogramming", "AskProgramming", "programming", "cscareerquestions"}

// subredditIDs holds the t5_ id of every subreddit written.
var subredditIDs = map[string]string{}

func init() {
	for _, sub := range generalSubreddits {
		subredditIDs[sub] = subredditID(sub)
	}
	for _, t := range topics {
		sub, ok := subredditOf[t.lang]
		if !ok {
			panic("synth: no subreddit for " + t.lang)
		}
		subredditIDs[sub] = subredditID(sub)
		slug := strings.ReplaceAll(t.words[0], " ", "-")
		redditTopics[t] = &redditTopic{
			subreddit: sub,
			url:       jsonText(redditEscape("https://docs.example.com/" + t.tags[0] + "/" + slug + "?v=2&lang=en")),
			question:  retarget(t.code.question, markdownCode),
			answer:    retarget(t.code.answer, markdownCode),
		}
	}
}

// redditSubject is what a submission asks, with its fact escaped for
// bodies.
type redditSubject struct {
	subject
	rt          *redditTopic
	subreddit   string
	subredditID string
	expr        string // the fact's expression, reddit-escaped, JSON-ready
}

func newRedditSubject(r *rng) redditSubject {
	s := redditSubject{subject: newSubject(r)}
	s.rt = redditTopics[s.topic]
	s.subreddit = s.rt.subreddit
	if r.chance(0.25) {
		s.subreddit = pick(r, generalSubreddits)
	}
	s.subredditID = subredditIDs[s.subreddit]
	s.expr = jsonText(redditEscape(rawText(s.fact.expr)))
	return s
}

func (s *redditSubject) fill() fill {
	f := s.subject.fill()
	f.u, f.e = s.rt.url, s.expr
	return f
}

// redditWriter renders titles and bodies, escaped for the dump.
type redditWriter struct {
	r     *rng
	lines []line
}

// title renders a title: the Stack Exchange templates, whose escaping for
// an XML attribute is the same as Reddit's for these strings (&amp; only).
func (w *redditWriter) title(b []byte, s *redditSubject) []byte {
	se := writer{r: w.r}
	return se.title(b, &s.subject)
}

// selftext renders a question post: what is wrong, the code, usually the
// side question about the fact, sometimes a closing line.
func (w *redditWriter) selftext(b []byte, s *redditSubject) []byte {
	f := s.fill()
	rw := renderer{b: b, r: w.r}
	lines := w.lines[:0]
	first := w.r.IntN(len(redditIntros))
	for i := range 1 + w.r.IntN(2) {
		lines = append(lines, line{t: &redditIntros[(first+i)%len(redditIntros)], f: f})
	}
	sentences(&rw, lines)
	if w.r.chance(0.6) {
		rw.lit(mdBreak)
		codeBlock(&rw, &s.rt.question, &f)
	}
	if w.r.chance(0.8) {
		rw.lit(mdBreak)
		sentences(&rw, []line{{t: &redditFactPrompts[w.r.IntN(len(redditFactPrompts))], f: f}})
	}
	if w.r.chance(0.5) {
		rw.lit(mdBreak)
		sentences(&rw, []line{{t: &redditClosings[w.r.IntN(len(redditClosings))], f: f}})
	}
	w.lines = lines
	return rw.b
}

// answer renders a top-level comment whose text reflects q: relevance
// picks on-topic sentences and code, correctness the stated value,
// clarity the style and layout; better comments run a little longer.
func (w *redditWriter) answer(b []byte, s *redditSubject, q Quality, score int32) []byte {
	rw := renderer{b: b, r: w.r, st: styleFor(q.Clarity)}
	n := 1 + w.r.IntN(2) + int(3*q.VoteSignal()*w.r.Float64())
	factAt := -1
	if w.r.chance(0.6) {
		factAt = w.r.IntN(n)
	}
	lines := w.lines[:0]
	for i := range n {
		if i == factAt {
			lines = append(lines, w.factLine(s, q))
		} else {
			lines = append(lines, w.proseLine(s, q.Relevance))
		}
	}
	if rw.st.runOn && w.r.chance(0.6) {
		lines = append(lines, line{t: &redditInterjections[w.r.IntN(len(redditInterjections))], f: s.fill()})
	}
	w.layout(&rw, lines, s, q.Relevance)
	w.lines = lines
	w.tail(&rw, q, score)
	return rw.b
}

// reply renders a comment on a comment: agreement or pushback, sometimes
// quoting, and an on-topic sentence when relevant.
func (w *redditWriter) reply(b []byte, s *redditSubject, q Quality, score int32) []byte {
	rw := renderer{b: b, r: w.r, st: styleFor(q.Clarity)}
	f := s.fill()
	if w.r.chance(0.15) {
		rw.lit(mdQuote)
		sentences(&rw, []line{{t: &redditSentences[w.r.IntN(len(redditSentences))], f: f}})
		rw.lit(mdBreak)
	}
	reactions := redditAgreements
	if w.r.chance(0.4) {
		reactions = redditDisagreements
	}
	lines := append(w.lines[:0], line{t: &reactions[w.r.IntN(len(reactions))], f: f})
	if w.r.chance(0.5) {
		lines = append(lines, w.proseLine(s, q.Relevance))
	}
	sentences(&rw, lines)
	w.lines = lines
	w.tail(&rw, q, score)
	return rw.b
}

func (w *redditWriter) factLine(s *redditSubject, q Quality) line {
	l := line{f: s.fill()}
	l.f.v = s.fact.right
	if !q.Correct() {
		l.f.v = s.fact.wrong
	}
	switch {
	case q.Correctness >= 0.75:
		l.t = &redditConfidentFacts[w.r.IntN(len(redditConfidentFacts))]
		l.then = &redditExplains[factKindIndex(s.fact.kind)]
	case q.Correctness < 0.5 && q.Correctness >= 0.25:
		l.t = &redditHedgedFacts[w.r.IntN(len(redditHedgedFacts))]
	default:
		l.t = &redditConfidentFacts[w.r.IntN(len(redditConfidentFacts))]
	}
	return l
}

func factKindIndex(k *factKind) int {
	for i, fk := range factKinds {
		if fk == k {
			return i
		}
	}
	panic("synth: unknown fact kind")
}

// proseLine is an on-topic sentence with probability relevance, otherwise
// one about another topic, or filler.
func (w *redditWriter) proseLine(s *redditSubject, relevance float64) line {
	t := &redditSentences[w.r.IntN(len(redditSentences))]
	switch {
	case w.r.chance(relevance):
		return line{t: t, f: s.fill()}
	case w.r.chance(0.6):
		return line{t: t, f: w.otherTopic(s.topic)}
	default:
		return line{t: &redditFillers[w.r.IntN(len(redditFillers))]}
	}
}

func (w *redditWriter) otherTopic(not *topic) fill {
	se := writer{r: w.r}
	t := se.otherTopic(not)
	f := se.wordsOf(t, nil)
	f.u = redditTopics[t].url
	return f
}

// layout writes clear comments as paragraphs of two sentences, with code
// after the first sometimes; unclear ones as one run-on paragraph.
func (w *redditWriter) layout(rw *renderer, lines []line, s *redditSubject, relevance float64) {
	if !rw.st.paragraphs {
		sentences(rw, lines)
		return
	}
	for i := 0; i < len(lines); i += 2 {
		if i > 0 {
			rw.lit(mdBreak)
		}
		sentences(rw, lines[i:min(i+2, len(lines))])
		if i == 0 && rw.st.code && w.r.chance(0.3) && w.r.chance(relevance) {
			rw.lit(mdBreak)
			f := s.fill()
			codeBlock(rw, &s.rt.answer, &f)
		}
	}
}

// tail adds what comments end with now and then: an emoji or aside in
// sloppy ones, an edit note in others.
func (w *redditWriter) tail(rw *renderer, q Quality, score int32) {
	switch {
	case q.Clarity < 0.45 && w.r.chance(0.3):
		rw.lit(pick(w.r, mdEmoji))
	case score > 300 && w.r.chance(0.3):
		rw.lit(mdGildEdit)
	case w.r.chance(0.03):
		rw.lit(mdTypoEdit)
	}
}

// sentences renders lines as one markdown paragraph, ending sentences per
// the renderer's style.
func sentences(rw *renderer, lines []line) {
	for i := range lines {
		l := &lines[i]
		rw.render(l.t, &l.f)
		if l.then != nil {
			rw.lit(", ")
			rw.render(l.then, &l.f)
		}
		rw.endSentence(l, i == len(lines)-1)
	}
}

func codeBlock(rw *renderer, t *tmpl, f *fill) {
	rw.lit(mdCodeStart)
	rw.render(t, f)
}

// retarget returns a copy of t whose literal text, stored escaped for a
// Posts.xml attribute, is rewritten for another output.
func retarget(t tmpl, rewrite func(lit string) string) tmpl {
	out := tmpl{closed: t.closed, tokens: make([]token, len(t.tokens))}
	for i, tok := range t.tokens {
		if tok.kind == litToken {
			tok.text = rewrite(tok.text)
		}
		out.tokens[i] = tok
	}
	return out
}

// markdownCode turns a code template's literal into (part of) an indented
// markdown block.
func markdownCode(lit string) string {
	return jsonText(redditEscape(strings.ReplaceAll(rawText(lit), "\n", "\n"+mdCodeStart)))
}

var (
	attrUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#xA;", "\n", "&#xD;", "\r", "&#x9;", "\t")
	htmlUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
	redditEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
)

// rawText undoes the attribute and HTML escaping of prepared Stack
// Exchange text (code, fact expressions).
func rawText(escaped string) string { return htmlUnescaper.Replace(attrUnescaper.Replace(escaped)) }

// redditEscape escapes markdown as Reddit stores it.
func redditEscape(s string) string { return redditEscaper.Replace(s) }

// jsonText escapes s as JSON string content the way the dumps' writer
// does: ASCII only, other characters as \uXXXX (surrogate pairs above the
// BMP).
func jsonText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r >= 0x7f && r <= 0xffff:
			appendU(&b, r)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			appendU(&b, hi)
			appendU(&b, lo)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func appendU(b *strings.Builder, r rune) {
	const hex = "0123456789abcdef"
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hex[r>>shift&0xf])
	}
}
