package app

// Guards of the HTTP service and server flags that a one-line change could
// drop with every other test still green.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/providers"
)

const datagridCall = `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"probe agent"}}}`

// T03: "every request to /mcp must send Authorization: Bearer <token>":
// GET and DELETE too, not only POST. Without it a caller with no token
// could end another caller's session (DELETE with its id) or open a stream.
func TestEveryMethodNeedsTheToken(t *testing.T) {
	const token = "test-token-Zq81"
	ts := testService(t, func(c *Config) { c.HTTPToken = providers.NewSecret(token) })
	url := ts.URL + MCPPath
	resp := post(t, url, map[string]string{"Authorization": "Bearer " + token}, initBody)
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d, session %q", resp.StatusCode, id)
	}
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		hdr := map[string]string{"Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18", "Accept": "text/event-stream"}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, method, url, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		r.Body.Close()
		cancel()
		if r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d, want 401", method, r.StatusCode)
		}
	}
	// The session still works for its owner.
	hdr := map[string]string{"Authorization": "Bearer " + token, "Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"}
	if got := post(t, url, hdr, `{"jsonrpc":"2.0","id":2,"method":"ping"}`).StatusCode; got != http.StatusOK {
		t.Errorf("the owner's session after a DELETE without the token: %d, want 200", got)
	}
}

// O02, O03, O04: an Origin that is not loopback is refused, however close
// its name comes to one; and so is an --addr that is not loopback without a
// token.
func TestNearLoopbackNamesAreNotLoopback(t *testing.T) {
	ts := testService(t, nil)
	for _, origin := range []string{
		"http://localhost.evil.example",    // O02: a DNS name an attacker owns
		"https://localhost-rebind.example", // O02
		"http://10.0.0.5",                  // O03: a LAN address is not this machine
		"http://192.168.1.20:8080",         // O03
		"ftp://localhost",                  // O04: not a web origin of this machine's HTTP servers
		"chrome-extension://127.0.0.1",     // O04
	} {
		if got := post(t, ts.URL+MCPPath, map[string]string{"Origin": origin}, initBody).StatusCode; got != http.StatusForbidden {
			t.Errorf("Origin %s: %d, want 403", origin, got)
		}
	}
	for _, addr := range []string{"localhost.evil.example:8080", "192.168.1.20:8080", "10.0.0.5:8080"} {
		c := Config{Transport: TransportHTTP, Addr: addr, Timeout: time.Second}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("--addr %s without a token: err = %v, want refused", addr, err)
		}
	}
}

// L01, L02: a body over --max-body-bytes gets 413 also when it comes
// without a Content-Length (chunked), as most streaming clients send it.
func TestChunkedBodyOverTheCap(t *testing.T) {
	const max = 64 << 10
	ts := testService(t, func(c *Config) { c.MaxBodyBytes = max })
	for _, size := range []int{max + 100, 2 * max} {
		body := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("a", size) + `"}}`
		pr, pw := io.Pipe()
		go func() { _, _ = io.WriteString(pw, body); pw.Close() }()
		req := mcpPost(ts.URL+MCPPath, nil, pr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.ContentLength != -1 && req.ContentLength != 0 {
			t.Fatalf("request was not chunked (Content-Length %d)", req.ContentLength)
		}
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked body of %d bytes (cap %d): %d, want 413", len(body), max, resp.StatusCode)
		}
	}
}

// serveOnListener runs the service on a real listener, as Run does.
func serveOnListener(t *testing.T) string {
	t.Helper()
	return listen(t, testHTTPService(t, func(c *Config) { c.ShutdownTimeout = time.Second }, zerolog.Nop()))
}

// L03: "header blocks over 64 KiB get 431", in bytes, not relative to
// whatever maxHeaderBytes says.
func TestHeaderBlockOver64KiBIs431(t *testing.T) {
	url := "http://" + serveOnListener(t) + MCPPath
	// Besides the padding, the block holds the request line and a few
	// hundred bytes of other headers.
	if got := post(t, url, map[string]string{"X-Padding": strings.Repeat("a", 63<<10)}, initBody).StatusCode; got != http.StatusOK {
		t.Errorf("header block of 63 KiB and a little: %d, want 200", got)
	}
	if got := post(t, url, map[string]string{"X-Padding": strings.Repeat("a", 64<<10)}, initBody).StatusCode; got != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("header block of 64 KiB and a little: %d, want 431", got)
	}
}

// stdioServerFor is a stdio-mode Server with create_agent_datagrid only, talking
// to vendorURL; handle sends it one JSON-RPC message.
func stdioServerFor(t *testing.T, cfg Config, vendorURL string) func(string) string {
	t.Helper()
	cfg.Transport, cfg.Version, cfg.Providers = TransportStdio, "test", []string{"datagrid"}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	s, _ := datagridServer(t, cfg, vendorURL)
	handle := messageHandler(t, s)
	handle(initBody)
	return handle
}

// messageHandler sends s one JSON-RPC message and returns its answer as JSON.
func messageHandler(t *testing.T, s *Server) func(string) string {
	return func(msg string) string {
		t.Helper()
		b, err := json.Marshal(s.MCP.HandleMessage(context.Background(), []byte(msg)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

// V01: README: --dry-run: "every call previews; nothing is sent to any
// vendor, and a call that asked for a create is told so in its summary".
func TestDryRunFlagSendsNothing(t *testing.T) {
	vendor, hits := countingVendor(t)
	handle := stdioServerFor(t, Config{DryRun: true, DedupeWindow: DefaultDedupeWindow}, vendor.URL)
	got := handle(fmt.Sprintf(datagridCall, 2))
	if hits.Load() != 0 || !strings.Contains(got, `"dry_run":true`) {
		t.Errorf("--dry-run: %d requests reached the vendor; result %.300s", hits.Load(), got)
	}
}

// V02: README: --dedupe-window "0 sends every call".
func TestDedupeWindowZeroSendsEveryCall(t *testing.T) {
	vendor, hits := countingVendor(t)
	handle := stdioServerFor(t, Config{DedupeWindow: 0}, vendor.URL)
	for id := 2; id <= 3; id++ {
		if got := handle(fmt.Sprintf(datagridCall, id)); strings.Contains(got, "already_created") || strings.Contains(got, `"isError":true`) {
			t.Fatalf("call %d: %.300s", id, got)
		}
	}
	if hits.Load() != 2 {
		t.Errorf("--dedupe-window 0: two identical calls sent %d requests, want 2", hits.Load())
	}
}
