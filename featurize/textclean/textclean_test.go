package textclean

import (
	"fmt"
	"html"
	"strings"
	"testing"
	"unicode/utf8"
)

type testCase struct {
	name, in, want string
}

func runCases(t *testing.T, cases []testCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := HTMLToText(tc.in); got != tc.want {
				t.Errorf("HTMLToText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestBlocks(t *testing.T) {
	runCases(t, []testCase{
		{"paragraphs", "<p>a</p><p>b</p>", "a\n\nb"},
		{"paragraph whitespace", "<p>  a \n b  </p>", "a b"},
		{"br", "a<br>b", "a\nb"},
		{"two br", "a<br><br>b", "a\n\nb"},
		{"many br", "a<br/><br /> <br>b<br>", "a\n\nb"},
		{"end br", "a</br>b", "a\nb"},
		{"div", "<div>a</div><div>b</div>", "a\nb"},
		{"heading", "<h1>Title</h1><p>x</p>", "Title\n\nx"},
		{"heading upper case", "<H2 id=x>Title</H2>x", "Title\n\nx"},
		{"blockquote", "<blockquote><p>q</p></blockquote><p>a</p>", "q\n\na"},
		{"hr", "a<hr>b", "a\n\nb"},
		{"table", "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>after",
			"a | b\n1 | 2\n\nafter"},
		{"empty blocks", "<p></p><p> </p><div></div>x<p></p>", "x"},
		{"inline tags", "<b>a</b><i>b</i> <span>c</span>", "ab c"},
		{"unclosed paragraphs", "<p>one<p>two", "one\n\ntwo"},
		{"stray end tags", "</p></div></ul></li></pre></code></a>x", "x"},
	})
}

func TestLists(t *testing.T) {
	runCases(t, []testCase{
		{"bullets", "<ul><li>a</li><li>b</li></ul>", "- a\n- b"},
		{"ordered", "<ol><li>a</li><li>b</li></ol>", "1. a\n2. b"},
		{"start", `<ol start="3"><li>a<li>b</ol>`, "3. a\n4. b"},
		{"bad start", `<ol start=x><li>a</ol>`, "1. a"},
		{"nested", "<p>x</p><ul><li>a<ul><li>b</li></ul></li><li>c</li></ul><p>y</p>",
			"x\n\n- a\n  - b\n- c\n\ny"},
		{"nested ordered", "<ol><li>a<ol><li>b</li><li>c</li></ol></li><li>d</li></ol>",
			"1. a\n  1. b\n  2. c\n2. d"},
		{"loose items", "<ul><li><p>a</p></li><li><p>b</p></li></ul>", "- a\n\n- b"},
		{"empty item", "<ul><li></li><li> </li><li>a</li></ul>", "- a"},
		{"item without list", "<li>x", "- x"},
		{"break in empty item", "a<ul><li><br>x</li></ul>", "a\n\n- x"},
		{"break in item", "<ul><li>x<br>y<br><br>z</li></ul>", "- x\ny\n\nz"},
		{"nested at start", "<ul><ul><li>x</li></ul></ul>", "- x"},
		{"deep nesting capped", "y" + strings.Repeat("<ul>", 20) + "<li>x", "y\n\n" + strings.Repeat("  ", 10) + "- x"},
	})
}

func TestCode(t *testing.T) {
	runCases(t, []testCase{
		{"block", "<pre><code>func f() {\n\treturn  1\n}\n</code></pre>", "```\nfunc f() {\n\treturn  1\n}\n```"},
		{"block between paragraphs", "<p>x</p><pre><code>a &lt; b\n</code></pre><p>y</p>", "x\n\n```\na < b\n```\n\ny"},
		{"leading newline", "<pre>\nline</pre>", "```\nline\n```"},
		{"only first newline", "<pre>\n\nline\n\n</pre>", "```\n\nline\n\n```"},
		{"carriage returns", "<pre><code>a\r\nb\rc</code></pre>", "```\na\nb\nc\n```"},
		{"backtick fence", "<pre><code>```\nx\n</code></pre>", "````\n```\nx\n````"},
		{"br in code", "<pre><code>x<br>y</code></pre>", "```\nx\ny\n```"},
		{"tags in code", "<pre><code>  <b>bold</b>   x\n</code></pre>", "```\n  bold   x\n```"},
		{"nbsp in code", "<pre>a&nbsp;\u00a0b</pre>", "```\na  b\n```"},
		{"empty block", "<pre></pre><pre><code></code></pre>x", "x"},
		{"unclosed block", "<pre>a", "```\na\n```"},
		{"nested pre", "<pre>a<pre>b</pre>c</pre>d", "```\nabc\n```\n\nd"},
		{"code block in item", "<ul><li><pre><code>x\n</code></pre></li></ul>", "- ```\nx\n```"},
		{"inline", "use <code>x := 1</code> here", "use `x := 1` here"},
		{"inline spaces", "<code> x </code>y", "`x` y"},
		{"inline empty", "a <code></code>b", "a b"},
		{"inline unclosed", "a <code>b", "a `b`"},
		{"inline nested", "<code>a<code>b</code>c</code>", "`abc`"},
		{"inline then block", "<code>a<pre>b</pre>", "`a`\n\n```\nb\n```"},
	})
}

func TestLinksAndImages(t *testing.T) {
	runCases(t, []testCase{
		{"link", `<a href="https://x.com/a">docs</a>`, "docs (https://x.com/a)"},
		{"link is its URL", `<a href="https://x.com/a">https://x.com/a</a>`, "https://x.com/a"},
		{"link without scheme", `<a href="https://x.com/">x.com</a>`, "x.com"},
		{"link in code", `<a href="u"><code>u</code></a>`, "`u`"},
		{"entities in URL", `<a href=https://x.com/?a=1&amp;b=2>q</a>`, "q (https://x.com/?a=1&b=2)"},
		{"fragment", `<a href="#sec">see</a>`, "see"},
		{"javascript", `<a href="JavaScript:void(0)">run</a>`, "run"},
		{"anchor", `<a name="x"></a>text`, "text"},
		{"empty link", `<a href="u"></a>`, ""},
		{"relative", `<a href="/q/1" rel="nofollow noreferrer">link</a>, more`, "link (/q/1), more"},
		{"space before end", `<a href="u">x </a>y`, "x (u) y"},
		{"unclosed link", `a <a href="u">b`, "a b (u)"},
		{"nested link", `<a href="u">a<a href="v">b</a>`, "a (u)b (v)"},
		{"single quotes", `<a href='x>y'>t</a>`, "t (x>y)"},
		{"unclosed quote", `<a href="x>t</a>`, "t (x)"},
		{"image", `<img src="x.png" alt="a  diagram">`, "[a diagram]"},
		{"image without alt", `a <img src="x.png"> b`, "a b"},
		{"image in link", `see <a href="u"><img alt="pic"></a>`, "see [pic] (u)"},
		{"image self-closed", `<img alt="x"/>y`, "[x]y"},
	})
}

func TestDropped(t *testing.T) {
	runCases(t, []testCase{
		{"script", "a<script>if (a<b) {}</script>b", "ab"},
		{"style", "a<style>p{}</style> b", "a b"},
		{"case", "a<SCRIPT>x</Script >b", "ab"},
		{"unclosed", "a<script>x", "a"},
		{"self-closed", "a<script/>b", "ab"},
		{"not a prefix", "a<script>x</scripts></script>b", "ab"},
		{"comments", "<!-- c -->a<!---->b<!-->c<!--->d", "abcd"},
		{"unclosed comment", "a<!-- unclosed", "a"},
		{"doctype", "<!DOCTYPE html><html><body>x</body></html>", "x"},
		{"processing instruction", "<?xml x?>a", "a"},
		{"bogus end tags", "</>a</ b>c", "ac"},
	})
}

func TestEntities(t *testing.T) {
	runCases(t, []testCase{
		{"basic", "&lt;&gt;&amp;&quot;&#39;&apos;", `<>&"''`},
		{"numeric", "&#65;&#x42;&#X43;&#68", "ABCD"},
		{"named", "caf&eacute; &copy; &mdash; &hellip; &rarr; &alpha;", "café © — … → α"},
		{"html5 name", "&NotEqualTilde;&check;", "\u2242\u0338\u2713"},
		{"unknown", "&foo; &ampx AT&T &; &#; &#x;", "&foo; &ampx AT&T &; &#; &#x;"},
		{"known prefix is not taken", "&notit;", "&notit;"},
		{"bare", "&amp &lt; &gt", "& < >"},
		{"invalid code points", "&#0;&#xD800;&#x110000;&#99999999999999;", "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"windows-1252", "&#128;&#x93;q&#x94;", "€“q”"},
		{"nbsp", "a&nbsp;&nbsp;b \u00a0c", "a b c"},
		{"whitespace reference", "a&#10;&#32;b&Tab;c", "a b c"},
		{"markup reference", "&lt;b&gt;x&lt;/b&gt;", "<b>x</b>"},
		{"in code", "<code>&lt;T&gt;</code>", "`<T>`"},
	})
}

func TestWhitespaceAndUTF8(t *testing.T) {
	runCases(t, []testCase{
		{"collapse", "  a \t\n b  ", "a b"},
		{"trim", "<p>\n  x\n</p>\n", "x"},
		{"non-ASCII", "ünïcödé  文字", "ünïcödé 文字"},
		{"invalid byte", "a\xffb", "a\uFFFDb"},
		{"truncated rune", "<p>\xc3</p>", "\uFFFD"},
		{"C2 not nbsp", "\u0080x \u00a9", "\u0080x ©"},
		{"invalid in attribute", "<img alt=\"\xff\">", "[\uFFFD]"},
		{"empty", "", ""},
		{"only markup", "<p><br></p>", ""},
	})
}

func TestMalformed(t *testing.T) {
	runCases(t, []testCase{
		{"comparison", "a < b and c > d", "a < b and c > d"},
		{"heart", "x<3", "x<3"},
		{"lone lt", "a <", "a <"},
		{"unterminated tag", "a <b", "a <b"},
		{"unterminated end tag", "a </b", "a </b"},
		{"unquoted attributes", "<a href=u title=t>x</a>", "x (u)"},
		{"attribute without value", "<a download href=u>x</a>", "x (u)"},
		{"slash in unquoted URL", "<a href=http://x.com/y/>z</a>", "z (http://x.com/y/)"},
	})
}

func TestAppendHTMLText(t *testing.T) {
	got := string(AppendHTMLText([]byte("x\n"), "<p> a </p><br>"))
	if got != "x\na" {
		t.Errorf("got %q", got)
	}
	if got := AppendHTMLText(nil, "<p></p>"); len(got) != 0 {
		t.Errorf("got %q", got)
	}
}

// TestEntityTable checks the built-in table against package html.
func TestEntityTable(t *testing.T) {
	if len(entities) < 250 {
		t.Errorf("only %d entities", len(entities))
	}
	for name, v := range entities {
		if want := html.UnescapeString("&" + name + ";"); v != want {
			t.Errorf("&%s; = %q, package html says %q", name, v, want)
		}
	}
}

func TestNumericMatchesPackageHTML(t *testing.T) {
	for r := 0; r < 0x11000; r++ {
		for _, ref := range []string{fmt.Sprintf("&#%d;", r), fmt.Sprintf("&#x%x;", r)} {
			got, n := decodeNumeric(ref)
			if n != len(ref) || string(got) != html.UnescapeString(ref) {
				t.Fatalf("%s: got %q (%d bytes), package html says %q", ref, got, n, html.UnescapeString(ref))
			}
		}
	}
}

func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	body := sampleBody
	HTMLToText(body)
	if n := testing.AllocsPerRun(100, func() { HTMLToText(body) }); n > 1 {
		t.Errorf("HTMLToText: %v allocations, want 1", n)
	}
	buf := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { buf = AppendHTMLText(buf[:0], body) }); n > 0 {
		t.Errorf("AppendHTMLText: %v allocations, want 0", n)
	}
}

func TestSampleBody(t *testing.T) {
	got := HTMLToText(sampleBody)
	if !utf8.ValidString(got) || strings.Contains(got, "<p>") || !strings.Contains(got, "```\nimport json\n") {
		t.Errorf("unexpected:\n%s", got)
	}
}
