package lake

import (
	"reflect"
	"testing"
)

func TestRanges(t *testing.T) {
	tests := []struct {
		name      string
		pushed    []uint64
		union     Ranges
		want      Ranges
		in, notIn []uint64
	}{
		{"empty", nil, nil, nil, nil, []uint64{0, 1}},
		{"contiguous pushes merge", []uint64{3, 4, 5, 9}, nil, Ranges{{3, 5}, {9, 9}}, []uint64{3, 4, 5, 9}, []uint64{2, 6, 8, 10}},
		{"union after", []uint64{1, 2}, Ranges{{3, 4}, {8, 8}}, Ranges{{1, 4}, {8, 8}}, []uint64{1, 4, 8}, []uint64{5, 9}},
		{"union before and between", []uint64{5, 10}, Ranges{{1, 2}, {6, 8}}, Ranges{{1, 2}, {5, 8}, {10, 10}}, []uint64{1, 5, 7, 10}, []uint64{3, 4, 9, 11}},
		{"union overlapping", []uint64{5, 6, 7}, Ranges{{6, 9}}, Ranges{{5, 9}}, []uint64{5, 9}, []uint64{4, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Ranges
			for _, seq := range tt.pushed {
				r.push(seq)
			}
			r.union(tt.union)
			if !reflect.DeepEqual(r, tt.want) || !r.valid() {
				t.Fatalf("ranges = %v, want %v", r, tt.want)
			}
			for _, seq := range tt.in {
				if !r.Contains(seq) {
					t.Errorf("%v does not contain %d", r, seq)
				}
			}
			for _, seq := range tt.notIn {
				if r.Contains(seq) {
					t.Errorf("%v contains %d", r, seq)
				}
			}
		})
	}
}
