package computeragents

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// callTool runs the registered tool's handler as an MCP client would.
func callTool(t *testing.T, base string, env map[string]string, args []byte) *mcp.CallToolResult {
	t.Helper()
	env[EnvBaseURL] = base
	p, err := New(providers.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	tool, err := tools.New[Request](p, tools.Deps{Client: testClient(), Env: providers.MapEnv(env)})
	if err != nil {
		t.Fatal(err)
	}
	if tool.Tool.Name != "create_agent_computer_agents" {
		t.Errorf("tool name = %s", tool.Tool.Name)
	}
	var req mcp.CallToolRequest
	req.Params.Name = tool.Tool.Name
	req.Params.RawArguments = args
	res, err := tool.Handler(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func TestToolDryRun(t *testing.T) {
	args := []byte(`{"name":"Research Assistant","model":"external:ollama:llama3%3A8b","dry_run":true}`)
	res := callTool(t, "http://127.0.0.1:9", map[string]string{EnvAPIKey: canaryKey}, args)
	text := resultText(res)
	if res.IsError {
		t.Fatalf("dry run failed: %s", text)
	}
	if strings.Contains(text, canaryKey) {
		t.Errorf("dry run shows the key: %s", text)
	}
	for _, want := range []string{"POST http://127.0.0.1:9/v1/agents", `"Authorization":"Bearer [REDACTED]"`, `"model":"external:ollama:llama3%3A8b"`} {
		if !strings.Contains(text, want) {
			t.Errorf("dry run lacks %s:\n%s", want, text)
		}
	}
}

// Free-form metadata reaches the vendor as written: numbers beyond float64's
// precision are not rounded, whether or not the arguments hold a null the
// server drops.
func TestToolKeepsLargeNumbersInMetadata(t *testing.T) {
	const meta = `{"id":9007199254740993,"big":12345678901234567891,"ratio":0.1}`
	for _, extra := range []string{``, `,"description":null`} {
		args := []byte(`{"name":"n","model":"claude-sonnet-4-5","metadata":` + meta + extra + `,"dry_run":true}`)
		res := callTool(t, "http://127.0.0.1:9", map[string]string{EnvAPIKey: canaryKey}, args)
		text := resultText(res)
		if res.IsError {
			t.Fatalf("dry run failed: %s", text)
		}
		for _, want := range []string{`"id":9007199254740993`, `"big":12345678901234567891`, `"ratio":0.1`} {
			if !strings.Contains(text, want) {
				t.Errorf("arguments%s: the preview lacks %s:\n%s", extra, want, text)
			}
		}
	}
}

// JSON Schema counts 1.0 and 1e0 as integers and Go's decoder does not: the
// schema's word stands, and the integer is sent.
func TestToolWholeNumberWithFraction(t *testing.T) {
	for _, v := range []string{"1.0", "1e0", "10E-1"} {
		args := []byte(`{"name":"n","model":"claude-sonnet-4-5","permissionSet":{"version":` + v + `},"dry_run":true}`)
		res := callTool(t, "http://127.0.0.1:9", map[string]string{EnvAPIKey: canaryKey}, args)
		if text := resultText(res); res.IsError || !strings.Contains(text, `"permissionSet":{"version":1`) {
			t.Errorf("version %s: want it accepted and sent as 1: %s", v, text)
		}
	}
}

// The document-literal fixture through the tool: refused before anything is
// sent, with the location of the problem.
func TestToolRefusesDocLiteralBinary(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("nothing should be sent")
	}))
	defer srv.Close()
	res := callTool(t, srv.URL, map[string]string{EnvAPIKey: testKey}, readFixture(t, "request_doc_literal.json"))
	text := resultText(res)
	t.Logf("tool refusal: %s", text)
	if !res.IsError || !strings.Contains(text, "nothing was sent") ||
		!strings.Contains(text, `- /binary: must be an object {"path": "...", "args": [...]}, not the string "Claude Code CLI"`) {
		t.Errorf("want a refusal at /binary that says what to send, got: %s", text)
	}
}

// The label's own message stands in for the schema's at /binary; the
// schema's other problems are still listed.
func TestToolLabelBinaryWithOtherProblems(t *testing.T) {
	res := callTool(t, "http://127.0.0.1:1", map[string]string{EnvAPIKey: testKey}, []byte(`{"name":"a","binary":"Claude Code CLI"}`))
	text := resultText(res)
	if !res.IsError || !strings.Contains(text, `- /binary: must be an object`) || !strings.Contains(text, "model") ||
		strings.Contains(text, "want object") {
		t.Errorf("want the label message and the missing model, got: %s", text)
	}
}

func TestToolCreates(t *testing.T) {
	resp := readFixture(t, "response_201.json")
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.record(r)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(resp)
	}))
	defer srv.Close()
	res := callTool(t, srv.URL, map[string]string{EnvAPIKey: testKey}, readFixture(t, "request.json"))
	text := resultText(res)
	if res.IsError {
		t.Fatalf("create failed: %s", text)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var out tools.Success
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.AgentID != "agent_qP5Hz2jwHsj5oVoCPIx71" || out.Provider != "computer_agents" {
		t.Errorf("result = %+v", out)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	assertSameJSON(t, got.body, readFixture(t, "request.json"))
}

// A create with a caller-chosen id whose outcome is unknown names that id:
// "GET /v1/agents/{agentId} for a known id" is the way to check, and the
// id is known.
func TestUnknownOutcomeNamesTheGivenID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":"Internal Server Error","message":"boom"}`))
	}))
	defer srv.Close()
	args := []byte(`{"name":"Research Assistant","model":"claude-sonnet-4-5","id":"agent_review0001"}`)
	res := callTool(t, srv.URL, map[string]string{EnvAPIKey: canaryKey}, args)
	text := resultText(res)
	if !res.IsError || !strings.Contains(text, "outcome unknown") {
		t.Fatalf("got:\n%s", text)
	}
	if !strings.Contains(text, "agent_review0001") {
		t.Errorf("the id the request carried is not named:\n%s", text)
	}
	// The advice says to "look for that name" in the list: the name must be
	// in the same sentence.
	if _, advice, _ := strings.Cut(text, "First check"); !strings.Contains(advice, `"Research Assistant"`) {
		t.Errorf("the advice does not name the agent it says to look for:\n%s", text)
	}
}

