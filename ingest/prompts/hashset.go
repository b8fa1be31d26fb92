package prompts

// hashSet is a set of 64-bit hashes in one open-addressed table: 8 bytes a slot, at most 3/4
// full, so 11 to 21 bytes per hash (a Go map of uint64 takes 24 to 36).
type hashSet struct {
	slots []uint64 // 0 is an empty slot; the hash 0 is stored as 1
	n     int
}

// add inserts h and reports whether it was new.
func (s *hashSet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	if !s.insert(h) {
		return false
	}
	s.n++
	return true
}

func (s *hashSet) insert(h uint64) bool {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			return true
		case h:
			return false
		}
	}
}

func (s *hashSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(2*len(old), 1024))
	for _, h := range old {
		if h != 0 {
			s.insert(h)
		}
	}
}

// len is the number of hashes in the set.
func (s *hashSet) len() int { return s.n }
