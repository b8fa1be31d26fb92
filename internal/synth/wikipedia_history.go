package synth

import (
	"bytes"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// A page's history is simulated one revision at a time. Editors create an
// article as a stub, then expand it, fix its typos, add sections and
// references. Now and then a vandal defaces a section (shouting, nonsense,
// a deleted paragraph or section, a changed number, a blanked page) and an
// episode begins: the vandal may go on, a bystander may make a good edit
// that keeps the damage, and after 1-14 such revisions someone (a
// patroller, ClueBot NG, the undo button) restores the last good text
// exactly, so the revert's SHA-1 equals that of revision k-2 ... k-15.
// Every other revision's text differs from the last 15, so the planted
// reverts are exactly the identity reverts a reader finds.

// historyDepth is how many revisions a page remembers: the revert window
// of the recipe plus the current one.
const historyDepth = 16

const (
	articleSizeCap = 24 << 10 // bytes of wikitext past which articles stop growing
	mainVandalRate = 0.12     // chance that an article edit starts a vandal episode
)

var (
	historyStart = unixMilli(2003, 1, 1) / 1000
	historyEnd   = unixMilli(2019, 1, 1) / 1000 // latest page creation
	dumpTime     = unixMilli(2024, 6, 1) / 1000
)

type pageKind uint8

const (
	articlePage pageKind = iota
	redirectPage
	talkPage
	userPage
	projectPage
	templatePage
	categoryPage
	filePage
)

// namespaces of the page kinds, as <siteinfo> lists them.
var pageNamespaces = [...]struct {
	ns     int
	prefix string
}{
	articlePage: {0, ""}, redirectPage: {0, ""}, talkPage: {1, "Talk:"}, userPage: {2, "User:"},
	projectPage: {4, "Wikipedia:WikiProject "}, templatePage: {10, "Template:Infobox "},
	categoryPage: {14, "Category:"}, filePage: {6, "File:"},
}

func drawPageKind(r *rng) pageKind {
	switch u := r.Float64(); {
	case u < 0.80:
		return articlePage
	case u < 0.83:
		return redirectPage
	case u < 0.91:
		return talkPage
	case u < 0.94:
		return userPage
	case u < 0.955:
		return projectPage
	case u < 0.97:
		return templatePage
	case u < 0.98:
		return categoryPage
	}
	return filePage
}

type wikiUser struct {
	name string
	id   int64 // 0 for an IP address
}

var clueBot = wikiUser{name: "ClueBot NG", id: 13286072}

// wikiRev is a revision as a page remembers it.
type wikiRev struct {
	id     int64
	blocks []*block
	sha1   string
	size   int // bytes of wikitext
	user   wikiUser
}

// revision is a revision to write.
type revision struct {
	wikiRev
	parent, at     int64
	comment        string
	minor          bool
	textDeleted    bool // revision deletion of vandalism hides all three
	commentDeleted bool
	userDeleted    bool
	emptySHA1      bool // <sha1/> left empty, no sha1 attribute
	mediainfoSlot  bool // a second slot, as on Commons file pages
	revert, vandal bool
}

// episode is a run of revisions that a revert will undo.
type episode struct {
	restore  wikiRev
	left     int // reverted revisions still to make
	made     int
	vandal   wikiUser
	sameUser bool // every reverted revision is the vandal's
}

type pageSim struct {
	g       *wikiGen
	r       *rng
	kind    pageKind
	title   string
	target  string // of a redirect
	subject wikiSubject
	blocks  []*block
	hist    []wikiRev
	at      int64
	planned int
	made    int
	ep      *episode
}

func newPageSim(g *wikiGen, n int) *pageSim {
	r := newRNG(g.o.Seed^0x77696b69, uint64(n))
	s := &pageSim{g: g, r: r, kind: drawPageKind(r)}
	s.subject = newWikiSubject(r, n)
	s.title = pageNamespaces[s.kind].prefix + s.subject.title
	switch s.kind {
	case userPage:
		s.title = "User:" + userByNumber(1+r.Int64N(2_000_000)).name
	case filePage:
		s.title += ".png"
	case redirectPage:
		s.target = capitalize(s.subject.topic.words[s.subject.a])
	}
	s.at = historyStart + r.Int64N(historyEnd-historyStart)
	s.planned = s.plannedRevisions()
	return s
}

func (s *pageSim) plannedRevisions() int {
	switch s.kind {
	case articlePage:
		return 2 + int(18*math.Exp(0.9*s.r.NormFloat64()))
	case redirectPage:
		return 1 + s.r.IntN(3)
	case talkPage:
		return 1 + int(4*math.Exp(0.8*s.r.NormFloat64()))
	}
	return 1 + s.r.IntN(6)
}

// page writes one page and its whole history.
func (g *wikiGen) page(s *pageSim) {
	g.writePageHeader(s)
	s.emit(s.create())
	for s.more() {
		s.emit(s.next())
	}
	g.out.writeString("  </page>\n")
	g.stats.Pages++
}

// more reports whether the page goes on: always while an episode waits
// for its revert, else up to the planned count and the byte target.
func (s *pageSim) more() bool {
	if s.ep != nil {
		return true
	}
	return s.made < s.planned && s.g.roomFor(s.last().size)
}

func (s *pageSim) last() *wikiRev { return &s.hist[len(s.hist)-1] }

func (s *pageSim) next() revision {
	switch {
	case s.ep != nil && s.ep.left == 0:
		return s.revert()
	case s.ep != nil:
		return s.episodeEdit()
	case s.r.chance(s.vandalRate()):
		if rev, ok := s.startEpisode(); ok {
			return rev
		}
	}
	return s.goodEdit(s.editor(), s.normalGap())
}

func (s *pageSim) vandalRate() float64 {
	switch s.kind {
	case articlePage:
		return mainVandalRate
	case talkPage, userPage:
		return 0.05
	}
	return 0
}

// emit finishes a revision (id, hash, time) and writes it.
func (s *pageSim) emit(rev revision) {
	rev.id = s.g.nextRevID(s.r)
	if len(s.hist) > 0 {
		rev.parent = s.last().id
	}
	if !rev.revert {
		rev.blocks, rev.sha1, rev.size = s.unique(rev.blocks)
	}
	rev.at = s.at
	s.addQuirks(&rev)
	s.g.writeRevision(s, &rev)
	s.blocks = rev.blocks
	s.hist = append(s.hist, rev.wikiRev)
	if len(s.hist) > historyDepth {
		s.hist = slices.Delete(s.hist, 0, 1)
	}
	s.made++
	s.g.count(&rev)
}

func (g *wikiGen) count(rev *revision) {
	g.stats.Revisions++
	if rev.revert {
		g.stats.Reverts++
	}
	if rev.vandal {
		g.stats.Vandalism++
	}
}

// unique returns blocks, or blocks with a little more junk, so that the
// text differs from every remembered revision (only planted reverts
// repeat a recent text), with the text's hash and size.
func (s *pageSim) unique(blocks []*block) ([]*block, string, int) {
	for {
		sum, size := s.g.hashText(blocks)
		if !slices.ContainsFunc(s.hist, func(h wikiRev) bool { return h.sha1 == sum }) {
			return blocks, sum, size
		}
		blocks = append(slices.Clip(blocks), newBlock(mash(s.r), otherBlock))
	}
}

// addQuirks sets the rare fields real exports have.
func (s *pageSim) addQuirks(rev *revision) {
	switch {
	case rev.vandal && s.r.chance(0.08):
		rev.textDeleted, rev.commentDeleted, rev.userDeleted = true, true, true
	case s.r.chance(0.01):
		rev.commentDeleted = true
	case s.r.chance(0.005):
		rev.userDeleted = true
	}
	rev.emptySHA1 = !rev.textDeleted && s.r.chance(0.02)
	rev.mediainfoSlot = s.kind == filePage && s.r.chance(0.5)
}

// create is the page's first revision.
func (s *pageSim) create() revision {
	user := s.editor()
	var blocks []*block
	switch s.kind {
	case articlePage:
		blocks = s.stub()
	case redirectPage:
		blocks = []*block{newBlock([]byte("#REDIRECT [["+s.target+"]]"), otherBlock)}
	default:
		blocks = s.otherPage(user)
	}
	return revision{wikiRev: wikiRev{blocks: blocks, user: user}, comment: s.creationComment(blocks)}
}

func (s *pageSim) creationComment(blocks []*block) string {
	if len(blocks) == 0 || s.r.chance(0.3) {
		return pick(s.r, []string{"start article", "stub", "new article", ""})
	}
	text := strings.ReplaceAll(string(blocks[0].raw), "\n", " ")
	if len(text) > 150 {
		text = text[:150] + "..."
	}
	if s.at < unixMilli(2010, 1, 1)/1000 {
		return "New page: " + text
	}
	return "Created page with '" + text + "'"
}

// stub is a new article: lead, a section or two, references, categories.
func (s *pageSim) stub() []*block {
	var blocks []*block
	if s.r.chance(0.4) {
		blocks = append(blocks, shortDescription(&s.subject))
	}
	if s.r.chance(0.3) {
		blocks = append(blocks, infobox(&s.subject))
	}
	blocks = append(blocks, s.prose(true))
	for _, name := range s.sectionNames(1 + s.r.IntN(2)) {
		blocks = append(blocks, heading(name), s.prose(false))
	}
	return append(blocks, referencesHeading(), reflist(), categories(&s.subject))
}

func (s *pageSim) sectionNames(n int) []string {
	first := s.r.IntN(len(wikiSections))
	names := make([]string, n)
	for i := range names {
		names[i] = wikiSections[(first+i)%len(wikiSections)]
	}
	return names
}

// prose renders a new paragraph of 2-5 sentences in the clarity of a
// first draft.
func (s *pageSim) prose(lead bool) *block {
	return renderProse(&s.subject, proseSpec{
		seed: s.r.Uint64(), sentences: 2 + s.r.IntN(4), clarity: 0.45 + 0.45*s.r.Float64(), lead: lead,
	})
}

// otherPage is the first text of a talk, user, project, template,
// category or file page.
func (s *pageSim) otherPage(user wikiUser) []*block {
	sub := &s.subject
	switch s.kind {
	case talkPage:
		return []*block{newBlock([]byte("{{WikiProject "+sub.topic.lang+"|class=stub}}"), otherBlock),
			heading(capitalize(sub.topic.words[sub.a]) + " vs " + sub.topic.words[sub.b]), s.talkComment(user, 0)}
	case userPage:
		return []*block{newBlock([]byte("{{babel|en|"+strings.ToLower(sub.topic.tags[0])+"-3}}"), otherBlock), s.prose(false)}
	case templatePage:
		return []*block{infobox(sub), newBlock([]byte("<noinclude>{{Documentation}}</noinclude>"), otherBlock)}
	case categoryPage:
		return []*block{newBlock([]byte("Articles about "+sub.topic.words[sub.a]+" in "+sub.langLink+"."), otherBlock), categories(sub)}
	case filePage:
		return []*block{heading("Summary"), newBlock([]byte("{{Information\n|description=Diagram of "+sub.topic.words[sub.a]+
			"\n|source={{own}}\n|author=[[User:"+user.name+"|"+user.name+"]]\n}}"), otherBlock),
			heading("Licensing"), newBlock([]byte("{{self|cc-by-sa-4.0}}"), otherBlock)}
	}
	return []*block{heading("Participants"), s.talkComment(user, 0)}
}

// talkComment is a signed comment, indented by depth colons.
func (s *pageSim) talkComment(user wikiUser, depth int) *block {
	sub := &s.subject
	f := sub.fill(s.r)
	rw := renderer{r: s.r}
	t := &wikiSentences[s.r.IntN(len(wikiSentences))]
	rw.lit(strings.Repeat(":", depth))
	end := ". "
	opening := pick(s.r, []string{"I think this is wrong: ", "Is it true that ", "Source needed: ", "Agreed. ", ""})
	if opening == "Is it true that " {
		rw.st.lowerStart, end = true, "? "
	}
	rw.lit(opening)
	rw.render(t, &f)
	rw.lit(end)
	rw.b = appendSignature(rw.b, user, s.at)
	return newBlock(rw.b, otherBlock)
}

func appendSignature(b []byte, u wikiUser, at int64) []byte {
	if u.id == 0 {
		b = append(b, "—&nbsp;Preceding [[Wikipedia:Signatures|unsigned]] comment added by "...)
		b = append(b, u.name...)
	} else {
		b = append(b, "--[[User:"...)
		b = append(append(append(b, u.name...), '|'), u.name...)
		b = append(append(append(b, "]] ([[User talk:"...), u.name...), "|talk]])"...)
	}
	b = append(b, ' ')
	days := at / secPerDay
	y, m, d := civil(days)
	b = appendDigits(b, int(at%secPerDay/secPerHour), 2)
	b = append(b, ':')
	b = appendDigits(b, int(at%secPerHour/60), 2)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(append(append(b, ' '), monthNames[m-1]...), ' ')
	b = strconv.AppendInt(b, int64(y), 10)
	return append(b, " (UTC)"...)
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// hashText is the SHA-1 of the blocks joined by blank lines, in base 36 as
// MediaWiki stores it, and the text's length.
func (g *wikiGen) hashText(blocks []*block) (string, int) {
	g.sha.Reset()
	size := 0
	for i, b := range blocks {
		if i > 0 {
			g.sha.Write(paragraphBreak)
			size += len(paragraphBreak)
		}
		g.sha.Write(b.raw)
		size += len(b.raw)
	}
	return sha1Base36(g.sha.Sum(g.sum[:0])), size
}

var paragraphBreak = []byte("\n\n")

// sha1Base36 writes a SHA-1 digest as MediaWiki's rev_sha1: base 36,
// zero-padded to 31 digits.
func sha1Base36(sum []byte) string {
	digits := new(big.Int).SetBytes(sum).Text(36)
	return strings.Repeat("0", max(0, 31-len(digits))) + digits
}

func (g *wikiGen) nextRevID(r *rng) int64 {
	g.revID += 1 + r.Int64N(40)
	return g.revID
}

// Users: registered editors with names made from their number, IP
// editors, vandals and patrollers.
var (
	wikiNameForms = []func(adj, noun string, n int64) string{
		func(adj, noun string, n int64) string { return adj + " " + noun },
		func(adj, noun string, n int64) string { return adj + noun + strconv.FormatInt(n%1000, 10) },
		func(adj, noun string, n int64) string { return noun + " & " + adj },
		func(adj, noun string, n int64) string { return "O'" + noun },
		func(adj, noun string, n int64) string { return "Dr. " + noun + " " + adj },
	}
)

// userByNumber is registered editor number n (n >= 1). Past the first
// few hundred, names end in a number, as names do on a big wiki.
func userByNumber(n int64) wikiUser {
	s := splitmix(uint64(n) * 0x9fb21c651e98df25)
	h := s.next()
	adj, noun := nameAdjectives[h%20], nameNouns[h/20%20]
	name := wikiNameForms[h/400%uint64(len(wikiNameForms))](adj, noun, n)
	if n >= 400 {
		name += strconv.FormatInt(n/400, 10)
	}
	return wikiUser{name: name, id: n}
}

// editor draws a registered editor: a few prolific ones, most occasional.
func (s *pageSim) editor() wikiUser {
	if s.r.chance(0.1) {
		return s.anon()
	}
	return userByNumber(1 + int64(math.Pow(s.r.Float64(), 3)*2_000_000))
}

// patroller draws an experienced editor, who reverts.
func (s *pageSim) patroller() wikiUser { return userByNumber(1 + s.r.Int64N(300)) }

// vandal draws an IP address, or a new account.
func (s *pageSim) vandal() wikiUser {
	if s.r.chance(0.35) {
		return userByNumber(3_000_000 + s.r.Int64N(40_000_000))
	}
	return s.anon()
}

func (s *pageSim) anon() wikiUser {
	var b []byte
	if s.r.chance(0.1) {
		b = append(b, "2001:db8:"...)
		b = strconv.AppendInt(b, s.r.Int64N(0x10000), 16)
		b = append(b, "::"...)
		b = strconv.AppendInt(b, 1+s.r.Int64N(0xfffe), 16)
		return wikiUser{name: string(b)}
	}
	for i := range 4 {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, 1+s.r.Int64N(223), 10)
	}
	return wikiUser{name: string(b)}
}

// Times: days to months between ordinary edits, minutes in a vandal
// spree, seconds (ClueBot NG) to hours before a revert.
func (s *pageSim) normalGap() int64 {
	left := max(dumpTime-s.at, 2)
	return min(s.r.delay(14*secPerDay, 1.6, 400*secPerDay), left/2)
}

func (s *pageSim) spreeGap() int64 { return s.r.delay(3*60, 1, secPerDay) }

func (s *pageSim) revertGap(bot bool) int64 {
	if bot {
		return s.r.delay(15, 0.8, 10*60)
	}
	return s.r.delay(8*60, 1.5, 3*secPerDay)
}

func (s *pageSim) advance(gap int64) { s.at += max(gap, 1) }

// blocks helpers: revisions share block slices, so edits copy.
func replaced(blocks []*block, i int, with ...*block) []*block {
	out := make([]*block, 0, len(blocks)+len(with))
	out = append(append(append(out, blocks[:i]...), with...), blocks[i+1:]...)
	return out
}

func inserted(blocks []*block, i int, with ...*block) []*block {
	out := make([]*block, 0, len(blocks)+len(with))
	return append(append(append(out, blocks[:i]...), with...), blocks[i:]...)
}

func removed(blocks []*block, from, to int) []*block {
	out := make([]*block, 0, len(blocks))
	return append(append(out, blocks[:from]...), blocks[to:]...)
}

// proseIndexes lists the prose blocks.
func proseIndexes(blocks []*block) []int {
	var idx []int
	for i, b := range blocks {
		if b.kind == proseBlock {
			idx = append(idx, i)
		}
	}
	return idx
}

// sectionEnd is the index after the section whose heading is at i.
func sectionEnd(blocks []*block, i int) int {
	for j := i + 1; j < len(blocks); j++ {
		if blocks[j].kind == headingBlock {
			return j
		}
	}
	return len(blocks)
}

// referencesAt is the index of the References heading, where new sections
// go; len(blocks) when a vandal removed it.
func referencesAt(blocks []*block) int {
	for i, b := range blocks {
		if b.kind == headingBlock && bytes.Equal(b.raw, referencesHeading().raw) {
			return i
		}
	}
	return len(blocks)
}

// sectionOf names the section of block i, for edit summaries.
func sectionOf(blocks []*block, i int) string {
	for j := i; j >= 0; j-- {
		if b := blocks[j]; b.kind == headingBlock {
			return strings.Trim(string(b.raw), "= ")
		}
	}
	return ""
}
