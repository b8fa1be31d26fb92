package tokenizer

import (
	"bytes"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

func seqOf(texts ...string) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for _, s := range texts {
			if !yield([]byte(s)) {
				return
			}
		}
	}
}

// chunks yields text in pieces of about n bytes cut at newlines, reusing
// one buffer to check that Train does not keep what it is given.
func chunks(text []byte, n int) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		buf := make([]byte, 0, 2*n)
		for len(text) > 0 {
			end := min(n, len(text))
			if i := bytes.IndexByte(text[end:], '\n'); i >= 0 {
				end += i + 1
			} else {
				end = len(text)
			}
			buf = append(buf[:0], text[:end]...)
			if !yield(buf) {
				return
			}
			clear(buf)
			text = text[end:]
		}
	}
}

var (
	sampleOnce sync.Once
	sampleTok  *Tokenizer
)

// sample is a tokenizer trained once on 1 MB of English-like text.
func sample(t testing.TB) *Tokenizer {
	sampleOnce.Do(func() {
		tok, err := Train(chunks(englishText(7, 1<<20), 4096), 2048)
		if err != nil {
			panic(err)
		}
		sampleTok = tok
	})
	return sampleTok
}

func TestTrainHandChecked(t *testing.T) {
	tests := []struct {
		name   string
		texts  []string
		vocab  int
		merges []Merge
		encode string
		ids    []int32
	}{
		{
			// aa:4 -> Z; then (a,b):2 beats (Z,a):2 on the tie; then (Z,Y):2.
			name: "classic", texts: []string{"aaabdaaabac"}, vocab: 1000,
			merges: []Merge{{'a', 'a'}, {'a', 'b'}, {260, 261}},
			encode: "aaabdaaabac", ids: []int32{262, 'd', 262, 'a', 'c'},
		},
		{
			name: "classic stops at vocab", texts: []string{"aaabdaaabac"}, vocab: 261,
			merges: []Merge{{'a', 'a'}},
			encode: "aaab", ids: []int32{260, 'a', 'b'},
		},
		{
			// "hello" once, " hello" twice: he, el, ll, lo tie at 3, (e,l) is smallest.
			name: "words and leading space", texts: []string{"hello hello hello"}, vocab: 1000,
			merges: []Merge{{'e', 'l'}, {'h', 260}, {'l', 'o'}, {261, 262}, {' ', 263}},
			encode: "hello hello, hell", ids: []int32{263, 264, ',', ' ', 261, 'l'},
		},
		{
			name: "merges stay inside words", texts: []string{"ab ab ab", "ab.ab.ab"}, vocab: 1000,
			merges: []Merge{{'a', 'b'}, {' ', 260}},
			encode: "ab ab.", ids: []int32{260, 261, '.'},
		},
		{
			// "aaaa": (a,a) twice per word, non-overlapping, then (Z,Z).
			name: "overlapping pairs", texts: []string{"aaaa aaaa"}, vocab: 1000,
			merges: []Merge{{'a', 'a'}, {260, 260}},
			encode: "aaaaa", ids: []int32{261, 'a'},
		},
		{
			// (a,b):4 first takes one (b,c) of "abc": (b,c) falls from 3 to 2
			// and must still be merged.
			name: "count lowered by a merge", texts: []string{"abc", "bc", "bc", "ab", "ab", "ab"}, vocab: 1000,
			merges: []Merge{{'a', 'b'}, {'b', 'c'}},
			encode: "abc bc", ids: []int32{260, 'c', ' ', 261},
		},
		{
			name: "nothing occurs twice", texts: []string{"abc def"}, vocab: 1000,
			merges: nil, encode: "abc", ids: []int32{'a', 'b', 'c'},
		},
		{
			name: "no texts", texts: nil, vocab: 1000,
			merges: nil, encode: "", ids: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Train(seqOf(tt.texts...), tt.vocab)
			if err != nil {
				t.Fatal(err)
			}
			if got := tok.Merges(); !slices.Equal(got, tt.merges) {
				t.Errorf("merges = %v, want %v", got, tt.merges)
			}
			if tok.Vocab() != FirstMerge+len(tt.merges) {
				t.Errorf("Vocab() = %d, want %d", tok.Vocab(), FirstMerge+len(tt.merges))
			}
			if got := tok.Encode([]byte(tt.encode)); !slices.Equal(got, tt.ids) {
				t.Errorf("Encode(%q) = %v, want %v", tt.encode, got, tt.ids)
			}
			if got := tok.Decode(tt.ids); string(got) != tt.encode {
				t.Errorf("Decode(%v) = %q, want %q", tt.ids, got, tt.encode)
			}
		})
	}
}

func TestTrainVocabBounds(t *testing.T) {
	for _, vocab := range []int{-1, 0, 256, FirstMerge, MaxVocab + 1} {
		if _, err := Train(seqOf("abab"), vocab); err == nil || !strings.Contains(err.Error(), "tokenizer: vocab") {
			t.Errorf("Train(vocab=%d) error = %v, want a vocab range error", vocab, err)
		}
	}
	for _, vocab := range []int{MinVocab, MaxVocab} {
		if _, err := Train(seqOf("abab"), vocab); err != nil {
			t.Errorf("Train(vocab=%d): %v", vocab, err)
		}
	}
	if _, err := Train(nil, 1000); err == nil {
		t.Error("Train(nil) succeeded")
	}
}

