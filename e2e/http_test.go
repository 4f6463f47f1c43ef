package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/journal"
)

const httpToken = "canary-e2e-http-token-77d1"

func rawPost(t *testing.T, url string, hdr map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// journalEntries reads the outcomes in the journal at path: each call's
// "sending" entry gives way to its outcome.
func journalEntries(t *testing.T, path string) []journal.Entry {
	t.Helper()
	return journal.Settled(journalLines(t, path))
}

// createdIDs reads the ids of the agents the journal at path records as
// created: a "sending" entry left without its outcome counts for none.
func createdIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, e := range journalEntries(t, path) {
		if e.Outcome == journal.OutcomeCreated {
			ids[e.AgentID] = true
		}
	}
	return ids
}

// journalLines reads every entry in the journal at path.
func journalLines(t *testing.T, path string) []journal.Entry {
	t.Helper()
	var out []journal.Entry
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, path)), "\n") {
		var e journal.Entry
		if line != "" && json.Unmarshal([]byte(line), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

func TestHTTP(t *testing.T) {
	for _, era := range []string{mcp.ProtocolVersion20251125, ""} {
		t.Run("protocol "+era, func(t *testing.T) {
			v := newVendor(t)
			dir := t.TempDir()
			logFile, journalFile := filepath.Join(dir, "log"), filepath.Join(dir, "journal.jsonl")
			s := startHTTP(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1", "AGENTMCP_HTTP_TOKEN="+httpToken),
				"--log-file", logFile, "--journal", journalFile)

			if code := rawPost(t, s.url, nil); code != http.StatusUnauthorized {
				t.Errorf("no token: %d", code)
			}
			if code := rawPost(t, s.url, map[string]string{"Authorization": "Bearer " + httpToken, "Origin": "https://evil.example"}); code != http.StatusForbidden {
				t.Errorf("foreign origin: %d", code)
			}
			resp, err := http.Get(s.base + "/healthz")
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("healthz: %v %v", err, resp)
			}

			c := httpClient(t, s.url, map[string]string{"Authorization": "Bearer " + httpToken})
			initialize(t, c, era)
			dry := callTool(t, c, "create_agent_datagrid", map[string]any{"name": "Preview", "dry_run": true})
			if dry.IsError {
				t.Fatalf("dry run: %s", textOf(dry))
			}
			res := callTool(t, c, "create_agent_datagrid", map[string]any{"name": "Over HTTP"})
			if res.IsError || structured(t, res)["agent_id"] != "agt_0001" {
				t.Fatalf("create: %s", textOf(res))
			}
			if era != "" { // resources are read the same way in both eras; once is enough
				rr := mcp.ReadResourceRequest{}
				rr.Params.URI = "agentmcp://journal/recent"
				read, err := c.ReadResource(context.Background(), rr)
				if err != nil {
					t.Fatal(err)
				}
				text := read.Contents[0].(mcp.TextResourceContents).Text
				if !strings.Contains(text, `"agent_id":"agt_0001"`) || !strings.Contains(text, `"agent_name":"Over HTTP"`) {
					t.Errorf("journal resource = %s", text)
				}
				if strings.Contains(text, `"agent_name":"Preview"`) {
					t.Errorf("journal resource lists a preview: %s", text)
				}
				if strings.Contains(text, `"repeat"`) || strings.Contains(text, `"server"`) {
					t.Errorf("journal resource shows the dedupe key or the server's id: %s", text)
				}
				if j := readFile(t, journalFile); !strings.Contains(j, `"repeat":"`) || !strings.Contains(j, `"server":"`) {
					t.Errorf("the journal lacks the dedupe key or the server's id other servers need")
				}
			}
			for where, text := range map[string]string{"stderr": s.stderr.String(), "log file": readFile(t, logFile),
				"journal": readFile(t, journalFile), "results": textOf(dry) + textOf(res)} {
				assertNoCanary(t, where, text)
				if strings.Contains(text, httpToken) {
					t.Errorf("the HTTP token appears in %s", where)
				}
			}
			// What is logged while the server stops counts too.
			_ = s.cmd.Process.Signal(os.Interrupt)
			s.waitExit(t, 20*time.Second, "agentmcp did not stop on SIGINT")
			for where, text := range map[string]string{"stderr after stop": s.stderr.String(), "log file after stop": readFile(t, logFile)} {
				assertNoCanary(t, where, text)
				if strings.Contains(text, httpToken) {
					t.Errorf("the HTTP token appears in %s", where)
				}
			}
		})
	}
}

// TestHTTPConcurrentCreates: 100 calls at once, none lost, none duplicated.
func TestHTTPConcurrentCreates(t *testing.T) {
	v := newVendor(t)
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startHTTP(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"), "--journal", journalFile)
	c := httpClient(t, s.url, nil)
	initialize(t, c, mcp.ProtocolVersion20251125)
	const n = 100
	ids := make([]string, n)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := mcp.CallToolRequest{}
			req.Params.Name = "create_agent_datagrid"
			req.Params.Arguments = map[string]any{"name": fmt.Sprintf("agent-%03d", i)}
			res, err := c.CallTool(context.Background(), req)
			if err != nil || res.IsError {
				failures.Add(1)
				return
			}
			b, _ := json.Marshal(res.StructuredContent)
			var sc struct {
				AgentID string `json:"agent_id"`
			}
			_ = json.Unmarshal(b, &sc)
			ids[i] = sc.AgentID
		}()
	}
	wg.Wait()
	if f := failures.Load(); f > 0 {
		t.Fatalf("%d of %d calls failed", f, n)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("lost or duplicated id %q", id)
		}
		seen[id] = true
	}
	names := map[string]bool{}
	for _, name := range v.names {
		names[name] = true
	}
	if v.count() != n || len(names) != n {
		t.Errorf("vendor got %d requests for %d names, want %d each", v.count(), len(names), n)
	}
	if journaled := createdIDs(t, journalFile); !maps.Equal(journaled, seen) {
		t.Errorf("the journal records %d created agents, not the %d ids the results returned", len(journaled), len(seen))
	}
}

