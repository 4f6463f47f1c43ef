package app

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// recentModel is recentSet as plainly as it can be written: members in the
// order they were added, the oldest dropped while there are too many.
type recentModel struct {
	members []string
	size    int
}

func (m *recentModel) add(s string) {
	if slices.Contains(m.members, s) {
		return
	}
	m.members = append(m.members, s)
	for len(m.members) > m.size {
		m.members = m.members[1:]
	}
}

func (m *recentModel) remove(s string) {
	if i := slices.Index(m.members, s); i >= 0 {
		m.members = slices.Delete(m.members, i, i+1)
	}
}

// recentSet behaves as the model under random additions and removals, and
// its memory stays within a bound of its size.
func TestRecentSetAgainstAModel(t *testing.T) {
	for size := 1; size <= 5; size++ {
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, uint64(size)))
			r, m := newRecentSet(size), recentModel{size: size}
			universe := 1 + rng.IntN(3*size+2)
			var ops []string
			for range 5000 {
				s := fmt.Sprint(rng.IntN(universe))
				if rng.IntN(3) == 0 {
					r.remove(s)
					m.remove(s)
					ops = append(ops, "-"+s)
				} else {
					r.add(s)
					m.add(s)
					ops = append(ops, "+"+s)
				}
				if r.len() != len(m.members) {
					t.Fatalf("size %d seed %d: len %d, want %d after %v", size, seed, r.len(), len(m.members), ops)
				}
				for u := range universe {
					s := fmt.Sprint(u)
					if r.has(s) != slices.Contains(m.members, s) {
						t.Fatalf("size %d seed %d: has(%s) %v, want %v after %v", size, seed, s, r.has(s), !r.has(s), ops)
					}
				}
				// Compacted once stale entries or the emptied head are most
				// of order: within a constant of size, however long it runs.
				if len(r.order) > 4*size+50 || cap(r.order) > 8*size+100 {
					t.Fatalf("size %d seed %d: order of %d entries (head %d), room for %d", size, seed, len(r.order), r.head, cap(r.order))
				}
			}
		}
	}
}
