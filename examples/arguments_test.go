package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// argumentsDir holds one argument object per tool: <provider slug>.json.
const argumentsDir = "arguments"

// pendingProviders may have an arguments file before their provider is in
// app/catalog.go: the file is skipped until the tool is registered, then
// checked. Naming them here keeps a misspelt file name from being skipped
// forever. Every provider is registered now; add a slug when an arguments
// file lands ahead of its provider.
var pendingProviders []string

// inProcessClient serves the real tool set (every provider, no credentials,
// no journal) to an mcp-go client in the same process.
func inProcessClient(t *testing.T) *client.Client {
	t.Helper()
	cfg := app.Config{
		Transport: app.TransportStdio,
		Timeout:   10 * time.Second,
		Version:   "examples-test",
		// Belt and braces: even a malformed call cannot reach a vendor.
		DryRun: true,
	}
	srv, err := app.NewServer(cfg, providers.MapEnv(nil), nil, providers.NewClient("agentmcp/examples-test"), zerolog.Nop())
	if err != nil {
		t.Fatalf("app.NewServer: %v", err)
	}
	c, err := client.NewInProcessClient(srv.MCP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "examples-test", Version: "0"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return c
}

func TestArguments(t *testing.T) {
	c := inProcessClient(t)
	ctx := context.Background()
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	registered := map[string]bool{}
	for _, tool := range list.Tools {
		slug, ok := strings.CutPrefix(tool.Name, tools.Prefix)
		if !ok {
			t.Errorf("tool %q does not start with %q", tool.Name, tools.Prefix)
			continue
		}
		registered[slug] = true
	}
	if len(registered) == 0 {
		t.Fatal("the server registers no tool")
	}

	files, err := filepath.Glob(filepath.Join(argumentsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, f := range files {
		have[strings.TrimSuffix(filepath.Base(f), ".json")] = f
	}
	for _, slug := range sortedKeys(registered) {
		if _, ok := have[slug]; !ok {
			t.Errorf("%s%s is registered but %s has no %s.json: add a realistic argument object for it", tools.Prefix, slug, argumentsDir, slug)
		}
	}

	required := requiredCredentials(t)
	for _, slug := range sortedKeys(have) {
		path := have[slug]
		t.Run(slug, func(t *testing.T) {
			args := readArguments(t, path)
			if !registered[slug] {
				if !slices.Contains(pendingProviders, slug) {
					t.Fatalf("%s: no tool %s%s is registered and %q is not a provider on its way: is the file name the provider slug?", path, tools.Prefix, slug, slug)
				}
				t.Skipf("%s%s is not registered yet; %s is checked as soon as it is", tools.Prefix, slug, path)
			}
			// Copied for a real call, an id would be sent again each time:
			// Everruns replaces the agent that has it.
			if _, ok := args["id"]; ok {
				t.Errorf("%s carries an id: leave it out, and the server (or the vendor) gives each create its own", path)
			}
			args["dry_run"] = true
			req := mcp.CallToolRequest{}
			req.Params.Name = tools.Prefix + slug
			req.Params.Arguments = args
			res, err := c.CallTool(ctx, req)
			if err != nil {
				t.Fatalf("tools/call: %v", err)
			}
			if res.IsError {
				t.Fatalf("%s is refused by %s:\n%s", path, req.Params.Name, resultText(res))
			}
			var got tools.DryRun
			b, err := json.Marshal(res.StructuredContent)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("structuredContent is not a dry-run preview: %v\n%s", err, b)
			}
			if got.Provider != slug || !got.DryRun || got.Request.Method == "" || !strings.HasPrefix(got.Request.URL, "https://") {
				t.Errorf("preview = %s", b)
			}
			// Without keys the preview says which ones a real call needs.
			if want := required[slug]; !slices.Equal(got.MissingCredentials, want) {
				t.Errorf("missing_credentials = %v, want %v", got.MissingCredentials, want)
			}
			u, _, _ := strings.Cut(got.Request.URL, "?")
			t.Logf("%s %s", got.Request.Method, u)
		})
	}
}

// readArguments reads one argument object; dry_run is for the caller to add.
func readArguments(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var args map[string]any
	if err := dec.Decode(&args); err != nil {
		t.Fatalf("%s: not a JSON object: %v", path, err)
	}
	if dec.More() {
		t.Fatalf("%s: trailing data after the JSON object", path)
	}
	if len(args) == 0 {
		t.Fatalf("%s: empty: show a realistic call", path)
	}
	if _, ok := args["dry_run"]; ok {
		t.Errorf("%s: leave dry_run out; the clients add it", path)
	}
	return args
}

// requiredCredentials maps each provider slug to the env names of its required credentials.
func requiredCredentials(t *testing.T) map[string][]string {
	t.Helper()
	vars, _ := envVars(t)
	out := map[string][]string{}
	for _, v := range vars {
		if v.Secret && v.Required {
			out[v.Provider] = append(out[v.Provider], v.Name)
		}
	}
	return out
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
