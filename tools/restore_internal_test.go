package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
)

// fakeJournal serves entries, or err, to a follower; its cursor is an index
// into entries. Those of server "this-server" are its own, which it leaves
// out, as package journal's does.
type fakeJournal struct {
	entries       []journal.Entry
	err           error
	tails, afters int
}

func (f *fakeJournal) Hold() (journal.Cursor, error) { return journal.Cursor{}, nil }

func (f *fakeJournal) TailFrom(_ journal.Cursor, t time.Time, _ string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error) {
	return f.Tail(t, keep)
}

func (f *fakeJournal) Tail(t time.Time, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error) {
	f.tails++
	if f.err != nil {
		return nil, journal.Cursor{}, f.err
	}
	var out []journal.Entry
	for _, e := range f.entries {
		if e.Server != "this-server" && !e.End().Before(t) && keep(e) {
			out = append(out, e)
		}
	}
	return out, journal.Cursor{Offset: int64(len(f.entries))}, nil
}

func (f *fakeJournal) After(c journal.Cursor, tool string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error) {
	f.afters++
	if f.err != nil {
		return nil, c, f.err
	}
	var out []journal.Entry
	for _, e := range f.entries[c.Offset:] {
		if e.Server != "this-server" && (tool == "" || e.Tool == tool) && keep(e) {
			out = append(out, e)
		}
	}
	return out, journal.Cursor{Offset: int64(len(f.entries))}, nil
}

func (f *fakeJournal) Secret() ([]byte, error) { return []byte("secret"), nil }

// AfterSends is After: the fake's own entries are never read.
func (f *fakeJournal) AfterSends(c journal.Cursor, tool string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error) {
	return f.After(c, tool, keep)
}

func (f *fakeJournal) Server() string { return "this-server" }

func testAdapter() *adapter[struct{}] {
	return &adapter[struct{}]{name: "create_agent_x", log: zerolog.Nop(),
		desc: providers.Descriptor{Slug: "x", Name: "X", VerifyHint: "GET /agents"}}
}

// following is repeats with a 10-minute window following fj.
func following(fj *fakeJournal) (*repeats, *clock) {
	r, clk := testRepeats(10 * time.Minute)
	a := testAdapter()
	a.repeats = r
	r.follow = a.follower(fj)
	return r, clk
}

func journaled(i int, at time.Time, outcome string) journal.Entry {
	return journal.Entry{Time: at, Provider: "x", Tool: "create_agent_x", AgentName: fmt.Sprint("agent ", i),
		AgentID: fmt.Sprint("agt_", i), Outcome: outcome, Repeat: fmt.Sprintf("%064x", i)}
}

func keyN(i int) (k repeatKey) {
	k[29], k[30], k[31] = byte(i>>16), byte(i>>8), byte(i)
	return k
}

// What the journal says of a busy journal is bounded: the newest
// maxRestored creates, and apart from them as many unknown outcomes, so that
// an outage's many do not push out the creates before it.
func TestJournaledCallsAreBounded(t *testing.T) {
	fj := &fakeJournal{}
	r, clk := following(fj)
	start := clk.now().Add(-5 * time.Minute)
	n := 2*maxRestored + maxRestored/4 + 10 // past the room prune leaves
	for i := range n {
		fj.entries = append(fj.entries, journaled(i, start.Add(time.Duration(i)*time.Millisecond), journal.OutcomeCreated))
	}
	for i := n; i < n+2*maxRemembered; i++ {
		fj.entries = append(fj.entries, journaled(i, start, journal.OutcomeUnknown))
	}
	s := &sender{made: true, id: "agt_new"}
	r.do(context.Background(), keyN(1<<20), keyN(1<<20), "create_agent_x", s.send, nil) // reads the journal back
	r.mu.Lock()
	held, newest, oldest, unknown := len(r.restored), r.restored[keyN(n-1)] != nil, r.restored[keyN(n-maxRestored-1)] != nil, r.restored[keyN(n)] != nil
	r.mu.Unlock()
	if held != maxRestored+2*maxRemembered || !newest || oldest || !unknown {
		t.Errorf("held %d (want %d creates and %d unknown outcomes); newest create %v, one past the bound %v, an unknown outcome %v",
			held, maxRestored, 2*maxRemembered, newest, oldest, unknown)
	}
}