// TestHTTPGracefulShutdown: SIGTERM during a create lets it finish, reach the
// client and the journal, and the server exits 0.
func TestHTTPGracefulShutdown(t *testing.T) {
	v := newVendor(t)
	v.delay = 1500 * time.Millisecond
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startHTTP(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"), "--journal", journalFile)
	c := httpClient(t, s.url, nil)
	initialize(t, c, mcp.ProtocolVersion20251125)
	type result struct {
		res *mcp.CallToolResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_agent_datagrid"
		req.Params.Arguments = map[string]any{"name": "in flight"}
		res, err := c.CallTool(context.Background(), req)
		done <- result{res, err}
	}()
	v.waitStarted(t)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.res.IsError {
		t.Fatalf("in-flight call did not finish: %v %v", r.err, r.res)
	}
	s.waitExit(t, 15*time.Second, "server did not exit after SIGTERM")
	e := journalEntries(t, journalFile)
	if len(e) != 1 || e[0].Outcome != journal.OutcomeCreated || e[0].AgentID == "" {
		t.Errorf("journal = %+v", e)
	}
	if code := func() int {
		resp, err := http.Get(s.base + "/healthz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}(); code != 0 {
		t.Errorf("server still answering after exit: %d", code)
	}
}

// TestHTTPClientCancellation: a client that cancels a create the vendor
// already has stops the call, but the server reads the vendor's answer, so
// the journal records the new agent's id instead of an unknown outcome.
func TestHTTPClientCancellation(t *testing.T) {
	v, s, journalFile := slowVendorServer(t)
	c := httpClient(t, s.url, nil)
	initialize(t, c, mcp.ProtocolVersion20251125)
	cancelMidCreate(t, c, v, journalFile)
}

// slowVendorServer starts agentmcp over HTTP with its journal, in front of a
// vendor that takes a second to answer.
func slowVendorServer(t *testing.T) (*vendor, *httpServer, string) {
	t.Helper()
	v := newVendor(t)
	v.delay = time.Second
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startHTTP(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"), "--journal", journalFile)
	return v, s, journalFile
}

// cancelMidCreate cancels a create once the vendor has it, then checks that
// the vendor's answer was read and its agent journaled by id, one request,
// none cut off.
func cancelMidCreate(t *testing.T, c *client.Client, v *vendor, journalFile string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-v.started
		cancel()
	}()
	req := mcp.CallToolRequest{}
	req.Params.Name = "create_agent_datagrid"
	req.Params.Arguments = map[string]any{"name": "abandoned"}
	_, _ = c.CallTool(ctx, req)
	var e []journal.Entry
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if e = journalEntries(t, journalFile); len(e) > 0 && e[0].Outcome != journal.OutcomeSending {
			break
		}
	}
	if len(e) != 1 || e[0].Outcome != journal.OutcomeCreated || e[0].AgentID != "agt_0001" {
		t.Fatalf("journal = %+v, want the agent agt_0001 the vendor created", e)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.n != 1 || v.aborted != 0 {
		t.Errorf("vendor got %d requests, %d cut off: want 1, none cut off", v.n, v.aborted)
	}
}

// TestHTTPClientRetryGetsTheSameAgent: a script whose create timed out on
// its side sends it again, from a new session: it gets the agent the first
// call made once the vendor answers it, and the vendor gets one request.
func TestHTTPClientRetryGetsTheSameAgent(t *testing.T) {
	v, s, journalFile := slowVendorServer(t)
	first := httpClient(t, s.url, nil)
	initialize(t, first, "")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-v.started
		cancel() // the client gives up on its side
	}()
	req := mcp.CallToolRequest{}
	req.Params.Name = "create_agent_datagrid"
	req.Params.Arguments = map[string]any{"name": "Nightly report bot"}
	if _, err := first.CallTool(ctx, req); err == nil {
		t.Fatal("the first call was not cut short on the client's side")
	}
	retry := httpClient(t, s.url, nil)
	initialize(t, retry, "")
	res := callTool(t, retry, "create_agent_datagrid", map[string]any{"name": "Nightly report bot"})
	got := structured(t, res)
	if res.IsError || got["agent_id"] != "agt_0001" || got["already_created"] != true {
		t.Fatalf("retry: %v\n%s", got, textOf(res))
	}
	if n := v.count(); n != 1 {
		t.Errorf("the vendor got %d creates for one agent asked for", n)
	}
	if e := journalEntries(t, journalFile); len(e) != 1 || e[0].AgentID != "agt_0001" {
		t.Errorf("journal = %+v, want the one agent", e)
	}
}

// TestStatelessBehindRoundRobin: two --stateless replicas behind a plain
// round-robin proxy; one client creates agents through both.
func TestStatelessBehindRoundRobin(t *testing.T) {
	v := newVendor(t)
	var journals []string
	var targets []*url.URL
	for range 2 {
		jf := filepath.Join(t.TempDir(), "journal.jsonl")
		journals = append(journals, jf)
		s := startHTTP(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"), "--stateless", "--journal", jf)
		u, _ := url.Parse(s.base)
		targets = append(targets, u)
	}
	var next atomic.Uint32
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(targets[int(next.Add(1))%len(targets)])
		},
		FlushInterval: -1,
	}
	// The request body is read whole before it is passed on, as proxies in
	// front of servers do (nginx buffers it). Streamed from the incoming
	// request, a replica's answer can reach this server while the transport
	// still reads that body, which the server then closes: the transport
	// drops the replica's connection mid-answer (golang/go#40747), and the
	// client sees an answer cut short that the replica sent whole.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	c := httpClient(t, proxy.URL+"/mcp", nil)
	initialize(t, c, mcp.ProtocolVersion20251125)
	const n = 10
	for i := range n {
		res := callTool(t, c, "create_agent_datagrid", map[string]any{"name": fmt.Sprintf("replica-%d", i)})
		if res.IsError {
			t.Fatalf("call %d: %s", i, textOf(res))
		}
	}
	total := 0
	for i, jf := range journals {
		got := len(createdIDs(t, jf))
		if got == 0 {
			t.Errorf("replica %d served no create: the proxy did not spread the calls", i)
		}
		total += got
	}
	if total != n || v.count() != n {
		t.Errorf("journals %d, vendor %d, want %d", total, v.count(), n)
	}
}

