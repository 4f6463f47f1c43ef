package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// TestRefusalNamesOnlyRealProblems: a value the schema refuses for its type,
// or an unknown key, stops no provider check from reading the fields after
// it. A custom unmarshaler refusing one used to end the strict decode, and
// the checks then called every later field blank and missed its problems.
func TestRefusalNamesOnlyRealProblems(t *testing.T) {
	env := providers.MapEnv(nil)
	built, err := BuildTools(Slugs(), env, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env, Timeout: 10 * time.Second, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	bySlug := map[string]*tools.Tool{}
	for _, tool := range built {
		bySlug[tool.Slug] = tool
	}
	filesRule := `"permissionSet":{"resources":{"files":{"rules":[{"targetId":"f1","access":"read_only"}]}}}`
	tests := []struct {
		slug, args string
		want, not  []string
	}{
		{"computer_agents", `{"name":"Support bot","model":"claude-sonnet-4-5","binary":"Claude Code CLI",` + filesRule + `}`,
			[]string{`/binary: must be an object`, `/permissionSet/resources/files/rules/0`}, []string{"/name", "/model"}},
		{"computer_agents", `{"name":"Support bot","model":"claude-sonnet-4-5","binary":{"path":"claude","flags":[]}}`,
			[]string{"/binary/flags: unknown argument"}, []string{"/binary/path", "/name", "/model"}},
		{"computer_agents", `{"name":"Support bot","model":"claude-sonnet-4-5","metadata":"team=support"}`,
			[]string{"/metadata"}, []string{"/name", "/model"}},
		{"everruns", `{"name":"n","system_prompt":"p","capabilities":[{"config":"tz=UTC","ref":"current_time"}]}`,
			[]string{"/capabilities/0/config"}, []string{"/capabilities/0/ref"}},
		{"datagol", `{"name":"A","description":"d","prompt":"p","isPublished":false,"uiMetadata":{},"configs":{"connectors":[{"id":"k1","type":"KNOWLEDGE_BASE","data":{"id":"k1","latestRun":"none"}}]}}`,
			[]string{"/latestRun"}, []string{"/name", "/prompt"}},
	}
	for _, tt := range tests {
		var req mcp.CallToolRequest
		req.Params.Name = tools.Prefix + tt.slug
		req.Params.RawArguments = json.RawMessage(`{"dry_run":true,` + tt.args[1:])
		res, err := bySlug[tt.slug].Handler(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		text := res.Content[0].(mcp.TextContent).Text
		if !res.IsError {
			t.Errorf("%s %s: accepted", tt.slug, tt.args)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s %s: the refusal lacks %q:\n%s", tt.slug, tt.args, w, text)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(text, "- "+n+":") {
				t.Errorf("%s %s: the refusal names %s, which was given right:\n%s", tt.slug, tt.args, n, text)
			}
		}
	}
}
