package tools

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/journal"
)

// Calls of one key by other servers, overlapping, of any length, their
// entries written when they happen and read in parts: a repeat is refused
// while any agent, or a call that may have made one, is within the window.
func TestFollowingSimulated(t *testing.T) {
	for _, skew := range []time.Duration{0, 3 * time.Second} {
		t.Run(fmt.Sprint("clocks apart by up to ", skew), func(t *testing.T) { followingSimulated(t, skew) })
	}
}

// followingSimulated runs the simulation with the other servers' clocks up to
// skew ahead of, or behind, this one's.
func followingSimulated(t *testing.T, skew time.Duration) {
	outcomes := []string{journal.OutcomeCreated, journal.OutcomeFailed, journal.OutcomeNotSent, journal.OutcomeUnknown}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 3000 {
		fj := &fakeJournal{}
		r, clk := following(fj)
		start := clk.now()
		type ev struct {
			at time.Time // when written, by this server's clock
			e  journal.Entry
		}
		var evs []ev
		for c := range 1 + rng.IntN(6) {
			begin := start.Add(time.Duration(rng.IntN(20*60)) * time.Second)
			dur := time.Duration(rng.IntN(15*60)) * time.Second
			off := time.Duration(0)
			if skew > 0 {
				off = time.Duration(rng.Int64N(int64(2*skew))) - skew
			}
			s := journaled(1, begin.Add(off), journal.OutcomeSending)
			s.Call, s.AgentID, s.DurationMS = fmt.Sprint("c", c), "", 5
			evs = append(evs, ev{s.End().Add(-off), s})
			if rng.IntN(5) > 0 {
				o := journaled(1, begin.Add(off), outcomes[rng.IntN(len(outcomes))])
				o.Call, o.AgentID, o.DurationMS = s.Call, fmt.Sprint("agt_", c), dur.Milliseconds()+5
				evs = append(evs, ev{o.End().Add(-off), o})
			}
		}
		slices.SortStableFunc(evs, func(a, b ev) int { return a.at.Compare(b.at) })
		s := &sender{made: true, id: "agt_new"}
		var history []journal.Entry
		written := map[string]time.Time{}
		for step, x := range evs {
			clk.add(max(0, x.at.Sub(clk.now())) + time.Duration(rng.IntN(2000))*time.Millisecond)
			fj.entries, history = append(fj.entries, x.e), append(history, x.e)
			written[x.e.Call+x.e.Outcome] = x.at
			if rng.IntN(2) > 0 {
				continue
			}
			if rng.IntN(2) > 0 {
				clk.add(time.Duration(rng.IntN(12*60)) * time.Second)
			}
			now := clk.now()
			must := ""
			for _, e := range journal.Settled(history) {
				if e.Outcome != journal.OutcomeFailed && e.Outcome != journal.OutcomeNotSent && now.Sub(written[e.Call+e.Outcome]) < 10*time.Minute-2*skew {
					must = e.Call + ":" + e.Outcome
				}
			}
			_, joined := r.do(context.Background(), keyN(1<<20+round*64+step), keyN(1), "create_agent_x", s.send, nil)
			if must != "" && !joined {
				t.Fatalf("round %d: a repeat was sent although %s is within the window; history %v", round, must, outcomesOf(history))
			}
		}
	}
}
