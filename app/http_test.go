package app

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/datagrid"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`

func testService(t *testing.T, mutate func(*Config)) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(testHTTPService(t, mutate, zerolog.Nop()))
	t.Cleanup(ts.Close)
	return ts
}

// testHTTPService is the HTTP service of a server with no tools, its Config
// changed by mutate (when not nil), logging to log.
func testHTTPService(t *testing.T, mutate func(*Config), log zerolog.Logger) *HTTPService {
	t.Helper()
	cfg := Config{Transport: TransportHTTP, Addr: DefaultAddr, Timeout: 5 * time.Second, Journal: JournalOff, Version: "test"}
	if mutate != nil {
		mutate(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(cfg, providers.MapEnv(nil), nil, providers.NewClient("agentmcp/test"), log)
	if err != nil {
		t.Fatal(err)
	}
	return NewHTTPService(s, cfg)
}

func post(t *testing.T, url string, hdr map[string]string, body string) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(mcpPost(url, hdr, strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// mcpPost is a POST of body to url as an MCP client sends it, with hdr.
func mcpPost(url string, hdr map[string]string, body io.Reader) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}

// send makes a bodyless request (GET, DELETE) with hdr.
func send(t *testing.T, method, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestHTTPGuards(t *testing.T) {
	const token = "canary-http-token-91ab"
	ts := testService(t, func(c *Config) {
		c.HTTPToken = providers.NewSecret(token)
		c.AllowedOrigins = []string{"https://app.example.com", "HTTPS://Tools.Example.com:443/", "http://ops.example.com:8080"}
		c.MaxBodyBytes = 64 << 10
	})
	auth := map[string]string{"Authorization": "Bearer " + token}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range auth {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		hdr  map[string]string
		body string
		want int
	}{
		{"no token", nil, initBody, http.StatusUnauthorized},
		{"wrong token", map[string]string{"Authorization": "Bearer nope"}, initBody, http.StatusUnauthorized},
		{"token without Bearer", map[string]string{"Authorization": token}, initBody, http.StatusUnauthorized},
		{"right token", auth, initBody, http.StatusOK},
		{"scheme in lower case", map[string]string{"Authorization": "bearer " + token}, initBody, http.StatusOK},
		{"more than one space after the scheme", map[string]string{"Authorization": "Bearer   " + token}, initBody, http.StatusOK},
		{"other scheme", map[string]string{"Authorization": "Basic " + token}, initBody, http.StatusUnauthorized},
		{"token in another case", map[string]string{"Authorization": "Bearer " + strings.ToUpper(token)}, initBody, http.StatusUnauthorized},
		{"token with a suffix", map[string]string{"Authorization": "Bearer " + token + "x"}, initBody, http.StatusUnauthorized},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}, initBody, http.StatusUnauthorized},
		{"foreign origin", with(map[string]string{"Origin": "https://evil.example"}), initBody, http.StatusForbidden},
		{"foreign origin without token is still 403", map[string]string{"Origin": "https://evil.example"}, initBody, http.StatusForbidden},
		{"null origin", with(map[string]string{"Origin": "null"}), initBody, http.StatusForbidden},
		{"loopback origin", with(map[string]string{"Origin": "http://localhost:6274"}), initBody, http.StatusOK},
		{"loopback IP origin", with(map[string]string{"Origin": "http://127.0.0.1:3000"}), initBody, http.StatusOK},
		{"allowed origin", with(map[string]string{"Origin": "https://app.example.com"}), initBody, http.StatusOK},
		{"allowed origin with its default port", with(map[string]string{"Origin": "https://app.example.com:443"}), initBody, http.StatusOK},
		{"allowed origin configured with port and case", with(map[string]string{"Origin": "https://tools.example.com"}), initBody, http.StatusOK},
		{"allowed origin on its own port", with(map[string]string{"Origin": "http://ops.example.com:8080"}), initBody, http.StatusOK},
		{"allowed host on another port", with(map[string]string{"Origin": "http://ops.example.com"}), initBody, http.StatusForbidden},
		{"allowed host over another scheme", with(map[string]string{"Origin": "http://app.example.com"}), initBody, http.StatusForbidden},
		{"body over the cap", auth, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("a", 70<<10) + `"}}`, http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := post(t, ts.URL+MCPPath, c.hdr, c.body)
			if resp.StatusCode != c.want {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, c.want, b)
			}
			if c.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: %v", resp.Header)
			}
		})
	}
}

