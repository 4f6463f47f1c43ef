package tools

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/providers"
)

// repeats keeps a client that sends a create again after losing its answer
// (a dropped connection, a client-side timeout, a model trying once more)
// from making a second agent. A call identical to one in progress (same
// tool and arguments, and the same keys where callers bring their own) waits
// for it and gets its outcome; one identical to a call that created an
// agent, or may have (an unknown outcome), less than window ago gets that
// agent or outcome. Failures that created nothing are shared only with calls
// that waited for them: a call made after one is sent, as the failure's
// advice expects, and so is one that waited for a call its own client
// cancelled before the vendor could act on it.
type repeats struct {
	window time.Duration
	now    func() time.Time
	// ending is closed when the session ends (Deps.Ending): its calls'
	// contexts are then cancelled though no client cancelled them.
	ending <-chan struct{}

	mu    sync.Mutex
	calls map[repeatKey]*repeatCall
	// The remembered creates, and apart from them the unknown outcomes: a
	// vendor outage's many must not push out the creates.
	created, unknown remembered

	// follow reads what other servers on the journal recorded of this
	// tool's calls (nil: there is no journal to read): on the first call
	// the window's entries, then on each call those written since. It
	// reports false while the journal cannot be read; the next call tries
	// again. This server's own "sending" entries come as marks (see
	// sentFirst). Calls follow one at a time, under followMu; a read begun
	// after a call arrived (follows counts them) answers for it too.
	follow   func() (updates []journalUpdate, ok bool)
	followMu sync.Mutex
	follows  atomic.Uint64
	// What the journal says of each journal key, which counts the server's
	// own keys too: another server on the same journal may use another
	// account. Guarded by mu.
	restored map[repeatKey]*journaledKey
	prunedAt time.Time // when restored last let go of what passed the window
	// sends are this server's calls whose "sending" entry is, or is about
	// to be, in the journal, by call id: the first read that comes to it
	// notes the identical call of another server's it found before it
	// (see sentFirst). Guarded by mu.
	sends map[string]*sendCheck
	// ended are the calls of other servers whose outcome was read, kept
	// apart from their keys (a failure's key is let go of): a call's
	// "sending" entry read again after it (a copy of the journal beside
	// it) is not pending again. Guarded by mu.
	ended map[string]bool
}

// maxEnded bounds repeats.ended: past it, it starts again (a "sending"
// entry read again after that counts as pending: an outcome unknown, not
// a second agent).
const maxEnded = 4 * maxRestored

// noteEnded notes that call's outcome was read.
func (r *repeats) noteEnded(call string) {
	if call == "" {
		return
	}
	if r.ended == nil || len(r.ended) >= maxEnded {
		r.ended = map[string]bool{}
	}
	r.ended[call] = true
}

// sendCheck is what a read of the journal found before a call's "sending"
// entry: seen once a read came to it, and first, the identical call of
// another server's then in the journal, if any.
type sendCheck struct {
	key   repeatKey
	seen  bool
	first *repeatCall
}

// journaledKey is what the journal says of one journal key: the newest
// outcome that made an agent or may have, and the calls sent after it
// without an outcome recorded yet (their servers may still be running
// them). The newest of them answers an identical call, as an unknown
// outcome while it is a call without one: a failure made nothing, and an
// agent an earlier call made still exists.
type journaledKey struct {
	outcome *repeatCall
	pending []journaledCall // in order of when sent, oldest first
}

type journaledCall struct {
	*repeatCall
	call string // the journal's id of the call, pairing "sending" and outcome
}

// maxPending bounds the calls without an outcome kept per journal key; the
// oldest go first, as the newest speaks for the key.
const maxPending = 16

func (k *journaledKey) speaker() *repeatCall {
	if n := len(k.pending); n > 0 {
		return k.pending[n-1].repeatCall
	}
	return k.outcome
}

// remembered are the keys of ended calls kept for the window, oldest first,
// and what their outcomes hold.
type remembered struct {
	keys  []repeatKey
	bytes int
}

type repeatKey [sha256.Size]byte

// repeatCall is one call that others may wait for.
type repeatCall struct {
	done   chan struct{} // closed when the outcome below is set
	res    *mcp.CallToolResult
	shared bool     // res is the outcome of the calls waiting for it too
	made   *created // the agent it created; nil otherwise
	at     time.Time
	// keep, when longer than the window, is how long after at this call
	// still answers identical ones: one another server has sent and not
	// ended may run its whole --timeout, whatever the window.
	keep time.Duration
}

// created is a create's result, kept to answer a repeat of its call: as
// text, which the garbage collector does not scan through, unlike the agent
// object. A create whose outcome is unknown may have made the agent: it is
// kept too (maybe, with its text as summary), so that a repeat is told so
// rather than sent to make a second one.
type created struct {
	result   json.RawMessage // the structured result, a Success; nil when maybe
	summary  string
	maybe    bool
	restored bool // read from the journal: made by another server, or before this one started
	running  bool // read from the journal: a call sent, with no outcome recorded yet
}

