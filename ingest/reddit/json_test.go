package reddit

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"plain", `hello`, "hello"},
		{"empty", ``, ""},
		{"simple escapes", `a\"b\\c\/d\be\ff\ng\rh\ti`, "a\"b\\c/d\be\ff\ng\rh\ti"},
		{"bmp escape", `caf\u00e9 \u2014 \u4f60`, "café — 你"},
		{"uppercase hex", `\u00C9`, "É"},
		{"surrogate pair", `\ud83d\ude02!`, "😂!"},
		{"two pairs", `\uD83D\uDE02\uD83D\uDE00`, "😂😀"},
		{"lone high surrogate", `a\ud83db`, "a\uFFFDb"},
		{"lone low surrogate", `\ude02`, "\uFFFD"},
		{"high then non-low escape", `\ud83d\u0041`, "\uFFFDA"},
		{"high then high", `\ud83d\ud83d\ude02`, "\uFFFD😂"},
		{"nul", `a\u0000b`, "a\x00b"},
		{"raw utf8", "naïve 😂", "naïve 😂"},
		{"invalid utf8 byte", "a\xffb", "a\uFFFDb"},
		{"truncated utf8 sequence", "a\xe2\x82", "a\uFFFD\uFFFD"},
		{"invalid utf8 next to escape", "\xff\\n\xfe", "\uFFFD\n\uFFFD"},
		// Lenient: invalid escapes are kept as written.
		{"unknown escape", `a\xb`, `a\xb`},
		{"short unicode escape", `\u12`, `\u12`},
		{"bad hex", `\u12g4`, `\u12g4`},
		{"trailing backslash", `a\`, `a\`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendString(nil, []byte(tt.raw))); got != tt.want {
				t.Errorf("appendString(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			var viaJSON string
			if json.Unmarshal([]byte(`"`+tt.raw+`"`), &viaJSON) == nil && viaJSON != tt.want {
				t.Errorf("encoding/json decodes %q to %q, want %q", tt.raw, viaJSON, tt.want)
			}
		})
	}
}

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in, rest string
		bad      bool
	}{
		{in: `"abc",x`, rest: `,x`},
		{in: `"a\"b\\",x`, rest: `,x`},
		{in: `"a\\\"b",x`, rest: `,x`},
		{in: `123,x`, rest: `,x`},
		{in: `-1.5e+3}`, rest: `}`},
		{in: `true}`, rest: `}`},
		{in: `null,`, rest: `,`},
		{in: `{}x`, rest: `x`},
		{in: `[]x`, rest: `x`},
		{in: `{"a":[1,{"b":"}]"},[[]]],"c":{"d":null}},x`, rest: `,x`},
		{in: `[{"id":"nested"},"]",{"x":"\"}"}]x`, rest: `x`},
		{in: `{"a":1`, bad: true},
		{in: `[1,2}`, bad: true},
		{in: `{"a":"}`, bad: true},
		{in: `"abc`, bad: true},
		{in: `"abc\"`, bad: true},
		{in: ``, bad: true},
		{in: `,`, bad: true},
		{in: `nope`, bad: true},
	}
	for _, tt := range tests {
		s := scanner{}
		s.reset([]byte(tt.in))
		err := s.skipValue()
		switch {
		case tt.bad && err == nil:
			t.Errorf("skipValue(%q): no error, rest %q", tt.in, s.b[s.i:])
		case !tt.bad && err != nil:
			t.Errorf("skipValue(%q): %v", tt.in, err)
		case !tt.bad && string(s.b[s.i:]) != tt.rest:
			t.Errorf("skipValue(%q) left %q, want %q", tt.in, s.b[s.i:], tt.rest)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"14", 14, true},
		{"-7", -7, true},
		{" 1420070400 ", 1420070400, true},
		{"1134365188.0", 1134365188, true},
		{"1.5e3", 1500, true},
		{"-2.9", -2, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"123456789012345678", 123456789012345678, true},
		{"1e300", 0, false},
		{"abc", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"NaN", 0, false},
		{"12abc", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// htmlUnescaper is an independent reference for unescapeHTML.
var htmlUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

func TestUnescapeHTML(t *testing.T) {
	for _, in := range []string{
		"", "plain", "&gt; quote", "a &amp; b", "&lt;tag&gt;", "&amp;gt; stays once", "& alone", "&am", "x&",
		"&&amp;&&gt;", "&quot; not ours &#39;", "&amp;amp;amp;",
	} {
		b := []byte(in)
		got := string(b[:unescapeHTML(b)])
		if want := htmlUnescaper.Replace(in); got != want {
			t.Errorf("unescapeHTML(%q) = %q, want %q", in, got, want)
		}
	}
}
