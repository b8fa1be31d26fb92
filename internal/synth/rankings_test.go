package synth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRankingsCriterion measures how the hidden human order relates to the vote-driving quality:
// related (a vote-trained model starts well above chance) but not the same (fine-tuning on the
// rankings has much to add), and learnable from the text (without its noise the criterion itself
// agrees far more).
func TestRankingsCriterion(t *testing.T) {
	if w := humanRelevance + humanCorrectness + humanClarity; math.Abs(w-1) > 1e-9 {
		t.Fatalf("criterion weights sum to %v, want 1 like VoteSignal's", w)
	}
	g := newRankingsGenerator(RankingsOptions{K: 4, Seed: 11})
	var votes, clean, length, pairs int
	for range 3000 {
		gr := g.ranking()
		mean := 0.0
		for _, r := range gr.responses {
			mean += float64(len(r))
		}
		mean /= float64(len(gr.responses))
		a, n := gr.agreement(func(j int) float64 { return gr.quality[j].VoteSignal() })
		votes += a
		pairs += n
		a, _ = gr.agreement(func(j int) float64 { return HumanScore(gr.quality[j], float64(len(gr.responses[j]))/mean) })
		clean += a
		a, _ = gr.agreement(func(j int) float64 { return -float64(len(gr.responses[j])) })
		length += a
	}
	voteRate, cleanRate, lengthRate := float64(votes)/float64(pairs), float64(clean)/float64(pairs), float64(length)/float64(pairs)
	t.Logf("pairs %d: votes agree %.3f, the noiseless criterion %.3f, shorter-is-better %.3f", pairs, voteRate, cleanRate, lengthRate)
	if voteRate < 0.65 || voteRate > 0.85 {
		t.Errorf("the vote signal agrees with the raters on %.3f of pairs, want 0.65-0.85", voteRate)
	}
	if cleanRate < 0.90 {
		t.Errorf("the noiseless criterion agrees on %.3f of pairs, want >= 0.90 (rater noise too large)", cleanRate)
	}
	if cleanRate-voteRate < 0.10 {
		t.Errorf("fine-tuning headroom %.3f, want >= 0.10", cleanRate-voteRate)
	}
	if lengthRate < 0.35 || lengthRate > 0.65 {
		t.Errorf("length alone predicts %.3f of pairs: the criterion is mostly length", lengthRate)
	}
}

func TestHumanScoreTerms(t *testing.T) {
	base := Quality{Relevance: 0.5, Correctness: 0.6, Clarity: 0.5}
	tests := []struct {
		name   string
		q      Quality
		length float64
		delta  float64 // HumanScore(q, length) - HumanScore(base, 1)
	}{
		{"same", base, 1, 0},
		{"clearer", Quality{0.5, 0.6, 0.6}, 1, 0.1 * humanClarity},
		{"more relevant", Quality{0.6, 0.6, 0.5}, 1, 0.1 * humanRelevance},
		{"longer", base, 1.5, -0.5 * humanLengthPenalty},
		{"shorter", base, 0.5, 0.5 * humanLengthPenalty},
		{"hedged wrong", Quality{0.5, 0.4, 0.5}, 1, -0.2*humanCorrectness + humanHedgedWrong},
		{"confidently wrong", Quality{0.5, 0.1, 0.5}, 1, -0.5*humanCorrectness + humanConfidentWrong},
	}
	for _, tt := range tests {
		if got := HumanScore(tt.q, tt.length) - HumanScore(base, 1); math.Abs(got-tt.delta) > 1e-9 {
			t.Errorf("%s: score moves by %v, want %v", tt.name, got, tt.delta)
		}
	}
	// Raters prefer an honest hedge to a confident mistake that votes score higher.
	hedged, confident := Quality{0.5, 0.3, 0.5}, Quality{0.5, 0.2, 0.5}
	if HumanScore(hedged, 1) <= HumanScore(confident, 1) {
		t.Error("a hedged wrong answer must beat a confidently wrong one")
	}
}

