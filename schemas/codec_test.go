package schemas

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
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

// fuzzDecode is the property every codec keeps on any bytes: Decode returns rows or an error,
// never panics and never dies of an allocation the bytes cannot justify (arrow-go's own
// parsing used to, fatally), and rows it returns survive an encode-decode round trip.
// fuzzArena is reused by every input a fuzzing process tries, so decoding meets memory earlier
// inputs left behind.
var fuzzArena Arena

func fuzzDecode[T any](t *testing.T, codec *Codec[T], b []byte) {
	rows, err := codec.Decode(b)
	inArena, arenaErr := codec.DecodeIn(&fuzzArena, nil, b)
	defer fuzzArena.Reset()
	if (err == nil) != (arenaErr == nil) {
		t.Fatalf("Decode: %v; DecodeIn: %v", err, arenaErr)
	}
	if err == nil {
		want, _ := codec.Encode(rows)
		if got, err := codec.Encode(inArena); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("DecodeIn decoded other rows than Decode (%v)", err)
		}
	}
	if err != nil {
		if !strings.Contains(err.Error(), codec.Version) {
			t.Fatalf("the error does not name the schema: %v", err)
		}
		return
	}
	again, err := codec.Encode(rows)
	if err != nil {
		t.Fatalf("re-encoding decoded rows: %v", err)
	}
	decoded, err := codec.Decode(again)
	if err != nil {
		t.Fatalf("decoding re-encoded rows: %v", err)
	}
	// Bytes, not rows: garbage floats may be NaN.
	if third, err := codec.Encode(decoded); err != nil || !bytes.Equal(third, again) {
		t.Fatalf("rows changed in a round trip (%v)", err)
	}
}

// fuzzSeeds are valid batches of both codecs (each a wrong schema for the other) and the
// corruptions TestDecodeRefusesCorruptBatches plants.
func fuzzSeeds(f *testing.F) {
	docs, _ := DocumentCodec.Encode(benchDocuments(3))
	pairs, _ := PairCodec.Encode(benchPairs(3))
	f.Add(docs)
	f.Add(pairs)
	f.Add([]byte{})
	for _, tt := range corruptions(f, docs) {
		f.Add(tt.data)
	}
}

// FuzzDecodeDocuments feeds garbage to DocumentCodec (testdata/fuzz holds an input that made
// arrow-go ask for 189 GB for a schema's fields).
func FuzzDecodeDocuments(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, DocumentCodec, b) })
}

// FuzzDecodePairs feeds garbage to PairCodec.
func FuzzDecodePairs(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, PairCodec, b) })
}

// ipcMessage is one encapsulated message of a stream: where its metadata and body start in
// the stream, and its Message table.
type ipcMessage struct {
	meta, body int
	msg        msgTable
}

// messagesOf splits a stream our encoder wrote into its messages.
func messagesOf(t testing.TB, data []byte) []ipcMessage {
	t.Helper()
	var out []ipcMessage
	for pos := 0; pos+8 <= len(data); {
		size := int(binary.LittleEndian.Uint32(data[pos+4:]))
		if size == 0 {
			break
		}
		meta := msgBuf(data[pos+8 : pos+8+size])
		root, _ := meta.u32(0)
		msg, err := meta.table(root)
		if err != nil {
			t.Fatal(err)
		}
		bodyLen, _ := msg.int64(3)
		out = append(out, ipcMessage{meta: pos + 8, body: pos + 8 + size, msg: msg})
		pos += 8 + size + int(bodyLen)
	}
	return out
}

// header returns the message's header table if the message is of type kind (1 schema,
// 2 dictionary batch, 3 record batch).
func (m ipcMessage) header(t testing.TB, kind uint8) (msgTable, bool) {
	t.Helper()
	if k, _ := m.msg.uint8(1); k != kind {
		return msgTable{}, false
	}
	h, ok, err := m.msg.child(2)
	if err != nil || !ok {
		t.Fatalf("message without a header: %v", err)
	}
	return h, true
}

// put returns a copy of data with v written over the width bytes at at.
func put(data []byte, at int, v uint64, width int) []byte {
	out := bytes.Clone(data)
	if width == 4 {
		binary.LittleEndian.PutUint32(out[at:], uint32(v))
	} else {
		binary.LittleEndian.PutUint64(out[at:], v)
	}
	return out
}

type corruption struct {
	name string
	data []byte
	// want is in the error, or wantErr is in its chain.
	want    string
	wantErr error
}

