package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/journal/journaltest"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/datagrid"
	"github.com/agentmcp/agentmcp/schemas"
	"github.com/agentmcp/agentmcp/tools"
	"github.com/agentmcp/agentmcp/tools/toolstest"
)

const canary = "canary-tool-key-3b8f1d2e"

// vendor is a fake Datagrid whose answer a test sets.
type vendor struct {
	mu       sync.Mutex
	requests int
	answer   func(w http.ResponseWriter, r *http.Request)
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	v.requests++
	answer := v.answer
	v.mu.Unlock()
	answer(w, r)
}

func (v *vendor) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.requests
}

type fixture struct {
	tool    mcp.Tool
	client  *client.Client
	vendor  *vendor
	journal *journaltest.Recorder
	logs    *strings.Builder
}

type option func(*tools.Deps, map[string]string)

func withoutKey() option {
	return func(_ *tools.Deps, env map[string]string) { delete(env, datagrid.EnvAPIKey) }
}

func setup(t *testing.T, opts ...option) *fixture {
	t.Helper()
	v := &vendor{answer: func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9","name":"Analyst"}`))
	}}
	srv := httptest.NewServer(v)
	t.Cleanup(srv.Close)
	env := map[string]string{datagrid.EnvAPIKey: canary, datagrid.EnvBaseURL: srv.URL + "/v1"}
	logs := &strings.Builder{}
	var mu sync.Mutex
	jr := &journaltest.Recorder{}
	c := providers.NewClient("agentmcp/test")
	c.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	deps := tools.Deps{Client: c, Timeout: 5 * time.Second, Journal: jr,
		Logger: zerolog.New(zerolog.SyncWriter(lockedWriter{&mu, logs})).Level(zerolog.DebugLevel)}
	for _, o := range opts {
		o(&deps, env)
	}
	deps.Env = providers.MapEnv(env)
	p, err := datagrid.New(deps.Env)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := tools.New(p, deps)
	if err != nil {
		t.Fatal(err)
	}
	cl := inProcessClient(t, tool)
	t.Cleanup(func() {
		if strings.Contains(logs.String(), canary) {
			t.Errorf("logs contain the API key")
		}
	})
	return &fixture{tool: tool.Tool, client: cl, vendor: v, journal: jr, logs: logs}
}

// inProcessClient serves tool alone and returns an initialized client of it.
func inProcessClient(t *testing.T, tool *tools.Tool) *client.Client {
	t.Helper()
	s := server.NewMCPServer("test", "0", server.WithToolCapabilities(false))
	s.AddTools(tool.ServerTool())
	cl, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	ctx := context.Background()
	if err := cl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "0"}
	if _, err := cl.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return cl
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (f *fixture) call(t *testing.T, args any) (*mcp.CallToolResult, string) {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = "create_agent_datagrid"
	req.Params.Arguments = args
	res, err := f.client.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("CallTool returned a protocol error (the model would not see it): %v", err)
	}
	all := tools.ResultText(res)
	if strings.Contains(all, canary) {
		t.Fatalf("result leaks the API key")
	}
	if b, _ := json.Marshal(res.StructuredContent); strings.Contains(string(b), canary) {
		t.Fatalf("structured result leaks the API key")
	}
	if err := toolstest.ConformsToOutputSchema(f.tool, res); err != nil {
		t.Error(err)
	}
	return res, all
}

func structuredOf(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("structured content is not an object: %s", b)
	}
	return m
}

func TestToolsList(t *testing.T) {
	f := setup(t)
	res, err := f.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tools) != 1 {
		t.Fatalf("tools = %d", len(res.Tools))
	}
	tool := res.Tools[0]
	a := tool.Annotations
	if tool.Name != "create_agent_datagrid" || tool.Title == "" || tool.Description == "" {
		t.Errorf("name/title/description: %q %q %q", tool.Name, tool.Title, tool.Description)
	}
	if a.ReadOnlyHint == nil || *a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint ||
		a.IdempotentHint == nil || *a.IdempotentHint || a.OpenWorldHint == nil || !*a.OpenWorldHint {
		t.Errorf("annotations must be explicit: readOnly false, destructive false, idempotent false, openWorld true: %+v", a)
	}
	b, _ := json.Marshal(tool)
	var wire struct {
		InputSchema  json.RawMessage `json:"inputSchema"`
		OutputSchema json.RawMessage `json:"outputSchema"`
	}
	_ = json.Unmarshal(b, &wire)
	if v := schemas.Lint(wire.InputSchema); len(v) > 0 {
		t.Errorf("input schema: %v", v)
	}
	var in struct {
		Properties map[string]struct{ Type string } `json:"properties"`
	}
	if err := json.Unmarshal(wire.InputSchema, &in); err != nil || in.Properties["dry_run"].Type != "boolean" {
		t.Errorf("dry_run missing: %s", wire.InputSchema)
	}
	var out map[string]any
	if err := json.Unmarshal(wire.OutputSchema, &out); err != nil || out["type"] != "object" {
		t.Errorf("output schema root must be an object: %s", wire.OutputSchema)
	}
}

