package wikipedia

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

const testSiteinfo = `<siteinfo><sitename>W</sitename><namespaces>
<namespace key="0" case="first-letter" /><namespace key="1" case="first-letter">Talk</namespace>
<namespace key="4" case="first-letter">Wikipedia</namespace></namespaces></siteinfo>`

// export wraps a page body (everything after <id>) in a whole export.
func export(schema, pageHeader, pageBody string) string {
	return `<mediawiki xmlns="http://www.mediawiki.org/xml/export-` + schema + `/" version="` + schema + `" xml:lang="en">` +
		"\n  " + testSiteinfo + "\n  <page>\n    " + pageHeader + "\n" + pageBody + "\n  </page>\n</mediawiki>\n"
}

const (
	stdHeader = `<title>T</title><ns>0</ns><id>7</id>`
	revStart  = `<revision><id>1</id><timestamp>2001-01-15T13:15:00Z</timestamp>`
	ann       = `<contributor><username>Ann</username><id>9</id></contributor>`
	textAB    = `<text xml:space="preserve" bytes="2">ab</text><sha1>s</sha1>`
)

const emptySHA1 = "phoiac9h4m842xq45sp7s6u21eteeq1" // MediaWiki's sha1 of ""

func TestReaderQuirks(t *testing.T) {
	base := Revision{ID: 1, Timestamp: 979564500, Contributor: "Ann", Text: "ab", SHA1: "s"}
	with := func(f func(r *Revision)) Revision {
		r := base
		f(&r)
		return r
	}
	tests := []struct {
		name   string
		schema string
		body   string
		want   []Revision
	}{
		{"username contributor", "0.10", revStart + ann + `<comment>hi</comment><model>wikitext</model><format>text/x-wiki</format>` + textAB + `</revision>`,
			[]Revision{with(func(r *Revision) { r.Comment = "hi" })}},
		{"ip contributor", "0.10", revStart + `<contributor><ip>10.0.0.1</ip></contributor>` + textAB + `</revision>`,
			[]Revision{with(func(r *Revision) { r.Contributor = "10.0.0.1" })}},
		{"deleted contributor", "0.11", revStart + `<contributor deleted="deleted" />` + textAB + `</revision>`,
			[]Revision{with(func(r *Revision) { r.Contributor, r.ContributorDeleted = "", true })}},
		{"minor and parentid", "0.10", revStart[:len(revStart)-len(`<timestamp>2001-01-15T13:15:00Z</timestamp>`)] + `<parentid>3</parentid><timestamp>2001-01-15T13:15:00Z</timestamp>` + ann + `<minor/>` + textAB + `</revision>`,
			[]Revision{with(func(r *Revision) { r.ParentID, r.Minor = 3, true })}},
		{"deleted comment", "0.11", revStart + ann + `<comment deleted="deleted" />` + textAB + `</revision>`,
			[]Revision{with(func(r *Revision) { r.CommentDeleted = true })}},
		{"deleted text has no sha1", "0.11", revStart + ann + `<text bytes="-1" deleted="deleted" /><sha1 /></revision>`,
			[]Revision{with(func(r *Revision) { r.Text, r.TextDeleted, r.SHA1 = "", true, "" })}},
		{"empty text gets the sha1 of nothing", "0.11", revStart + ann + `<text bytes="0" /><sha1/></revision>`,
			[]Revision{with(func(r *Revision) { r.Text, r.SHA1 = "", emptySHA1 })}},
		{"empty sha1 is computed", "0.10", revStart + ann + `<text>abc</text><sha1></sha1></revision>`,
			[]Revision{with(func(r *Revision) { r.Text, r.SHA1 = "abc", SHA1Base36("abc") })}},
		{"sha1 of the text attribute", "0.11", revStart + ann + `<text bytes="3" sha1="zzz">abc</text><sha1/></revision>`,
			[]Revision{with(func(r *Revision) { r.Text, r.SHA1 = "abc", "zzz" })}},
		{"main slot in a content block", "0.11", revStart + ann + `<origin>1</origin><model>wikitext</model><format>text/x-wiki</format><text bytes="3">old</text><sha1>s</sha1>` +
			`<content><role>main</role><origin>1</origin><model>wikitext</model><format>text/x-wiki</format><text bytes="3" xml:space="preserve">new</text></content></revision>`,
			[]Revision{with(func(r *Revision) { r.Text = "new" })}},
		{"other slots are ignored", "0.11", revStart + ann + `<text>ab</text><sha1>s</sha1>` +
			`<content><role>mediainfo</role><model>wikibase-mediainfo</model><text bytes="2">{}</text></content></revision>`,
			[]Revision{base}},
		{"unknown elements are skipped", "0.11", `<upload><filename>x</filename></upload>` + revStart +
			`<contributor><username>Ann</username><future/><id>9</id><x a="1"><y>z</y></x></contributor>` +
			`<newthing kind="a"><deep><deeper>&lt;text&gt;</deeper></deep></newthing><empty/>` + textAB + `<tail>t</tail></revision>` +
			`<discussionthreadinginfo><ThreadSubject>s</ThreadSubject></discussionthreadinginfo>`,
			[]Revision{base}},
		{"entities", "0.10", revStart + ann + `<text>&lt;ref&gt; &amp;#32; &#65;&#x42;&#X43; &quot;q&quot; &apos; &nbsp; &amp alone &#0; &#xD800; &#1114112; &#x1F600;</text><sha1>s</sha1></revision>`,
			[]Revision{with(func(r *Revision) {
				r.Text = `<ref> &#32; AB&#X43; "q" ' &nbsp; &amp alone &#0; &#xD800; &#1114112; 😀`
			})}},
		{"CDATA and comments in text", "0.10", revStart + ann + `<text>a<![CDATA[<b>&amp;]]>c<!-- x -->d<?pi x?>e</text><sha1>s</sha1></revision>`,
			[]Revision{with(func(r *Revision) { r.Text = "a<b>&amp;cde" })}},
		{"quotes and > in attributes", "0.10", revStart + ann + `<text bytes='2' note="a>b" other='c"d'>ab</text><sha1>s</sha1></revision>`,
			[]Revision{base}},
		{"spaces around numbers and comments between elements", "0.10", `<!-- c --><revision>
			<id> 1 </id><!-- <id>2</id> --><timestamp> 2001-01-15T13:15:00Z </timestamp>` + ann + textAB + `</revision>`,
			[]Revision{base}},
		{"timestamp with an offset", "0.10", `<revision><id>1</id><timestamp>2001-01-15T14:15:00+01:00</timestamp>` + ann + textAB + `</revision>`,
			[]Revision{base}},
		{"two revisions", "0.11", revStart + ann + textAB + `</revision>` + `<revision><id>2</id><parentid>1</parentid><timestamp>2001-01-15T13:15:00Z</timestamp>` + ann + `<text>x</text><sha1>t</sha1></revision>`,
			[]Revision{base, with(func(r *Revision) { r.ID, r.ParentID, r.Text, r.SHA1 = 2, 1, "x", "t" })}},
		{"no revisions", "0.10", ``, nil},
		{"empty revision element", "0.10", `<revision/>`, []Revision{{SHA1: emptySHA1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := export(tt.schema, stdHeader, tt.body)
			pages := readAll(t, NewReader(strings.NewReader(data), "quirk.xml"))
			if len(pages) != 1 {
				t.Fatalf("got %d pages, want 1", len(pages))
			}
			if want := (Page{ID: 7, Title: "T"}); pages[0].Page != want {
				t.Errorf("page = %+v, want %+v", pages[0].Page, want)
			}
			got := withoutOffsets(pages)[0].Revisions
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("revisions:\n got %+v\nwant %+v", got, tt.want)
			}
			checkOffsets(t, []byte(data), pages)
			oneByte := readAll(t, NewReader(iotest.OneByteReader(strings.NewReader(data)), "quirk.xml"))
			if !reflect.DeepEqual(oneByte, pages) {
				t.Errorf("read one byte at a time: %+v, want %+v", oneByte, pages)
			}
		})
	}
}

