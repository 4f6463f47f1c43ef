package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/journal"
)

// TestStdio drives the binary over stdio in both protocol eras, logging to a
// file and to stderr (the desktop clients' default): list tools, refuse bad
// input, dry-run, create; stdout carries JSON-RPC only and the key appears in
// no stream, log, journal or result.
func TestStdio(t *testing.T) {
	for _, era := range []string{mcp.ProtocolVersion20250618, ""} {
		for _, toFile := range []bool{true, false} {
			t.Run(fmt.Sprintf("protocol %s, log file %v", era, toFile), func(t *testing.T) { testStdio(t, era, toFile) })
		}
	}
}

func testStdio(t *testing.T, era string, toFile bool) {
	v := newVendor(t)
	dir := t.TempDir()
	logFile, journalFile := filepath.Join(dir, "agentmcp.log"), filepath.Join(dir, "journal.jsonl")
	args := []string{"--log-level", "debug", "--journal", journalFile}
	if toFile {
		args = append(args, "--log-file", logFile)
	}
	s := startStdio(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"), args...)
	initialize(t, s.client, era)

	list, err := s.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Tools) < 2 {
		t.Fatalf("tools = %d", len(list.Tools))
	}

	bad := callTool(t, s.client, "create_agent_datagrid", map[string]any{"name": 7, "nope": true})
	if !bad.IsError || !strings.Contains(textOf(bad), "/nope: unknown argument") {
		t.Errorf("bad input: %s", textOf(bad))
	}
	dry := callTool(t, s.client, "create_agent_datagrid", map[string]any{"name": "Preview", "dry_run": true})
	if dry.IsError || structured(t, dry)["dry_run"] != true {
		t.Errorf("dry run: %s", textOf(dry))
	}
	res := callTool(t, s.client, "create_agent_datagrid", map[string]any{"name": "Real", "system_prompt": "secret prompt body"})
	if res.IsError {
		t.Fatalf("create: %s", textOf(res))
	}
	if got := structured(t, res)["agent_id"]; got != "agt_0001" {
		t.Errorf("agent_id = %v", got)
	}
	if v.count() != 1 || v.keys[0] != canary {
		t.Errorf("vendor saw %d requests", v.count())
	}
	s.stdin.Close()
	select { // everything the server writes, up to its exit
	case <-s.stdoutDone:
	case <-time.After(15 * time.Second):
		t.Fatal("agentmcp did not close its stdout after stdin closed")
	}
	if err := s.cmd.Wait(); err != nil { // all stdout read: Wait may close the pipe now
		t.Errorf("exit: %v\n%s", err, s.stderr)
	}

	sc := bufio.NewScanner(strings.NewReader(s.stdout.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var msg struct {
			JSONRPC string `json:"jsonrpc"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil || msg.JSONRPC != "2.0" {
			t.Errorf("stdout line is not JSON-RPC: %.200q", sc.Text())
		}
	}
	logs := s.stderr.String()
	if toFile {
		logs = readFile(t, logFile)
	}
	for where, text := range map[string]string{
		"stdout": s.stdout.String(), "stderr": s.stderr.String(),
		"logs": logs, "journal": readFile(t, journalFile),
		"results": textOf(bad) + textOf(dry) + textOf(res),
	} {
		assertNoCanary(t, where, text)
	}
	if strings.Contains(readFile(t, journalFile), "secret prompt body") || strings.Contains(logs, "secret prompt body") {
		t.Error("prompt bodies must stay out of the journal and logs")
	}
	if !strings.Contains(logs, "agentmcp started") || !strings.Contains(logs, "create_agent_datagrid") {
		t.Errorf("the logs (file %v) lack the startup or a tool line:\n%s", toFile, logs)
	}
}

// TestStdioMalformedInput: garbage gets a JSON-RPC error and the server keeps serving.
func TestStdioMalformedInput(t *testing.T) {
	s := startStdio(t, env(t), "--journal", "off")
	initialize(t, s.client, mcp.ProtocolVersion20250618)
	if _, err := fmt.Fprintln(s.stdin, `{"jsonrpc":"2.0","id":99,"method":`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.stdout.String(), `"code":-32700`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(s.stdout.String(), `"code":-32700`) {
		t.Fatalf("no parse error on stdout: %s", s.stdout.String())
	}
	if _, err := s.client.ListTools(context.Background(), mcp.ListToolsRequest{}); err != nil {
		t.Fatalf("server stopped serving after malformed input: %v", err)
	}
}

// TestStdioProgressOnRetry: a client that sends a progressToken hears about a
// rate-limit wait; the result alone still carries everything.
func TestStdioProgressOnRetry(t *testing.T) {
	limited := newRateLimitedVendor(t)
	s := startStdio(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+limited.URL+"/v1"), "--journal", "off")
	initialize(t, s.client, mcp.ProtocolVersion20250618)
	var mu sync.Mutex
	var notes []string
	s.client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			mu.Lock()
			notes = append(notes, fmt.Sprint(n.Params.AdditionalFields["message"]))
			mu.Unlock()
		}
	})
	req := mcp.CallToolRequest{}
	req.Params.Name = "create_agent_datagrid"
	req.Params.Arguments = map[string]any{"name": "Patient"}
	req.Params.Meta = &mcp.Meta{ProgressToken: "p1"}
	res, err := s.client.CallTool(context.Background(), req)
	if err != nil || res.IsError {
		t.Fatalf("call: %v %s", err, textOf(res))
	}
	if !strings.Contains(textOf(res), "agt_rl") {
		t.Errorf("the result must carry the id itself: %s", textOf(res))
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		mu.Lock()
		n := len(notes)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notes) == 0 || !strings.Contains(notes[0], "retrying in") {
		t.Errorf("progress notifications = %q", notes)
	}
}

// TestStdioCancelDuringCreate: notifications/cancelled for a create the
// vendor already has (a stop button, a client's own timeout) stops the call,
// and the journal still gets the new agent's id.
func TestStdioCancelDuringCreate(t *testing.T) {
	v, s, journalFile := slowVendorStdio(t)
	cancelMidCreate(t, s.client, v, journalFile)
}

// slowVendorStdio starts agentmcp over stdio with its journal, initialized,
// in front of a vendor that takes a second to answer.
func slowVendorStdio(t *testing.T) (*vendor, *stdioServer, string) {
	t.Helper()
	v := newVendor(t)
	v.delay = time.Second
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startStdio(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"), "--journal", journalFile)
	initialize(t, s.client, mcp.ProtocolVersion20250618)
	return v, s, journalFile
}

// TestStdioRetryAfterCancelGetsTheSameAgent: a desktop client's own timeout
// cancels a create the vendor already has; the model then calls again with
// the same arguments, and gets the agent the first call made.
func TestStdioRetryAfterCancelGetsTheSameAgent(t *testing.T) {
	v, s, journalFile := slowVendorStdio(t)
	cancelMidCreate(t, s.client, v, journalFile)
	res := callTool(t, s.client, "create_agent_datagrid", map[string]any{"name": "abandoned"})
	if got := structured(t, res); res.IsError || got["agent_id"] != "agt_0001" || got["already_created"] != true {
		t.Fatalf("retry: %v\n%s", got, textOf(res))
	}
	if n := v.count(); n != 1 {
		t.Errorf("the vendor got %d creates for one agent asked for", n)
	}
}

// TestStdioNewCallBesideCancelledOnes: calls the client cancelled while the
// vendor hangs, each keeping its worker while it is followed, leave room for
// a new create, and their outcomes reach the journal.
func TestStdioNewCallBesideCancelledOnes(t *testing.T) {
	const hung = 12 // as many as a desktop client runs at once, and more, short of the 16 workers
	release := make(chan struct{})
	arrived := map[string]chan struct{}{} // by agent name: the vendor has that call
	for i := range hung {
		arrived[fmt.Sprintf("abandoned-%d", i)] = make(chan struct{})
	}
	var n sync.Mutex
	count, timedOut := 0, 0
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name string `json:"name"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		n.Lock()
		count++
		id := fmt.Sprintf("agt_%04d", count)
		n.Unlock()
		if ch, ok := arrived[body.Name]; ok {
			close(ch)
			select {
			case <-release:
			case <-time.After(20 * time.Second): // the fresh create never came
				n.Lock()
				timedOut++
				n.Unlock()
			}
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"object":"agent","id":%q,"name":"n"}`, id)
	}))
	defer vendor.Close()
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startStdio(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+vendor.URL+"/v1"), "--journal", journalFile)
	initialize(t, s.client, mcp.ProtocolVersion20250618)
	var wg sync.WaitGroup
	for name, ch := range arrived {
		ctx, cancel := context.WithCancel(context.Background())
		wg.Go(func() {
			req := mcp.CallToolRequest{}
			req.Params.Name = "create_agent_datagrid"
			req.Params.Arguments = map[string]any{"name": name}
			go func() { <-ch; cancel() }()
			_, _ = s.client.CallTool(ctx, req)
		})
	}
	wg.Wait() // every one sent and cancelled
	fresh := callTool(t, s.client, "create_agent_datagrid", map[string]any{"name": "fresh"})
	select {
	case <-release:
	default:
		close(release)
	}
	if fresh.IsError || structured(t, fresh)["agent_id"] != fmt.Sprintf("agt_%04d", hung+1) {
		t.Fatalf("the fresh create: %s", textOf(fresh))
	}
	var created int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && created < hung+1; time.Sleep(50 * time.Millisecond) {
		created = 0
		for _, e := range journalEntries(t, journalFile) {
			if e.Outcome == journal.OutcomeCreated {
				created++
			}
		}
	}
	if created != hung+1 {
		t.Errorf("the journal records %d created agents, want %d: the cancelled ones too", created, hung+1)
	}
	n.Lock()
	defer n.Unlock()
	if timedOut > 0 {
		t.Errorf("the fresh create was answered only after %d cancelled calls gave up their workers", timedOut)
	}
}

// TestStdioEndDuringCreate: a client that closes stdin while a create is in
// flight (a desktop app quitting) does not cut the vendor call short: the
// call finishes, the server exits, and the journal holds the agent's id.
func TestStdioEndDuringCreate(t *testing.T) {
	v := newVendor(t)
	v.delay = 1500 * time.Millisecond
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	s := startStdio(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"), "--journal", journalFile)
	initialize(t, s.client, "")
	createInBackground(s.client, "in flight")
	v.waitStarted(t)
	s.stdin.Close()
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, s.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("agentmcp did not exit after stdin closed")
	}
	v.mu.Lock()
	aborted := v.aborted
	v.mu.Unlock()
	if aborted != 0 {
		t.Error("the vendor request was aborted when stdin closed")
	}
	e := journalEntries(t, journalFile)
	if len(e) != 1 || e[0].Outcome != journal.OutcomeCreated || e[0].AgentID != "agt_0001" {
		t.Errorf("journal = %+v, want the created agent agt_0001", e)
	}
}

// TestStdioKilledMidCreate: a server killed outright while a create is in
// flight (no chance to record the outcome) still leaves the attempt in the
// journal, and the next server lists it in the journal resource.
func TestStdioKilledMidCreate(t *testing.T) {
	v := newVendor(t)
	v.delay = 20 * time.Second
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	environ := env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1")
	s := startStdio(t, environ, "--journal", journalFile)
	initialize(t, s.client, "")
	createInBackground(s.client, "killed mid-call")
	v.waitStarted(t)
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()

	e := journalEntries(t, journalFile)
	if len(e) != 1 || e[0].Outcome != journal.OutcomeSending || e[0].AgentName != "killed mid-call" {
		t.Fatalf("journal = %+v, want the attempt recorded as sending", e)
	}
	next := startStdio(t, environ, "--journal", journalFile)
	initialize(t, next.client, "")
	rr := mcp.ReadResourceRequest{}
	rr.Params.URI = "agentmcp://journal/recent"
	read, err := next.client.ReadResource(context.Background(), rr)
	if err != nil {
		t.Fatal(err)
	}
	if text := read.Contents[0].(mcp.TextResourceContents).Text; !strings.Contains(text, `"agent_name":"killed mid-call","outcome":"sending"`) {
		t.Errorf("journal resource does not list the interrupted attempt: %s", text)
	}
}

// TestStdioClientQuitsEntirely: a client that quits closes the server's
// stdout and stderr as well as stdin. Writing the late result must not kill
// the server (SIGPIPE): the call in flight finishes and is journaled.
func TestStdioClientQuitsEntirely(t *testing.T) {
	v := newVendor(t)
	v.delay = time.Second
	journalFile := filepath.Join(t.TempDir(), "journal.jsonl")
	cmd := exec.Command(binary, "--journal", journalFile, "--log-level", "debug")
	cmd.Env = env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"client gone"}}}`,
	} {
		if _, err := io.WriteString(stdin, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	v.waitStarted(t)
	stdin.Close()
	stdout.Close()
	stderr.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v (a broken pipe must not kill the server)", err)
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("agentmcp did not exit")
	}
	e := journalEntries(t, journalFile)
	if len(e) != 1 || e[0].Outcome != journal.OutcomeCreated || e[0].AgentID != "agt_0001" {
		t.Errorf("journal = %+v, want the created agent agt_0001", e)
	}
}
