package tokenizer

import (
	"fmt"
	"iter"
	"slices"
	"strings"
)

// Train learns merges from texts until the vocabulary holds vocab ids or no
// adjacent pair occurs at least twice. The same texts give the same
// tokenizer, byte for byte, whatever the order of the texts (but not
// whatever their cut: a word is never split across two texts). Train does
// not retain the slices texts yields, so the iterator may reuse its buffer;
// its memory grows with the number of distinct words, not with the total
// size of the texts.
func Train(texts iter.Seq[[]byte], vocab int) (*Tokenizer, error) {
	if vocab < MinVocab || vocab > MaxVocab {
		return nil, fmt.Errorf("tokenizer: vocab %d out of range [%d, %d]", vocab, MinVocab, MaxVocab)
	}
	if texts == nil {
		return nil, fmt.Errorf("tokenizer: no texts to train on")
	}
	return newTokenizer(trainMerges(countWords(texts), vocab-FirstMerge)), nil
}

// trainMerges returns up to n merges learnt from words, whose symbols it
// leaves merged.
func trainMerges(words []trainWord, n int) []Merge {
	tr := newTrainer(words)
	merges := make([]Merge, 0, min(n, 1<<16))
	for len(merges) < n {
		pair, ok := tr.best()
		if !ok {
			break
		}
		m := Merge{Left: int32(pair >> 32), Right: int32(uint32(pair))}
		tr.merge(m, int32(FirstMerge+len(merges)))
		merges = append(merges, m)
	}
	return merges
}

// countWords returns the distinct words of texts, sorted, with their counts.
func countWords(texts iter.Seq[[]byte]) []trainWord {
	index := make(map[string]int32)
	var counts []int64
	for text := range texts {
		words(text, func(w []byte) {
			if len(w) < 2 {
				return // a single byte holds no pair
			}
			if i, ok := index[string(w)]; ok {
				counts[i]++
				return
			}
			index[string(w)] = int32(len(counts))
			counts = append(counts, 1)
		})
	}
	out := make([]trainWord, 0, len(index))
	for w, i := range index {
		sym := make([]int32, len(w))
		for k := range len(w) {
			sym[k] = int32(w[k])
		}
		out = append(out, trainWord{text: w, sym: sym, count: counts[i]})
	}
	slices.SortFunc(out, func(a, b trainWord) int { return strings.Compare(a.text, b.text) })
	return out
}

type trainWord struct {
	text  string
	sym   []int32
	count int64
}

// trainer holds the pair counts of the words and, for each pair, the words
// that contained it when it was counted (an over-approximation: a word is
// checked before it is merged).
type trainer struct {
	words  []trainWord
	counts map[uint64]int64
	where  map[uint64][]int32
	seen   []int32 // seen[word] = the last merge id that visited it
	heap   pairHeap
	fresh  map[uint64]struct{}
}

func newTrainer(words []trainWord) *trainer {
	tr := &trainer{
		words:  words,
		counts: make(map[uint64]int64),
		where:  make(map[uint64][]int32),
		seen:   make([]int32, len(words)),
		fresh:  make(map[uint64]struct{}),
	}
	for wi, w := range words {
		for k := 0; k+1 < len(w.sym); k++ {
			p := pairKey(w.sym[k], w.sym[k+1])
			tr.counts[p] += w.count
			tr.note(p, int32(wi))
		}
	}
	tr.heap = make(pairHeap, 0, len(tr.counts))
	for p, c := range tr.counts {
		tr.heap = append(tr.heap, pairCount{pair: p, count: c})
	}
	tr.heap.init()
	return tr
}

// note records that word wi contains pair p.
func (tr *trainer) note(p uint64, wi int32) {
	ws := tr.where[p]
	if len(ws) == 0 || ws[len(ws)-1] != wi {
		tr.where[p] = append(ws, wi)
	}
}

// best returns the most frequent pair (the smallest on ties) if it occurs
// at least twice. Heap counts are upper bounds: a pair's count only falls
// after it is pushed, so a popped entry whose count is current is the max.
func (tr *trainer) best() (uint64, bool) {
	for len(tr.heap) > 0 {
		top := tr.heap[0]
		current := tr.counts[top.pair]
		if current == top.count {
			return top.pair, current >= 2
		}
		if current >= 2 {
			tr.heap[0].count = current
			tr.heap.down(0)
		} else {
			tr.heap.pop()
		}
	}
	return 0, false
}

// merge replaces m by id in every word holding it and updates the counts.
func (tr *trainer) merge(m Merge, id int32) {
	p := pairKey(m.Left, m.Right)
	clear(tr.fresh)
	for _, wi := range tr.where[p] {
		if tr.seen[wi] == id {
			continue
		}
		tr.seen[wi] = id
		w := &tr.words[wi]
		if !containsPair(w.sym, m) {
			continue
		}
		tr.add(w, -w.count)
		w.sym = mergeWord(w.sym, m, id)
		tr.add(w, w.count)
		for k := 0; k+1 < len(w.sym); k++ {
			if w.sym[k] == id || w.sym[k+1] == id {
				q := pairKey(w.sym[k], w.sym[k+1])
				tr.note(q, wi)
				tr.fresh[q] = struct{}{}
			}
		}
	}
	delete(tr.counts, p)
	delete(tr.where, p)
	// New pairs all contain id, so they are pushed once with their final
	// count; old pairs only lost counts and stay in the heap as upper bounds.
	// The map order does not matter: the heap orders by (count, pair).
	for q := range tr.fresh {
		if c := tr.counts[q]; c >= 2 {
			tr.heap.push(pairCount{pair: q, count: c})
		}
	}
}

// add adds delta to the count of every pair of w.
func (tr *trainer) add(w *trainWord, delta int64) {
	for k := 0; k+1 < len(w.sym); k++ {
		q := pairKey(w.sym[k], w.sym[k+1])
		if c := tr.counts[q] + delta; c != 0 {
			tr.counts[q] = c
		} else {
			delete(tr.counts, q)
		}
	}
}

func containsPair(sym []int32, m Merge) bool {
	for k := 0; k+1 < len(sym); k++ {
		if sym[k] == m.Left && sym[k+1] == m.Right {
			return true
		}
	}
	return false
}

// mergeWord replaces the occurrences of m in sym by id, left to right, in
// place, and returns the shortened slice.
func mergeWord(sym []int32, m Merge, id int32) []int32 {
	w := 0
	for k := 0; k < len(sym); w++ {
		if k+1 < len(sym) && sym[k] == m.Left && sym[k+1] == m.Right {
			sym[w] = id
			k += 2
		} else {
			sym[w] = sym[k]
			k++
		}
	}
	return sym[:w]
}

type pairCount struct {
	pair  uint64
	count int64
}

// pairHeap is a max-heap by count, then min by pair.
type pairHeap []pairCount

func (h pairHeap) before(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].pair < h[j].pair
}

func (h pairHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *pairHeap) push(e pairCount) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s.before(i, parent) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *pairHeap) pop() {
	s := *h
	last := len(s) - 1
	s[0] = s[last]
	*h = s[:last]
	if last > 0 {
		h.down(0)
	}
}

func (h pairHeap) down(i int) {
	for {
		best := i
		if l := 2*i + 1; l < len(h) && h.before(l, best) {
			best = l
		}
		if r := 2*i + 2; r < len(h) && h.before(r, best) {
			best = r
		}
		if best == i {
			return
		}
		h[i], h[best] = h[best], h[i]
		i = best
	}
}
