package everruns

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/journal/journaltest"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// newTool builds the tool; rec may be nil for no journal.
func newTool(t *testing.T, env map[string]string, rec *journaltest.Recorder) *tools.Tool {
	t.Helper()
	p := newProvider(t, env)
	deps := tools.Deps{Client: testClient(), Env: providers.MapEnv(env)}
	if rec != nil {
		deps.Journal = rec
	}
	tool, err := tools.New[Request](p, deps)
	if err != nil {
		t.Fatal(err)
	}
	return tool
}

func callTool(t *testing.T, tool *tools.Tool, args string) (*mcp.CallToolResult, string) {
	t.Helper()
	return callToolWithHeader(t, tool, nil, args)
}

// callToolWithHeader is callTool for a call over HTTP carrying header.
func callToolWithHeader(t *testing.T, tool *tools.Tool, header http.Header, args string) (*mcp.CallToolResult, string) {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = tools.Prefix + "everruns"
	req.Params.RawArguments = json.RawMessage(args)
	req.Header = header
	res, err := tool.Handler(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text + "\n")
		}
	}
	return res, b.String()
}

// Through the tool, the document's example is refused at /id before anything
// is sent (the schema's pattern runs before Check).
func TestToolRefusesDocumentExample(t *testing.T) {
	tool := newTool(t, map[string]string{EnvAPIKey: testKey}, nil)
	args := strings.TrimSpace(string(readFixture(t, "create_agent_request.json")))
	res, text := callTool(t, tool, strings.TrimSuffix(args, "}")+`,"dry_run":true}`)
	if !res.IsError || !strings.Contains(text, "/id") || !strings.Contains(text, "nothing was sent") {
		t.Fatalf("not refused at /id:\n%s", text)
	}
	// The provider's count of the digits, not the schema's generic "does not match pattern".
	if !strings.Contains(text, "31 hex digits") {
		t.Errorf("the refusal does not count the digits:\n%s", text)
	}
}

// TestToolDryRunSaysTheIDIsThePreviews: a preview without an id shows one
// generated for it, and says a real call makes its own; a given id is not
// called generated.
func TestToolDryRunSaysTheIDIsThePreviews(t *testing.T) {
	tool := newTool(t, map[string]string{EnvAPIKey: testKey}, &journaltest.Recorder{})
	_, text := callTool(t, tool, `{"name":"n","system_prompt":"p","dry_run":true}`)
	if !strings.Contains(text, "was generated for this preview; a real call generates its own") {
		t.Errorf("preview without an id:\n%s", text)
	}
	_, text = callTool(t, tool, `{"name":"n","system_prompt":"p","id":"agent_0123456789abcdef0123456789abcdef","dry_run":true}`)
	if strings.Contains(text, "generated") {
		t.Errorf("preview with a given id calls it generated:\n%s", text)
	}
}

// A dry run shows the generated id and the raw-key header, redacted.
func TestToolDryRun(t *testing.T) {
	rec := &journaltest.Recorder{}
	tool := newTool(t, map[string]string{EnvAPIKey: testKey, EnvOrgID: "org_1"}, rec)
	res, text := callTool(t, tool, `{"name":"Support","system_prompt":"Be helpful.","dry_run":true}`)
	if res.IsError || strings.Contains(text, testKey) {
		t.Fatalf("dry run:\n%s", text)
	}
	var out tools.DryRun
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	body, _ := out.Request.Body.(map[string]any)
	id, _ := body["id"].(string)
	if !idPattern.MatchString(id) {
		t.Fatalf("preview body without a generated id: %v", out.Request.Body)
	}
	if out.Request.URL != "https://app.everruns.com/api/v1/agents" || out.Request.Headers["Authorization"] != providers.Redacted ||
		out.Request.Headers["X-Org-Id"] != "org_1" {
		t.Fatalf("preview: %+v", out.Request)
	}
	if e := rec.Outcomes(); len(e) != 1 || e[0].AgentID != id {
		t.Fatalf("journal: %+v", rec.Entries())
	}
}