// corruptions plants, in a valid batch of DocumentCodec, the lengths and counts that made
// arrow-go allocate without bound or crash.
func corruptions(t testing.TB, docs []byte) []corruption {
	msgs := messagesOf(t, docs)
	schema, ok := msgs[0].header(t, 1)
	if !ok {
		t.Fatal("the first message is not the schema")
	}
	fields, _ := schema.ref(1)
	var record ipcMessage
	var batch msgTable
	for _, m := range msgs {
		if h, ok := m.header(t, 3); ok {
			record, batch = m, h
		}
	}
	rowsAt, _ := batch.field(0, 8)
	buffers, n, err := batch.vector(2, 16)
	if err != nil || n == 0 {
		t.Fatalf("record batch buffers: %d, %v", n, err)
	}
	// The first buffer with data: its first 8 bytes are its uncompressed (LZ4) size.
	firstBuf := -1
	for i := range n {
		if length := binary.LittleEndian.Uint64(record.msg.buf[buffers+16*i+8:]); length >= 8 {
			firstBuf = record.body + int(binary.LittleEndian.Uint64(record.msg.buf[buffers+16*i:]))
			break
		}
	}
	if firstBuf < 0 {
		t.Fatal("no buffer with data")
	}
	fieldsStart, _, err := schema.vector(1, 4)
	if err != nil {
		t.Fatal(err)
	}
	return []corruption{
		{"2^31 schema fields", put(docs, msgs[0].meta+fields, 1<<31-1, 4), "vector of 2147483647 elements", nil},
		{"2^28 schema fields", put(docs, msgs[0].meta+fields, 1<<28, 4), "vector of 268435456 elements", nil},
		{"a buffer claiming 2^40 bytes uncompressed", put(docs, firstBuf, 1<<40, 8), "", errOverBudget},
		{"a buffer claiming 2^62 bytes uncompressed", put(docs, firstBuf, 1<<62, 8), "", errOverBudget},
		{"2^40 rows", put(docs, record.meta+rowsAt, 1<<40, 8), "document/v1", nil},
		{"metadata of 2 GiB", put(docs, 4, 1<<31-1, 4), "message metadata of 2147483647 bytes", nil},
		{"a body longer than the stream", put(docs, record.meta+mustField(t, record.msg, 3, 8), 1<<40, 8), "message body of 1099511627776 bytes", nil},
		{"truncated", docs[:len(docs)/2], "document/v1", nil},
		{"three bytes", []byte{1, 2, 3}, "truncated message", nil},
		{"fields nested in themselves", cyclicFields(t, docs, msgs[0], fieldsStart), "document/v1", nil},
	}
}

func mustField(t testing.TB, tab msgTable, slot, width int) int {
	at, err := tab.field(slot, width)
	if err != nil || at == 0 {
		t.Fatalf("slot %d: %d, %v", slot, at, err)
	}
	return at
}

// cyclicFields points the children slot of the schema's first field at the schema's own
// fields vector: a reader that follows children without a bound recurses until the stack
// overflows, a fatal error. (The vector lies before the field, so the offset wraps around
// 2^32, as the flatbuffers runtime's uint32 arithmetic follows it.)
func cyclicFields(t testing.TB, docs []byte, schemaMsg ipcMessage, fieldsStart int) []byte {
	meta := msgBuf(docs[schemaMsg.meta:schemaMsg.body])
	first := fieldsStart + int(binary.LittleEndian.Uint32(meta[fieldsStart:]))
	field, err := meta.table(first)
	if err != nil {
		t.Fatal(err)
	}
	children := mustField(t, field, 5, 4)
	return put(docs, schemaMsg.meta+children, uint64(uint32(fieldsStart-4-children)), 4)
}

// TestDecodeRefusesCorruptBatches plants corrupt lengths and counts in a valid batch: each is
// an error naming the schema (and the reason where it is ours to tell), quickly.
func TestDecodeRefusesCorruptBatches(t *testing.T) {
	docs, err := DocumentCodec.Encode(benchDocuments(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range corruptions(t, docs) {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := DocumentCodec.Decode(tt.data)
			switch {
			case err == nil:
				t.Fatal("decoded")
			case !strings.Contains(err.Error(), "schemas: decode document/v1"):
				t.Errorf("the error does not name the schema: %v", err)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q, want %q in it", err, tt.want)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("error %q, want %v in its chain", err, tt.wantErr)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %s", took)
			}
			t.Log(err)
		})
	}
}

