package app

// Promises of the README about settings, logs and the journal resource that
// a one-line change could break with every other test still green.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/datagrid"
)

// dummyKey is the Datagrid key of these tests; no output may show it.
const dummyKey = "dummy-key-0123456789abcdef"

// hangingVendor is a Datagrid that never answers: each request is reported
// on arrived and held until its client goes away or t ends.
func hangingVendor(t *testing.T) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	arrived, quit := make(chan struct{}, 16), make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-quit:
		}
	}))
	t.Cleanup(func() { close(quit); vendor.Close() })
	return vendor, arrived
}

// waitFor fails t unless c delivers within d.
func waitFor[T any](t *testing.T, c <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing within %s", what, d)
		panic("unreachable")
	}
}

// stdioSession is Run over stdio through pipes, as a client spawns it.
type stdioSession struct {
	in   *io.PipeWriter
	out  chan map[string]any // the messages with an id, in order
	done chan struct{}       // closed when Run returns
	err  error               // Run's result, once done is closed
}

// startStdio runs cfg over stdio with env, logging to stderr, for the rest
// of t; it has been initialized.
func startStdio(t *testing.T, cfg Config, env providers.Env, stderr io.Writer) *stdioSession {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &stdioSession{in: inW, out: make(chan map[string]any, 1<<15), done: make(chan struct{})}
	go func() {
		s.err = Run(context.Background(), cfg, env, inR, outW, stderr)
		outW.Close()
		close(s.done)
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["id"] != nil {
				s.out <- m
			}
		}
		close(s.out)
	}()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return after stdin closed")
		}
	})
	s.send(t, initBody)
	s.await(t, 1, 10*time.Second)
	s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return s
}

func (s *stdioSession) send(t *testing.T, msg string) {
	t.Helper()
	if _, err := io.WriteString(s.in, msg+"\n"); err != nil {
		t.Fatal(err)
	}
}

// await returns the answer to request id, failing t unless it comes within d.
func (s *stdioSession) await(t *testing.T, id float64, d time.Duration) map[string]any {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-s.out:
			if !ok {
				t.Fatalf("stdout ended without an answer to request %v", id)
			}
			if m["id"] == id {
				return m
			}
		case <-deadline:
			t.Fatalf("no answer to request %v within %s", id, d)
		}
	}
}

// datagridStdio is a stdio configuration serving create_agent_datagrid only,
// without a journal, and its environment with a key and vendorURL.
func datagridStdio(vendorURL string) (Config, providers.Env) {
	cfg := Config{Transport: TransportStdio, Providers: []string{"datagrid"}, Timeout: DefaultTimeout,
		LogLevel: "disabled", Journal: JournalOff, Version: "test"}
	return cfg, providers.MapEnv(map[string]string{datagrid.EnvAPIKey: dummyKey, datagrid.EnvBaseURL: vendorURL})
}

// README, --timeout: "limit of one vendor call, retries and waits
// included", over stdio as over HTTP.
func TestStdioCallEndsAtTimeout(t *testing.T) {
	vendor, arrived := hangingVendor(t)
	cfg, env := datagridStdio(vendor.URL)
	cfg.Timeout = time.Second
	s := startStdio(t, cfg, env, io.Discard)
	start := time.Now()
	s.send(t, fmt.Sprintf(datagridCall, 2))
	waitFor(t, arrived, 10*time.Second, "the vendor request")
	got, _ := json.Marshal(s.await(t, 2, 10*time.Second))
	if !strings.Contains(string(got), "outcome unknown") || !strings.Contains(string(got), "timeout") {
		t.Errorf("after %s, want the call to end in an unknown outcome naming the timeout: %.400s", time.Since(start), got)
	}
}

