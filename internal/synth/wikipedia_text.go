package synth

import (
	"strconv"
	"strings"
)

// Article text is a list of blocks (the lead and other paragraphs,
// headings, lists, templates) joined by blank lines. Blocks are immutable
// and shared between revisions; an edit replaces a few. A prose block
// remembers how it was rendered (content seed, sentences, references,
// clarity), so an editor can expand it or fix its typos and keep the rest
// of it as it was.

type blockKind uint8

const (
	proseBlock   blockKind = iota
	headingBlock           // == Heading ==
	otherBlock             // lists, templates, categories, talk comments, junk
)

type block struct {
	raw, xml []byte // wikitext, and escaped for the XML <text>
	kind     blockKind
	prose    proseSpec // prose blocks only
}

// proseSpec is what renders a prose block.
type proseSpec struct {
	seed      uint64
	sentences int
	refs      int // the first refs sentences end with a reference
	clarity   float64
	lead      bool
}

func newBlock(raw []byte, kind blockKind) *block {
	return &block{raw: raw, xml: appendXMLText(nil, raw), kind: kind}
}

// Wikitext templates: sentences without their final period. Their literal
// text is raw wikitext (retargeted from the attribute escaping compile
// does); {U} is the language's article link.
var (
	wikiLeads = wikiTemplates(
		"'''{A}''' is a concept in {U} that is closely related to {B}",
		"In {U}, '''{A}''' refers to the way {B} is handled at run time",
		"'''{A}''' (sometimes called {A} with {B}) is a technique used in {U} programs",
		"'''{A}''' is a feature of {U} for working with {B}",
	)
	wikiSentences = wikiTemplates(
		"The {A} mechanism was first described in the official documentation of {L}",
		"Unlike {B}, {A} does not modify the original value",
		"Most {L} programmers use {A} together with {B}",
		"Critics have argued that {A} makes {B} harder to reason about",
		"A common mistake is to assume that {A} and {B} are evaluated in the same order",
		"Since the 2010s, {A} has been the recommended way to handle {B} in {U}",
		"Several textbooks describe {A} as a special case of {B}",
		"Implementations of {A} differ in how they treat {B}",
		"The term {A} is also used informally for {B}",
		"The performance of {A} depends heavily on the size of the {B}",
		"The naïve approach to {A} is rarely used in practice",
		"{A} – also known as {B} in older texts – was standardised later",
		"A typical call to {A} takes about 5&nbsp;ms when {B} is cached",
		"The expression <code>{E}</code> evaluates to {V} in {L}",
	)
	wikiSections = []string{"History", "Overview", "Usage", "Examples", "Implementation", "Criticism", "Performance", "Design", "Reception"}
)

func wikiTemplates(srcs ...string) []tmpl {
	ts := compileAll(htmlMode, srcs...)
	for i := range ts {
		ts[i] = retarget(ts[i], attrUnescaper.Replace)
	}
	return ts
}

// langArticles are the article titles of the topics' languages.
var langArticles = map[string]string{
	"Python": "Python (programming language)", "pandas": "Pandas (software)", "JavaScript": "JavaScript",
	"React": "React (software)", "TypeScript": "TypeScript", "npm": "Npm", "SQL": "SQL", "PostgreSQL": "PostgreSQL",
	"Git": "Git", "Bash": "Bash (Unix shell)", "regex": "Regular expression", "Linux": "Linux",
	"SSH": "Secure Shell", "Java": "Java (programming language)", "Spring Boot": "Spring Framework",
	"C": "C (programming language)", "C++": "C++", "Go": "Go (programming language)",
	"Rust": "Rust (programming language)", "CSS": "CSS", "HTML": "HTML", "Docker": "Docker (software)",
	"Kubernetes": "Kubernetes", "HTTP": "HTTP", "C#": "C Sharp (programming language)",
}

func init() {
	for _, t := range topics {
		if _, ok := langArticles[t.lang]; !ok {
			panic("synth: no article for " + t.lang)
		}
	}
}

// wikiSubject is what a page is about.
type wikiSubject struct {
	subject
	title    string // without namespace prefix
	langLink string // [[Article|Lang]]
	ref      string // a <ref> citing the topic's documentation
	expr     string // the fact's expression, raw
}

// newWikiSubject makes the subject of the page with title index n: the
// title is unique for every n, the words and fact are drawn from r.
func newWikiSubject(r *rng, n int) wikiSubject {
	t, a, b, title := articleTitle(n)
	s := wikiSubject{subject: subject{topic: t, a: a, b: b, fact: newFact(r)}, title: title}
	article := langArticles[t.lang]
	s.langLink = "[[" + article + "|" + t.lang + "]]"
	slug := strings.ReplaceAll(t.words[0], " ", "_")
	s.ref = "<ref>{{cite web |url=https://docs.example.com/" + t.tags[0] + "/" + slug + "?v=2&lang=en |title=" +
		t.lang + " documentation: " + t.words[a] + " |access-date=2019-05-01}}</ref>"
	s.expr = rawText(s.fact.expr)
	return s
}

func (s *wikiSubject) fill(r *rng) fill {
	f := fill{l: s.topic.lang, u: s.langLink, e: s.expr, v: s.fact.right}
	f.a, f.b = s.topic.words[s.a], s.topic.words[s.b]
	if r.chance(0.3) { // other words of the topic, now and then
		w := writer{r: r}
		other := w.wordsOf(s.topic, nil)
		f.a, f.b = other.a, other.b
	}
	return f
}

