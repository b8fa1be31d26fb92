package tokenizer

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"
	"testing"
)

// FuzzRoundTrip: any bytes split into words that join back, encode with the
// reference BPE's ids, never to a special, and decode to themselves.
func FuzzRoundTrip(f *testing.F) {
	tok := sample(f)
	for _, s := range []string{"", "hello world", "<|good|>", "ab\xff\xfe  \n\tcd", "東京 😀 e\u0301",
		strings.Repeat("the", 100), strings.Repeat("é", 200) + "\xc3", englishString(8, 2000)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		checkWords(t, text)
		ids := tok.Encode(text)
		if want := referenceEncode(tok, text); !slices.Equal(ids, want) {
			t.Fatalf("Encode(%q) = %v, reference %v", text, ids, want)
		}
		for _, id := range ids {
			if id < 0 || int(id) >= tok.Vocab() || SpecialName(id) != "" {
				t.Fatalf("Encode(%q) emitted id %d", text, id)
			}
		}
		got, err := tok.DecodeStrict(ids)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, text) {
			t.Fatalf("Decode(Encode(%q)) = %q", text, got)
		}
	})
}

// FuzzUnmarshal: any blob is either rejected with an error or is a working
// tokenizer whose canonical form is the blob itself; it never panics.
func FuzzUnmarshal(f *testing.F) {
	for _, texts := range [][]string{{"aaabdaaabac"}, {"hello hello hello"}, {"aaaa aaaa", "ab ab"}} {
		blob, _ := mustTrain(f, texts...).MarshalBinary()
		f.Add(blob)
	}
	zero, _ := (&Tokenizer{}).MarshalBinary()
	f.Add(zero)
	f.Add(craft(262, Merge{'a', 'b'}, Merge{'a', 262}))
	f.Add([]byte("prefstream-bpe/v1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkBlob(t, data)
		// Mutations rarely keep the checksum right: check the blob again with
		// it recomputed, so the merge checks are fuzzed too.
		if len(data) >= crcSize {
			fixed := bytes.Clone(data)
			body := fixed[:len(fixed)-crcSize]
			binary.LittleEndian.PutUint32(fixed[len(body):], crc32.Checksum(body, castagnoli))
			checkBlob(t, fixed)
		}
	})
}

func checkBlob(t *testing.T, data []byte) {
	t.Helper()
	var tok Tokenizer
	err := tok.UnmarshalBinary(data)
	var read Tokenizer
	n, readErr := read.ReadFrom(bytes.NewReader(data))
	if err != nil {
		if !strings.HasPrefix(err.Error(), "tokenizer: ") {
			t.Fatalf("error without the package prefix: %v", err)
		}
		if readErr == nil && n == int64(len(data)) {
			t.Fatalf("ReadFrom accepted the whole blob UnmarshalBinary rejected: %v", err)
		}
		return
	}
	if readErr != nil || read.Version() != tok.Version() {
		t.Fatalf("ReadFrom: %v", readErr)
	}
	again, _ := tok.MarshalBinary()
	if !bytes.Equal(again, data) {
		t.Fatal("an accepted blob is not canonical")
	}
	text := []byte("some text, aaab hello \xff")
	if got := tok.Decode(tok.Encode(text)); !bytes.Equal(got, text) {
		t.Fatalf("round trip with the unmarshaled tokenizer gave %q", got)
	}
}
