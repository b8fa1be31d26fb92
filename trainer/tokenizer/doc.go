// Package tokenizer is the byte-level BPE tokenizer of the preference-model
// trainer: trained on a sample of the lake's text, deterministic, an exact
// round trip on any bytes, versioned and stored with the models.
//
// # Ids
//
// Ids 0..255 are the raw bytes, then four special tokens in a fixed order
// (EndOfContext=256, Good=257, Bad=258, Pad=259), then one id per merge:
// merge i (its rank) creates id FirstMerge+i from two earlier ids. Encode
// never emits a special token: the text "<|good|>" is eight byte-level
// tokens like any other text; callers append specials to the ids themselves.
//
// # Pre-tokenization
//
// Merges never cross word boundaries. Text is cut, left to right, into
// words in the style of GPT-2, without regular expressions:
//
//   - an optional single leading space followed by a run of letters, or of
//     digits, or of other non-space characters (punctuation, symbols,
//     invalid UTF-8 bytes);
//   - a run of whitespace, except that a final space directly followed by
//     a non-space is left to start the next word (so "a  b" is "a", " ",
//     " b").
//
// Classes are Unicode-aware (letters and combining marks are letters,
// Unicode numbers are digits, Unicode spaces are whitespace); a byte that
// is not valid UTF-8 is "other". A word is cut after MaxWordBytes bytes (on
// a rune boundary), which bounds token length and encoding cost. There are
// no special cases for English contractions: "don't" is "don", "'", "t".
//
// # Training and encoding
//
// Train counts word frequencies, then repeatedly merges the most frequent
// adjacent pair (ties: the smallest (left, right) pair of ids), updating
// pair counts incrementally from an index pair -> words containing it.
// Inside a word, a merge replaces the non-overlapping occurrences of the
// pair from left to right. Encode applies the same merges by rank within
// each word, so a training word encodes exactly as training merged it.
//
// # Serialized form (MarshalBinary, WriteTo)
//
//	"prefstream-bpe/v1\n"                 18 bytes, the format name
//	vocab                                 uint32, little endian
//	vocab-260 merges                      two uint32 (left, right) each
//	CRC-32C of all the bytes above        uint32
//
// The form is canonical (a Tokenizer has exactly one), and Version is the
// first 16 hex digits of its SHA-256.
package tokenizer