func TestForeignOriginLogIsClipped(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "log.jsonl")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts := httptest.NewServer(testHTTPService(t, func(c *Config) { c.HTTPToken = providers.NewSecret("tok-123456") }, zerolog.New(f)))
	defer ts.Close()
	origin := "https://" + strings.Repeat("é", 30_000) + ".example"
	for range 5 {
		if resp := post(t, ts.URL+MCPPath, map[string]string{"Origin": origin}, initBody); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "foreign origin"); lines != 5 || len(b) > 5*1024 || !utf8.Valid(b) {
		t.Errorf("5 refused requests without the token logged %d lines, %d bytes (valid UTF-8: %v)", lines, len(b), utf8.Valid(b))
	}
}

func TestServeCapsHeaderBytes(t *testing.T) {
	url := "http://" + serveOnListener(t)
	if resp := post(t, url+MCPPath, map[string]string{"X-Padding": strings.Repeat("a", maxHeaderBytes/2)}, initBody); resp.StatusCode != http.StatusOK {
		t.Errorf("header of %d bytes: status %d, want 200", maxHeaderBytes/2, resp.StatusCode)
	}
	if resp := post(t, url+MCPPath, map[string]string{"X-Padding": strings.Repeat("a", 2*maxHeaderBytes)}, initBody); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("header of %d bytes: status %d, want 431", 2*maxHeaderBytes, resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	ts := testService(t, func(c *Config) { c.HTTPToken = providers.NewSecret("tok-12345") })
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d", resp.StatusCode)
	}
}

