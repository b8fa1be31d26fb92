package schemas

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// List columns hold a Go slice per row as an Arrow list<elem>. An empty and a nil slice encode
// alike, and decode as nil. Decoding validates the list's offsets (and string bytes) first, so a
// corrupt batch is an error, never an out-of-range read.

// StringListColumn is a list<utf8> column.
func StringListColumn[T any](name string, at func(*T) *[]string) Column[T] {
	c := listColumn(name, arrow.BinaryTypes.String, at,
		func(b array.Builder, vs []string) { b.(*array.StringBuilder).AppendValues(vs, nil) },
		func(a arrow.Array, start, end int) []string {
			s := a.(*array.String)
			out := make([]string, end-start)
			for i := range out {
				out[i] = s.Value(start + i)
			}
			return out
		})
	c.reserve = func(b array.Builder, rows []T) int {
		n, items := 0, 0
		for i := range rows {
			for _, v := range *at(&rows[i]) {
				n += len(v)
			}
			items += len(*at(&rows[i]))
		}
		vb := b.(*array.ListBuilder).ValueBuilder().(*array.StringBuilder)
		vb.Reserve(items)
		vb.ReserveData(n)
		return n + 4*items + 4*len(rows)
	}
	return c
}

// Int32ListColumn is a list<int32> column.
func Int32ListColumn[T any](name string, at func(*T) *[]int32) Column[T] {
	return primitiveListColumn(name, arrow.PrimitiveTypes.Int32, at,
		func(b array.Builder, vs []int32) { b.(*array.Int32Builder).AppendValues(vs, nil) },
		func(a arrow.Array) []int32 { return a.(*array.Int32).Int32Values() })
}

// Int64ListColumn is a list<int64> column.
func Int64ListColumn[T any](name string, at func(*T) *[]int64) Column[T] {
	return primitiveListColumn(name, arrow.PrimitiveTypes.Int64, at,
		func(b array.Builder, vs []int64) { b.(*array.Int64Builder).AppendValues(vs, nil) },
		func(a arrow.Array) []int64 { return a.(*array.Int64).Int64Values() })
}

// Float32ListColumn is a list<float32> column.
func Float32ListColumn[T any](name string, at func(*T) *[]float32) Column[T] {
	return primitiveListColumn(name, arrow.PrimitiveTypes.Float32, at,
		func(b array.Builder, vs []float32) { b.(*array.Float32Builder).AppendValues(vs, nil) },
		func(a arrow.Array) []float32 { return a.(*array.Float32).Float32Values() })
}

// Float64ListColumn is a list<float64> column.
func Float64ListColumn[T any](name string, at func(*T) *[]float64) Column[T] {
	return primitiveListColumn(name, arrow.PrimitiveTypes.Float64, at,
		func(b array.Builder, vs []float64) { b.(*array.Float64Builder).AppendValues(vs, nil) },
		func(a arrow.Array) []float64 { return a.(*array.Float64).Float64Values() })
}

// primitiveListColumn is a list of fixed-width values, read by copying a slice of the values
// buffer (which the decoded batch owns and releases).
func primitiveListColumn[T any, E any](name string, elem arrow.DataType, at func(*T) *[]E,
	appendAll func(b array.Builder, vs []E), values func(a arrow.Array) []E) Column[T] {
	c := listColumn(name, elem, at, appendAll, func(a arrow.Array, start, end int) []E {
		return append([]E(nil), values(a)[start:end]...)
	})
	c.reserve = func(b array.Builder, rows []T) int {
		items := 0
		for i := range rows {
			items += len(*at(&rows[i]))
		}
		b.(*array.ListBuilder).ValueBuilder().Reserve(items)
		return 8*items + 4*len(rows)
	}
	return c
}

func listColumn[T any, E any](name string, elem arrow.DataType, at func(*T) *[]E,
	appendAll func(b array.Builder, vs []E), read func(a arrow.Array, start, end int) []E) Column[T] {
	return Column[T]{
		Field: arrow.Field{Name: name, Type: arrow.ListOf(elem)},
		appendTo: func(b array.Builder, r *T) {
			lb := b.(*array.ListBuilder)
			lb.Append(true)
			if vs := *at(r); len(vs) > 0 {
				appendAll(lb.ValueBuilder(), vs)
			}
		},
		readFrom: func(a arrow.Array, i int, r *T) {
			l := a.(*array.List)
			start, end := l.ValueOffsets(i)
			if start == end {
				*at(r) = nil
				return
			}
			*at(r) = read(l.ListValues(), int(start), int(end))
		},
		validate: array.ValidateFull,
	}
}
