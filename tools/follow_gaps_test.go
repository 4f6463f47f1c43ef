package tools_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/tools"
)

// A retry reaching a server beside the one that made the agent gets that
// agent although the journal was moved aside (rotated) or removed after the
// agent was recorded and before the retry: the follower read the old file
// up to before the agent, or, when the retry is that tool's first create
// there, holds the file it started with.
func TestRetryOnAServerBesideAfterTheJournalMoved(t *testing.T) {
	for _, c := range []struct {
		name string
		move func(path string) error
	}{
		{"moved aside", func(path string) error { return os.Rename(path, path+".1") }},
		{"removed", os.Remove},
	} {
		for _, followed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/read back before: %v", c.name, followed), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "journal.jsonl")
				var url string
				first := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
				beside := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
				if followed {
					if res, text := beside.call(t, map[string]any{"name": "Earlier"}); res.IsError { // follows the journal from here
						t.Fatal(text)
					}
				}
				before := first.vendor.count()
				args := map[string]any{"name": "Analyst"}
				if res, text := first.call(t, args); res.IsError {
					t.Fatal(text)
				}
				if err := c.move(path); err != nil {
					t.Fatal(err)
				}
				res, text := beside.call(t, args)
				if s := structuredOf(t, res); res.IsError || s["already_created"] != true || first.vendor.count() != before+1 {
					t.Errorf("retry after the journal was %s: isError %v, vendor requests %d, want %d (no second agent)\n%s", c.name, res.IsError, first.vendor.count(), before+1, text)
				}
			})
		}
	}
}

// A retry reaching a server beside the one that made the agent gets that
// agent when the journal was rotated twice since that server's last read
// (the agent is in the middle file), and when that server started after
// the rotation that moved the agent's file aside.
func TestRetryOnAServerBesideAfterTwoRotations(t *testing.T) {
	rotate := func(t *testing.T, path string, names ...string) {
		t.Helper()
		for i := len(names) - 1; i >= 0; i-- { // journal.jsonl.1 -> .2 first, as logrotate does
			from := path
			if i > 0 {
				from = names[i-1]
			}
			if err := os.Rename(from, names[i]); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name         string
		writtenAgain bool // another create writes the journal at its path before the retry
		startedAfter bool // the server beside starts after the first rotation
	}{
		{"rotated twice", false, false},
		{"rotated twice and written again", true, false},
		{"started after a rotation", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			var url string
			first := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
			var beside *fixture
			if !c.startedAfter {
				beside = setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
				if res, text := beside.call(t, map[string]any{"name": "Earlier"}); res.IsError { // follows the journal from here
					t.Fatal(text)
				}
			}
			rotate(t, path, path+".1")
			args := map[string]any{"name": "Analyst"}
			if res, text := first.call(t, args); res.IsError { // in the middle file
				t.Fatal(text)
			}
			if c.startedAfter {
				rotate(t, path, path+".1", path+".2")
				beside = setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
			} else {
				rotate(t, path, path+".1", path+".2")
			}
			if c.writtenAgain {
				if res, text := first.call(t, map[string]any{"name": "Later"}); res.IsError {
					t.Fatal(text)
				}
			}
			before := first.vendor.count()
			res, text := beside.call(t, args)
			if s := structuredOf(t, res); res.IsError || s["already_created"] != true || first.vendor.count() != before {
				t.Errorf("retry: isError %v, vendor requests %d -> %d (want no second agent)\n%.400s", res.IsError, before, first.vendor.count(), text)
			}
		})
	}
}

// besideAtTheSameMoment is a journal on which another server writes an
// entry of a call identical to this server's first create at the same
// moment as this server's "sending" entry of it: just before, or just
// after.
type besideAtTheSameMoment struct {
	*journal.Journal
	t       *testing.T
	path    string
	outcome string // of the other server's entry
	before  bool
	done    bool
	// failTail makes the first read back of the journal fail, as a full
	// file table would.
	failTail bool
}

