package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
)

// Special token ids, after the 256 byte ids.
const (
	EndOfContext int32 = 256
	Good         int32 = 257
	Bad          int32 = 258
	Pad          int32 = 259
)

const (
	// FirstMerge is the id of the first merged token.
	FirstMerge = 260
	// MinVocab and MaxVocab bound the vocabulary size given to Train.
	MinVocab = FirstMerge + 1
	MaxVocab = 1 << 20
	// maxTokenBytesTotal bounds the bytes of all merged tokens of a
	// decoded blob, so a crafted blob cannot make UnmarshalBinary allocate
	// hundreds of MB.
	maxTokenBytesTotal = 64 << 20
)

var specialNames = [...]string{"<|endofcontext|>", "<|good|>", "<|bad|>", "<|pad|>"}

// SpecialName returns the printed name of a special token id ("<|good|>"),
// or "" if id is not special.
func SpecialName(id int32) string {
	if id >= EndOfContext && id <= Pad {
		return specialNames[id-EndOfContext]
	}
	return ""
}

// Merge is one BPE merge: the adjacent tokens Left, Right become one.
type Merge struct{ Left, Right int32 }

// Tokenizer is a trained byte-level BPE vocabulary. Get one from Train,
// UnmarshalBinary or ReadFrom; the zero value is a byte-level tokenizer
// with no merges. Encode and Decode are safe for concurrent use;
// UnmarshalBinary and ReadFrom are not.
type Tokenizer struct {
	merges  []Merge
	ranks   map[uint64]int32 // pairKey(left, right) -> rank
	bytes   []byte           // bytes of the merged tokens, concatenated
	offsets []uint32         // merged token i is bytes[offsets[i]:offsets[i+1]]
	version string
	states  sync.Pool // *encodeState: word cache and scratch, one per goroutine at a time
}

func pairKey(left, right int32) uint64 { return uint64(uint32(left))<<32 | uint64(uint32(right)) }

// newTokenizer builds a tokenizer from merges, which must be valid.
func newTokenizer(merges []Merge) *Tokenizer {
	t := &Tokenizer{merges: merges, ranks: make(map[uint64]int32, len(merges))}
	t.offsets = make([]uint32, 1, len(merges)+1)
	for rank, m := range merges {
		t.ranks[pairKey(m.Left, m.Right)] = int32(rank)
		t.bytes = t.appendToken(t.bytes, m.Left)
		t.bytes = t.appendToken(t.bytes, m.Right)
		t.offsets = append(t.offsets, uint32(len(t.bytes)))
	}
	t.version = versionOf(t.marshal())
	return t
}

func versionOf(blob []byte) string {
	sum := sha256.Sum256(blob)
	return hex.EncodeToString(sum[:8])
}

// Vocab is the number of ids: 256 bytes, 4 specials and the merges. It is
// smaller than the vocab asked of Train when training ran out of pairs.
func (t *Tokenizer) Vocab() int { return FirstMerge + len(t.merges) }

// Version identifies the tokenizer: the first 16 hex digits of the SHA-256
// of its serialized form.
func (t *Tokenizer) Version() string {
	if t.version == "" {
		return versionOf(t.marshal())
	}
	return t.version
}

// Merges returns a copy of the merges, in rank order: merge i made id
// FirstMerge+i.
func (t *Tokenizer) Merges() []Merge { return append([]Merge(nil), t.merges...) }

// TokenBytes returns the bytes id stands for, the name of a special token,
// or nil for an id out of range.
func (t *Tokenizer) TokenBytes(id int32) []byte {
	if id < 0 || int(id) >= t.Vocab() {
		return nil
	}
	return t.appendToken(nil, id)
}

// appendToken appends the bytes of a valid id (a special's name).
func (t *Tokenizer) appendToken(dst []byte, id int32) []byte {
	switch {
	case id < 256:
		return append(dst, byte(id))
	case id < FirstMerge:
		return append(dst, specialNames[id-EndOfContext]...)
	}
	i := id - FirstMerge
	return append(dst, t.bytes[t.offsets[i]:t.offsets[i+1]]...)
}

// Decode returns the bytes of ids: the exact inverse of Encode. Specials
// decode to their names ("<|good|>") and an id out of range to
// "<|unk:N|>"; see DecodeStrict.
func (t *Tokenizer) Decode(ids []int32) []byte { return t.AppendDecode(nil, ids) }

// AppendDecode appends the decoding of ids to dst, as Decode does.
func (t *Tokenizer) AppendDecode(dst []byte, ids []int32) []byte {
	vocab := int32(t.Vocab())
	for _, id := range ids {
		switch {
		case uint32(id) < 256:
			dst = append(dst, byte(id))
		case id >= 0 && id < vocab:
			dst = t.appendToken(dst, id)
		default:
			dst = append(dst, "<|unk:"...)
			dst = strconv.AppendInt(dst, int64(id), 10)
			dst = append(dst, "|>"...)
		}
	}
	return dst
}

// DecodeStrict is Decode, but an id out of range is an error.
func (t *Tokenizer) DecodeStrict(ids []int32) ([]byte, error) {
	vocab := int32(t.Vocab())
	for i, id := range ids {
		if id < 0 || id >= vocab {
			return nil, fmt.Errorf("tokenizer: id %d at position %d is out of range [0, %d)", id, i, vocab)
		}
	}
	return t.AppendDecode(nil, ids), nil
}
