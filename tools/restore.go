package tools

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
)

// JournalReader is a journal that can be read back and followed, with a
// secret of its own for the hashes it keeps, as package journal's is. A
// server whose Recorder is one knows the creates of the dedupe window that
// other servers on the journal made: before it started, and while it runs.
type JournalReader interface {
	Hold() (journal.Cursor, error)
	TailFrom(held journal.Cursor, t time.Time, tool string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error)
	After(c journal.Cursor, tool string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error)
	AfterSends(c journal.Cursor, tool string, keep func(journal.Entry) bool) ([]journal.Entry, journal.Cursor, error)
	Server() string
	Secret() ([]byte, error)
}

// maxRestored bounds the creates kept from the journal, and apart from them
// the unknown outcomes: more than a running server remembers, as other
// servers on the same journal write to it too.
const maxRestored = 16 * maxRemembered

// journalUpdate is an entry another server wrote of this tool: a call sent,
// or its outcome; or a mark, where this server's own "sending" entry of a
// call is.
type journalUpdate struct {
	mark    string    // this server's call whose "sending" entry is here (then nothing else is set)
	key     repeatKey // the entry's journal key
	call    string    // pairs a call's "sending" entry with its outcome; "" when none does
	sending bool
	c       *repeatCall // what answers an identical call from now on; nil: a failure, which made nothing
}

// follower reads jr for the repeats: first the window's entries, then on
// each call those written since, by other servers (earlier processes
// included). An entry counts if it is of this tool, with a journal key. One
// dated after the read counts from the read (another server's clock may run
// ahead; left out, it would never be read again). Only one read back dated
// a window or more ahead (a clock since set back by that much) is left out.
// ok is false while jr cannot be read: the next call tries again. This
// server's own "sending" entries come as marks, where they were written
// (see repeats.sentFirst). It is called under repeats.followMu.
func (a *adapter[T]) follower(jr JournalReader) func() (updates []journalUpdate, ok bool) {
	// Held from the start: the journal is read back on this tool's first
	// create, and a file rotated before then holds what other servers made.
	held, _ := jr.Hold() // the zero Cursor on error: read back from the path
	var cursor journal.Cursor
	var read bool // the window was read back
	var warned atomic.Bool
	return func() ([]journalUpdate, bool) {
		now := a.repeats.now()
		keep := func(e journal.Entry) bool {
			return e.Tool == a.name && e.Repeat != "" && !e.DryRun && (read || e.Time.Sub(now) < a.repeats.window)
		}
		var entries []journal.Entry
		var next journal.Cursor
		var err error
		if read {
			entries, next, err = jr.AfterSends(cursor, a.name, keep)
		} else {
			// A call sent longer ago than the window may still run.
			entries, next, err = jr.TailFrom(held, now.Add(-max(a.repeats.window, a.pendingFor())), a.name, keep)
			held = journal.Cursor{} // taken over
		}
		if err != nil {
			if !warned.Swap(true) {
				a.log.Warn().Err(err).Msg("journal unreadable (tried again on every create): identical calls other servers made are not recognised yet")
			}
			return nil, false
		}
		cursor, read = next, true
		return a.journalUpdates(entries, jr.Server(), a.repeats.now()), true
	}
}

// pendingFor is how long a call another server sent may still run, as far
// as this one can tell: its --timeout and shutdown grace, taken to be this
// server's.
func (a *adapter[T]) pendingFor() time.Duration {
	return a.timeout() + a.deps.DrainTimeout
}

// journalUpdates are entries, read by now, as the repeats take them: those
// of server self (this one) as marks.
func (a *adapter[T]) journalUpdates(entries []journal.Entry, self string, now time.Time) []journalUpdate {
	out := make([]journalUpdate, 0, len(entries))
	for _, e := range entries {
		if e.Server == self {
			out = append(out, journalUpdate{mark: e.Call})
			continue
		}
		u := journalUpdate{call: e.Call, sending: e.Outcome == journal.OutcomeSending}
		b, err := hex.DecodeString(e.Repeat)
		if err != nil || len(b) != len(u.key) {
			continue
		}
		copy(u.key[:], b)
		var made *created
		switch e.Outcome {
		case journal.OutcomeCreated:
			made = a.restoredCreate(e)
		case journal.OutcomeUnknown, journal.OutcomeSending:
			made = a.restoredUnknown(e)
		}
		if made != nil {
			u.c = endedCall(made, e, now)
			if u.sending {
				u.c.keep = a.pendingFor()
			}
		} else if u.call == "" {
			continue // a failure of no call sent: it changes nothing
		}
		out = append(out, u)
	}
	return out
}

// endedCall is a call read back by now, made by e, whose outcome is made.
// One that began after now was dated by a clock running ahead: it counts
// from the read.
func endedCall(made *created, e journal.Entry, now time.Time) *repeatCall {
	done := make(chan struct{})
	close(done)
	at := e.End()
	if e.Time.After(now) {
		at = now
	}
	return &repeatCall{done: done, shared: true, made: made, at: at}
}

// restoredCreate is the answer to a repeat of a create the journal records.
// The agent object was not journaled: the result names the agent, and how
// to look it up.
func (a *adapter[T]) restoredCreate(e journal.Entry) *created {
	if e.AgentID == "" {
		return nil
	}
	// false: a call with an id of its own to upsert by is never answered
	// from the journal.
	summary := a.createdSummary(e.AgentName, e.AgentID, "", e.RequestID, false) + " Its details are not in the journal; to see them, " + a.desc.VerifyHint + "."
	b, err := json.Marshal(Success{Provider: a.desc.Slug, AgentID: e.AgentID, RequestID: e.RequestID})
	if err != nil {
		return nil
	}
	return &created{result: b, summary: summary, restored: true}
}

// restoredUnknown is the answer to a repeat of a create whose outcome the
// journal records as unknown, or does not record yet.
func (a *adapter[T]) restoredUnknown(e journal.Entry) *created {
	text := a.name + ": " + e.Error
	if e.Outcome == journal.OutcomeSending {
		// Worded as the call's own unknown outcome would have been. The id
		// a sending entry names is the one the request asked for.
		text = a.name + ": " + (&providers.UnknownOutcomeError{Provider: a.desc.Name, AgentName: e.AgentName, GivenID: e.AgentID, VerifyHint: a.desc.VerifyHint,
			Cause: errors.New("the call was sent and no outcome was recorded: the server that sent it stopped mid-call, or is still running it"), Answered: true}).Error()
	}
	return &created{summary: text, maybe: true, restored: true, running: e.Outcome == journal.OutcomeSending}
}
