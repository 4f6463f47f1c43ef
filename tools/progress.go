package tools

import (
	"context"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// progress reports retries and waits to a client that sent a progressToken.
// It only ever repeats what the final result also says.
type progress struct {
	ctx   context.Context
	token mcp.ProgressToken
	pause time.Duration
	sent  bool
}

func newProgress(ctx context.Context, req mcp.CallToolRequest, pause time.Duration) *progress {
	p := &progress{ctx: ctx, pause: pause}
	if req.Params.Meta != nil {
		p.token = req.Params.Meta.ProgressToken
	}
	return p
}

func (p *progress) send(done float64, msg string) {
	if p.token == nil {
		return
	}
	srv := server.ServerFromContext(p.ctx)
	if srv == nil {
		return
	}
	if err := srv.SendNotificationToClient(p.ctx, "notifications/progress", map[string]any{
		"progressToken": p.token, "progress": done, "message": msg,
	}); err == nil {
		p.sent = true
	}
}

// finish gives the transport a moment to flush the last notification before
// the result closes the stream.
func (p *progress) finish() {
	if !p.sent || p.pause <= 0 {
		return
	}
	t := time.NewTimer(p.pause)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.ctx.Done():
	}
}
