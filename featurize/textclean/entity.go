package textclean

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEntityName is the length of the longest HTML 5 entity name (CounterClockwiseContourIntegral).
const maxEntityName = 31

// decodeReference decodes the character reference at the start of s (s[0] == '&'): named
// references give val, numeric ones r. n is the number of bytes used, 0 when s does not start
// with a reference this package knows, which then stays as written.
func decodeReference(s string) (val string, r rune, n int) {
	if len(s) > 1 && s[1] == '#' {
		r, n = decodeNumeric(s)
		return "", r, n
	}
	val, n = decodeNamed(s)
	return val, 0, n
}

// decodeNumeric decodes "&#N;" or "&#xH;"; the ';' may be missing.
func decodeNumeric(s string) (rune, int) {
	i, base := 2, rune(10)
	if i < len(s) && s[i]|0x20 == 'x' {
		i, base = 3, 16
	}
	start := i
	var v rune
	for ; i < len(s); i++ {
		d := digit(s[i], base)
		if d < 0 {
			break
		}
		if v <= unicode.MaxRune {
			v = v*base + d
		}
	}
	if i == start {
		return 0, 0
	}
	if i < len(s) && s[i] == ';' {
		i++
	}
	return fixCodePoint(v), i
}

func digit(b byte, base rune) rune {
	switch {
	case '0' <= b && b <= '9':
		return rune(b - '0')
	case base == 16 && 'a' <= b|0x20 && b|0x20 <= 'f':
		return rune(b|0x20-'a') + 10
	}
	return -1
}

// fixCodePoint applies the WHATWG rules for numeric references.
func fixCodePoint(v rune) rune {
	switch {
	case v == 0 || v > unicode.MaxRune || 0xD800 <= v && v <= 0xDFFF:
		return utf8.RuneError
	case 0x80 <= v && v <= 0x9F:
		if w := windows1252[v-0x80]; w != 0 {
			return w
		}
	}
	return v
}

// windows1252 maps the C1 controls that Windows-1252 uses for printable characters.
var windows1252 = [32]rune{
	0x00: '\u20AC', 0x02: '\u201A', 0x03: '\u0192', 0x04: '\u201E', 0x05: '\u2026', 0x06: '\u2020',
	0x07: '\u2021', 0x08: '\u02C6', 0x09: '\u2030', 0x0A: '\u0160', 0x0B: '\u2039', 0x0C: '\u0152',
	0x0E: '\u017D', 0x11: '\u2018', 0x12: '\u2019', 0x13: '\u201C', 0x14: '\u201D', 0x15: '\u2022',
	0x16: '\u2013', 0x17: '\u2014', 0x18: '\u02DC', 0x19: '\u2122', 0x1A: '\u0161', 0x1B: '\u203A',
	0x1C: '\u0153', 0x1E: '\u017E', 0x1F: '\u0178',
}

// decodeNamed decodes "&name;" and the few names browsers also read without ';'.
func decodeNamed(s string) (string, int) {
	i := 1
	for i < len(s) && i <= maxEntityName && isAlnum(s[i]) {
		i++
	}
	if i == 1 {
		return "", 0
	}
	name := s[1:i]
	if i < len(s) && s[i] == ';' {
		if v, ok := entities[name]; ok {
			return v, i + 1
		}
		if v, ok := html5Entity(s[:i+1]); ok {
			return v, i + 1
		}
		return "", 0
	}
	if i < len(s) && (isAlnum(s[i]) || s[i] == '=') {
		return "", 0
	}
	if v, ok := bareEntities[name]; ok {
		return v, i
	}
	return "", 0
}

// html5Entity looks a full reference "&name;" up in package html's table of all HTML 5 names.
// Package html also decodes a known prefix ("&notit;" as "¬it;"); that is not taken here.
func html5Entity(ref string) (string, bool) {
	v := html.UnescapeString(ref)
	if v == ref || strings.HasSuffix(v, ";") {
		return "", false
	}
	return v, true
}

func isAlnum(b byte) bool {
	b |= 0x20
	return 'a' <= b && b <= 'z' || '0' <= b && b <= '9'
}

// bareEntities are decoded without their ';' when no letter, digit or '=' follows.
var bareEntities = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "nbsp": string(nbsp)}

// entities is the built-in table: the 252 names of HTML 4 (with their HTML 5 values) and the
// common HTML 5 additions. Other names go to html5Entity.
var entities = buildEntities()

