package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestAnswerBeforeAClientTimeoutOfTheSameLength: a client whose own request
// timeout equals --timeout (the TypeScript SDK's default and --timeout's
// are both 60 s) still gets the server's answer about a vendor that never
// answers, the outcome unknown and how to check, not a timeout of its own.
func TestAnswerBeforeAClientTimeoutOfTheSameLength(t *testing.T) {
	const timeout = 3 * time.Second
	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			v := newVendor(t)
			v.delay = time.Minute
			environ := env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1")
			args := []string{"--timeout", timeout.String(), "--journal", filepath.Join(t.TempDir(), "journal.jsonl")}
			var c *client.Client
			if transport == "stdio" {
				c = startStdio(t, environ, args...).client
			} else {
				c = httpClient(t, startHTTP(t, environ, args...).url, nil)
			}
			initialize(t, c, mcp.ProtocolVersion20251125)

			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			req := mcp.CallToolRequest{}
			req.Params.Name = "create_agent_datagrid"
			req.Params.Arguments = map[string]any{"name": "hung"}
			res, err := c.CallTool(ctx, req)
			if err != nil {
				t.Fatalf("the client's timeout came first: %v", err)
			}
			if text := textOf(res); !res.IsError || !strings.Contains(text, "outcome unknown") || !strings.Contains(text, `"hung"`) {
				t.Errorf("want an outcome unknown naming the agent to look for: %s", text)
			}
		})
	}
}
