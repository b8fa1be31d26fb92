package wikipedia

import (
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// blockTestInputs are the inputs the block decoder is checked on, each
// compressed by every compressor at hand.
func blockTestInputs() []struct {
	name string
	data []byte
} {
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	var runs, allValues []byte
	for n := 1; n <= 300; n++ { // every run length, of changing byte values
		runs = append(runs, bytes.Repeat([]byte{byte(n % 7)}, n)...)
	}
	for i := range 4096 {
		allValues = append(allValues, byte(i*37+i/256))
	}
	inputs := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{'x'}},
		{"runs 1..300", runs},
		{"random", random(200 << 10)},
		{"text", genExport(genOptions{seed: 21, size: 1500 << 10, schema: "0.11", quirks: true})},
		// bzip2 -9 fills a block with 900000-19 bytes before its run-length
		// coding: a whole block, and one byte more.
		{"max block", random(899981)},
		{"max block and a byte", random(899982)},
		{"all byte values", allValues},
		// A periodic block's rows make several cycles, not one.
		{"periodic", bytes.Repeat([]byte("ab"), 5000)},
		{"periodic runs", bytes.Repeat([]byte("xxxxxxxy"), 999)},
	}
	for _, n := range []int{1, 2, 3, 4, 5, 8, 255, 256, 258, 259, 260, 263, 264, 300} {
		inputs = append(inputs, struct {
			name string
			data []byte
		}{fmt.Sprintf("run of %d", n), append(bytes.Repeat([]byte{'a'}, n), 'b')})
	}
	return inputs
}

// compressors returns the commands at hand that compress at a level.
func compressors(t *testing.T) map[string]func(data []byte, level int) []byte {
	t.Helper()
	out := map[string]func(data []byte, level int) []byte{
		"bzip2": func(data []byte, level int) []byte { return compressBzip2(t, data, level) },
	}
	if bin, err := exec.LookPath("lbzip2"); err == nil {
		out["lbzip2"] = func(data []byte, level int) []byte {
			cmd := exec.Command(bin, "-c", "-n", "1", fmt.Sprintf("-%d", level))
			cmd.Stdin = bytes.NewReader(data)
			b, err := cmd.Output()
			if err != nil {
				t.Fatalf("lbzip2: %v", err)
			}
			return b
		}
	} else {
		t.Log("lbzip2 is not installed: only bzip2's output is checked")
	}
	return out
}

// wrappedJobs returns the producer's jobs for a compressed input: its
// blocks as one-block streams.
func wrappedJobs(t testing.TB, compressed []byte) []*bz2Job {
	t.Helper()
	d := prepareBzip2Reader(bytes.NewReader(compressed), "test.bz2", 1)
	d.wg.Add(1)
	go d.produce()
	go func() {
		for range d.work {
		}
	}()
	var jobs []*bz2Job
	for job := range d.ordered {
		if job.fatal != nil || job.truncated || job.sequential != nil {
			t.Fatalf("the producer did not wrap the input: %+v", job)
		}
		jobs = append(jobs, job)
	}
	return jobs
}

// decodeJobsSerially decodes the jobs' streams one after the other with
// one decoder.
func decodeJobsSerially(t testing.TB, dec *blockDecoder, jobs []*bz2Job) []byte {
	t.Helper()
	var out []byte
	for i, job := range jobs {
		var err error
		if out, err = dec.decodeStream(job.stream, out); err != nil {
			t.Fatalf("block %d of %d: %v", i, len(jobs), err)
		}
	}
	return out
}

func TestBlockDecoderMatchesStdlib(t *testing.T) {
	var dec blockDecoder // one decoder for all: its tables are reused
	for name, compress := range compressors(t) {
		for _, level := range []int{1, 9} {
			for _, in := range blockTestInputs() {
				t.Run(fmt.Sprintf("%s -%d %s", name, level, in.name), func(t *testing.T) {
					compressed := compress(in.data, level)
					want := decodeStdlib(t, compressed)
					if !bytes.Equal(want, in.data) {
						t.Fatal("compress/bzip2 does not round-trip the input")
					}
					jobs := wrappedJobs(t, compressed)
					if got := decodeJobsSerially(t, &dec, jobs); !bytes.Equal(got, want) {
						t.Fatalf("blocks decode to %d bytes, compress/bzip2 to %d", len(got), len(want))
					}
					got, err := decodeParallel(t, compressed, 2)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("the reader: %d bytes, %v; want %d bytes", len(got), err, len(want))
					}
					checkWholeStream(t, &dec, compressed, want, len(jobs))
				})
			}
		}
	}
}

