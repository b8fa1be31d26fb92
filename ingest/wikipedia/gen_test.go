package wikipedia

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// genOptions shapes a generated full-history export.
type genOptions struct {
	seed   uint64
	size   int    // approximate bytes
	schema string // "0.10" or "0.11"
	quirks bool   // deleted fields, empty sha1, extra slots, unknown elements
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// genExport writes a MediaWiki export of pages whose revisions evolve a
// wikitext, with vandalism and its reverts.
func genExport(o genOptions) []byte {
	g := newWikiGen(o)
	var b bytes.Buffer
	g.header(&b)
	for page := 1; b.Len() < o.size; page++ {
		g.page(&b, page)
	}
	b.WriteString("</mediawiki>\n")
	return b.Bytes()
}

type wikiGen struct {
	o     genOptions
	rng   *rand.Rand
	words []string
	revID int64
	time  time.Time
}

func newWikiGen(o genOptions) *wikiGen {
	if o.schema == "" {
		o.schema = "0.11"
	}
	g := &wikiGen{o: o, rng: rand.New(rand.NewPCG(o.seed, 7)), time: time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC)}
	for range 4000 {
		n := 2 + g.rng.IntN(9)
		w := make([]byte, n)
		for i := range w {
			w[i] = byte('a' + g.rng.IntN(26))
		}
		g.words = append(g.words, string(w))
	}
	return g
}

func (g *wikiGen) header(b *bytes.Buffer) {
	fmt.Fprintf(b, `<mediawiki xmlns="http://www.mediawiki.org/xml/export-%[1]s/" version="%[1]s" xml:lang="en">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
      <namespace key="4" case="first-letter">Wikipedia</namespace>
    </namespaces>
  </siteinfo>
`, g.o.schema)
}

func (g *wikiGen) word() string {
	return g.words[min(len(g.words)-1, int(g.rng.ExpFloat64()*300))]
}

func (g *wikiGen) paragraph() string {
	var s strings.Builder
	for i, n := 0, 15+g.rng.IntN(80); i < n; i++ {
		if i > 0 {
			s.WriteByte(' ')
		}
		switch g.rng.IntN(40) {
		case 0:
			fmt.Fprintf(&s, "[[%s %s|%s]]", g.word(), g.word(), g.word())
		case 1:
			fmt.Fprintf(&s, "'''%s'''", g.word())
		case 2:
			fmt.Fprintf(&s, `<ref>{{cite web|url=http://%s.org/?a=1&b=2|title="%s"}}</ref>`, g.word(), g.word())
		case 3:
			s.WriteString("5&nbsp;km Ünïcödé — ±")
		default:
			s.WriteString(g.word())
		}
	}
	s.WriteByte('.')
	return s.String()
}

func (g *wikiGen) article() []string {
	paras := []string{g.paragraph()}
	for i, n := 0, 2+g.rng.IntN(12); i < n; i++ {
		if g.rng.IntN(3) == 0 {
			paras = append(paras, fmt.Sprintf("== %s %s ==\n%s", g.word(), g.word(), g.paragraph()))
		} else {
			paras = append(paras, g.paragraph())
		}
	}
	return paras
}

func (g *wikiGen) page(b *bytes.Buffer, id int) {
	title := fmt.Sprintf("%s %d", g.word(), id)
	ns := 0
	if g.rng.IntN(5) == 0 {
		title, ns = "Talk:"+title, 1
	}
	fmt.Fprintf(b, "  <page>\n    <title>%s</title>\n    <ns>%d</ns>\n    <id>%d</id>\n", xmlEscaper.Replace(title), ns, id)
	if g.rng.IntN(20) == 0 {
		fmt.Fprintf(b, "    <redirect title=\"%s\" />\n", xmlEscaper.Replace(g.word()))
	}
	if g.o.quirks && g.rng.IntN(10) == 0 {
		b.WriteString("    <restrictions>edit=autoconfirmed:move=sysop</restrictions>\n")
	}
	paras := g.article()
	var history []string
	parent := int64(0)
	for i, n := 0, 1+int(g.rng.ExpFloat64()*12); i < n; i++ {
		text, comment := g.edit(paras, history)
		history = append(history, text)
		paras = strings.Split(text, "\n\n")
		parent = g.revision(b, parent, text, comment)
	}
	b.WriteString("  </page>\n")
}