func TestRankingsJSONL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.jsonl")
	st, err := Rankings(path, RankingsOptions{N: 200, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rankings != 200 || st.Lines != 200 || st.Pairs != 200*6 || st.File != path {
		t.Fatalf("stats %+v", st)
	}
	if st.Agreement < 0.6 || st.Agreement > 0.85 {
		t.Fatalf("agreement %.3f", st.Agreement)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != st.Bytes {
		t.Fatalf("file has %d bytes, stats say %d", len(data), st.Bytes)
	}
	ids := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var rec jsonlRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if rec.Prompt == "" || len(rec.Responses) != 4 || rec.Annotator == "" || rec.Created == "" || ids[rec.ID] {
			t.Fatalf("line %d: %+v", n, rec)
		}
		ids[rec.ID] = true
		order := slices.Clone(rec.Ranking)
		slices.Sort(order)
		if !slices.Equal(order, []int{0, 1, 2, 3}) {
			t.Fatalf("line %d: ranking %v is not a permutation", n, rec.Ranking)
		}
		seen := map[string]bool{}
		for _, text := range append([]string{rec.Prompt}, rec.Responses...) {
			if strings.TrimSpace(text) == "" || seen[text] {
				t.Fatalf("line %d: empty or repeated text %q", n, text)
			}
			seen[text] = true
			for _, prose := range strings.Split(text, "\n") {
				if strings.HasPrefix(prose, "    ") {
					continue // code, which may be HTML itself
				}
				for _, markup := range []string{"<p>", "</p>", "<pre>", "</code>", "<strong>", "<a href", "&amp;", "&quot;", "&lt;", "&#x"} {
					if strings.Contains(prose, markup) {
						t.Fatalf("line %d: text keeps markup %q: %q", n, markup, text)
					}
				}
			}
		}
	}
	if n != 200 {
		t.Fatalf("%d lines", n)
	}
	// Deterministic by seed; another seed gives other rankings.
	again := filepath.Join(dir, "again.jsonl")
	if _, err := Rankings(again, RankingsOptions{N: 200, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(again); !bytes.Equal(b, data) {
		t.Fatal("the same options gave different bytes")
	}
	other := filepath.Join(dir, "other.jsonl")
	if _, err := Rankings(other, RankingsOptions{N: 200, Seed: 6}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(other); bytes.Equal(b, data) {
		t.Fatal("another seed gave the same bytes")
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
}

func TestRankingsHH(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hh.jsonl")
	st, err := Rankings(path, RankingsOptions{N: 30, K: 3, Seed: 2, Format: RankingsHH})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rankings != 30 || st.Lines != 30*3 || st.Pairs != 30*3 {
		t.Fatalf("stats %+v", st)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var rec hhRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		cut := strings.LastIndex(rec.Chosen, "\n\nAssistant: ")
		if !strings.HasPrefix(rec.Chosen, "\n\nHuman: ") || cut < 0 || !strings.HasPrefix(rec.Rejected, rec.Chosen[:cut+len("\n\nAssistant: ")]) ||
			rec.Chosen == rec.Rejected || strings.Count(rec.Chosen, "\n\nHuman:") != 1 {
			t.Fatalf("line %d is not a one-turn HH-RLHF comparison: %+v", n, rec)
		}
	}
}

func TestRankingsOptionErrors(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []RankingsOptions{{K: 1}, {K: 17}, {N: -1}, {Format: "csv"}} {
		if _, err := Rankings(filepath.Join(dir, "x"), o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := Rankings(filepath.Join(dir, "missing", "x.jsonl"), RankingsOptions{N: 1}); err == nil {
		t.Error("writing into a missing directory must fail")
	}
}

func TestBodyText(t *testing.T) {
	in := attr(`<p>Use <code>a &amp; b</code>, see <a href="https://x.example/?a=1&amp;b=2">the docs</a>.</p>` + "\n\n" +
		"<pre><code>if a &lt; b:\n    pass\n</code></pre>\n<p><strong>Note:</strong> done &ndash; ok</p>\n")
	want := "Use `a & b`, see the docs (https://x.example/?a=1&b=2).\n\n    if a < b:\n        pass\nNote: done – ok"
	if got := bodyText([]byte(in)); got != want {
		t.Fatalf("bodyText:\n got %q\nwant %q", got, want)
	}
}