func TestCreate(t *testing.T) {
	f := setup(t)
	var body map[string]any
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("X-Request-Id", "req_1")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9","name":"Analyst"}`))
	}
	res, text := f.call(t, map[string]any{"name": "Analyst", "temperature": 0.5, "tools": []any{map[string]any{"name": "web_search"}}})
	if res.IsError {
		t.Fatalf("isError: %s", text)
	}
	s := structuredOf(t, res)
	if s["provider"] != "datagrid" || s["agent_id"] != "agt_9" || s["dry_run"] != false || s["request_id"] != "req_1" {
		t.Errorf("structured = %v", s)
	}
	if agent, _ := s["agent"].(map[string]any); agent["object"] != "agent" {
		t.Errorf("agent object not passed through: %v", s["agent"])
	}
	if !strings.HasPrefix(text, `Created Datagrid agent "Analyst" with id agt_9.`) {
		t.Errorf("summary = %q", text)
	}
	if body["name"] != "Analyst" || body["temperature"] != 0.5 {
		t.Errorf("vendor got %v", body)
	}
	if _, sent := body["dry_run"]; sent {
		t.Error("dry_run must not reach the vendor")
	}
	e := f.journal.Outcomes()
	if len(e) != 1 || e[0].Outcome != journal.OutcomeCreated || e[0].AgentID != "agt_9" || e[0].AgentName != "Analyst" || e[0].DryRun {
		t.Errorf("journal = %+v", e)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	cases := []struct {
		name string
		args any
		want []string
	}{
		{"unknown argument", map[string]any{"name": "x", "colour": "red"},
			[]string{"/colour: unknown argument; allowed here: agent_model, corpus"}},
		{"wrong type", map[string]any{"name": 42}, []string{"/name: got number, want string"}},
		{"temperature above 1", map[string]any{"temperature": 1.5}, []string{"/temperature: at most 1, got 1.5"}},
		{"temperature below 0", map[string]any{"temperature": -0.1}, []string{"/temperature: at least 0, got -0.1"}},
		{"name too long", map[string]any{"name": strings.Repeat("n", 256)}, []string{"/name: at most 255 characters, got 256"}},
		{"description too long", map[string]any{"description": strings.Repeat("d", 1001)}, []string{"/description: at most 1000 characters, got 1001"}},
		{"empty agent_model", map[string]any{"agent_model": ""}, []string{"/agent_model: must not be empty"}},
		{"server_id missing", map[string]any{"mcp_servers": []any{map[string]any{}}}, []string{"/mcp_servers/0/server_id: missing (required)"}},
		{"corpus type outside the enum", map[string]any{"corpus": []any{map[string]any{"type": "file"}}}, []string{"/corpus/0/type: value must be one of 'knowledge', 'page'"}},
		{"flash with other tools", map[string]any{"agent_model": "magpie-1.1-flash", "tools": []any{map[string]any{"name": "charts"}}},
			[]string{"/tools/0/name: agent_model magpie-1.1-flash supports only the semantic_search tool"}},
		{"llm-only with tools", map[string]any{"agent_model": "llm-only", "tools": []any{map[string]any{"name": "charts"}}},
			[]string{"/tools: agent_model llm-only runs no tools"}},
		{"every problem at once", map[string]any{"name": 1, "temperature": 9, "x": true},
			[]string{"/name:", "/temperature:", "/x: unknown argument"}},
		{"dry_run not boolean", map[string]any{"dry_run": "yes"}, []string{"/dry_run: got string, want boolean"}},
		{"arguments not an object", []any{1}, []string{"got array, want object"}},
		{"duplicate key, first of the wrong type", json.RawMessage(`{"name":1,"name":"x"}`),
			[]string{"/name appears more than once in its object; send each key once"}},
		{"duplicate key in a list item", json.RawMessage(`{"corpus":[{"type":"page","page_id":5}],"corpus":[]}`),
			[]string{"/corpus appears more than once in its object; send each key once"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			res, text := f.call(t, c.args)
			if !res.IsError {
				t.Fatalf("accepted: %s", text)
			}
			if !strings.Contains(text, "nothing was sent") {
				t.Errorf("must say nothing was sent: %s", text)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("message %q\nwant it to contain %q", text, w)
				}
			}
			if res.StructuredContent != nil {
				t.Error("error results carry no structured content")
			}
			if n := f.vendor.count(); n != 0 {
				t.Errorf("vendor got %d requests", n)
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	for _, keyed := range []bool{true, false} {
		var opts []option
		if !keyed {
			opts = append(opts, withoutKey())
		}
		f := setup(t, opts...)
		res, text := f.call(t, map[string]any{"name": "Analyst", "tools": []any{map[string]any{"name": "web_search"}}, "dry_run": true})
		if res.IsError {
			t.Fatalf("keyed=%v: %s", keyed, text)
		}
		s := structuredOf(t, res)
		req, _ := s["request"].(map[string]any)
		headers, _ := req["headers"].(map[string]any)
		if s["dry_run"] != true || req["method"] != "POST" || !strings.HasSuffix(req["url"].(string), "/v1/agents") {
			t.Errorf("preview = %v", s)
		}
		wantAuth := "Bearer [REDACTED]"
		if !keyed {
			wantAuth = "Bearer ${DATAGRID_API_KEY}"
			if m, _ := s["missing_credentials"].([]any); len(m) != 1 || m[0] != "DATAGRID_API_KEY" {
				t.Errorf("missing_credentials = %v", s["missing_credentials"])
			}
		}
		if headers["Authorization"] != wantAuth {
			t.Errorf("keyed=%v: Authorization = %v", keyed, headers["Authorization"])
		}
		body, _ := json.Marshal(req["body"])
		if string(body) != `{"name":"Analyst","tools":["web_search"]}` {
			t.Errorf("previewed body = %s", body)
		}
		if f.vendor.count() != 0 {
			t.Error("dry run sent a request")
		}
		if e := f.journal.Outcomes(); len(e) != 1 || e[0].Outcome != journal.OutcomePreview || !e[0].DryRun {
			t.Errorf("journal = %+v", e)
		}
	}
}

// With --header-credentials a dry run without the key names the header to
// send, in the placeholder too: the server reads no variable then.
func TestDryRunWithHeaderCredentials(t *testing.T) {
	f := setup(t, func(d *tools.Deps, _ map[string]string) { d.HeaderCredentials = true })
	res, text := f.call(t, map[string]any{"name": "Analyst", "dry_run": true})
	if res.IsError {
		t.Fatal(text)
	}
	s := structuredOf(t, res)
	req, _ := s["request"].(map[string]any)
	headers, _ := req["headers"].(map[string]any)
	if got := headers["Authorization"]; got != "Bearer ${X-Datagrid-Api-Key}" {
		t.Errorf("Authorization = %v, want the header named", got)
	}
	if m, _ := s["missing_credentials"].([]any); len(m) != 1 || m[0] != "the X-Datagrid-Api-Key header" {
		t.Errorf("missing_credentials = %v", s["missing_credentials"])
	}
}

// --dry-run previews every call. A create asked for is told why it got a
// preview; a preview asked for needs no such word.
func TestServerWideDryRun(t *testing.T) {
	f := setup(t, func(d *tools.Deps, _ map[string]string) { d.DryRunOnly = true })
	const why = "no agent was created, because this server runs with --dry-run (AGENTMCP_DRY_RUN)"
	for _, c := range []struct {
		args map[string]any
		told bool
	}{
		{map[string]any{"name": "x"}, true},
		{map[string]any{"name": "x", "dry_run": false}, true},
		{map[string]any{"name": "x", "dry_run": true}, false},
	} {
		res, text := f.call(t, c.args)
		if res.IsError || structuredOf(t, res)["dry_run"] != true || f.vendor.count() != 0 {
			t.Fatalf("--dry-run must preview every call: %s", text)
		}
		if strings.Contains(text, why) != c.told {
			t.Errorf("%v: told why = %v, want %v: %s", c.args, !c.told, c.told, text)
		}
	}
}

func TestMissingKey(t *testing.T) {
	f := setup(t, withoutKey())
	res, text := f.call(t, map[string]any{"name": "x"})
	if !res.IsError || !strings.Contains(text, "set DATAGRID_API_KEY") || !strings.Contains(text, "dry_run works without them") {
		t.Fatalf("result = %s", text)
	}
	if f.vendor.count() != 0 {
		t.Error("sent without a key")
	}
}

func TestVendorErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   []string
		reqs   int
	}{
		{"400 with message", 400, `{"error":"invalid_request","message":"tools not supported by llm-only"}`, []string{"HTTP 400", "tools not supported by llm-only"}, 1},
		{"401 names the credential", 401, `{"message":"Invalid API key"}`, []string{"HTTP 401", "Invalid API key", "Check that DATAGRID_API_KEY is valid"}, 1},
		{"401 quoting the key", 401, `{"message":"Invalid API key ` + canary + `"}`, []string{"HTTP 401", "Invalid API key [REDACTED]"}, 1},
		{"500 is an unknown outcome, not retried", 500, `{"message":"db down"}`, []string{"outcome unknown", `"x"`, "GET", "/v1/agents"}, 1},
		{"non-JSON success", 201, `<html>created</html>`, []string{"could not be read", "outcome unknown"}, 1},
		{"HTML error page", 404, `<html><h1>Not Found</h1></html>`, []string{"HTTP 404", "<html><h1>Not Found</h1></html>"}, 1},
		{"request id quoting the key", 403, `{"message":"forbidden"}`, []string{"HTTP 403", "request id rid-[REDACTED]"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			f.vendor.answer = func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Request-Id", "rid-"+canary)
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}
			res, text := f.call(t, map[string]any{"name": "x"})
			if !res.IsError {
				t.Fatalf("not an error: %s", text)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q lacks %q", text, w)
				}
			}
			if f.vendor.count() != c.reqs {
				t.Errorf("requests = %d, want %d", f.vendor.count(), c.reqs)
			}
			if e := f.journal.Outcomes(); len(e) != 1 || e[0].Error == "" || e[0].Outcome == journal.OutcomeCreated {
				t.Errorf("journal = %+v", e)
			} else if b, _ := json.Marshal(e[0]); strings.Contains(string(b), canary) {
				t.Errorf("the journal entry shows the API key: %s", b)
			}
		})
	}
}