func TestTrainFillsVocab(t *testing.T) {
	tok := sample(t)
	if tok.Vocab() != 2048 {
		t.Fatalf("Vocab() = %d, want 2048 (1 MB of text has enough pairs)", tok.Vocab())
	}
	for i, m := range tok.Merges() {
		id := int32(FirstMerge + i)
		if m.Left >= id || m.Right >= id || SpecialName(m.Left) != "" || SpecialName(m.Right) != "" {
			t.Fatalf("merge %d = %v is inconsistent", i, m)
		}
	}
}

func TestDeterminism(t *testing.T) {
	text := englishText(3, 300_000)
	a, err := Train(chunks(text, 1000), 1500)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(chunks(text, 1000), 1500)
	if err != nil {
		t.Fatal(err)
	}
	// The same texts in another order: the same counts.
	var texts []string
	for chunk := range chunks(text, 1000) {
		texts = append(texts, string(chunk))
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
	c, err := Train(seqOf(texts...), 1500)
	if err != nil {
		t.Fatal(err)
	}
	blobA, _ := a.MarshalBinary()
	for name, other := range map[string]*Tokenizer{"again": b, "shuffled": c} {
		blob, _ := other.MarshalBinary()
		if !bytes.Equal(blob, blobA) || other.Version() != a.Version() {
			t.Errorf("%s: version %s, want %s (blobs equal: %v)", name, other.Version(), a.Version(), bytes.Equal(blob, blobA))
		}
	}
	d, err := Train(chunks(englishText(4, 300_000), 1000), 1500)
	if err != nil {
		t.Fatal(err)
	}
	if d.Version() == a.Version() {
		t.Error("different texts gave the same version")
	}
	if len(a.Version()) != 16 {
		t.Errorf("Version() = %q, want 16 hex digits", a.Version())
	}
}

// TestEncodeMatchesTraining: every training word encodes to exactly the
// symbols training merged it into.
func TestEncodeMatchesTraining(t *testing.T) {
	words := countWords(chunks(englishText(5, 300_000), 4096))
	tok := newTokenizer(trainMerges(words, 1500-FirstMerge))
	if tok.Vocab() != 1500 {
		t.Fatalf("Vocab() = %d", tok.Vocab())
	}
	for _, w := range words {
		if got := tok.Encode([]byte(w.text)); !slices.Equal(got, w.sym) {
			t.Fatalf("Encode(%q) = %v, training made %v", w.text, got, w.sym)
		}
	}
}

// referenceEncode is the plain BPE algorithm: in each word, merge every
// occurrence of the lowest-ranked pair, left to right, until none ranks.
func referenceEncode(tok *Tokenizer, text []byte) []int32 {
	var out []int32
	words(text, func(w []byte) {
		sym := make([]int32, len(w))
		for i, b := range w {
			sym[i] = int32(b)
		}
		for {
			best, pos := int32(noRank), -1
			for k := 0; k+1 < len(sym); k++ {
				if r := tok.rank(sym[k], sym[k+1]); r < best {
					best, pos = r, k
				}
			}
			if pos < 0 {
				break
			}
			sym = mergeWord(sym, tok.merges[best], FirstMerge+best)
		}
		out = append(out, sym...)
	})
	return out
}

func TestEncodeMatchesReference(t *testing.T) {
	tok := sample(t)
	r := rand.New(rand.NewPCG(9, 9))
	inputs := [][]byte{englishText(11, 50_000), []byte(strings.Repeat("the", 200)), []byte(strings.Repeat(" ", 1000))}
	for range 200 {
		// words glued from pieces of tokens: long, merge-rich words
		var b []byte
		for range 1 + r.IntN(60) {
			b = append(b, tok.TokenBytes(int32(FirstMerge+r.IntN(tok.Vocab()-FirstMerge)))...)
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		want := referenceEncode(tok, in)
		if got := tok.Encode(in); !slices.Equal(got, want) {
			t.Fatalf("Encode(%q) = %v, reference %v", in, got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tok := sample(t)
	r := rand.New(rand.NewPCG(5, 6))
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	tests := []struct {
		name string
		text []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0}},
		{"random bytes", random},
		{"english", englishText(99, 200_000)},
		{"utf8", []byte("Grüße aus Köln, 東京 から こんにちは, привет мир, 😀👍🏽 e\u0301 ٣٤")},
		{"invalid utf8", []byte("ab\xff\xfe\xc3(\xe2\x82 \xf0\x9f\x98")},
		{"all bytes", func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()},
		{"special names", []byte("<|endofcontext|><|good|><|bad|><|pad|><|unk:5|>")},
		{"long runs", []byte(strings.Repeat("a", 5000) + strings.Repeat(" ", 3000) + strings.Repeat("-", 700))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tk := range []*Tokenizer{tok, {}} {
				ids := tk.Encode(tt.text)
				for _, id := range ids {
					if id < 0 || int(id) >= tk.Vocab() || SpecialName(id) != "" {
						t.Fatalf("Encode emitted id %d (vocab %d)", id, tk.Vocab())
					}
				}
				got, err := tk.DecodeStrict(ids)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tt.text) || !bytes.Equal(tk.Decode(ids), tt.text) {
					t.Fatalf("round trip of %d bytes gave %d bytes", len(tt.text), len(got))
				}
			}
		})
	}
}

func TestCompression(t *testing.T) {
	tok := sample(t)
	text := englishText(1234, 200_000) // not the training text
	ids := tok.Encode(text)
	ratio := float64(len(text)) / float64(len(ids))
	t.Logf("%d bytes -> %d tokens: %.2f bytes per token", len(text), len(ids), ratio)
	if ratio < 2.5 {
		t.Errorf("%.2f bytes per token, want at least 2.5 with a 2048 vocab on English", ratio)
	}
}

func TestSpecials(t *testing.T) {
	tok := sample(t)
	ids := tok.Encode([]byte("<|good|>"))
	if slices.Contains(ids, Good) {
		t.Errorf("Encode(<|good|>) = %v emits the Good token", ids)
	}
	tests := []struct {
		ids  []int32
		want string
	}{
		{[]int32{EndOfContext}, "<|endofcontext|>"},
		{[]int32{'a', Good, Bad, Pad}, "a<|good|><|bad|><|pad|>"},
		{[]int32{-1, int32(tok.Vocab()), 'z'}, "<|unk:-1|><|unk:2048|>z"},
	}
	for _, tt := range tests {
		if got := string(tok.Decode(tt.ids)); got != tt.want {
			t.Errorf("Decode(%v) = %q, want %q", tt.ids, got, tt.want)
		}
	}
	if _, err := tok.DecodeStrict([]int32{'a', Good}); err != nil {
		t.Errorf("DecodeStrict of a special: %v", err)
	}
	for _, bad := range [][]int32{{'a', 2048}, {-5}, {1 << 30}} {
		if _, err := tok.DecodeStrict(bad); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("DecodeStrict(%v) error = %v, want out of range", bad, err)
		}
	}
	if got := string(tok.TokenBytes(Bad)); got != "<|bad|>" {
		t.Errorf("TokenBytes(Bad) = %q", got)
	}
	if tok.TokenBytes(-1) != nil || tok.TokenBytes(int32(tok.Vocab())) != nil {
		t.Error("TokenBytes out of range is not nil")
	}
	if got := tok.TokenBytes('x'); string(got) != "x" {
		t.Errorf("TokenBytes('x') = %q", got)
	}
	for i, m := range tok.Merges() {
		id := int32(FirstMerge + i)
		want := append(tok.TokenBytes(m.Left), tok.TokenBytes(m.Right)...)
		if !bytes.Equal(tok.TokenBytes(id), want) {
			t.Fatalf("TokenBytes(%d) = %q, want %q", id, tok.TokenBytes(id), want)
		}
	}
}