// README, --shutdown-timeout: "how long in-flight calls may finish ... over
// stdio after stdin closes". A create the vendor holds is followed for that
// long, not for the rest of --timeout.
func TestStdioShutdownTimeoutBoundsTheEnd(t *testing.T) {
	vendor, arrived := hangingVendor(t)
	cfg, env := datagridStdio(vendor.URL)
	cfg.Timeout, cfg.ShutdownTimeout = time.Minute, time.Second
	s := startStdio(t, cfg, env, io.Discard)
	s.send(t, fmt.Sprintf(datagridCall, 2))
	waitFor(t, arrived, 10*time.Second, "the vendor request")
	s.in.Close()
	// Well under --timeout: the call is let go after --shutdown-timeout.
	got, _ := json.Marshal(s.await(t, 2, 15*time.Second))
	if !strings.Contains(string(got), "outcome unknown") {
		t.Errorf("want the call cut off at --shutdown-timeout to end in an unknown outcome: %.400s", got)
	}
	waitFor(t, s.done, 15*time.Second, "Run's return after stdin closed")
	if s.err != nil {
		t.Fatal(s.err)
	}
}

// README: "Over stdio, stdout carries JSON-RPC only; logs go to stderr or
// --log-file", mcp-go's own messages included: its stdio server would write
// them to the process's stderr, past --log-file.
func TestStdioTransportErrorsGoToTheLog(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "agentmcp.log")
	cfg := Config{Transport: TransportStdio, Timeout: DefaultTimeout, LogFile: logFile, Journal: JournalOff, Version: "test"}
	in := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n")
	if err := Run(context.Background(), cfg, providers.MapEnv(nil), in, failingWriter{}, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Error writing response") {
		t.Errorf("mcp-go's failure to write an answer is not in --log-file:\n%s", b)
	}
}

// failingWriter is a stdout the client has closed.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// runLogged runs a stdio server with cfg and env over the messages in, and
// returns what it logged to stderr.
func runLogged(t *testing.T, cfg Config, env map[string]string, in ...string) string {
	t.Helper()
	cfg.Transport, cfg.Timeout, cfg.Journal, cfg.Version = TransportStdio, DefaultTimeout, JournalOff, "test"
	var stderr lockedBuffer
	if err := Run(context.Background(), cfg, providers.MapEnv(env), strings.NewReader(strings.Join(in, "\n")+"\n"), io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	return stderr.String()
}

// README, --log-level: "trace, debug, info, warn, error, or disabled": a
// call's debug line only at debug, the start-up line at info and below.
func TestLogLevel(t *testing.T) {
	dryRun := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"a","dry_run":true}}}`
	cases := []struct {
		level          string
		debug, startup bool
	}{
		{"debug", true, true},
		{"info", false, true},
		{"", false, true}, // the default
		{"warn", false, false},
		{"disabled", false, false},
	}
	for _, c := range cases {
		t.Run(c.level, func(t *testing.T) {
			log := runLogged(t, Config{LogLevel: c.level, Providers: []string{"datagrid"}}, nil, initBody, dryRun)
			if got := strings.Contains(log, `"level":"debug"`) && strings.Contains(log, `"message":"tool call"`); got != c.debug {
				t.Errorf("debug line of the call logged %v, want %v:\n%s", got, c.debug, log)
			}
			if got := strings.Contains(log, "agentmcp started"); got != c.startup {
				t.Errorf("start-up line logged %v, want %v:\n%s", got, c.startup, log)
			}
		})
	}
}

// README: the start-up line says where each credential comes from, "env,
// file or unset, never the value".
func TestStartupLineSaysWhereEachKeyComesFrom(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(dummyKey), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unset", nil, "unset"},
		{"env", map[string]string{datagrid.EnvAPIKey: dummyKey}, "env"},
		{"file", map[string]string{datagrid.EnvAPIKey + "_FILE": keyFile}, "file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			log := runLogged(t, Config{LogLevel: "info", Providers: []string{"datagrid"}}, c.env)
			var line struct {
				Message     string            `json:"message"`
				Credentials map[string]string `json:"credentials"`
			}
			for _, l := range strings.Split(log, "\n") {
				if json.Unmarshal([]byte(l), &line) == nil && line.Message == "agentmcp started" {
					break
				}
			}
			if got := line.Credentials[datagrid.EnvAPIKey]; got != c.want {
				t.Errorf("start-up line's credentials %v, want %s %s", line.Credentials, datagrid.EnvAPIKey, c.want)
			}
			if strings.Contains(log, dummyKey) {
				t.Error("the log shows the key")
			}
		})
	}
}

// The log carries argument keys and request details an operator's
// colleagues need not read: a log file the server creates is its user's only.
func TestLogFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agentmcp.log")
	_, closer, err := NewLogger("info", path, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	closer.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("log file mode %v, want -rw-------", perm)
	}
}

// README: "The resource agentmcp://journal/recent lists the last 50
// entries that are not previews", a call's "sending" entry replaced by its
// outcome, and one without an outcome kept.
func TestJournalResourceListsTheLast50Outcomes(t *testing.T) {
	jr, err := journal.Open(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer jr.Close()
	record := func(e journal.Entry) {
		t.Helper()
		e.Provider, e.Tool, e.Time = "datagrid", "create_agent_datagrid", time.Now()
		if err := jr.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 60 {
		call := fmt.Sprintf("call-%d", i)
		record(journal.Entry{Call: call, AgentName: call, Outcome: journal.OutcomeSending, Repeat: "hash"})
		record(journal.Entry{Call: call, AgentName: call, AgentID: fmt.Sprintf("agt_%d", i), Outcome: journal.OutcomeCreated, Repeat: "hash"})
	}
	record(journal.Entry{Call: "running", AgentName: "running", Outcome: journal.OutcomeSending})
	for range 10 {
		record(journal.Entry{AgentName: "preview", DryRun: true})
	}

	cfg := Config{Transport: TransportStdio, Timeout: DefaultTimeout, Version: "test"}
	s, err := NewServer(cfg, providers.MapEnv(nil), jr, providers.NewClient("agentmcp/test"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	handle := messageHandler(t, s)
	handle(initBody)
	var read struct {
		Result struct {
			Contents []struct {
				Text string `json:"text"`
			} `json:"contents"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(handle(`{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"`+JournalURI+`"}}`)), &read); err != nil || len(read.Result.Contents) != 1 {
		t.Fatalf("resources/read: %v %+v", err, read)
	}
	var listed struct{ Entries []journal.Entry }
	if err := json.Unmarshal([]byte(read.Result.Contents[0].Text), &listed); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range listed.Entries {
		got = append(got, e.AgentName+":"+e.Outcome)
		if e.Repeat != "" {
			t.Errorf("%s: the dedupe hash is listed", e.AgentName)
		}
	}
	// The newest 49 outcomes, then the call still running.
	var want []string
	for i := 11; i < 60; i++ {
		want = append(want, fmt.Sprintf("call-%d:%s", i, journal.OutcomeCreated))
	}
	want = append(want, "running:"+journal.OutcomeSending)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("listed %d entries:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
	}
}