// A real call through the tool retries a 500 with the same generated id and
// journals that id.
func TestToolCreate(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(req.Body).Decode(&body)
		id, _ := body["id"].(string)
		mu.Lock()
		ids = append(ids, id)
		n := len(ids)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
			return
		}
		body["status"] = "active"
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(body)
	}))
	defer srv.Close()
	rec := &journaltest.Recorder{}
	tool := newTool(t, map[string]string{EnvAPIKey: testKey, EnvBaseURL: srv.URL + "/api"}, rec)
	res, text := callTool(t, tool, `{"name":"Support","system_prompt":"Be helpful.","capabilities":[{"ref":"current_time","config":{}}]}`)
	if res.IsError {
		t.Fatalf("create failed:\n%s", text)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || ids[0] != ids[1] || !idPattern.MatchString(ids[0]) {
		t.Fatalf("ids sent: %v", ids)
	}
	if !strings.Contains(text, ids[0]) || !strings.Contains(text, "Status: active") {
		t.Errorf("result:\n%s", text)
	}
	if e := rec.Outcomes(); len(e) != 1 || e[0].AgentID != ids[0] || e[0].Attempts != 2 || e[0].Outcome != journal.OutcomeCreated {
		t.Errorf("journal: %+v", rec.Entries())
	}
}

// Everruns upserts by id: with a given id, a call is an update as much as a
// create, and one identical to a call some minutes ago (a prompt put back
// after another) must reach Everruns, or the agent keeps the other prompt
// while the result shows this one. No second agent can come of sending it.
func TestToolSendsEveryUpsertOfAGivenID(t *testing.T) {
	var mu sync.Mutex
	agents := map[string]map[string]any{}
	sent := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		sent++
		agents[body["id"].(string)] = body
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(body)
	}))
	defer srv.Close()
	env := map[string]string{EnvAPIKey: testKey, EnvBaseURL: srv.URL + "/api"}
	tool, err := tools.New[Request](newProvider(t, env), tools.Deps{Client: testClient(), Env: providers.MapEnv(env), DedupeWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	const id = "agent_0123456789abcdef0123456789abcdef"
	for _, prompt := range []string{"Be brief.", "Be thorough.", "Be brief."} {
		if res, text := callTool(t, tool, `{"id":"`+id+`","name":"Support","system_prompt":"`+prompt+`"}`); res.IsError {
			t.Fatalf("%s: %s", prompt, text)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := agents[id]["system_prompt"]; sent != 3 || got != "Be brief." {
		t.Errorf("Everruns got %d of 3 upserts, and the agent's prompt is %q, not the last one asked for", sent, got)
	}
}

// Everruns upserts by a given id, so the result and the preview of a call with
// one say that an agent may be replaced; those of a call without one, which
// gets a fresh id, do not.
func TestAGivenIDIsSaidToReplace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(body)
	}))
	defer srv.Close()
	tool := newTool(t, map[string]string{EnvAPIKey: testKey, EnvBaseURL: srv.URL}, nil)
	const id = "agent_0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name, args, want string
		replaces         bool
	}{
		{"create with an id", `{"id":"` + id + `","name":"Support","system_prompt":"p"}`, `Created Everruns agent "Support" with id ` + id + `, or replaced the agent that already had this id.`, true},
		{"preview with an id", `{"id":"` + id + `","name":"Support","system_prompt":"p","dry_run":true}`, "would create the Everruns agent with id " + id + ", or replace the agent that already has it.", true},
		{"create without an id", `{"name":"Support","system_prompt":"p"}`, `Created Everruns agent "Support" with id agent_`, false},
		{"preview without an id", `{"name":"Support","system_prompt":"p","dry_run":true}`, "would create the Everruns agent.", false},
	} {
		res, text := callTool(t, tool, tc.args)
		if res.IsError || !strings.Contains(text, tc.want) {
			t.Errorf("%s: want %q in: %s", tc.name, tc.want, text)
		}
		if got := strings.Contains(text, "replace"); got != tc.replaces {
			t.Errorf("%s: says an agent may be replaced: %v, want %v: %s", tc.name, got, tc.replaces, text)
		}
	}
}