func buildEntities() map[string]string {
	m := make(map[string]string, 320)
	add := func(first rune, names ...string) {
		for i, name := range names {
			if name != "" {
				m[name] = string(first + rune(i))
			}
		}
	}
	add(0xA0, "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy",
		"ordf", "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute",
		"micro", "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34",
		"iquest", "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil",
		"Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde",
		"Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute",
		"Ucirc", "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml",
		"aring", "aelig", "ccedil", "egrave", "eacute", "ecirc", "euml", "igrave", "iacute",
		"icirc", "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide",
		"oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml")
	add(0x391, "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota",
		"Kappa", "Lambda", "Mu", "Nu", "Xi", "Omicron", "Pi", "Rho", "", "Sigma", "Tau", "Upsilon",
		"Phi", "Chi", "Psi", "Omega")
	add(0x3B1, "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
		"kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigmaf", "sigma", "tau",
		"upsilon", "phi", "chi", "psi", "omega")
	add(0x2190, "larr", "uarr", "rarr", "darr", "harr")
	add(0x21D0, "lArr", "uArr", "rArr", "dArr", "hArr")
	add(0x2002, "ensp", "emsp")
	add(0x2009, "thinsp")
	add(0x200C, "zwnj", "zwj", "lrm", "rlm")
	add(0x2013, "ndash", "mdash")
	add(0x2018, "lsquo", "rsquo", "sbquo")
	add(0x201C, "ldquo", "rdquo", "bdquo")
	add(0x2020, "dagger", "Dagger", "bull")
	add(0x2026, "hellip")
	add(0x2030, "permil")
	add(0x2032, "prime", "Prime")
	add(0x2039, "lsaquo", "rsaquo")
	add(0x2308, "lceil", "rceil", "lfloor", "rfloor")
	add(0x27E8, "lang", "rang")
	add(0x2660, "spades")
	add(0x2663, "clubs")
	add(0x2665, "hearts", "diams")
	for name, r := range map[string]rune{
		"quot": '"', "amp": '&', "lt": '<', "gt": '>', "apos": '\'',
		"OElig": 0x152, "oelig": 0x153, "Scaron": 0x160, "scaron": 0x161, "Yuml": 0x178,
		"fnof": 0x192, "circ": 0x2C6, "tilde": 0x2DC, "thetasym": 0x3D1, "upsih": 0x3D2, "piv": 0x3D6,
		"oline": 0x203E, "frasl": 0x2044, "euro": 0x20AC, "image": 0x2111, "weierp": 0x2118,
		"real": 0x211C, "trade": 0x2122, "alefsym": 0x2135, "crarr": 0x21B5,
		"forall": 0x2200, "part": 0x2202, "exist": 0x2203, "empty": 0x2205, "nabla": 0x2207,
		"isin": 0x2208, "notin": 0x2209, "ni": 0x220B, "prod": 0x220F, "sum": 0x2211,
		"minus": 0x2212, "lowast": 0x2217, "radic": 0x221A, "prop": 0x221D, "infin": 0x221E,
		"ang": 0x2220, "and": 0x2227, "or": 0x2228, "cap": 0x2229, "cup": 0x222A, "int": 0x222B,
		"there4": 0x2234, "sim": 0x223C, "cong": 0x2245, "asymp": 0x2248, "ne": 0x2260,
		"equiv": 0x2261, "le": 0x2264, "ge": 0x2265, "sub": 0x2282, "sup": 0x2283, "nsub": 0x2284,
		"sube": 0x2286, "supe": 0x2287, "oplus": 0x2295, "otimes": 0x2297, "perp": 0x22A5,
		"sdot": 0x22C5, "loz": 0x25CA,
		// HTML 5 additions common in posts.
		"Tab": '\t', "NewLine": '\n', "excl": '!', "num": '#', "dollar": '$', "percnt": '%',
		"lpar": '(', "rpar": ')', "ast": '*', "plus": '+', "comma": ',', "period": '.',
		"sol": '/', "colon": ':', "semi": ';', "equals": '=', "quest": '?', "commat": '@',
		"lsqb": '[', "bsol": '\\', "rsqb": ']', "Hat": '^', "lowbar": '_', "grave": '`',
		"lcub": '{', "verbar": '|', "vert": '|', "rcub": '}', "hyphen": 0x2010, "dash": 0x2010,
		"check": 0x2713, "cross": 0x2717, "star": 0x2606, "starf": 0x2605,
		"half": 0xBD, "rightarrow": 0x2192, "leftarrow": 0x2190,
	} {
		m[name] = string(r)
	}
	return m
}