func (c *created) size() int { return len(c.result) + len(c.summary) }

// Bounds on the remembered creates, and on the unknown outcomes: a busy
// shared server must not hold an answer per agent for the whole window.
const (
	maxRemembered      = 256
	maxRememberedBytes = 8 << 20
)

func newRepeats(window time.Duration) *repeats {
	if window <= 0 {
		return nil
	}
	return &repeats{window: window, now: time.Now, calls: map[repeatKey]*repeatCall{}}
}

// keyOf is what makes two calls identical: the tool, its arguments as
// decoded and encoded again (so that key order and spacing do not matter)
// and creds, the keys of callers who bring their own, so that callers with
// different accounts never share an agent.
func keyOf(tool string, args []byte, specs []providers.CredentialSpec, creds providers.Credentials) repeatKey {
	return sumKey(sha256.New(), tool, args, specs, creds)
}

// journalKeyOf is keyOf as the journal keeps it: keyed (HMAC) with the
// journal's secret, so that the journal alone confirms no guess of a key, and
// over scope, the tool and its provider's settings (base URL, region,
// teamspace), as a server on the same journal may use other ones.
func journalKeyOf(secret []byte, scope string, args []byte, specs []providers.CredentialSpec, creds providers.Credentials) repeatKey {
	return sumKey(hmac.New(sha256.New, secret), scope, args, specs, creds)
}

func sumKey(h hash.Hash, tool string, args []byte, specs []providers.CredentialSpec, creds providers.Credentials) repeatKey {
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(tool))
	field(args)
	for _, c := range specs {
		field([]byte(c.Key))
		field([]byte(creds.Get(c.Key).Reveal()))
	}
	var k repeatKey
	h.Sum(k[:0])
	return k
}

// do runs send unless a call identical to it is in progress or created an
// agent within the window, and answers with that call's outcome then
// (joined). send reports whether its outcome is also that of the calls
// waiting for it, and what it created. waiting, when not nil, is called as
// this call starts to wait for an identical one; what it returns is called
// when that wait ends.
func (r *repeats) do(ctx context.Context, key, journaled repeatKey, name string, send func() (*mcp.CallToolResult, bool, *created), waiting func() (done func())) (res *mcp.CallToolResult, joined bool) {
	r.followJournal()
	for {
		c, lead, ended := r.begin(key, journaled)
		if lead {
			return r.lead(key, c, name, send), false
		}
		waited := func() {}
		if waiting != nil {
			waited = waiting()
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			select {
			case <-r.ending:
				// Not a client that gave up: the session is ending, which
				// cancels every call. The identical call is followed to its
				// end (bounded by the drain), and its outcome is this one's.
				<-c.done
			default:
				waited()
				return mcp.NewToolResultError(name + ": the request was cancelled while an identical call (same arguments) was in progress; this one sent nothing, and that call's outcome goes to the journal"), true
			}
		}
		waited()
		if res := r.answer(c, ended); res != nil {
			return res, true
		}
		// The identical call was cancelled by its own client, and created
		// nothing: this one goes ahead.
	}
}

// answer is the outcome of c, an identical call this one waited for, for
// this one; nil when this one is to be sent (c's client cancelled it, and
// it created nothing).
func (r *repeats) answer(c *repeatCall, ended bool) *mcp.CallToolResult {
	now := r.now()
	ago := max(now.Sub(c.at).Round(time.Second), time.Second) // when ended
	switch {
	case c.made != nil && c.made.maybe:
		if !ended {
			return repeatFailed(c.res)
		}
		return repeatUnknown(c.made, ago, c.at.Add(r.keepOf(c)).Sub(now))
	case c.made != nil:
		when := "in progress when this one arrived, created this agent"
		if ended {
			when = fmt.Sprintf("made %s ago, created this agent", ago)
		}
		if c.made.restored {
			when = fmt.Sprintf("made %s ago by another server on this journal (running beside this one, or before it), created this agent (as the journal records)", ago)
		}
		return repeatCreated(c.made, when)
	case c.shared:
		return repeatFailed(c.res)
	}
	return nil
}

// followJournal takes in what other servers recorded in the journal since
// it was last read: a create, or a call sent, there answers an identical
// call here.
func (r *repeats) followJournal() {
	if r.follow == nil {
		return
	}
	arrived := r.follows.Load()
	r.followMu.Lock()
	defer r.followMu.Unlock()
	if r.follows.Load() != arrived {
		return // a read begun since this call arrived covers it
	}
	r.follows.Add(1)
	updates, ok := r.follow()
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.apply(updates)
}