func TestMalformedJSONRPCOverHTTP(t *testing.T) {
	ts := testService(t, nil)
	resp := post(t, ts.URL+MCPPath, nil, `{"jsonrpc":"2.0","id":1,"method":`)
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"code":-32700`) {
		t.Errorf("malformed JSON: status %d body %s, want a JSON-RPC parse error", resp.StatusCode, b)
	}
	// The server keeps serving.
	if resp := post(t, ts.URL+MCPPath, nil, initBody); resp.StatusCode != http.StatusOK {
		t.Errorf("after a malformed request: %d", resp.StatusCode)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"non-loopback without token", Config{Transport: TransportHTTP, Addr: "0.0.0.0:8080", Timeout: time.Second}, "AGENTMCP_HTTP_TOKEN_FILE"},
		{"public host without token", Config{Transport: TransportHTTP, Addr: "example.com:80", Timeout: time.Second}, "set --http-token"},
		{"unknown provider", Config{Transport: TransportStdio, Providers: []string{"datagrid", "openai"}, Timeout: time.Second}, "unknown openai"},
		{"bad transport", Config{Transport: "sse", Timeout: time.Second}, "want stdio or http"},
		{"header credentials over stdio", Config{Transport: TransportStdio, HeaderCredentials: true, Timeout: time.Second}, "needs --transport http"},
		{"bad origin", Config{Transport: TransportHTTP, Addr: DefaultAddr, AllowedOrigins: []string{"example.com"}, Timeout: time.Second}, "want scheme://host"},
		// url.Parse reads "localhost" as the scheme: an origin that would never match.
		{"origin without scheme", Config{Transport: TransportHTTP, Addr: DefaultAddr, AllowedOrigins: []string{"localhost:3000"}, Timeout: time.Second}, "want scheme://host"},
		{"zero timeout", Config{Transport: TransportStdio}, "--timeout"},
		{"negative session idle timeout", Config{Transport: TransportHTTP, Addr: DefaultAddr, Timeout: time.Second, SessionIdleTimeout: -time.Second}, "--session-idle-timeout"},
		{"negative dedupe window", Config{Transport: TransportStdio, Timeout: time.Second, DedupeWindow: -time.Second}, "--dedupe-window"},
		{"log into the journal", Config{Transport: TransportStdio, Timeout: time.Second, Journal: "j.jsonl", LogFile: "./j.jsonl"}, "--log-file and --journal are both"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	// Paths as a client's JSON config writes them: no shell trims, expands ~
	// or knows "off" from "OFF".
	home, _ := os.UserHomeDir()
	for _, tt := range []struct{ journal, logFile, wantJournal, wantLog string }{
		{"OFF", "", JournalOff, ""},
		{" off ", " ", JournalOff, ""},
		{"~/j/journal.jsonl", "~/log.txt", filepath.Join(home, "j", "journal.jsonl"), filepath.Join(home, "log.txt")},
		{"~user/j.jsonl", "~", "~user/j.jsonl", home},
		{"", "", "", ""},
	} {
		c := Config{Transport: TransportStdio, Timeout: time.Second, Journal: tt.journal, LogFile: tt.logFile}
		if err := c.Validate(); err != nil || c.Journal != tt.wantJournal || c.LogFile != tt.wantLog {
			t.Errorf("--journal %q --log-file %q: %q, %q, %v; want %q, %q", tt.journal, tt.logFile, c.Journal, c.LogFile, err, tt.wantJournal, tt.wantLog)
		}
	}
	ok := []Config{
		{Transport: TransportHTTP, Addr: "0.0.0.0:8080", HTTPToken: providers.NewSecret("t0k3n-long"), Timeout: time.Second},
		{Transport: TransportHTTP, Addr: "[::1]:8080", Timeout: time.Second},
		{Transport: TransportHTTP, Addr: "localhost:8080", Timeout: time.Second},
		{Transport: TransportStdio, Timeout: time.Second},
	}
	for _, c := range ok {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestCancellationsOnlyWithinASession(t *testing.T) {
	// The method as clients write it, and with the escapes JSON allows.
	cancels := []string{
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`,
		`{"jsonrpc":"2.0","method":"notifications\/cancelled","params":{"requestId":1}}`,
		`{"jsonrpc":"2.0","method":"notifications/\u0063ancelled","params":{"requestId":1}}`,
	}
	cases := []struct {
		name      string
		stateless bool
		header    map[string]string
		forwarded bool
	}{
		{"stateless", true, map[string]string{"Mcp-Session-Id": "s1"}, false},
		{"no session", false, nil, false},
		{"session, protocol 2025-06-18", false, map[string]string{"Mcp-Session-Id": "s1", "Mcp-Protocol-Version": "2025-06-18"}, true},
		{"session header, protocol 2026-07-28 (which has no sessions)", false, map[string]string{"Mcp-Session-Id": "s1", "Mcp-Protocol-Version": "2026-07-28"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var reached []string
			h := ignoreCancellations(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				reached = append(reached, string(b))
			}), c.stateless)
			for _, body := range append(slices.Clone(cancels), initBody) {
				req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
				for k, v := range c.header {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if body != initBody && !c.forwarded && rec.Code != http.StatusAccepted {
					t.Errorf("dropped cancellation %s answered %d, want 202", body, rec.Code)
				}
			}
			want := []string{initBody}
			if c.forwarded {
				want = append(slices.Clone(cancels), initBody)
			}
			if !slices.Equal(reached, want) {
				t.Errorf("reached the server: %q, want %q", reached, want)
			}
		})
	}
}

