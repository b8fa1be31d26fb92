package reddit

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Synthetic comment dumps for tests and benchmarks, shaped like the real
// ones: two key layouts (the ~20-key style of 2008-2016 and the ~45-key style
// of 2019 on, with empty arrays and objects to skip), key order shuffled per
// line as in the dumps, created_utc sometimes a string, bodies of a few
// hundred bytes with &gt; quotes, escapes and non-ASCII written as \uXXXX
// (surrogate pairs for emoji), and some [deleted] bodies and authors.

var genWords = strings.Fields(`the a reddit post comment think really people just like would
	because actually thing time years good know make pretty well right sure game story source
	article point someone never always probably different question answer upvote edit thanks
	café naïve déjà 😂 — “quoted” 你好`)

// genComment is one synthetic comment with the fields a Record has.
type genComment struct {
	id, link, parent, author, subreddit, body, distinguished string
	score, created                                           int64
	createdAsString, newStyle                                bool
}

func genBody(rng *rand.Rand) string {
	var b strings.Builder
	n := 5 + rng.IntN(60)
	if rng.IntN(8) == 0 {
		n += 200
	}
	if rng.IntN(6) == 0 {
		b.WriteString("&gt; ")
	}
	for i := range n {
		if i > 0 {
			b.WriteString([]string{" ", " ", " ", " ", ", ", ". ", "\n\n", " &amp; ", " \"", "\\"}[rng.IntN(10)])
		}
		b.WriteString(genWords[rng.IntN(len(genWords))])
	}
	return b.String()
}

func genComments(seed uint64, targetBytes int) []genComment {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []genComment
	size := 0
	byThread := map[string][]string{}
	for id := int64(1000); size < targetBytes; id++ {
		link := "t3_" + strconv.FormatInt(int64(rng.IntN(targetBytes/4000+1))+10000, 36)
		parent := link
		if prev := byThread[link]; len(prev) > 0 && rng.IntN(2) == 0 {
			parent = prev[rng.IntN(len(prev))]
		}
		c := genComment{
			id: strconv.FormatInt(id, 36), link: link, parent: parent,
			author: fmt.Sprintf("user_%d", rng.IntN(5000)), subreddit: []string{"AskReddit", "programming", "AskWomen", "science"}[rng.IntN(4)],
			body: genBody(rng), score: int64(rng.IntN(200)) - 10, created: 1420070400 + id,
			createdAsString: rng.IntN(4) == 0, newStyle: rng.IntN(2) == 0,
		}
		switch rng.IntN(20) {
		case 0:
			c.body = "[deleted]"
			c.author = "[deleted]"
		case 1:
			c.body = "[removed]"
		case 2:
			c.distinguished = "moderator"
		}
		byThread[link] = append(byThread[link], "t1_"+c.id)
		out = append(out, c)
		size += len(c.body) + 400
	}
	return out
}

// line writes the comment as a dump line with shuffled keys.
func (c genComment) line(rng *rand.Rand) []byte {
	created := strconv.FormatInt(c.created, 10)
	if c.createdAsString {
		created = `"` + created + `"`
	}
	distinguished := "null"
	if c.distinguished != "" {
		distinguished = jsonQuote(c.distinguished)
	}
	kv := []string{
		`"author":` + jsonQuote(c.author), `"body":` + jsonQuote(c.body), `"created_utc":` + created,
		`"distinguished":` + distinguished, `"id":` + jsonQuote(c.id), `"link_id":` + jsonQuote(c.link),
		`"parent_id":` + jsonQuote(c.parent), `"score":` + strconv.FormatInt(c.score, 10),
		`"subreddit":` + jsonQuote(c.subreddit), `"subreddit_id":"t5_2qh1i"`, `"controversiality":0`,
		`"edited":false`, `"gilded":0`, `"retrieved_on":1425124282`, `"ups":` + strconv.FormatInt(c.score, 10),
		`"author_flair_css_class":null`, `"author_flair_text":null`, `"stickied":false`, `"score_hidden":false`,
	}
	if c.newStyle {
		kv = append(kv, `"all_awardings":[]`, `"associated_award":null`, `"author_flair_richtext":[]`,
			`"author_flair_type":"text"`, `"author_fullname":"t2_4ceorkqa"`, `"author_patreon_flair":false`,
			`"awarders":[]`, `"can_gild":true`, `"collapsed":false`, `"collapsed_reason":null`, `"gildings":{}`,
			`"is_submitter":false`, `"locked":false`, `"no_follow":true`, `"permalink":"\/r\/`+c.subreddit+`\/comments\/x\/y\/`+c.id+`\/"`,
			`"send_replies":true`, `"total_awards_received":0`, `"treatment_tags":[]`, `"top_awarded_type":null`,
			`"author_flair_background_color":null`, `"author_flair_text_color":null`, `"comment_type":null`,
			`"_meta":{"retrieved_2nd_on":1650000000,"note":"x"}`, `"created":1569888142.0`)
	}
	rng.Shuffle(len(kv), func(i, j int) { kv[i], kv[j] = kv[j], kv[i] })
	return []byte("{" + strings.Join(kv, ",") + "}\n")
}

// genNDJSON is a synthetic RC_ file of about targetBytes.
func genNDJSON(seed uint64, targetBytes int) ([]byte, []genComment) {
	comments := genComments(seed, targetBytes)
	rng := rand.New(rand.NewPCG(seed, 2))
	var b bytes.Buffer
	for _, c := range comments {
		b.Write(c.line(rng))
	}
	return b.Bytes(), comments
}

// jsonQuote quotes s as Python's json.dumps does (the dumps' writer):
// ASCII only, non-ASCII as \uXXXX with surrogate pairs, '/' as is.
func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
