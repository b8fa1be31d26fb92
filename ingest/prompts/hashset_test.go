package prompts

import "testing"

func TestHashSet(t *testing.T) {
	var s hashSet
	const n = 100000
	for i := uint64(0); i < n; i++ {
		h := i * 0x9E3779B97F4A7C15 // i = 0 gives the hash 0
		if !s.add(h) {
			t.Fatalf("hash %d of %#x reported present", i, h)
		}
		if s.add(h) {
			t.Fatalf("hash %d of %#x added twice", i, h)
		}
	}
	if s.len() != n || len(s.slots) > 4*n || 4*s.len() > 3*len(s.slots) {
		t.Fatalf("%d hashes in %d slots", s.len(), len(s.slots))
	}
	if s.add(1) { // 0 is stored as 1
		t.Fatal("the hash 1 must be taken by the hash 0")
	}
	// Hashes that collide on their low bits probe on.
	var c hashSet
	for i := uint64(1); i <= 600; i++ {
		if !c.add(i << 40) {
			t.Fatalf("colliding hash %d reported present", i)
		}
	}
	for i := uint64(1); i <= 600; i++ {
		if c.add(i << 40) {
			t.Fatalf("colliding hash %d added twice", i)
		}
	}
}
