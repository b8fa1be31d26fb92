package schemas

import (
	"bytes"
	"fmt"
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
	mem     memory.Allocator
}

// NewCodec builds the codec of a record type from its columns.
func NewCodec[T any](version string, columns ...Column[T]) *Codec[T] {
	fields := make([]arrow.Field, len(columns))
	for i, c := range columns {
		fields[i] = c.Field
	}
	meta := arrow.NewMetadata([]string{"prefstream.schema"}, []string{version})
	return &Codec[T]{Version: version, Schema: arrow.NewSchema(fields, &meta), columns: columns, mem: memory.DefaultAllocator}
}

// WithAllocator returns a copy of the codec that allocates from mem (tests use a checked allocator).
func (c *Codec[T]) WithAllocator(mem memory.Allocator) *Codec[T] {
	cc := *c
	cc.mem = mem
	return &cc
}

// Encode writes rows as one Arrow IPC stream.
func (c *Codec[T]) Encode(rows []T) ([]byte, error) {
	b := array.NewRecordBuilder(c.mem, c.Schema)
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
	var buf bytes.Buffer
	buf.Grow(size + 512*len(c.columns))
	w := ipc.NewWriter(&buf, ipc.WithSchema(c.Schema), ipc.WithAllocator(c.mem), ipc.WithLZ4())
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("schemas: encode %s: %w", c.Version, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("schemas: encode %s: %w", c.Version, err)
	}
	return buf.Bytes(), nil
}

// Decode reads every record of an Arrow IPC stream.
func (c *Codec[T]) Decode(data []byte) ([]T, error) {
	return c.DecodeAppend(nil, data)
}

// DecodeAppend appends the records of an Arrow IPC stream to dst.
func (c *Codec[T]) DecodeAppend(dst []T, data []byte) ([]T, error) {
	r, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(c.mem))
	if err != nil {
		return dst, fmt.Errorf("schemas: decode %s: %w", c.Version, err)
	}
	defer r.Release()
	if err := c.check(r.Schema()); err != nil {
		return dst, err
	}
	for r.Next() {
		rec := r.RecordBatch()
		n := int(rec.NumRows())
		start := len(dst)
		dst = append(dst, make([]T, n)...)
		for j, col := range c.columns {
			arr := rec.Column(j)
			if err := c.checkColumn(col, arr, n); err != nil {
				return dst[:start], err
			}
			for i := 0; i < n; i++ {
				col.readFrom(arr, i, &dst[start+i])
			}
		}
	}
	if err := r.Err(); err != nil {
		return dst, fmt.Errorf("schemas: decode %s: %w", c.Version, err)
	}
	return dst, nil
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
