package datagol

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

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

// The adapter runs Precheck before schema validation: a response-shaped
// request gets the corrective message, not "unknown argument CUSTOM".
func TestToolRefusesResponseShape(t *testing.T) {
	text, isErr := callTool(t, responseShapedArgs(t))
	if !isErr || !strings.Contains(text, "- /configs/mcpConfigs/0: servers keyed by type") ||
		!strings.Contains(text, `send: [{"serverType":"CUSTOM",`) || strings.Contains(text, "unknown argument") {
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
