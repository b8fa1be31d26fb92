package tokenizer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestMarshalRoundTrip(t *testing.T) {
	for name, tok := range map[string]*Tokenizer{"trained": sample(t), "zero": {}, "classic": mustTrain(t, "aaabdaaabac")} {
		t.Run(name, func(t *testing.T) {
			blob, err := tok.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(blob, []byte("prefstream-bpe/v1\n")) || len(blob) != blobSize(tok.Vocab()) {
				t.Fatalf("blob of %d bytes starts %q", len(blob), blob[:min(len(blob), 20)])
			}
			var back Tokenizer
			if err := back.UnmarshalBinary(blob); err != nil {
				t.Fatal(err)
			}
			again, _ := back.MarshalBinary()
			if !bytes.Equal(again, blob) || back.Version() != tok.Version() || back.Vocab() != tok.Vocab() {
				t.Fatalf("round trip changed the tokenizer: version %s -> %s", tok.Version(), back.Version())
			}
			text := englishText(77, 20_000)
			if !slices.Equal(back.Encode(text), tok.Encode(text)) {
				t.Fatal("the unmarshaled tokenizer encodes differently")
			}

			// WriteTo / ReadFrom inside a larger stream: exactly its bytes are read.
			var buf bytes.Buffer
			if n, err := tok.WriteTo(&buf); err != nil || n != int64(len(blob)) {
				t.Fatalf("WriteTo = %d, %v", n, err)
			}
			buf.WriteString("model weights follow")
			var read Tokenizer
			if n, err := read.ReadFrom(&buf); err != nil || n != int64(len(blob)) {
				t.Fatalf("ReadFrom = %d, %v", n, err)
			}
			if read.Version() != tok.Version() || buf.String() != "model weights follow" {
				t.Fatalf("ReadFrom: version %s, rest %q", read.Version(), buf.String())
			}
		})
	}
}

func mustTrain(t testing.TB, texts ...string) *Tokenizer {
	tok, err := Train(seqOf(texts...), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// craft builds a blob with the given vocab and merges and a valid checksum.
func craft(vocab uint32, merges ...Merge) []byte {
	b := []byte(magic)
	b = binary.LittleEndian.AppendUint32(b, vocab)
	for _, m := range merges {
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Left))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Right))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func TestUnmarshalErrors(t *testing.T) {
	good, _ := mustTrain(t, "aaabdaaabac").MarshalBinary()
	flipped := bytes.Clone(good)
	flipped[len(magic)+5] ^= 0x10
	doubling := []Merge{{'a', 'a'}}
	for i := range 8 {
		doubling = append(doubling, Merge{int32(FirstMerge + i), int32(FirstMerge + i)})
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a prefstream-bpe/v1 blob"},
		{"wrong magic", []byte("prefstream-bpe/v2\n\x04\x01\x00\x00"), "not a prefstream-bpe/v1 blob"},
		{"json", []byte(`{"merges": []}`), "not a prefstream-bpe/v1 blob"},
		{"header cut", good[:len(magic)+2], "truncated"},
		{"merges cut", good[:len(good)-7], "truncated: a vocab of 263 needs 50 bytes, have 43"},
		{"checksum cut", good[:len(good)-1], "truncated"},
		{"trailing bytes", append(bytes.Clone(good), 0), "1 trailing bytes"},
		{"bit flip", flipped, "checksum mismatch"},
		{"vocab too small", craft(100), "vocab 100 out of range"},
		{"vocab too large", craft(MaxVocab + 1), "out of range"},
		{"vocab disagrees with merges", craft(262, Merge{'a', 'b'}), "truncated"},
		{"forward reference", craft(262, Merge{'a', 'b'}, Merge{'a', 262}), "merge 1 (id 261) refers to id 262"},
		{"self reference", craft(261, Merge{260, 'b'}), "refers to id 260"},
		{"negative id", craft(261, Merge{-1, 'b'}), "refers to id 4294967295"},
		{"special", craft(261, Merge{'a', Good}), "uses special token <|good|>"},
		{"duplicate pair", craft(262, Merge{'a', 'b'}, Merge{'a', 'b'}), "repeats the pair (97, 98) of merge 0"},
		{"token too long", craft(uint32(FirstMerge+len(doubling)), doubling...), "makes a token of 512 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustTrain(t, "hello hello hello")
			before := tok.Version()
			err := tok.UnmarshalBinary(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tokenizer: ") {
				t.Fatalf("UnmarshalBinary error = %v, want one containing %q", err, tt.want)
			}
			if tok.Version() != before || tok.Vocab() != 265 {
				t.Fatal("a failed UnmarshalBinary changed the tokenizer")
			}
			var read Tokenizer
			if _, err := read.ReadFrom(bytes.NewReader(tt.data)); err == nil && tt.name != "trailing bytes" {
				t.Fatal("ReadFrom accepted it")
			}
		})
	}
}

func TestUnmarshalEveryTruncation(t *testing.T) {
	good, _ := mustTrain(t, "aaabdaaabac", "hello hello hello").MarshalBinary()
	for n := range len(good) {
		var tok Tokenizer
		if err := tok.UnmarshalBinary(good[:n]); err == nil {
			t.Fatalf("a blob cut to %d of %d bytes was accepted", n, len(good))
		}
		_, err := tok.ReadFrom(bytes.NewReader(good[:n]))
		if err == nil {
			t.Fatalf("ReadFrom of %d of %d bytes succeeded", n, len(good))
		}
		if n >= len(magic) && n >= headerSize && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("ReadFrom of %d bytes: %v, want ErrUnexpectedEOF", n, err)
		}
	}
}

func TestUnmarshalEveryBitFlip(t *testing.T) {
	good, _ := mustTrain(t, "aaabdaaabac").MarshalBinary()
	for i := range len(good) * 8 {
		bad := bytes.Clone(good)
		bad[i/8] ^= 1 << (i % 8)
		var tok Tokenizer
		if err := tok.UnmarshalBinary(bad); err == nil {
			t.Fatalf("flipping bit %d was not detected", i)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteToError(t *testing.T) {
	if _, err := sample(t).WriteTo(failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("WriteTo error = %v", err)
	}
}