// TestModernClientCannotCancelAnothersCreate: protocol 2026-07-28 has no
// sessions, so a cancellation naming another client's request id must not
// abort that client's create, even on a stateful server.
func TestModernClientCannotCancelAnothersCreate(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"object":"agent","id":"agt_1","name":"a"}`)
	}))
	defer vendor.Close()
	ts := datagridService(t, vendor.URL, nil)

	const version = "2026-07-28"
	meta := `"_meta":{"io.modelcontextprotocol/protocolVersion":"` + version + `","io.modelcontextprotocol/clientInfo":{"name":"t","version":"0"},"io.modelcontextprotocol/clientCapabilities":{}}`
	modern := func(method, name string) map[string]string {
		h := map[string]string{"Mcp-Protocol-Version": version, "Mcp-Method": method}
		if name != "" {
			h["Mcp-Name"] = name
		}
		return h
	}
	result := make(chan string, 1)
	go func() {
		body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"a"},` + meta + `}}`
		resp, err := http.DefaultClient.Do(mcpPost(ts.URL+MCPPath, modern("tools/call", "create_agent_datagrid"), strings.NewReader(body)))
		if err != nil {
			result <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		result <- string(b)
	}()
	select {
	case <-arrived:
	case got := <-result:
		t.Fatalf("the create never reached the vendor: %s", got)
	}
	resp := post(t, ts.URL+MCPPath, modern("notifications/cancelled", ""),
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,`+meta+`}}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("cancellation answered %d, want 202", resp.StatusCode)
	}
	close(release)
	if got := <-result; !strings.Contains(got, "Created Datagrid agent") {
		t.Errorf("the other client's cancellation reached this create: %s", got)
	}
}

// TestEndedSessionIsRefused: after DELETE, the session's id gets 404, as the
// spec requires; another session is unaffected.
func TestEndedSessionIsRefused(t *testing.T) {
	ts := testService(t, nil)
	url := ts.URL + MCPPath
	session := func() string {
		resp := post(t, url, nil, initBody)
		id := resp.Header.Get("Mcp-Session-Id")
		if resp.StatusCode != http.StatusOK || id == "" {
			t.Fatalf("initialize: %d, session %q", resp.StatusCode, id)
		}
		return id
	}
	ended, other := session(), session()
	if resp := send(t, http.MethodDelete, url, map[string]string{"Mcp-Session-Id": ended}); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	const ping = `{"jsonrpc":"2.0","id":2,"method":"ping"}`
	for id, want := range map[string]int{ended: http.StatusNotFound, other: http.StatusOK} {
		hdr := map[string]string{"Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"}
		if got := post(t, url, hdr, ping).StatusCode; got != want {
			t.Errorf("ping in session %s: %d, want %d", id, got, want)
		}
	}
	// mcp-go asks the session manager for a POST only: a GET would open a
	// stream in the ended session, a second DELETE succeed.
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		hdr := map[string]string{"Mcp-Session-Id": ended, "Mcp-Protocol-Version": "2025-06-18", "Accept": "text/event-stream"}
		if resp := send(t, method, url, hdr); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s in the ended session: %d, want 404", method, resp.StatusCode)
		}
	}
}

func TestSessionIDsForgetTheOldestEnded(t *testing.T) {
	m := newSessionIDs()
	first := m.Generate()
	if _, err := m.Terminate(first); err != nil {
		t.Fatal(err)
	}
	if ended, err := m.Validate(first); !ended || err != nil {
		t.Fatalf("Validate(ended) = %v, %v", ended, err)
	}
	for range maxEndedSessions {
		if _, err := m.Terminate(m.Generate()); err != nil {
			t.Fatal(err)
		}
	}
	if ended, _ := m.Validate(first); ended || m.ended.len() != maxEndedSessions {
		t.Errorf("after %d more ended sessions: first still ended %v, %d remembered", maxEndedSessions, ended, m.ended.len())
	}
	if _, err := m.Validate("not-a-session"); err == nil {
		t.Error("an id of the wrong form is accepted")
	}
}

