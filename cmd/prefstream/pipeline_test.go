package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/featurize"
	"github.com/prefstream/prefstream/internal/bus"
	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/internal/synth"
	"github.com/prefstream/prefstream/schemas"
)

const realStackExchange = "../../../shared/fixtures/real/stackexchange"

func testGlobals(t *testing.T) *globals {
	t.Helper()
	return &globals{bus: bus.Config{DataDir: filepath.Join(t.TempDir(), "data")}, log: zap.NewNop()}
}

func defaultRecipes(t *testing.T) map[string]featurize.Recipe {
	t.Helper()
	recipes, err := (&recipeFlags{}).recipes()
	if err != nil {
		t.Fatal(err)
	}
	return recipes
}

func runTestPipeline(t *testing.T, g *globals, lakeDir string, inputs ...input) *Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sum, err := runPipeline(ctx, g, inputs, pipelineOptions{lake: lakeDir, recipes: defaultRecipes(t), workers: 2, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func readPairs(t *testing.T, lakeDir string) []schemas.Pair {
	t.Helper()
	var pairs []schemas.Pair
	err := lake.Scan(filepath.Join(lakeDir, "pairs"), func(_ string, rows []schemas.Pair) error {
		pairs = append(pairs, rows...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pairs
}

// TestPipelineRealStackExchange runs the real sample through the pipeline and checks the pair
// count against the askell recipe computed here independently, with encoding/xml.
func TestPipelineRealStackExchange(t *testing.T) {
	if _, err := os.Stat(filepath.Join(realStackExchange, "Posts.xml")); err != nil {
		t.Skipf("real Stack Exchange sample not found at %s (it lives in ../shared beside the checkout): %v", realStackExchange, err)
	}
	site := filepath.Join(t.TempDir(), "ai.meta.stackexchange.com")
	copyDir(t, realStackExchange, site, "Posts.xml", "Votes.xml")
	lakeDir := filepath.Join(t.TempDir(), "lake")
	sum := runTestPipeline(t, testGlobals(t), lakeDir, input{"stackexchange", site})

	want := independentAskellPairs(t, filepath.Join(site, "Posts.xml"), filepath.Join(site, "Votes.xml"))
	pairs := readPairs(t, lakeDir)
	if len(pairs) != want || sum.Pairs["stackexchange"] != int64(want) {
		t.Fatalf("pipeline committed %d pairs (summary %d), the recipe computed independently gives %d", len(pairs), sum.Pairs["stackexchange"], want)
	}
	if sum.Documents["stackexchange"] == 0 || want == 0 {
		t.Fatalf("nothing went through: %+v", sum)
	}
	assertUniquePairs(t, pairs)
	for _, p := range pairs {
		if p.ChosenScore <= p.RejectedScore || p.Basis != "votes" || strings.Contains(p.Chosen, "<p>") || p.Prompt == "" {
			t.Fatalf("bad pair %+v", p)
		}
	}
}

// xmlRow is a Posts.xml or Votes.xml row as encoding/xml reads it.
type xmlRow struct {
	ID               string `xml:"Id,attr"`
	PostTypeID       string `xml:"PostTypeId,attr"`
	ParentID         string `xml:"ParentId,attr"`
	AcceptedAnswerID string `xml:"AcceptedAnswerId,attr"`
	Score            string `xml:"Score,attr"`
	OwnerUserID      string `xml:"OwnerUserId,attr"`
	Body             string `xml:"Body,attr"`
	DeletionDate     string `xml:"DeletionDate,attr"`
	PostID           string `xml:"PostId,attr"`
	VoteTypeID       string `xml:"VoteTypeId,attr"`
}

func xmlRows(t *testing.T, path string) []xmlRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []xmlRow
	dec := xml.NewDecoder(f)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "row" {
			var r xmlRow
			if err := dec.DecodeElement(&r, &se); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
	}
}

// independentAskellPairs applies recipes.md's askell rules with nothing of prefstream's.
func independentAskellPairs(t *testing.T, postsPath, votesPath string) int {
	upvotes := map[string]int{}
	for _, v := range xmlRows(t, votesPath) {
		if v.VoteTypeID == "2" {
			upvotes[v.PostID]++
		}
	}
	accepted := map[string]string{}
	questions := map[string]bool{}
	answers := map[string][]int{}
	rows := xmlRows(t, postsPath)
	for _, r := range rows {
		if r.PostTypeID == "1" {
			questions[r.ID] = true
			accepted[r.ID] = r.AcceptedAnswerID
		}
	}
	for _, r := range rows {
		if r.PostTypeID != "2" || r.DeletionDate != "" || strings.TrimSpace(r.Body) == "" || !questions[r.ParentID] {
			continue
		}
		if len(r.ID) >= 10 && r.OwnerUserID == "-1" { // fabricated rows
			continue
		}
		var score, net int
		fmt.Sscan(r.Score, &net)
		if net < 0 {
			score = -1
		} else {
			score = int(math.Round(math.Log2(1 + float64(upvotes[r.ID]))))
			if accepted[r.ParentID] == r.ID {
				score++
			}
		}
		answers[r.ParentID] = append(answers[r.ParentID], score)
	}
	pairs := 0
	for _, scores := range answers {
		if len(scores) < 2 {
			continue
		}
		for i := range scores {
			for j := i + 1; j < len(scores); j++ {
				if scores[i] != scores[j] {
					pairs++
				}
			}
		}
	}
	return pairs
}

func copyDir(t *testing.T, from, to string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(from, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func assertUniquePairs(t *testing.T, pairs []schemas.Pair) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range pairs {
		if seen[p.PairID] {
			t.Fatalf("pair %s committed twice", p.PairID)
		}
		seen[p.PairID] = true
	}
}

func generateSite(t *testing.T, dir string, questions int, sevenZip bool) string {
	t.Helper()
	o := synth.DefaultOptions()
	o.Questions, o.Seed, o.SevenZip = questions, 7, sevenZip
	if _, err := synth.StackExchange(dir, o); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, o.Site)
}

// TestPipelineGeneratedSiteAnd7z runs a generated site through the pipeline from its folder and
// from its .7z: both give the same pairs, and every answer pair is there.
func TestPipelineGeneratedSiteAnd7z(t *testing.T) {
	dumps := t.TempDir()
	_, err := exec.LookPath("7z")
	with7z := err == nil
	site := generateSite(t, dumps, 1500, with7z)
	lakeDir := filepath.Join(t.TempDir(), "lake")
	docsBefore, pairsBefore := seriesValue(t, "prefstream_ingest_documents_total", "stackexchange"),
		seriesValue(t, "prefstream_featurize_pairs_total", "stackexchange")
	sum := runTestPipeline(t, testGlobals(t), lakeDir, input{"stackexchange", site})
	// The Prometheus series count what the summary counts.
	if docs := seriesValue(t, "prefstream_ingest_documents_total", "stackexchange") - docsBefore; docs != float64(sum.Documents["stackexchange"]) {
		t.Errorf("prefstream_ingest_documents_total rose by %v, the summary counts %d documents", docs, sum.Documents["stackexchange"])
	}
	if n := seriesValue(t, "prefstream_featurize_pairs_total", "stackexchange") - pairsBefore; n != float64(sum.Pairs["stackexchange"]) {
		t.Errorf("prefstream_featurize_pairs_total rose by %v, the summary counts %d pairs", n, sum.Pairs["stackexchange"])
	}
	pairs := readPairs(t, lakeDir)
	want := independentAskellPairs(t, filepath.Join(site, "Posts.xml"), filepath.Join(site, "Votes.xml"))
	if len(pairs) != want || sum.Pairs["stackexchange"] != int64(want) {
		t.Fatalf("folder: %d pairs committed (summary %d), want %d", len(pairs), sum.Pairs["stackexchange"], want)
	}
	assertUniquePairs(t, pairs)
	test := 0
	for _, p := range pairs {
		if p.Split == schemas.SplitTest {
			test++
		}
	}
	if test == 0 || test == len(pairs) {
		t.Fatalf("split: %d of %d pairs in test", test, len(pairs))
	}
	if !with7z {
		t.Skip("7z not on PATH (Debian p7zip-full): the .7z half of this test is skipped")
	}
	lake7z := filepath.Join(t.TempDir(), "lake")
	runTestPipeline(t, testGlobals(t), lake7z, input{"stackexchange", site + ".7z"})
	if got := pairIDs(readPairs(t, lake7z)); strings.Join(got, ",") != strings.Join(pairIDs(pairs), ",") {
		t.Fatalf(".7z gave %d pairs, the folder %d", len(got), len(pairs))
	}
}

// seriesValue is the value of the counter name{source="source"} in this process, 0 before it
// was first counted.
func seriesValue(t *testing.T, name, source string) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if f.GetName() == name && len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == source {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func pairIDs(pairs []schemas.Pair) []string {
	ids := make([]string, len(pairs))
	for i, p := range pairs {
		ids[i] = p.PairID
	}
	sort.Strings(ids)
	return ids
}

// TestPipelineKillAndResume kills the pipeline with SIGKILL twice (during ingest, then while
// pairs are being committed), runs it again on the same data dir and lake, and checks that the
// lake holds exactly the rows of an uninterrupted run, for each source.
func TestPipelineKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: kills and restarts the pipeline")
	}
	tests := []struct {
		name   string
		inputs func(t *testing.T, dir string) []string
	}{
		{"stackexchange", func(t *testing.T, dir string) []string {
			return []string{"stackexchange=" + generateSite(t, dir, 6000, false)}
		}},
		{"reddit", func(t *testing.T, dir string) []string {
			st, err := synth.Reddit(dir, synth.RedditOptions{Month: "2015-06", TargetBytes: 12 << 20, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			return inputsOf("reddit", st.Files)
		}},
		{"wikipedia", func(t *testing.T, dir string) []string {
			st, err := synth.Wikipedia(dir, synth.WikipediaOptions{TargetBytes: 24 << 20, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			return inputsOf("wikipedia", st.Files[:1])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inputs := tt.inputs(t, t.TempDir())
			want := pairRows(t, runChild(t, t.TempDir(), inputs, 0, nil))
			if len(want) == 0 {
				t.Fatal("the uninterrupted run committed no pair")
			}
			work := t.TempDir()
			killed := 0
			for i, when := range []func(string) bool{checkpointed, committedSome} {
				if runChild(t, work, inputs, 2*time.Minute, when) == "" {
					killed++
					t.Logf("kill %d: done; lake holds %d rows", i+1, lakeRows(work))
				}
			}
			got := pairRows(t, runChild(t, work, inputs, 0, nil))
			t.Logf("%d rows uninterrupted, %d after %d kills and a rerun", len(want), len(got), killed)
			if len(got) != len(want) {
				t.Fatalf("after kill and resume: %d rows, uninterrupted: %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d differs after kill and resume:\n got %.200s\nwant %.200s", i, got[i], want[i])
				}
			}
		})
	}
}

func checkpointed(work string) bool {
	entries, _ := filepath.Glob(filepath.Join(work, "data", "jetstream", "jetstream", "*", "streams", "KV_checkpoints", "msgs", "*.blk"))
	for _, e := range entries {
		if fi, err := os.Stat(e); err == nil && fi.Size() > 0 {
			return true
		}
	}
	return false
}

func lakeRows(work string) int64 {
	st, _ := lake.Stats(filepath.Join(work, "lake"))
	var n int64
	for _, s := range st {
		n += s.Rows
	}
	return n
}

func committedSome(work string) bool {
	st, err := lake.Stats(filepath.Join(work, "lake"))
	return err == nil && len(st) > 0 && st[0].Rows > 0
}

// runChild runs `prefstream pipeline` as a child process in work. With kill set, it sends
// SIGKILL as soon as kill(work) holds and returns ""; otherwise it returns the lake directory.
func runChild(t *testing.T, work string, inputs []string, limit time.Duration, kill func(string) bool) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	lakeDir := filepath.Join(work, "lake")
	args := append([]string{"pipeline", "--log-level", "warn", "--data-dir", filepath.Join(work, "data"),
		"--lake", lakeDir, "--checkpoint-bytes", "1000000", "--commit-messages", "2", "--namespaces", "all"}, inputs...)
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "PREFSTREAM_RUN_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if kill != nil {
		deadline := time.After(limit)
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("pipeline failed before the kill: %v\n%s", err, stderr.String())
				}
				return lakeDir
			case <-deadline:
				t.Fatal("kill condition never held")
			case <-time.After(5 * time.Millisecond):
			}
			if kill(work) {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				<-done
				return ""
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("pipeline: %v\n%s", err, stderr.String())
	}
	return lakeDir
}

// pairRows renders every committed pair as one sorted line per row.
func pairRows(t *testing.T, lakeDir string) []string {
	t.Helper()
	if lakeDir == "" {
		t.Fatal("no lake")
	}
	pairs := readPairs(t, lakeDir)
	assertUniquePairs(t, pairs)
	rows := make([]string, len(pairs))
	for i, p := range pairs {
		rows[i] = fmt.Sprintf("%+v", p)
	}
	sort.Strings(rows)
	return rows
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