// An agent created without a name cannot be looked up by one: the advice
// on an unknown outcome says to look for the newest unnamed agent, and
// nothing about a name.
func TestUnknownOutcomeOfAnUnnamedAgent(t *testing.T) {
	f := setup(t)
	f.vendor.answer = func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`{"message":"bad gateway"}`))
	}
	res, text := f.call(t, map[string]any{})
	if !res.IsError || !strings.Contains(text, "outcome unknown") || !strings.Contains(text, "look for a new agent without a name") {
		t.Fatalf("want an unknown outcome advising to look for the newest unnamed agent: %s", text)
	}
	if _, advice, _ := strings.Cut(text, "Do not simply call the tool again"); strings.Contains(advice, "that name") {
		t.Errorf("the advice asks for a name the agent does not have: %s", advice)
	}
}

// The preview shows the body as sent: & < > are not escaped.
func TestDryRunShowsTheBytesSent(t *testing.T) {
	f := setup(t)
	res, text := f.call(t, map[string]any{"name": "<R&D>", "dry_run": true})
	if res.IsError || !strings.Contains(text, `"body":{"name":"<R&D>"}`) {
		t.Errorf("want the name as sent: %s", text)
	}
}

// Text the decoder would silently replace with U+FFFD is refused, not sent.
func TestBrokenTextIsRefused(t *testing.T) {
	f := setup(t)
	res, text := f.call(t, json.RawMessage(`{"name":"a\ud800b"}`))
	if !res.IsError || !strings.Contains(text, `\ud800 is half of a UTF-16 surrogate pair`) || f.vendor.count() != 0 {
		t.Errorf("want a refusal with nothing sent (%d requests): %s", f.vendor.count(), text)
	}
}

// A second dry_run must not quietly turn a preview into a create.
func TestRepeatedDryRunIsRefused(t *testing.T) {
	f := setup(t)
	for _, args := range []string{
		`{"dry_run":true,"name":"Analyst","dry_run":false}`,
		`{"dry_run":true,"name":"Analyst","dry\u005frun":false}`, // the same key, escaped
	} {
		res, text := f.call(t, json.RawMessage(args))
		if !res.IsError || !strings.Contains(text, "dry_run appears more than once") || f.vendor.count() != 0 {
			t.Errorf("%s: want a refusal with nothing sent (%d requests): %s", args, f.vendor.count(), text)
		}
	}
}

// A key given twice in one object is refused: the schema checks only its
// last value, while the decoder merges two objects into one struct.
func TestRepeatedKeyIsRefused(t *testing.T) {
	f := setup(t)
	for args, at := range map[string]string{
		`{"name":"A","name":"B"}`: "/name",
		`{"name":"A","corpus":[{"type":"page","page_id":"p1"},{"type":"page","page_id":"p2","page_id":"p3"}]}`: "/corpus/1/page_id",
		`{"name":"A","tools":[{"name":"charts","connection_id":"c"}],"tools":[]}`:                              "/tools",
	} {
		res, text := f.call(t, json.RawMessage(args))
		if !res.IsError || !strings.Contains(text, at+" appears more than once") || f.vendor.count() != 0 {
			t.Errorf("%s: want %s refused with nothing sent (%d requests): %s", args, at, f.vendor.count(), text)
		}
	}
	// The same key in different objects is no repeat.
	if res, text := f.call(t, json.RawMessage(`{"name":"A","corpus":[{"type":"page","page_id":"p1"},{"type":"page","page_id":"p2"}],"dry_run":true}`)); res.IsError {
		t.Errorf("keys of different objects: %s", text)
	}
}

// One refusal names every problem: a value that does not fit its field
// does not hide the provider's checks of the other fields.
func TestRefusalNamesEveryField(t *testing.T) {
	f := setup(t)
	for _, args := range []string{
		`{"name":5,"corpus":[{"type":"page"}]}`,
		`{"tools":["charts"],"corpus":[{"type":"page"}]}`,
	} {
		res, text := f.call(t, json.RawMessage(args))
		if !res.IsError || !strings.Contains(text, "/corpus/0") || f.vendor.count() != 0 {
			t.Errorf("%s: want /corpus/0 named too, nothing sent: %s", args, text)
		}
	}
}

// setupKeyFile serves datagrid with its key in file; seen lists the
// Authorization headers the vendor received.
func setupKeyFile(t *testing.T, file string, opts ...option) (f *fixture, seen func() []string) {
	t.Helper()
	f = setup(t, append(opts, func(_ *tools.Deps, env map[string]string) {
		delete(env, datagrid.EnvAPIKey)
		env[datagrid.EnvAPIKey+"_FILE"] = file
	})...)
	var mu sync.Mutex
	var got []string
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9"}`))
	}
	f.vendor.mu.Unlock()
	return f, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// A key from a <VAR>_FILE is read again on every call: a rotated secret
