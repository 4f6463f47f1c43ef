package datagol

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal/journaltest"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// callTool runs the registered tool's handler on raw arguments and returns
// its text.
func callTool(t *testing.T, args []byte) (string, bool) {
	t.Helper()
	p := newProvider(t, "https://be.datagol.ai")
	tool, err := tools.New[Request](p, tools.Deps{Client: testClient(), Env: providers.MapEnv(map[string]string{EnvAPIKey: canaryKey})})
	if err != nil {
		t.Fatal(err)
	}
	res, err := tool.Handler(context.Background(), mcp.CallToolRequest{Params: mcp.CallToolParams{Name: tool.Tool.Name, Arguments: json.RawMessage(args)}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text + "\n")
		}
	}
	return b.String(), res.IsError
}

// The document's example, without its nulls, previews through the real
// tool adapter; the key stays redacted.
func TestToolDryRunOfExample(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(readFixture(t, "create_request.json"), &doc); err != nil {
		t.Fatal(err)
	}
	doc = dropNulls(doc).(map[string]any)
	doc["dry_run"] = true
	args, _ := json.Marshal(doc)
	text, isErr := callTool(t, args)
	if isErr || !strings.Contains(text, "Dry run: nothing was sent. POST https://be.datagol.ai/customAgents/api/v1") {
		t.Fatalf("dry run failed:\n%s", text)
	}
	if strings.Contains(text, canaryKey) || !strings.Contains(text, `"X-Auth-Token":"[REDACTED]"`) {
		t.Errorf("preview shows the key or no auth header:\n%s", text)
	}
}

// A whole number too large for its field is refused as out of range, not
// as a key sent twice or a fraction.
func TestToolNumberOutOfRange(t *testing.T) {
	args := `{"name":"n","description":"d","prompt":"p","isPublished":false,"uiMetadata":{},` +
		`"configs":{"mcpConfigs":[{"serverType":"CUSTOM","url":"u","companyId":9223372036854775808}]},"dry_run":true}`
	text, isErr := callTool(t, []byte(args))
	if !isErr || !strings.Contains(text, "companyId: got 9223372036854775808: out of range for this field (a 64-bit integer)") {
		t.Errorf("got:\n%s", text)
	}
}

// A number refused by its field is located with its list index, and a
// whole number written with a fraction is sent as the integer it is.
func TestToolNumbersInLists(t *testing.T) {
	servers := func(second string) []byte {
		return []byte(`{"name":"n","description":"d","prompt":"p","isPublished":false,"uiMetadata":{},` +
			`"configs":{"mcpConfigs":[{"serverType":"CUSTOM","url":"u","id":7},{"serverType":"CUSTOM","url":"v",` + second + `}]},"dry_run":true}`)
	}
	text, isErr := callTool(t, servers(`"companyId":9223372036854775808`))
	if !isErr || !strings.Contains(text, "/configs/mcpConfigs/1/companyId: got 9223372036854775808: out of range") {
		t.Errorf("want the second server's companyId named:\n%s", text)
	}
	text, isErr = callTool(t, servers(`"id":18.0,"companyId":2e0`))
	if isErr || !strings.Contains(text, `"id":18,`) || !strings.Contains(text, `"companyId":2}`) {
		t.Errorf("want 18.0 and 2e0 sent as 18 and 2:\n%s", text)
	}
}

// The adapter runs Precheck before schema validation: a response-shaped
// request gets the corrective message, not "unknown argument CUSTOM".
func TestToolRefusesResponseShape(t *testing.T) {
	text, isErr := callTool(t, responseShapedArgs(t))
	if !isErr || !strings.Contains(text, "- /configs/mcpConfigs/0: servers keyed by type") ||
		!strings.Contains(text, `send: [{"serverType":"CUSTOM",`) || strings.Contains(text, "unknown argument") {
		t.Fatalf("got:\n%s", text)
	}
}

// The keyed servers sent as the object itself, not in a list, get the same
// word in place of the schema's "want array".
func TestToolRefusesResponseShapeUnlisted(t *testing.T) {
	args := []byte(`{"name":"n","description":"d","prompt":"p","isPublished":false,"uiMetadata":{},` +
		`"configs":{"mcpConfigs":{"CUSTOM":{"url":"https://h/mcp"}}},"dry_run":true}`)
	text, isErr := callTool(t, args)
	if !isErr || !strings.Contains(text, "- /configs/mcpConfigs: servers keyed by type") || strings.Contains(text, "want array") {
		t.Fatalf("got:\n%s", text)
	}
}

// TestToolAcceptsDocumentExample: the document's request example, nulls and
// all, previews; a null optional field means the same as an absent one.
func TestToolAcceptsDocumentExample(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(readFixture(t, "create_request.json"), &doc); err != nil {
		t.Fatal(err)
	}
	doc["dry_run"] = true
	args, _ := json.Marshal(doc)
	text, isErr := callTool(t, args)
	if isErr || !strings.Contains(text, `"name":"Financial Agent"`) {
		t.Fatalf("got:\n%s", text)
	}
}

// TestToolHidesMCPURLTokens: a token in an MCP server URL is sent to the
// vendor but appears in no preview, error result, journal entry or log line,
// even when the vendor quotes the URL back, with a scheme or without one (the
// url field is not checked for one).
func TestToolHidesMCPURLTokens(t *testing.T) {
	const urlToken = "canary-url-token-7d1e"
	for _, serverURL := range []string{
		"https://mcp.example/ws?workspace_id=w1&token=" + urlToken,
		"mcp.example/ws?workspace_id=w1&token=" + urlToken,
		"mcp.example/ws#workspace_id=w1&token=" + urlToken,
	} {
		t.Run(serverURL[:16], func(t *testing.T) { testToolHidesMCPURLToken(t, serverURL, urlToken) })
	}
}

