package stackexchange

import (
	"bytes"
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
)

// Synthetic dumps for tests and benchmarks, shaped like the real ones:
// questions with titles and tags, answers with a ParentId, bodies of about
// 1 KB of HTML escaped into an attribute.

var genWords = strings.Fields(`the model reward policy gradient training loss network layer
	value function agent state action learning rate batch tensor python error output input
	data set example question answer because however when which would could should using
	why how what does this that with from into about neural convolution attention transformer
	optimizer sample weight bias token embedding sequence dimension matrix vector probability`)

var genTags = strings.Fields(`neural-networks machine-learning reinforcement-learning python
	deep-learning transformer optimization pytorch tensorflow nlp computer-vision q-learning`)

type genPost struct {
	id, postType, parent, accepted, owner, score int64
	created, title, body, tags                   string
	pipeTags                                     bool
}

func genSentence(rng *rand.Rand, words int) string {
	parts := make([]string, words)
	for i := range parts {
		parts[i] = genWords[rng.IntN(len(genWords))]
	}
	return strings.Join(parts, " ")
}

// genBody returns about n bytes of HTML, before escaping.
func genBody(rng *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		switch rng.IntN(5) {
		case 0:
			fmt.Fprintf(&b, "<pre><code>x = %s(\"%s\") & y < %d\n</code></pre>\n", genWords[rng.IntN(len(genWords))], genSentence(rng, 2), rng.IntN(100))
		case 1:
			fmt.Fprintf(&b, "<p>See <a href=\"https://example.com/q/%d\" rel=\"nofollow\">%s</a>.</p>\n", rng.IntN(1e6), genSentence(rng, 3))
		case 2:
			fmt.Fprintf(&b, "<blockquote>\n  <p>%s's <em>%s</em></p>\n</blockquote>\n", genSentence(rng, 6), genSentence(rng, 2))
		default:
			fmt.Fprintf(&b, "<p>%s, %s? <strong>%s</strong> %s.</p>\n", genSentence(rng, 12), genSentence(rng, 5), genSentence(rng, 2), genSentence(rng, 8))
		}
	}
	return b.String()
}

func genPosts(rng *rand.Rand, targetBytes int) []genPost {
	var posts []genPost
	size := 0
	for id := int64(1); size < targetBytes; id++ {
		p := genPost{
			id:      id,
			owner:   rng.Int64N(5000) - 1,
			score:   rng.Int64N(40) - 5,
			created: fmt.Sprintf("2016-%02d-%02dT%02d:%02d:%02d.%03d", 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1000)),
			body:    genBody(rng, 300+rng.IntN(1000)),
		}
		if id == 1 || rng.IntN(3) == 0 {
			p.postType = PostTypeQuestion
			p.title = genSentence(rng, 4+rng.IntN(6)) + "?"
			p.tags = genTagList(rng)
			p.pipeTags = rng.IntN(2) == 0
			if rng.IntN(2) == 0 {
				p.accepted = id + 1 + rng.Int64N(5)
			}
		} else {
			p.postType = PostTypeAnswer
			p.parent = 1 + rng.Int64N(id-1)
		}
		size += len(p.body)*13/10 + 300
		posts = append(posts, p)
	}
	return posts
}

func genTagList(rng *rand.Rand) string {
	tags := make([]string, 1+rng.IntN(4))
	for i := range tags {
		tags[i] = genTags[rng.IntN(len(genTags))]
	}
	return strings.Join(tags, "|")
}

// escapeAttr escapes s the way the dumps do, newlines as &#xA;.
func escapeAttr(s string) string {
	s = html.EscapeString(s) // & < > " '
	s = strings.ReplaceAll(s, "&#34;", "&quot;")
	s = strings.ReplaceAll(s, "&#39;", "'")
	return strings.ReplaceAll(s, "\n", "&#xA;")
}

func (p genPost) row() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row Id="%d" PostTypeId="%d"`, p.id, p.postType)
	if p.parent != 0 {
		fmt.Fprintf(&b, ` ParentId="%d"`, p.parent)
	}
	if p.accepted != 0 {
		fmt.Fprintf(&b, ` AcceptedAnswerId="%d"`, p.accepted)
	}
	fmt.Fprintf(&b, ` CreationDate="%s" Score="%d" ViewCount="%d" Body="%s" OwnerUserId="%d" LastActivityDate="%s"`,
		p.created, p.score, p.id*7, escapeAttr(p.body), p.owner, p.created)
	if p.postType == PostTypeQuestion {
		fmt.Fprintf(&b, ` Title="%s" Tags="%s" AnswerCount="1"`, escapeAttr(p.title), escapeAttr(p.dumpTags()))
	}
	b.WriteString(` CommentCount="0" ContentLicense="CC BY-SA 3.0" />`)
	return b.String()
}

// dumpTags renders the tags in one of the two dump formats.
func (p genPost) dumpTags() string {
	if p.pipeTags {
		return "|" + p.tags + "|"
	}
	return "<" + strings.ReplaceAll(p.tags, "|", "><") + ">"
}

func (p genPost) want() Post {
	return Post{
		ID: p.id, PostTypeID: p.postType, ParentID: p.parent, AcceptedAnswerID: p.accepted,
		OwnerUserID: p.owner, Score: p.score, HasScore: true, CreationDate: p.created,
		Title: p.title, Body: p.body, Tags: p.tags,
	}
}

func dumpXML(root string, rows []string) []byte {
	var b bytes.Buffer
	b.WriteString(utf8BOM + `<?xml version="1.0" encoding="utf-8"?>` + "\n<" + root + ">\n")
	for _, r := range rows {
		b.WriteString("  " + r + "\n")
	}
	b.WriteString("</" + root + ">")
	return b.Bytes()
}

func genPostsXML(seed uint64, targetBytes int) ([]byte, []genPost) {
	posts := genPosts(rand.New(rand.NewPCG(seed, 1)), targetBytes)
	rows := make([]string, len(posts))
	for i, p := range posts {
		rows[i] = p.row()
	}
	return dumpXML("posts", rows), posts
}

type genVote struct {
	postID   int64
	voteType int
}

func genVotesXML(seed uint64, n int, maxPostID int64) ([]byte, []genVote) {
	rng := rand.New(rand.NewPCG(seed, 2))
	votes := make([]genVote, n)
	rows := make([]string, n)
	for i := range votes {
		v := genVote{postID: 1 + rng.Int64N(maxPostID), voteType: []int{1, 2, 2, 2, 2, 3, 5, 10}[rng.IntN(8)]}
		votes[i] = v
		rows[i] = fmt.Sprintf(`<row Id="%d" PostId="%d" VoteTypeId="%d" CreationDate="2016-08-02T00:00:00.000" />`, i+1, v.postID, v.voteType)
	}
	return dumpXML("votes", rows), votes
}