// edit returns the next text and its comment: a normal edit, vandalism, or
// a revert to a recent text.
func (g *wikiGen) edit(paras []string, history []string) (string, string) {
	next := append([]string(nil), paras...)
	i := g.rng.IntN(len(next))
	switch r := g.rng.IntN(10); {
	case r == 0 && len(history) >= 2:
		back := history[max(0, len(history)-2-g.rng.IntN(3))]
		return back, "Reverted edits by [[Special:Contributions/1.2.3.4|1.2.3.4]] ([[User talk:1.2.3.4|talk]])"
	case r == 1:
		next[i] = strings.ToUpper(g.word()) + " IS " + g.word() + "!!!"
		return strings.Join(next, "\n\n"), ""
	case r == 2:
		next = append(next[:i+1], append([]string{g.paragraph()}, next[i+1:]...)...)
		return strings.Join(next, "\n\n"), "/* " + g.word() + " */ new paragraph & more"
	}
	next[i] += " " + g.word()
	return strings.Join(next, "\n\n"), "copyedit"
}

func (g *wikiGen) revision(b *bytes.Buffer, parent int64, text, comment string) int64 {
	g.revID += 1 + int64(g.rng.IntN(5))
	g.time = g.time.Add(time.Duration(g.rng.IntN(100000)) * time.Second)
	fmt.Fprintf(b, "    <revision>\n      <id>%d</id>\n", g.revID)
	if parent != 0 {
		fmt.Fprintf(b, "      <parentid>%d</parentid>\n", parent)
	}
	fmt.Fprintf(b, "      <timestamp>%s</timestamp>\n", g.time.Format(time.RFC3339))
	g.contributor(b)
	if g.rng.IntN(4) == 0 {
		b.WriteString("      <minor />\n")
	}
	switch {
	case g.o.quirks && g.rng.IntN(25) == 0:
		b.WriteString("      <comment deleted=\"deleted\" />\n")
	case comment != "":
		fmt.Fprintf(b, "      <comment>%s</comment>\n", xmlEscaper.Replace(comment))
	}
	if g.o.schema == "0.11" {
		fmt.Fprintf(b, "      <origin>%d</origin>\n", g.revID)
	}
	b.WriteString("      <model>wikitext</model>\n      <format>text/x-wiki</format>\n")
	sum := SHA1Base36(text)
	switch {
	case g.o.quirks && g.rng.IntN(30) == 0:
		b.WriteString("      <text bytes=\"-1\" deleted=\"deleted\" />\n      <sha1 />\n")
	case g.o.schema == "0.11":
		fmt.Fprintf(b, "      <text bytes=\"%d\" sha1=\"%s\" xml:space=\"preserve\">%s</text>\n", len(text), sum, xmlEscaper.Replace(text))
		g.sha1(b, sum)
	default:
		fmt.Fprintf(b, "      <text xml:space=\"preserve\" bytes=\"%d\">%s</text>\n", len(text), xmlEscaper.Replace(text))
		g.sha1(b, sum)
	}
	if g.o.quirks && g.rng.IntN(15) == 0 {
		b.WriteString("      <future kind=\"x\"><nested a='1'>v &amp; w<deeper/></nested></future>\n")
	}
	if g.o.quirks && g.o.schema == "0.11" && g.rng.IntN(15) == 0 {
		b.WriteString("      <content>\n        <role>mediainfo</role>\n        <origin>1</origin>\n        <model>wikibase-mediainfo</model>\n        <format>application/json</format>\n        <text bytes=\"14\" sha1=\"x\" xml:space=\"preserve\">{&quot;a&quot;:1}</text>\n      </content>\n")
	}
	b.WriteString("    </revision>\n")
	return g.revID
}

func (g *wikiGen) contributor(b *bytes.Buffer) {
	switch r := g.rng.IntN(10); {
	case g.o.quirks && r == 0:
		b.WriteString("      <contributor deleted=\"deleted\" />\n")
	case r < 4:
		fmt.Fprintf(b, "      <contributor>\n        <ip>10.%d.%d.%d</ip>\n      </contributor>\n", g.rng.IntN(256), g.rng.IntN(256), g.rng.IntN(256))
	default:
		fmt.Fprintf(b, "      <contributor>\n        <username>%s &amp; Co</username>\n        <id>%d</id>\n      </contributor>\n", g.word(), g.rng.IntN(1e6))
	}
}

func (g *wikiGen) sha1(b *bytes.Buffer, sum string) {
	if g.o.quirks && g.rng.IntN(10) == 0 {
		b.WriteString("      <sha1 />\n")
		return
	}
	fmt.Fprintf(b, "      <sha1>%s</sha1>\n", sum)
}

// decoded is a page and its revisions.
type decoded struct {
	Page      Page
	Revisions []Revision
}

// readAll reads every page and revision of an export.
func readAll(t testing.TB, r *Reader) []decoded {
	t.Helper()
	var pages []decoded
	for {
		p, err := r.NextPage()
		if err == io.EOF {
			return pages
		}
		if err != nil {
			t.Fatalf("NextPage: %v", err)
		}
		d := decoded{Page: p}
		for {
			rev, err := r.NextRevision()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("NextRevision: %v", err)
			}
			d.Revisions = append(d.Revisions, rev)
		}
		pages = append(pages, d)
	}
}

