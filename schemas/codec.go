package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column maps one field of a record type T to one Arrow column.
type Column[T any] struct {
	Field    arrow.Field
	appendTo func(b array.Builder, r *T)
	readFrom func(a arrow.Array, i int, r *T)
	// reserve sizes a builder for rows up front, so encoding copies each value once.
	reserve func(b array.Builder, rows []T) int
	// validate, if set, checks a decoded column before its values are read (nested columns,
	// whose offsets a corrupt batch could point anywhere).
	validate func(a arrow.Array) error
}

// StringColumn is a utf8 column read from and written to the field at returns.
func StringColumn[T any](name string, at func(*T) *string) Column[T] {
	return Column[T]{
		Field:    arrow.Field{Name: name, Type: arrow.BinaryTypes.String},
		appendTo: func(b array.Builder, r *T) { b.(*array.StringBuilder).Append(*at(r)) },
		readFrom: func(a arrow.Array, i int, r *T) { *at(r) = a.(*array.String).Value(i) },
		reserve: func(b array.Builder, rows []T) int {
			n := 0
			for i := range rows {
				n += len(*at(&rows[i]))
			}
			b.(*array.StringBuilder).ReserveData(n)
			return n + 4*len(rows)
		},
	}
}

// DictStringColumn is a dictionary-encoded utf8 column: each distinct value is stored once per
// batch (pairs repeat their prompt and answers in many rows).
func DictStringColumn[T any](name string, at func(*T) *string) Column[T] {
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	return Column[T]{
		Field: arrow.Field{Name: name, Type: dt},
		appendTo: func(b array.Builder, r *T) {
			v := *at(r)
			bytes := []byte{}
			if len(v) > 0 {
				bytes = unsafe.Slice(unsafe.StringData(v), len(v)) // the builder copies it
			}
			_ = b.(*array.BinaryDictionaryBuilder).Append(bytes)
		},
		readFrom: func(a arrow.Array, i int, r *T) {
			d := a.(*array.Dictionary)
			*at(r) = d.Dictionary().(*array.String).Value(d.GetValueIndex(i))
		},
		reserve: func(_ array.Builder, rows []T) int {
			n := 0
			for i := range rows {
				n += len(*at(&rows[i]))
			}
			return n/2 + 4*len(rows)
		},
	}
}

// Int64Column is an int64 column.
func Int64Column[T any](name string, at func(*T) *int64) Column[T] {
	return Column[T]{
		Field:    arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64},
		appendTo: func(b array.Builder, r *T) { b.(*array.Int64Builder).Append(*at(r)) },
		readFrom: func(a arrow.Array, i int, r *T) { *at(r) = a.(*array.Int64).Value(i) },
	}
}

// Float64Column is a float64 column.
func Float64Column[T any](name string, at func(*T) *float64) Column[T] {
	return Column[T]{
		Field:    arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64},
		appendTo: func(b array.Builder, r *T) { b.(*array.Float64Builder).Append(*at(r)) },
		readFrom: func(a arrow.Array, i int, r *T) { *at(r) = a.(*array.Float64).Value(i) },
	}
}

// Codec turns slices of T into Arrow IPC stream bytes (one schema message and one record batch,
// its buffers LZ4-compressed: text shrinks about 2-3x, which the streams, the server's block
// caches and the network all feel) and back. The schema carries the version in its metadata, and decoding refuses a batch whose
// columns do not match.
type Codec[T any] struct {
	Version string
	Schema  *arrow.Schema
	columns []Column[T]
	// mem allocates decoded batches; encodeMem the buffers of a batch being encoded.
	mem, encodeMem memory.Allocator
	// rowBytes is the least a row takes in the buffers of a batch.
	rowBytes int64
}

// NewCodec builds the codec of a record type from its columns.
func NewCodec[T any](version string, columns ...Column[T]) *Codec[T] {
	fields := make([]arrow.Field, len(columns))
	for i, c := range columns {
		fields[i] = c.Field
	}
	meta := arrow.NewMetadata([]string{"prefstream.schema"}, []string{version})
	return &Codec[T]{Version: version, Schema: arrow.NewSchema(fields, &meta), columns: columns, mem: memory.DefaultAllocator, encodeMem: encodePool, rowBytes: rowFloor(fields)}
}

// WithAllocator returns a copy of the codec that allocates from mem (tests use a checked allocator).
func (c *Codec[T]) WithAllocator(mem memory.Allocator) *Codec[T] {
	cc := *c
	cc.mem, cc.encodeMem = mem, mem
	return &cc
}

