package schemas

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"
)

func TestArenaAllocate(t *testing.T) {
	var a Arena
	var got [][]byte
	for _, size := range []int{0, 1, 63, 64, 65, 1000, arenaSlab - 10, arenaSlab + 1, 3 * arenaSlab, 5} {
		b := a.Allocate(size)
		if len(b) != size || cap(b) < size {
			t.Fatalf("Allocate(%d): len %d cap %d", size, len(b), cap(b))
		}
		if size > 0 && uintptr(unsafe.Pointer(&b[0]))%arenaAlign != 0 {
			t.Errorf("Allocate(%d) is not %d-byte aligned", size, arenaAlign)
		}
		if bytes.Count(b, []byte{0}) != size {
			t.Errorf("Allocate(%d) is not zeroed", size)
		}
		for i := range b {
			b[i] = byte(size)
		}
		got = append(got, b)
	}
	for _, b := range got { // no allocation overlaps another
		if bytes.Count(b, []byte{byte(len(b))}) != len(b) {
			t.Fatalf("an allocation of %d bytes was overwritten", len(b))
		}
	}
}

func TestArenaResetReuses(t *testing.T) {
	var a Arena
	first := a.Allocate(1000)
	for i := range first {
		first[i] = 0xFF
	}
	a.Allocate(2 * arenaSlab)
	a.Reset()
	again := a.Allocate(1000)
	if &again[0] != &first[0] {
		t.Error("after Reset the first slab is not reused")
	}
	if bytes.Count(again, []byte{0}) != len(again) {
		t.Error("reused memory is not zeroed")
	}
	a.Reset() // this cycle used one slab: the large one is dropped
	if len(a.slabs) != 1 {
		t.Errorf("the arena keeps %d slabs after a cycle that used 1", len(a.slabs))
	}
}

func TestArenaLargeAfterSmallSlab(t *testing.T) {
	var a Arena
	a.Allocate(10)
	a.Reset()
	small := a.Allocate(arenaSlab) // fills the kept slab
	big := a.Allocate(2 * arenaSlab)
	small[0], big[0] = 1, 2
	if small[0] != 1 || len(big) != 2*arenaSlab {
		t.Fatal("a large allocation after a full slab overlaps it")
	}
}

func TestArenaReallocate(t *testing.T) {
	var a Arena
	b := a.Allocate(10)
	copy(b, "0123456789")
	grown := a.Reallocate(100, b)
	if &grown[0] != &b[0] {
		t.Error("the last allocation did not grow in place")
	}
	if string(grown[:10]) != "0123456789" || bytes.Count(grown[10:], []byte{0}) != 90 {
		t.Errorf("grown in place: %q", grown[:12])
	}
	other := a.Allocate(10)
	moved := a.Reallocate(200, grown)
	if &moved[0] == &grown[0] || string(moved[:10]) != "0123456789" || bytes.Count(moved[10:], []byte{0}) != 190 {
		t.Error("a reallocation that cannot grow in place must move with its content")
	}
	other[0] = 'x'
	if moved[0] != '0' {
		t.Error("the moved allocation overlaps a later one")
	}
	shrunk := a.Reallocate(5, moved)
	if len(shrunk) != 5 || &shrunk[0] != &moved[0] {
		t.Error("shrinking must not move")
	}
	if regrown := a.Reallocate(150, shrunk); bytes.Count(regrown[5:], []byte{0}) != 145 {
		t.Error("growing back within the capacity must zero what was given up")
	}
	edge := a.Reallocate(arenaSlab, a.Allocate(1)) // no room left in the slab: moves to a new one
	if len(edge) != arenaSlab {
		t.Error("a reallocation past the slab's end")
	}
}

func TestDecodeInMatchesDecode(t *testing.T) {
	var a Arena
	for _, n := range []int{1, 1000} {
		data, err := PairCodec.Encode(benchPairs(n))
		if err != nil {
			t.Fatal(err)
		}
		want, err := PairCodec.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := PairCodec.DecodeIn(&a, nil, data)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%d rows: DecodeIn differs from Decode (%v)", n, err)
		}
		a.Reset()
	}
	if _, err := PairCodec.DecodeIn(&a, nil, []byte("not a batch")); err == nil {
		t.Error("DecodeIn accepted garbage")
	}
}
