package tools

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// defaultProgressHeartbeat is how often a client that sent a progressToken
// hears that its call still waits for the vendor: three times in the 60 s
// that clients commonly allow a request, so that one which resets its
// timeout on progress (the TypeScript SDK's resetTimeoutOnProgress) waits
// for a slow create up to --timeout.
const defaultProgressHeartbeat = 20 * time.Second

// progress reports retries and waits to a client that sent a progressToken.
// It only ever repeats what the final result also says.
type progress struct {
	ctx   context.Context
	token mcp.ProgressToken
	pause time.Duration

	mu   sync.Mutex
	n    int // notifications sent: the progress value, which must increase
	sent bool
}

func newProgress(ctx context.Context, req mcp.CallToolRequest, pause time.Duration) *progress {
	p := &progress{ctx: ctx, pause: pause}
	if req.Params.Meta != nil {
		p.token = req.Params.Meta.ProgressToken
	}
	return p
}

func (p *progress) send(msg string) {
	if p.token == nil {
		return
	}
	srv := server.ServerFromContext(p.ctx)
	if srv == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if err := srv.SendNotificationToClient(p.ctx, "notifications/progress", map[string]any{
		"progressToken": p.token, "progress": p.n, "message": msg,
	}); err == nil {
		p.sent = true
	}
}

// heartbeat says every interval, until the returned stop is called, that
// the call still waits for what. stop returns once nothing more is sent;
// it may be called more than once.
func (p *progress) heartbeat(interval time.Duration, what string) (stop func()) {
	if p.token == nil || interval <= 0 {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		began := time.Now()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.send(fmt.Sprintf("waiting for %s (%s so far)", what, time.Since(began).Round(time.Second)))
			case <-quit:
				return
			case <-p.ctx.Done():
				return
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit) }); <-done }
}

// finish gives the transport a moment to flush the last notification before
// the result closes the stream.
func (p *progress) finish() {
	p.mu.Lock()
	sent := p.sent
	p.mu.Unlock()
	if !sent || p.pause <= 0 {
		return
	}
	t := time.NewTimer(p.pause)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.ctx.Done():
	}
}
