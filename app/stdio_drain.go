package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// stdioQueue is mcp-go's queue of tool calls waiting for a worker, at its
// largest: a call that finds the queue full runs on the read loop instead,
// ahead of the calls queued, and a drain marker doing so would be taken
// before them.
const stdioQueue = 10000

// errDrainMarker refuses the drain marker; its answer never reaches stdout.
var errDrainMarker = errors.New("drain marker")

// stdioDrain holds back the end of stdin from mcp-go until every tool call
// read before it has left mcp-go's queue. At the end of input mcp-go stops
// its workers, and a call still queued then got no answer at all. A marker
// call is read last instead of the end: queued behind the others, it is
// taken off the queue after all of them, and then the end is passed on.
type stdioDrain struct {
	id    string        // the marker's request id, unguessable
	taken chan struct{} // closed when a worker takes the marker
	once  sync.Once
	sent  atomic.Bool // the marker was read: its answer is dropped from stdout
}

func newStdioDrain() *stdioDrain {
	return &stdioDrain{id: "agentmcp-drain-" + rand.Text(), taken: make(chan struct{})}
}

// hook is an mcp-go request-initialization hook: it notes the marker and
// refuses it, so that no tool sees it.
func (d *stdioDrain) hook(_ context.Context, id any, _ any) error {
	if s, ok := id.(string); ok && s == d.id {
		d.once.Do(func() { close(d.taken) })
		return errDrainMarker
	}
	return nil
}

// marker is the call read in place of the end of stdin.
func (d *stdioDrain) marker() []byte {
	return []byte(`{"jsonrpc":"2.0","id":"` + d.id + `","method":"tools/call","params":{"name":"agentmcp_drain","arguments":{}}}` + "\n")
}

// endOfInput passes stdin through to mcp-go. When stdin ends it calls end
// (the in-flight calls must know before mcp-go cancels them), hands mcp-go
// the drain marker, and passes the end on once the marker is taken, or
// after wait.
type endOfInput struct {
	r       io.Reader
	end     func()
	drain   *stdioDrain
	wait    time.Duration
	last    byte   // the last byte read: the marker must start a line
	pending []byte // the marker's bytes not yet read
	marked  bool
}

func (e *endOfInput) Read(p []byte) (int, error) {
	if len(e.pending) > 0 {
		n := copy(p, e.pending)
		e.pending = e.pending[n:]
		return n, nil
	}
	if e.marked {
		select {
		case <-e.drain.taken:
		case <-time.After(e.wait):
		}
		return 0, io.EOF
	}
	n, err := e.r.Read(p)
	if n > 0 {
		e.last = p[n-1]
	}
	if err == nil {
		return n, nil
	}
	e.end()
	if !errors.Is(err, io.EOF) || e.drain == nil {
		return n, err
	}
	e.marked = true
	e.pending = e.drain.marker()
	if e.last != 0 && e.last != '\n' {
		// A last line without its newline ends here, not inside the marker.
		e.pending = append([]byte{'\n'}, e.pending...)
	}
	e.drain.sent.Store(true)
	if n == 0 {
		return e.Read(p)
	}
	return n, nil
}

// dropAnswers passes stdout through but for the answer to the marker and
// those to requests refused as cancelled before they started. mcp-go writes
// each answer in one Write.
type dropAnswers struct {
	w     io.Writer
	drain *stdioDrain
	early *earlyCancels
}

func (d dropAnswers) Write(p []byte) (int, error) {
	if d.drain.sent.Load() && bytes.Contains(p, []byte(d.drain.id)) || d.early.dropAnswer(p) {
		return len(p), nil
	}
	return d.w.Write(p)
}