// A call read back that ended after the read began (another server's clock
// runs ahead) is kept for its own window.
func TestRestoredCallKeepsItsOwnWindow(t *testing.T) {
	fj := &fakeJournal{}
	r, clk := following(fj)
	e := journaled(1, clk.now().Add(-time.Second), journal.OutcomeCreated)
	e.DurationMS = 30_000 // ended 29 s after the read
	fj.entries = []journal.Entry{e}
	s := &sender{made: true, id: "agt_new"}
	r.do(context.Background(), repeatKey{9}, repeatKey{9}, "create_agent_x", s.send, nil) // reads the journal back
	clk.add(10*time.Minute + 20*time.Second)                                              // 9m51s after it ended
	if _, joined := r.do(context.Background(), repeatKey{8}, keyN(1), "create_agent_x", s.send, nil); !joined || s.calls.Load() != 1 {
		t.Errorf("a repeat within the window of a call read back was sent")
	}
}

// A read-back that failed is tried again on the next call; once one worked,
// each call reads only what was written since; what was read is let go once
// the window has passed for all of it.
func TestFollowIsRetriedAndReleased(t *testing.T) {
	fj := &fakeJournal{err: errors.New("journal: permission denied")}
	r, clk := following(fj)
	fj.entries = []journal.Entry{journaled(1, clk.now().Add(-time.Minute), journal.OutcomeCreated)}
	s := &sender{made: true, id: "agt_new"}

	if _, joined := r.do(context.Background(), repeatKey{9}, repeatKey{9}, "create_agent_x", s.send, nil); joined || fj.tails != 1 {
		t.Fatalf("first call: joined %v, journal read back %d times", joined, fj.tails)
	}
	fj.err = nil
	res, joined := r.do(context.Background(), repeatKey{8}, keyN(1), "create_agent_x", s.send, nil)
	if !joined || res.IsError || fj.tails != 2 || s.calls.Load() != 1 {
		t.Fatalf("after the journal became readable: joined %v, journal read back %d times, sent %d", joined, fj.tails, s.calls.Load())
	}
	fj.entries = append(fj.entries, journaled(2, clk.now(), journal.OutcomeCreated))
	if _, joined := r.do(context.Background(), repeatKey{7}, keyN(2), "create_agent_x", s.send, nil); !joined || fj.tails != 2 || fj.afters != 1 {
		t.Errorf("a create recorded since: joined %v, read back %d times, followed %d times", joined, fj.tails, fj.afters)
	}

	clk.add(10 * time.Minute)
	if _, joined := r.do(context.Background(), repeatKey{8}, keyN(2), "create_agent_x", s.send, nil); joined {
		t.Errorf("answered from the journal past the window")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.restored != nil {
		t.Errorf("%d journal keys still held past the window", len(r.restored))
	}
}

// A call read back expires at the end of its own window, however long a
// fresher one keeps what was read alive.
func TestRestoredCallExpiresOnItsOwn(t *testing.T) {
	fj := &fakeJournal{}
	r, clk := following(fj)
	fj.entries = []journal.Entry{
		journaled(1, clk.now().Add(-9*time.Minute), journal.OutcomeCreated),
		journaled(2, clk.now(), journal.OutcomeCreated),
	}
	s := &sender{made: true, id: "agt_new"}
	r.do(context.Background(), repeatKey{9}, repeatKey{9}, "create_agent_x", s.send, nil) // reads the journal back
	clk.add(2 * time.Minute)
	if _, joined := r.do(context.Background(), repeatKey{7}, keyN(2), "create_agent_x", s.send, nil); !joined {
		t.Errorf("a repeat of the create made 2 minutes ago was sent")
	}
	if _, joined := r.do(context.Background(), repeatKey{8}, keyN(1), "create_agent_x", s.send, nil); joined || s.calls.Load() != 2 {
		t.Errorf("a repeat of a create made 11 minutes ago (window 10m) was not sent: joined %v, sent %d", joined, s.calls.Load())
	}
}

// A call without an outcome yet whose agent is recorded later keeps that
// agent's window, also once the window of its "sending" entry has passed.
func TestPendingCallOutlivesItsSendingEntry(t *testing.T) {
	for _, c := range []struct {
		name       string
		firstTouch bool // a repeat before the outcome was recorded
	}{
		{"looked up before its outcome", true},
		{"read back by another create", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fj := &fakeJournal{}
			r, clk := following(fj)
			sending := journaled(1, clk.now().Add(-time.Minute), journal.OutcomeSending)
			sending.Call = "c1"
			fj.entries = []journal.Entry{sending}
			s := &sender{made: true, id: "agt_new"}
			if c.firstTouch {
				if _, joined := r.do(context.Background(), repeatKey{8}, keyN(1), "create_agent_x", s.send, nil); !joined || s.calls.Load() != 0 {
					t.Fatalf("repeat before the outcome: joined %v, sent %d", joined, s.calls.Load())
				}
			} else {
				r.do(context.Background(), repeatKey{9}, keyN(2), "create_agent_x", s.send, nil)
				s.calls.Store(0)
			}
			made := sending
			made.Outcome, made.DurationMS = journal.OutcomeCreated, 60_000 // ended a minute after it began
			fj.entries = append(fj.entries, made)
			clk.add(9*time.Minute + 30*time.Second) // 10m30s after the sending entry, 9m30s after the agent
			res, joined := r.do(context.Background(), repeatKey{8}, keyN(1), "create_agent_x", s.send, nil)
			if !joined || res.IsError || s.calls.Load() != 0 {
				t.Errorf("a repeat 9m30s after its call made an agent: joined %v, isError %v, sent %d", joined, res.IsError, s.calls.Load())
			}
		})
	}
}