// TestSessionRules: in the default mode a POST without a session id is 400
// unless it starts a session (or is of protocol 2026-07-28, which has none);
// with --stateless there is no GET stream, which every caller would share.
func TestSessionRules(t *testing.T) {
	const ping = `{"jsonrpc":"2.0","id":2,"method":"ping"}`
	stateful := testService(t, nil)
	if got := post(t, stateful.URL+MCPPath, map[string]string{"Mcp-Protocol-Version": "2025-06-18"}, ping).StatusCode; got != http.StatusBadRequest {
		t.Errorf("ping without a session: %d, want 400", got)
	}
	if got := post(t, stateful.URL+MCPPath, nil, initBody).StatusCode; got != http.StatusOK {
		t.Errorf("initialize without a session: %d, want 200", got)
	}
	// A DELETE ends no session without a session id, nor with one that is
	// none (mcp-go answered 200 to both); a GET opens no stream in them
	// (mcp-go opened one, in a session no client was told of).
	for _, method := range []string{http.MethodDelete, http.MethodGet} {
		for hdr, want := range map[string]int{"": http.StatusBadRequest, "zzz": http.StatusNotFound} {
			h := map[string]string{"Mcp-Protocol-Version": "2025-06-18", "Accept": "text/event-stream"}
			if hdr != "" {
				h["Mcp-Session-Id"] = hdr
			}
			if got := send(t, method, stateful.URL+MCPPath, h).StatusCode; got != want {
				t.Errorf("%s with session id %q: %d, want %d", method, hdr, got, want)
			}
		}
	}
	modern := map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "ping"}
	// mcp-go may refuse this bare request for its own reasons, never for a session.
	if b, _ := io.ReadAll(post(t, stateful.URL+MCPPath, modern, ping).Body); strings.Contains(string(b), "Mcp-Session-Id header is required") {
		t.Errorf("a 2026-07-28 request was refused for having no session: %s", b)
	}

	stateless := testService(t, func(c *Config) { c.Stateless = true })
	resp := send(t, http.MethodGet, stateless.URL+MCPPath, map[string]string{"Accept": "text/event-stream"})
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("stateless GET: %d, want 405", resp.StatusCode)
	}
	if got := post(t, stateless.URL+MCPPath, map[string]string{"Mcp-Protocol-Version": "2025-06-18"}, ping).StatusCode; got != http.StatusOK {
		t.Errorf("stateless ping: %d, want 200", got)
	}
}

// TestIdleSessionEnds: a session without requests for --session-idle-timeout
// ends, and its id then gets 404 (the client initializes again).
func TestIdleSessionEnds(t *testing.T) {
	ts := testService(t, func(c *Config) { c.SessionIdleTimeout = time.Second })
	resp := post(t, ts.URL+MCPPath, nil, initBody)
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d, session %q", resp.StatusCode, id)
	}
	hdr := map[string]string{"Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"}
	const ping = `{"jsonrpc":"2.0","id":2,"method":"ping"}`
	deadline := time.Now().Add(15 * time.Second)
	for {
		time.Sleep(1500 * time.Millisecond) // more than the timeout: no request keeps it alive
		if post(t, ts.URL+MCPPath, hdr, ping).StatusCode == http.StatusNotFound {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the idle session never ended")
		}
	}
}

// TestBusySessionIsNotSwept: a session whose call outlasts
// --session-idle-timeout is not idle; mcp-go's sweeper, which sees only when
// a request began, must not have its id refused afterwards.
func TestBusySessionIsNotSwept(t *testing.T) {
	const callTime = 3 * time.Second // the sweeper looks every second
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		time.Sleep(callTime)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"object":"agent","id":"agt_1","name":"a"}`)
	}))
	defer vendor.Close()
	ts := datagridService(t, vendor.URL, func(c *Config) { c.SessionIdleTimeout = time.Second })

	resp := post(t, ts.URL+MCPPath, nil, initBody)
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d, session %q", resp.StatusCode, id)
	}
	hdr := map[string]string{"Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"}
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"a"}}}`
	if b, _ := io.ReadAll(post(t, ts.URL+MCPPath, hdr, call).Body); !strings.Contains(string(b), "agt_1") {
		t.Fatalf("the call did not create the agent: %.300s", b)
	}
	if got := post(t, ts.URL+MCPPath, hdr, `{"jsonrpc":"2.0","id":3,"method":"ping"}`).StatusCode; got != http.StatusOK {
		t.Errorf("ping right after a %s call in the session: %d, want 200", callTime, got)
	}
}

