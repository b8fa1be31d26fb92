package tokenizer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
)

// FormatName starts every serialized tokenizer.
const FormatName = "prefstream-bpe/v1"

const (
	magic      = FormatName + "\n"
	headerSize = len(magic) + 4 // magic, vocab
	mergeSize  = 8
	crcSize    = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary returns the serialized form described in the package
// documentation. It never fails.
func (t *Tokenizer) MarshalBinary() ([]byte, error) { return t.marshal(), nil }

func (t *Tokenizer) marshal() []byte {
	b := make([]byte, 0, headerSize+mergeSize*len(t.merges)+crcSize)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(t.Vocab()))
	for _, m := range t.merges {
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Left))
		b = binary.LittleEndian.AppendUint32(b, uint32(m.Right))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// WriteTo writes the serialized form to w.
func (t *Tokenizer) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(t.marshal())
	if err != nil {
		return int64(n), fmt.Errorf("tokenizer: write: %w", err)
	}
	return int64(n), nil
}

// UnmarshalBinary replaces t by the tokenizer serialized in data, which
// must hold exactly one serialized tokenizer. A truncated, corrupted or
// inconsistent blob is an error and leaves t unchanged.
func (t *Tokenizer) UnmarshalBinary(data []byte) error {
	vocab, err := parseHeader(data)
	if err != nil {
		return err
	}
	if want := blobSize(vocab); len(data) != want {
		if len(data) < want {
			return fmt.Errorf("tokenizer: truncated: a vocab of %d needs %d bytes, have %d", vocab, want, len(data))
		}
		return fmt.Errorf("tokenizer: %d trailing bytes after the %d of a vocab of %d", len(data)-want, want, vocab)
	}
	return t.parse(data, vocab)
}

// ReadFrom replaces t by the tokenizer serialized at the start of r,
// reading exactly its bytes, so a tokenizer can be embedded in a larger
// file. Errors are as for UnmarshalBinary.
func (t *Tokenizer) ReadFrom(r io.Reader) (int64, error) {
	data := make([]byte, headerSize)
	n, err := io.ReadFull(r, data)
	if err != nil {
		return int64(n), readError(err, n, headerSize)
	}
	vocab, err := parseHeader(data)
	if err != nil {
		return int64(n), err
	}
	data = append(data, make([]byte, blobSize(vocab)-headerSize)...)
	m, err := io.ReadFull(r, data[headerSize:])
	n += m
	if err != nil {
		return int64(n), readError(err, n, len(data))
	}
	return int64(n), t.parse(data, vocab)
}

func readError(err error, have, want int) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("tokenizer: truncated: need %d bytes, have %d: %w", want, have, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("tokenizer: read: %w", err)
}

func blobSize(vocab int) int { return headerSize + mergeSize*(vocab-FirstMerge) + crcSize }

// parseHeader checks the magic and returns the vocab size.
func parseHeader(data []byte) (int, error) {
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		n := min(len(data), len(magic))
		return 0, fmt.Errorf("tokenizer: not a %s blob: starts with %q", FormatName, data[:n])
	}
	if len(data) < headerSize {
		return 0, fmt.Errorf("tokenizer: truncated: %d bytes, the header needs %d", len(data), headerSize)
	}
	vocab := binary.LittleEndian.Uint32(data[len(magic):])
	if vocab < FirstMerge || vocab > MaxVocab {
		return 0, fmt.Errorf("tokenizer: vocab %d out of range [%d, %d]", vocab, FirstMerge, MaxVocab)
	}
	return int(vocab), nil
}

// parse checks and installs a blob of the right size for vocab.
func (t *Tokenizer) parse(data []byte, vocab int) error {
	body := data[:len(data)-crcSize]
	stored := binary.LittleEndian.Uint32(data[len(body):])
	if sum := crc32.Checksum(body, castagnoli); sum != stored {
		return fmt.Errorf("tokenizer: checksum mismatch: stored %08x, computed %08x (corrupted blob)", stored, sum)
	}
	merges := make([]Merge, vocab-FirstMerge)
	seen := make(map[uint64]int, len(merges))
	length := make([]int, len(merges))
	total := 0
	for i := range merges {
		off := headerSize + mergeSize*i
		m := Merge{
			Left:  int32(binary.LittleEndian.Uint32(data[off:])),
			Right: int32(binary.LittleEndian.Uint32(data[off+4:])),
		}
		id := FirstMerge + i
		for _, part := range [2]int32{m.Left, m.Right} {
			switch {
			case part < 0 || int(part) >= id:
				return fmt.Errorf("tokenizer: merge %d (id %d) refers to id %d, not defined before it", i, id, uint32(part))
			case part >= EndOfContext && part < FirstMerge:
				return fmt.Errorf("tokenizer: merge %d (id %d) uses special token %s", i, id, SpecialName(part))
			}
		}
		if prev, dup := seen[pairKey(m.Left, m.Right)]; dup {
			return fmt.Errorf("tokenizer: merge %d (id %d) repeats the pair (%d, %d) of merge %d", i, id, m.Left, m.Right, prev)
		}
		seen[pairKey(m.Left, m.Right)] = i
		length[i] = tokenLen(length, m.Left) + tokenLen(length, m.Right)
		if length[i] > MaxWordBytes {
			return fmt.Errorf("tokenizer: merge %d (id %d) makes a token of %d bytes, more than the %d of a word", i, id, length[i], MaxWordBytes)
		}
		if total += length[i]; total > maxTokenBytesTotal {
			return fmt.Errorf("tokenizer: merged tokens exceed %d bytes in all", maxTokenBytesTotal)
		}
		merges[i] = m
	}
	built := newTokenizer(merges)
	t.merges, t.ranks, t.bytes, t.offsets, t.version = built.merges, built.ranks, built.bytes, built.offsets, built.version
	t.states = sync.Pool{}
	return nil
}

func tokenLen(length []int, id int32) int {
	if id < 256 {
		return 1
	}
	return length[id-FirstMerge]
}