func TestReaderPageHeaders(t *testing.T) {
	tests := []struct {
		name, header string
		want         Page
	}{
		{"redirect", `<title>A &amp; B</title><ns>0</ns><id>3</id><redirect title="C" />`, Page{ID: 3, Title: "A & B", Redirect: true}},
		{"talk namespace", `<title>Talk:X</title><ns>1</ns><id>4</id>`, Page{ID: 4, NS: 1, Title: "Talk:X"}},
		{"no ns: known prefix", `<title>Wikipedia:About</title><id>5</id>`, Page{ID: 5, NS: 4, Title: "Wikipedia:About"}},
		{"no ns: unknown prefix", `<title>Star Wars: A New Hope</title><id>6</id>`, Page{ID: 6, Title: "Star Wars: A New Hope"}},
		{"unknown header elements", `<title>T</title><restrictions>edit=sysop</restrictions><ns>0</ns><id>7</id><future><x/></future>`, Page{ID: 7, Title: "T"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(export("0.10", tt.header, revStart+ann+textAB+`</revision>`)), "h.xml")
			pages := readAll(t, r)
			if len(pages) != 1 || pages[0].Page != tt.want || len(pages[0].Revisions) != 1 {
				t.Fatalf("got %+v, want page %+v with 1 revision", pages, tt.want)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	full := export("0.11", stdHeader, revStart+ann+textAB+`</revision>`)
	tests := []struct {
		name string
		data string
		want error
	}{
		{"truncated inside the text", full[:strings.Index(full, "ab</text>")+1], io.ErrUnexpectedEOF},
		{"truncated inside a tag", full[:strings.Index(full, "<sha1>")+3], io.ErrUnexpectedEOF},
		{"truncated after a page", full[:strings.Index(full, "</page>")+7], errNoEndOfRoot},
		{"malformed number", strings.Replace(full, "<id>1</id>", "<id>1x</id>", 1), errBadNumber},
		{"malformed timestamp", strings.Replace(full, "2001-01-15T13:15:00Z", "yesterday", 1), errBadTime},
		{"endless tag", full[:strings.Index(full, "<revision>")] + "<revision " + strings.Repeat("a", maxTagBytes+10), errTagTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.data), "bad.xml")
			err := drain(r)
			var re *ReadError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *ReadError", err)
			}
			if re.File != "bad.xml" || re.Offset <= 0 || re.Offset > int64(len(tt.data)) {
				t.Errorf("error names %q at offset %d (input is %d bytes)", re.File, re.Offset, len(tt.data))
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "wikipedia: bad.xml: ") {
				t.Errorf("error text %q", err)
			}
			if _, again := r.NextPage(); again != err {
				t.Errorf("error is not sticky: %v", again)
			}
		})
	}
}

