package wikipedia

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const paragraphSeparator = "\n\n"

// ChangedRegion returns the part of two revision texts that differs: the
// paragraphs (runs of non-blank lines) left once the common leading and
// trailing paragraphs are trimmed, with up to context unchanged paragraphs
// kept on each side, joined by blank lines. Trimming the common prefix and
// suffix is O(n) and good enough for reverts, which mostly touch one spot
// (chosen here, instead of a full diff). section is the heading of the
// section where the texts first differ, taken from a.
func ChangedRegion(a, b string, context int) (regionA, regionB, section string) {
	pa, pb := paragraphs(a), paragraphs(b)
	prefix := 0
	for prefix < len(pa) && prefix < len(pb) && pa[prefix] == pb[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(pa)-prefix && suffix < len(pb)-prefix && pa[len(pa)-1-suffix] == pb[len(pb)-1-suffix] {
		suffix++
	}
	lo := max(0, prefix-context)
	regionA = strings.Join(pa[lo:min(len(pa), len(pa)-suffix+context)], paragraphSeparator)
	regionB = strings.Join(pb[lo:min(len(pb), len(pb)-suffix+context)], paragraphSeparator)
	return regionA, regionB, SectionAt(a, commonPrefix(a, b))
}

// paragraphs splits text into runs of non-blank lines.
func paragraphs(text string) []string {
	var paras []string
	start, end := -1, 0 // the open paragraph text[start:end]
	for pos := 0; pos < len(text); {
		lineEnd := strings.IndexByte(text[pos:], '\n')
		next := pos + lineEnd + 1
		if lineEnd < 0 {
			lineEnd, next = len(text)-pos, len(text)
		}
		lineEnd += pos
		switch blank := isBlank(text[pos:lineEnd]); {
		case blank && start >= 0:
			paras = append(paras, text[start:end])
			start = -1
		case !blank && start < 0:
			start, end = pos, lineEnd
		case !blank:
			end = lineEnd
		}
		pos = next
	}
	if start >= 0 {
		paras = append(paras, text[start:end])
	}
	return paras
}

func isBlank(line string) bool { return strings.TrimSpace(line) == "" }

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// SectionAt is the heading of the section holding byte offset at of a
// wikitext: the nearest "== Heading ==" line at or before the line of at
// (chosen here: a changed heading line names its own section); "" in the
// lead section.
func SectionAt(text string, at int) string {
	end := len(text)
	if i := strings.IndexByte(text[at:], '\n'); i >= 0 {
		end = at + i
	}
	for {
		start := strings.LastIndexByte(text[:end], '\n') + 1
		if h, ok := heading(text[start:end]); ok {
			return h
		}
		if start == 0 {
			return ""
		}
		end = start - 1
	}
}

// heading parses a wikitext heading line, "=" to "======" on both sides.
func heading(line string) (string, bool) {
	line = strings.TrimSpace(line)
	level := 0
	for level < 6 && level < len(line)/2 && line[level] == '=' && line[len(line)-1-level] == '=' {
		level++
	}
	if level == 0 {
		return "", false
	}
	title := strings.TrimSpace(line[level : len(line)-level])
	return title, title != ""
}

// clip cuts s to at most n bytes (n <= 0: no cap) at a rune boundary.
func clip(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// revertMarkers are what an edit comment names vandalism or a revert tool
// with (chosen here), matched in the lower-cased comment: rollback writes
// "Reverted edits by", undo "Undid revision", and the tools sign their
// comments.
var revertMarkers = []string{
	"vandal", "revert", "undid", "undo", "rollback", "rolled back",
	"huggle", "twinkle", "[[wp:tw|tw]]", "[[wp:hg|hg]]", "cluebot", "stiki",
	"igloo", "redwarn", "ultraviolet",
}

// revertWords must appear as whole words: "rv", "rvv", "rvt", "rvd".
var revertWords = []string{"rv", "rvv", "rvt", "rvd"}

// NamesRevert reports whether an edit comment names vandalism or a revert.
func NamesRevert(comment string) bool {
	lower := strings.ToLower(comment)
	for _, m := range revertMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	words := strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, w := range words {
		for _, rw := range revertWords {
			if w == rw {
				return true
			}
		}
	}
	return false
}