// takes effect without a restart, and a file emptied or gone missing leaves
// the key read before.
func TestKeyFileIsReadEachCall(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte("key-one-1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, seen := setupKeyFile(t, file)
	call := func() {
		if res, text := f.call(t, map[string]any{"name": "Analyst"}); res.IsError {
			t.Fatal(text)
		}
	}
	call()
	if err := os.WriteFile(file, []byte("key-two-5678\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	call()
	if err := os.WriteFile(file, nil, 0o600); err != nil { // emptied mid-rotation
		t.Fatal(err)
	}
	call()
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	call()
	want := []string{"Bearer key-one-1234", "Bearer key-two-5678", "Bearer key-two-5678", "Bearer key-two-5678"}
	if !slices.Equal(seen(), want) {
		t.Errorf("keys sent %q, want %q", seen(), want)
	}
	if !strings.Contains(f.logs.String(), "credential file unreadable") {
		t.Error("no warning that the key file could not be read")
	}
}

// A refused key read from a <VAR>_FILE is named by that variable: the
// operator has no DATAGRID_API_KEY to check.
func TestRefusedKeyFromAFileNamesTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte("key-one-1234"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _ := setupKeyFile(t, file)
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Invalid API key"}`))
	}
	f.vendor.mu.Unlock()
	res, text := f.call(t, map[string]any{"name": "Analyst"})
	if want := "Check that the key in the file DATAGRID_API_KEY_FILE names is valid"; !res.IsError || !strings.Contains(text, want) {
		t.Errorf("want %q: %s", want, text)
	}
}

// A rotated key is masked like the key read at start: a vendor that echoes
// the key it was sent must not show the new one.
func TestRotatedKeyIsMasked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, _ := setupKeyFile(t, file)
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"error":"bad_request","message":"rejected %s"}`, r.Header.Get("Authorization"))
	}
	f.vendor.mu.Unlock()
	for _, key := range []string{"key-one-1234", "key-two-5678"} {
		if err := os.WriteFile(file, []byte(key), 0o600); err != nil {
			t.Fatal(err)
		}
		res, text := f.call(t, map[string]any{"name": "Analyst"})
		if !res.IsError || !strings.Contains(text, "rejected Bearer") {
			t.Fatalf("want the vendor's refusal: %s", text)
		}
		if strings.Contains(text, key) {
			t.Errorf("the key %s read from the file shows in the result", key)
		}
	}
}

// A key file empty at start (a secret not written yet), or emptied while it
// is rewritten, is read again: the key written later is used, and an empty
// read leaves the key read before.
func TestKeyFileEmptyAtStartOrMidRotation(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, seen := setupKeyFile(t, file)
	// Setting DATAGRID_API_KEY beside its _FILE would stop the server from
	// starting: the advice is the file alone.
	if res, text := f.call(t, map[string]any{"name": "Analyst"}); !res.IsError || !strings.Contains(text, "the file DATAGRID_API_KEY_FILE names holds no key: write the key into it (it is read on every call") ||
		strings.Contains(text, "set DATAGRID_API_KEY") {
		t.Errorf("empty key file: want a refusal naming the file variable, saying it is read on every call, and nothing else to set: %s", text)
	}
	// A dry run gives the same advice, and lists the file's variable.
	res, text := f.call(t, map[string]any{"name": "Analyst", "dry_run": true})
	if m, _ := structuredOf(t, res)["missing_credentials"].([]any); res.IsError || len(m) != 1 || m[0] != "DATAGRID_API_KEY_FILE" ||
		!strings.Contains(text, "Before a real call, the file DATAGRID_API_KEY_FILE names holds no key") {
		t.Errorf("empty key file, dry run: want DATAGRID_API_KEY_FILE listed and the file named: %s", text)
	}
	if err := os.WriteFile(file, []byte("key-late-1234"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, text := f.call(t, map[string]any{"name": "Analyst"}); res.IsError {
		t.Fatalf("key written after start: %s", text)
	}
	if got := seen(); !slices.Equal(got, []string{"Bearer key-late-1234"}) {
		t.Errorf("keys sent %q", got)
	}
}

// "arguments": null is no arguments, as an omitted "arguments" is.
func TestNullArgumentsAreNone(t *testing.T) {
	f := setup(t)
	if res, text := f.call(t, json.RawMessage(`null`)); res.IsError || f.vendor.count() != 1 {
		t.Errorf("want a create (%d requests): %s", f.vendor.count(), text)
	}
}

// Arguments with thousands of problems get the first providers.MaxListed and
// a count of the rest, not a message as long as the arguments.
func TestManyProblemsAreCapped(t *testing.T) {
	f := setup(t)
	args := map[string]any{"name": "x"}
	for i := range 5000 {
		args[fmt.Sprintf("k%04d", i)] = 1
	}
	res, text := f.call(t, args)
	if !res.IsError || f.vendor.count() != 0 {
		t.Fatalf("want a refusal with nothing sent: %.300s", text)
	}
	if n := strings.Count(text, "\n- "); n != providers.MaxListed+1 {
		t.Errorf("%d problem lines, want %d and a count", n, providers.MaxListed+1)
	}
	if want := fmt.Sprintf("- …: %d more problems not listed", 5000-providers.MaxListed); !strings.Contains(text, want) || !strings.Contains(text, "- /k0000: unknown argument") {
		t.Errorf("want the first keys and %q: %.2000s", want, text)
	}
}

// An unknown key is shown clipped: a key as long as the arguments must not
// come back whole in the message.
func TestLongUnknownKeyIsClipped(t *testing.T) {
	f := setup(t)
	key := "k" + strings.Repeat("x", 20000)
	res, text := f.call(t, map[string]any{"name": "x", key: 1})
	if !res.IsError || f.vendor.count() != 0 {
		t.Fatalf("want a refusal with nothing sent: %.300s", text)
	}
	if !strings.Contains(text, "- /kxxx") || !strings.Contains(text, "…: unknown argument") || len(text) > 2000 {
		t.Errorf("want the key clipped, in a short message (%d bytes): %.500s", len(text), text)
	}
}

// A null stands for "not given" (an optional field is then left out), so a
// required field given as null is reported as missing, saying why.
func TestRequiredFieldGivenAsNull(t *testing.T) {
	f := setup(t)
	res, text := f.call(t, json.RawMessage(`{"name":null,"tools":[{"name":null}]}`))
	if !res.IsError || f.vendor.count() != 0 {
		t.Fatalf("want a refusal with nothing sent: %s", text)
	}
	if want := "/tools/0/name: null counts as not given: missing (required)"; !strings.Contains(text, want) {
		t.Errorf("want %q: %s", want, text)
	}
	if strings.Contains(text, "- /name") {
		t.Errorf("an optional field given as null is not a problem: %s", text)
	}
}

// dry_run: null (a script's unset flag) is refused, not read as false: a
// preview that may have been meant must not become a create.
func TestNullDryRunIsRefused(t *testing.T) {
	f := setup(t)
	res, text := f.call(t, json.RawMessage(`{"name":"x","dry_run":null}`))
	if !res.IsError || !strings.Contains(text, "/dry_run") || f.vendor.count() != 0 {
		t.Errorf("want a refusal naming /dry_run, nothing sent (%d requests): %s", f.vendor.count(), text)
	}
}

// Without --header-credentials a key header is refused, a preview too (the
// request it would show is never sent), and the advice fits a server that
// has no key of its own.
func TestKeyHeaderRefusalAdvice(t *testing.T) {
	for _, c := range []struct {
		serverKey bool
		want      string
	}{
		{true, "would use its own key instead"},
		{false, "has no Datagrid key of its own"},
	} {
		env := map[string]string{datagrid.EnvBaseURL: "http://127.0.0.1:9/v1"}
		if c.serverKey {
			env[datagrid.EnvAPIKey] = canary
		}
		p, err := datagrid.New(providers.MapEnv(env))
		if err != nil {
			t.Fatal(err)
		}
		tool, err := tools.New(p, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: providers.MapEnv(env), Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		for _, dryRun := range []bool{false, true} {
			var req mcp.CallToolRequest
			req.Params.Name = tool.Tool.Name
			req.Params.Arguments = map[string]any{"name": "a", "dry_run": dryRun}
			req.Header = http.Header{"X-Datagrid-Api-Key": {"key-of-the-caller"}}
			res, err := tool.Handler(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if text := tools.ResultText(res); !res.IsError || !strings.Contains(text, c.want) {
				t.Errorf("server key %v, dry run %v: want a refusal saying %q: %s", c.serverKey, dryRun, c.want, text)
			}
		}
	}
}

// diskFullOn fails the journal's writes of entries with outcome, as a full
// disk would.
func diskFullOn(outcome string) func(journal.Entry) error {
	return func(e journal.Entry) error {
		if e.Outcome == outcome {
			return errors.New("journal: write: no space left on device")
		}
		return nil
	}
}

// A create whose "sending" entry cannot be journaled is not sent: if the
// process then died, nothing would say the agent may exist.
func TestUnjournaledCreateIsNotSent(t *testing.T) {
	f := setup(t)
	f.journal.Fail = diskFullOn(journal.OutcomeSending)
	res, text := f.call(t, map[string]any{"name": "x"})
	if !res.IsError || !strings.Contains(text, "no space left on device), so nothing was sent") {
		t.Errorf("want the call refused for the journal: %s", text)
	}
	if n := f.vendor.count(); n != 0 {
		t.Errorf("the vendor got %d requests", n)
	}
	if e := f.journal.Entries(); len(e) != 1 || e[0].Outcome != journal.OutcomeNotSent {
		t.Errorf("journal = %+v, want one not_sent entry", e)
	}
}

// A create whose outcome cannot be journaled still returns the agent, and
// says the result is now the only record of its id.
func TestUnjournaledOutcomeSaysKeepThisID(t *testing.T) {
	f := setup(t)
	f.journal.Fail = diskFullOn(journal.OutcomeCreated)
	res, text := f.call(t, map[string]any{"name": "Analyst"})
	if res.IsError || structuredOf(t, res)["agent_id"] != "agt_9" {
		t.Fatalf("want the created agent: %s", text)
	}
	if !strings.Contains(text, "agt_9") || !strings.Contains(text, "keep this id") {
		t.Errorf("want the summary to say to keep agt_9: %s", text)
	}
}

// An unknown outcome that names an agent, which the journal cannot record,
// says so too: its "sending" entry does not hold the id.
func TestUnjournaledUnknownOutcomeSaysKeepTheID(t *testing.T) {
	f := setup(t)
	f.journal.Fail = diskFullOn(journal.OutcomeUnknown)
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		// Cut after the id: the length promises more than is sent.
		w.Header().Set("Content-Length", "200")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9","name":"Ana`))
	}
	f.vendor.mu.Unlock()
	res, text := f.call(t, map[string]any{"name": "Analyst"})
	if !res.IsError || !strings.Contains(text, "outcome unknown") {
		t.Fatalf("want an unknown outcome: %s", text)
	}
	if !strings.Contains(text, "keep the id agt_9") {
		t.Errorf("want the result to say to keep agt_9: %s", text)
	}
}