// A refused key read from EVERRUNS_API_KEY_FILE is named as that file's: the
// vendor's advice names EVERRUNS_API_KEY, which is not set.
func TestRefusedKeyFromAFileIsNamed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"unauthorized"}`)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(testKey), 0o600); err != nil {
		t.Fatal(err)
	}
	tool := newTool(t, map[string]string{EnvAPIKey + "_FILE": file, EnvBaseURL: srv.URL}, nil)
	res, text := callTool(t, tool, `{"name":"a","system_prompt":"p"}`)
	if want := "This call's keys: the key in the file " + EnvAPIKey + "_FILE names"; !res.IsError || !strings.Contains(text, want) || !strings.Contains(text, "not a Bearer token") {
		t.Errorf("want the vendor's advice and %q: %s", want, text)
	}
	// From the environment, the vendor's advice names the key already.
	tool = newTool(t, map[string]string{EnvAPIKey: testKey, EnvBaseURL: srv.URL}, nil)
	if res, text := callTool(t, tool, `{"name":"a","system_prompt":"p"}`); !res.IsError || strings.Contains(text, "This call's keys") || !strings.Contains(text, EnvAPIKey) {
		t.Errorf("key from the environment: want the vendor's advice alone: %s", text)
	}
	// From a header (--header-credentials), the header is named.
	tool, err := tools.New[Request](newProvider(t, map[string]string{EnvBaseURL: srv.URL}), tools.Deps{Client: testClient(), Env: providers.MapEnv(map[string]string{EnvBaseURL: srv.URL}), HeaderCredentials: true})
	if err != nil {
		t.Fatal(err)
	}
	if res, text := callToolWithHeader(t, tool, http.Header{"X-Everruns-Api-Key": {testKey}}, `{"name":"a","system_prompt":"p"}`); !res.IsError || !strings.Contains(text, "This call's keys: the X-Everruns-Api-Key header") {
		t.Errorf("key from a header: want it named: %s", text)
	}
}

// A model name given as default_model_id is refused before anything is
// sent, with the form the server parses.
func TestToolRefusesAModelName(t *testing.T) {
	tool := newTool(t, map[string]string{EnvAPIKey: testKey}, nil)
	res, text := callTool(t, tool, `{"name":"n","system_prompt":"p","default_model_id":"gpt-4o","dry_run":true}`)
	if !res.IsError || !strings.Contains(text, `/default_model_id: must be "model_" followed by exactly 32 lowercase hex digits`) {
		t.Fatalf("not refused at /default_model_id:\n%s", text)
	}
	res, text = callTool(t, tool, `{"name":"n","system_prompt":"p","default_model_id":"`+validModelID+`","dry_run":true}`)
	if res.IsError {
		t.Fatalf("a model id is refused:\n%s", text)
	}
}

// TestToolTellsTheCapabilityObject: a capability given as its bare id is told
// the object to write; one written as an object, and a bare id elsewhere than
// capabilities, are not.
func TestToolTellsTheCapabilityObject(t *testing.T) {
	tool := newTool(t, map[string]string{EnvAPIKey: testKey}, nil)
	for _, tc := range []struct{ caps, want, not string }{
		{`["current_time",{"ref":"web_fetch"}]`, `/capabilities/0: write the capability as {"ref":"current_time"}, not as a bare id`, "/capabilities/1"},
		{`[{"ref":"web_fetch"},"mcp:1f0e"]`, `/capabilities/1: write the capability as {"ref":"mcp:1f0e"}`, "/capabilities/0"},
		{`[7]`, `/capabilities/0: got number, want object`, "write the capability"},
	} {
		res, text := callTool(t, tool, `{"name":"n","system_prompt":"p","capabilities":`+tc.caps+`,"dry_run":true}`)
		if !res.IsError || !strings.Contains(text, tc.want) || strings.Contains(text, tc.not) {
			t.Errorf("capabilities %s: want %q and not %q in:\n%s", tc.caps, tc.want, tc.not, text)
		}
	}
	if res, text := callTool(t, tool, `{"name":"n","system_prompt":"p","capabilities":[{"ref":"current_time"}],"dry_run":true}`); res.IsError {
		t.Errorf("a capability object is refused:\n%s", text)
	}
}
