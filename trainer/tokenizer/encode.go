package tokenizer

import "math"

// Word cache bounds, per encodeState (one per goroutine encoding at a time).
const (
	cacheMaxWords = 1 << 15
	cacheMaxIDs   = 1 << 18
	noRank        = math.MaxInt32
)

// encodeState is what one Encode call needs beyond the tokenizer: the word
// cache (word -> ids, the ids stored in one arena) and scratch space.
// States live in a sync.Pool, so concurrent callers never share one and
// never take a lock.
type encodeState struct {
	cache map[string]uint64 // word -> offset<<32 | length in ids
	ids   []int32
	ranks []int32 // scratch: rank of each adjacent pair of a word
}

func newEncodeState() *encodeState {
	return &encodeState{cache: make(map[string]uint64), ranks: make([]int32, MaxWordBytes)}
}

// Encode returns the ids of text. It never emits a special token.
func (t *Tokenizer) Encode(text []byte) []int32 {
	return t.AppendEncode(make([]int32, 0, len(text)/3+1), text)
}

// AppendEncode appends the ids of text to dst and returns the result.
func (t *Tokenizer) AppendEncode(dst []int32, text []byte) []int32 {
	if len(t.merges) == 0 {
		for _, b := range text {
			dst = append(dst, int32(b))
		}
		return dst
	}
	st, _ := t.states.Get().(*encodeState)
	if st == nil {
		st = newEncodeState()
	}
	for i := 0; i < len(text); {
		j := wordEnd(text, i)
		dst = t.appendWord(dst, text[i:j], st)
		i = j
	}
	t.states.Put(st)
	return dst
}

func (t *Tokenizer) appendWord(dst []int32, word []byte, st *encodeState) []int32 {
	if len(word) == 1 {
		return append(dst, int32(word[0]))
	}
	if e, ok := st.cache[string(word)]; ok {
		return append(dst, st.ids[e>>32:e>>32+e&math.MaxUint32]...)
	}
	start := len(dst)
	dst = t.bpe(dst, word, st.ranks)
	if len(st.cache) >= cacheMaxWords || len(st.ids) >= cacheMaxIDs {
		clear(st.cache)
		st.ids = st.ids[:0]
	}
	st.cache[string(word)] = uint64(len(st.ids))<<32 | uint64(len(dst)-start)
	st.ids = append(st.ids, dst[start:]...)
	return dst
}

// bpe appends the ids of one word (at most MaxWordBytes bytes): starting
// from its bytes, it merges the lowest-ranked adjacent pair, all its
// occurrences left to right, until no adjacent pair has a rank. A merge's
// new pairs all rank after it, so this is the order training merged in.
// ranks is scratch of at least len(word) entries.
func (t *Tokenizer) bpe(dst []int32, word []byte, ranks []int32) []int32 {
	start := len(dst)
	for _, b := range word {
		dst = append(dst, int32(b))
	}
	sym := dst[start:]
	rk := ranks[:len(sym)-1]
	for k := range rk {
		rk[k] = t.rank(sym[k], sym[k+1])
	}
	for {
		best, pos := int32(noRank), -1
		for k, r := range rk {
			if r < best {
				best, pos = r, k
			}
		}
		if pos < 0 {
			break
		}
		left, right, id := sym[pos], sym[pos+1], FirstMerge+best
		// Merge from pos on; an unchanged symbol keeps the rank of its
		// pair with the next (read ahead of the writes, as w <= k).
		w := pos
		for k := pos; k < len(sym); w++ {
			if k+1 < len(sym) && sym[k] == left && sym[k+1] == right {
				sym[w] = id
				k += 2
			} else {
				sym[w] = sym[k]
				if k+1 < len(sym) {
					rk[w] = rk[k]
				}
				k++
			}
		}
		sym, rk = sym[:w], rk[:w-1]
		// Pairs touching a new id are new: rank them.
		for k := max(pos-1, 0); k < len(rk); k++ {
			if sym[k] == id || sym[k+1] == id {
				rk[k] = t.rank(sym[k], sym[k+1])
			}
		}
	}
	return dst[:start+len(sym)]
}

func (t *Tokenizer) rank(left, right int32) int32 {
	if r, ok := t.ranks[pairKey(left, right)]; ok {
		return r
	}
	return noRank
}
