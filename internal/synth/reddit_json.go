package synth

import (
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Lines follow the Pushshift dumps: before 2018 about twenty keys in an
// order that changes from line to line (a few fixed shuffles here), from
// 2018 on about forty keys sorted by name, many of them constant. A few
// lines carry a "_meta" object, as reprocessed dumps do.

// jsonKey names a field whose value depends on the record; jsonLiteral
// fields are written as they are.
type jsonKey uint8

const (
	jsonLiteral jsonKey = iota
	keyID
	keyName
	keyAuthor
	keyAuthorFullname
	keySubreddit
	keySubredditID
	keySubredditPrefixed
	keyBody
	keyTitle
	keySelftext
	keyScore
	keyUps
	keyCreated
	keyDistinguished
	keyEdited
	keyGilded
	keyControversiality
	keyRetrieved
	keyLinkID
	keyParentID
	keyStickied
	keyIsSubmitter
	keyMeta
	keyOver18
	keyIsSelf
	keyDomain
	keyURL
	keyPermalink
	keyNumComments
	keyThumbnail
)

// jsonField is one "key":value pair of a layout; lit holds the whole pair
// of a literal field, else the key's name.
type jsonField struct {
	key jsonKey
	lit string
}

func field(key jsonKey, name string) jsonField { return jsonField{key: key, lit: name} }

func literal(pair string) jsonField { return jsonField{key: jsonLiteral, lit: pair} }

var (
	oldCommentFields = []jsonField{
		field(keyAuthor, "author"), literal(`"author_flair_css_class":null`), literal(`"author_flair_text":null`),
		field(keyBody, "body"), field(keyControversiality, "controversiality"), field(keyCreated, "created_utc"),
		field(keyDistinguished, "distinguished"), field(keyEdited, "edited"), field(keyGilded, "gilded"),
		field(keyID, "id"), field(keyLinkID, "link_id"), field(keyParentID, "parent_id"),
		field(keyRetrieved, "retrieved_on"), field(keyScore, "score"), field(keyStickied, "stickied"),
		field(keySubreddit, "subreddit"), field(keySubredditID, "subreddit_id"), field(keyUps, "ups"),
		literal(`"score_hidden":false`), field(keyMeta, "_meta"),
	}
	// oldCommentExtras appear in some old layouts only.
	oldCommentExtras = []jsonField{field(keyName, "name"), literal(`"downs":0`), literal(`"archived":false`)}

	newCommentFields = []jsonField{
		literal(`"all_awardings":[]`), literal(`"associated_award":null`), field(keyAuthor, "author"),
		literal(`"author_flair_background_color":null`), literal(`"author_flair_css_class":null`),
		literal(`"author_flair_richtext":[]`), literal(`"author_flair_template_id":null`),
		literal(`"author_flair_text":null`), literal(`"author_flair_text_color":null`),
		literal(`"author_flair_type":"text"`), field(keyAuthorFullname, "author_fullname"),
		literal(`"author_patreon_flair":false`), literal(`"author_premium":false`), literal(`"awarders":[]`),
		field(keyBody, "body"), literal(`"collapsed":false`), literal(`"collapsed_reason":null`),
		field(keyControversiality, "controversiality"), field(keyCreated, "created_utc"),
		field(keyDistinguished, "distinguished"), field(keyEdited, "edited"), field(keyGilded, "gilded"),
		literal(`"gildings":{}`), field(keyID, "id"), field(keyIsSubmitter, "is_submitter"),
		field(keyLinkID, "link_id"), literal(`"locked":false`), literal(`"no_follow":true`),
		field(keyParentID, "parent_id"), field(keyPermalink, "permalink"), field(keyRetrieved, "retrieved_on"),
		field(keyScore, "score"), literal(`"send_replies":true`), field(keyStickied, "stickied"),
		field(keySubreddit, "subreddit"), field(keySubredditID, "subreddit_id"),
		field(keySubredditPrefixed, "subreddit_name_prefixed"), literal(`"subreddit_type":"public"`),
		literal(`"top_awarded_type":null`), literal(`"total_awards_received":0`), literal(`"treatment_tags":[]`),
		field(keyMeta, "_meta"),
	}

	oldSubmissionFields = []jsonField{
		field(keyAuthor, "author"), field(keyCreated, "created_utc"), field(keyDistinguished, "distinguished"),
		field(keyDomain, "domain"), field(keyEdited, "edited"), field(keyGilded, "gilded"), field(keyID, "id"),
		field(keyIsSelf, "is_self"), literal(`"link_flair_text":null`), literal(`"media":null`),
		field(keyNumComments, "num_comments"), field(keyOver18, "over_18"), field(keyPermalink, "permalink"),
		field(keyRetrieved, "retrieved_on"), field(keyScore, "score"), field(keySelftext, "selftext"),
		field(keyStickied, "stickied"), field(keySubreddit, "subreddit"), field(keySubredditID, "subreddit_id"),
		field(keyThumbnail, "thumbnail"), field(keyTitle, "title"), field(keyUps, "ups"), field(keyURL, "url"),
		literal(`"quarantine":false`), field(keyMeta, "_meta"),
	}
	oldSubmissionExtras = []jsonField{field(keyName, "name"), literal(`"hide_score":false`), literal(`"archived":false`)}

	newSubmissionFields = []jsonField{
		literal(`"all_awardings":[]`), literal(`"allow_live_comments":false`), literal(`"archived":false`),
		field(keyAuthor, "author"), literal(`"author_flair_css_class":null`), literal(`"author_flair_text":null`),
		field(keyAuthorFullname, "author_fullname"), literal(`"can_gild":true`), literal(`"contest_mode":false`),
		field(keyCreated, "created_utc"), literal(`"discussion_type":null`), field(keyDistinguished, "distinguished"),
		field(keyDomain, "domain"), field(keyEdited, "edited"), field(keyGilded, "gilded"), literal(`"gildings":{}`),
		literal(`"hidden":false`), field(keyID, "id"), literal(`"is_crosspostable":true`), literal(`"is_meta":false`),
		literal(`"is_original_content":false`), field(keyIsSelf, "is_self"), literal(`"is_video":false`),
		literal(`"link_flair_text":null`), literal(`"locked":false`), literal(`"media":null`),
		literal(`"media_embed":{}`), literal(`"no_follow":false`), field(keyNumComments, "num_comments"),
		literal(`"num_crossposts":0`), field(keyOver18, "over_18"), literal(`"parent_whitelist_status":"all_ads"`),
		field(keyPermalink, "permalink"), literal(`"pinned":false`), literal(`"pwls":6`), literal(`"quarantine":false`),
		field(keyRetrieved, "retrieved_on"), field(keyScore, "score"), literal(`"secure_media":null`),
		field(keySelftext, "selftext"), literal(`"send_replies":true`), literal(`"spoiler":false`),
		field(keyStickied, "stickied"), field(keySubreddit, "subreddit"), field(keySubredditID, "subreddit_id"),
		field(keySubredditPrefixed, "subreddit_name_prefixed"), literal(`"subreddit_type":"public"`),
		field(keyThumbnail, "thumbnail"), field(keyTitle, "title"), literal(`"total_awards_received":0`),
		field(keyURL, "url"), literal(`"whitelist_status":"all_ads"`), literal(`"wls":6`), field(keyMeta, "_meta"),
	}
)

// layouts are the key orders of one kind of line for one era.
type layouts [][]jsonField

var (
	oldCommentLayouts    = shuffledLayouts(oldCommentFields, oldCommentExtras, 6, 1)
	oldSubmissionLayouts = shuffledLayouts(oldSubmissionFields, oldSubmissionExtras, 6, 2)
	newCommentLayouts    = layouts{newCommentFields}
	newSubmissionLayouts = layouts{newSubmissionFields}
)

// shuffledLayouts makes n key orders of fields, each with a different
// subset of extras, with a fixed generator.
func shuffledLayouts(fields, extras []jsonField, n int, stream uint64) layouts {
	r := newRNG(0x6c61796f7574, stream)
	var ls layouts
	for i := range n {
		l := slices.Clone(fields)
		for j, e := range extras {
			if i>>j&1 == 1 {
				l = append(l, e)
			}
		}
		r.Shuffle(len(l), func(a, b int) { l[a], l[b] = l[b], l[a] })
		ls = append(ls, l)
	}
	return ls
}

// lineValues holds what both kinds of line show, and the values drawn
// for the line before it is written.
type lineValues struct {
	at, author    int64
	score         int
	title, text   []byte // escaped; text is the body or selftext
	createdString bool   // created_utc as a string, as in old dumps
	edited        int64  // 0: false, 1: true, else when
	meta          bool
	gilded        int
	controversial bool
}

// drawLineValues draws the incidental values of a line.
func (g *redditGen) drawLineValues(at, author int64, score int) lineValues {
	r := g.text
	v := lineValues{
		at: at, author: author, score: score,
		createdString: g.old && r.chance(0.3) || r.chance(0.02),
		meta:          r.chance(0.03),
		controversial: score < 5 && r.chance(0.05),
	}
	switch {
	case r.chance(0.05):
		v.edited = at + r.delay(2*secPerHour, 1.5, 30*secPerDay)
	case g.old && r.chance(0.005):
		v.edited = 1
	}
	if score > 500 && r.chance(0.2) {
		v.gilded = 1 + r.IntN(3)
	}
	return v
}

// writeSubmission renders and writes a submission line.
func (g *redditGen) writeSubmission(t *redditThread) {
	v := g.drawLineValues(t.at, t.author, t.score)
	g.body = g.w.title(g.body[:0], &t.redditSubject)
	t.slug = appendSlug(t.slug[:0], g.body)
	title := len(g.body)
	switch {
	case !t.self:
	case t.selftext == fateDeleted:
		g.body = append(g.body, "[deleted]"...)
	case t.selftext == fateRemoved:
		g.body = append(g.body, "[removed]"...)
	default:
		g.body = g.w.selftext(g.body, &t.redditSubject)
	}
	v.title, v.text = g.body[:title], g.body[title:]
	ls := newSubmissionLayouts
	if g.old {
		ls = oldSubmissionLayouts
	}
	b := append(g.line[:0], '{')
	for _, f := range ls[g.text.IntN(len(ls))] {
		b = g.appendSubmissionField(b, f, t, &v)
	}
	b[len(b)-1] = '}'
	b = append(b, '\n')
	g.rs.write(b)
	g.line = b
	g.stats.Submissions++
}

// writeComment gives the comment its id, renders it and writes its line.
func (g *redditGen) writeComment(e commentEvent) {
	t, c := e.thread, &e.thread.comments[e.index]
	g.commentID += 1 + g.text.Int64N(3)
	c.id = g.commentID
	v := g.drawLineValues(c.at, c.author, int(c.score))
	v.text = g.commentBody(g.body[:0], t, c)
	g.body = v.text
	ls := newCommentLayouts
	if g.old {
		ls = oldCommentLayouts
	}
	b := append(g.line[:0], '{')
	for _, f := range ls[g.text.IntN(len(ls))] {
		b = g.appendCommentField(b, f, t, c, &v)
	}
	b[len(b)-1] = '}'
	b = append(b, '\n')
	g.rc.write(b)
	g.line = b
	g.pending--
	g.countComment(c)
}

func (g *redditGen) countComment(c *redditComment) {
	g.stats.Comments++
	if c.parent < 0 {
		g.stats.TopLevel++
	}
	if c.fate.bodyGone() {
		g.stats.Gone++
	}
}

func (g *redditGen) commentBody(b []byte, t *redditThread, c *redditComment) []byte {
	switch {
	case c.fate == fateDeleted:
		return append(b, "[deleted]"...)
	case c.fate == fateRemoved:
		return append(b, "[removed]"...)
	case c.fate == fateAutoMod:
		return append(b, mdAutoMod...)
	case c.parent < 0:
		return g.w.answer(b, &t.redditSubject, c.quality, c.score)
	}
	return g.w.reply(b, &t.redditSubject, c.quality, c.score)
}

// appendCommonField appends the fields comments and submissions share; ok
// is false for the others.
func (g *redditGen) appendCommonField(b []byte, f jsonField, t *redditThread, v *lineValues) ([]byte, bool) {
	switch f.key {
	case jsonLiteral:
		return append(append(b, f.lit...), ','), true
	case keyMeta:
		if v.meta {
			b = append(b, `"_meta":{"retrieved_2nd_on":`...)
			b = strconv.AppendInt(b, g.end+90*secPerDay, 10)
			b = append(b, `,"note":"reprocessed"},`...)
		}
		return b, true
	case keyAuthor:
		b = appendKey(b, f.lit)
		return append(appendQuotedUser(b, v.author), ','), true
	case keyAuthorFullname:
		b = appendKey(b, f.lit)
		if v.author == deletedUser {
			return append(b, "null,"...), true
		}
		b = append(b, `"t2_`...)
		b = strconv.AppendInt(b, v.author*7919+1_000_003, 36)
		return append(b, `",`...), true
	case keySubreddit:
		return appendStringField(b, f.lit, t.subreddit), true
	case keySubredditID:
		return appendStringField(b, f.lit, t.subredditID), true
	case keySubredditPrefixed:
		b = appendKey(b, f.lit)
		return append(append(append(b, `"r\/`...), t.subreddit...), `",`...), true
	case keyScore, keyUps:
		return appendIntField(b, f.lit, int64(v.score)), true
	case keyCreated:
		return appendCreated(b, f.lit, v.at, v.createdString), true
	case keyEdited:
		return appendEdited(b, f.lit, v.edited), true
	case keyGilded:
		return appendIntField(b, f.lit, int64(v.gilded)), true
	case keyRetrieved:
		return appendIntField(b, f.lit, g.end+(v.at-g.start)/8+45*secPerDay), true
	}
	return b, false
}

func (g *redditGen) appendCommentField(b []byte, f jsonField, t *redditThread, c *redditComment, v *lineValues) []byte {
	if b, ok := g.appendCommonField(b, f, t, v); ok {
		return b
	}
	switch f.key {
	case keyID:
		return appendIDField(b, f.lit, "", c.id)
	case keyName:
		return appendIDField(b, f.lit, "t1_", c.id)
	case keyBody:
		return appendBytesField(b, f.lit, v.text)
	case keyLinkID:
		return appendIDField(b, f.lit, "t3_", t.id)
	case keyParentID:
		if c.parent < 0 {
			return appendIDField(b, f.lit, "t3_", t.id)
		}
		return appendIDField(b, f.lit, "t1_", t.comments[c.parent].id)
	case keyDistinguished:
		return appendDistinguished(b, f.lit, c.fate == fateAutoMod)
	case keyStickied:
		return appendBoolField(b, f.lit, c.fate == fateAutoMod)
	case keyIsSubmitter:
		return appendBoolField(b, f.lit, c.author == t.author && c.author != deletedUser)
	case keyControversiality:
		return appendBoolAsInt(b, f.lit, v.controversial)
	case keyPermalink:
		b = appendPermalinkPath(append(appendKey(b, f.lit), '"'), t)
		b = strconv.AppendInt(b, c.id, 36)
		return append(b, `\/",`...)
	}
	panic("synth: comment layout has a submission field: " + f.lit)
}

func (g *redditGen) appendSubmissionField(b []byte, f jsonField, t *redditThread, v *lineValues) []byte {
	if b, ok := g.appendCommonField(b, f, t, v); ok {
		return b
	}
	switch f.key {
	case keyID:
		return appendIDField(b, f.lit, "", t.id)
	case keyName:
		return appendIDField(b, f.lit, "t3_", t.id)
	case keyTitle:
		return appendBytesField(b, f.lit, v.title)
	case keySelftext:
		return appendBytesField(b, f.lit, v.text)
	case keyDistinguished:
		return appendDistinguished(b, f.lit, t.mod)
	case keyStickied:
		return appendBoolField(b, f.lit, t.mod)
	case keyOver18:
		return appendBoolField(b, f.lit, t.nsfw)
	case keyIsSelf:
		return appendBoolField(b, f.lit, t.self)
	case keyNumComments:
		return appendIntField(b, f.lit, int64(t.numComments))
	case keyDomain:
		b = appendKey(b, f.lit)
		if t.self {
			return append(append(append(b, `"self.`...), t.subreddit...), `",`...)
		}
		return append(append(append(b, '"'), linkDomain(t)...), `",`...)
	case keyURL:
		b = appendKey(b, f.lit)
		if t.self {
			b = appendPermalinkPath(append(b, `"https:\/\/www.reddit.com`...), t)
		} else {
			b = appendLinkURL(append(b, '"'), t)
		}
		return append(b, `",`...)
	case keyPermalink:
		b = appendPermalinkPath(append(appendKey(b, f.lit), '"'), t)
		return append(b, `",`...)
	case keyThumbnail:
		return appendStringField(b, f.lit, thumbnail(t))
	}
	panic("synth: submission layout has a comment field: " + f.lit)
}

// appendPermalinkPath appends the thread's path, /r/sub/comments/id/slug/,
// with slashes escaped as the dumps have them.
func appendPermalinkPath(b []byte, t *redditThread) []byte {
	b = append(append(append(b, `\/r\/`...), t.subreddit...), `\/comments\/`...)
	b = strconv.AppendInt(b, t.id, 36)
	return append(append(append(b, `\/`...), t.slug...), `\/`...)
}

var linkDomains = []string{"github.com", "i.imgur.com", "youtube.com", "medium.com", "stackoverflow.com", "dev.to"}

func linkDomain(t *redditThread) string { return linkDomains[t.id%int64(len(linkDomains))] }

func appendLinkURL(b []byte, t *redditThread) []byte {
	b = append(append(b, `https:\/\/`...), linkDomain(t)...)
	b = append(append(append(b, `\/`...), t.topic.idents[t.a]...), `\/`...)
	return strconv.AppendInt(b, t.id, 36)
}

func thumbnail(t *redditThread) string {
	switch {
	case t.nsfw:
		return "nsfw"
	case t.self:
		return "self"
	}
	return "default"
}

// appendSlug appends the permalink slug of an escaped title: lower-case
// words joined by underscores, at most 50 bytes.
func appendSlug(b, title []byte) []byte {
	start, sep := len(b), false
	for _, c := range title {
		if len(b)-start >= 50 {
			break
		}
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		default:
			sep = len(b) > start
			continue
		}
		if sep {
			b = append(b, '_')
			sep = false
		}
		b = append(b, c)
	}
	return b
}

