package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/journal/journaltest"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/alibabadms"
	"github.com/agentmcp/agentmcp/providers/computeragents"
	"github.com/agentmcp/agentmcp/providers/datagol"
	"github.com/agentmcp/agentmcp/providers/datagrid"
	"github.com/agentmcp/agentmcp/providers/everruns"
	"github.com/agentmcp/agentmcp/tools"
	"github.com/agentmcp/agentmcp/tools/toolstest"
)

// failureKey is the dummy value of every credential; no result may show it.
const failureKey = "canary-failure-key-5c1e0a77"

// vendorCase is one provider as the failure matrix drives it: where its fake
// lives, what the tool is called with, and how the vendor answers.
type vendorCase struct {
	slug     string
	baseEnv  string // base URL setting
	basePath string // appended to the fake's URL ("" when the setting takes no path)
	wantPath string // path of the create request
	args     string // minimal valid arguments
	name     string // the agent name in args
	// idempotent: the provider generates an id in Prepare (its ClientID)
	// and every attempt carries it, in the body's "id" field, so a request
	// that may have been processed is sent again. idShape is the shape of a
	// generated id, and givenID one of that shape a caller may give.
	idempotent bool
	idShape    *regexp.Regexp
	givenID    string
	okStatus   int
	agentID    string              // id of the success answer ("" = the id the request carried)
	success    func(string) string // success body for an agent id
	errBody    func(string) string // the vendor's error body carrying a message
	wrongTypes string              // a 2xx body whose fields have the wrong types
}

var vendorCases = map[string]vendorCase{
	"alibaba_dms": {
		slug: "alibaba_dms", baseEnv: alibabadms.EnvEndpoint, wantPath: "/",
		args:     `{"Name":"probe-alibaba","Instruction":"Summarise yesterday's orders."}`,
		name:     "probe-alibaba",
		okStatus: http.StatusOK, agentID: "ca-probe0000000000001",
		success: func(id string) string {
			return `{"RequestId":"REQ-OK-1","Success":true,"Data":{"CustomAgentId":"` + id + `","Name":"probe-alibaba","Status":"NEW"}}`
		},
		errBody: func(msg string) string {
			return `{"RequestId":"REQ-ERR-1","Code":"InvalidParameter","Message":"` + msg + `","Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidParameter"}`
		},
		wrongTypes: `{"RequestId":"REQ-OK-2","Success":true,"Data":{"CustomAgentId":["ca-1"]}}`,
	},
	"datagol": {
		slug: "datagol", baseEnv: datagol.EnvBaseURL, basePath: "/datagol", wantPath: "/datagol/customAgents/api/v1",
		args:     `{"name":"probe-datagol","description":"","prompt":"Answer questions.","isPublished":false,"uiMetadata":{},"configs":{}}`,
		name:     "probe-datagol",
		okStatus: http.StatusOK, agentID: "3c90c3cc-0d44-4b50-8888-8dd25736052a",
		success: func(id string) string { return `{"id":"` + id + `","name":"probe-datagol","isPublished":false}` },
		errBody: func(msg string) string {
			return `{"timestamp":"2026-01-01T00:00:00.000+00:00","status":400,"error":"Bad Request","message":"` + msg + `","path":"/customAgents/api/v1"}`
		},
		// A numeric id is read as text on purpose; a boolean is not an id.
		wrongTypes: `{"id":true,"name":"probe-datagol"}`,
	},
	"datagrid": {
		slug: "datagrid", baseEnv: datagrid.EnvBaseURL, basePath: "/datagrid/v1", wantPath: "/datagrid/v1/agents",
		args:     `{"name":"probe-datagrid"}`,
		name:     "probe-datagrid",
		okStatus: http.StatusCreated, agentID: "agt_probe01",
		success: func(id string) string { return `{"object":"agent","id":"` + id + `","name":"probe-datagrid"}` },
		errBody: func(msg string) string {
			return `{"error":"invalid_request","message":"` + msg + `"}`
		},
		wrongTypes: `{"object":"agent","id":{"value":"agt_1"}}`,
	},
	"everruns": {
		slug: "everruns", baseEnv: everruns.EnvBaseURL, basePath: "/everruns/api", wantPath: "/everruns/api/v1/agents",
		// No id: Prepare generates one and every attempt must carry it.
		args:       `{"name":"probe-everruns","system_prompt":"Be helpful."}`,
		name:       "probe-everruns",
		idempotent: true,
		idShape:    regexp.MustCompile(`^agent_[0-9a-f]{32}$`),
		givenID:    "agent_0123456789abcdef0123456789abcdef",
		okStatus:   http.StatusCreated,
		success: func(id string) string {
			return `{"id":"` + id + `","name":"probe-everruns","system_prompt":"Be helpful.","status":"active"}`
		},
		errBody:    func(msg string) string { return `{"error":"` + msg + `"}` },
		wrongTypes: `{"id":123,"name":"probe-everruns"}`,
	},
	"computer_agents": {
		slug: "computer_agents", baseEnv: computeragents.EnvBaseURL, basePath: "/computer-agents", wantPath: "/computer-agents/v1/agents",
		args:     `{"name":"probe-computer-agents","model":"claude-sonnet-4-5"}`,
		name:     "probe-computer-agents",
		okStatus: http.StatusCreated, agentID: "agent_qP5Hz2jwHsj5oVoCPIx71",
		success: func(id string) string {
			return `{"agent":{"id":"` + id + `","name":"probe-computer-agents","model":"claude-sonnet-4-5","isActive":true}}`
		},
		errBody: func(msg string) string {
			return `{"error":"Bad Request","message":"` + msg + `","code":"VALIDATION_ERROR"}`
		},
		wrongTypes: `{"agent":{"id":true,"name":"probe-computer-agents"}}`,
	},
}

