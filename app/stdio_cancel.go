package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// maxEarlyCancels bounds how many cancelled request ids are remembered: as
// many as calls can wait for a worker or run, so that no cancellation of a
// queued call is forgotten before its call is taken.
const maxEarlyCancels = stdioQueue + stdioWorkers

// maxStarted bounds how many started tool calls are remembered, so that a
// cancellation arriving after its call started (or ended) is not kept: the
// room is for calls still waiting.
const maxStarted = 1024

// maxCancelLine is the longest stdin line looked at for a cancellation; a
// tool call with a long prompt is passed by unparsed.
const maxCancelLine = 16 << 10

// errCancelledEarly refuses a request the client cancelled before it
// started; mcp-go's answer carrying it is dropped (dropAnswers).
var errCancelledEarly = errors.New("request cancelled by the client before it started; nothing was done")

// earlyCancels remembers the ids of requests the client cancelled over
// stdio, as the cancellations are read. mcp-go acts on a cancellation only
// for a request already started: a tools/call waiting for a worker would
// otherwise run, and create an agent, after the client gave it up. The id
// of a tool call that started is not kept (mcp-go cancels it itself); one
// whose request never comes, or is no tool call, is forgotten once
// maxEarlyCancels newer ones are remembered (a client does not reuse an id
// within a session, so a stale one never matches).
type earlyCancels struct {
	count atomic.Int32 // ids.len(): most requests skip the lock
	mu    sync.Mutex
	ids   recentSet
	// refused are the requests refused as cancelled whose error answer
	// mcp-go has not written yet: it is dropped (the MCP specification: no
	// response to a cancelled request; a client reports one as a response
	// to an unknown request). refusedCount is refused.len().
	refused      recentSet
	refusedCount atomic.Int32
	started      recentSet         // tool calls that started, the newest maxStarted
	server       *server.MCPServer // handed the cancellations cancelStarted finds
}

func newEarlyCancels() *earlyCancels {
	return &earlyCancels{ids: newRecentSet(maxEarlyCancels), started: newRecentSet(maxStarted), refused: newRecentSet(maxEarlyCancels)}
}

// add remembers the request id key (its JSON), unless its call started.
func (e *earlyCancels) add(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started.has(key) {
		return
	}
	e.ids.add(key)
	e.count.Store(int32(e.ids.len()))
}

// take reports whether the request id was cancelled, and forgets it.
func (e *earlyCancels) take(id any) bool {
	if e == nil || e.count.Load() == 0 || id == nil {
		return false
	}
	b, err := json.Marshal(id)
	if err != nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.takeKey(string(b)) {
		return false
	}
	// mcp-go writes the id of its answer as json.Marshal writes it.
	e.refused.add(string(b))
	e.refusedCount.Store(int32(e.refused.len()))
	return true
}

// dropAnswer reports whether line is mcp-go's answer to a request refused as
// cancelled, and forgets the request if so.
func (e *earlyCancels) dropAnswer(line []byte) bool {
	if e == nil || e.refusedCount.Load() == 0 {
		return false
	}
	const start, end = `{"jsonrpc":"2.0","id":`, `,"error":{`
	rest, ok := bytes.CutPrefix(line, []byte(start))
	if !ok {
		return false
	}
	i := bytes.Index(rest, []byte(end))
	if i < 0 {
		return false
	}
	key := string(rest[:i])
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.refused.has(key) {
		return false
	}
	e.refused.remove(key)
	e.refusedCount.Store(int32(e.refused.len()))
	return true
}

// takeKey is take for the id's JSON; e.mu is held.
func (e *earlyCancels) takeKey(key string) bool {
	if !e.ids.has(key) {
		return false
	}
	e.ids.remove(key)
	e.count.Store(int32(e.ids.len()))
	return true
}

// refuse is an mcp-go request-initialization hook: a request cancelled
// before it started is refused instead of being run, and left unanswered.
func (e *earlyCancels) refuse(_ context.Context, id any, _ any) error {
	if e.take(id) {
		return errCancelledEarly
	}
	return nil
}

// cancelStarted is an mcp-go before-call-tool hook. mcp-go notes a request
// as started (so that a cancellation reaches it) only after refuse has let
// it through: a cancellation read in between found nothing to cancel. By
// now the call can be cancelled, and it is, before anything is sent.
func (e *earlyCancels) cancelStarted(ctx context.Context, id any, _ *mcp.CallToolRequest) {
	b, err := json.Marshal(id)
	if err != nil || id == nil {
		return
	}
	e.mu.Lock()
	e.started.add(string(b))
	cancelled := e.takeKey(string(b))
	e.mu.Unlock()
	if !cancelled {
		return
	}
	e.server.HandleMessage(ctx, []byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":`+string(b)+`}}`))
}

// cancelWatch passes stdin through and notes in early the id of every
// notifications/cancelled line it reads.
type cancelWatch struct {
	r     io.Reader
	early *earlyCancels
	line  []byte // the start of a line split across reads
	long  bool   // the current line is over maxCancelLine: not looked at
}

func (c *cancelWatch) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.scan(p[:n])
	return n, err
}

func (c *cancelWatch) scan(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.keep(b)
			return
		}
		switch {
		case c.long:
		case len(c.line) == 0:
			c.note(b[:i]) // a whole line in this read: no copy
		default:
			c.keep(b[:i])
			if !c.long {
				c.note(c.line)
			}
		}
		c.line, c.long = c.line[:0], false
		b = b[i+1:]
	}
}

// keep adds part of a line split across reads, up to maxCancelLine.
func (c *cancelWatch) keep(part []byte) {
	if c.long {
		return
	}
	if len(c.line)+len(part) > maxCancelLine {
		c.line, c.long = c.line[:0], true
		return
	}
	c.line = append(c.line, part...)
}

// note records line's request id if line is a cancellation.
func (c *cancelWatch) note(line []byte) {
	if len(line) > maxCancelLine || !mayBeCancellation(line) {
		return
	}
	// Only what mcp-go takes as a cancellation: a JSON-RPC 2.0 notification
	// (no id), whose params mcp-go reads as a map, so "requestId" is matched
	// exactly rather than in any case.
	var msg struct {
		JSONRPC string                     `json:"jsonrpc"`
		ID      any                        `json:"id"`
		Method  string                     `json:"method"`
		Params  map[string]json.RawMessage `json:"params"`
	}
	if json.Unmarshal(line, &msg) != nil || msg.JSONRPC != mcp.JSONRPC_VERSION || msg.ID != nil ||
		msg.Method != string(mcp.MethodNotificationCancelled) {
		return
	}
	raw, ok := msg.Params["requestId"]
	if !ok {
		return
	}
	// The key is the id as mcp-go decodes it, written back as JSON.
	var id any
	if json.Unmarshal(raw, &id) != nil || id == nil {
		return
	}
	if b, err := json.Marshal(id); err == nil {
		c.early.add(string(b))
	}
}