// expectSend notes that call, of journal key journaled, is about to write
// its "sending" entry: see sentFirst. dropSend lets go of it.
func (r *repeats) expectSend(call string, journaled repeatKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sends == nil {
		r.sends = map[string]*sendCheck{}
	}
	r.sends[call] = &sendCheck{key: journaled}
}

func (r *repeats) dropSend(call string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sends, call)
}

// sentFirst is, once call's "sending" entry is written, the identical call
// that another server wrote to the journal before it, and that was not
// known when call was let through: two identical calls that reach two
// servers at the same moment both pass their check, and the journal's
// order then tells which goes ahead. Whichever read of the journal comes to
// the entry first tells; when none has yet, sentFirst reads. nil when none
// came first (or the journal cannot tell).
func (r *repeats) sentFirst(call string) *repeatCall {
	r.mu.Lock()
	sc := r.sends[call]
	r.mu.Unlock()
	if sc == nil || r.follow == nil {
		return nil
	}
	r.followMu.Lock()
	r.mu.Lock()
	seen := sc.seen
	r.mu.Unlock()
	if !seen {
		r.follows.Add(1)
		if updates, ok := r.follow(); ok {
			r.mu.Lock()
			r.apply(updates)
			r.mu.Unlock()
		}
	}
	r.followMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sends, call)
	return sc.first
}

// apply takes in updates, oldest first.
func (r *repeats) apply(updates []journalUpdate) {
	for _, u := range updates {
		if u.mark != "" {
			if sc := r.sends[u.mark]; sc != nil && !sc.seen {
				sc.seen, sc.first = true, r.journaled(sc.key)
			}
			continue
		}
		if !u.sending {
			r.noteEnded(u.call)
		}
		k := r.restored[u.key]
		if k == nil {
			if u.c == nil {
				continue
			}
			if r.restored == nil {
				r.restored = map[repeatKey]*journaledKey{}
			}
			k = &journaledKey{}
			r.restored[u.key] = k
		}
		// An entry may be read again, or after newer ones (a copy of the
		// journal, a rotated file read late): an ended call's "sending" is
		// not pending again, an outcome older than the key's does not
		// replace it, and one silences only the calls sent before it.
		switch {
		case u.sending && r.ended[u.call]:
		case u.sending:
			if len(k.pending) == maxPending {
				k.pending = slices.Delete(k.pending, 0, 1)
			}
			// In order of when sent: the newest speaks.
			i := len(k.pending)
			for i > 0 && k.pending[i-1].at.After(u.c.at) {
				i--
			}
			k.pending = slices.Insert(k.pending, i, journaledCall{u.c, u.call})
		case u.c != nil:
			if k.outcome == nil || !u.c.at.Before(k.outcome.at) {
				k.outcome = u.c
			}
			k.pending = slices.DeleteFunc(k.pending, func(p journaledCall) bool { return p.call == u.call || !p.at.After(u.c.at) })
		default: // a failure: its call made nothing
			k.pending = slices.DeleteFunc(k.pending, func(p journaledCall) bool { return p.call == u.call })
		}
		if k.speaker() == nil {
			delete(r.restored, u.key)
		}
	}
	if len(r.restored) > 2*maxRestored+maxRestored/4 { // some room, so that each key past the bounds does not prune all
		r.prune()
	}
}

// prune lets go of what the journal says of keys whose newest entry passed
// the window, and past the bounds of the oldest.
func (r *repeats) prune() {
	now := r.now()
	r.prunedAt = now
	var creates, unknowns []repeatKey
	for key, k := range r.restored {
		switch c := k.speaker(); {
		case now.Sub(c.at) >= r.keepOf(c):
			delete(r.restored, key)
		case c.made.maybe:
			unknowns = append(unknowns, key)
		default:
			creates = append(creates, key)
		}
	}
	for _, keys := range [][]repeatKey{creates, unknowns} {
		if len(keys) <= maxRestored {
			continue
		}
		slices.SortFunc(keys, func(x, y repeatKey) int { return r.restored[y].speaker().at.Compare(r.restored[x].speaker().at) })
		for _, key := range keys[maxRestored:] {
			delete(r.restored, key)
		}
	}
	if len(r.restored) == 0 {
		r.restored = nil
	}
}

// journaled is the call of another server's that answers a call of
// journal key key now, as far as the journal tells; nil when none does.
func (r *repeats) journaled(key repeatKey) *repeatCall {
	if k := r.restored[key]; k != nil {
		if c := k.speaker(); r.now().Sub(c.at) < r.keepOf(c) {
			return c
		}
	}
	return nil
}

// keepOf is how long after it ended c answers identical calls.
func (r *repeats) keepOf(c *repeatCall) time.Duration {
	return max(r.window, c.keep)
}

