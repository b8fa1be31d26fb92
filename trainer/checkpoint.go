package trainer

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/prefstream/prefstream/trainer/tokenizer"
)

// CheckpointFormat names the file layout: this line, a little-endian uint32 length and that
// many bytes of JSON header, the tokenizer (its own self-delimiting format), every parameter
// as little-endian float32 in header order, then, when the header says so, AdamW's first and
// second moments in the same order.
const CheckpointFormat = "prefstream-checkpoint/v1\n"

// littleEndian says whether float32s in memory are laid out as in a checkpoint file.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// maxHeader bounds the JSON header a reader accepts.
const maxHeader = 16 << 20

// Checkpoint is everything needed to use a model or resume training it.
type Checkpoint struct {
	Model *Model
	Tok   *tokenizer.Tokenizer
	// Opt is the optimizer state, nil in an inference-only checkpoint.
	Opt *AdamW
	// State is the trainer's own record (stage, step, stream position), opaque here.
	State json.RawMessage
}

type checkpointHeader struct {
	Config    Config          `json:"config"`
	Tokenizer string          `json:"tokenizer"`
	Params    []paramHeader   `json:"params"`
	Optimizer *optimizerState `json:"optimizer,omitempty"`
	State     json.RawMessage `json:"state,omitempty"`
}

type paramHeader struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type optimizerState struct {
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	ClipNorm    float64 `json:"clip_norm"`
	Step        int     `json:"step"`
}

// WriteTo writes the checkpoint.
func (c *Checkpoint) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<20)}
	h := checkpointHeader{Config: c.Model.Config, Tokenizer: c.Tok.Version(), State: c.State}
	for _, p := range c.Model.Params.List {
		h.Params = append(h.Params, paramHeader{p.Name, p.Shape})
	}
	if o := c.Opt; o != nil {
		h.Optimizer = &optimizerState{o.LR, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.ClipNorm, o.Step}
	}
	head, err := json.Marshal(h)
	if err != nil {
		return 0, fmt.Errorf("trainer: checkpoint header: %w", err)
	}
	io.WriteString(cw, CheckpointFormat)
	binary.Write(cw, binary.LittleEndian, uint32(len(head)))
	cw.Write(head)
	if _, err := c.Tok.WriteTo(cw); err != nil {
		return cw.n, fmt.Errorf("trainer: checkpoint tokenizer: %w", err)
	}
	buf := make([]byte, 0, 1<<16)
	writeFloats := func(x []float32) {
		for lo := 0; lo < len(x); lo += 1 << 14 {
			buf = buf[:0]
			for _, v := range x[lo:min(lo+1<<14, len(x))] {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
			cw.Write(buf)
		}
	}
	for _, p := range c.Model.Params.List {
		writeFloats(p.Data)
	}
	if c.Opt != nil {
		for _, moments := range []map[*Param][]float32{c.Opt.m, c.Opt.v} {
			for _, p := range c.Model.Params.List {
				m := moments[p]
				if m == nil {
					m = make([]float32, len(p.Data))
				}
				writeFloats(m)
			}
		}
	}
	if cw.err != nil {
		return cw.n, fmt.Errorf("trainer: writing checkpoint: %w", cw.err)
	}
	return cw.n, cw.w.(*bufio.Writer).Flush()
}

// ReadCheckpoint reads what WriteTo wrote. A truncated or inconsistent file is an error that
// says what was wrong and at which byte.
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) {
	cr := &countingReader{r: bufio.NewReaderSize(r, 1<<20)}
	fail := func(what string, err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("file ends early (truncated?)")
		}
		return fmt.Errorf("trainer: checkpoint: %s at byte %d: %w", what, cr.n, err)
	}
	magic := make([]byte, len(CheckpointFormat))
	if _, err := io.ReadFull(cr, magic); err != nil {
		return nil, fail("format line", err)
	}
	if string(magic) != CheckpointFormat {
		return nil, fmt.Errorf("trainer: checkpoint: not a %q file", CheckpointFormat[:len(CheckpointFormat)-1])
	}
	var size uint32
	if err := binary.Read(cr, binary.LittleEndian, &size); err != nil {
		return nil, fail("header length", err)
	}
	if size > maxHeader {
		return nil, fail("header length", fmt.Errorf("%d bytes is more than %d", size, maxHeader))
	}
	head := make([]byte, size)
	if _, err := io.ReadFull(cr, head); err != nil {
		return nil, fail("header", err)
	}
	var h checkpointHeader
	if err := json.Unmarshal(head, &h); err != nil {
		return nil, fail("header", err)
	}
	if err := h.Config.Validate(); err != nil {
		return nil, fail("config", err)
	}
	tok := new(tokenizer.Tokenizer)
	if _, err := tok.ReadFrom(cr); err != nil {
		return nil, fail("tokenizer", err)
	}
	if tok.Version() != h.Tokenizer {
		return nil, fail("tokenizer", fmt.Errorf("version %s, header says %s", tok.Version(), h.Tokenizer))
	}
	m := &Model{Config: h.Config, Params: layoutParams(h.Config), Tokenizer: h.Tokenizer}
	if len(h.Params) != len(m.Params.List) {
		return nil, fail("parameters", fmt.Errorf("%d listed, the config has %d", len(h.Params), len(m.Params.List)))
	}
	for i, p := range m.Params.List {
		if h.Params[i].Name != p.Name || !slices.Equal(h.Params[i].Shape, p.Shape) {
			return nil, fail("parameters", fmt.Errorf("entry %d is %s%v, the config wants %s%v", i, h.Params[i].Name, h.Params[i].Shape, p.Name, p.Shape))
		}
	}
	buf := make([]byte, 1<<16)
	readFloats := func(x []float32) error {
		if littleEndian && len(x) > 0 {
			// The file's layout is the machine's: read straight into the weights.
			_, err := io.ReadFull(cr, unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x)))
			return err
		}
		for lo := 0; lo < len(x); lo += 1 << 14 {
			chunk := x[lo:min(lo+1<<14, len(x))]
			b := buf[:4*len(chunk)]
			if _, err := io.ReadFull(cr, b); err != nil {
				return err
			}
			for i := range chunk {
				chunk[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		}
		return nil
	}
	for _, p := range m.Params.List {
		if err := readFloats(p.Data); err != nil {
			return nil, fail("parameter "+p.Name, err)
		}
	}
	c := &Checkpoint{Model: m, Tok: tok, State: h.State}
	if o := h.Optimizer; o != nil {
		opt := NewAdamW(o.LR)
		opt.Beta1, opt.Beta2, opt.Eps, opt.WeightDecay, opt.ClipNorm, opt.Step = o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.ClipNorm, o.Step
		for _, moments := range []map[*Param][]float32{opt.m, opt.v} {
			for _, p := range m.Params.List {
				x := make([]float32, len(p.Data))
				if err := readFloats(x); err != nil {
					return nil, fail("optimizer state of "+p.Name, err)
				}
				moments[p] = x
			}
		}
		c.Opt = opt
	}
	if n, _ := cr.Read(buf[:1]); n != 0 {
		return nil, fmt.Errorf("trainer: checkpoint: unexpected bytes after the end at byte %d", cr.n-1)
	}
	return c, nil
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