func appendKey(b []byte, name string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `":`...)
}

func appendStringField(b []byte, name, value string) []byte {
	b = append(appendKey(b, name), '"')
	b = append(b, value...)
	return append(b, `",`...)
}

func appendBytesField(b []byte, name string, value []byte) []byte {
	b = append(appendKey(b, name), '"')
	b = append(b, value...)
	return append(b, `",`...)
}

func appendIntField(b []byte, name string, v int64) []byte {
	return append(strconv.AppendInt(appendKey(b, name), v, 10), ',')
}

func appendIDField(b []byte, name, prefix string, id int64) []byte {
	b = append(append(appendKey(b, name), '"'), prefix...)
	return append(strconv.AppendInt(b, id, 36), `",`...)
}

func appendBoolField(b []byte, name string, v bool) []byte {
	return append(strconv.AppendBool(appendKey(b, name), v), ',')
}

func appendBoolAsInt(b []byte, name string, v bool) []byte {
	n := int64(0)
	if v {
		n = 1
	}
	return appendIntField(b, name, n)
}

func appendCreated(b []byte, name string, at int64, asString bool) []byte {
	if !asString {
		return appendIntField(b, name, at)
	}
	b = append(appendKey(b, name), '"')
	return append(strconv.AppendInt(b, at, 10), `",`...)
}

