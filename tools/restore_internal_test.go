package tools

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
)

// fakeJournal serves entries, or err, to a restore.
type fakeJournal struct {
	entries []journal.Entry
	err     error
	reads   int
}

func (f *fakeJournal) Since(t time.Time, keep func(journal.Entry) bool) ([]journal.Entry, error) {
	f.reads++
	var out []journal.Entry
	for _, e := range f.entries {
		if !e.End().Before(t) && keep(e) {
			out = append(out, e)
		}
	}
	return out, f.err
}

func (f *fakeJournal) Secret() ([]byte, error) { return []byte("secret"), nil }

func testAdapter() *adapter[struct{}] {
	return &adapter[struct{}]{name: "create_agent_x", log: zerolog.Nop(),
		desc: providers.Descriptor{Slug: "x", Name: "X", VerifyHint: "GET /agents"}}
}

func journaled(i int, at time.Time, outcome string) journal.Entry {
	return journal.Entry{Time: at, Provider: "x", Tool: "create_agent_x", AgentName: fmt.Sprint("agent ", i),
		AgentID: fmt.Sprint("agt_", i), Outcome: outcome, Repeat: fmt.Sprintf("%064x", i)}
}

// A busy journal is read back no further than maxRestored creates, the
// newest, and apart from them as many unknown outcomes: an outage's many do
// not push out the creates before it.
func TestRestoredCallsAreBounded(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	fj := &fakeJournal{}
	add := func(from, to int, outcome string) {
		for i := from; i < to; i++ {
			fj.entries = append(fj.entries, journaled(i, now.Add(-time.Minute), outcome))
		}
	}
	n := maxRestored + 10
	add(0, n, journal.OutcomeCreated)
	add(n, n+2*maxRemembered, journal.OutcomeUnknown)
	calls, err := testAdapter().restoredCalls(fj, 10*time.Minute, now, "")
	if err != nil || len(calls) != maxRestored+2*maxRemembered {
		t.Fatalf("restored %d calls (%v), want %d creates and %d unknown outcomes", len(calls), err, maxRestored, 2*maxRemembered)
	}
	key := func(i int) (k repeatKey) {
		k[30], k[31] = byte(i>>8), byte(i)
		return k
	}
	if calls[key(n-1)] == nil || calls[key(9)] != nil || calls[key(10)] == nil {
		t.Errorf("want the newest %d creates, not the oldest 10", maxRestored)
	}

	fj.err = errors.New("journal: read: input/output error")
	if _, err := testAdapter().restoredCalls(fj, 10*time.Minute, now, ""); err == nil {
		t.Errorf("an unreadable journal counts as read")
	}
}

// A call read back that ended after the read began (another server's clock
// runs ahead) is kept for its own window.
func TestRestoredCallKeepsItsOwnWindow(t *testing.T) {
	r, clk := testRepeats(10 * time.Minute)
	e := journaled(1, clk.now().Add(-time.Second), journal.OutcomeCreated)
	e.DurationMS = 30_000 // ended 29 s after the read
	fj := &fakeJournal{entries: []journal.Entry{e}}
	a := testAdapter()
	r.restore = func() (map[repeatKey]*repeatCall, bool) {
		c, err := a.restoredCalls(fj, r.window, r.now(), "")
		return c, err == nil
	}
	var key repeatKey
	key[31] = 1
	s := &sender{made: true, id: "agt_new"}
	r.do(context.Background(), repeatKey{9}, repeatKey{9}, "create_agent_x", s.send) // reads the journal back
	clk.add(10*time.Minute + 20*time.Second)                                         // 9m51s after it ended
	if _, joined := r.do(context.Background(), repeatKey{8}, key, "create_agent_x", s.send); !joined || s.calls.Load() != 1 {
		t.Errorf("a repeat within the window of a call read back was sent")
	}
}

