package app

// recentSet remembers up to a fixed number of strings, forgetting the
// oldest first. A string removed frees its room at once. It is not safe for
// concurrent use: its owner locks.
type recentSet struct {
	added map[string]uint64 // each member, and when it was added
	order []recentEntry     // additions, oldest first from head; one whose member went since is stale
	head  int
	count uint64
	size  int
}

type recentEntry struct {
	s     string
	added uint64
}

func newRecentSet(size int) recentSet {
	return recentSet{added: make(map[string]uint64), size: size}
}

// add remembers s, forgetting the oldest member when full.
func (r *recentSet) add(s string) {
	if _, ok := r.added[s]; ok {
		return
	}
	r.count++
	r.added[s] = r.count
	r.order = append(r.order, recentEntry{s, r.count})
	for len(r.added) > r.size {
		e := r.order[r.head]
		r.order[r.head] = recentEntry{}
		r.head++
		if r.live(e) {
			delete(r.added, e.s)
		}
	}
	// Members removed leave stale entries behind, and those forgotten an
	// emptied head: once either is most of order, it is rebuilt from the
	// live entries, so it stays within about twice the members.
	if kept := len(r.order) - r.head; kept > 2*len(r.added)+16 || r.head > kept+16 {
		live := make([]recentEntry, 0, 2*len(r.added)+1)
		for _, e := range r.order[r.head:] {
			if r.live(e) {
				live = append(live, e)
			}
		}
		r.order, r.head = live, 0
	}
}

// live reports whether e is the addition of a member still remembered.
func (r *recentSet) live(e recentEntry) bool {
	added, ok := r.added[e.s]
	return ok && added == e.added
}

// has reports whether s is remembered.
func (r *recentSet) has(s string) bool {
	_, ok := r.added[s]
	return ok
}

// remove forgets s.
func (r *recentSet) remove(s string) { delete(r.added, s) }

// len is how many strings are remembered.
func (r *recentSet) len() int { return len(r.added) }