// drain reads everything and returns the first error other than io.EOF.
func drain(r *Reader) error {
	for {
		if _, err := r.NextPage(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		for {
			if _, err := r.NextRevision(); err == io.EOF {
				break
			} else if err != nil {
				return err
			}
		}
	}
}

// checkOffsets checks that each revision's offset points at its tag.
func checkOffsets(t *testing.T, data []byte, pages []decoded) {
	t.Helper()
	for _, p := range pages {
		for _, rev := range p.Revisions {
			if !bytes.HasPrefix(data[rev.Offset:], []byte("<revision")) {
				t.Fatalf("revision %d: offset %d points at %.20q", rev.ID, rev.Offset, data[rev.Offset:])
			}
		}
	}
}

func TestReaderMatchesEncodingXML(t *testing.T) {
	for _, schema := range []string{"0.10", "0.11"} {
		t.Run(schema, func(t *testing.T) {
			data := genExport(genOptions{seed: 1, size: 3 << 20, schema: schema, quirks: true})
			got := readAll(t, NewReader(bytes.NewReader(data), "gen.xml"))
			want := decodeWithEncodingXML(t, data, map[string]int{"Talk": 1, "Wikipedia": 4})
			compareDecoded(t, withoutOffsets(got), want)
			checkOffsets(t, data, got)
			half := readAll(t, NewReader(iotest.HalfReader(bytes.NewReader(data)), "gen.xml"))
			compareDecoded(t, half, got)
		})
	}
}

func TestReaderOneByteAtATime(t *testing.T) {
	data := genExport(genOptions{seed: 2, size: 200 << 10, schema: "0.11", quirks: true})
	want := readAll(t, NewReader(bytes.NewReader(data), "gen.xml"))
	got := readAll(t, NewReader(iotest.OneByteReader(bytes.NewReader(data)), "gen.xml"))
	compareDecoded(t, got, want)
}

func compareDecoded(t *testing.T, got, want []decoded) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d pages, want %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("page %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestReaderSkipsUnreadRevisions(t *testing.T) {
	data := genExport(genOptions{seed: 3, size: 300 << 10, schema: "0.11", quirks: true})
	all := readAll(t, NewReader(bytes.NewReader(data), "gen.xml"))
	r := NewReader(bytes.NewReader(data), "gen.xml")
	for i := 0; ; i++ {
		p, err := r.NextPage()
		if err == io.EOF {
			if i != len(all) {
				t.Fatalf("%d pages, want %d", i, len(all))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if p != all[i].Page {
			t.Fatalf("page %d = %+v, want %+v", i, p, all[i].Page)
		}
		for j := 0; j < i%3 && j < len(all[i].Revisions); j++ { // read 0, 1 or 2 revisions only
			rev, err := r.NextRevision()
			if err != nil || rev != all[i].Revisions[j] {
				t.Fatalf("page %d revision %d: %v %+v", i, j, err, rev)
			}
		}
	}
}

func TestSkipToResumes(t *testing.T) {
	data := genExport(genOptions{seed: 4, size: 300 << 10, schema: "0.10"})
	var offsets []int64
	r := NewReader(bytes.NewReader(data), "gen.xml")
	for {
		if _, err := r.NextPage(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data[r.Offset():], []byte("<page>")) {
			t.Fatalf("Offset %d points at %.10q", r.Offset(), data[r.Offset():])
		}
		offsets = append(offsets, r.Offset())
	}
	all := readAll(t, NewReader(bytes.NewReader(data), "gen.xml"))
	for _, i := range []int{0, 1, len(offsets) / 2, len(offsets) - 1} {
		for _, delta := range []int64{0, 1} {
			r := NewReader(bytes.NewReader(data), "gen.xml")
			want := all[min(i+int(delta), len(all)):]
			if err := r.SkipTo(offsets[i] + delta); err != nil && (err != io.EOF || len(want) > 0) {
				t.Fatal(err)
			}
			compareDecoded(t, readAll(t, r), want)
		}
	}
	r = NewReader(bytes.NewReader(data), "gen.xml")
	if err := r.SkipTo(int64(len(data))); err != io.EOF {
		t.Errorf("SkipTo past the last page: %v, want io.EOF", err)
	}
	// A fragment starting at a page, as a resumed stream, reads without the root.
	fragment := data[offsets[2]:bytes.LastIndex(data, []byte("</mediawiki>"))]
	compareDecoded(t, withoutOffsets(readAll(t, NewReader(bytes.NewReader(fragment), "frag.xml"))), withoutOffsets(all[2:]))
}

func TestReaderRootlessAndEmpty(t *testing.T) {
	for _, data := range []string{"", "  \n", "<mediawiki/>", "<mediawiki></mediawiki>", `<?xml version="1.0"?>` + "\ufeff<mediawiki>" + testSiteinfo + "</mediawiki>"} {
		if pages := readAll(t, NewReader(strings.NewReader(data), "e.xml")); len(pages) != 0 {
			t.Errorf("%q: %d pages", data, len(pages))
		}
	}
}