func appendEdited(b []byte, name string, edited int64) []byte {
	switch edited {
	case 0:
		return append(appendKey(b, name), "false,"...)
	case 1:
		return append(appendKey(b, name), "true,"...)
	}
	return appendIntField(b, name, edited)
}

func appendDistinguished(b []byte, name string, moderator bool) []byte {
	if moderator {
		return appendStringField(b, name, "moderator")
	}
	return append(appendKey(b, name), "null,"...)
}

// User names: AutoModerator, [deleted], or a name made from the number.
var (
	nameAdjectives  = []string{"Happy", "Grumpy", "Sleepy", "Quiet", "Rusty", "Lazy", "Clever", "Angry", "Cosmic", "Silent", "Random", "Dank", "Salty", "Spicy", "Fuzzy", "Nerdy", "Sneaky", "Humble", "Wobbly", "Electric"}
	nameNouns       = []string{"Panda", "Otter", "Penguin", "Wizard", "Potato", "Llama", "Falcon", "Coder", "Badger", "Ninja", "Walrus", "Toaster", "Dragon", "Pickle", "Gopher", "Pirate", "Hamster", "Raccoon", "Cactus", "Bagel"}
	lowerAdjectives = lowerAll(nameAdjectives)
	lowerNouns      = lowerAll(nameNouns)
)

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