func testToolHidesMCPURLToken(t *testing.T, serverURL, urlToken string) {
	// What the vendor answers, one per real call: an error quoting the URL, a
	// 2xx without an id quoting it, and the created agent echoing it.
	answers := []struct {
		status int
		body   string
	}{
		{http.StatusBadRequest, `{"error":"Bad Request","message":"cannot reach MCP server ` + serverURL + `"}`},
		{http.StatusOK, `{"success":false,"message":"cannot reach MCP server ` + serverURL + `"}`},
		{http.StatusCreated, `{"id":7,"configs":{"mcpConfigs":{"CUSTOM":[{"name":"ws","url":"` + serverURL + `"}]}}}`},
	}
	var sent, answer atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), urlToken) {
			sent.Add(1)
		}
		a := answers[answer.Load()]
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	defer srv.Close()
	var logs strings.Builder
	jr := &journaltest.Recorder{}
	env := providers.MapEnv(map[string]string{EnvAPIKey: canaryKey, EnvBaseURL: srv.URL})
	p, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := tools.New[Request](p, tools.Deps{Client: testClient(), Env: env, Journal: jr,
		Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	if err != nil {
		t.Fatal(err)
	}
	args := `{"name":"n","description":"d","prompt":"p","isPublished":false,"uiMetadata":{},` +
		`"configs":{"mcpConfigs":[{"serverType":"CUSTOM","name":"ws","url":"` + serverURL + `"}]}`
	call := func(end string) (string, bool) {
		res, err := tool.Handler(context.Background(), mcp.CallToolRequest{Params: mcp.CallToolParams{Name: tool.Tool.Name, Arguments: json.RawMessage(args + end)}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		return string(b), res.IsError
	}
	results := map[string]string{}
	results["preview"], _ = call(`,"dry_run":true}`)
	for i, name := range []string{"vendor error", "2xx without an id", "created agent"} {
		answer.Store(int32(i))
		var isError bool
		results[name], isError = call(`}`)
		if isError != (name != "created agent") {
			t.Errorf("%s: isError = %v: %s", name, isError, results[name])
		}
	}
	for name, text := range results {
		if !strings.Contains(text, "token=[REDACTED]") {
			t.Errorf("%s: want the URL shown with its token masked: %s", name, text)
		}
	}
	if sent.Load() != int32(len(answers)) {
		t.Errorf("the vendor got the real URL in %d of %d requests", sent.Load(), len(answers))
	}
	entries, _ := json.Marshal(jr.Entries())
	results["journal"], results["logs"] = string(entries), logs.String()
	for where, text := range results {
		if strings.Contains(text, urlToken) {
			t.Errorf("%s shows the MCP URL token:\n%s", where, text)
		}
	}
}

// A connector whose type is not one of the four (wrong case, or left out as
// in DataGOL's own response) is refused for its type alone: its data fields
// must not be called "not part of ... data (it is the knowledge base record)".
func TestToolUnknownConnectorTypeBlamesOnlyType(t *testing.T) {
	for _, typ := range []string{`"type":"workbook_rag",`, ``} {
		args := `{"name":"A","description":"d","prompt":"p","isPublished":false,"uiMetadata":{},` +
			`"configs":{"connectors":[{"id":"1",` + typ + `"sourceType":"BACKEND","data":{"title":"t","workspaceId":"w"}}]},"dry_run":true}`
		text, isErr := callTool(t, []byte(args))
		if !isErr || !strings.Contains(text, "/configs/connectors/0") {
			t.Fatalf("%s: not refused at the connector:\n%s", typ, text)
		}
		if strings.Contains(text, "not part of") {
			t.Errorf("%s: data fields of the right variant blamed:\n%s", typ, text)
		}
	}
}

// A registered server's id written as a string is refused for its type; the
// server is not also said to lack "its url, or the id": the id is there.
func TestToolIDOfWrongTypeIsNotAlsoMissing(t *testing.T) {
	args := `{"name":"A","description":"d","prompt":"p","isPublished":false,"uiMetadata":{},` +
		`"configs":{"mcpConfigs":[{"serverType":"CUSTOM","id":"18","companyId":1}]},"dry_run":true}`
	text, isErr := callTool(t, []byte(args))
	if !isErr || !strings.Contains(text, "/configs/mcpConfigs/0/id: got string, want integer") {
		t.Fatalf("got:\n%s", text)
	}
	if strings.Contains(text, "/configs/mcpConfigs/0/url") {
		t.Errorf("a spurious error at url:\n%s", text)
	}
}

// An absent name is "missing (required)", as every other absent field is;
// one given empty or as spaces is "must not be blank"; null counts as absent.
func TestToolMissingAndBlankNameAreToldApart(t *testing.T) {
	rest := `"description":"d","prompt":"p","isPublished":false,"uiMetadata":{},"configs":{},"dry_run":true`
	for args, want := range map[string]string{
		`{` + rest + `}`:              "- /name: missing (required)\n",
		`{"name":null,` + rest + `}`:  "- /name: null counts as not given: missing (required)\n",
		`{"name":"",` + rest + `}`:    "- /name: must not be blank\n",
		`{"name":" \t",` + rest + `}`: "- /name: must not be blank\n",
	} {
		text, isErr := callTool(t, []byte(args))
		if !isErr || !strings.Contains(text, want) || strings.Count(text, "\n- ") != 1 {
			t.Errorf("%s: want only %q, got:\n%s", args, want, text)
		}
	}
}