// A client that sent a progressToken hears, while the vendor takes its time,
// that the call still waits, so one that resets its timeout on progress
// waits up to --timeout; one without a token hears nothing.
func TestProgressHeartbeatWhileTheVendorIsSlow(t *testing.T) {
	f := setup(t, func(d *tools.Deps, _ map[string]string) { d.ProgressHeartbeat = 20 * time.Millisecond })
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9","name":"Analyst"}`))
	}
	f.vendor.mu.Unlock()
	var mu sync.Mutex
	var got []mcp.JSONRPCNotification
	f.client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
		}
	})
	for _, token := range []mcp.ProgressToken{nil, "p1"} {
		mu.Lock()
		got = nil
		mu.Unlock()
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_agent_datagrid"
		req.Params.Arguments = map[string]any{"name": fmt.Sprint("Analyst ", token)}
		if token != nil {
			req.Params.Meta = &mcp.Meta{ProgressToken: token}
		}
		res, err := f.client.CallTool(context.Background(), req)
		if err != nil || res.IsError {
			t.Fatalf("token %v: %v %s", token, err, tools.ResultText(res))
		}
		mu.Lock()
		notes := slices.Clone(got)
		mu.Unlock()
		if token == nil {
			if len(notes) != 0 {
				t.Errorf("no token, yet %d progress notifications", len(notes))
			}
			continue
		}
		if len(notes) < 2 {
			t.Fatalf("token %v: %d progress notifications while the vendor took 300 ms, want a heartbeat every 20 ms", token, len(notes))
		}
		last := 0.0
		for _, n := range notes {
			p := n.Params.AdditionalFields
			value, err := strconv.ParseFloat(fmt.Sprint(p["progress"]), 64)
			if err != nil {
				t.Fatalf("progress %v: %v", p["progress"], err)
			}
			if p["progressToken"] != token || value <= last || !strings.Contains(fmt.Sprint(p["message"]), "waiting for Datagrid to answer") {
				t.Errorf("notification %v after progress %v: want token %v, a larger progress and the wait", p, last, token)
			}
			last = value
		}
	}
}