// titleForms all use both words, so that (form, topic, a, b) makes a
// title no other page has.
var titleForms = []func(a, b string) string{
	func(a, b string) string { return capitalize(a) + " and " + b },
	func(a, b string) string { return capitalize(a) + " (" + b + ")" },
	func(a, b string) string { return "Comparison of " + a + " and " + b },
	func(a, b string) string { return capitalize(b) + "-based " + a },
	func(a, b string) string { return capitalize(a) + " for " + b },
	func(a, b string) string { return "Relationship between " + a + " and " + b },
	func(a, b string) string { return capitalize(a) + " versus " + b },
	func(a, b string) string { return capitalize(a) + " with " + b },
}

// articleTitle decodes title index n into a topic, two of its words and
// a title, visiting the space in a scrambled order; past its end titles
// get a number.
func articleTitle(n int) (t *topic, a, b int, title string) {
	const words = 5 // every topic has at least 5 words
	space := len(titleForms) * len(topics) * words * (words - 1)
	k := n % space * 7919 % space // 7919 is prime: a bijection of [0, space)
	form := k % len(titleForms)
	k /= len(titleForms)
	t = topics[k%len(topics)]
	k /= len(topics)
	a, b = k%words, (k%words+1+k/words)%words
	title = titleForms[form](t.words[a], t.words[b])
	if round := n / space; round > 0 {
		title += " (" + strconv.Itoa(round+1) + ")"
	}
	return t, a, b, title
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-('a'-'A')) + s[1:]
}

// renderProse renders a prose block from its spec: the content (templates
// and words) comes from one generator, the typos from another, so the same
// spec with more sentences or more clarity keeps the rest of the text.
func renderProse(s *wikiSubject, p proseSpec) *block {
	content, typos := newRNG(p.seed, 1), newRNG(p.seed, 2)
	rw := renderer{r: typos, st: style{typo: 0.3 * (1 - p.clarity) * (1 - p.clarity)}}
	prev := -1
	for i := range p.sentences {
		if i > 0 {
			rw.lit(" ")
		}
		n := content.IntN(len(wikiSentences) - 1)
		if n >= prev { // never the same sentence twice in a row
			n++
		}
		prev = n
		t := &wikiSentences[n]
		f := s.fill(content)
		if i == 0 && p.lead {
			t = &wikiLeads[content.IntN(len(wikiLeads))]
			f.a, f.b = s.topic.words[s.a], s.topic.words[s.b]
		}
		rw.render(t, &f)
		rw.endSentence(&line{t: t}, true)
		if i < p.refs {
			rw.lit(s.ref)
		}
	}
	b := newBlock(rw.b, proseBlock)
	b.prose = p
	return b
}

func heading(name string) *block {
	return newBlock([]byte("== "+name+" =="), headingBlock)
}

// The fixed blocks of an article.
func referencesHeading() *block { return heading("References") }

func reflist() *block { return newBlock([]byte("{{Reflist}}"), otherBlock) }

func categories(s *wikiSubject) *block {
	return newBlock([]byte("[[Category:"+s.topic.lang+"]]\n[[Category:Programming concepts]]"), otherBlock)
}

func shortDescription(s *wikiSubject) *block {
	return newBlock([]byte("{{Short description|Concept in "+s.topic.lang+" programming}}"), otherBlock)
}

func infobox(s *wikiSubject) *block {
	return newBlock([]byte("{{Infobox programming concept\n| name = "+s.title+"\n| language = "+s.langLink+
		"\n| related = [["+s.topic.words[s.b]+"]]\n}}"), otherBlock)
}

// Vandalism: what vandals put into a section.
var (
	vandalShouts = []string{"%s IS THE BEST PROGRAMMER EVER!!!", "%s WAS HERE", "THIS ARTICLE IS STUPID AND SO IS %s",
		"I LOVE %s!!!!!!", "%s SMELLS LOL", "HI MOM"}
	vandalSilly = []string{"mr %s is a poopyhead lol", "%s is so gay", "poop", "who even reads this",
		"[http://free-prizes.example.com/?id=%s CLICK HERE FOR FREE PRIZES]"}
	mashRows = []string{"asdfghjkl", "qwertyuiop", "zxcvbnm", "jkjkjkjk", "sdfsdfsdf"}
)

// shout is a line of vandal shouting naming someone.
func shout(r *rng, name string) []byte {
	return []byte(strings.ToUpper(strings.ReplaceAll(pick(r, vandalShouts), "%s", name)))
}

func silly(r *rng, name string) []byte {
	return []byte(strings.ReplaceAll(pick(r, vandalSilly), "%s", name))
}

// mash is keyboard nonsense.
func mash(r *rng) []byte {
	var b []byte
	for i := range 2 + r.IntN(5) {
		if i > 0 {
			b = append(b, ' ')
		}
		row := pick(r, mashRows)
		start := r.IntN(len(row) - 2)
		b = append(b, row[start:start+2+r.IntN(len(row)-start-1)]...)
	}
	return b
}

// appendXMLText escapes text for XML character data the way MediaWiki's
// export does (htmlspecialchars: &, <, > and ").
func appendXMLText(b, text []byte) []byte {
	for {
		i := indexXMLSpecial(text)
		if i < 0 {
			return append(b, text...)
		}
		b = append(b, text[:i]...)
		switch text[i] {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		}
		text = text[i+1:]
	}
}

func indexXMLSpecial(b []byte) int {
	for i, c := range b {
		if c == '&' || c == '<' || c == '>' || c == '"' {
			return i
		}
	}
	return -1
}

func appendXMLString(b []byte, s string) []byte {
	return appendXMLText(b, []byte(s))
}
