package synth

import (
	"bytes"
	"slices"
	"strconv"
)

// goodEdit is an edit in good faith: it improves the page (or, by a
// bystander during a vandal episode, the defaced page).
func (s *pageSim) goodEdit(user wikiUser, gap int64) revision {
	s.advance(gap)
	var blocks []*block
	var comment string
	minor := false
	switch s.kind {
	case articlePage:
		blocks, comment, minor = s.improveArticle()
	case redirectPage:
		blocks = []*block{s.blocks[0], newBlock([]byte(pick(s.r, redirectCategories)), otherBlock)}
		comment, minor = "rcat", true
	case talkPage, projectPage:
		blocks, comment = s.reply(user)
	default:
		blocks, comment = append(slices.Clip(s.blocks), s.prose(false)), pick(s.r, []string{"update", "", "more"})
	}
	return revision{wikiRev: wikiRev{blocks: blocks, user: user}, comment: comment, minor: minor}
}

var redirectCategories = []string{"{{R from alternative name}}", "{{R with possibilities}}", "{{R from related word}}", "{{R from short name}}"}

// improveArticle expands, copyedits, extends, cites, rewrites or trims the
// article; articles past articleSizeCap only change, they do not grow.
func (s *pageSim) improveArticle() ([]*block, string, bool) {
	prose := proseIndexes(s.blocks)
	if len(prose) == 0 { // blanked, and not yet reverted
		return append(slices.Clip(s.blocks), s.prose(true)), "restore some text", false
	}
	i := prose[s.r.IntN(len(prose))]
	spec, section := s.blocks[i].prose, sectionComment(s.blocks, i)
	grow := s.last().size < articleSizeCap
	switch u := s.r.Float64(); {
	case u < 0.28 && grow && spec.sentences < 9:
		spec.sentences++
		return s.reprose(i, spec), section + pick(s.r, []string{"expanded", "expand", "more detail", ""}), false
	case u < 0.45 && spec.clarity < 0.97:
		spec.clarity = min(1, spec.clarity+0.15+0.2*s.r.Float64())
		if b := renderProse(&s.subject, spec); !bytes.Equal(b.raw, s.blocks[i].raw) {
			return replaced(s.blocks, i, b), pick(s.r, []string{"copyedit", "ce", "fix typos", "grammar", "[[WP:AWB/T|Typo fixing]], typo(s) fixed"}), s.r.chance(0.6)
		}
	case u < 0.58 && grow:
		return inserted(s.blocks, i+1, s.prose(false)), section + "add paragraph", false
	case u < 0.66 && grow:
		name := pick(s.r, wikiSections)
		at := referencesAt(s.blocks)
		return inserted(s.blocks, at, heading(name), s.prose(false)), "/* " + name + " */ new section", false
	case u < 0.78 && spec.refs < spec.sentences:
		spec.refs++
		return s.reprose(i, spec), pick(s.r, []string{"added citation", "add ref", "cite docs", "+ref"}), false
	case u < 0.94 && len(prose) > 2 && !spec.lead && (!grow || s.r.chance(0.2)):
		return removed(s.blocks, i, i+1), section + pick(s.r, []string{"rm unsourced", "trim", "remove redundant paragraph"}), false
	}
	spec.seed, spec.clarity = s.r.Uint64(), min(1, spec.clarity+0.1)
	return s.reprose(i, spec), section + pick(s.r, []string{"rewrite for clarity", "rewrote", "reword"}), false
}

func (s *pageSim) reprose(i int, spec proseSpec) []*block {
	return replaced(s.blocks, i, renderProse(&s.subject, spec))
}

// sectionComment is the "/* Section */ " prefix MediaWiki puts in the
// summary of a section edit.
func sectionComment(blocks []*block, i int) string {
	if name := sectionOf(blocks, i); name != "" {
		return "/* " + name + " */ "
	}
	return ""
}

// reply adds a signed comment to a discussion, now and then in a new
// thread.
func (s *pageSim) reply(user wikiUser) ([]*block, string) {
	if s.r.chance(0.25) {
		name := capitalize(s.subject.fill(s.r).b) + " question"
		return append(slices.Clip(s.blocks), heading(name), s.talkComment(user, 0)), "/* " + name + " */ new section"
	}
	return append(slices.Clip(s.blocks), s.talkComment(user, 1+s.r.IntN(3))), "Reply"
}

// episodeLength draws how many revisions a revert will undo: mostly one to
// three, now and then a long unnoticed spree up to the window of 14.
func (s *pageSim) episodeLength() int {
	switch u := s.r.Float64(); {
	case u < 0.55:
		return 1
	case u < 0.75:
		return 2
	case u < 0.87:
		return 3
	case u < 0.95:
		return 4 + s.r.IntN(2)
	}
	return 6 + s.r.IntN(9)
}

// startEpisode makes a vandal edit that a revert will undo, unless the
// whole episode would overshoot the byte target.
func (s *pageSim) startEpisode() (revision, bool) {
	if len(s.hist) == 0 {
		return revision{}, false
	}
	n := s.episodeLength()
	if !s.g.roomFor((n + 2) * max(s.last().size, 1)) {
		return revision{}, false
	}
	v := s.vandal()
	s.ep = &episode{restore: *s.last(), left: n - 1, made: 1, vandal: v, sameUser: true}
	return s.vandalEdit(v, s.normalGap()), true
}