func (b *besideAtTheSameMoment) TailFrom(held journal.Cursor, t time.Time, tool string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error) {
	if b.failTail {
		b.failTail = false
		return nil, journal.Cursor{}, errors.New("too many open files")
	}
	return b.Journal.TailFrom(held, t, tool, keep)
}

func (b *besideAtTheSameMoment) Record(e journal.Entry) error {
	if e.Outcome != journal.OutcomeSending || b.done {
		return b.Journal.Record(e)
	}
	b.done = true
	other := e
	other.Server, other.Call, other.Outcome, other.AgentID, other.Time = "beside", "call-beside", b.outcome, "", time.Now().UTC()
	if b.outcome == journal.OutcomeCreated {
		other.AgentID = "agt_beside"
	}
	if b.before {
		appendEntries(b.t, b.path, other)
	}
	err := b.Journal.Record(e)
	if !b.before {
		appendEntries(b.t, b.path, other)
	}
	return err
}

// Two identical calls that reach two servers at the same moment both pass
// their check; the journal's order tells which is sent. Here the other
// server's entry lands just before or just after this one's "sending"
// entry: before, this one sends nothing and answers with that call (in
// progress: outcome unknown; created: that agent); after, this one is sent.
func TestIdenticalCallsAtTheSameMomentOnTwoServers(t *testing.T) {
	for _, c := range []struct {
		name     string
		outcome  string
		before   bool
		failTail bool
		sent     bool
		contains string
	}{
		{"the other's sent first", journal.OutcomeSending, true, false, false, "no outcome was recorded"},
		{"the other's created first", journal.OutcomeCreated, true, false, false, "agt_beside"},
		{"this one's sent first", journal.OutcomeSending, false, false, true, "Created"},
		// The entry is then first read by a read back of the window.
		{"the other's sent first, the journal unreadable at first", journal.OutcomeSending, true, true, false, "no outcome was recorded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			j, err := journal.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { j.Close() })
			beside := &besideAtTheSameMoment{Journal: j, t: t, path: path, outcome: c.outcome, before: c.before, failTail: c.failTail}
			f := setup(t, withDedupe(10*time.Minute), func(d *tools.Deps, _ map[string]string) { d.Journal = beside })
			res, text := f.call(t, map[string]any{"name": "Analyst"})
			if sent := f.vendor.count() == 1; sent != c.sent || !strings.Contains(text, c.contains) {
				t.Fatalf("sent %v, want %v; isError %v; want the result to contain %q:\n%.500s", sent, c.sent, res.IsError, c.contains, text)
			}
			// Calling again is answered, not sent: the answer must not warn against it.
			if strings.Contains(text, "Do not simply call") {
				t.Errorf("the answer warns against calling again, which it also advises:\n%s", text)
			}
			if !c.sent {
				entries, err := j.Recent(10)
				if err != nil {
					t.Fatal(err)
				}
				if last := entries[len(entries)-1]; last.Server != j.Server() || last.Outcome != journal.OutcomeNotSent {
					t.Errorf("this call's last entry = %+v, want not_sent", last)
				}
			}
		})
	}
}

// Identical calls sent to two servers on one journal at once make one
// agent, round after round, whichever server's entry the journal holds
// first, also while each server reads the journal for creates of its own
// (a read that comes to a call's entry before the call's own does).
func TestIdenticalCallsOnTwoServersAtOnceMakeOneAgent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	var url string
	first := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
	second := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	for round := range 40 {
		args := map[string]any{"name": fmt.Sprint("Analyst ", round)}
		before := first.vendor.count()
		var wg sync.WaitGroup
		for i, f := range []*fixture{first, second} {
			wg.Go(func() { f.call(t, args) })
			for j := range 3 {
				wg.Go(func() { f.call(t, map[string]any{"name": fmt.Sprint("Other ", round, " ", i, " ", j)}) })
			}
		}
		wg.Wait()
		if n := first.vendor.count() - before - 6; n != 1 {
			t.Fatalf("round %d: %d agents made for two identical calls at once", round, n)
		}
	}
}
