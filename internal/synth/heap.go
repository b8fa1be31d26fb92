package synth

// ordered values know whether they come before another.
type ordered[T any] interface{ before(T) bool }

// minHeap is a binary min-heap of values (no boxing, unlike container/heap).
type minHeap[T ordered[T]] struct{ items []T }

func (h *minHeap[T]) len() int { return len(h.items) }

func (h *minHeap[T]) peek() T { return h.items[0] }

func (h *minHeap[T]) push(x T) {
	h.items = append(h.items, x)
	for i := len(h.items) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h.items[i].before(h.items[parent]) {
			break
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		i = parent
	}
}

func (h *minHeap[T]) pop() T {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	var zero T
	h.items[last] = zero
	h.items = h.items[:last]
	for i := 0; ; {
		least, left := i, 2*i+1
		if left < last && h.items[left].before(h.items[least]) {
			least = left
		}
		if right := left + 1; right < last && h.items[right].before(h.items[least]) {
			least = right
		}
		if least == i {
			return top
		}
		h.items[i], h.items[least] = h.items[least], h.items[i]
		i = least
	}
}