func appendQuotedUser(b []byte, user int64) []byte {
	b = append(b, '"')
	b = appendUserName(b, user)
	return append(b, '"')
}

func appendUserName(b []byte, user int64) []byte {
	switch user {
	case deletedUser:
		return append(b, "[deleted]"...)
	case 0:
		return append(b, "AutoModerator"...)
	}
	s := splitmix(uint64(user) * 0x2545f4914f6cdd1d)
	h := s.next()
	adj, noun, num := int(h%20), int(h/20%20), int64(h/400%10000)
	switch h >> 62 {
	case 0:
		b = append(append(b, nameAdjectives[adj]...), nameNouns[noun]...)
		return strconv.AppendInt(b, num, 10)
	case 1:
		b = append(append(append(b, lowerAdjectives[adj]...), '_'), lowerNouns[noun]...)
		return strconv.AppendInt(b, num%100, 10)
	case 2:
		return strconv.AppendInt(append(b, "throwaway_"...), num, 10)
	}
	return append(append(append(b, nameNouns[noun]...), '-'), nameAdjectives[adj]...)
}

// subredditID is a stable t5_ id for a subreddit name.
func subredditID(name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	return "t5_" + strconv.FormatInt(int64(h.Sum64()%(36*36*36*36*36)), 36)
}