// checkWholeStream decodes a compressed file as one stream: right for a
// file of at most one block, errBzip2NotOne for more.
func checkWholeStream(t *testing.T, dec *blockDecoder, compressed, want []byte, blocks int) {
	t.Helper()
	got, err := dec.decodeStream(compressed, []byte("prefix"))
	switch {
	case blocks <= 1 && (err != nil || string(got) != "prefix"+string(want)):
		t.Errorf("the whole %d-block stream: %v", blocks, err)
	case blocks > 1 && !errors.Is(err, errBzip2NotOne):
		t.Errorf("a stream of %d blocks gives %v, want errBzip2NotOne", blocks, err)
	}
}

// smallStreams are short one-block streams, at two levels.
func smallStreams(t testing.TB) [][]byte {
	text := genExport(genOptions{seed: 22, size: 3 << 10, schema: "0.11"})
	return [][]byte{
		compressBzip2(t, text[:1500], 1),
		compressBzip2(t, []byte("aaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcc\x00\xff"), 9),
	}
}

// decodeBoth decodes with compress/bzip2 and with the block decoder.
func decodeBoth(dec *blockDecoder, stream []byte) (want []byte, stdErr error, got []byte, err error) {
	want, stdErr = io.ReadAll(bzip2.NewReader(bytes.NewReader(stream)))
	got, err = dec.decodeStream(stream, nil)
	return want, stdErr, got, err
}

// sameAsStdlib reports how the block decoder's result differs from
// compress/bzip2's, or "" when it does not. The block decoder refuses
// what compress/bzip2 reads on after one block (more blocks, streams).
func sameAsStdlib(want []byte, stdErr error, got []byte, err error) string {
	switch {
	case err == nil && stdErr != nil:
		return fmt.Sprintf("decodes %d bytes where compress/bzip2 fails: %v", len(got), stdErr)
	case err == nil && !bytes.Equal(got, want):
		return fmt.Sprintf("decodes %d bytes, compress/bzip2 %d others", len(got), len(want))
	case err != nil && stdErr == nil && !errors.Is(err, errBzip2NotOne):
		return fmt.Sprintf("fails (%v) where compress/bzip2 decodes %d bytes", err, len(want))
	}
	return ""
}

func TestBlockDecoderBitFlips(t *testing.T) {
	var dec blockDecoder
	for _, stream := range smallStreams(t) {
		for bit := range len(stream) * 8 {
			bad := bytes.Clone(stream)
			bad[bit/8] ^= 0x80 >> (bit % 8)
			if diff := sameAsStdlib(decodeBoth(&dec, bad)); diff != "" {
				t.Errorf("bit %d flipped: %s", bit, diff)
			}
		}
	}
}

// Bit flips in a large block, sampled: every stage sees corrupt input.
func TestBlockDecoderBitFlipsLargeBlock(t *testing.T) {
	data := genExport(genOptions{seed: 23, size: 100 << 10, schema: "0.11"})
	stream := compressBzip2(t, data[:90000], 1)
	var dec blockDecoder
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		bit := rng.IntN(len(stream) * 8)
		bad := bytes.Clone(stream)
		bad[bit/8] ^= 0x80 >> (bit % 8)
		if diff := sameAsStdlib(decodeBoth(&dec, bad)); diff != "" {
			t.Errorf("bit %d flipped: %s", bit, diff)
		}
	}
}

func TestBlockDecoderTruncated(t *testing.T) {
	var dec blockDecoder
	for _, stream := range smallStreams(t) {
		for n := range len(stream) {
			if got, err := dec.decodeStream(stream[:n], nil); err == nil {
				t.Errorf("cut to %d of %d bytes: decodes %d bytes", n, len(stream), len(got))
			}
		}
	}
}

