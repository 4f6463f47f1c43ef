package app

// recentSet remembers up to a fixed number of strings, forgetting the
// oldest first. It is not safe for concurrent use: its owner locks.
type recentSet struct {
	slot map[string]int // each member's place in ring
	ring []string       // members, oldest overwritten first once size are
	size int
	next int
}

func newRecentSet(size int) recentSet {
	return recentSet{slot: make(map[string]int), size: size}
}

// add remembers s, forgetting the oldest member when full.
func (r *recentSet) add(s string) {
	if _, ok := r.slot[s]; ok {
		return
	}
	if len(r.ring) < r.size {
		// Grown as used: most processes remember a few, if any.
		r.slot[s] = len(r.ring)
		r.ring = append(r.ring, s)
		return
	}
	// The member in this place may have been removed, and even added again
	// in another place since: forget it only if it still lives here.
	if at, ok := r.slot[r.ring[r.next]]; ok && at == r.next {
		delete(r.slot, r.ring[r.next])
	}
	r.ring[r.next] = s
	r.slot[s] = r.next
	r.next = (r.next + 1) % len(r.ring)
}

// has reports whether s is remembered.
func (r *recentSet) has(s string) bool {
	_, ok := r.slot[s]
	return ok
}

// remove forgets s.
func (r *recentSet) remove(s string) { delete(r.slot, s) }

// len is how many strings are remembered.
func (r *recentSet) len() int { return len(r.slot) }
