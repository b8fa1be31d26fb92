package textclean

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// runEndBytewise is runEnd as it was before its word-at-a-time fast path: the reference the
// fast version must agree with on every input and start.
func runEndBytewise(s string, i int, t *[256]uint8, words bool) int {
	for {
		for i < len(s) && t[s[i]] == plain {
			i++
		}
		switch {
		case i == len(s) || nbspAt(s, i):
			return i
		case t[s[i]] == lead:
			i++
		case words && s[i] == ' ' && i+1 < len(s) && t[s[i+1]] == plain:
			i += 2
		default:
			return i
		}
	}
}

// runEndModes are the table and words settings runEnd is checked with: the two the converter
// uses first, then the other two, which it must get right as well.
var runEndModes = []struct {
	name  string
	t     *[256]uint8
	words bool
}{
	{"text", &textClass, true},
	{"code", &codeClass, false},
	{"text-nowords", &textClass, false},
	{"code-words", &codeClass, true},
}

// checkRunEnd compares runEnd with runEndBytewise on s for every start and mode.
func checkRunEnd(t *testing.T, s string) {
	t.Helper()
	for _, m := range runEndModes {
		for i := 0; i <= len(s); i++ {
			if got, want := runEnd(s, i, m.t, m.words), runEndBytewise(s, i, m.t, m.words); got != want {
				t.Fatalf("%s: runEnd(%q, %d) = %d, want %d", m.name, s, i, got, want)
			}
		}
	}
}

// runEndEdgeCases returns inputs around the fast path's 8-byte words: each special byte or pair
// at every position of a plain run, spaces single and doubled, and plain runs of every length.
func runEndEdgeCases() []string {
	cases := []string{"", " ", "  ", "&", "\xc2", "\xc2\xa0", "a", "a ", " a", "a b", "a  b"}
	for n := 0; n <= 40; n++ {
		cases = append(cases, strings.Repeat("x", n), strings.Repeat("ab ", n), strings.Repeat("~!", n))
	}
	specials := []string{
		" ", "  ", "   ", "&", "&amp;", "\xc2\xa0", "\xc2", "\xc2a", "\xc2\xc2", "\xc2\xa9", "\xc2 ",
		"\xc2&", "\t", "\n", "\r", "\r\n", "\f", " \t", "\t ", " \xc2\xa0", "\x00", "\x1f", "\x7f",
		"\x80", "\xa0", "\xff", "é", " é", "é ", " &", "& ", " ! ",
	}
	for _, sp := range specials {
		cases = append(cases, sp, sp+sp)
		for n := 0; n <= 18; n++ {
			pre := "abcdefghijklmnopqrs"[:n]
			for _, tail := range []string{"", "z", "yz", "0123456789", "0123456789abcdefgh"} {
				cases = append(cases, pre+sp+tail, pre+sp+" "+tail)
			}
		}
	}
	// Single and double spaces at each position of the first two words.
	for p := 0; p <= 17; p++ {
		for _, sp := range []string{" ", "  "} {
			b := []byte(strings.Repeat("w", 24))
			copy(b[p:], sp)
			cases = append(cases, string(b), string(b[:p+len(sp)]), string(b[:p+len(sp)+1]))
		}
	}
	// Spaces every k bytes, so they land on every position of a word.
	for k := 1; k <= 10; k++ {
		var b strings.Builder
		for j := 0; j < 40; j++ {
			if j%k == k-1 {
				b.WriteByte(' ')
			} else {
				b.WriteByte('a' + byte(j%26))
			}
		}
		cases = append(cases, b.String())
	}
	return cases
}

func TestRunEndEdgeCases(t *testing.T) {
	for _, s := range runEndEdgeCases() {
		checkRunEnd(t, s)
	}
}

func TestRunEndAllBytes(t *testing.T) {
	// Every byte value at every position of two words of plain text, alone and after a space.
	for c := 0; c < 256; c++ {
		for p := 0; p < 17; p++ {
			b := []byte("the quick brown fox!")
			b[p] = byte(c)
			checkRunEnd(t, string(b))
			b = []byte("abcdefghijklmnopqrstu")
			b[p], b[p+1] = ' ', byte(c)
			checkRunEnd(t, string(b))
		}
	}
}

func TestRunEndRandom(t *testing.T) {
	// A small alphabet heavy in the bytes runEnd stops or turns at.
	alphabet := []string{" ", " ", " ", "&", "\t", "\n", "\r", "\xc2", "\xa0", "\xc2\xa0", "a", "a",
		"a", "b", "Z", ";", "é", "\x7f", "\x80", "\xff", "\x00"}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	var b strings.Builder
	for range n {
		b.Reset()
		length := rng.IntN(40)
		for b.Len() < length {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		checkRunEnd(t, b.String())
	}
}

func FuzzRunEnd(f *testing.F) {
	for _, s := range []string{"", "a b", "the quick brown fox", "abcdefg hijklmn  opq", "x &amp; y\xc2\xa0z",
		"abcdefgh\xc2\xa9ijklmn\tpq", "if x {\r\n\treturn\r\n}", "caf\xc3\xa9 au lait, s'il vous pla\xc3\xaet", sampleBody} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkRunEnd(t, s)
	})
}

// BenchmarkRunEnd compares runEnd with runEndBytewise on runs typical of posts.
func BenchmarkRunEnd(b *testing.B) {
	inputs := []struct {
		name, s string
		t       *[256]uint8
		words   bool
	}{
		{"prose", "You can't do that with json.loads directly, because the file isn't valid JSON<", &textClass, true},
		{"accented", "Le fichier n'est pas un JSON valide, d\xc3\xa9j\xc3\xa0 lu ligne par ligne.<", &textClass, true},
		{"short", "the docs<", &textClass, true},
		{"code", "    records = [json.loads(line) for line in f if line.strip()]\nprint(len(records), <", &codeClass, false},
	}
	for _, in := range inputs {
		for _, f := range []struct {
			name string
			fn   func(string, int, *[256]uint8, bool) int
		}{{"swar", runEnd}, {"bytewise", runEndBytewise}} {
			b.Run(in.name+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(len(in.s)))
				for b.Loop() {
					f.fn(in.s, 0, in.t, in.words)
				}
			})
		}
	}
}