func TestBlockDecoderErrors(t *testing.T) {
	stream := compressBzip2(t, []byte("hello, hello, hello"), 9)
	empty := compressBzip2(t, nil, 9)
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(stream)) }
	const randomisedBit = (bzHeaderBytes*8 + bzMagicBits + bzCRCBits) // right after the block CRC
	tests := []struct {
		name  string
		input []byte
		want  error
	}{
		{"block CRC", with(func(b []byte) []byte { b[bzHeaderBytes+bzMagicBits/8] ^= 1; return b }), errBzip2BlockCRC},
		{"stream CRC", with(func(b []byte) []byte { b[len(b)-2] ^= 1; return b }), errBzip2CRC},
		{"empty stream CRC", append(bytes.Clone(empty[:len(empty)-1]), 1), errBzip2CRC},
		{"randomised", with(func(b []byte) []byte { b[randomisedBit/8] |= 0x80 >> (randomisedBit % 8); return b }), errBzip2Randomised},
		{"level 0", with(func(b []byte) []byte { b[3] = '0'; return b }), errBzip2Header},
		{"not bzip2", []byte("<mediawiki>"), errBzip2Header},
		{"no input", nil, errBzip2Header},
		{"trailing byte", append(bytes.Clone(stream), 0), errBzip2NotOne},
		{"two streams", append(bytes.Clone(stream), stream...), errBzip2NotOne},
		{"bad magic", with(func(b []byte) []byte { b[5] ^= 0x10; return b }), errBzip2Magic},
	}
	var dec blockDecoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dec.decodeStream(tt.input, []byte("dst"))
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if string(got) != "dst" {
				t.Errorf("dst is %q after the error", got)
			}
		})
	}
	if got, err := dec.decodeStream(empty, nil); err != nil || len(got) != 0 {
		t.Errorf("an empty stream: %q, %v", got, err)
	}
}

// A block is at most its level's size: a level 1 stream whose block needs
// more fails.
func TestBlockDecoderLevelBoundsBlock(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	data := make([]byte, 150000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	stream := compressBzip2(t, data, 2)
	if jobs := wrappedJobs(t, stream); len(jobs) != 1 {
		t.Fatalf("%d blocks", len(jobs))
	}
	stream[3] = '1'
	var dec blockDecoder
	if _, err := dec.decodeStream(stream, nil); !errors.Is(err, errBzip2Overflow) {
		t.Errorf("a 150 kB block at level 1: %v, want errBzip2Overflow", err)
	}
}

// unRLE1Reference is bzip2's run-length decoding byte by byte: a run
// starts at the first byte, after a count and where the byte changes.
func unRLE1Reference(pre []byte) []byte {
	var out []byte
	runLen, prev := 0, -1
	for i := 0; i < len(pre); i++ {
		b := pre[i]
		if runLen == rleRunBytes {
			out = append(out, bytes.Repeat([]byte{byte(prev)}, int(b))...)
			runLen, prev = 0, -1
			continue
		}
		if int(b) != prev {
			runLen = 0
		}
		out = append(out, b)
		runLen++
		prev = int(b)
	}
	return out
}

func TestUnRLE1(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	tests := [][]byte{
		nil, []byte("a"), []byte("aaaa"), []byte("aaaa\x00"), []byte("aaaa\xff"),
		[]byte("aaaa\x00aaaa\x01"), // a count of 0, then a new run of the same byte
		[]byte("aaaa\x03aaa"), []byte("xaaaa\x05yyyy"), []byte("aaaaa"), []byte("aaaaaaaaa"),
	}
	for range 2000 {
		b := make([]byte, rng.IntN(100))
		for i := range b {
			b[i] = byte(rng.IntN(3)) // short alphabets make runs
			if rng.IntN(10) == 0 {
				b[i] = byte(rng.Uint32())
			}
		}
		tests = append(tests, b)
	}
	for _, pre := range tests {
		want := unRLE1Reference(pre)
		if got := unRLE1([]byte("dst"), pre); string(got) != "dst"+string(want) {
			t.Fatalf("%q: got %q, want %q", pre, got[3:], want)
		}
	}
}

// crcBitwise is the bzip2 CRC computed a bit at a time.
func crcBitwise(p []byte) uint32 {
	crc := ^uint32(0)
	for _, b := range p {
		crc ^= uint32(b) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ bzCRCPoly
			} else {
				crc <<= 1
			}
		}
	}
	return ^crc
}

func TestBzCRC(t *testing.T) {
	data := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog. ", 20))
	for n := range len(data) {
		if got, want := bzCRCUpdate(0, data[:n]), crcBitwise(data[:n]); got != want {
			t.Fatalf("%d bytes: %08x, want %08x", n, got, want)
		}
	}
	if got := bzCRCUpdate(bzCRCUpdate(0, data[:100]), data[100:]); got != crcBitwise(data) {
		t.Errorf("in two parts: %08x", got)
	}
}

