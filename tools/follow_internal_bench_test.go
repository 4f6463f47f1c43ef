package tools

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/journal"
)

// BenchmarkFollowJournal is what following the journal adds to a create:
// the read of what other servers wrote since the last create, for n entries
// written meanwhile (failures with long vendor errors, of this tool and of
// another), the journal's writes left out.
func BenchmarkFollowJournal(b *testing.B) {
	for _, n := range []int{0, 1, 10, 100, 1000} {
		for _, tool := range []string{"create_agent_x", "create_agent_y"} {
			b.Run(fmt.Sprintf("%d entries of %s", n, tool), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "journal.jsonl")
				self, err := journal.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				defer self.Close()
				other, err := journal.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				defer other.Close()
				a := testAdapter()
				a.repeats = newRepeats(10 * time.Minute)
				a.repeats.follow = a.follower(self)
				a.repeats.followJournal()
				e := journal.Entry{Provider: "x", Tool: tool, Outcome: journal.OutcomeFailed, Error: strings.Repeat("x", 4000), Call: "c"}
				i := 0
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					for range n {
						i++
						e.Time, e.Repeat = time.Now(), fmt.Sprintf("%064x", i)
						if err := other.Record(e); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
					a.repeats.followJournal()
				}
			})
		}
	}
}

// BenchmarkApplyAtTheBounds is taking in one new create of another server
// once the creates and unknown outcomes read are both at their bounds.
func BenchmarkApplyAtTheBounds(b *testing.B) {
	r := newRepeats(10 * time.Minute)
	now := time.Now()
	r.now = func() time.Time { return now }
	update := func(i int, maybe bool) journalUpdate {
		u := journalUpdate{key: keyN(i), call: fmt.Sprint("c", i)}
		u.c = endedCall(&created{summary: "s", maybe: maybe}, journal.Entry{Time: now.Add(time.Duration(i) * time.Microsecond)}, now)
		return u
	}
	var fill []journalUpdate
	for i := range maxRestored {
		fill = append(fill, update(i, false), update(1<<22+i, true))
	}
	r.apply(fill)
	i := maxRestored
	b.ReportAllocs()
	for b.Loop() {
		i++
		r.apply([]journalUpdate{update(i, false)})
	}
}
