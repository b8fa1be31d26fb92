package schemas

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// RankingSchema is the version of the Ranking record.
const RankingSchema = "ranking/v1"

// RankingRecipe and RankingBasis label the pairs a ranking implies (see Ranking.Pairs).
const (
	RankingRecipe = "ranking/v1"
	RankingBasis  = "human"
)

// Ranking is one human judgement: for Prompt, the k Responses ordered best first by Order.
type Ranking struct {
	// RankingID is deterministic: the id the input gave, or a hash of the content (RankingID).
	RankingID string `parquet:"ranking_id"`
	// Source names where the rankings came from: "synthetic", "hh-rlhf", a file's base name.
	Source string `parquet:"source,dict"`
	// Prompt may be empty (a response judged on its own); responses may not.
	Prompt    string   `parquet:"prompt"`
	Responses []string `parquet:"responses,list"`
	// Order holds indices into Responses, best first: a permutation of 0..k-1.
	Order []int32 `parquet:"order,list"`
	// Scores, when the input gave them, has one score per response (higher is better); responses
	// with equal scores are tied and give no pair. Empty when the input gave only an order.
	Scores []float64 `parquet:"scores,list"`
	// Annotator and CreatedUnix are who made the judgement and when (0: unknown), as given.
	Annotator   string `parquet:"annotator,dict"`
	CreatedUnix int64  `parquet:"created_unix"`
	// Split is train or test by a hash of the prompt (SplitOfRanking).
	Split string `parquet:"split,dict"`
	// Lineage: the input file, the byte offset of the record in it (uncompressed), when it was
	// ingested.
	SourceFile   string `parquet:"source_file,dict"`
	Offset       int64  `parquet:"offset"`
	IngestedUnix int64  `parquet:"ingested_unix"`
}

// RankingFreeText are the Parquet columns of a Ranking that hold free text.
var RankingFreeText = []string{"prompt", "responses.list.element"}

// RankingID hashes what a ranking says: the prompt, the responses in input order, the order and
// the annotator. Two files holding the same judgement give it the same id; two annotators
// ranking the same responses give two ids.
func RankingID(prompt string, responses []string, order []int32, annotator string) string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(prompt)
	binary.LittleEndian.PutUint64(n[:], uint64(len(responses)))
	h.Write(n[:])
	for _, r := range responses {
		field(r)
	}
	for _, o := range order {
		binary.LittleEndian.PutUint32(n[:4], uint32(o))
		h.Write(n[:4])
	}
	field(annotator)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SplitOfRanking assigns a ranking to train or test by its prompt (by its id when the prompt is
// empty), so that every ranking of one prompt lands in the same split whatever its source.
func SplitOfRanking(prompt, id string) string {
	if prompt == "" {
		return SplitOf("ranking", "id", id)
	}
	return SplitOf("ranking", "prompt", prompt)
}

// Validate reports the first reason the ranking cannot be used: fewer than two responses, an
// empty response, two identical responses, an order that is not a permutation of 0..k-1
// (an index out of range, duplicated or missing), or scores that do not match.
func (r *Ranking) Validate() error {
	k := len(r.Responses)
	if k < 2 {
		return fmt.Errorf("schemas: ranking needs at least 2 responses, has %d", k)
	}
	seen := make(map[string]int, k)
	for i, text := range r.Responses {
		if strings.TrimSpace(text) == "" {
			return fmt.Errorf("schemas: response %d is empty", i)
		}
		if j, dup := seen[text]; dup {
			return fmt.Errorf("schemas: responses %d and %d are identical", j, i)
		}
		seen[text] = i
	}
	placed := make([]bool, k)
	for pos, idx := range r.Order {
		if idx < 0 || int(idx) >= k {
			return fmt.Errorf("schemas: order[%d] = %d is out of range [0,%d)", pos, idx, k)
		}
		if placed[idx] {
			return fmt.Errorf("schemas: response %d appears twice in the order", idx)
		}
		placed[idx] = true
	}
	for idx, ok := range placed {
		if !ok {
			return fmt.Errorf("schemas: response %d is missing from the order (%d of %d ranked)", idx, len(r.Order), k)
		}
	}
	if len(r.Scores) == 0 {
		return nil
	}
	if len(r.Scores) != k {
		return fmt.Errorf("schemas: %d scores for %d responses", len(r.Scores), k)
	}
	for i, s := range r.Scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("schemas: score %d is %v", i, s)
		}
	}
	for pos := 1; pos < k; pos++ {
		if better, worse := r.Order[pos-1], r.Order[pos]; r.Scores[better] < r.Scores[worse] {
			return fmt.Errorf("schemas: order puts response %d (score %v) above response %d (score %v)",
				better, r.Scores[better], worse, r.Scores[worse])
		}
	}
	return nil
}

