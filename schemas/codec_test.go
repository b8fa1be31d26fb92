package schemas

import (
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestDocumentRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	codec := DocumentCodec.WithAllocator(mem)
	tests := []struct {
		name string
		docs []Document
	}{
		{"empty", []Document{}},
		{"one", []Document{{Source: "stackexchange", Dump: "ai", ID: "1", ThreadID: "1", Kind: KindQuestion, Title: "t", Text: "<p>x</p>", Upvotes: -1, Flags: FlagDeleted}}},
		{"unicode and empty strings", []Document{{ID: "2", Text: "héllo\x00wörld ✓"}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := codec.Encode(tt.docs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := codec.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.docs) || (len(got) > 0 && !reflect.DeepEqual(got, tt.docs)) {
				t.Fatalf("round trip: got %+v want %+v", got, tt.docs)
			}
		})
	}
}

func TestPairRoundTripAndSchemaMismatch(t *testing.T) {
	pairs := []Pair{{PairID: PairID("s", "d", "t", "a", "b"), Prompt: "p", Chosen: "c", Rejected: "r", ChosenScore: 2, RejectedScore: -1, Margin: 3, Split: SplitTrain}}
	data, err := PairCodec.Encode(pairs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := PairCodec.Decode(data)
	if err != nil || !reflect.DeepEqual(got, pairs) {
		t.Fatalf("pair round trip: %v %+v", err, got)
	}
	if _, err := DocumentCodec.Decode(data); err == nil {
		t.Fatal("decoding a pair batch as documents must fail")
	}
	if _, err := PairCodec.Decode(data[:len(data)/2]); err == nil {
		t.Fatal("decoding a truncated batch must fail")
	}
}

func TestPairIDAndSplitAreDeterministic(t *testing.T) {
	a := PairID("stackexchange", "ai", "1", "2", "3")
	if a != PairID("stackexchange", "ai", "1", "2", "3") || a == PairID("stackexchange", "ai", "1", "3", "2") || len(a) != 32 {
		t.Fatalf("pair id %q not deterministic or not order sensitive", a)
	}
	if PairID("a", "bc", "", "", "") == PairID("ab", "c", "", "", "") {
		t.Fatal("pair id parts must be separated")
	}
	test := 0
	for i := 0; i < 10000; i++ {
		if SplitOf("s", "d", string(rune('a'+i%26))+string(rune(i))) == SplitTest {
			test++
		}
	}
	if test < 700 || test > 1300 {
		t.Fatalf("test split holds %d of 10000 threads, want about %d%%", test, TestPercent)
	}
}

func FuzzDecodeDocuments(f *testing.F) {
	data, _ := DocumentCodec.Encode([]Document{{ID: "1", Text: "x"}})
	f.Add(data)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DocumentCodec.Decode(b)
	})
}

func BenchmarkEncodePairs(b *testing.B) {
	pairs := make([]Pair, 1000)
	text := string(make([]byte, 700))
	for i := range pairs {
		pairs[i] = Pair{PairID: PairID("s", "d", "t", "a", "b"), Prompt: text, Chosen: text, Rejected: text[:300], Split: SplitTrain}
	}
	b.SetBytes(int64(1000 * (700*2 + 300)))
	for b.Loop() {
		if _, err := PairCodec.Encode(pairs); err != nil {
			b.Fatal(err)
		}
	}
}
