package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
)

// Formats of generated rankings (the formats `prefstream ingest rankings` reads).
const (
	RankingsJSONL = "jsonl"
	RankingsHH    = "hh-rlhf"
)

// RankingsOptions configures generated human rankings. The same options (Progress aside) always
// give the same bytes.
type RankingsOptions struct {
	N    int    // rankings (prompts); default 1000
	K    int    // responses ranked per prompt; default 4
	Seed uint64 // drives every choice: questions, qualities, texts, raters
	// Format is RankingsJSONL (one ranking of K per line, the default) or RankingsHH (one line
	// per pair a ranking implies, K(K-1)/2 per prompt, as HH-RLHF transcripts).
	Format string
	// Progress, when set, is called with the bytes written so far.
	Progress func(written int64)
}

// RankingsStats describes a written rankings file.
type RankingsStats struct {
	Rankings int
	K        int // responses per ranking
	Lines    int
	Pairs    int // the pairs the rankings imply
	Bytes    int64
	File     string
	// Agreement is the share of those pairs that the vote-driving quality (Quality.VoteSignal)
	// orders as the simulated raters do: what a preference model that learned the votes
	// perfectly would get right before fine-tuning on the rankings.
	Agreement float64
}

// rankingIDBase offsets the ids whose QualityOf the responses use, far above any post Id of a
// generated site, so rankings and a site of the same seed share no answer.
const rankingIDBase = 1 << 40

// The hidden human criterion (HumanScore) weighs the same quality components as votes do, but
// differently, so that a model trained on the vote-based pairs of a generated dump starts well
// above chance on the rankings, yet learns more from them:
//
//   - correctness counts most (0.45, votes 0.40), but a confidently wrong answer
//     (Correctness < 0.25) loses a further 0.15 and a hedged wrong one (0.25 to 0.5, "I think ...
//     but I have not tested it") gains 0.08: raters reward honesty about uncertainty;
//   - clarity counts a little more (0.30, votes 0.25) and relevance less (0.25, votes 0.35):
//     a rater reads every answer in full, while voters skim. (Clarity shows as typos and
//     layout, which a model picks up from a few dozen examples; weighted heavily, it let a
//     model trained from scratch on 100 rankings match one pre-trained on the votes, so the
//     raters weigh it only a little more than voters do);
//   - length is penalised: 0.25 per unit of excess length relative to the mean of the answers
//     to the same prompt (raters dislike padding), which votes ignore;
//   - each rating has a little noise (normal, sd 0.03), as raters disagree.
//
// Every term but the noise shows in the text (typos and layout, the stated value and its
// hedging, topic words, length). Over K=4 rankings, the vote signal orders most of the
// implied pairs as the raters do (about 81%), and the criterion without its noise about 94%
// (TestRankingsCriterion): the proxy data helps, but is not the answer.
const (
	humanRelevance        = 0.25
	humanCorrectness      = 0.45
	humanClarity          = 0.30
	humanConfidentWrong   = -0.15
	humanHedgedWrong      = 0.08
	humanLengthPenalty    = 0.25
	humanNoise            = 0.03
	confidentlyWrongBelow = 0.25
)

// HumanScore is the simulated raters' judgement of an answer of quality q whose text is
// relativeLength times the mean length of the answers it is ranked with, before rater noise.
func HumanScore(q Quality, relativeLength float64) float64 {
	s := humanRelevance*q.Relevance + humanCorrectness*q.Correctness + humanClarity*q.Clarity
	switch {
	case q.Correctness < confidentlyWrongBelow:
		s += humanConfidentWrong
	case !q.Correct():
		s += humanHedgedWrong
	}
	return s - humanLengthPenalty*(relativeLength-1)
}

// generatedRanking is one prompt with its responses and the hidden judgements behind the order.
type generatedRanking struct {
	prompt    string
	responses []string
	quality   []Quality
	human     []float64 // HumanScore plus noise
	order     []int     // by human, best first
}

type rankingsGenerator struct {
	o    RankingsOptions
	r    *rng
	w    writer
	buf  []byte
	next int
}

func newRankingsGenerator(o RankingsOptions) *rankingsGenerator {
	r := newRNG(o.Seed, 0x72616e6b) // "rank"
	return &rankingsGenerator{o: o, r: r, w: writer{r: r}}
}

func (o RankingsOptions) normalized() (RankingsOptions, error) {
	if o.N == 0 {
		o.N = 1000
	}
	if o.K == 0 {
		o.K = 4
	}
	if o.Format == "" {
		o.Format = RankingsJSONL
	}
	switch {
	case o.N < 0:
		return o, fmt.Errorf("synth: rankings N must be >= 0, got %d", o.N)
	case o.K < 2 || o.K > 16:
		return o, fmt.Errorf("synth: rankings K must be 2 to 16, got %d", o.K)
	case o.Format != RankingsJSONL && o.Format != RankingsHH:
		return o, fmt.Errorf("synth: rankings format %q, want %s or %s", o.Format, RankingsJSONL, RankingsHH)
	}
	return o, nil
}