// An id the caller chose is journaled with the call, but the journal's other
// entries must stay readable: the journal resource reads the journal's last
// MiB, and two lines carrying a huge refused id would push out every agent
// created before it.
func TestHugeGivenIDLeavesTheJournalReadable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"Bad Request","message":"id too long"}`))
	}))
	defer srv.Close()
	jr, err := journal.Open(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer jr.Close()
	if err := jr.Record(journal.Entry{Provider: "computer_agents", Tool: "create_agent_computer_agents", AgentID: "agent_keep", Outcome: journal.OutcomeCreated}); err != nil {
		t.Fatal(err)
	}
	res, err := callJournaled(t, srv.URL, jr, `{"name":"n","model":"claude-sonnet-4-5","id":"agent_`+strings.Repeat("x", 600<<10)+`"}`)
	if err != nil || !res.IsError {
		t.Fatalf("want the vendor's refusal: %v", err)
	}
	got, err := jr.Recent(50)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0].AgentID != "agent_keep" {
		t.Errorf("the agent created before is no longer in the journal's tail (%d entries read)", len(got))
	}
}

// The journal names the id a call asked for where that agent may exist (the
// call is being sent, or its outcome is unknown), not on a refusal, which
// journal.OutcomeFailed says created none.
func TestJournalNamesTheGivenIDOnlyWhereItMayExist(t *testing.T) {
	for _, tc := range []struct {
		status  int
		outcome string
		id      string
	}{
		{http.StatusInternalServerError, journal.OutcomeUnknown, "agent_review0001"},
		{http.StatusBadRequest, journal.OutcomeFailed, ""},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(`{"error":"Error","message":"boom"}`))
		}))
		jr, err := journal.Open(filepath.Join(t.TempDir(), "journal.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := callJournaled(t, srv.URL, jr, `{"name":"n","model":"claude-sonnet-4-5","id":"agent_review0001"}`); err != nil {
			t.Fatal(err)
		}
		got, err := jr.Recent(0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Outcome != journal.OutcomeSending || got[0].AgentID != "agent_review0001" {
			t.Fatalf("HTTP %d: want a sending entry naming the id first: %+v", tc.status, got)
		}
		if got[1].Outcome != tc.outcome || got[1].AgentID != tc.id {
			t.Errorf("HTTP %d: outcome %s with agent_id %q, want %s with %q", tc.status, got[1].Outcome, got[1].AgentID, tc.outcome, tc.id)
		}
		jr.Close()
		srv.Close()
	}
}

// callJournaled calls create_agent_computer_agents with args against the
// vendor at baseURL, journaling to jr.
func callJournaled(t *testing.T, baseURL string, jr *journal.Journal, args string) (*mcp.CallToolResult, error) {
	t.Helper()
	env := providers.MapEnv(map[string]string{EnvBaseURL: baseURL, EnvAPIKey: canaryKey})
	p, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := tools.New[Request](p, tools.Deps{Client: testClient(), Env: env, Journal: jr})
	if err != nil {
		t.Fatal(err)
	}
	var req mcp.CallToolRequest
	req.Params.Name = tool.Tool.Name
	req.Params.RawArguments = []byte(args)
	return tool.Handler(context.Background(), req)
}

// A missing required field is one line, at the field: the schema's "missing"
// and the provider's advice on it are not both listed.
func TestToolMissingFieldIsListedOnce(t *testing.T) {
	res := callTool(t, "http://127.0.0.1:1", map[string]string{EnvAPIKey: testKey}, []byte(`{"name":"a"}`))
	text := resultText(res)
	if !res.IsError || strings.Count(text, "model") == 0 || strings.Count(text, "\n- ") != 1 || !strings.Contains(text, "- /model: ") {
		t.Errorf("want one problem, at /model, got: %s", text)
	}
}

// An absent name or model is "missing (required)", as every other absent
// field is; one given empty or as spaces is "must not be blank"; null counts
// as absent.
func TestToolMissingAndBlankAreToldApart(t *testing.T) {
	for _, tc := range []struct{ args, name, model string }{
		{`{}`, "- /name: missing (required)\n",
			"- /model: missing (required): use a managed id such as claude-sonnet-4-5, or external:{providerType}:{urlEncodedModelId}\n"},
		{`{"name":null,"model":null}`, "- /name: null counts as not given: missing (required)\n",
			"- /model: null counts as not given: missing (required): use a managed id"},
		{`{"name":"","model":""}`, "- /name: must not be blank\n",
			"- /model: must not be blank: use a managed id such as claude-sonnet-4-5"},
		{`{"name":"  ","model":" "}`, "- /name: must not be blank\n",
			"- /model: must not be blank: use a managed id such as claude-sonnet-4-5"},
	} {
		res := callTool(t, "http://127.0.0.1:1", map[string]string{EnvAPIKey: testKey}, []byte(tc.args))
		text := resultText(res)
		if !res.IsError || !strings.Contains(text, tc.name) || !strings.Contains(text, tc.model) || strings.Count(text, "\n- ") != 2 {
			t.Errorf("%s: want %q and %q, got:\n%s", tc.args, tc.name, tc.model, text)
		}
	}
}
