// Package journaltest holds an in-memory journal for tests.
package journaltest

import (
	"sync"

	"github.com/agentmcp/agentmcp/journal"
)

// Recorder keeps the entries it is given, in order. It is safe for
// concurrent use.
type Recorder struct {
	mu      sync.Mutex
	entries []journal.Entry
	// Fail, when set, is asked first: an entry it returns an error for is
	// not kept, and Record returns that error (a full disk, say).
	Fail func(journal.Entry) error
}

// Record implements tools.Recorder.
func (r *Recorder) Record(e journal.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		if err := r.Fail(e); err != nil {
			return err
		}
	}
	r.entries = append(r.entries, e)
	return nil
}

// Entries returns every entry recorded so far.
func (r *Recorder) Entries() []journal.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]journal.Entry(nil), r.entries...)
}

// Outcomes returns the entries with each call's "sending" entry folded into
// its outcome (see journal.Settled).
func (r *Recorder) Outcomes() []journal.Entry { return journal.Settled(r.Entries()) }

// Take returns the entries recorded so far and forgets them.
func (r *Recorder) Take() []journal.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.entries
	r.entries = nil
	return out
}