func TestAppendEncode(t *testing.T) {
	tok := sample(t)
	dst := []int32{EndOfContext}
	got := tok.AppendEncode(dst, []byte("hello world"))
	want := append([]int32{EndOfContext}, tok.Encode([]byte("hello world"))...)
	if !slices.Equal(got, want) {
		t.Errorf("AppendEncode = %v, want %v", got, want)
	}
}

// TestEncodeCacheReset encodes more distinct words than the cache holds.
func TestEncodeCacheReset(t *testing.T) {
	tok := sample(t)
	var text []byte
	for i := range cacheMaxWords + 5000 {
		text = append(text, ' ', byte('a'+i%26), byte('a'+i/26%26), byte('a'+i/676%26), byte('a'+i/17576%26))
	}
	want := referenceEncode(tok, text)
	for range 2 {
		if got := tok.Encode(text); !slices.Equal(got, want) {
			t.Fatal("Encode differs from the reference across a cache reset")
		}
	}
	st := newEncodeState()
	var got []int32
	words(text, func(w []byte) {
		got = tok.appendWord(got, w, st)
		if len(st.cache) > cacheMaxWords || len(st.ids) > cacheMaxIDs+MaxWordBytes {
			t.Fatalf("cache grew to %d words, %d ids", len(st.cache), len(st.ids))
		}
	})
	if !slices.Equal(got, want) {
		t.Fatal("appendWord differs from the reference")
	}
}

func TestEncodeConcurrent(t *testing.T) {
	tok := sample(t)
	texts := make([][]byte, 8)
	want := make([][]int32, len(texts))
	for i := range texts {
		texts[i] = englishText(uint64(100+i), 50_000)
		want[i] = referenceEncode(tok, texts[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for k := range 20 {
				i := (g + k) % len(texts)
				if !slices.Equal(tok.Encode(texts[i]), want[i]) {
					errs <- "goroutine encoding differs"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
