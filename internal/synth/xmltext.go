package synth

import "time"

const (
	msPerSecond = 1000
	msPerMinute = 60 * msPerSecond
	msPerHour   = 60 * msPerMinute
	msPerDay    = 24 * msPerHour
)

// appendDate appends ms (Unix milliseconds, UTC, after 1970) in the dump's
// format: 2019-03-04T05:06:07.890.
func appendDate(b []byte, ms int64) []byte {
	days, rem := ms/msPerDay, ms%msPerDay
	year, month, day := civil(days)
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, month, 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, int(rem/msPerHour), 2)
	b = append(b, ':')
	b = appendDigits(b, int(rem/msPerMinute%60), 2)
	b = append(b, ':')
	b = appendDigits(b, int(rem/msPerSecond%60), 2)
	b = append(b, '.')
	return appendDigits(b, int(rem%msPerSecond), 3)
}

// appendDay appends the date of ms with a zero time, as Votes.xml has it.
func appendDay(b []byte, ms int64) []byte { return appendDate(b, ms-ms%msPerDay) }

func appendDigits(b []byte, v, width int) []byte {
	var buf [8]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}

// civil converts days since 1970-01-01 to a Gregorian date
// (Howard Hinnant's days-to-civil algorithm, for non-negative days).
func civil(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

func unixMilli(year int, month time.Month, day int) int64 {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC).UnixMilli()
}

// appendAttr appends s escaped for an XML attribute value the way the
// dumps' writer does it: markup characters as entities, line breaks and tabs
// as character references.
func appendAttr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\n':
			b = append(b, "&#xA;"...)
		case '\r':
			b = append(b, "&#xD;"...)
		case '\t':
			b = append(b, "&#x9;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// attr is appendAttr for strings prepared once.
func attr(s string) string { return string(appendAttr(nil, s)) }

// htmlText escapes plain text for use inside HTML.
func htmlText(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// Escaped HTML fragments of bodies.
var (
	openP     = attr("<p>")
	closeP    = attr("</p>\n")
	blockSep  = attr("\n")
	nextP     = attr("</p>\n\n<p>")
	openCode  = attr("<pre><code>")
	closeCode = attr("\n</code></pre>\n")
)