// Of the journal's entries of a key, the newest that is not a failure
// answers a repeat, once calls sent whose outcome followed are left out: a
// failure made nothing, and an agent an earlier call made still exists. The
// journal read in one go or in parts, as it grew, says the same: checked
// against a plain model over random histories.
func TestFollowingAgreesWithReadingAtOnce(t *testing.T) {
	outcomes := []string{journal.OutcomeCreated, journal.OutcomeFailed, journal.OutcomeNotSent, journal.OutcomeUnknown}
	model := func(entries []journal.Entry) string {
		settled := journal.Settled(entries)
		for i := len(settled) - 1; i >= 0; i-- {
			switch e := settled[i]; e.Outcome {
			case journal.OutcomeCreated:
				return "created " + e.AgentID
			case journal.OutcomeUnknown, journal.OutcomeSending:
				return "unknown"
			}
		}
		return "sent"
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 2000 {
		fj := &fakeJournal{}
		r, clk := following(fj)
		var history []journal.Entry
		var open []string // calls sent, without an outcome yet
		s := &sender{made: true, id: "agt_new"}
		for step := range 1 + rng.IntN(12) {
			var e journal.Entry
			if len(open) == 0 || rng.IntN(2) == 0 {
				e = journaled(1, clk.now(), journal.OutcomeSending)
				e.Call, e.AgentID = fmt.Sprint("c", step), ""
				open = append(open, e.Call)
			} else {
				i := rng.IntN(len(open))
				e = journaled(1, clk.now(), outcomes[rng.IntN(len(outcomes))])
				e.Call, e.AgentID = open[i], fmt.Sprint("agt_", open[i])
				open = append(open[:i], open[i+1:]...)
			}
			fj.entries, history = append(fj.entries, e), append(history, e)
			if rng.IntN(3) > 0 {
				continue // read in a later part
			}
			got := "sent"
			res, joined := r.do(context.Background(), keyN(1<<20+round*16+step), keyN(1), "create_agent_x", s.send, nil)
			switch id, _ := alreadyCreatedID(res); {
			case joined && res.IsError:
				got = "unknown"
			case joined:
				got = "created " + id
			}
			if want := model(history); got != want {
				t.Fatalf("round %d, after %d entries %v: a repeat was %q, want %q", round, len(history), outcomesOf(history), got, want)
			}
		}
	}
}

func alreadyCreatedID(res *mcp.CallToolResult) (string, bool) {
	raw, _ := res.StructuredContent.(json.RawMessage)
	var s Success
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s.AgentID, s.AlreadyCreated
}

func outcomesOf(entries []journal.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Call + ":" + e.Outcome
	}
	return out
}