// TestHeaderCredentials: keys come from allowlisted headers only, never from
// the server's environment.
func TestHeaderCredentials(t *testing.T) {
	v := newVendor(t)
	const serverKey = "server-own-key-should-not-be-used"
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startHTTP(t, env(t, "DATAGRID_API_KEY="+serverKey, "DATAGRID_BASE_URL="+v.URL+"/v1"), "--header-credentials", "--journal", journalFile)

	anon := httpClient(t, s.url, nil)
	initialize(t, anon, mcp.ProtocolVersion20251125)
	res := callTool(t, anon, "create_agent_datagrid", map[string]any{"name": "x"})
	if !res.IsError || !strings.Contains(textOf(res), "X-Datagrid-Api-Key") || v.count() != 0 {
		t.Fatalf("without the header: %s (vendor %d)", textOf(res), v.count())
	}

	keyed := httpClient(t, s.url, map[string]string{"X-Datagrid-Api-Key": canary})
	initialize(t, keyed, mcp.ProtocolVersion20251125)
	res = callTool(t, keyed, "create_agent_datagrid", map[string]any{"name": "x"})
	if res.IsError || v.count() != 1 || v.keys[0] != canary {
		t.Fatalf("with the header: %s", textOf(res))
	}
	assertNoCanary(t, "result", textOf(res))
	assertNoCanary(t, "stderr", s.stderr.String())

	// Callers bring their own accounts: the journal is written, not served.
	if e := journalEntries(t, journalFile); len(e) != 2 || e[0].Outcome != journal.OutcomeNotSent || e[1].Outcome != journal.OutcomeCreated || e[1].AgentID != "agt_0001" {
		t.Errorf("journal = %+v, want the call without a key not sent, then agt_0001 created", e)
	}
	rr := mcp.ReadResourceRequest{}
	rr.Params.URI = "agentmcp://journal/recent"
	if read, err := anon.ReadResource(context.Background(), rr); err == nil {
		t.Errorf("another caller could read the journal: %+v", read.Contents)
	}
}

