package synth

import "strconv"

// The export's layout follows MediaWiki's XmlDumpWriter for schema 0.11:
// two-space indentation, one element per line, text HTML-escaped, a
// sha1 attribute on <text> and a <sha1> element after it.

const exportHeader = `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.11/ http://www.mediawiki.org/xml/export-0.11.xsd" version="0.11" xml:lang="en">
  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>synthwiki</dbname>
    <base>https://synth.wikipedia.example/wiki/Main_Page</base>
    <generator>MediaWiki 1.43.0-wmf.7</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="-2" case="first-letter">Media</namespace>
      <namespace key="-1" case="first-letter">Special</namespace>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
      <namespace key="2" case="first-letter">User</namespace>
      <namespace key="3" case="first-letter">User talk</namespace>
      <namespace key="4" case="first-letter">Wikipedia</namespace>
      <namespace key="5" case="first-letter">Wikipedia talk</namespace>
      <namespace key="6" case="first-letter">File</namespace>
      <namespace key="7" case="first-letter">File talk</namespace>
      <namespace key="10" case="first-letter">Template</namespace>
      <namespace key="11" case="first-letter">Template talk</namespace>
      <namespace key="14" case="first-letter">Category</namespace>
      <namespace key="15" case="first-letter">Category talk</namespace>
    </namespaces>
  </siteinfo>
`

// emptySHA1 is the SHA-1 of the empty text, in base 36.
const emptySHA1 = "phoiac9h4m842xq45sp7s6u21eteeq1"

func (g *wikiGen) writeHeader() { g.out.writeString(exportHeader) }

func (g *wikiGen) writePageHeader(s *pageSim) {
	g.pageID += 1 + s.r.Int64N(30)
	b := append(g.buf[:0], "  <page>\n    <title>"...)
	b = appendXMLString(b, s.title)
	b = append(b, "</title>\n    <ns>"...)
	b = strconv.AppendInt(b, int64(pageNamespaces[s.kind].ns), 10)
	b = append(b, "</ns>\n    <id>"...)
	b = strconv.AppendInt(b, g.pageID, 10)
	b = append(b, "</id>\n"...)
	if s.kind == redirectPage {
		b = append(b, `    <redirect title="`...)
		b = appendXMLString(b, s.target)
		b = append(b, "\" />\n"...)
	}
	g.out.write(b)
	g.buf = b
}

func (g *wikiGen) writeRevision(s *pageSim, rev *revision) {
	b := append(g.buf[:0], "    <revision>\n"...)
	b = appendElement(b, "      <id>", rev.id, "</id>\n")
	if rev.parent != 0 {
		b = appendElement(b, "      <parentid>", rev.parent, "</parentid>\n")
	}
	b = append(b, "      <timestamp>"...)
	b = appendWikiTime(b, rev.at)
	b = append(b, "</timestamp>\n"...)
	b = appendContributor(b, rev)
	if rev.minor {
		b = append(b, "      <minor />\n"...)
	}
	b = appendComment(b, rev)
	b = appendElement(b, "      <origin>", rev.id, "</origin>\n")
	b = append(b, "      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"...)
	g.out.write(b)
	g.buf = b
	g.writeText(rev)
	b = g.buf[:0]
	if rev.mediainfoSlot {
		b = appendMediainfo(b, rev.id)
	}
	b = append(b, "    </revision>\n"...)
	g.out.write(b)
	g.buf = b
}

// writeText writes <text> and <sha1>, streaming the blocks' escaped text.
func (g *wikiGen) writeText(rev *revision) {
	b := g.buf[:0]
	defer func() { g.buf = b }()
	switch {
	case rev.textDeleted:
		g.out.writeString("      <text bytes=\"-1\" deleted=\"deleted\" />\n      <sha1 />\n")
		return
	case rev.size == 0:
		b = appendElement(b, `      <text bytes="`, 0, `" sha1="`+emptySHA1+`" xml:space="preserve" />`+"\n")
		g.out.write(appendSHA1Element(b, rev))
		return
	}
	b = appendElement(b, `      <text bytes="`, int64(rev.size), `"`)
	if !rev.emptySHA1 {
		b = append(append(append(b, ` sha1="`...), rev.sha1...), '"')
	}
	b = append(b, ` xml:space="preserve">`...)
	g.out.write(b)
	for i, bl := range rev.blocks {
		if i > 0 {
			g.out.write(paragraphBreak)
		}
		g.out.write(bl.xml)
	}
	g.out.write(appendSHA1Element(append(b[:0], "</text>\n"...), rev))
}

func appendSHA1Element(b []byte, rev *revision) []byte {
	if rev.emptySHA1 {
		return append(b, "      <sha1/>\n"...)
	}
	return append(append(append(b, "      <sha1>"...), rev.sha1...), "</sha1>\n"...)
}

func appendElement(b []byte, open string, v int64, close string) []byte {
	b = append(b, open...)
	b = strconv.AppendInt(b, v, 10)
	return append(b, close...)
}

func appendContributor(b []byte, rev *revision) []byte {
	switch {
	case rev.userDeleted:
		return append(b, "      <contributor deleted=\"deleted\" />\n"...)
	case rev.user.id == 0:
		b = append(b, "      <contributor>\n        <ip>"...)
		b = appendXMLString(b, rev.user.name)
		return append(b, "</ip>\n      </contributor>\n"...)
	}
	b = append(b, "      <contributor>\n        <username>"...)
	b = appendXMLString(b, rev.user.name)
	b = append(b, "</username>\n"...)
	b = appendElement(b, "        <id>", rev.user.id, "</id>\n")
	return append(b, "      </contributor>\n"...)
}

func appendComment(b []byte, rev *revision) []byte {
	switch {
	case rev.commentDeleted:
		return append(b, "      <comment deleted=\"deleted\" />\n"...)
	case rev.comment == "":
		return b
	}
	b = append(b, "      <comment>"...)
	b = appendXMLString(b, rev.comment)
	return append(b, "</comment>\n"...)
}

// appendMediainfo appends a second slot, as structured data on Commons
// file pages has it; readers keep the main slot only.
func appendMediainfo(b []byte, id int64) []byte {
	const data = `{"type":"mediainfo","id":"M1","labels":{},"descriptions":{},"statements":[]}`
	b = append(b, "      <content>\n        <role>mediainfo</role>\n"...)
	b = appendElement(b, "        <origin>", id, "</origin>\n")
	b = append(b, "        <model>wikibase-mediainfo</model>\n        <format>application/json</format>\n"...)
	b = appendElement(b, `        <text bytes="`, int64(len(data)), `" xml:space="preserve">`)
	b = appendXMLString(b, data)
	return append(b, "</text>\n      </content>\n"...)
}

// appendWikiTime appends a Unix time as 2006-12-13T03:07:14Z.
func appendWikiTime(b []byte, unix int64) []byte {
	b = appendDate(b, unix*1000)
	return append(b[:len(b)-len(".000")], 'Z')
}