// An entry another server dated ahead of this one's clock (the clocks of two
// hosts differ) is not lost for being read early, followed or read back: it
// answers a repeat that comes once this clock has passed its date.
func TestFollowingKeepsAnEntryDatedAhead(t *testing.T) {
	for _, readBack := range []bool{false, true} {
		for _, outcome := range []string{journal.OutcomeSending, journal.OutcomeCreated, journal.OutcomeUnknown} {
			t.Run(fmt.Sprintf("%s, read back %v", outcome, readBack), func(t *testing.T) {
				fj := &fakeJournal{}
				r, clk := following(fj)
				s := &sender{made: true, id: "agt_new"}
				if !readBack {
					r.do(context.Background(), keyN(9), keyN(9), "create_agent_x", s.send, nil) // reads the window back
				}
				e := journaled(1, clk.now().Add(2*time.Second), outcome)
				e.Call = "c1"
				fj.entries = append(fj.entries, e)
				r.do(context.Background(), keyN(8), keyN(8), "create_agent_x", s.send, nil) // another create reads it
				clk.add(5 * time.Second)
				before := s.calls.Load()
				if _, joined := r.do(context.Background(), keyN(7), keyN(1), "create_agent_x", s.send, nil); !joined || s.calls.Load() != before {
					t.Errorf("a repeat 3s after the %s entry was sent: joined %v", outcome, joined)
				}
			})
		}
	}
}

// An entry dated ahead counts its window from when it was read, not from its
// date: a clock an hour ahead must not hold identical calls back an hour more.
func TestAnEntryDatedAheadCountsFromTheRead(t *testing.T) {
	for _, outcome := range []string{journal.OutcomeCreated, journal.OutcomeUnknown} {
		fj := &fakeJournal{}
		r, clk := following(fj)
		s := &sender{made: true, id: "agt_new"}
		r.do(context.Background(), keyN(9), keyN(9), "create_agent_x", s.send, nil) // reads the window back
		fj.entries = append(fj.entries, journaled(1, clk.now().Add(time.Hour), outcome))
		r.do(context.Background(), keyN(8), keyN(8), "create_agent_x", s.send, nil) // another create reads it
		clk.add(r.window + time.Second)
		before := s.calls.Load()
		if _, joined := r.do(context.Background(), keyN(7), keyN(1), "create_agent_x", s.send, nil); joined || s.calls.Load() != before+1 {
			t.Errorf("%s: a call a window after the entry was read was not sent (joined %v)", outcome, joined)
		}
	}
}

// A journaled outcome answers for exactly its window, as one of this
// server's own does: a whole window after it, the call is sent, as the
// refusal's "call again in" said it could be.
func TestAJournaledOutcomeEndsWithItsWindow(t *testing.T) {
	fj := &fakeJournal{}
	r, clk := following(fj)
	s := &sender{made: true, id: "agt_new"}
	fj.entries = []journal.Entry{journaled(2, clk.now(), journal.OutcomeCreated)}
	r.do(context.Background(), keyN(9), keyN(9), "create_agent_x", s.send, nil) // reads the window back
	clk.add(time.Minute)
	fj.entries = append(fj.entries, journaled(1, clk.now(), journal.OutcomeCreated))
	r.do(context.Background(), keyN(8), keyN(8), "create_agent_x", s.send, nil) // another create reads it
	// A call in between lets go of what passed the window (entry 2), not of
	// entry 1, whose end is then judged where calls are answered, not where
	// the journal's entries are let go.
	clk.add(r.window - time.Minute)
	r.do(context.Background(), keyN(6), keyN(6), "create_agent_x", s.send, nil)
	clk.add(time.Minute - time.Nanosecond)
	if _, joined := r.do(context.Background(), keyN(5), keyN(1), "create_agent_x", s.send, nil); !joined {
		t.Fatal("a repeat just inside the window was sent")
	}
	clk.add(time.Nanosecond)
	before := s.calls.Load()
	if _, joined := r.do(context.Background(), keyN(7), keyN(1), "create_agent_x", s.send, nil); joined || s.calls.Load() != before+1 {
		t.Errorf("a call a whole window after the journaled create was not sent (joined %v)", joined)
	}
}

