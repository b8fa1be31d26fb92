package schemas

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// lists is a record with one column of each list kind.
type lists struct {
	ID      string
	Words   []string
	Ints    []int32
	Longs   []int64
	Floats  []float32
	Doubles []float64
}

var listsCodec = NewCodec("lists/v1",
	StringColumn("id", func(r *lists) *string { return &r.ID }),
	StringListColumn("words", func(r *lists) *[]string { return &r.Words }),
	Int32ListColumn("ints", func(r *lists) *[]int32 { return &r.Ints }),
	Int64ListColumn("longs", func(r *lists) *[]int64 { return &r.Longs }),
	Float32ListColumn("floats", func(r *lists) *[]float32 { return &r.Floats }),
	Float64ListColumn("doubles", func(r *lists) *[]float64 { return &r.Doubles }),
)

func TestListColumnsRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	codec := listsCodec.WithAllocator(mem)
	long := make([]int32, 5000)
	for i := range long {
		long[i] = int32(i * 7)
	}
	tests := []struct {
		name string
		rows []lists
	}{
		{"no rows", []lists{}},
		{"all empty", []lists{{}, {ID: "x"}}},
		{"one of each", []lists{{ID: "a", Words: []string{"w"}, Ints: []int32{-1}, Longs: []int64{math.MaxInt64}, Floats: []float32{0.5}, Doubles: []float64{math.Inf(-1)}}}},
		{"mixed lengths", []lists{
			{ID: "1", Words: []string{"", "héllo ✓", "a\x00b"}, Ints: []int32{3, 1, 2, 0}},
			{ID: "2"},
			{ID: "3", Words: []string{strings.Repeat("z", 70000)}, Ints: long, Floats: []float32{1, 2, 3}, Doubles: []float64{-0.25}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := codec.Encode(tt.rows)
			if err != nil {
				t.Fatal(err)
			}
			got, err := codec.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.rows) || (len(got) > 0 && !reflect.DeepEqual(got, tt.rows)) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, tt.rows)
			}
		})
	}
}

func TestListColumnEmptyDecodesAsNil(t *testing.T) {
	data, err := listsCodec.Encode([]lists{{Words: []string{}, Ints: []int32{}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := listsCodec.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Words != nil || got[0].Ints != nil {
		t.Fatalf("empty lists decode as %#v, %#v, want nil", got[0].Words, got[0].Ints)
	}
}

func TestListColumnsRefuseOtherSchemas(t *testing.T) {
	data, err := listsCodec.Encode([]lists{{ID: "a", Ints: []int32{1}}})
	if err != nil {
		t.Fatal(err)
	}
	other := NewCodec("lists/v1",
		StringColumn("id", func(r *lists) *string { return &r.ID }),
		StringListColumn("words", func(r *lists) *[]string { return &r.Words }),
		Int64ListColumn("ints", func(r *lists) *[]int64 { return &r.Longs }), // int64 where the batch has int32
		Int64ListColumn("longs", func(r *lists) *[]int64 { return &r.Longs }),
		Float32ListColumn("floats", func(r *lists) *[]float32 { return &r.Floats }),
		Float64ListColumn("doubles", func(r *lists) *[]float64 { return &r.Doubles }),
	)
	if _, err := other.Decode(data); err == nil || !strings.Contains(err.Error(), "column 2") {
		t.Fatalf("decoding list<int32> as list<int64>: %v, want a column 2 mismatch", err)
	}
}

// FuzzListOffsets builds list columns whose offsets (and length) are garbage over valid values,
// as a corrupt batch would carry them: decoding must refuse them or read within bounds, never
// panic. (Garbage in an IPC stream's own flatbuffers is arrow-go's to parse, before any column
// is read.)
func FuzzListOffsets(f *testing.F) {
	f.Add(uint8(2), []byte{0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0})
	f.Add(uint8(3), []byte{0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0})
	f.Add(uint8(1), []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x7f})
	f.Add(uint8(0), []byte{})
	words := array.NewStringBuilder(memory.DefaultAllocator)
	words.AppendValues([]string{"a", "bb", "", "dddd"}, nil)
	wordValues := words.NewArray()
	ints := array.NewInt32Builder(memory.DefaultAllocator)
	ints.AppendValues([]int32{1, 2, 3, 4, 5}, nil)
	intValues := ints.NewArray()
	wordsCol := StringListColumn("words", func(r *lists) *[]string { return &r.Words })
	intsCol := Int32ListColumn("ints", func(r *lists) *[]int32 { return &r.Ints })
	f.Fuzz(func(t *testing.T, rows uint8, offsets []byte) {
		for _, c := range []struct {
			col    Column[lists]
			values arrow.Array
		}{{wordsCol, wordValues}, {intsCol, intValues}} {
			data := array.NewData(c.col.Field.Type, int(rows), []*memory.Buffer{nil, memory.NewBufferBytes(offsets)},
				[]arrow.ArrayData{c.values.Data()}, 0, 0)
			a := array.MakeFromData(data)
			data.Release()
			if err := c.col.validate(a); err != nil {
				a.Release()
				continue
			}
			var r lists
			for i := 0; i < int(rows); i++ {
				c.col.readFrom(a, i, &r)
				if len(r.Words) > wordValues.Len() || len(r.Ints) > intValues.Len() {
					t.Fatalf("row %d read %d words, %d ints from %d and %d values", i, len(r.Words), len(r.Ints), wordValues.Len(), intValues.Len())
				}
			}
			a.Release()
		}
	})
}
