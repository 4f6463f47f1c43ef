// Package poster is the floor's tool handler: it POSTs a call's arguments to
// a vendor URL and returns the answer as text. The floor serves it alone; the
// passthrough serves it in agentmcp's place, so both run the same handler.
package poster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Handler POSTs the arguments, as JSON, to vendor with key as bearer token,
// through one reused http.Client that keeps idlePerHost idle connections.
func Handler(vendor, key string, idlePerHost int) server.ToolHandlerFunc {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = idlePerHost
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		body, err := json.Marshal(req.GetRawArguments())
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, vendor, bytes.NewReader(body))
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(r)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode/100 != 2 {
			return mcp.NewToolResultError(fmt.Sprintf("vendor: HTTP %d: %s", resp.StatusCode, out)), nil
		}
		return mcp.NewToolResultText(string(out)), nil
	}
}