// A complete code is canonical: by length, then symbol, counting up.
func TestBzHuffmanCanonical(t *testing.T) {
	lengths := []uint8{3, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 20}
	var b bzHuffmanBuilder
	var h bzHuffman
	if err := b.build(&h, lengths); err != nil {
		t.Fatal(err)
	}
	code, prevLen := uint64(0), uint8(0)
	for l := uint8(1); l <= bzMaxCodeLen; l++ {
		for sym, sl := range lengths {
			if sl != l {
				continue
			}
			code <<= l - prevLen
			prevLen = l
			e := h.lookup(code << (64 - l))
			if int(e&0xffff) != sym || uint8(e>>bzEntryLen) != l {
				t.Errorf("symbol %d, code %0*b: got symbol %d of length %d", sym, l, code, e&0xffff, e>>bzEntryLen)
			}
			code++
		}
	}
	if err := b.build(&h, []uint8{1, 1, 1}); err == nil {
		t.Error("three codes of one bit: no error")
	}
}

// naiveBWT returns the last column of the sorted rotations of s and the
// row of s itself.
func naiveBWT(s []byte) ([]byte, uint32) {
	n := len(s)
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	compare := func(a, b int) int { // the rotations starting at a and b
		for k := range n {
			x, y := s[(a+k)%n], s[(b+k)%n]
			if x != y {
				return int(x) - int(y)
			}
		}
		return 0
	}
	slices.SortStableFunc(rows, compare)
	last := make([]byte, n)
	var orig uint32
	for r, i := range rows {
		last[r] = s[(i+n-1)%n]
		if i == 0 {
			orig = uint32(r)
		}
	}
	return last, orig
}

func TestBWTInvert(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	text := genExport(genOptions{seed: 24, size: 40 << 10, schema: "0.11"})
	var w bwtWalker
	w.allocate()
	for _, n := range []int{1, 2, 3, 100, 511, 512, 1024, 5000, 20000} {
		s := text[:n]
		if n < 1000 {
			s = bytes.Clone(s)
			for i := range s {
				s[i] = "ab"[rng.IntN(2)]
			}
		}
		last, orig := naiveBWT(s)
		var counts [256]uint32
		for _, b := range last {
			counts[b]++
		}
		if err := w.invert(last, n, orig, &counts); err != nil || !bytes.Equal(last, s) {
			t.Fatalf("%d bytes: %v, %q", n, err, last[:min(n, 40)])
		}
	}
}

// A last column that is no transform, or the transform of a periodic
// text, makes several cycles of rows: the text then repeats the cycle
// from origPtr, as a walk of n steps gives.
func TestBWTInvertSeveralCycles(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var w bwtWalker
	w.allocate()
	periodic := 0
	for i := range 200 {
		n := 1 + rng.IntN(20000)
		if i%2 == 0 {
			n = 1 + rng.IntN(30)
		}
		last := make([]byte, n)
		var counts [256]uint32
		for i := range last {
			last[i] = byte(rng.IntN(3))
			counts[last[i]]++
		}
		orig := uint32(rng.IntN(n))
		want, cycles := naiveWalk(last, orig)
		if cycles {
			periodic++
		}
		if err := w.invert(last, n, orig, &counts); err != nil || !bytes.Equal(last, want) {
			t.Fatalf("%d rows: %v", n, err)
		}
	}
	if periodic < 10 {
		t.Errorf("only %d of the tests have several cycles", periodic)
	}
	s := []byte("abcabcabcabc")
	last, orig := naiveBWT(s)
	var counts [256]uint32
	for _, b := range last {
		counts[b]++
	}
	if err := w.invert(last, len(s), orig, &counts); err != nil || !bytes.Equal(last, s) {
		t.Errorf("periodic text: %q, %v", last, err)
	}
}

// naiveWalk inverts the transform one row at a time, n steps from orig,
// and reports whether the rows make several cycles.
func naiveWalk(last []byte, orig uint32) ([]byte, bool) {
	var next [256]int
	for _, b := range last {
		next[b]++
	}
	sum := 0
	for b, c := range next {
		next[b] = sum
		sum += c
	}
	follow := make([]int, len(last)) // row -> the row after it in the text
	first := make([]byte, len(last))
	for i, b := range last {
		follow[next[b]], first[next[b]] = i, b
		next[b]++
	}
	var out []byte
	cycles := false
	row := int(orig)
	for range last {
		out = append(out, first[row])
		row = follow[row]
		cycles = cycles || row == int(orig) && len(out) < len(last)
	}
	return out, cycles
}