// Only a read back leaves out an entry dated a window or more ahead (a
// clock set back since): one followed as it is written is another server's
// create now, whose clock runs ahead, and answers an identical call.
func TestAFollowedEntryDatedAWindowAheadCounts(t *testing.T) {
	fj := &fakeJournal{}
	r, clk := following(fj)
	s := &sender{made: true, id: "agt_new"}
	r.do(context.Background(), keyN(9), keyN(9), "create_agent_x", s.send, nil) // reads the window back
	fj.entries = append(fj.entries, journaled(1, clk.now().Add(r.window+time.Minute), journal.OutcomeCreated))
	before := s.calls.Load()
	if _, joined := r.do(context.Background(), keyN(7), keyN(1), "create_agent_x", s.send, nil); !joined || s.calls.Load() != before {
		t.Errorf("a repeat of an agent followed from a clock a window ahead was sent again (joined %v)", joined)
	}
}

// racingJournal is a fakeJournal to which, while a follower reads it,
// another server appends the "sending" entry of a call it began after the
// follower took the time, as time passes.
type racingJournal struct {
	*fakeJournal
	during func() // run once, by the next After
}

func (r *racingJournal) AfterSends(c journal.Cursor, tool string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error) {
	return r.After(c, tool, keep)
}

func (r *racingJournal) After(c journal.Cursor, tool string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error) {
	if r.during != nil {
		r.during()
		r.during = nil
	}
	return r.fakeJournal.After(c, tool, keep)
}

// A call another server began, and wrote its "sending" entry of, while this
// one was reading the journal is no call dated after the read: a repeat of
// it is not sent while it has no outcome.
func TestCallBegunDuringARead(t *testing.T) {
	fj := &racingJournal{fakeJournal: &fakeJournal{}}
	r, clk := testRepeats(10 * time.Minute)
	a := testAdapter()
	a.repeats = r
	r.follow = a.follower(fj)
	s := &sender{made: true, id: "agt_new"}
	r.do(context.Background(), repeatKey{9}, keyN(9), "create_agent_x", s.send, nil) // reads the journal back
	fj.during = func() {
		clk.add(time.Millisecond)
		e := journaled(1, clk.now(), journal.OutcomeSending)
		e.Call, e.AgentID = "c1", ""
		fj.entries = append(fj.entries, e)
	}
	r.do(context.Background(), repeatKey{8}, keyN(8), "create_agent_x", s.send, nil)
	clk.add(2 * time.Second) // the other server's call still runs
	s.calls.Store(0)
	if _, joined := r.do(context.Background(), repeatKey{7}, keyN(1), "create_agent_x", s.send, nil); !joined || s.calls.Load() != 0 {
		t.Errorf("a repeat of a call another server is still sending was sent: joined %v, sent %d", joined, s.calls.Load())
	}
}