// A call with a progressToken that waits for an identical call in progress
// hears so too, and then gets that call's agent.
func TestProgressHeartbeatWhileWaitingForAnIdenticalCall(t *testing.T) {
	f := setup(t, withDedupe(time.Minute), func(d *tools.Deps, _ map[string]string) { d.ProgressHeartbeat = 20 * time.Millisecond })
	arrived := make(chan struct{}, 1)
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9","name":"Analyst"}`))
	}
	f.vendor.mu.Unlock()
	var mu sync.Mutex
	var notes []string
	f.client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" && n.Params.AdditionalFields["progressToken"] == "w" {
			mu.Lock()
			notes = append(notes, fmt.Sprint(n.Params.AdditionalFields["message"]))
			mu.Unlock()
		}
	})
	leader := f.callInBackground(context.Background(), "Analyst")
	<-arrived
	req := mcp.CallToolRequest{}
	req.Params.Name = "create_agent_datagrid"
	req.Params.Arguments = map[string]any{"name": "Analyst"}
	req.Params.Meta = &mcp.Meta{ProgressToken: "w"}
	res, err := f.client.CallTool(context.Background(), req)
	<-leader
	if err != nil || res.IsError || structuredOf(t, res)["already_created"] != true {
		t.Fatalf("want the leader's agent: %v %s", err, tools.ResultText(res))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notes) < 2 || !strings.Contains(notes[0], "waiting for an identical call (same arguments) to end") {
		t.Errorf("progress while waiting for the identical call: %q", notes)
	}
	if n := f.vendor.count(); n != 1 {
		t.Errorf("the vendor got %d requests, want 1", n)
	}
}

// wrappedClient serves the Datagrid tool of wrap(the provider), its key the
// canary and its vendor unreachable, journaling to jr when it is not nil,
// and returns an initialized client of it.
func wrappedClient(t *testing.T, wrap func(*datagrid.Provider) providers.Provider[datagrid.Request], jr *journaltest.Recorder) *client.Client {
	t.Helper()
	env := providers.MapEnv(map[string]string{datagrid.EnvAPIKey: canary, datagrid.EnvBaseURL: "http://127.0.0.1:9/v1"})
	p, err := datagrid.New(env)
	if err != nil {
		t.Fatal(err)
	}
	deps := tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env, Logger: zerolog.Nop()}
	if jr != nil {
		deps.Journal = jr
	}
	tool, err := tools.New(wrap(p), deps)
	if err != nil {
		t.Fatal(err)
	}
	return inProcessClient(t, tool)
}

// panicky is a Datagrid provider with a bug: its Check panics.
type panicky struct{ *datagrid.Provider }

func (panicky) Check(*datagrid.Request) providers.FieldErrors { panic("provider bug") }

// A panic in a provider becomes an isError the model can read, and the
// server keeps serving.
func TestPanickingHandlerIsAnError(t *testing.T) {
	cl := wrappedClient(t, func(p *datagrid.Provider) providers.Provider[datagrid.Request] { return panicky{p} }, nil)
	ctx := context.Background()
	req := mcp.CallToolRequest{}
	req.Params.Name = "create_agent_datagrid"
	req.Params.Arguments = map[string]any{"name": "x", "dry_run": true}
	res, err := cl.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("a panic became a protocol error, which the model does not see: %v", err)
	}
	if !res.IsError || len(res.Content) == 0 {
		t.Fatalf("want an isError result: %+v", res)
	}
	if tc, ok := res.Content[0].(mcp.TextContent); !ok || !strings.Contains(tc.Text, "internal error") {
		t.Errorf("want the result to say internal error: %+v", res.Content)
	}
	if _, err := cl.ListTools(ctx, mcp.ListToolsRequest{}); err != nil {
		t.Errorf("the server stopped serving after the panic: %v", err)
	}
}

// leakyBuild is a Datagrid provider whose Build fails quoting the key, as a
// signing library's error might.
type leakyBuild struct{ *datagrid.Provider }

func (leakyBuild) Build(_ *datagrid.Request, creds providers.Credentials, _ providers.Attempt) (*providers.Outgoing, error) {
	return nil, errors.New("cannot sign with key " + creds.Get("api_key").Reveal())
}

// The client passes a build error on as it is: the adapter masks the keys
// in it, in the result of a create and of a preview, and in the journal.
func TestBuildErrorShowsNoKey(t *testing.T) {
	jr := &journaltest.Recorder{}
	cl := wrappedClient(t, func(p *datagrid.Provider) providers.Provider[datagrid.Request] { return leakyBuild{p} }, jr)
	for _, dryRun := range []bool{false, true} {
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_agent_datagrid"
		req.Params.Arguments = map[string]any{"name": "x", "dry_run": dryRun}
		res, err := cl.CallTool(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if text := tools.ResultText(res); !res.IsError || !strings.Contains(text, "cannot sign") || strings.Contains(text, canary) {
			t.Errorf("dry_run %v: want the build error with the key masked: %s", dryRun, text)
		}
	}
	entries := jr.Entries()
	if len(entries) == 0 {
		t.Fatal("the failed create was not journaled")
	}
	for _, e := range entries {
		if strings.Contains(e.Error, canary) {
			t.Errorf("the journal's %s entry shows the key", e.Outcome)
		}
	}
}

// A vendor message is clipped to 1,000 characters; a key it echoes across
// the cut must not show in part.
func TestEchoedKeyCutByClipping(t *testing.T) {
	f := setup(t)
	f.vendor.answer = func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"message":"%s%s is not a valid key"}`, strings.Repeat("x", 990), canary)
	}
	res, text := f.call(t, map[string]any{"name": "x"})
	if !res.IsError || !strings.Contains(text, "HTTP 401") {
		t.Fatalf("want the 401: %s", text)
	}
	part := canary[:8] // the clip leaves its first 10 characters
	if strings.Contains(text, part) {
		t.Errorf("the result shows part of the key")
	}
	if e := f.journal.Outcomes(); len(e) != 1 || strings.Contains(e[0].Error, part) {
		t.Errorf("the journal shows part of the key, or no outcome: %d entries", len(e))
	}
}

func TestRateLimitIsRetried(t *testing.T) {
	f := setup(t)
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		if f.vendor.count() == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"agt_2"}`))
	}
	res, text := f.call(t, map[string]any{"name": "x"})
	if res.IsError || f.vendor.count() != 2 {
		t.Fatalf("requests %d: %s", f.vendor.count(), text)
	}
	if e := f.journal.Outcomes(); e[0].Attempts != 2 {
		t.Errorf("journal attempts = %d", e[0].Attempts)
	}
}

