package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentmcp/agentmcp/bench/internal/poster"
)

// A minimal MCP client: raw JSON-RPC over a child's stdio or over streamable
// HTTP, so that client costs stay small and equal for every server measured.

// callTimeout bounds every single request the bench sends.
const callTimeout = 30 * time.Second

// protocolVersion is the version the bench asks for in initialize.
const protocolVersion = "2025-11-25"

var initParams = []byte(`{"protocolVersion":"` + protocolVersion + `","capabilities":{},"clientInfo":{"name":"agentmcp-bench","version":"1"}}`)

// response is the part of a JSON-RPC response the bench reads.
type response struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (r response) err() error {
	if r.Error != nil {
		return fmt.Errorf("JSON-RPC error %d: %s", r.Error.Code, r.Error.Message)
	}
	return nil
}

// toolError returns the text of a tool result that has isError set, and
// fails one that answers a create from memory: the bench measures creates.
func toolError(result json.RawMessage) error {
	var r struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
		Structured struct {
			AlreadyCreated bool `json:"already_created"`
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(result, &r); err != nil {
		return fmt.Errorf("tool result: %w", err)
	}
	if r.Structured.AlreadyCreated {
		return errors.New("answered with an agent an identical earlier call created: the call was not measured")
	}
	if r.IsError {
		msg := "tool error"
		if len(r.Content) > 0 {
			msg += ": " + r.Content[0].Text
		}
		return errors.New(msg)
	}
	return nil
}

func request(id int64, method string, params []byte) []byte {
	b := make([]byte, 0, len(params)+80)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"method":"`...)
	b = append(b, method...)
	b = append(b, `","params":`...)
	b = append(b, params...)
	return append(b, '}')
}

var initialized = []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)

// callParams is the params object of a tools/call. The name in args gets
// nameMark, which numbered makes unique call by call.
func callParams(tool string, args map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"name": tool, "arguments": marked(args)})
	if err != nil {
		panic(err) // args come from JSON
	}
	return b
}

// marked is args with nameMark added to the agent's name (see nameKey).
func marked(args map[string]any) map[string]any {
	k := nameKey(args)
	if k == "" {
		// loadArgs refuses such arguments: calls alike would be answered
		// from agentmcp's memory, not measured.
		panic("bench: arguments without a name field")
	}
	return with(args, k, args[k].(string)+" "+nameMark)
}

// nameKey is the key of args that holds the agent's name, whatever a vendor
// calls it: "name" in any case (Alibaba's is "Name"), else the first in
// sorted order of those ending in it (agent_name, displayName); only a
// string value counts. "" when there is none.
func nameKey(args map[string]any) string {
	var suffixed []string
	for k, v := range args {
		if _, ok := v.(string); !ok {
			continue
		}
		switch lk := strings.ToLower(k); {
		case lk == "name":
			return k
		case strings.HasSuffix(lk, "name"):
			suffixed = append(suffixed, k)
		}
	}
	if len(suffixed) == 0 {
		return ""
	}
	slices.Sort(suffixed)
	return suffixed[0]
}

// nameMark is replaced in every call with a number no other call of the run
// has: agentmcp answers a create identical to a recent one with that one's
// agent (--dedupe-window), and the bench measures creates.
const nameMark = "#call"

// numbered is params with nameMark made unique by tag (one per server
// process or session) and id (one per call there).
func numbered(params []byte, tag string, id int64) []byte {
	i := bytes.Index(params, []byte(nameMark))
	if i < 0 {
		return params
	}
	b := make([]byte, 0, len(params)+len(tag)+20)
	b = append(b, params[:i]...)
	b = append(b, tag...)
	b = append(b, '-')
	b = strconv.AppendInt(b, id, 10)
	return append(b, params[i+len(nameMark):]...)
}

// server says how to start one server under test.
type server struct {
	name string
	bin  string
	args []string
	env  []string
	tool string
}

// proc is a running server process.
type proc struct {
	cmd    *exec.Cmd
	stderr *tail
	done   chan struct{}
}

