package tokenizer

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func splitWords(text string) []string {
	var out []string
	words([]byte(text), func(w []byte) { out = append(out, string(w)) })
	return out
}

func TestWords(t *testing.T) {
	long := strings.Repeat("a", MaxWordBytes+10)
	longRunes := strings.Repeat("é", MaxWordBytes) // 2 bytes each
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"one word", "hello", []string{"hello"}},
		{"leading space joins word", "hello world", []string{"hello", " world"}},
		{"two spaces", "a  b", []string{"a", " ", " b"}},
		{"newline then word", "a\nb", []string{"a", "\n", "b"}},
		{"spaces and newline", "a \n  b", []string{"a", " \n ", " b"}},
		{"tab does not join", "a\tb", []string{"a", "\t", "b"}},
		{"trailing spaces", "a  ", []string{"a", "  "}},
		{"only space", " ", []string{" "}},
		{"leading space word", " x", []string{" x"}},
		{"digits", "in 2024, 42x", []string{"in", " 2024", ",", " 42", "x"}},
		{"punctuation run", "wait...!? ok", []string{"wait", "...!?", " ok"}},
		{"space before punctuation", "a (b)", []string{"a", " (", "b", ")"}},
		{"contraction", "don't", []string{"don", "'", "t"}},
		{"specials are text", "<|good|>", []string{"<|", "good", "|>"}},
		{"utf8 letters", "café über", []string{"café", " über"}},
		{"cjk", "東京 日本", []string{"東京", " 日本"}},
		{"emoji is other", "hi 😀!", []string{"hi", " 😀!"}},
		{"combining mark", "e\u0301t", []string{"e\u0301t"}},
		{"unicode digits", "x ٣٤", []string{"x", " ٣٤"}},
		{"nbsp is space", "a\u00a0b", []string{"a", "\u00a0", "b"}},
		{"invalid utf8 is other", "ab\xff\xfecd", []string{"ab", "\xff\xfe", "cd"}},
		{"space then invalid", "a \xff", []string{"a", " \xff"}},
		{"truncated rune", "a\xc3", []string{"a", "\xc3"}},
		{"crlf", "a\r\n\r\nb", []string{"a", "\r\n\r\n", "b"}},
		{"long run is cut", long, []string{long[:MaxWordBytes], long[MaxWordBytes:]}},
		{"long run with space", " " + long, []string{" " + long[:MaxWordBytes-1], long[MaxWordBytes-1:]}},
		{"cut on rune boundary", longRunes, []string{longRunes[:MaxWordBytes], longRunes[MaxWordBytes:]}},
		{"long spaces then word", strings.Repeat(" ", MaxWordBytes+1) + "x",
			[]string{strings.Repeat(" ", MaxWordBytes), " x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitWords(tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("words(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// checkWords checks the invariants of the pre-tokenizer on any input.
func checkWords(t *testing.T, text []byte) {
	t.Helper()
	var joined []byte
	words(text, func(w []byte) {
		if len(w) == 0 || len(w) > MaxWordBytes {
			t.Fatalf("word %q of %d bytes from %q", w, len(w), text)
		}
		joined = append(joined, w...)
	})
	if !bytes.Equal(joined, text) {
		t.Fatalf("words of %q join to %q", text, joined)
	}
}

func TestWordsInvariants(t *testing.T) {
	for _, s := range []string{"", "x", englishString(1, 20000), "\xff\xfe\xfd", strings.Repeat("é", 300) + "\xc3",
		strings.Repeat(" ", 600), strings.Repeat("\u00a0", 200)} {
		checkWords(t, []byte(s))
	}
	if !utf8.ValidString(englishString(1, 100)) {
		t.Log("sample text ends in a cut rune") // allowed: any bytes must work
	}
}

func englishString(seed uint64, n int) string { return string(englishText(seed, n)) }