// A 429 whose Retry-After does not fit in --timeout ends the call at once,
// "no agent was created". The vendor's wait is what the model needs to call
// again at the right time: the result must carry it.
func TestRateLimitGiveUpSaysWhenToRetry(t *testing.T) {
	f := setup(t)
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"status_code":429,"error":"rate_limit_exceeded","message":"Rate limit exceeded"}`))
	}
	res, text := f.call(t, map[string]any{"name": "Analyst"})
	if !res.IsError || !strings.Contains(text, "no agent was created") {
		t.Fatalf("got:\n%s", text)
	}
	if !strings.Contains(text, "1h0m0s") && !strings.Contains(text, "3600") {
		t.Errorf("the vendor's Retry-After (3600 s) is not in the result:\n%s", text)
	}

	// An absurd wait is not shown as the cap it was clipped to.
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "99999999999")
		w.WriteHeader(http.StatusTooManyRequests)
	}
	if _, text = f.call(t, map[string]any{"name": "Analyst"}); !strings.Contains(text, "asked to wait more than a day") {
		t.Errorf("want a wait of over a day said as such:\n%s", text)
	}
}

func withDedupe(window time.Duration) option {
	return func(d *tools.Deps, _ map[string]string) { d.DedupeWindow = window }
}

// A client that sends a create again (its answer was lost) gets the agent the
// first made, not a second one; a call that differs, or a dry run, is not a
// repeat.
func TestIdenticalCreateIsNotSentTwice(t *testing.T) {
	f := setup(t, withDedupe(time.Minute))
	args := map[string]any{"name": "Analyst", "temperature": 0.5}
	first, text := f.call(t, args)
	if first.IsError {
		t.Fatalf("first: %s", text)
	}
	// The same arguments, written in another order and spacing.
	again, text := f.call(t, map[string]any{"temperature": 0.50, "name": "Analyst"})
	s := structuredOf(t, again)
	if again.IsError || s["agent_id"] != "agt_9" || s["already_created"] != true || f.vendor.count() != 1 {
		t.Fatalf("repeat: isError %v, structured %v, vendor requests %d", again.IsError, s, f.vendor.count())
	}
	if !strings.HasPrefix(text, "Not sent again: an identical call") || !strings.Contains(text, `Created Datagrid agent "Analyst" with id agt_9.`) {
		t.Errorf("repeat's summary: %s", text)
	}
	if _, ok := structuredOf(t, first)["already_created"]; ok {
		t.Errorf("the create itself says already_created")
	}
	if n := len(f.journal.Entries()); n != 2 {
		t.Errorf("journal has %d entries, want the create's 2 (sending, created) and none for the repeat", n)
	}
	if res, text := f.call(t, map[string]any{"name": "Analyst", "temperature": 0.5, "dry_run": true}); res.IsError || structuredOf(t, res)["dry_run"] != true {
		t.Errorf("dry run of the same arguments: %s", text)
	}
	if res, text := f.call(t, map[string]any{"name": "Analyst 2", "temperature": 0.5}); res.IsError || f.vendor.count() != 2 {
		t.Errorf("another name was not sent: %s", text)
	}
}

// With --header-credentials, identical calls carrying different keys are two
// accounts asking: each gets its own create, with its own key, never the
// other's agent. The same key calling again is a repeat as usual.
func TestHeaderCallersNeverShareAnAgent(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Authorization"))
		n := len(keys)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"object":"agent","id":"agt_%d","name":"Analyst"}`, n)
	}))
	defer srv.Close()
	env := providers.MapEnv(map[string]string{datagrid.EnvBaseURL: srv.URL + "/v1"})
	p, err := datagrid.New(env)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := tools.New(p, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env, HeaderCredentials: true,
		Timeout: 5 * time.Second, DedupeWindow: 10 * time.Minute, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	call := func(key string) map[string]any {
		t.Helper()
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_agent_datagrid"
		req.Params.Arguments = map[string]any{"name": "Analyst"}
		req.Header = http.Header{"X-Datagrid-Api-Key": {key}}
		res, err := tool.Handler(context.Background(), req)
		if err != nil || res.IsError {
			t.Fatalf("call with key %s: %v %s", key, err, tools.ResultText(res))
		}
		return structuredOf(t, res)
	}
	alice, bob, again := call("dummy-key-alice"), call("dummy-key-bob"), call("dummy-key-alice")
	if want := []string{"Bearer dummy-key-alice", "Bearer dummy-key-bob"}; !slices.Equal(keys, want) {
		t.Errorf("the vendor got keys %q, want %q", keys, want)
	}
	if alice["agent_id"] != "agt_1" || bob["agent_id"] != "agt_2" || bob["already_created"] == true {
		t.Errorf("alice %v, bob %v: bob must get an agent of his own", alice, bob)
	}
	if again["agent_id"] != "agt_1" || again["already_created"] != true {
		t.Errorf("alice again: %v, want her own agent, not sent again", again)
	}
}

// After an unknown outcome (a 500: the agent may exist), a model that calls
// again anyway is told so, not sent to make a second agent; a failure that
// created nothing is sent again.
func TestRepeatAfterAnUnknownOutcomeIsNotSent(t *testing.T) {
	f := setup(t, withDedupe(time.Minute))
	f.vendor.answer = func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"db down"}`))
	}
	args := map[string]any{"name": "Analyst"}
	if res, text := f.call(t, args); !res.IsError || !strings.Contains(text, "outcome unknown") {
		t.Fatalf("first: %s", text)
	}
	res, text := f.call(t, args)
	if !res.IsError || f.vendor.count() != 1 || !strings.HasPrefix(text, "Not sent again") || !strings.Contains(text, "outcome unknown") {
		t.Fatalf("repeat: isError %v, vendor requests %d, %s", res.IsError, f.vendor.count(), text)
	}
	f.vendor.answer = func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"bad name"}`))
	}
	for range 2 {
		f.call(t, map[string]any{"name": "Other"})
	}
	if n := f.vendor.count(); n != 3 {
		t.Errorf("a refused create was not sent again: %d requests, want 3", n)
	}
}

func TestEveryCreateIsSentWithoutDedupe(t *testing.T) {
	f := setup(t)
	for range 2 {
		if res, text := f.call(t, map[string]any{"name": "Analyst"}); res.IsError {
			t.Fatal(text)
		}
	}
	if n := f.vendor.count(); n != 2 {
		t.Errorf("vendor got %d requests, want 2", n)
	}
}

// Identical calls to a vendor that cannot be reached (its connections hang
// until --timeout) all end with the first one's failure, within --timeout as
// without the window: a call that waited for one that sent nothing is not
// sent after it, in turn.
func TestIdenticalCallsToAnUnreachableVendorShareTheFailure(t *testing.T) {
	var dials atomic.Int32
	f := setup(t, withDedupe(time.Minute), func(d *tools.Deps, _ map[string]string) {
		d.Timeout = 300 * time.Millisecond
		d.Client.HTTP = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			dials.Add(1)
			<-ctx.Done() // a connection that never opens
			return nil, ctx.Err()
		}}}
	})
	const n = 4
	texts := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, text := f.call(t, map[string]any{"name": "Analyst"})
			texts[i] = text
			if !res.IsError {
				t.Errorf("call %d: not an error: %s", i, text)
			}
		})
	}
	wg.Wait()
	shared := 0
	for _, text := range texts {
		if strings.HasPrefix(text, "Not sent again") && strings.Contains(text, "was not reached") {
			shared++
		}
	}
	if shared != n-1 {
		t.Errorf("%d of %d identical calls got the first one's failure, want %d (vendor dials: %d):\n%s", shared, n, n-1, dials.Load(), strings.Join(texts, "\n"))
	}
}