// TestSessionEndsWhileBusyOnlyByDelete: the sweeper cannot end a session
// with a request in progress; a DELETE from its client can.
func TestSessionEndsWhileBusyOnlyByDelete(t *testing.T) {
	m := newSessionIDs()
	id := m.Generate()
	m.add(m.busy, id, 1)
	if _, err := m.Terminate(id); err != nil {
		t.Fatal(err)
	}
	if ended, _ := m.Validate(id); ended {
		t.Error("the sweeper ended a session with a request in progress")
	}
	m.add(m.deleting, id, 1)
	if _, err := m.Terminate(id); err != nil {
		t.Fatal(err)
	}
	if ended, _ := m.Validate(id); !ended {
		t.Error("a DELETE did not end a session with a request in progress")
	}
	m.add(m.busy, id, -1)
	m.add(m.deleting, id, -1)
	if len(m.busy)+len(m.deleting) != 0 {
		t.Errorf("counts left behind: %v %v", m.busy, m.deleting)
	}
}

// TestStatelessProgressStaysWithItsCall: with --stateless every caller has
// the same (empty) session id, so a GET stream would receive every caller's
// progress; it is refused, and a call's progress arrives on its own response.
func TestStatelessProgressStaysWithItsCall(t *testing.T) {
	var requests atomic.Int32 // the first is throttled, so the call reports progress
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		status, body := http.StatusCreated, `{"object":"agent","id":"agt_A"}`
		if requests.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			status, body = http.StatusTooManyRequests, `{"message":"Rate limit exceeded for team A"}`
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	defer vendor.Close()
	ts := statelessHeaderService(t, vendor.URL)

	// Client B: an ordinary listening stream, as the TypeScript SDK opens after initialize.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	greq, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/mcp", nil)
	greq.Header.Set("Accept", "text/event-stream")
	greq.Header.Set("MCP-Protocol-Version", "2025-11-25")
	gresp, err := http.DefaultClient.Do(greq)
	if err != nil {
		t.Fatal(err)
	}
	defer gresp.Body.Close()
	var bSaw lockedBuffer
	go func() { _, _ = io.Copy(&bSaw, gresp.Body) }()
	time.Sleep(200 * time.Millisecond)

	// Client A: its own key, its own call, asks for progress.
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"_meta":{"progressToken":"A-token"},"name":"create_agent_datagrid","arguments":{"name":"A's agent"}}}`
	resp := post(t, ts.URL+"/mcp", map[string]string{"MCP-Protocol-Version": "2025-11-25", "X-Datagrid-Api-Key": "key-of-A"}, call)
	aBody, _ := io.ReadAll(resp.Body)
	time.Sleep(200 * time.Millisecond)
	b := bSaw.String()
	t.Logf("A's response: %.300s", aBody)
	t.Logf("B's stream: %.400s", b)
	if strings.Contains(b, "A-token") {
		t.Errorf("client B's GET stream received client A's progress notification: %s", b)
	}
	if !strings.Contains(string(aBody), "A-token") {
		t.Errorf("client A never got its own progress notification")
	}
}

// A key from a request header is masked like a key from the environment: a
// vendor that echoes the key it was sent must not show it to the caller.
func TestHeaderKeyIsMasked(t *testing.T) {
	const key = "key-of-A-1234"
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"bad_request","message":"rejected `+r.Header.Get("Authorization")+`"}`)
	}))
	defer vendor.Close()
	ts := statelessHeaderService(t, vendor.URL)
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"A's agent"}}}`
	resp := post(t, ts.URL+"/mcp", map[string]string{"MCP-Protocol-Version": "2025-11-25", "X-Datagrid-Api-Key": key}, call)
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "rejected Bearer") {
		t.Fatalf("want the vendor's refusal: %.300s", body)
	}
	if strings.Contains(string(body), key) {
		t.Error("the key from the request header shows in the result")
	}
}

// Without --header-credentials the server uses its own key: a call that
// carries a key header of its own is refused, not sent into the server's
// account instead of the caller's.
func TestKeyHeaderWithoutHeaderCredentials(t *testing.T) {
	vendor, hits := countingVendor(t)
	ts := datagridService(t, vendor.URL, func(c *Config) { c.Stateless = true })
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"a"}}}`
	resp := post(t, ts.URL+"/mcp", map[string]string{"MCP-Protocol-Version": "2025-11-25", "X-Datagrid-Api-Key": "key-of-A-1234"}, call)
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `"isError":true`) || !strings.Contains(string(body), "not started with --header-credentials") || hits.Load() != 0 {
		t.Errorf("want a refusal naming --header-credentials, nothing sent (%d requests): %.400s", hits.Load(), body)
	}
	// Sent twice, a blank copy first, it is refused all the same.
	req := mcpPost(ts.URL+"/mcp", map[string]string{"MCP-Protocol-Version": "2025-11-25"}, strings.NewReader(call))
	req.Header["X-Datagrid-Api-Key"] = []string{"", "key-of-A-1234"}
	twice, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(twice.Body)
	twice.Body.Close()
	if !strings.Contains(string(body), "not started with --header-credentials") || hits.Load() != 0 {
		t.Errorf("key header sent twice, a blank copy first: want a refusal, nothing sent (%d requests): %.400s", hits.Load(), body)
	}
	// Without the header, the server's own key is used.
	resp = post(t, ts.URL+"/mcp", map[string]string{"MCP-Protocol-Version": "2025-11-25"}, call)
	body, _ = io.ReadAll(resp.Body)
	if strings.Contains(string(body), `"isError":true`) || hits.Load() != 1 {
		t.Errorf("want a create with the server's key (%d requests): %.400s", hits.Load(), body)
	}
}

