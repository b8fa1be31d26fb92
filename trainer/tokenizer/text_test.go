package tokenizer

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// commonWords are frequent English words; the rest of the lexicon is made of
// syllables, so the text has a long Zipf tail of rarer words like real prose.
var commonWords = strings.Fields(`the of and to a in is that for it as was with be by on not he
this are or his from at which but have an they you were their one all we can her has there been
if more when will would who so no she other its may these what them than some him time into
only do could new about two any first then also after such many over most very use used
between made each where should before because through years work well however data model
value function file error code test string list set table query server user question answer`)

var syllables = strings.Fields(`ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge
go ha he hi ho ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri
ro ru sa se si so su ta te ti to tu va ve vi vo za ze zi ter tion ing ment able ous ly al er
est ness ship pre pro con com dis un re in ex str pl tr th sh ch qu`)

var foreignWords = strings.Fields(`café naïve façade über straße 東京 日本語 москва привет
ελληνικά العربية 😀 déjà-vu`)

// englishText returns about size bytes of English-like text: Zipf-distributed
// words, capitalized sentences, punctuation, numbers, some non-ASCII words,
// paragraphs and the odd code line. The same seed gives the same text.
func englishText(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x70726566))
	lexicon := append([]string(nil), commonWords...)
	for len(lexicon) < 20000 {
		n := 1 + r.IntN(4)
		var w strings.Builder
		for range n {
			w.WriteString(syllables[r.IntN(len(syllables))])
		}
		lexicon = append(lexicon, w.String())
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(lexicon)-1))
	var b []byte
	for len(b) < size {
		// one paragraph
		for range 2 + r.IntN(6) {
			words := 4 + r.IntN(20)
			for i := range words {
				var w string
				switch x := r.IntN(100); {
				case x < 2:
					w = strconv.Itoa(r.IntN(3000))
				case x < 3:
					w = foreignWords[r.IntN(len(foreignWords))]
				default:
					w = lexicon[zipf.Uint64()]
				}
				if i == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				b = append(b, w...)
				switch x := r.IntN(100); {
				case i == words-1:
					b = append(b, ".?!"[r.IntN(3)])
					b = append(b, ' ')
				case x < 8:
					b = append(b, ", "...)
				case x < 9:
					b = append(b, " ("...)
				default:
					b = append(b, ' ')
				}
			}
		}
		if r.IntN(8) == 0 {
			b = append(b, "\n\n    x := f(y[i], 42) // see http://example.com/a?b=c\n"...)
		}
		b = append(b, "\n\n"...)
	}
	return b[:size]
}