// TestDecodeRefusesMoreRowsThanBytes: a list column's node may claim any length (arrow-go
// checks no list offsets when it builds the array), so a batch claiming 2^40 rows gets past
// arrow-go; the codec must refuse it before it allocates a row.
func TestDecodeRefusesMoreRowsThanBytes(t *testing.T) {
	type ints struct{ V []int32 }
	codec := NewCodec("ints/v1", Int32ListColumn("v", func(r *ints) *[]int32 { return &r.V }))
	data, err := codec.Encode([]ints{{V: []int32{1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range messagesOf(t, data) {
		batch, ok := m.header(t, 3)
		if !ok {
			continue
		}
		data = put(data, m.meta+mustField(t, batch, 0, 8), 1<<40, 8)
		nodes, n, err := batch.vector(1, 16)
		if err != nil || n != 2 {
			t.Fatalf("nodes: %d, %v", n, err)
		}
		data = put(data, m.meta+nodes, 1<<40, 8) // the list's own node; its values' stays
	}
	_, err = codec.Decode(data)
	if err == nil || !strings.Contains(err.Error(), "1099511627776 rows of at least 4 bytes") {
		t.Fatalf("want the row count refused, got %v", err)
	}
}

// countingAllocator counts the bytes allocated through it.
type countingAllocator struct {
	memory.Allocator
	bytes int
}

func (a *countingAllocator) Allocate(n int) []byte { a.bytes += n; return a.Allocator.Allocate(n) }

// TestDecodeCompressibleBatches: batches that LZ4 shrinks the most (long runs of one byte, in
// plain columns; empty and zero values) decode within the budget, which must never refuse a
// well-formed batch.
func TestDecodeCompressibleBatches(t *testing.T) {
	long := strings.Repeat("a", 256<<10)
	tests := []struct {
		name  string
		pairs []Pair
	}{
		{"1000 empty pairs", make([]Pair, 1000)},
		{"64 pairs of 256 KiB runs", func() []Pair {
			ps := make([]Pair, 64)
			for i := range ps {
				ps[i] = Pair{PairID: long[i:], ThreadID: long[2*i:], ChosenID: long[3*i:], RejectedID: long[4*i:]}
			}
			return ps
		}()},
		{"one row", []Pair{{PairID: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := PairCodec.Encode(tt.pairs)
			if err != nil {
				t.Fatal(err)
			}
			mem := &countingAllocator{Allocator: memory.NewGoAllocator()}
			got, err := PairCodec.WithAllocator(mem).Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.pairs) {
				t.Fatal("round trip changed the rows")
			}
			t.Logf("%d rows: a %d-byte batch took %d bytes to decode (%.0fx)", len(tt.pairs), len(data), mem.bytes, float64(mem.bytes)/float64(len(data)))
		})
	}
}

// TestDecodeCompressions: Encode's LZ4 and uncompressed streams decode; zstd, which arrow-go
// decodes with goroutines and windows outside the budget, is refused.
func TestDecodeCompressions(t *testing.T) {
	docs := benchDocuments(5)
	tests := []struct {
		name string
		opts []ipc.Option
		want string
	}{
		{"uncompressed", nil, ""},
		{"lz4", []ipc.Option{ipc.WithLZ4()}, ""},
		{"zstd", []ipc.Option{ipc.WithZstd()}, "batch compressed with codec 1, not LZ4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := array.NewRecordBuilder(memory.DefaultAllocator, DocumentCodec.Schema)
			defer b.Release()
			for i := range docs {
				for j, col := range DocumentCodec.columns {
					col.appendTo(b.Field(j), &docs[i])
				}
			}
			rec := b.NewRecordBatch()
			defer rec.Release()
			var buf bytes.Buffer
			w := ipc.NewWriter(&buf, append(tt.opts, ipc.WithSchema(DocumentCodec.Schema))...)
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := DocumentCodec.Decode(buf.Bytes())
			if tt.want == "" {
				if err != nil || !reflect.DeepEqual(got, docs) {
					t.Fatalf("decode: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want %q, got %v", tt.want, err)
			}
		})
	}
}

// TestDecodeAppendKeepsDstOnError: a failed decode hands dst back as it was.
func TestDecodeAppendKeepsDstOnError(t *testing.T) {
	docs := benchDocuments(4)
	data, err := DocumentCodec.Encode(docs)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := DocumentCodec.DecodeAppend(docs[:2:2], data)
	if err != nil || len(dst) != 6 || !reflect.DeepEqual(dst[2:], docs) {
		t.Fatalf("append: %d rows, %v", len(dst), err)
	}
	for _, tt := range corruptions(t, data) {
		got, err := DocumentCodec.DecodeAppend(dst, tt.data)
		if err == nil {
			t.Fatalf("%s: decoded", tt.name)
		}
		if len(got) != len(dst) || !reflect.DeepEqual(got, dst) {
			t.Fatalf("%s: dst has %d rows after the error, want %d", tt.name, len(got), len(dst))
		}
	}
}

// BenchmarkEncodePairs encodes batches of 1000 pairs shaped like the askell recipe's: threads
// of 4 answers give 6 pairs each, sharing the prompt and each answer in 3 of them.
func BenchmarkEncodePairs(b *testing.B) {
	pairs := threadPairs(1000)
	var n int64
	for _, p := range pairs {
		n += int64(len(p.Prompt) + len(p.Chosen) + len(p.Rejected))
	}
	b.SetBytes(n)
	for b.Loop() {
		if _, err := PairCodec.Encode(pairs); err != nil {
			b.Fatal(err)
		}
	}
}

func threadPairs(n int) []Pair {
	rng := rand.New(rand.NewPCG(5, 6))
	var pairs []Pair
	for thread := 0; len(pairs) < n; thread++ {
		id := strconv.Itoa(thread)
		prompt := benchText(rng, 900)
		answers := []string{benchText(rng, 600), benchText(rng, 600), benchText(rng, 600), benchText(rng, 600)}
		for i := range answers {
			for j := i + 1; j < len(answers) && len(pairs) < n; j++ {
				a, r := strconv.Itoa(i), strconv.Itoa(j)
				pairs = append(pairs, Pair{PairID: PairID("stackexchange", "ai", id, a, r), Source: "stackexchange", Dump: "ai", ThreadID: id,
					ChosenID: a, RejectedID: r, Prompt: prompt, Chosen: answers[i], Rejected: answers[j], ChosenScore: 2, Margin: 2,
					Split: SplitTrain, Recipe: "askell/v1", Basis: "votes"})
			}
		}
	}
	return pairs
}

// benchText is n bytes of word salad: compresses about as well as real posts do.
func benchText(rng *rand.Rand, n int) string {
	words := []string{"the", "answer", "is", "to", "use", "a", "channel", "because", "goroutines", "block",
		"when", "nothing", "reads", "from", "it", "so", "buffer", "or", "select", "with", "default", "timeout"}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

func benchPairs(n int) []Pair {
	rng := rand.New(rand.NewPCG(1, 2))
	prompts := make([]string, n/10+1)
	for i := range prompts {
		prompts[i] = benchText(rng, 400)
	}
	pairs := make([]Pair, n)
	for i := range pairs {
		id := strconv.Itoa(i)
		pairs[i] = Pair{PairID: PairID("s", "d", id, "a", "b"), Source: "stackexchange", Dump: "ai", ThreadID: id, ChosenID: id + "a", RejectedID: id + "b",
			Prompt: prompts[i/10], Chosen: benchText(rng, 700), Rejected: benchText(rng, 300), ChosenScore: float64(rng.IntN(50)),
			RejectedScore: float64(rng.IntN(5)), Margin: 1, Split: SplitTrain, Recipe: "askell/v1", Basis: "votes"}
	}
	return pairs
}

func benchDocuments(n int) []Document {
	rng := rand.New(rand.NewPCG(3, 4))
	docs := make([]Document, n)
	for i := range docs {
		id := strconv.Itoa(i)
		docs[i] = Document{Source: "stackexchange", Dump: "ai", ID: id, ThreadID: strconv.Itoa(i / 5), Kind: KindAnswer, Author: "u" + id,
			CreatedUnix: 1700000000 + int64(i), Score: int64(rng.IntN(40)), Upvotes: -1, Title: benchText(rng, 60), Text: benchText(rng, 900), Tags: "|go|"}
	}
	return docs
}

// BenchmarkDecode decodes batches of 1000 realistic rows (the bus's batch size).
func BenchmarkDecode(b *testing.B) {
	b.Run("pairs", func(b *testing.B) {
		data, err := PairCodec.Encode(benchPairs(1000))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := PairCodec.Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("documents", func(b *testing.B) {
		data, err := DocumentCodec.Encode(benchDocuments(1000))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		var docs []Document
		for b.Loop() {
			if docs, err = DocumentCodec.DecodeAppend(docs[:0], data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