// countingVendor is a Datagrid that creates agt_1 on every request, for the
// rest of t, and counts the requests.
func countingVendor(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	hits := &atomic.Int32{}
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"object":"agent","id":"agt_1","name":"a"}`)
	}))
	t.Cleanup(vendor.Close)
	return vendor, hits
}

// datagridService serves agentmcp over HTTP with create_agent_datagrid
// only, talking to vendorURL with a key from the environment, for the rest
// of t; mutate, if not nil, changes the configuration first.
func datagridService(t *testing.T, vendorURL string, mutate func(*Config)) *httptest.Server {
	t.Helper()
	cfg := Config{Transport: TransportHTTP, Addr: DefaultAddr, Timeout: 10 * time.Second, Journal: JournalOff, Version: "test", Providers: []string{"datagrid"}}
	if mutate != nil {
		mutate(&cfg)
	}
	s, cfg := datagridServer(t, cfg, vendorURL)
	ts := httptest.NewServer(NewHTTPService(s, cfg))
	t.Cleanup(ts.Close)
	return ts
}

// datagridServer validates cfg and builds its server, whose Datagrid tool
// talks to vendorURL with a key from the environment; it returns cfg as
// validated.
func datagridServer(t *testing.T, cfg Config, vendorURL string) (*Server, Config) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := providers.MapEnv(map[string]string{datagrid.EnvBaseURL: vendorURL, datagrid.EnvAPIKey: "test-key-123"})
	s, err := NewServer(cfg, env, nil, providers.NewClient("agentmcp/test"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// statelessHeaderService serves agentmcp over stateless HTTP with
// --header-credentials, create_agent_datagrid talking to vendorURL, for the
// rest of t.
func statelessHeaderService(t *testing.T, vendorURL string) *httptest.Server {
	t.Helper()
	cfg := Config{Transport: TransportHTTP, Addr: DefaultAddr, Timeout: 20 * time.Second, Journal: JournalOff,
		Version: "test", Stateless: true, HeaderCredentials: true}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(cfg, providers.MapEnv(map[string]string{"DATAGRID_BASE_URL": vendorURL + "/v1"}), nil,
		providers.NewClient("agentmcp/test"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(NewHTTPService(s, cfg))
	t.Cleanup(ts.Close)
	return ts
}

// With --header-credentials the default journal is a file of its own, so a
// stdio server on the usual file never lists the callers' agents.
func TestHeaderCredentialsJournalOfItsOwn(t *testing.T) {
	dir := t.TempDir()
	env := providers.MapEnv(map[string]string{"XDG_STATE_HOME": dir})
	for _, c := range []struct {
		header bool
		want   string
	}{{false, "journal.jsonl"}, {true, SharedJournalName}} {
		jr, err := openJournal(Config{Transport: TransportHTTP, HeaderCredentials: c.header}, env)
		if err != nil {
			t.Fatal(err)
		}
		if got := jr.Path(); got != filepath.Join(dir, "agentmcp", c.want) {
			t.Errorf("header credentials %v: journal %s, want %s", c.header, got, c.want)
		}
		jr.Close()
	}
}

// TestResponsesAskProxiesNotToBuffer: nginx buffers a response unless told
// not to, and an event stream's progress notifications would then arrive
// only with its call's result.
func TestResponsesAskProxiesNotToBuffer(t *testing.T) {
	ts := testService(t, nil)
	resp := post(t, ts.URL+MCPPath, nil, initBody)
	if got := resp.Header.Get("X-Accel-Buffering"); resp.StatusCode != http.StatusOK || got != "no" {
		t.Errorf("initialize: %d, X-Accel-Buffering %q, want 200 and no", resp.StatusCode, got)
	}
	stream := openStream(t, ts.URL+MCPPath, resp.Header.Get("Mcp-Session-Id"))
	if got := stream.Header.Get("X-Accel-Buffering"); got != "no" {
		t.Errorf("GET stream: X-Accel-Buffering %q, want no", got)
	}
}

// TestIdleStreamGetsHeartbeats: an open GET stream gets pings, so a proxy's
// read timeout (nginx: 60 s) does not end it while nothing else is sent.
func TestIdleStreamGetsHeartbeats(t *testing.T) {
	ts := testService(t, func(c *Config) { c.streamHeartbeat = 50 * time.Millisecond })
	resp := post(t, ts.URL+MCPPath, nil, initBody)
	stream := openStream(t, ts.URL+MCPPath, resp.Header.Get("Mcp-Session-Id"))
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"method":"ping"`) {
				got <- sc.Text()
				return
			}
		}
		got <- ""
	}()
	select {
	case line := <-got:
		if line == "" {
			t.Fatal("the stream ended without a ping")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ping on an idle stream")
	}
}