// README, Sessions: the last 10,000 ids ended with DELETE get 404; one
// ended before those is served again, as after a restart.
func TestEndedSessionsRemembered(t *testing.T) {
	m := newSessionIDs()
	first := m.Generate()
	if _, err := m.Terminate(first); err != nil {
		t.Fatal(err)
	}
	for range 10_000 - 1 {
		if _, err := m.Terminate(m.Generate()); err != nil {
			t.Fatal(err)
		}
	}
	if ended, _ := m.Validate(first); !ended {
		t.Fatal("a session among the last 10,000 ended is served again")
	}
	if _, err := m.Terminate(m.Generate()); err != nil {
		t.Fatal(err)
	}
	if ended, _ := m.Validate(first); ended {
		t.Error("more than 10,000 ended sessions are remembered: README says 10,000")
	}
}

// README: "a call cancelled while it waits for [a worker] is not sent",
// also when the client gives up on every other queued call too, and the
// queue being full, on calls mcp-go then runs at once, each cancelled after
// it ended: those cancellations must not push out the waiting call's.
func TestStdioQueuedCancellationSurvivesAFullQueue(t *testing.T) {
	var arrived atomic.Int32
	var zeroSent atomic.Bool
	release := make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"zero"`) {
			zeroSent.Store(true)
		}
		if arrived.Add(1) <= stdioWorkers {
			select { // every worker held: the calls after them queue
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_1"}`))
	}))
	defer vendor.Close()
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()

	cfg, env := datagridStdio(vendor.URL)
	s := startStdio(t, cfg, env, io.Discard)
	call := func(id int, name string) {
		s.send(t, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":%q}}}`, id, name))
	}
	cancel := func(id int) {
		s.send(t, fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%d}}`, id))
	}
	for id := 100; id < 100+stdioWorkers; id++ {
		call(id, fmt.Sprint("running ", id))
	}
	for deadline := time.Now().Add(10 * time.Second); arrived.Load() < stdioWorkers; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d workers busy", arrived.Load(), stdioWorkers)
		}
	}
	call(0, "zero")
	const queued = 1000
	for id := queued; id < queued+stdioQueue-1; id++ {
		call(id, fmt.Sprint("queued ", id))
	}
	cancel(0)
	for id := queued; id < queued+stdioQueue-1; id++ {
		cancel(id)
	}
	for id := 50_000; id < 50_000+2*stdioWorkers; id++ {
		call(id, fmt.Sprint("late ", id))
		cancel(id)
	}
	s.send(t, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	answered := false
	for m := range s.out {
		id, ok := m["id"].(float64)
		answered = answered || ok && id == 0
		if ok && id == 2 {
			break
		}
	}
	free()
	// At the end of stdin every queued call leaves the queue before the
	// server stops.
	s.in.Close()
	<-s.done
	if s.err != nil {
		t.Fatal(s.err)
	}
	for m := range s.out {
		if id, ok := m["id"].(float64); ok && id == 0 {
			answered = true
		}
	}
	// Not answered either: the MCP specification has no response to a
	// cancelled request.
	if zeroSent.Load() || answered {
		t.Errorf("call 0, cancelled while it waited for a worker: sent %v, answered %v", zeroSent.Load(), answered)
	}
}

// README, Limits: "read, write and idle timeouts are set": a client that
// sends its headers slowly (slowloris) is cut off long before the 60 s body
// read timeout would.
func TestServerTimeouts(t *testing.T) {
	svc := testHTTPService(t, func(c *Config) { c.Timeout = 45 * time.Second }, zerolog.Nop())
	srv := svc.newServer()
	if d := srv.ReadHeaderTimeout; d <= 0 || d > 30*time.Second {
		t.Errorf("ReadHeaderTimeout %s, want a bound of at most 30s", d)
	}
	if srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("ReadTimeout %s, IdleTimeout %s: want both set", srv.ReadTimeout, srv.IdleTimeout)
	}
	if srv.WriteTimeout <= 45*time.Second {
		t.Errorf("WriteTimeout %s does not outlast --timeout 45s", srv.WriteTimeout)
	}
}

// A call that ends at --timeout over HTTP gets its answer written: the
// connection's write timeout outlasts the call.
func TestHTTPAnswerAtTimeoutIsWritten(t *testing.T) {
	vendor, arrived := hangingVendor(t)
	s, cfg := datagridServer(t, Config{Transport: TransportHTTP, Addr: DefaultAddr, Timeout: time.Second,
		ShutdownTimeout: time.Second, Journal: JournalOff, Version: "test", Providers: []string{"datagrid"}}, vendor.URL)
	url := "http://" + listen(t, NewHTTPService(s, cfg)) + MCPPath
	resp := post(t, url, nil, initBody)
	hdr := map[string]string{"Mcp-Session-Id": resp.Header.Get("Mcp-Session-Id"), "Mcp-Protocol-Version": "2025-06-18"}

	got := postAsync(mcpPost(url, hdr, strings.NewReader(fmt.Sprintf(datagridCall, 2))))
	waitFor(t, arrived, 10*time.Second, "the vendor request")
	a := waitFor(t, got, 15*time.Second, "the answer")
	if a.err != nil || !strings.Contains(string(a.body), "outcome unknown") {
		t.Errorf("the answer of a call that reached --timeout was not written: %v %.300s", a.err, a.body)
	}
}

// httpAnswer is an HTTP answer's body as read whole, or why it was not.
type httpAnswer struct {
	body []byte
	err  error
}

// postAsync sends req and delivers its answer, read whole, on the channel.
func postAsync(req *http.Request) <-chan httpAnswer {
	got := make(chan httpAnswer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- httpAnswer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- httpAnswer{b, err}
	}()
	return got
}

// listen runs svc on a loopback listener, as Run does, for the rest of t,
// and returns its address.
func listen(t *testing.T, svc *HTTPService) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- svc.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })
	return ln.Addr().String()
}