// begin returns the call identical to key (or, in the journal, to
// journaled) that this one waits for, and whether it had ended already, or a
// new call that this one leads.
func (r *repeats) begin(key, journaled repeatKey) (c *repeatCall, lead, ended bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire()
	if c, ok := r.calls[key]; ok {
		select {
		case <-c.done:
			return c, false, true
		default:
			return c, false, false
		}
	}
	if r.restored != nil && r.now().Sub(r.prunedAt) >= r.window {
		r.prune()
	}
	if c := r.journaled(journaled); c != nil {
		return c, false, true
	}
	c = &repeatCall{done: make(chan struct{})}
	r.calls[key] = c
	return c, true, false
}

// lead sends the call and publishes its outcome, a panic's included: an
// identical call must not wait forever.
func (r *repeats) lead(key repeatKey, c *repeatCall, name string, send func() (*mcp.CallToolResult, bool, *created)) (res *mcp.CallToolResult) {
	shared, made := true, (*created)(nil)
	defer func() {
		if p := recover(); p != nil {
			r.end(key, c, mcp.NewToolResultError(name+": internal error; the agent may or may not have been created. Check the journal before calling again."), true, nil)
			panic(p)
		}
		r.end(key, c, res, shared, made)
	}()
	res, shared, made = send()
	return res
}

// end publishes a call's outcome, and remembers it for the window when it
// created an agent or may have.
func (r *repeats) end(key repeatKey, c *repeatCall, res *mcp.CallToolResult, shared bool, made *created) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.shared, c.made, c.at = shared, made, r.now()
	if made == nil || made.maybe {
		c.res = res // a failure, for the calls waiting for it
	}
	close(c.done)
	if made == nil || made.size() > maxRememberedBytes {
		delete(r.calls, key)
		return
	}
	list := &r.created
	if made.maybe {
		list = &r.unknown
	}
	list.keys = append(list.keys, key)
	list.bytes += made.size()
	r.expire()
}

// expire forgets outcomes past the window, and the oldest past the bounds.
func (r *repeats) expire() {
	now := r.now()
	for _, list := range []*remembered{&r.created, &r.unknown} {
		for len(list.keys) > 0 {
			c := r.calls[list.keys[0]]
			if now.Sub(c.at) < r.window && len(list.keys) <= maxRemembered && list.bytes <= maxRememberedBytes {
				break
			}
			delete(r.calls, list.keys[0])
			list.bytes -= c.made.size()
			list.keys[0] = repeatKey{}
			list.keys = list.keys[1:]
		}
	}
}

// repeatCreated answers a repeat with the agent its identical call created.
func repeatCreated(c *created, when string) *mcp.CallToolResult {
	// The result as the create returned it, byte for byte (an id that is a
	// large number stays as written), marked as not made again.
	result := append([]byte(`{"already_created":true,`), c.result[1:]...)
	summary := "Not sent again: an identical call (same arguments), " + when +
		", so no second one was made. To create another agent on purpose, change an argument, such as the name. " + c.summary
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(summary), mcp.NewTextContent(string(result))},
		StructuredContent: json.RawMessage(result),
	}
}

// repeatUnknown answers a repeat of a call whose outcome is unknown, made ago
// and remembered for left yet, with that outcome: sent again, it could make
// a second agent.
func repeatUnknown(c *created, ago, left time.Duration) *mcp.CallToolResult {
	// Rounded up: a call made at the time stated is not refused.
	left = max(left.Truncate(time.Second)+time.Second, time.Second)
	if c.running {
		note := fmt.Sprintf("Not sent again: an identical call (same arguments) was sent %s ago, and the agent may exist, so sending this one could make a second. "+
			"Calling again with the same arguments sends nothing while that call runs; once it has ended (within the server's --timeout), calling again gets the agent it made, or, if it made none, is sent. "+
			"If no outcome is recorded by then (its server stopped), check as it says below first; if no agent was made, call again in %s (when this is forgotten), or change an argument, such as the name. ", ago, left)
		return mcp.NewToolResultError(note + c.summary)
	}
	note := fmt.Sprintf("Not sent again: an identical call (same arguments), made %s ago, ended with the outcome below, and the agent may exist, "+
		"so sending it again could make a second one. Check as it says first. If no agent was made, call again in %s (when this outcome is forgotten), "+
		"or change an argument, such as the name. ", ago, left)
	return mcp.NewToolResultError(note + c.summary)
}

// repeatFailed answers a call that waited for an identical one with that
// call's failure.
func repeatFailed(res *mcp.CallToolResult) *mcp.CallToolResult {
	out := &mcp.CallToolResult{IsError: res.IsError, StructuredContent: res.StructuredContent}
	note := "Not sent again: an identical call (same arguments) was in progress when this one arrived, and this is its outcome. "
	for i, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok && i == 0 {
			c = mcp.NewTextContent(note + t.Text)
		}
		out.Content = append(out.Content, c)
	}
	return out
}