// episodeEdit is a revision in a vandal episode: the vandal goes on,
// another vandal joins, or a bystander improves the defaced page.
func (s *pageSim) episodeEdit() revision {
	ep := s.ep
	ep.left--
	ep.made++
	if s.r.chance(0.6) {
		return s.vandalEdit(ep.vandal, s.spreeGap())
	}
	ep.sameUser = false
	if s.r.chance(0.3) {
		return s.vandalEdit(s.vandal(), s.spreeGap())
	}
	return s.goodEdit(s.editor(), s.r.delay(secPerHour, 1.5, 2*secPerDay))
}

func (s *pageSim) vandalEdit(v wikiUser, gap int64) revision {
	s.advance(gap)
	return revision{
		wikiRev: wikiRev{blocks: s.deface(), user: v},
		comment: pick(s.r, []string{"", "", "", "lol", "fixed it", "/* History */ ", "copyedit", "updated info"}),
		minor:   s.r.chance(0.1),
		vandal:  true,
	}
}

var victims = []string{"John", "Tyler", "Mr Smith", "Kevin", "Jessica", "Mrs. Johnson", "Dave", "Brandon"}

// deface vandalises one section of the page.
func (s *pageSim) deface() []*block {
	blocks := s.blocks
	name := pick(s.r, victims)
	if len(blocks) == 0 {
		return []*block{newBlock(shout(s.r, name), otherBlock)}
	}
	i := s.r.IntN(len(blocks))
	if prose := proseIndexes(blocks); len(prose) > 0 {
		i = prose[s.r.IntN(len(prose))]
	}
	switch u := s.r.Float64(); {
	case u < 0.3:
		raw := append(append(slices.Clip(blocks[i].raw), ' '), shout(s.r, name)...)
		return replaced(blocks, i, newBlock(raw, otherBlock))
	case u < 0.45:
		return replaced(blocks, i, newBlock(silly(s.r, name), otherBlock))
	case u < 0.6:
		return inserted(blocks, i+1, newBlock(mash(s.r), otherBlock))
	case u < 0.72 && len(blocks) > 1:
		return removed(blocks, i, i+1)
	case u < 0.82:
		return s.blankSection(blocks, i)
	case u < 0.94:
		if raw, ok := changeNumber(blocks[i].raw, s.r); ok {
			return replaced(blocks, i, newBlock(raw, otherBlock))
		}
		return inserted(blocks, i, newBlock(shout(s.r, name), otherBlock))
	case s.r.chance(0.5):
		return nil // the whole page blanked
	}
	return []*block{newBlock(silly(s.r, name), otherBlock)}
}

// blankSection removes the section holding block i, heading and all, or
// the block alone in the lead.
func (s *pageSim) blankSection(blocks []*block, i int) []*block {
	for h := i; h >= 0; h-- {
		if blocks[h].kind == headingBlock {
			return removed(blocks, h, sectionEnd(blocks, h))
		}
	}
	return removed(blocks, i, i+1)
}

// changeNumber replaces the first number of text with another.
func changeNumber(text []byte, r *rng) ([]byte, bool) {
	start := bytes.IndexAny(text, "0123456789")
	if start < 0 {
		return nil, false
	}
	end := start
	for end < len(text) && text[end] >= '0' && text[end] <= '9' {
		end++
	}
	old, _ := strconv.Atoi(string(text[start:end]))
	out := append(slices.Clip(text[:start]), strconv.Itoa(old+1+r.IntN(90))...)
	return append(out, text[end:]...), true
}

// revert restores the text from before the episode exactly.
func (s *pageSim) revert() revision {
	ep := s.ep
	s.ep = nil
	bot := ep.made == 1 && ep.vandal.id == 0 && s.r.chance(0.35)
	user := clueBot
	if !bot {
		user = s.patroller()
	}
	comment, minor := s.revertComment(ep, bot)
	s.advance(s.revertGap(bot))
	rev := revision{wikiRev: ep.restore, comment: comment, minor: minor, revert: true}
	rev.user = user
	return rev
}

// revertComment writes the summaries of rollback, undo, Twinkle, ClueBot
// NG and hand-made reverts.
func (s *pageSim) revertComment(ep *episode, bot bool) (string, bool) {
	x, y := contributions(ep.vandal), ep.restore.user.name
	undone := strconv.FormatInt(s.last().id, 10)
	restored := strconv.FormatInt(ep.restore.id, 10)
	switch u := s.r.Float64(); {
	case bot:
		return "Reverting possible vandalism by " + x + " to version by " + y +
			". [[WP:CBFP|Report False Positive?]] Thanks, [[WP:CBNG|ClueBot NG]]. (" + strconv.FormatInt(3_000_000+s.g.revID%1_000_000, 10) + ") (Bot)", false
	case ep.sameUser && u < 0.35:
		return "Reverted edits by " + x + " to last version by " + y, true
	case ep.made == 1 && u < 0.6:
		return "Undid revision " + undone + " by " + x, false
	case ep.sameUser && u < 0.75:
		return "Reverted " + strconv.Itoa(ep.made) + " " + plural(ep.made, "edit") + " by " + x +
			" identified as [[WP:VAND|vandalism]] to last revision by " + y + ". ([[WP:TW|TW]])", false
	case u < 0.85:
		return "Reverted to revision " + restored + " by " + y + ": rv vandalism ([[WP:TW|TW]])", false
	case u < 0.96:
		return pick(s.r, []string{"rvv", "rv", "revert vandalism", "Rv vandalism"}), false
	}
	return "", false
}

// contributions is how revert summaries name an editor.
func contributions(u wikiUser) string {
	return "[[Special:Contributions/" + u.name + "|" + u.name + "]] ([[User talk:" + u.name + "|talk]])"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