// Comparisons returns the (better, worse) response index pairs the ranking implies, best pairs
// first: k(k-1)/2 of them, fewer when scores tie. The ranking must be valid.
func (r *Ranking) Comparisons() [][2]int {
	k := len(r.Order)
	out := make([][2]int, 0, k*(k-1)/2)
	for i := 0; i < k; i++ {
		for j := i + 1; j < k; j++ {
			better, worse := r.Order[i], r.Order[j]
			if len(r.Scores) == k && r.Scores[better] == r.Scores[worse] {
				continue
			}
			out = append(out, [2]int{int(better), int(worse)})
		}
	}
	return out
}

// Pairs turns the ranking into preference pairs, one per comparison, so that a trainer can read
// rankings the way it reads proxy pairs. A pair's scores are the responses' scores when given,
// otherwise minus their rank (best = 0); the thread is the ranking, so pairs share its split.
func (r *Ranking) Pairs() ([]Pair, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	score := make([]float64, len(r.Responses))
	for rank, idx := range r.Order {
		score[idx] = -float64(rank)
	}
	if len(r.Scores) == len(r.Responses) {
		copy(score, r.Scores)
	}
	comps := r.Comparisons()
	pairs := make([]Pair, len(comps))
	for n, c := range comps {
		chosen, rejected := strconv.Itoa(c[0]), strconv.Itoa(c[1])
		pairs[n] = Pair{
			PairID: PairID(r.Source, "rankings", r.RankingID, chosen, rejected), Source: r.Source, Dump: "rankings",
			ThreadID: r.RankingID, ChosenID: chosen, RejectedID: rejected,
			Prompt: r.Prompt, Chosen: r.Responses[c[0]], Rejected: r.Responses[c[1]],
			ChosenScore: score[c[0]], RejectedScore: score[c[1]], Margin: score[c[0]] - score[c[1]],
			Split: r.Split, Recipe: RankingRecipe, Basis: RankingBasis,
		}
	}
	return pairs, nil
}

// Size is a cheap estimate of the record's encoded size in bytes.
func (r *Ranking) Size() int {
	n := 96 + len(r.RankingID) + len(r.Source) + len(r.Prompt) + len(r.Annotator) + len(r.Split) + len(r.SourceFile) +
		8*len(r.Order) + 8*len(r.Scores)
	for _, s := range r.Responses {
		n += 4 + len(s)
	}
	return n
}

// RankingCodec encodes and decodes Rankings as Arrow IPC batches.
var RankingCodec = NewCodec(RankingSchema,
	StringColumn("ranking_id", func(r *Ranking) *string { return &r.RankingID }),
	StringColumn("source", func(r *Ranking) *string { return &r.Source }),
	StringColumn("prompt", func(r *Ranking) *string { return &r.Prompt }),
	StringListColumn("responses", func(r *Ranking) *[]string { return &r.Responses }),
	Int32ListColumn("order", func(r *Ranking) *[]int32 { return &r.Order }),
	Float64ListColumn("scores", func(r *Ranking) *[]float64 { return &r.Scores }),
	StringColumn("annotator", func(r *Ranking) *string { return &r.Annotator }),
	Int64Column("created_unix", func(r *Ranking) *int64 { return &r.CreatedUnix }),
	StringColumn("split", func(r *Ranking) *string { return &r.Split }),
	StringColumn("source_file", func(r *Ranking) *string { return &r.SourceFile }),
	Int64Column("offset", func(r *Ranking) *int64 { return &r.Offset }),
	Int64Column("ingested_unix", func(r *Ranking) *int64 { return &r.IngestedUnix }),
)