func (s server) spawn(extra ...string) *proc {
	cmd := exec.Command(s.bin, append(append([]string(nil), s.args...), extra...)...)
	cmd.Env = s.env
	dieWithBench(cmd)
	p := &proc{cmd: cmd, stderr: &tail{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	return p
}

func (p *proc) start() error {
	if err := p.cmd.Start(); err != nil {
		return err
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	return nil
}

func (p *proc) exited() error {
	return fmt.Errorf("%s exited: %s", p.cmd.Path, p.stderr)
}

// stop asks the process to end (closing stdin or SIGTERM) and kills it if it
// has not within 10 seconds.
func (p *proc) stop(stdin io.Closer) {
	if stdin != nil {
		_ = stdin.Close()
	} else {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// peakRSS is the process's VmHWM in MiB.
func (p *proc) peakRSS() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// cpu is the CPU time the process has used so far, user and system, all
// threads (from /proc/<pid>/stat, in clock ticks of 10 ms).
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: state is [0],
	// utime [11], stime [12].
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// tail keeps the last 4 KB a process wrote to stderr, for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// stdioConn is one server spawned over stdio.
type stdioConn struct {
	*proc
	stdin *os.File // its write deadline bounds a write the server does not read
	lines chan []byte
	id    int64
	// tag makes this process's call names its own: a server started later
	// on the same journal knows the creates made before it.
	tag string
}

func (s server) startStdio(extra ...string) (*stdioConn, error) {
	p := s.spawn(append([]string{"--transport", "stdio"}, extra...)...)
	stdinR, stdin, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stdin = stdinR
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		stdinR.Close()
		stdin.Close()
		return nil, err
	}
	err = p.start()
	stdinR.Close()
	if err != nil {
		stdin.Close()
		return nil, err
	}
	c := &stdioConn{proc: p, stdin: stdin, lines: make(chan []byte, 16), tag: rand.Text()[:8]}
	go func() {
		defer close(c.lines)
		r := bufio.NewReaderSize(stdout, 64<<10)
		for {
			line, err := r.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				c.lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

// call sends one request and waits for its response, skipping notifications.
func (c *stdioConn) call(method string, params []byte) (response, error) {
	c.id++
	want := strconv.FormatInt(c.id, 10)
	if err := c.write(append(request(c.id, method, params), '\n')); err != nil {
		return response{}, fmt.Errorf("%s: %w", method, err)
	}
	timer := time.NewTimer(callTimeout)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				return response{}, c.exited()
			}
			var r response
			if err := json.Unmarshal(line, &r); err != nil {
				return r, fmt.Errorf("bad response line: %w", err)
			}
			if string(r.ID) == want {
				return r, r.err()
			}
		case <-timer.C:
			return response{}, fmt.Errorf("%s: no answer within %s", method, callTimeout)
		}
	}
}

// initialize runs the handshake.
func (c *stdioConn) initialize() error {
	if _, err := c.call("initialize", initParams); err != nil {
		return err
	}
	return c.write(append(initialized, '\n'))
}

// write sends one line, within callTimeout: a server that stops reading its
// stdin fails the bench instead of hanging it (a 100 KB call fills the pipe).
func (c *stdioConn) write(line []byte) error {
	_ = c.stdin.SetWriteDeadline(time.Now().Add(callTimeout))
	if _, err := c.stdin.Write(line); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("server read no request within %s", callTimeout)
		}
		return c.exited()
	}
	return nil
}

func (c *stdioConn) callTool(params []byte) error {
	r, err := c.call("tools/call", numbered(params, c.tag, c.id+1))
	if err != nil {
		return err
	}
	return toolError(r.Result)
}

func (c *stdioConn) close() { c.stop(c.stdin) }

// httpServer is one server spawned with streamable HTTP.
type httpServer struct {
	*proc
	url string
}

func (s server) startHTTP(extra ...string) (*httpServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := s.spawn(append([]string{"--transport", "http", "--addr", addr}, extra...)...)
	if err := p.start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return &httpServer{proc: p, url: "http://" + addr + "/mcp"}, nil
		}
		select {
		case <-p.done:
			return nil, p.exited()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop(nil)
			return nil, fmt.Errorf("%s: not listening on %s after 15s", s.name, addr)
		}
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// newHTTPClient returns a client that keeps a connection per concurrent caller.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: callTimeout,
		Transport: &http.Transport{
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// httpConn is one MCP session over streamable HTTP; use it from one goroutine.
type httpConn struct {
	client  *http.Client
	url     string
	session string
	version string
	id      int64
}

func dial(client *http.Client, url string) (*httpConn, error) {
	c := &httpConn{client: client, url: url}
	r, h, err := c.post(request(1, "initialize", initParams))
	if err != nil {
		return nil, err
	}
	var res struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if err := json.Unmarshal(r.Result, &res); err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	c.session, c.version, c.id = h.Get("Mcp-Session-Id"), res.ProtocolVersion, 1
	if _, _, err := c.post(initialized); err != nil {
		return nil, err
	}
	return c, nil
}

// close ends the session, as a well-behaved client does.
func (c *httpConn) close() {
	req, err := http.NewRequest(http.MethodDelete, c.url, nil)
	if err != nil || c.session == "" {
		return
	}
	req.Header.Set("Mcp-Session-Id", c.session)
	if resp, err := c.client.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func (c *httpConn) call(method string, params []byte) (response, error) {
	c.id++
	r, _, err := c.post(request(c.id, method, params))
	return r, err
}

func (c *httpConn) callTool(params []byte) error {
	r, err := c.call("tools/call", numbered(params, c.session, c.id+1))
	if err != nil {
		return err
	}
	return toolError(r.Result)
}

// post sends one message and reads the answer, as JSON or as an event stream.
func (c *httpConn) post(msg []byte) (response, http.Header, error) {
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(msg))
	if err != nil {
		return response{}, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
	}
	if c.version != "" {
		req.Header.Set("MCP-Protocol-Version", c.version)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return response{}, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, nil, err
	}
	if resp.StatusCode == http.StatusAccepted {
		return response{}, resp.Header, nil
	}
	if resp.StatusCode != http.StatusOK {
		return response{}, nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		// The response is the last data line that carries an id.
		var last []byte
		for _, line := range bytes.Split(body, []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data:")); ok && bytes.Contains(d, []byte(`"id"`)) {
				last = d
			}
		}
		body = last
	}
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		return r, nil, fmt.Errorf("bad response: %w", err)
	}
	return r, resp.Header, r.err()
}

// direct POSTs the create straight to the fake vendor: the physical limit
// of a call. Its request is the floor's (poster.Post through a client made by
// poster.NewClient): the same headers and timeout, and the arguments as the
// floor's handler forwards them, with a name of their own on every call.
type direct struct {
	client *http.Client
	url    string
	body   []byte // the arguments as JSON, nameMark in the name
	tag    string
	id     int64
}

func (d *direct) callTool() error {
	d.id++
	_, err := poster.Post(context.Background(), d.client, d.url, dummyKey, numbered(d.body, d.tag, d.id))
	return err
}