// A restore that failed is tried again on the next call; one that worked is
// not; what it read is let go once the window has passed for all of it.
func TestRestoreIsRetriedAndReleased(t *testing.T) {
	r, clk := testRepeats(10 * time.Minute)
	fj := &fakeJournal{err: errors.New("no key yet")}
	var key repeatKey
	key[31] = 1
	fj.entries = []journal.Entry{journaled(1, clk.now().Add(-time.Minute), journal.OutcomeCreated)}
	a := testAdapter()
	r.restore = func() (map[repeatKey]*repeatCall, bool) {
		c, err := a.restoredCalls(fj, r.window, r.now(), "")
		return c, err == nil
	}
	s := &sender{made: true, id: "agt_new"}

	if _, joined := r.do(context.Background(), repeatKey{9}, repeatKey{9}, "create_agent_x", s.send); joined || fj.reads != 1 {
		t.Fatalf("first call: joined %v, journal reads %d", joined, fj.reads)
	}
	fj.err = nil
	res, joined := r.do(context.Background(), repeatKey{8}, key, "create_agent_x", s.send)
	if !joined || res.IsError || fj.reads != 2 || s.calls.Load() != 1 {
		t.Fatalf("after the journal became readable: joined %v, journal reads %d, sent %d", joined, fj.reads, s.calls.Load())
	}
	r.do(context.Background(), repeatKey{7}, repeatKey{7}, "create_agent_x", s.send)
	if fj.reads != 2 {
		t.Errorf("the journal was read again after a restore that worked")
	}

	clk.add(10 * time.Minute)
	if _, joined := r.do(context.Background(), repeatKey{8}, key, "create_agent_x", s.send); joined {
		t.Errorf("answered from the journal past the window")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.restored != nil {
		t.Errorf("%d restored calls still held past the window", len(r.restored))
	}
}

// A call read back expires at the end of its own window, however long a
// fresher one keeps what was read alive.
func TestRestoredCallExpiresOnItsOwn(t *testing.T) {
	r, clk := testRepeats(10 * time.Minute)
	fj := &fakeJournal{entries: []journal.Entry{
		journaled(1, clk.now().Add(-9*time.Minute), journal.OutcomeCreated),
		journaled(2, clk.now(), journal.OutcomeCreated),
	}}
	a := testAdapter()
	r.restore = func() (map[repeatKey]*repeatCall, bool) {
		c, err := a.restoredCalls(fj, r.window, r.now(), "")
		return c, err == nil
	}
	var old, fresh repeatKey
	old[31], fresh[31] = 1, 2
	s := &sender{made: true, id: "agt_new"}
	r.do(context.Background(), repeatKey{9}, repeatKey{9}, "create_agent_x", s.send) // reads the journal back
	clk.add(2 * time.Minute)
	if _, joined := r.do(context.Background(), repeatKey{7}, fresh, "create_agent_x", s.send); !joined {
		t.Errorf("a repeat of the create made 2 minutes ago was sent")
	}
	if _, joined := r.do(context.Background(), repeatKey{8}, old, "create_agent_x", s.send); joined || s.calls.Load() != 2 {
		t.Errorf("a repeat of a create made 11 minutes ago (window 10m) was not sent: joined %v, sent %d", joined, s.calls.Load())
	}
}

// pendingJournal is repeats with a 10-minute window reading back a journal
// that holds one call without an outcome (key 1, call "c1"), begun ago.
func pendingJournal(ago time.Duration) (*repeats, *clock, *fakeJournal) {
	r, clk := testRepeats(10 * time.Minute)
	a := testAdapter()
	a.repeats = r
	sending := journaled(1, clk.now().Add(-ago), journal.OutcomeSending)
	sending.Call = "c1"
	fj := &fakeJournal{entries: []journal.Entry{sending}}
	r.restore = func() (map[repeatKey]*repeatCall, bool) {
		c, err := a.restoredCalls(fj, r.window, r.now(), "")
		return c, err == nil
	}
	r.settle = func(journaled repeatKey, call string, since time.Time) (*repeatCall, bool) {
		return a.settledCall(fj, journaled, call, since)
	}
	return r, clk, fj
}

// A call read back without an outcome is looked up even once its own
// window has passed: the agent it made, recorded later, is newer, and keeps
// its own window.
func TestPendingCallOutlivesItsSendingEntry(t *testing.T) {
	r, clk, fj := pendingJournal(time.Minute)
	sending := fj.entries[0]
	var key repeatKey
	key[31] = 1
	s := &sender{made: true, id: "agt_new"}
	if _, joined := r.do(context.Background(), repeatKey{8}, key, "create_agent_x", s.send); !joined || s.calls.Load() != 0 {
		t.Fatalf("repeat before the outcome: joined %v, sent %d", joined, s.calls.Load())
	}
	made := sending
	made.Outcome, made.DurationMS = journal.OutcomeCreated, 60_000 // ended a minute after it began
	fj.entries = append(fj.entries, made)
	clk.add(9*time.Minute + 30*time.Second) // 10m30s after the sending entry, 9m30s after the agent
	res, joined := r.do(context.Background(), repeatKey{8}, key, "create_agent_x", s.send)
	if !joined || res.IsError || s.calls.Load() != 0 {
		t.Errorf("a repeat 9m30s after its call made an agent: joined %v, isError %v, sent %d", joined, res.IsError, s.calls.Load())
	}
}

// A call read back without an outcome whose agent is recorded after the
// read-back keeps that agent's window, also once the read-back's own window
// (from when it was read) has passed: the read-back is not let go while it
// holds a call that was never looked up since its outcome was recorded.
func TestPendingCallOutlivesTheReadBack(t *testing.T) {
	for _, c := range []struct {
		name       string
		firstTouch bool // a repeat before the outcome was recorded (looked up, nothing yet)
	}{
		{"looked up before its outcome", true},
		{"read back by another create", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, clk, fj := pendingJournal(time.Second)
			sending := fj.entries[0]
			var key repeatKey
			key[31] = 1
			s := &sender{made: true, id: "agt_new"}
			if c.firstTouch {
				if _, joined := r.do(context.Background(), repeatKey{8}, key, "create_agent_x", s.send); !joined || s.calls.Load() != 0 {
					t.Fatalf("repeat before the outcome: joined %v, sent %d", joined, s.calls.Load())
				}
			} else {
				var other repeatKey
				other[31] = 2
				r.do(context.Background(), repeatKey{9}, other, "create_agent_x", s.send) // reads the journal back
				s.calls.Store(0)
			}
			// The other server's call ends 30s after the read-back, with an agent.
			made := sending
			made.Outcome, made.DurationMS = journal.OutcomeCreated, 31_000
			fj.entries = append(fj.entries, made)
			clk.add(10*time.Minute + 5*time.Second) // the agent is 9m35s old
			res, joined := r.do(context.Background(), repeatKey{8}, key, "create_agent_x", s.send)
			if !joined || res.IsError || s.calls.Load() != 0 {
				t.Errorf("a repeat 9m35s after its identical call made an agent: joined %v, isError %v, sent %d", joined, res.IsError, s.calls.Load())
			}
		})
	}
}
