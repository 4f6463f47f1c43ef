package app

import (
	"fmt"
	"testing"
)

func TestRecentSet(t *testing.T) {
	r := newRecentSet(3)
	for _, s := range []string{"a", "b", "c", "a"} {
		r.add(s)
	}
	if r.len() != 3 || !r.has("a") || !r.has("b") || !r.has("c") {
		t.Fatalf("after a b c a: %v", r.added)
	}
	r.add("d") // the oldest, a, goes
	if r.has("a") || !r.has("d") || r.len() != 3 {
		t.Errorf("after d: %v, want b c d", r.added)
	}
	// b removed and added again is as new: the next one pushes out c.
	r.remove("b")
	r.add("b")
	r.add("x")
	if !r.has("b") || !r.has("d") || !r.has("x") || r.has("c") || r.len() != 3 {
		t.Errorf("after removing and adding b again, then x: %v, want b d x", r.added)
	}
	// A member removed frees its room: the others stay.
	r = newRecentSet(2)
	r.add("a")
	r.add("b")
	r.remove("a")
	r.add("c")
	if !r.has("b") || !r.has("c") || r.len() != 2 {
		t.Errorf("after a b, removing a, then c: %v, want b c", r.added)
	}
}

// Members added and removed in turn, as cancellations are, keep the set's
// memory bounded.
func TestRecentSetStaysBounded(t *testing.T) {
	r := newRecentSet(8)
	r.add("kept")
	for i := range 10_000 {
		s := fmt.Sprint(i)
		r.add(s)
		r.remove(s)
	}
	if !r.has("kept") || r.len() != 1 || len(r.order) > 2*r.len()+16 {
		t.Errorf("after 10,000 added and removed: %d members, %d entries kept, kept remembered %v", r.len(), len(r.order), r.has("kept"))
	}
	// And when full, each added pushing out the oldest.
	for i := range 10_000 {
		r.add(fmt.Sprint("full ", i))
	}
	if r.len() != 8 || !r.has("full 9999") || r.has("full 9991") || cap(r.order) > 4*8+32 {
		t.Errorf("after 10,000 added to a full set: %d members, order of %d entries, room for %d", r.len(), len(r.order), cap(r.order))
	}
}
