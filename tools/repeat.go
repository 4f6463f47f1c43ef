package tools

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
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

	mu    sync.Mutex
	calls map[repeatKey]*repeatCall
	// The remembered creates, and apart from them the unknown outcomes: a
	// vendor outage's many must not push out the creates.
	created, unknown remembered

	// restore reads back the outcomes the journal holds from before this
	// process started (nil: none are), on the first call, and again on the
	// next while it reports false (it could not read them: no journal key
	// yet, say). They are kept apart, by their journal key, which counts the
	// server's own keys too: another server on the same journal may use
	// another account.
	restore     func() (map[repeatKey]*repeatCall, bool)
	restoreMu   sync.Mutex
	restoreDone atomic.Bool
	restored    map[repeatKey]*repeatCall // by journal key; guarded by mu
	restoredAt  time.Time                 // when read, or when the last of them ended if later

	// settle looks in the journal for the outcome of call, read back
	// without one (its server may still have been running it). Once there
	// is one (found), it reports what now speaks for the journal key, as a
	// read-back would: the newest create or unknown outcome of an identical
	// call within the window, or nil (none: this call is sent). Repeats
	// settle one at a time, under settleMu.
	settle   func(journaled repeatKey, call string, since time.Time) (c *repeatCall, found bool)
	settleMu sync.Mutex
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
	restored bool // read back from the journal, made before this process started
	// A call read back without an outcome: its server may still be running
	// it. call and since find its outcome in the journal; readAt is when
	// the last look for it began (guarded by repeats.mu).
	pending bool
	call    string
	since   time.Time
	readAt  time.Time
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
// waiting for it, and what it created.
func (r *repeats) do(ctx context.Context, key, journaled repeatKey, name string, send func() (*mcp.CallToolResult, bool, *created)) (res *mcp.CallToolResult, joined bool) {
	r.restoreFromJournal()
	resettled := r.settle == nil // nothing to look up
	for {
		c, lead, ended := r.begin(key, journaled, resettled)
		if lead {
			return r.lead(key, journaled, c, name, send), false
		}
		if ended && c.made != nil && c.made.pending && !resettled {
			resettled = true
			r.resettle(journaled, c)
			continue
		}
		select {
		case <-c.done:
		case <-ctx.Done():
			return mcp.NewToolResultError(name + ": the request was cancelled while an identical call (same arguments) was in progress; this one sent nothing, and that call's outcome goes to the journal"), true
		}
		now := r.now()
		ago := max(now.Sub(c.at).Round(time.Second), time.Second) // when ended
		switch {
		case c.made != nil && c.made.maybe:
			if !ended {
				return repeatFailed(c.res), true
			}
			return repeatUnknown(c.made, ago, c.at.Add(r.window).Sub(now)), true
		case c.made != nil:
			when := "in progress when this one arrived, created this agent"
			if ended {
				when = fmt.Sprintf("made %s ago, created this agent", ago)
			}
			if c.made.restored {
				when = fmt.Sprintf("made %s ago by a server that ran before this one, created this agent (as the journal records)", ago)
			}
			return repeatCreated(c.made, when), true
		case c.shared:
			return repeatFailed(c.res), true
		}
		// The identical call was cancelled by its own client, and created
		// nothing: this one goes ahead.
	}
}

// restoreFromJournal reads back, until that once works, the outcomes the
// journal holds from before this process.
func (r *repeats) restoreFromJournal() {
	if r.restore == nil || r.restoreDone.Load() {
		return
	}
	r.restoreMu.Lock()
	defer r.restoreMu.Unlock()
	if r.restoreDone.Load() {
		return
	}
	at := r.now()
	calls, ok := r.restore()
	if !ok {
		return
	}
	// Let go once every one has passed its window: some may have ended
	// after the read began (another server's clock, a write meanwhile).
	for _, c := range calls {
		at = maxTime(at, c.at)
	}
	r.mu.Lock()
	r.restored, r.restoredAt = calls, at
	r.mu.Unlock()
	r.restoreDone.Store(true)
}

// resettle looks in the journal for the outcome of stale, a call read back
// without one: the server that sent it may have been running it still, and
// recorded its outcome since. The key is then read back again (see settle):
// an agent or unknown outcome of an identical call within the window
// answers, or none does and this call is sent. While the journal
// holds none (or no longer shows the call: rotated, past the read-back's
// bounds), stale stands. A look begun after this repeat arrived, by another
// repeat, answers for it too: one journal read at a time.
func (r *repeats) resettle(journaled repeatKey, stale *repeatCall) {
	arrived := r.now()
	r.settleMu.Lock()
	defer r.settleMu.Unlock()
	r.mu.Lock()
	if r.restored[journaled] != stale || !stale.made.readAt.Before(arrived) {
		r.mu.Unlock()
		return // settled meanwhile, or looked for since this one arrived
	}
	stale.made.readAt = r.now()
	call, since := stale.made.call, stale.made.since
	r.mu.Unlock()

	fresh, found := r.settle(journaled, call, since)
	if !found {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.restored[journaled] != stale {
		return
	}
	if fresh == nil {
		delete(r.restored, journaled)
		return
	}
	r.restored[journaled] = fresh
	r.restoredAt = maxTime(r.restoredAt, fresh.at)
}

// begin returns the call identical to key (or, made before this process
// started, to journaled) that this one waits for, and whether it had ended
// already, or a new call that this one leads. One read back without an
// outcome is returned past its window too until settled (looked up): the
// agent its call made may be newer.
func (r *repeats) begin(key, journaled repeatKey, settled bool) (c *repeatCall, lead, ended bool) {
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
	if r.restored != nil && r.now().Sub(r.restoredAt) >= r.window {
		// All of them past the window, but for calls read back without an
		// outcome: the agent one made, recorded since, keeps a window of its
		// own, and is looked up on a repeat.
		maps.DeleteFunc(r.restored, func(_ repeatKey, c *repeatCall) bool { return !c.made.pending })
		r.restoredAt = r.now()
		if len(r.restored) == 0 {
			r.restored = nil
		}
	}
	if c, ok := r.restored[journaled]; ok {
		if r.now().Sub(c.at) < r.window || (c.made.pending && !settled) {
			return c, false, true
		}
		delete(r.restored, journaled)
	}
	c = &repeatCall{done: make(chan struct{})}
	r.calls[key] = c
	return c, true, false
}

// lead sends the call and publishes its outcome, a panic's included: an
// identical call must not wait forever.
func (r *repeats) lead(key, journaled repeatKey, c *repeatCall, name string, send func() (*mcp.CallToolResult, bool, *created)) (res *mcp.CallToolResult) {
	shared, made := true, (*created)(nil)
	defer func() {
		// This process's own outcome is newer than anything read back
		// (the read-back may have found this very call's "sending" entry).
		r.mu.Lock()
		delete(r.restored, journaled)
		r.mu.Unlock()
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

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
