package textclean

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzHTMLToText(f *testing.F) {
	for _, seed := range []string{
		sampleBody, "", "<", "&", "<p>a</p>", "<pre><code>x\r\n</code></pre>", "<a href='x", "<!--",
		"<ol start=9><li>a<ul><li>b", "&#x110000;&notit;&amp", "<script>", "a\xffb\xc2", "<img alt=\"&#10;\">",
		"<code>`<pre>```</pre>", "\x01\x82x\x13y\x04z",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := HTMLToText(in)
		checkOutput(t, in, out)
		if got := string(AppendHTMLText([]byte("prefix\n"), in)); got != "prefix\n"+out {
			t.Fatalf("AppendHTMLText differs from HTMLToText: %q vs %q", got, out)
		}
		doc := wellFormed(in)
		out = HTMLToText(doc)
		checkOutput(t, doc, out)
		if strings.ContainsRune(out, '<') {
			t.Fatalf("a '<' survived well-formed markup %q: %q", doc, out)
		}
		if !strings.Contains(doc, "<pre") && strings.Contains(out, "\n\n\n") {
			t.Fatalf("more than one blank line outside code in %q: %q", doc, out)
		}
	})
}

func checkOutput(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("invalid UTF-8 from %q: %q", in, out)
	}
	if out != strings.Trim(out, " \t\n\r\f") {
		t.Fatalf("untrimmed output from %q: %q", in, out)
	}
}

// fuzzTags are the elements wellFormed builds documents from; void ones end with '/'.
var fuzzTags = []string{
	"p", "div", "h2", "blockquote", "ul", "ol", "li", "pre", "code", "a", "b", "span", "table",
	"tr", "td", "br/", "hr/", "img/", "script", "style",
}

// wellFormed turns fuzz input into well-formed markup whose text holds no '<': control bytes
// below 0x20 open (even) or close (odd) an element, other bytes are text with '<' dropped and
// '&' escaped.
func wellFormed(in string) string {
	var b strings.Builder
	var open []string
	for i := range len(in) {
		ch := in[i]
		if ch >= 0x20 {
			switch ch {
			case '<':
			case '&':
				b.WriteString("&amp;")
			default:
				b.WriteByte(ch)
			}
			continue
		}
		if ch&1 == 1 {
			if n := len(open); n > 0 {
				b.WriteString("</" + open[n-1] + ">")
				open = open[:n-1]
			}
			continue
		}
		name := fuzzTags[int(ch>>1)%len(fuzzTags)]
		switch {
		case strings.HasSuffix(name, "/"):
			b.WriteString(`<` + strings.TrimSuffix(name, "/") + ` alt="a&amp;b" />`)
		case name == "a":
			b.WriteString(`<a href="https://example.com/?q=1&amp;r=2">`)
			open = append(open, name)
		case name == "script" || name == "style":
			b.WriteString("<" + name + ">if (a<b) {}</" + name + ">")
		default:
			b.WriteString("<" + name + ">")
			open = append(open, name)
		}
	}
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString("</" + open[i] + ">")
	}
	return b.String()
}
