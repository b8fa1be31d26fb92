package reddit

import "github.com/prefstream/prefstream/schemas"

// Presets and their versions, recorded on every pair.
const (
	SHP      = "shp/v1"
	Siblings = "siblings/v1"
)

// Options are the recipe flags, with DefaultOptions' values by default.
type Options struct {
	MinScoreRatio   float64 // shp: chosen score / rejected score, at least
	MinPostScore    int64   // shp: the submission's score, at least
	MinCommentScore int64   // shp: each comment's score, at least
	MinScoreDiff    int64   // siblings: chosen score - rejected score, at least
	// MaxPairsPerThread keeps at most this many pairs of a thread, chosen by
	// a hash seeded with Seed; 0 keeps all.
	MaxPairsPerThread int
	Seed              uint64
}

// DefaultOptions are the recipe's defaults.
func DefaultOptions() Options {
	return Options{MinScoreRatio: 2, MinPostScore: 10, MinCommentScore: 2, MinScoreDiff: 1}
}

// Result is the pairs of one thread or, when there are none, why.
type Result struct {
	Pairs   []schemas.Pair
	Skipped string
}
