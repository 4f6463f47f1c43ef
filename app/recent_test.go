package app

import "testing"

func TestRecentSet(t *testing.T) {
	r := newRecentSet(3)
	for _, s := range []string{"a", "b", "c", "a"} {
		r.add(s)
	}
	if r.len() != 3 || !r.has("a") || !r.has("b") || !r.has("c") {
		t.Fatalf("after a b c a: %v", r.slot)
	}
	r.add("d") // the oldest, a, goes
	if r.has("a") || !r.has("d") || r.len() != 3 {
		t.Errorf("after d: %v, want b c d", r.slot)
	}
	// b removed and added again lives in a new place: overwriting its old
	// place must not forget it.
	r = newRecentSet(3)
	for _, s := range []string{"a", "b", "c"} {
		r.add(s)
	}
	r.remove("b")
	r.add("b") // a's place, the oldest: a goes
	r.add("x") // b's first place, which no longer holds b
	if !r.has("b") || !r.has("c") || !r.has("x") || r.has("a") || r.len() != 3 {
		t.Errorf("after removing and adding b again: %v, want b c x", r.slot)
	}
}
