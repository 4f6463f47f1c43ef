// Package e2e builds the agentmcp binary and drives it as users do: over
// stdio and streamable HTTP with a real MCP client, against fake vendors on
// 127.0.0.1. Nothing here talks to any other address.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/tools/toolstest"
)

// canary is a fake API key that must never appear in any output.
const canary = "canary-e2e-key-0f4c2a9b7e1d"

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "agentmcp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "agentmcp")
	build := exec.Command("go", "build", "-race", "-o", binary, "..")
	if os.Getenv("E2E_NO_RACE") != "" {
		build = exec.Command("go", "build", "-o", binary, "..")
	}
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build agentmcp:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// vendor is a Datagrid-compatible fake that records what it receives.
type vendor struct {
	*httptest.Server
	mu      sync.Mutex
	names   []string
	keys    []string
	delay   time.Duration
	started chan struct{} // receives once per request, when it arrives
	n       int
	aborted int // requests whose client went away before the answer
}

func newVendor(t *testing.T) *vendor {
	v := &vendor{started: make(chan struct{}, 1024)}
	v.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name string `json:"name"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		v.mu.Lock()
		v.n++
		id := fmt.Sprintf("agt_%04d", v.n)
		v.names = append(v.names, body.Name)
		v.keys = append(v.keys, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		delay := v.delay
		v.mu.Unlock()
		v.started <- struct{}{}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				v.mu.Lock()
				v.aborted++
				v.mu.Unlock()
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"object":"agent","id":%q,"name":%q}`, id, body.Name)
	}))
	t.Cleanup(v.Close)
	return v
}

func (v *vendor) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.n
}

// syncBuffer is a goroutine-safe output sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env returns a minimal environment: no inherited vendor keys, a private state dir.
func env(t *testing.T, extra ...string) []string {
	state := t.TempDir()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + state, "XDG_STATE_HOME=" + state}
	return append(base, extra...)
}

// stdioServer is a running agentmcp over stdio with its raw streams captured.
type stdioServer struct {
	client     *client.Client
	cmd        *exec.Cmd
	stdout     *syncBuffer
	stderr     *syncBuffer
	stdin      io.WriteCloser
	stdoutDone chan struct{} // closed when the server's stdout reaches its end
}

// eofReader closes done when r returns an error (the end of the stream).
type eofReader struct {
	r    io.Reader
	once sync.Once
	done chan struct{}
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.once.Do(func() { close(e.done) })
	}
	return n, err
}

// checkServerOutput fails t when a server's own output reports a data race
// (the binary is built with -race) or carries a key.
func checkServerOutput(t *testing.T, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "WARNING: DATA RACE") {
		t.Errorf("the server reported a data race:\n%s", stderr)
	}
	assertNoCanary(t, "the server's stderr", stderr)
}

func startStdio(t *testing.T, environ []string, args ...string) *stdioServer {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = environ
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &stdioServer{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, stdin: stdin, stdoutDone: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tr := transport.NewIO(&eofReader{r: io.TeeReader(out, s.stdout), done: s.stdoutDone}, stdin, io.NopCloser(strings.NewReader("")))
	s.client = client.NewClient(tr)
	if err := s.client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("agentmcp did not exit when stdin closed")
		}
		checkServerOutput(t, s.stderr.String())
	})
	return s
}

// httpServer is a running agentmcp over HTTP.
type httpServer struct {
	url    string // the MCP endpoint
	base   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan error
}

// waitExit fails t, saying why, unless the server exits with status 0
// within d. The exit status is delivered once.
func (s *httpServer) waitExit(t *testing.T, d time.Duration, why string) {
	t.Helper()
	select {
	case err := <-s.exited:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, s.stderr)
		}
	case <-time.After(d):
		t.Fatal(why)
	}
}

// startHTTP runs agentmcp on a free loopback port and waits for its listen log line.
func startHTTP(t *testing.T, environ []string, args ...string) *httpServer {
	t.Helper()
	args = append([]string{"--transport", "http", "--addr", "127.0.0.1:0"}, args...)
	cmd := exec.Command(binary, args...)
	cmd.Env = environ
	pr, pw := io.Pipe()
	s := &httpServer{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = io.MultiWriter(s.stderr, pw)
	cmd.Stdout = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}) // closed at exit; s.exited delivers the status once
	go func() { err := cmd.Wait(); close(done); s.exited <- err; pw.Close() }()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct {
				Listen string `json:"listen"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Listen != "" {
				found <- line.Listen
				break
			}
			if addr, ok := strings.CutPrefix(sc.Text(), "agentmcp listening on "); ok {
				found <- addr
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case s.url = <-found:
	case err := <-s.exited:
		t.Fatalf("agentmcp exited: %v\n%s", err, s.stderr)
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill() // Fatalf skips the cleanup below: no server outlives the test
		t.Fatalf("agentmcp did not report its address\n%s", s.stderr)
	}
	s.base = strings.TrimSuffix(s.url, "/mcp")
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
		checkServerOutput(t, s.stderr.String())
	})
	return s
}

func httpClient(t *testing.T, url string, headers map[string]string) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// initialize runs the handshake; version "" negotiates the newest protocol.
func initialize(t *testing.T, c *client.Client, version string) {
	t.Helper()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "0"}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize(%q): %v", version, err)
	}
}

func callTool(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	if !res.IsError {
		checkOutputSchema(ctx, t, c, name, res)
	}
	return res
}

// outputSchemas holds each client's tools/list output schemas by tool name,
// read once per client: a tools/list before every call would shift which
// replica a round-robin proxy hands the next call.
var outputSchemas sync.Map // *client.Client → map[string]json.RawMessage

// checkOutputSchema does what a client holding the served tools/list does
// with a result: check it against the tool's outputSchema.
func checkOutputSchema(ctx context.Context, t *testing.T, c *client.Client, name string, res *mcp.CallToolResult) {
	t.Helper()
	cached, ok := outputSchemas.Load(c)
	if !ok {
		list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		byName := map[string]json.RawMessage{}
		for _, tool := range list.Tools {
			b, _ := json.Marshal(tool)
			var wire struct {
				OutputSchema json.RawMessage `json:"outputSchema"`
			}
			if err := json.Unmarshal(b, &wire); err != nil || wire.OutputSchema == nil {
				t.Fatalf("%s has no outputSchema in tools/list: %s", tool.Name, b)
			}
			byName[tool.Name] = wire.OutputSchema
		}
		cached, _ = outputSchemas.LoadOrStore(c, byName)
	}
	schema, ok := cached.(map[string]json.RawMessage)[name]
	if !ok {
		t.Fatalf("tools/list has no %s", name)
	}
	if err := toolstest.ConformsToOutputSchema(mcp.Tool{RawOutputSchema: schema}, res); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

func textOf(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func structured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	b, _ := json.Marshal(res.StructuredContent)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("structured content: %s", b)
	}
	return m
}

func assertNoCanary(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, canary) {
		t.Errorf("the API key appears in %s", where)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newRateLimitedVendor answers 429 (Retry-After: 1) to the first request and 201 after.
func newRateLimitedVendor(t *testing.T) *httptest.Server {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"Rate limit exceeded"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_rl"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// createInBackground starts create_agent_datagrid for name on c and returns
// at once; the result is not awaited.
func createInBackground(c *client.Client, name string) {
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_agent_datagrid"
		req.Params.Arguments = map[string]any{"name": name}
		_, _ = c.CallTool(context.Background(), req)
	}()
}

// waitStarted waits until the vendor has received a request.
func (v *vendor) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-v.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the vendor never got the request")
	}
}