// Encode writes rows as one Arrow IPC stream.
func (c *Codec[T]) Encode(rows []T) ([]byte, error) {
	b := array.NewRecordBuilder(c.encodeMem, c.Schema)
	defer b.Release()
	b.Reserve(len(rows))
	size := 4096
	for j, col := range c.columns {
		if col.reserve != nil {
			size += col.reserve(b.Field(j), rows)
		} else {
			size += 8 * len(rows)
		}
	}
	for i := range rows {
		for j, col := range c.columns {
			col.appendTo(b.Field(j), &rows[i])
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	buf := scratchBuffers.Get().(*bytes.Buffer)
	defer scratchBuffers.Put(buf)
	buf.Reset()
	buf.Grow(size + 512*len(c.columns))
	w := ipc.NewWriter(buf, ipc.WithSchema(c.Schema), ipc.WithAllocator(c.encodeMem), ipc.WithLZ4())
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("schemas: encode %s: %w", c.Version, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("schemas: encode %s: %w", c.Version, err)
	}
	return bytes.Clone(buf.Bytes()), nil
}

// scratchBuffers hold a batch while it is written: sized for the uncompressed batch, reused,
// and the compressed result copied out at its own size.
var scratchBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Decode reads every record of an Arrow IPC stream. Any bytes are safe to pass (a message on the
// bus is untrusted): a stream that is not a batch of this codec gives an error naming the
// schema, never a panic, and arrow-go allocates at most 256 times the input's size, plus 1 MiB,
// to decode it (see DecodeAppend).
func (c *Codec[T]) Decode(data []byte) ([]T, error) {
	return c.DecodeAppend(nil, data)
}

// decodeInflation bounds the bytes arrow-go may allocate to decode a batch: decodeInflation
// times the batch's size, plus decodeSlack. LZ4 cannot expand data more than about 255 times,
// so no well-formed batch needs more; a corrupt one claiming more is refused.
const decodeInflation = 256

// decodeSlack covers arrow-go's 64-byte rounding of each buffer, for small batches.
const decodeSlack = 1 << 20

// DecodeAppend appends the records of an Arrow IPC stream to dst; on error it returns dst as
// it was. Before arrow-go parses the stream it checks the flatbuffer vectors arrow-go sizes
// slices by (guardStream); arrow-go then allocates through an allocator that refuses to go
// over the budget, and a batch must have room for its rows in the bytes decoded, so that
// corrupt lengths and counts cost an error, not a fatal out-of-memory. Any panic of arrow-go
// or of a column read is recovered into an error naming the schema.
func (c *Codec[T]) DecodeAppend(dst []T, data []byte) (out []T, err error) {
	return c.decodeAppend(dst, data, c.mem)
}

// DecodeIn is DecodeAppend with the batch's buffers, which the rows' strings point into, taken
// from arena: the rows must not be used after the arena's next Reset.
func (c *Codec[T]) DecodeIn(arena *Arena, dst []T, data []byte) ([]T, error) {
	return c.decodeAppend(dst, data, arena)
}

func (c *Codec[T]) decodeAppend(dst []T, data []byte, alloc memory.Allocator) (out []T, err error) {
	start := len(dst)
	if err := guardStream(data); err != nil {
		return dst, fmt.Errorf("schemas: decode %s: corrupt batch: %w", c.Version, err)
	}
	mem := &budgetAllocator{mem: alloc, limit: decodeInflation*int64(len(data)) + decodeSlack}
	defer func() {
		if p := recover(); p != nil {
			out, err = dst[:start], c.decodeError(mem, fmt.Errorf("corrupt batch: %v", p))
		}
	}()
	size := int64(len(data))
	mr := ipc.NewMessageReader(bytes.NewReader(data), ipc.WithAllocator(mem), ipc.WithMetadataSizeLimit(size), ipc.WithBodySizeLimit(size))
	r, err := ipc.NewReaderFromMessageReader(mr, ipc.WithAllocator(mem))
	if err != nil {
		return dst, c.decodeError(mem, err)
	}
	defer r.Release()
	if err := c.check(r.Schema()); err != nil {
		return dst, err
	}
	for r.Next() {
		rec := r.RecordBatch()
		n := int(rec.NumRows())
		if err := c.checkRows(rec, n, mem.used); err != nil {
			return dst[:start], err
		}
		first := len(dst)
		dst = append(dst, make([]T, n)...)
		for j, col := range c.columns {
			arr := rec.Column(j)
			for i := 0; i < n; i++ {
				col.readFrom(arr, i, &dst[first+i])
			}
		}
	}
	if err := r.Err(); err != nil {
		return dst[:start], c.decodeError(mem, err)
	}
	return dst, nil
}

// decodeError names the schema, and says so when the batch asked for more memory than its
// budget (arrow-go reports the allocator's panic as an error of its own).
func (c *Codec[T]) decodeError(mem *budgetAllocator, err error) error {
	if mem.refused > 0 {
		return fmt.Errorf("schemas: decode %s: corrupt batch: it asks for %d bytes after %d, more than the %d a batch of its size may take: %w",
			c.Version, mem.refused, mem.used, mem.limit, errOverBudget)
	}
	return fmt.Errorf("schemas: decode %s: %w", c.Version, err)
}

// checkRows refuses a batch whose row count its buffers cannot hold, then each column shorter
// than the batch or refused by its validator, before any row is allocated.
func (c *Codec[T]) checkRows(rec arrow.RecordBatch, rows int, decoded int64) error {
	if c.rowBytes > 0 && int64(rows) > decoded/c.rowBytes {
		return fmt.Errorf("schemas: decode %s: corrupt batch: %d rows of at least %d bytes in %d bytes decoded", c.Version, rows, c.rowBytes, decoded)
	}
	for j, col := range c.columns {
		if err := c.checkColumn(col, rec.Column(j), rows); err != nil {
			return err
		}
	}
	return nil
}

// checkColumn refuses a column shorter than its batch, or one its validator rejects.
func (c *Codec[T]) checkColumn(col Column[T], arr arrow.Array, rows int) error {
	if arr.Len() < rows {
		return fmt.Errorf("schemas: decode %s: column %s has %d values for %d rows", c.Version, col.Field.Name, arr.Len(), rows)
	}
	if col.validate != nil {
		if err := col.validate(arr); err != nil {
			return fmt.Errorf("schemas: decode %s: column %s: %w", c.Version, col.Field.Name, err)
		}
	}
	return nil
}

func (c *Codec[T]) check(got *arrow.Schema) error {
	if v, ok := got.Metadata().GetValue("prefstream.schema"); ok && v != c.Version {
		return fmt.Errorf("schemas: batch is %s, want %s", v, c.Version)
	}
	if got.NumFields() != len(c.columns) {
		return fmt.Errorf("schemas: batch has %d columns, %s has %d", got.NumFields(), c.Version, len(c.columns))
	}
	for i, col := range c.columns {
		if f := got.Field(i); f.Name != col.Field.Name || !arrow.TypeEqual(f.Type, col.Field.Type) {
			return fmt.Errorf("schemas: column %d is %s %s, %s wants %s %s", i, f.Name, f.Type, c.Version, col.Field.Name, col.Field.Type)
		}
	}
	return nil
}

// rowFloor is the least a row of fields occupies in the buffers of a batch: the width of a
// fixed-width value or dictionary index, the offset of a string or list.
func rowFloor(fields []arrow.Field) int64 {
	var n int64
	for _, f := range fields {
		switch t := f.Type.(type) {
		case *arrow.DictionaryType:
			n += int64(t.IndexType.(arrow.FixedWidthDataType).BitWidth() / 8)
		case arrow.FixedWidthDataType:
			n += int64(t.BitWidth() / 8)
		}
		switch f.Type.ID() {
		case arrow.STRING, arrow.BINARY, arrow.LIST, arrow.MAP:
			n += 4
		case arrow.LARGE_STRING, arrow.LARGE_BINARY, arrow.LARGE_LIST:
			n += 8
		}
	}
	return n
}

// errOverBudget is what budgetAllocator panics with.
var errOverBudget = errors.New("over the decoding budget")

// budgetAllocator allocates from mem until the bytes it gave out would pass limit, then panics
// with errOverBudget: the allocations arrow-go sizes by lengths read from the stream (message
// bodies, decompressed buffers) stop at a bound set by the input's size. Freeing gives nothing
// back. One decode uses it, from one goroutine.
type budgetAllocator struct {
	mem                  memory.Allocator
	limit, used, refused int64
}

func (a *budgetAllocator) take(n int) {
	if int64(n) > a.limit-a.used {
		a.refused = int64(n)
		panic(errOverBudget)
	}
	a.used += int64(max(n, 0))
}

func (a *budgetAllocator) Allocate(size int) []byte {
	a.take(size)
	return a.mem.Allocate(size)
}

func (a *budgetAllocator) Reallocate(size int, b []byte) []byte {
	a.take(size - len(b))
	return a.mem.Reallocate(size, b)
}

func (a *budgetAllocator) Free(b []byte) { a.mem.Free(b) }
