package synth

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unescape decodes a Body attribute value back to HTML.
func unescape(t *testing.T, attrValue []byte) string {
	t.Helper()
	var v struct {
		Body string `xml:"Body,attr"`
	}
	if err := xml.Unmarshal([]byte(`<row Body="`+string(attrValue)+`"/>`), &v); err != nil {
		t.Fatalf("body does not parse: %v\n%s", err, attrValue)
	}
	return v.Body
}

func answerHTML(t *testing.T, w *writer, s *subject, q Quality) string {
	return unescape(t, w.answer(nil, s, q))
}

func TestAnswerStatesValueByCorrectness(t *testing.T) {
	w := &writer{r: newRNG(1, 2)}
	for i := range 200 {
		s := newSubject(w.r)
		right, wrong := strconv.Itoa(s.fact.right), strconv.Itoa(s.fact.wrong)
		good := answerHTML(t, w, &s, Quality{Relevance: 0.9, Correctness: 0.9, Clarity: 0.9})
		bad := answerHTML(t, w, &s, Quality{Relevance: 0.9, Correctness: 0.1, Clarity: 0.9})
		if !containsNumber(good, right) || containsNumber(good, wrong) && !strings.Contains(good, "<code>") {
			t.Fatalf("%d: correct answer to %q (= %s) says:\n%s", i, s.fact.expr, right, good)
		}
		if !containsNumber(bad, wrong) {
			t.Fatalf("%d: wrong answer to %q (wrong %s) says:\n%s", i, s.fact.expr, wrong, bad)
		}
	}
}

// containsNumber reports whether n appears in s not as part of a longer
// number.
func containsNumber(s, n string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], n)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(n)
		if (start == 0 || !isDigit(s[start-1])) && (end == len(s) || !isDigit(s[end])) {
			return true
		}
		i = end
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func TestAnswerTopicWordsFollowRelevance(t *testing.T) {
	w := &writer{r: newRNG(3, 4)}
	mentions := func(relevance float64) float64 {
		total := 0
		for range 300 {
			s := newSubject(w.r)
			html := answerHTML(t, w, &s, Quality{Relevance: relevance, Correctness: 0.8, Clarity: 0.9})
			for _, word := range s.topic.words {
				total += strings.Count(html, word)
			}
		}
		return float64(total) / 300
	}
	high, low := mentions(0.95), mentions(0.05)
	t.Logf("topic words per answer: relevance 0.95: %.2f, 0.05: %.2f", high, low)
	if high < 2*low {
		t.Errorf("relevant answers mention topic words %.2f times, irrelevant %.2f", high, low)
	}
}

func TestAnswerLayoutFollowsClarity(t *testing.T) {
	w := &writer{r: newRNG(5, 6)}
	s := newSubject(w.r)
	clear := answerHTML(t, w, &s, Quality{Relevance: 0.9, Correctness: 0.9, Clarity: 0.95})
	if !strings.Contains(clear, "<pre><code>") || strings.Count(clear, "<p>") < 2 {
		t.Errorf("clear answer lacks paragraphs or code:\n%s", clear)
	}
	for range 20 {
		murky := answerHTML(t, w, &s, Quality{Relevance: 0.9, Correctness: 0.9, Clarity: 0.05})
		if strings.Contains(murky, "<pre>") || strings.Count(murky, "<p>") != 1 {
			t.Fatalf("unclear answer is well laid out:\n%s", murky)
		}
	}
}

func TestBodiesAreValidEscapedHTML(t *testing.T) {
	w := &writer{r: newRNG(7, 8)}
	for range 100 {
		s := newSubject(w.r)
		for _, body := range [][]byte{
			w.question(nil, &s), w.answer(nil, &s, QualityOf(1, w.r.Int64())),
			w.tagWiki(nil, &s), w.tagExcerpt(nil, &s), w.title(nil, &s),
		} {
			if bytes.ContainsAny(body, "<>\"\n\r\t") {
				t.Fatalf("unescaped markup in %s", body)
			}
			html := unescape(t, body)
			if strings.Count(html, "<p>") != strings.Count(html, "</p>") || strings.Count(html, "<code>") != strings.Count(html, "</code>") {
				t.Fatalf("unbalanced HTML: %s", html)
			}
		}
	}
}

func TestQualityOf(t *testing.T) {
	correct := 0
	for id := range int64(10000) {
		q := QualityOf(9, id)
		if q != QualityOf(9, id) {
			t.Fatal("QualityOf is not a function of (seed, id)")
		}
		for _, v := range []float64{q.Relevance, q.Correctness, q.Clarity, q.VoteSignal()} {
			if v < 0 || v > 1 {
				t.Fatalf("quality %+v out of range", q)
			}
		}
		if q.Correct() {
			correct++
		}
	}
	if correct < 4000 || correct > 6000 {
		t.Errorf("%d of 10000 answers correct", correct)
	}
	if QualityOf(1, 5) == QualityOf(2, 5) {
		t.Error("QualityOf ignores the seed")
	}
}

func TestAppendDate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	end := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, ms := range append([]int64{0, 951782400000, 4107542399999}, func() (ms []int64) {
		for range 10000 {
			ms = append(ms, r.Int64N(end))
		}
		return ms
	}()...) {
		want := time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000")
		if got := string(appendDate(nil, ms)); got != want {
			t.Fatalf("appendDate(%d) = %s, want %s", ms, got, want)
		}
	}
}
