package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/prefstream/prefstream/featurize"
)

const (
	realReddit    = "../../../shared/fixtures/real/reddit"
	realWikipedia = "../../../shared/fixtures/real/wikipedia"
)

func needFixture(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("real sample %s not found (it lives in ../shared beside the checkout): %v", path, err)
	}
}

func recipesWith(t *testing.T, presets ...string) map[string]featurize.Recipe {
	t.Helper()
	recipes, err := (&recipeFlags{presets: presets, minScoreDiff: 1}).recipes()
	if err != nil {
		t.Fatal(err)
	}
	return recipes
}

// TestPipelineRealReddit runs the real December 2005 comments (a zstd frame with a 2 GiB
// window) through the pipeline with the siblings preset and checks the pair count against the
// preset computed here with encoding/json.
func TestPipelineRealReddit(t *testing.T) {
	path := filepath.Join(realReddit, "RC_2005-12.zst")
	needFixture(t, path)
	lakeDir := filepath.Join(t.TempDir(), "lake")
	ctx := testContext(t)
	sum, err := runPipeline(ctx, testGlobals(t), []input{{"reddit", path}}, pipelineOptions{lake: lakeDir, recipes: recipesWith(t, "reddit=siblings"), workers: 2, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	want := independentSiblings(t, path)
	pairs := readPairs(t, lakeDir)
	if sum.Documents["reddit"] != 1075 || len(pairs) != want || sum.Pairs["reddit"] != int64(want) || want == 0 {
		t.Fatalf("documents %d (want 1075), pairs %d (summary %d), independently computed %d", sum.Documents["reddit"], len(pairs), sum.Pairs["reddit"], want)
	}
	assertUniquePairs(t, pairs)
}

// independentSiblings: two comments replying to the same parent present in the input, scores
// differing by at least 1, neither body deleted or removed (nor the parent's).
func independentSiblings(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec, err := zstd.NewReader(f, zstd.WithDecoderMaxWindow(1<<31), zstd.WithDecoderLowmem(true))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	type comment struct {
		parent string
		score  float64
		gone   bool
	}
	comments := map[string]comment{}
	sc := bufio.NewScanner(dec)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		body, _ := m["body"].(string)
		score, _ := m["score"].(float64)
		parent, _ := m["parent_id"].(string)
		comments["t1_"+m["id"].(string)] = comment{parent: parent, score: score, gone: body == "[deleted]" || body == "[removed]"}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	children := map[string][]comment{}
	for _, c := range comments {
		if p, ok := comments[c.parent]; ok && !p.gone && !c.gone {
			children[c.parent] = append(children[c.parent], c)
		}
	}
	pairs := 0
	for _, kids := range children {
		for i := range kids {
			for j := i + 1; j < len(kids); j++ {
				if d := kids[i].score - kids[j].score; d >= 1 || d <= -1 {
					pairs++
				}
			}
		}
	}
	return pairs
}

// TestPipelineRealWikipedia runs the real simplewiki history sample (export 0.11) and checks
// the pairs against the reverts rule computed here with encoding/xml and crypto/sha1.
func TestPipelineRealWikipedia(t *testing.T) {
	path := filepath.Join(realWikipedia, "simplewiki-history-sample-export-0.11.xml")
	needFixture(t, path)
	lakeDir := filepath.Join(t.TempDir(), "lake")
	sum, err := runPipeline(testContext(t), testGlobals(t), []input{{"wikipedia", path}}, pipelineOptions{lake: lakeDir, recipes: defaultRecipes(t), workers: 2, quiet: true, ingest: ingestOptions{namespaces: "all"}})
	if err != nil {
		t.Fatal(err)
	}
	reverts, want := independentReverts(t, path)
	pairs := readPairs(t, lakeDir)
	if reverts != 9 || len(pairs) != want || sum.Pairs["wikipedia"] != int64(want) || want == 0 {
		t.Fatalf("%d reverts (the sample has 9), %d pairs committed (summary %d), independently computed %d", reverts, len(pairs), sum.Pairs["wikipedia"], want)
	}
	assertUniquePairs(t, pairs)
	for _, p := range pairs {
		if p.Chosen == p.Rejected || p.Prompt == "" {
			t.Fatalf("bad pair %+v", p)
		}
	}
}

// independentReverts counts reverting revisions (text hash equal to revision j in k-15..k-2
// and different from k-1; deleted texts have no hash) and those that give a pair (revision
// k-1's text is not deleted).
func independentReverts(t *testing.T, path string) (reverts, pairs int) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type revision struct {
		Text struct {
			Deleted string `xml:"deleted,attr"`
			Body    string `xml:",chardata"`
		} `xml:"text"`
		SHA1 string `xml:"sha1"`
	}
	dec := xml.NewDecoder(f)
	var hashes []string
	flush := func() {
		for k := range hashes {
			if hashes[k] == "" || k < 2 || hashes[k] == hashes[k-1] {
				continue
			}
			for j := max(0, k-15); j <= k-2; j++ {
				if hashes[j] == hashes[k] {
					reverts++
					if hashes[k-1] != "" {
						pairs++
					}
					break
				}
			}
		}
		hashes = hashes[:0]
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "page":
			flush()
		case "revision":
			var r revision
			if err := dec.DecodeElement(&r, &se); err != nil {
				t.Fatal(err)
			}
			h := strings.TrimSpace(r.SHA1)
			if r.Text.Deleted != "" {
				h = ""
			} else if h == "" {
				sum := sha1.Sum([]byte(r.Text.Body))
				h = new(big.Int).SetBytes(sum[:]).Text(36)
				h = strings.Repeat("0", max(0, 31-len(h))) + h // MediaWiki pads to 31 digits
			}
			hashes = append(hashes, h)
		}
	}
	flush()
	return reverts, pairs
}
