package schemas

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
)

// PairSchema is the version of the Pair record.
const PairSchema = "pair/v2"

// Splits.
const (
	SplitTrain = "train"
	SplitTest  = "test"
)

// TestPercent is the share of threads, by hash of their key, that go to the test split.
const TestPercent = 10

// Pair is one preference: for Prompt, Chosen was preferred over Rejected.
type Pair struct {
	PairID        string  `parquet:"pair_id"`
	Source        string  `parquet:"source,dict"`
	Dump          string  `parquet:"dump,dict"`
	ThreadID      string  `parquet:"thread_id"`
	ChosenID      string  `parquet:"chosen_id"`
	RejectedID    string  `parquet:"rejected_id"`
	Prompt        string  `parquet:"prompt,dict"`
	Chosen        string  `parquet:"chosen,dict"`
	Rejected      string  `parquet:"rejected,dict"`
	ChosenScore   float64 `parquet:"chosen_score"`
	RejectedScore float64 `parquet:"rejected_score"`
	Margin        float64 `parquet:"margin"`
	Split         string  `parquet:"split,dict"`
	// Recipe names the pairing preset and its version, e.g. "askell/v1".
	Recipe string `parquet:"recipe,dict"`
	// Basis says what the scores were computed from, e.g. "votes" or "score".
	Basis string `parquet:"basis,dict"`
}

// PairFreeText are the Parquet columns of a Pair that hold free text.
var PairFreeText = []string{"prompt", "chosen", "rejected"}

// PairID is the deterministic identity of a pair: the same inputs always give the same id.
func PairID(source, dump, thread, chosenID, rejectedID string) string {
	h := sha256.New()
	for _, part := range []string{source, dump, thread, chosenID, rejectedID} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// SplitOf assigns a thread to the train or test split by a hash of its key, so that all pairs of
// one thread land in the same split and no thread leaks between them.
func SplitOf(source, dump, thread string) string {
	h := fnv.New64a()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(dump))
	h.Write([]byte{0})
	h.Write([]byte(thread))
	if h.Sum64()%100 < TestPercent {
		return SplitTest
	}
	return SplitTrain
}

// Size is a cheap estimate of the record's encoded size in bytes.
func (p *Pair) Size() int {
	return 64 + len(p.PairID) + len(p.Source) + len(p.Dump) + len(p.ThreadID) + len(p.ChosenID) +
		len(p.RejectedID) + len(p.Prompt) + len(p.Chosen) + len(p.Rejected) + len(p.Split) + len(p.Recipe) + len(p.Basis)
}

// PairCodec encodes and decodes Pairs as Arrow IPC batches.
var PairCodec = NewCodec(PairSchema,
	StringColumn("pair_id", func(p *Pair) *string { return &p.PairID }),
	StringColumn("source", func(p *Pair) *string { return &p.Source }),
	StringColumn("dump", func(p *Pair) *string { return &p.Dump }),
	StringColumn("thread_id", func(p *Pair) *string { return &p.ThreadID }),
	StringColumn("chosen_id", func(p *Pair) *string { return &p.ChosenID }),
	StringColumn("rejected_id", func(p *Pair) *string { return &p.RejectedID }),
	DictStringColumn("prompt", func(p *Pair) *string { return &p.Prompt }),
	DictStringColumn("chosen", func(p *Pair) *string { return &p.Chosen }),
	DictStringColumn("rejected", func(p *Pair) *string { return &p.Rejected }),
	Float64Column("chosen_score", func(p *Pair) *float64 { return &p.ChosenScore }),
	Float64Column("rejected_score", func(p *Pair) *float64 { return &p.RejectedScore }),
	Float64Column("margin", func(p *Pair) *float64 { return &p.Margin }),
	StringColumn("split", func(p *Pair) *string { return &p.Split }),
	StringColumn("recipe", func(p *Pair) *string { return &p.Recipe }),
	StringColumn("basis", func(p *Pair) *string { return &p.Basis }),
)