// openStream opens the GET event stream of a session; it is closed when the
// test ends.
func openStream(t *testing.T, url, session string) *http.Response {
	t.Helper()
	if session == "" {
		t.Fatal("no session id")
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %d", resp.StatusCode)
	}
	return resp
}

// TestAnswerAfterAWaitIsWritten: a call that waited for an identical one,
// which its own client then cancelled and which made nothing, is sent with
// its whole --timeout after the wait. Its answer comes later than the
// server's WriteTimeout counted from its arrival, and must still be written
// whole (the agent exists; a cut answer would leave the caller guessing).
func TestAnswerAfterAWaitIsWritten(t *testing.T) {
	var requests atomic.Int32
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if requests.Add(1) == 1 {
			time.Sleep(1500 * time.Millisecond) // A's client has gone by then
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests) // turned away: A made nothing
			return
		}
		time.Sleep(2 * time.Second)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"object":"agent","id":"agt_B"}`)
	}))
	defer vendor.Close()
	cfg := Config{Transport: TransportHTTP, Addr: DefaultAddr, Timeout: 3 * time.Second, Journal: JournalOff, Version: "test",
		Providers: []string{"datagrid"}, Stateless: true, DedupeWindow: time.Minute, writeSlack: 100 * time.Millisecond}
	s, cfg := datagridServer(t, cfg, vendor.URL)
	url := "http://" + listen(t, NewHTTPService(s, cfg)) + MCPPath
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"once"}}}`
	hdr := map[string]string{"MCP-Protocol-Version": "2025-11-25"}

	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	go func() {
		if resp, err := http.DefaultClient.Do(mcpPost(url, hdr, strings.NewReader(call)).WithContext(ctxA)); err == nil {
			resp.Body.Close()
		}
	}()
	for requests.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	got := postAsync(mcpPost(url, hdr, strings.NewReader(call)))
	time.Sleep(300 * time.Millisecond) // B waits for A
	cancelA()
	a := <-got
	if a.err != nil || !strings.Contains(string(a.body), "agt_B") {
		t.Fatalf("answer after the wait: %v, %.300s; want the created agent agt_B", a.err, a.body)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("vendor requests %d, want 2 (A's, turned away, and B's)", n)
	}
}
