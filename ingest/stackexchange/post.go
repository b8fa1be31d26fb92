package stackexchange

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// Post is one row of Posts.xml. Numeric fields are 0 when absent.
type Post struct {
	ID, PostTypeID, ParentID, AcceptedAnswerID, OwnerUserID int64
	Score                                                   int64
	HasScore                                                bool
	CreationDate                                            string // as in the dump
	// Title, Body, Tags and OwnerDisplayName are XML-unescaped. Body stays
	// HTML. Tags is normalised to "a|b|c" from either "<a><b><c>" or "|a|b|c|".
	Title, Body, Tags, OwnerDisplayName string
	Deleted                             bool // a DeletionDate attribute is present
}

// Post types of the PostTypeId attribute.
const (
	PostTypeQuestion = 1
	PostTypeAnswer   = 2
)

// Vote types of the VoteTypeId attribute.
const (
	VoteTypeUpMod   = 2
	VoteTypeDownMod = 3
)

var (
	errMissingID       = errors.New("stackexchange: row has no Id attribute")
	errMissingPostID   = errors.New("stackexchange: vote has no PostId attribute")
	errMissingVoteType = errors.New("stackexchange: vote has no VoteTypeId attribute")
)

// maxPooledArena keeps one huge post from pinning memory in the pool.
const maxPooledArena = 1 << 20

// arenaPool holds scratch buffers that the text fields of a post are decoded
// into before being copied into a single string.
var arenaPool = sync.Pool{New: func() any { return new([]byte) }}

// ParsePost parses one row's attribute bytes, as returned by
// RowScanner.Next. All string fields share one allocation.
func ParsePost(row []byte) (Post, error) {
	var p postParser
	it := attrIter{rest: row}
	for it.next() {
		if err := p.attr(it.name, it.value); err != nil {
			return Post{}, err
		}
	}
	if it.err != nil {
		return Post{}, it.err
	}
	if !p.hasID {
		return Post{}, errMissingID
	}
	if err := p.decodeText(); err != nil {
		return Post{}, err
	}
	return p.post, nil
}

type postParser struct {
	post  Post
	hasID bool
	// raw, still escaped text fields
	creationDate, title, body, tags, ownerDisplayName []byte
}

func (p *postParser) attr(name, value []byte) error {
	var err error
	switch string(name) {
	case "Id":
		p.post.ID, err = parseIntAttr(name, value)
		p.hasID = true
	case "PostTypeId":
		p.post.PostTypeID, err = parseIntAttr(name, value)
	case "ParentId":
		p.post.ParentID, err = parseIntAttr(name, value)
	case "AcceptedAnswerId":
		p.post.AcceptedAnswerID, err = parseIntAttr(name, value)
	case "OwnerUserId":
		p.post.OwnerUserID, err = parseIntAttr(name, value)
	case "Score":
		p.post.Score, err = parseIntAttr(name, value)
		p.post.HasScore = true
	case "CreationDate":
		p.creationDate = value
	case "Title":
		p.title = value
	case "Body":
		p.body = value
	case "Tags":
		p.tags = value
	case "OwnerDisplayName":
		p.ownerDisplayName = value
	case "DeletionDate":
		p.post.Deleted = true
		err = checkEntities(value)
	default:
		err = checkEntities(value)
	}
	return err
}

// decodeText unescapes the text fields into one pooled scratch buffer and
// slices them out of a single string built from it.
func (p *postParser) decodeText() error {
	scratch := arenaPool.Get().(*[]byte)
	defer func() {
		if cap(*scratch) <= maxPooledArena {
			arenaPool.Put(scratch)
		}
	}()

	fields := [...][]byte{p.creationDate, p.title, p.body, p.ownerDisplayName, p.tags}
	var ends [len(fields)]int
	arena := (*scratch)[:0]
	for i, raw := range fields {
		start := len(arena)
		var err error
		if arena, err = appendUnescaped(arena, raw); err != nil {
			*scratch = arena
			return err
		}
		if i == len(fields)-1 {
			arena = arena[:start+normalizeTags(arena[start:])]
		}
		ends[i] = len(arena)
	}
	*scratch = arena

	text := string(arena)
	p.post.CreationDate = text[:ends[0]]
	p.post.Title = text[ends[0]:ends[1]]
	p.post.Body = text[ends[1]:ends[2]]
	p.post.OwnerDisplayName = text[ends[2]:ends[3]]
	p.post.Tags = text[ends[3]:ends[4]]
	return nil
}

// normalizeTags rewrites "<a><b>" or "|a|b|" in place to "a|b" and returns
// the new length. The output never overtakes the input, so it is safe.
func normalizeTags(b []byte) int {
	w, start := 0, -1
	for i := 0; i <= len(b); i++ {
		if i < len(b) && !isTagSeparator(b[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start < 0 {
			continue
		}
		if w > 0 {
			b[w] = '|'
			w++
		}
		w += copy(b[w:], b[start:i])
		start = -1
	}
	return w
}

func isTagSeparator(c byte) bool {
	return c == '<' || c == '>' || c == '|'
}

// ParseVote parses one row of Votes.xml and returns its PostId and
// VoteTypeId, both required.
func ParseVote(row []byte) (postID int64, voteTypeID int, err error) {
	var hasPost, hasType bool
	it := attrIter{rest: row}
	for it.next() {
		switch string(it.name) {
		case "PostId":
			postID, err = parseIntAttr(it.name, it.value)
			hasPost = true
		case "VoteTypeId":
			voteTypeID, err = parseVoteType(it.name, it.value)
			hasType = true
		default:
			err = checkEntities(it.value)
		}
		if err != nil {
			return 0, 0, err
		}
	}
	switch {
	case it.err != nil:
		return 0, 0, it.err
	case !hasPost:
		return 0, 0, errMissingPostID
	case !hasType:
		return 0, 0, errMissingVoteType
	}
	return postID, voteTypeID, nil
}

func parseVoteType(name, value []byte) (int, error) {
	n, err := parseIntAttr(name, value)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, fmt.Errorf("stackexchange: attribute %s: out of range: %d", name, n)
	}
	return int(n), nil
}
