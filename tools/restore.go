package tools

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
)

// JournalReader is a journal that can be read back, with a secret of its own
// for the hashes it keeps, as package journal's is. A server whose Recorder
// is one still knows, after a restart, the creates of the dedupe window that
// came before it.
type JournalReader interface {
	Since(t time.Time, keep func(journal.Entry) bool) ([]journal.Entry, error)
	Secret() ([]byte, error)
}

// maxRestored bounds the creates read back from the journal, and apart from
// them the unknown outcomes: more than a running server remembers, as other
// servers on the same journal write to it too.
const maxRestored = 16 * maxRemembered

// restoredCalls reads back from jr this tool's creates that made an agent, or
// may have, less than window before now, by their journal key (only that
// key when only, its hex, is not empty). The newest entry of a key that is
// not a failure speaks for it: a failure made nothing, and an agent an
// earlier call made still exists.
// At most maxRestored creates are kept, the newest, and as many unknown
// outcomes.
func (a *adapter[T]) restoredCalls(jr JournalReader, window time.Duration, now time.Time, only string) (map[repeatKey]*repeatCall, error) {
	// An entry dated after now (a clock since set back) would hold its
	// outcome until the clock caught up: it is left out.
	entries, err := jr.Since(now.Add(-window), func(e journal.Entry) bool {
		return e.Tool == a.name && e.Repeat != "" && (only == "" || e.Repeat == only) && !e.DryRun && !e.Time.After(now)
	})
	if err != nil {
		return nil, err
	}
	entries = journal.Settled(entries)
	out := map[repeatKey]*repeatCall{}
	var creates, unknowns int
	for i := len(entries) - 1; i >= 0 && (creates < maxRestored || unknowns < maxRestored); i-- {
		e := entries[i]
		var key repeatKey
		b, err := hex.DecodeString(e.Repeat)
		if err != nil || len(b) != len(key) {
			continue
		}
		copy(key[:], b)
		if _, newer := out[key]; newer {
			continue
		}
		var made *created
		switch e.Outcome {
		case journal.OutcomeCreated:
			if creates < maxRestored {
				made = a.restoredCreate(e)
			}
		case journal.OutcomeUnknown, journal.OutcomeSending:
			if unknowns < maxRestored {
				made = a.restoredUnknown(e)
			}
		}
		switch {
		case made == nil:
			continue
		case made.maybe:
			unknowns++
		default:
			creates++
		}
		out[key] = endedCall(made, e)
	}
	return out, nil
}

// endedCall is a call read back, made by e, whose outcome is made.
func endedCall(made *created, e journal.Entry) *repeatCall {
	done := make(chan struct{})
	close(done)
	return &repeatCall{done: done, shared: true, made: made, at: e.End()}
}

// settledCall looks in jr for an outcome of call, begun at since and read
// back without one. Once its server recorded one (found), the journal key
// journaled is read back again: its newest create or unknown outcome within
// the window speaks for it (a failure made nothing, and an agent an earlier
// identical call made still exists), or nothing does (c nil).
func (a *adapter[T]) settledCall(jr JournalReader, journaled repeatKey, call string, since time.Time) (c *repeatCall, found bool) {
	ended, err := jr.Since(since, func(e journal.Entry) bool {
		return e.Tool == a.name && e.Call == call && e.Outcome != journal.OutcomeSending && !e.DryRun
	})
	if err != nil || len(ended) == 0 {
		return nil, false
	}
	calls, err := a.restoredCalls(jr, a.repeats.window, a.repeats.now(), hex.EncodeToString(journaled[:]))
	if err != nil {
		return nil, false
	}
	return calls[journaled], true
}

// restoredCreate is the answer to a repeat of a create the journal records.
// The agent object was not journaled: the result names the agent, and how
// to look it up.
func (a *adapter[T]) restoredCreate(e journal.Entry) *created {
	if e.AgentID == "" {
		return nil
	}
	summary := a.createdSummary(e.AgentName, e.AgentID, "", e.RequestID) + " Its details were not kept across the server's restart; to see them, " + a.desc.VerifyHint + "."
	b, err := json.Marshal(Success{Provider: a.desc.Slug, AgentID: e.AgentID, RequestID: e.RequestID})
	if err != nil {
		return nil
	}
	return &created{result: b, summary: summary, restored: true}
}

// restoredUnknown is the answer to a repeat of a create whose outcome the
// journal records as unknown, or does not record at all.
func (a *adapter[T]) restoredUnknown(e journal.Entry) *created {
	text := a.name + ": " + e.Error
	if e.Outcome == journal.OutcomeSending {
		// Worded as the call's own unknown outcome would have been. The id
		// a sending entry names is the one the request asked for.
		text = a.name + ": " + (&providers.UnknownOutcomeError{Provider: a.desc.Name, AgentName: e.AgentName, GivenID: e.AgentID, VerifyHint: a.desc.VerifyHint,
			Cause: errors.New("the call was sent and no outcome was recorded: the server that sent it stopped mid-call, or is still running it")}).Error()
	}
	c := &created{summary: text, maybe: true, restored: true}
	if e.Outcome == journal.OutcomeSending && e.Call != "" {
		c.pending, c.call, c.since = true, e.Call, e.Time
	}
	return c
}