// ranking draws the next prompt (a question like the generated site's), K answers of
// independent hidden qualities, and orders them by the noisy HumanScore.
func (g *rankingsGenerator) ranking() generatedRanking {
	i := g.next
	g.next++
	s := newSubject(g.r)
	g.buf = g.w.title(g.buf[:0], &s)
	title := attrUnescaper.Replace(string(g.buf))
	g.buf = g.w.question(g.buf[:0], &s)
	gr := generatedRanking{prompt: title + "\n\n" + bodyText(g.buf)}
	k := g.o.K
	for j := range k {
		q := QualityOf(g.o.Seed, rankingIDBase+int64(i*k+j))
		g.buf = g.w.answer(g.buf[:0], &s, q)
		text := bodyText(g.buf)
		if slices.Contains(gr.responses, text) { // vanishingly rare; keep the responses distinct
			text += "\n\nHope this helps."
		}
		gr.responses = append(gr.responses, text)
		gr.quality = append(gr.quality, q)
	}
	mean := 0.0
	for _, text := range gr.responses {
		mean += float64(len(text))
	}
	mean /= float64(k)
	for j, q := range gr.quality {
		gr.human = append(gr.human, HumanScore(q, float64(len(gr.responses[j]))/mean)+humanNoise*g.r.NormFloat64())
		gr.order = append(gr.order, j)
	}
	slices.SortStableFunc(gr.order, func(a, b int) int { return -cmpFloat(gr.human[a], gr.human[b]) })
	return gr
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// agreement counts the pairs of gr (better, worse by the raters) that score orders the same way.
func (gr *generatedRanking) agreement(score func(j int) float64) (agree, pairs int) {
	for a := 0; a < len(gr.order); a++ {
		for b := a + 1; b < len(gr.order); b++ {
			pairs++
			if score(gr.order[a]) > score(gr.order[b]) {
				agree++
			}
		}
	}
	return agree, pairs
}

// Rankings writes N generated rankings to path (under a temporary name, renamed when complete).
func Rankings(path string, o RankingsOptions) (RankingsStats, error) {
	o, err := o.normalized()
	if err != nil {
		return RankingsStats{}, err
	}
	out, err := createOutput(path, o.Progress)
	if err != nil {
		return RankingsStats{}, err
	}
	g := newRankingsGenerator(o)
	st := RankingsStats{File: path, K: o.K}
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	agree := 0
	created := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < o.N && out.err == nil; i++ {
		gr := g.ranking()
		a, pairs := gr.agreement(func(j int) float64 { return gr.quality[j].VoteSignal() })
		agree += a
		st.Pairs += pairs
		st.Rankings++
		created = created.Add(time.Duration(1+g.r.IntN(600)) * time.Second)
		line.Reset()
		if o.Format == RankingsHH {
			for x := 0; x < len(gr.order); x++ {
				for y := x + 1; y < len(gr.order); y++ {
					_ = enc.Encode(hhRecord{Chosen: hhTranscript(gr.prompt, gr.responses[gr.order[x]]), Rejected: hhTranscript(gr.prompt, gr.responses[gr.order[y]])})
					st.Lines++
				}
			}
		} else {
			_ = enc.Encode(jsonlRecord{
				ID: fmt.Sprintf("synthetic-%d-%d", o.Seed, i), Prompt: gr.prompt, Responses: gr.responses, Ranking: gr.order,
				Annotator: fmt.Sprintf("rater-%d", g.r.IntN(12)), Created: created.Format(time.RFC3339),
			})
			st.Lines++
		}
		out.write(line.Bytes())
	}
	st.Bytes = out.size()
	if err := out.finish(); err != nil {
		return RankingsStats{}, err
	}
	if err := out.publish(); err != nil {
		return RankingsStats{}, err
	}
	if st.Pairs > 0 {
		st.Agreement = float64(agree) / float64(st.Pairs)
	}
	return st, nil
}

type jsonlRecord struct {
	ID        string   `json:"id"`
	Prompt    string   `json:"prompt"`
	Responses []string `json:"responses"`
	Ranking   []int    `json:"ranking"`
	Annotator string   `json:"annotator"`
	Created   string   `json:"created"`
}

type hhRecord struct {
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`
}

func hhTranscript(prompt, response string) string {
	return "\n\nHuman: " + prompt + "\n\nAssistant: " + response
}

// bodyText turns a generated body (HTML escaped for an XML attribute) into readable plain text:
// paragraphs separated by blank lines, code blocks indented by four spaces, inline code in
// backticks, links as "text (url)", entities decoded.
func bodyText(escaped []byte) string {
	h := attrUnescaper.Replace(string(escaped))
	var b strings.Builder
	inPre := false
	href := ""
	for i := 0; i < len(h); {
		if h[i] != '<' {
			end := strings.IndexByte(h[i:], '<')
			if end < 0 {
				end = len(h) - i
			}
			text := html.UnescapeString(h[i : i+end])
			if inPre {
				text = strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n    ")
			}
			b.WriteString(text)
			i += end
			continue
		}
		end := strings.IndexByte(h[i:], '>')
		if end < 0 {
			b.WriteString(html.UnescapeString(h[i:]))
			break
		}
		tag := h[i+1 : i+end]
		i += end + 1
		switch {
		case tag == "pre":
			inPre = true
			b.WriteString("    ")
		case tag == "/pre":
			inPre = false
		case (tag == "code" || tag == "/code") && !inPre:
			b.WriteByte('`')
		case strings.HasPrefix(tag, "a href=\""):
			href = html.UnescapeString(strings.TrimSuffix(strings.TrimPrefix(tag, "a href=\""), "\""))
		case tag == "/a":
			b.WriteString(" (" + href + ")")
		}
	}
	text := strings.TrimSpace(b.String())
	for strings.Contains(text, "\n\n\n") {
		text = strings.ReplaceAll(text, "\n\n\n", "\n\n")
	}
	return text
}