// The encoding/xml reference decoder, independent of the scanner.
type xmlExport struct {
	Pages []xmlPage `xml:"page"`
}

type xmlPage struct {
	Title     string        `xml:"title"`
	NS        *int          `xml:"ns"`
	ID        int64         `xml:"id"`
	Redirect  *struct{}     `xml:"redirect"`
	Revisions []xmlRevision `xml:"revision"`
}

type xmlRevision struct {
	ID          int64  `xml:"id"`
	ParentID    int64  `xml:"parentid"`
	Timestamp   string `xml:"timestamp"`
	Contributor struct {
		Deleted  string `xml:"deleted,attr"`
		Username string `xml:"username"`
		IP       string `xml:"ip"`
	} `xml:"contributor"`
	Minor   *struct{} `xml:"minor"`
	Comment *struct {
		Deleted string `xml:"deleted,attr"`
		Value   string `xml:",chardata"`
	} `xml:"comment"`
	Text    *xmlText `xml:"text"`
	SHA1    string   `xml:"sha1"`
	Content []struct {
		Role string   `xml:"role"`
		Text *xmlText `xml:"text"`
	} `xml:"content"`
}

type xmlText struct {
	Deleted string `xml:"deleted,attr"`
	SHA1    string `xml:"sha1,attr"`
	Value   string `xml:",chardata"`
}

// decodeWithEncodingXML decodes an export with encoding/xml, with the same
// rules as the Reader; offsets are left 0.
func decodeWithEncodingXML(t testing.TB, data []byte, namespaces map[string]int) []decoded {
	t.Helper()
	var x xmlExport
	if err := xml.Unmarshal(data, &x); err != nil {
		t.Fatalf("encoding/xml: %v", err)
	}
	var pages []decoded
	for _, xp := range x.Pages {
		d := decoded{Page: Page{ID: xp.ID, Title: xp.Title, Redirect: xp.Redirect != nil}}
		if xp.NS != nil {
			d.Page.NS = *xp.NS
		} else if prefix, _, ok := strings.Cut(xp.Title, ":"); ok {
			d.Page.NS = namespaces[prefix]
		}
		for _, xr := range xp.Revisions {
			d.Revisions = append(d.Revisions, xr.revision(t))
		}
		pages = append(pages, d)
	}
	return pages
}

func (xr xmlRevision) revision(t testing.TB) Revision {
	rev := Revision{ID: xr.ID, ParentID: xr.ParentID, Minor: xr.Minor != nil, SHA1: xr.SHA1}
	if xr.Timestamp != "" {
		ts, err := time.Parse(time.RFC3339, xr.Timestamp)
		if err != nil {
			t.Fatal(err)
		}
		rev.Timestamp = ts.Unix()
	}
	rev.ContributorDeleted = xr.Contributor.Deleted == "deleted"
	rev.Contributor = xr.Contributor.Username
	if rev.Contributor == "" {
		rev.Contributor = xr.Contributor.IP
	}
	if xr.Comment != nil {
		rev.CommentDeleted = xr.Comment.Deleted == "deleted"
		if !rev.CommentDeleted {
			rev.Comment = xr.Comment.Value
		}
	}
	text := xr.Text
	for _, c := range xr.Content {
		if c.Role == mainSlot && c.Text != nil {
			text = c.Text
		}
	}
	textSHA1 := ""
	if text != nil {
		rev.TextDeleted = text.Deleted == "deleted"
		if !rev.TextDeleted {
			rev.Text = text.Value
		}
		textSHA1 = text.SHA1
	}
	if rev.SHA1 == "" && !rev.TextDeleted {
		rev.SHA1 = textSHA1
		if rev.SHA1 == "" {
			rev.SHA1 = SHA1Base36(rev.Text)
		}
	}
	return rev
}

// withoutOffsets clears the offsets, which encoding/xml does not give.
func withoutOffsets(pages []decoded) []decoded {
	out := make([]decoded, len(pages))
	for i, p := range pages {
		out[i] = decoded{Page: p.Page, Revisions: append([]Revision(nil), p.Revisions...)}
		for j := range out[i].Revisions {
			out[i].Revisions[j].Offset = 0
		}
	}
	return out
}

// compressBzip2 runs the system bzip2, or skips the test without it.
func compressBzip2(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	bin, err := exec.LookPath("bzip2")
	if err != nil {
		t.Skip("bzip2 not on PATH; skipping")
	}
	cmd := exec.Command(bin, "-c", fmt.Sprintf("-%d", level))
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bzip2: %v", err)
	}
	return out
}
