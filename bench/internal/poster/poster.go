// Package poster is the floor's tool handler: it POSTs a call's arguments to
// a vendor URL and returns the answer as text. The floor serves it alone; the
// passthrough serves it in agentmcp's place, so both run the same handler;
// the bench's direct POST sends the same request through Post and a client
// from NewClient, without an MCP server around it.
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

// Timeout bounds each POST, the vendor's answer included.
const Timeout = 60 * time.Second

// NewClient is the client the handler sends through, reused for every call:
// Go's default transport keeping idlePerHost idle connections per host.
func NewClient(idlePerHost int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = idlePerHost
	return &http.Client{Transport: tr, Timeout: Timeout}
}

// Handler POSTs the arguments, as JSON, to vendor with key as bearer token,
// through one reused http.Client that keeps idlePerHost idle connections.
func Handler(vendor, key string, idlePerHost int) server.ToolHandlerFunc {
	client := NewClient(idlePerHost)
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		body, err := json.Marshal(req.GetRawArguments())
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		out, err := Post(ctx, client, vendor, key, body)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return mcp.NewToolResultText(string(out)), nil
	}
}

// Post sends body to vendor with key as bearer token, the request the
// handler makes, and returns the answer's body; an answer other than 2xx is
// an error.
func Post(ctx context.Context, client *http.Client, vendor, key string, body []byte) ([]byte, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, vendor, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("vendor: HTTP %d: %s", resp.StatusCode, out)
	}
	return out, nil
}