// TestHTTPShutdownClosesStreams: an open GET stream does not hold the server
// past SIGTERM (the grace period is for tool calls, not idle listeners).
func TestHTTPShutdownClosesStreams(t *testing.T) {
	s := startHTTP(t, env(t), "--journal", "off")
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}`
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(init))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sid := resp.Header.Get("Mcp-Session-Id")

	get, _ := http.NewRequest(http.MethodGet, s.url, nil)
	get.Header.Set("Accept", "text/event-stream")
	get.Header.Set("Mcp-Session-Id", sid)
	get.Header.Set("MCP-Protocol-Version", "2025-06-18")
	stream, err := http.DefaultClient.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %d", stream.StatusCode)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The grace period for calls is --timeout + 5s (65s); exiting well inside
	// it shows the stream was closed rather than waited for.
	s.waitExit(t, 30*time.Second, "an open stream kept the server from exiting")
}

// TestHTTPShutdownGraceOver: a create still running when --shutdown-timeout
// runs out is cancelled, and its outcome (unknown) still reaches the journal
// before the server exits.
func TestHTTPShutdownGraceOver(t *testing.T) {
	v := newVendor(t)
	v.delay = 20 * time.Second
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startHTTP(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"),
		"--journal", journalFile, "--timeout", "30s", "--shutdown-timeout", "500ms")
	c := httpClient(t, s.url, nil)
	initialize(t, c, mcp.ProtocolVersion20251125)
	createInBackground(c, "cut short")
	v.waitStarted(t)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitExit(t, 15*time.Second, "server did not exit after SIGTERM")
	e := journalEntries(t, journalFile)
	if len(e) != 1 || e[0].Outcome != journal.OutcomeUnknown || e[0].AgentName != "cut short" {
		t.Errorf("journal = %+v, want one unknown outcome for %q", e, "cut short")
	}
}

// TestSecondSignalStopsAtOnce: README, Shutdown: "A second signal stops it
// at once", while a create holds the graceful shutdown open.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			v := newVendor(t)
			v.delay = time.Minute
			s := startHTTP(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"),
				"--journal", "off", "--timeout", "2m", "--shutdown-timeout", "2m")
			c := httpClient(t, s.url, nil)
			initialize(t, c, mcp.ProtocolVersion20251125)
			createInBackground(c, "holds the shutdown")
			v.waitStarted(t)
			if err := s.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(s.stderr.String(), "shutting down") {
				if time.Now().After(deadline) {
					t.Fatalf("no graceful shutdown began after the first signal:\n%s", s.stderr)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// Signalled until it stops: one sent before main stops catching
			// signals would be taken for the first again.
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case err := <-s.exited:
					if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
						t.Errorf("exit %v, want the process ended by the second signal", err)
					}
					return
				case <-tick.C:
					if time.Now().After(deadline.Add(5 * time.Second)) {
						t.Fatal("the server still waits for its in-flight call after a second signal")
					}
					_ = s.cmd.Process.Signal(sig)
				}
			}
		})
	}
}

// TestHTTPRetryAfterARestartGetsTheSameAgent: a client gives up on a create,
// the server is restarted (gracefully: the create finishes and is journaled),
// and the client sends the create again within --dedupe-window: it gets the
// agent the first made, read back from the journal, not a second one.
func TestHTTPRetryAfterARestartGetsTheSameAgent(t *testing.T) {
	v := newVendor(t)
	v.delay = time.Second
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	environ := env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1")
	s := startHTTP(t, environ, "--journal", journalFile)
	c := httpClient(t, s.url, nil)
	initialize(t, c, mcp.ProtocolVersion20251125)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-v.started; cancel() }() // the client gives up once the vendor has it
	req := mcp.CallToolRequest{}
	req.Params.Name = "create_agent_datagrid"
	req.Params.Arguments = map[string]any{"name": "Nightly report bot"}
	_, _ = c.CallTool(ctx, req)
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	s.waitExit(t, 15*time.Second, "agentmcp did not stop on SIGTERM")

	s2 := startHTTP(t, environ, "--journal", journalFile)
	c2 := httpClient(t, s2.url, nil)
	initialize(t, c2, mcp.ProtocolVersion20251125)
	res := callTool(t, c2, "create_agent_datagrid", map[string]any{"name": "Nightly report bot"})
	if got := structured(t, res); res.IsError || got["agent_id"] != "agt_0001" || got["already_created"] != true {
		t.Fatalf("retry after the restart: %v\n%s", got, textOf(res))
	}
	if n := v.count(); n != 1 {
		t.Errorf("the vendor got %d creates for one agent asked for", n)
	}
}

// Two servers on one journal, rotated twice (as logrotate renames it)
// while the second made no create: a retry there of the first's create,
// which only the middle file holds, gets that agent.
func TestHTTPRetryBesideAfterTwoRotations(t *testing.T) {
	v := newVendor(t)
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	environ := env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1")
	first, beside := startHTTP(t, environ, "--journal", journalFile), startHTTP(t, environ, "--journal", journalFile)
	c1, c2 := httpClient(t, first.url, nil), httpClient(t, beside.url, nil)
	initialize(t, c1, mcp.ProtocolVersion20251125)
	initialize(t, c2, mcp.ProtocolVersion20251125)
	if res := callTool(t, c2, "create_agent_datagrid", map[string]any{"name": "Earlier"}); res.IsError { // reads the journal from here
		t.Fatal(textOf(res))
	}
	rotate := func() {
		t.Helper()
		if err := os.Rename(journalFile+".1", journalFile+".2"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if err := os.Rename(journalFile, journalFile+".1"); err != nil {
			t.Fatal(err)
		}
	}
	rotate()
	args := map[string]any{"name": "Nightly report bot"}
	made := callTool(t, c1, "create_agent_datagrid", args) // in the middle file
	if made.IsError {
		t.Fatal(textOf(made))
	}
	rotate()
	before := v.count()
	res := callTool(t, c2, "create_agent_datagrid", args)
	if got := structured(t, res); res.IsError || got["agent_id"] != structured(t, made)["agent_id"] || got["already_created"] != true {
		t.Fatalf("retry beside after two rotations: %v\n%s", got, textOf(res))
	}
	if n := v.count(); n != before {
		t.Errorf("the vendor got %d creates for the retry, want none", n-before)
	}
}

// Two agentmcp processes on one journal, each sent the same create at the
// same moment, round after round: one agent a round.
func TestHTTPIdenticalCallsOnTwoServersAtOnce(t *testing.T) {
	v := newVendor(t)
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	environ := env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1")
	var clients []*client.Client
	for range 2 {
		s := startHTTP(t, environ, "--journal", journalFile)
		c := httpClient(t, s.url, nil)
		initialize(t, c, mcp.ProtocolVersion20251125)
		clients = append(clients, c)
	}
	for round := range 20 {
		args := map[string]any{"name": fmt.Sprint("Nightly report bot ", round)}
		before := v.count()
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() { callTool(t, c, "create_agent_datagrid", args) })
		}
		wg.Wait()
		if n := v.count() - before; n != 1 {
			t.Fatalf("round %d: the vendor got %d creates for two identical calls at once", round, n)
		}
	}
}