// A call whose client gives up while it waits to retry a 429 ends its own
// create; an identical call waiting for it was not cancelled, and is sent.
func TestWaiterOfACallItsClientCancelledIsSent(t *testing.T) {
	f := setup(t, withDedupe(time.Minute), func(d *tools.Deps, _ map[string]string) { d.Client.Sleep = nil })
	first := make(chan struct{})
	var n atomic.Int32
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			close(first)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9","name":"Analyst"}`))
	}
	f.vendor.mu.Unlock()
	if got := f.waiterOfACancelledCall(t, first, nil); got != "created agt_9" {
		t.Errorf("the waiter, which was not cancelled, got: %s", got)
	}
}

// waiterOfACancelledCall starts a create of "Analyst" and, once the vendor
// has it (first closes), an identical call that waits for it; then the first
// call's client gives up, and between, when not nil, runs before that call
// ends. It returns what the waiter got: "created <agent id>", or its error.
func (f *fixture) waiterOfACancelledCall(t *testing.T, first <-chan struct{}, between func()) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := f.callInBackground(ctx, "Analyst")
	<-first
	waiter := make(chan string, 1)
	go func() {
		res, text := f.call(t, map[string]any{"name": "Analyst"})
		if res.IsError {
			waiter <- text
			return
		}
		waiter <- "created " + fmt.Sprint(structuredOf(t, res)["agent_id"])
	}()
	tools.WaitForIdenticalCall(t)
	cancel()
	if between != nil {
		between()
	}
	<-gaveUp
	return <-waiter
}

// The journal's writes count against --timeout: the vendor call ends so
// that the answer is due within --timeout of the call's arrival however long
// the "sending" entry took to write, keeping as long again for the outcome's.
func TestSlowJournalWriteCountsAgainstTheTimeout(t *testing.T) {
	const timeout = 2 * time.Second
	var mu sync.Mutex
	var arrived, deadline time.Time
	f := setup(t, func(d *tools.Deps, _ map[string]string) {
		d.Timeout = timeout
		next := d.Client.HTTP.Transport
		d.Client.HTTP.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			deadline, _ = r.Context().Deadline()
			mu.Unlock()
			return next.RoundTrip(r)
		})
	})
	f.journal.Fail = func(e journal.Entry) error {
		if e.Outcome == journal.OutcomeSending {
			mu.Lock()
			arrived = e.Time // the call's arrival
			mu.Unlock()
			time.Sleep(500 * time.Millisecond) // a sync on a busy disk
		}
		return nil
	}
	if res, text := f.call(t, map[string]any{"name": "Analyst"}); res.IsError {
		t.Fatalf("want the agent: %s", text)
	}
	mu.Lock()
	defer mu.Unlock()
	if limit := arrived.Add(timeout - 500*time.Millisecond); deadline.IsZero() || deadline.After(limit) {
		t.Errorf("the vendor call's deadline is %v after the call arrived; with --timeout %v and a 500ms journal write it must leave 500ms for the outcome's", deadline.Sub(arrived), timeout)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A waiter that goes ahead after the call it waited for created nothing has
// the whole --timeout for its own create, not what its wait left of it: a
// create cut short would end as an unknown outcome.
func TestWaiterThatGoesAheadHasItsWholeTimeout(t *testing.T) {
	f := setup(t, withDedupe(time.Minute), func(d *tools.Deps, _ map[string]string) { d.Timeout = 2 * time.Second; d.Client.Sleep = nil })
	first := holdFirst(t)
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		if first.hold() {
			w.WriteHeader(http.StatusTooManyRequests) // not processed: the leader made nothing
			return
		}
		time.Sleep(400 * time.Millisecond) // a create takes a moment
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9","name":"Analyst"}`))
	}
	f.vendor.mu.Unlock()
	got := f.waiterOfACancelledCall(t, first.arrived, func() {
		time.Sleep(1600 * time.Millisecond) // most of the waiter's 2 s go by
		first.release()
	})
	if got != "created agt_9" {
		t.Errorf("the waiter, sent after its wait, got: %s", got)
	}
}

// firstHeld holds a fake vendor's first request: hold, called by the
// handler, reports whether its request is the first, and then, arrived
// closed, blocks until release. release may be called more than once, and
// runs at cleanup, so that a test failing early frees the handler.
type firstHeld struct {
	n        atomic.Int32
	arrived  chan struct{}
	released chan struct{}
	once     sync.Once
}

func holdFirst(t *testing.T) *firstHeld {
	h := &firstHeld{arrived: make(chan struct{}), released: make(chan struct{})}
	t.Cleanup(h.release)
	return h
}

func (h *firstHeld) hold() bool {
	if h.n.Add(1) != 1 {
		return false
	}
	close(h.arrived)
	<-h.released
	return true
}

func (h *firstHeld) release() { h.once.Do(func() { close(h.released) }) }

// The server's own key rotated in its <VAR>_FILE (an STS token refreshed, a
// mounted secret renewed) between a create and its repeat: the account is
// the same, and the repeat gets the agent the create made.
func TestRepeatAcrossAKeyRotationGetsTheSameAgent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte("key-one-1234"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, seen := setupKeyFile(t, file, withDedupe(time.Minute))
	if res, text := f.call(t, map[string]any{"name": "Analyst"}); res.IsError {
		t.Fatal(text)
	}
	if err := os.WriteFile(file, []byte("key-two-5678"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, text := f.call(t, map[string]any{"name": "Analyst"})
	if res.IsError || structuredOf(t, res)["already_created"] != true {
		t.Errorf("repeat after the key file was rotated: %s", text)
	}
	if got := seen(); len(got) != 1 {
		t.Errorf("the vendor got %d creates for one agent asked for (keys %q)", len(got), got)
	}
}

// A call whose client gives up after the vendor has its request, and whose
// outcome is then unknown, may have made the agent: an identical call
// waiting for it gets that outcome, and is not sent as a second create.
func TestWaiterOfACancelledCallWithAnUnknownOutcomeIsNotSent(t *testing.T) {
	f := setup(t, withDedupe(time.Minute))
	first := holdFirst(t)
	f.vendor.mu.Lock()
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		first.hold()
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"status_code":500,"error":"internal_error","message":"boom"}`))
	}
	f.vendor.mu.Unlock()
	text := f.waiterOfACancelledCall(t, first.arrived, first.release)
	if n := first.n.Load(); !strings.HasPrefix(text, "Not sent again") || !strings.Contains(text, "outcome unknown") || n != 1 {
		t.Errorf("the vendor got %d creates; the waiter got: %s", n, text)
	}
}

// callInBackground creates an agent named name under ctx, and closes the
// channel it returns when the call returns.
func (f *fixture) callInBackground(ctx context.Context, name string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_agent_datagrid"
		req.Params.Arguments = map[string]any{"name": name}
		_, _ = f.client.CallTool(ctx, req)
	}()
	return done
}