// Entries read again, or after newer ones (a rotated file read late),
// change nothing: the newer agent still answers, for its own window, and
// a call's "sending" read after its outcome does not make it unknown.
func TestEntriesReadLateChangeNothing(t *testing.T) {
	fj := &fakeJournal{}
	r, clk := following(fj)
	start := clk.now()
	sending := func(call string, at time.Time) journal.Entry {
		e := journaled(1, at, journal.OutcomeSending)
		e.Call, e.AgentID = call, ""
		return e
	}
	created := func(call, id string, at time.Time) journal.Entry {
		e := journaled(1, at, journal.OutcomeCreated)
		e.Call, e.AgentID, e.DurationMS = call, id, 1000
		return e
	}
	older := []journal.Entry{sending("c1", start.Add(-8*time.Minute)), created("c1", "agt_older", start.Add(-8*time.Minute))}
	newer := []journal.Entry{sending("c2", start.Add(-time.Minute)), created("c2", "agt_newer", start.Add(-time.Minute))}
	fj.entries = slices.Concat(older, newer, older) // the older ones again, last
	s := &sender{made: true, id: "agt_new"}
	res, joined := r.do(context.Background(), repeatKey{8}, keyN(1), "create_agent_x", s.send, nil)
	if id, already := alreadyCreatedID(res); !joined || !already || id != "agt_newer" {
		t.Fatalf("repeat = joined %v, agent %q (already created %v); want agt_newer", joined, id, already)
	}
	clk.add(5 * time.Minute) // past agt_older's window, within agt_newer's
	res, joined = r.do(context.Background(), repeatKey{7}, keyN(1), "create_agent_x", s.send, nil)
	if id, _ := alreadyCreatedID(res); !joined || id != "agt_newer" || s.calls.Load() != 0 {
		t.Errorf("repeat 5 minutes on = joined %v, agent %q, sent %d; want agt_newer, none sent", joined, id, s.calls.Load())
	}

	fj = &fakeJournal{entries: slices.Concat(newer, newer[:1])} // the call's "sending" again, after its outcome
	r, _ = following(fj)
	res, joined = r.do(context.Background(), repeatKey{8}, keyN(1), "create_agent_x", s.send, nil)
	if id, already := alreadyCreatedID(res); !joined || !already || id != "agt_newer" {
		t.Errorf("repeat after a sending entry read again = joined %v, agent %q (already created %v), isError %v; want agt_newer", joined, id, already, res.IsError)
	}
	failed := newer[1]
	failed.Outcome, failed.AgentID = journal.OutcomeFailed, ""
	fj = &fakeJournal{entries: []journal.Entry{newer[0], failed, newer[0]}} // a failure's "sending" again
	r, _ = following(fj)
	if _, joined := r.do(context.Background(), repeatKey{8}, keyN(1), "create_agent_x", s.send, nil); joined || s.calls.Load() != 1 {
		t.Errorf("repeat after a failed call's sending entry read again: joined %v, sent %d; want it sent", joined, s.calls.Load())
	}
}

// A call sent after the key's outcome still speaks when that outcome is
// read again (a copy of the journal beside it), and a call that waited for
// an identical one on its server, dated when it arrived but sent after
// another call's outcome, still answers for as long as it may run.
func TestNewerCallsOutliveEntriesReadLate(t *testing.T) {
	entry := func(call, outcome string, at time.Time, took time.Duration) journal.Entry {
		e := journaled(1, at, outcome)
		e.Call, e.DurationMS = call, took.Milliseconds()
		if outcome != journal.OutcomeCreated {
			e.AgentID = ""
		}
		return e
	}
	s := &sender{made: true, id: "agt_new"}

	fj := &fakeJournal{}
	r, clk := following(fj)
	start := clk.now()
	created := entry("x", journal.OutcomeCreated, start, 3*time.Second)
	fj.entries = []journal.Entry{entry("x", journal.OutcomeSending, start, 0), created}
	clk.add(time.Minute)
	r.do(context.Background(), keyN(1<<20), keyN(1<<20), "create_agent_x", (&sender{made: true, id: "agt_other"}).send, nil) // reads x back
	clk.add(10 * time.Minute)                                                                                                // x's window passed
	fj.entries = append(fj.entries, entry("y", journal.OutcomeSending, clk.now(), 0), created)
	clk.add(20 * time.Second)
	if _, joined := r.do(context.Background(), keyN(1<<20+1), keyN(1), "create_agent_x", s.send, nil); !joined || s.calls.Load() != 0 {
		t.Errorf("sent although y was sent 20 s ago with no outcome recorded, x's outcome read again after it")
	}

	// --dedupe-window 1m, --timeout 5m.
	fj = &fakeJournal{}
	r, clk = testRepeats(time.Minute)
	a := testAdapter()
	a.deps.Timeout, a.repeats = 5*time.Minute, r
	r.follow = a.follower(fj)
	start = clk.now()
	fj.entries = []journal.Entry{
		entry("x", journal.OutcomeSending, start, 0),
		entry("l", journal.OutcomeSending, start, 0),
		entry("x", journal.OutcomeCreated, start, 3*time.Second),
		entry("l", journal.OutcomeFailed, start, 9*time.Second),
		entry("w", journal.OutcomeSending, start.Add(time.Second), 0), // waited for l, written after x's outcome
	}
	clk.add(90 * time.Second) // x's window passed; w may still run
	s = &sender{made: true, id: "agt_new"}
	if _, joined := r.do(context.Background(), keyN(1<<20+2), keyN(1), "create_agent_x", s.send, nil); !joined || s.calls.Load() != 0 {
		t.Errorf("sent while w, sent 89 s ago with a 5-minute timeout, may still run")
	}
}