// seenRequest is one request as the fake received it.
type seenRequest struct {
	Method string
	Path   string
	Query  string // raw, as sent
	Header http.Header
	Body   []byte
}

// step answers one request; body is the request body, already read.
type step func(w http.ResponseWriter, r *http.Request, body []byte)

// fakeAPI reads each request, records it and answers with the next scripted
// step (the last one repeats).
type fakeAPI struct {
	mu    sync.Mutex
	steps []step
	seen  []seenRequest
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.seen = append(f.seen, seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	s := f.steps[min(len(f.seen), len(f.steps))-1]
	f.mu.Unlock()
	s(w, r, body)
}

func (f *fakeAPI) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

func answer(status int, hdr map[string]string, body string) step {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// succeed answers with the vendor's success shape. A vendor whose id the
// client chooses echoes the id the request carried.
func succeed(v vendorCase) step {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		id := v.agentID
		if id == "" {
			id = requestID(body)
		}
		answer(v.okStatus, map[string]string{"X-Request-Id": "req-ok"}, v.success(id))(w, r, body)
	}
}

// hangUp drops the connection after the request was read, without answering.
func hangUp(w http.ResponseWriter, _ *http.Request, _ []byte) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// hang answers nothing until the client gives up (or the test ends).
func hang(release <-chan struct{}) step {
	return func(_ http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

// huge answers 2xx with a body larger than the client reads.
func huge(status int) step {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"id":"`+strings.Repeat("x", providers.DefaultMaxResponseBytes+64<<10)+`"}`)
	}
}

func requestID(body []byte) string {
	var b struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &b)
	return b.ID
}

// expectation is what one call must end in.
type expectation struct {
	requests int // requests the fake receives; -1 when not checked
	attempts int // attempts the journal records (0 = requests)
	outcome  string
	contains []string        // in the result text
	waits    []time.Duration // the client's waits; nil when not checked
	resigned bool            // every attempt is signed afresh (Alibaba)
}

// maybeProcessed is the expectation after a failure that may have created the
// agent, followed by a success: a non-idempotent create stops with an
// unknown outcome, an idempotent one is sent again and succeeds.
func maybeProcessed(v vendorCase, why ...string) expectation {
	if v.idempotent {
		return expectation{requests: 2, outcome: journal.OutcomeCreated}
	}
	return expectation{requests: 1, outcome: journal.OutcomeUnknown, contains: why}
}

// failureMode is one way a vendor call can go wrong.
type failureMode struct {
	name    string
	only    string        // the one slug it applies to; "" for every slug
	timeout time.Duration // Deps.Timeout; 0 for 30 s
	refused bool          // every base URL points at a closed port
	steps   func(v vendorCase, release <-chan struct{}) []step
	want    func(v vendorCase) expectation
	// check replaces the request-count and outcome checks (the journal entry
	// count, leak and id checks always run).
	check func(t *testing.T, v vendorCase, tool *tools.Tool, got callOutcome)
}

func failureModes() []failureMode {
	const badRequestMessage = "The specified value is not valid for this field."
	return []failureMode{
		{
			name: "429 with Retry-After, then success",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(http.StatusTooManyRequests, map[string]string{"Retry-After": "2"}, v.errBody("slow down")), succeed(v)}
			},
			want: func(vendorCase) expectation {
				return expectation{requests: 2, outcome: journal.OutcomeCreated, waits: []time.Duration{2 * time.Second}}
			},
		},
		{
			name: "503 with Retry-After, then success",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(http.StatusServiceUnavailable, map[string]string{"Retry-After": "1"}, v.errBody("maintenance")), succeed(v)}
			},
			want: func(vendorCase) expectation {
				return expectation{requests: 2, outcome: journal.OutcomeCreated, waits: []time.Duration{time.Second}}
			},
		},
		{
			name: "503 without Retry-After, then success",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(http.StatusServiceUnavailable, nil, v.errBody("upstream unavailable")), succeed(v)}
			},
			want: func(v vendorCase) expectation { return maybeProcessed(v, "HTTP 503") },
		},
		{
			name: "500, then success",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(http.StatusInternalServerError, nil, v.errBody("internal error")), succeed(v)}
			},
			want: func(v vendorCase) expectation { return maybeProcessed(v, "HTTP 500") },
		},
		{
			name: "connection dropped after the request was read, then success",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{hangUp, succeed(v)}
			},
			want: func(v vendorCase) expectation { return maybeProcessed(v, "connection lost after the request was sent") },
		},
		{
			// The deadline covers the whole call, retries included, so a hung
			// first attempt normally leaves no time for a second. Everruns may
			// still retry (its id makes that safe); either way it must never
			// send a second id.
			name:    "timeout, then success",
			timeout: 300 * time.Millisecond,
			steps: func(v vendorCase, release <-chan struct{}) []step {
				return []step{hang(release), succeed(v)}
			},
			check: func(t *testing.T, v vendorCase, tool *tools.Tool, got callOutcome) {
				t.Helper()
				if !v.idempotent {
					if len(got.requests) != 1 {
						t.Errorf("requests = %d, want 1: a create that may have happened must not be sent again", len(got.requests))
					}
					wantUnknown(t, v, tool, got, "300ms")
					return
				}
				if !got.res.IsError {
					if len(got.requests) < 2 || got.entry.Outcome != journal.OutcomeCreated {
						t.Errorf("success after %d requests, journal %q", len(got.requests), got.entry.Outcome)
					}
					return
				}
				wantUnknown(t, v, tool, got, got.entry.AgentID)
			},
		},
		{
			name:    "connection refused",
			refused: true,
			want: func(vendorCase) expectation {
				return expectation{requests: -1, attempts: 5, outcome: journal.OutcomeNotSent,
					contains: []string{"was not reached, no agent was created", "gave up after 5 attempts", "connection refused"}}
			},
		},
		{
			name: "400 with the vendor's error body",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(http.StatusBadRequest, nil, v.errBody(badRequestMessage)), succeed(v)}
			},
			want: func(vendorCase) expectation {
				return expectation{requests: 1, outcome: journal.OutcomeFailed,
					contains: []string{"rejected the request (HTTP 400 Bad Request)", badRequestMessage}}
			},
		},
		{
			name: "Throttling.User as a gateway error, then success",
			only: "alibaba_dms",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(http.StatusBadRequest, nil,
					`{"RequestId":"REQ-THR-1","Code":"Throttling.User","Message":"Request was denied due to user flow control."}`), succeed(v)}
			},
			want: func(vendorCase) expectation {
				return expectation{requests: 2, outcome: journal.OutcomeCreated, resigned: true}
			},
		},
		{
			name: "Throttling.User in an HTTP 200 body, then success",
			only: "alibaba_dms",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(http.StatusOK, nil,
					`{"RequestId":"REQ-THR-2","Success":false,"ErrorCode":"Throttling.User","ErrorMessage":"Request was denied due to user flow control."}`), succeed(v)}
			},
			want: func(vendorCase) expectation {
				return expectation{requests: 2, outcome: journal.OutcomeCreated, resigned: true}
			},
		},
		{
			name: "non-JSON 2xx body, then success",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(v.okStatus, nil, "<html>ok</html>"), succeed(v)}
			},
			want: func(v vendorCase) expectation {
				return maybeProcessed(v, fmt.Sprintf("answered HTTP %d (success) but its response could not be read", v.okStatus))
			},
		},
		{
			name: "2xx body over the response cap, then success",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{huge(v.okStatus), succeed(v)}
			},
			want: func(v vendorCase) expectation {
				return maybeProcessed(v, fmt.Sprintf("response larger than %d bytes", providers.DefaultMaxResponseBytes))
			},
		},
		{
			name: "2xx body with wrong types, then success",
			steps: func(v vendorCase, _ <-chan struct{}) []step {
				return []step{answer(v.okStatus, nil, v.wrongTypes), succeed(v)}
			},
			want: func(v vendorCase) expectation {
				return maybeProcessed(v, fmt.Sprintf("answered HTTP %d (success) but its response could not be read", v.okStatus))
			},
		},
	}
}

// callOutcome is what one tool call left behind.
type callOutcome struct {
	res      *mcp.CallToolResult
	text     string
	requests []seenRequest
	entry    journal.Entry
	waits    []time.Duration
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// failureEnv points every provider's base URL at base and sets every credential.
func failureEnv(t *testing.T, base string) map[string]string {
	t.Helper()
	vars, err := EnvVars()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, v := range vars {
		if v.Secret {
			env[v.Name] = failureKey
		}
	}
	for _, v := range vendorCases {
		env[v.baseEnv] = base + v.basePath
	}
	return env
}

func TestEverySlugHasAFailureCase(t *testing.T) {
	for _, slug := range Slugs() {
		v, ok := vendorCases[slug]
		if !ok {
			t.Errorf("%s: no vendorCase; add one so the failure matrix covers it", slug)
			continue
		}
		if v.slug != slug {
			t.Errorf("vendorCases[%q].slug = %q", slug, v.slug)
		}
		if v.idempotent && (v.idShape == nil || !v.idShape.MatchString(v.givenID)) {
			t.Errorf("vendorCases[%q] is idempotent: give it idShape, the shape of the id its ClientID returns, and givenID, one of that shape", slug)
		}
	}
	// Every base URL setting the providers declare is one the matrix sets.
	vars, err := EnvVars()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range vars {
		if ev.Secret || !strings.HasSuffix(ev.Name, "_URL") && !strings.HasSuffix(ev.Name, "_ENDPOINT") {
			continue
		}
		if v, ok := vendorCases[ev.Provider]; !ok || v.baseEnv != ev.Name {
			t.Errorf("%s: base URL setting %s is not the one the failure matrix sets", ev.Provider, ev.Name)
		}
	}
}

func TestToolFailureModes(t *testing.T) {
	for _, slug := range Slugs() {
		v, ok := vendorCases[slug]
		if !ok {
			continue // reported by TestEverySlugHasAFailureCase
		}
		for _, m := range failureModes() {
			if m.only != "" && m.only != slug {
				continue
			}
			t.Run(slug+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				tool, got := runFailureMode(t, v, m)
				checkFailureMode(t, v, m, tool, got)
			})
		}
	}
}

func runFailureMode(t *testing.T, v vendorCase, m failureMode) (*tools.Tool, callOutcome) {
	t.Helper()
	fake := &fakeAPI{}
	base := ""
	if m.refused {
		base = closedPort(t)
	} else {
		release := make(chan struct{})
		fake.steps = m.steps(v, release)
		srv := httptest.NewServer(fake)
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) }) // runs first: frees a hung handler
		base = srv.URL
	}
	env := providers.MapEnv(failureEnv(t, base))

	var mu sync.Mutex
	var waits []time.Duration
	c := providers.NewClient("agentmcp/test")
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	timeout := m.timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	rec := &journaltest.Recorder{}
	ts, err := BuildTools(Slugs(), env, tools.Deps{Client: c, Env: env, Timeout: timeout, Logger: zerolog.Nop(), Journal: rec})
	if err != nil {
		t.Fatal(err)
	}
	var tool *tools.Tool
	for _, tt := range ts {
		if tt.Slug == v.slug {
			tool = tt
		}
	}
	if tool == nil {
		t.Fatalf("BuildTools built no %s tool", v.slug)
	}

	var req mcp.CallToolRequest
	req.Params.Name = tools.Prefix + v.slug
	req.Params.RawArguments = json.RawMessage(v.args)
	res, err := tool.Handler(context.Background(), req)
	if err != nil {
		t.Fatalf("handler returned a Go error (the model would not see it): %v", err)
	}
	if res == nil {
		t.Fatal("handler returned no result")
	}
	if err := toolstest.ConformsToOutputSchema(tool.Tool, res); err != nil {
		t.Error(err)
	}
	var text []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	entries := rec.Entries()
	// The fake records a request once its handler has read it. Under load
	// that can come after the client, its headers written, gave up on the
	// call: when the outcome says a request went out, wait for it.
	if n := len(entries); n > 0 && entries[n-1].Outcome == journal.OutcomeUnknown {
		for deadline := time.Now().Add(10 * time.Second); len(fake.requests()) == 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
	}
	got := callOutcome{res: res, text: strings.Join(text, "\n"), requests: fake.requests()}
	mu.Lock()
	got.waits = append(got.waits, waits...)
	mu.Unlock()

	// Written before sending, then the outcome: one call, two lines.
	if len(entries) != 2 || entries[0].Outcome != journal.OutcomeSending || entries[0].Call == "" || entries[1].Call != entries[0].Call {
		t.Fatalf("journal = %+v, want a sending entry, then the outcome of the same call", entries)
	}
	got.entry = entries[1]
	return tool, got
}

func checkFailureMode(t *testing.T, v vendorCase, m failureMode, tool *tools.Tool, got callOutcome) {
	t.Helper()
	e := got.entry
	if e.Provider != v.slug || e.Tool != tools.Prefix+v.slug || e.AgentName != v.name || e.DryRun {
		t.Errorf("journal entry: %+v", e)
	}
	if strings.Contains(got.text, failureKey) || strings.Contains(e.Error, failureKey) {
		t.Errorf("a credential leaked into the result or the journal:\n%s\n%s", got.text, e.Error)
	}
	for i, r := range got.requests {
		if r.Method != http.MethodPost || r.Path != v.wantPath {
			t.Errorf("request %d: %s %s, want POST %s", i+1, r.Method, r.Path, v.wantPath)
		}
	}
	if v.idempotent {
		checkOneID(t, v, got)
	}

	if m.check != nil {
		m.check(t, v, tool, got)
		return
	}
	want := m.want(v)
	if want.requests >= 0 && len(got.requests) != want.requests {
		t.Errorf("requests = %d, want %d", len(got.requests), want.requests)
	}
	attempts := want.attempts
	if attempts == 0 {
		attempts = want.requests
	}
	if e.Attempts != attempts {
		t.Errorf("journal attempts = %d, want %d", e.Attempts, attempts)
	}
	if e.Outcome != want.outcome {
		t.Errorf("journal outcome = %q, want %q (%s)", e.Outcome, want.outcome, e.Error)
	}
	if want.waits != nil && fmt.Sprint(got.waits) != fmt.Sprint(want.waits) {
		t.Errorf("waits = %v, want %v", got.waits, want.waits)
	}
	if m.refused && len(got.waits) != attempts-1 {
		t.Errorf("waits = %v, want %d (one before each retry)", got.waits, attempts-1)
	}
	if want.resigned {
		checkResigned(t, got.requests)
	}

	switch want.outcome {
	case journal.OutcomeCreated:
		checkCreated(t, v, got)
	case journal.OutcomeUnknown:
		wantUnknown(t, v, tool, got, want.contains...)
	default:
		if !got.res.IsError {
			t.Fatalf("want an error result, got:\n%s", got.text)
		}
		for _, s := range want.contains {
			if !strings.Contains(got.text, s) {
				t.Errorf("result does not contain %q:\n%s", s, got.text)
			}
		}
		if e.Error == "" {
			t.Errorf("journal entry has no error text")
		}
	}
}

// checkCreated wants a success result naming the agent the fake created.
func checkCreated(t *testing.T, v vendorCase, got callOutcome) {
	t.Helper()
	if got.res.IsError {
		t.Fatalf("want success, got an error:\n%s", got.text)
	}
	wantID := v.agentID
	if wantID == "" && len(got.requests) > 0 {
		wantID = requestID(got.requests[len(got.requests)-1].Body)
	}
	b, err := json.Marshal(got.res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var s tools.Success
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("structured content: %v: %s", err, b)
	}
	if s.Provider != v.slug || s.AgentID != wantID || s.DryRun || s.Agent == nil {
		t.Errorf("structured result = %s, want agent %s", b, wantID)
	}
	if got.entry.AgentID != wantID {
		t.Errorf("journal agent id = %q, want %q", got.entry.AgentID, wantID)
	}
	if !strings.Contains(got.text, wantID) {
		t.Errorf("summary does not name the id %s:\n%s", wantID, got.text)
	}
}

// wantUnknown wants an "outcome unknown" error that names the agent and says
// how to look for it.
func wantUnknown(t *testing.T, v vendorCase, tool *tools.Tool, got callOutcome, contains ...string) {
	t.Helper()
	if !got.res.IsError {
		t.Fatalf("want an error result, got:\n%s", got.text)
	}
	if got.entry.Outcome != journal.OutcomeUnknown {
		t.Errorf("journal outcome = %q, want %q", got.entry.Outcome, journal.OutcomeUnknown)
	}
	must := append([]string{"outcome unknown", fmt.Sprintf("%q", v.name), tool.Descriptor.VerifyHint}, contains...)
	if v.idempotent {
		must = append(must, "again with the same id "+got.entry.AgentID+" cannot create a second agent")
		if strings.Contains(got.text, "Do not simply call") {
			t.Errorf("an idempotent create must not be told both to retry and not to:\n%s", got.text)
		}
	} else {
		must = append(must, "Do not simply call the tool again")
	}
	for _, s := range must {
		if !strings.Contains(got.text, s) {
			t.Errorf("result does not contain %q:\n%s", s, got.text)
		}
	}
}

// checkOneID wants every attempt of an idempotent create to carry the same
// generated id, the one the journal holds.
func checkOneID(t *testing.T, v vendorCase, got callOutcome) {
	t.Helper()
	ids := map[string]bool{}
	for _, r := range got.requests {
		ids[requestID(r.Body)] = true
	}
	if len(got.requests) > 0 && len(ids) != 1 {
		t.Fatalf("attempts carried different ids: %v", ids)
	}
	for id := range ids {
		if !v.idShape.MatchString(id) {
			t.Errorf("id %q is not a generated agent id", id)
		}
		if got.entry.AgentID != id {
			t.Errorf("journal agent id = %q, requests carried %q", got.entry.AgentID, id)
		}
	}
	if len(got.requests) == 0 && !v.idShape.MatchString(got.entry.AgentID) {
		t.Errorf("journal agent id %q is not a generated agent id", got.entry.AgentID)
	}
}

// checkResigned wants each attempt signed afresh: its own nonce, and so its
// own signature.
func checkResigned(t *testing.T, reqs []seenRequest) {
	t.Helper()
	if len(reqs) < 2 {
		t.Fatalf("want at least 2 requests to compare, got %d", len(reqs))
	}
	a, b := reqs[0].Header, reqs[1].Header
	for _, h := range []string{"x-acs-signature-nonce", "x-acs-date", "Authorization"} {
		if a.Get(h) == "" || b.Get(h) == "" {
			t.Errorf("%s missing: %q, %q", h, a.Get(h), b.Get(h))
		}
	}
	if a.Get("x-acs-signature-nonce") == b.Get("x-acs-signature-nonce") {
		t.Errorf("both attempts carried the nonce %s", a.Get("x-acs-signature-nonce"))
	}
	if a.Get("x-acs-date") == b.Get("x-acs-date") && a.Get("Authorization") == b.Get("Authorization") {
		t.Errorf("the second attempt reused the first one's date and signature")
	}
	if a.Get("Authorization") == b.Get("Authorization") {
		t.Errorf("both attempts carried the same signature")
	}
}
