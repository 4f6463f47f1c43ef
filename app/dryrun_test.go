package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
	"github.com/agentmcp/agentmcp/tools/toolstest"
)

// TestDryRunShowsWhatIsSent: for every vendor, a dry run's request is the
// request a real call sends with the same arguments: method, URL, body bytes
// and every header, but for the secrets it shows masked, whatever header
// carries them, and what each attempt signs afresh (Alibaba's date, nonce and
// signature). Content-Length follows from the body.
func TestDryRunShowsWhatIsSent(t *testing.T) {
	differs := map[string]bool{"Authorization": true, // Alibaba's signature, or a masked key
		"X-Acs-Date": true, "X-Acs-Signature-Nonce": true, "Content-Length": true}
	for _, slug := range Slugs() {
		v, ok := vendorCases[slug]
		if !ok {
			continue // reported by TestEverySlugHasAFailureCase
		}
		t.Run(slug, func(t *testing.T) {
			fake := &fakeAPI{steps: []step{succeed(v)}}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			env := providers.MapEnv(failureEnv(t, srv.URL))
			ts, err := BuildTools([]string{slug}, env, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env, Timeout: 10 * time.Second, Logger: zerolog.Nop()})
			if err != nil || len(ts) != 1 {
				t.Fatalf("BuildTools: %d tools, %v", len(ts), err)
			}
			args := v.args
			if v.idempotent {
				// A dry run generates an id of its own, a real call another.
				args = `{"id":"` + v.givenID + `",` + args[1:]
			}
			call := func(args string) *mcp.CallToolResult {
				var req mcp.CallToolRequest
				req.Params.Name = tools.Prefix + slug
				req.Params.RawArguments = json.RawMessage(args)
				res, err := ts[0].Handler(context.Background(), req)
				if err != nil || res.IsError {
					t.Fatalf("call %s: %v %+v", args, err, res)
				}
				if err := toolstest.ConformsToOutputSchema(ts[0].Tool, res); err != nil {
					t.Errorf("call %s: %v", args, err)
				}
				return res
			}
			var dry struct {
				Request struct {
					Method, URL string
					Headers     map[string]string
					Body        json.RawMessage
				}
			}
			b, _ := json.Marshal(call(`{"dry_run":true,` + args[1:]).StructuredContent)
			if err := json.Unmarshal(b, &dry); err != nil {
				t.Fatal(err)
			}
			call(args)
			seen := fake.requests()
			if len(seen) != 1 {
				t.Fatalf("the vendor got %d requests, want 1", len(seen))
			}
			sent, shown := seen[0], dry.Request
			url := srv.URL + sent.Path
			if sent.Query != "" {
				url += "?" + sent.Query
			}
			if sent.Method != shown.Method || url != shown.URL {
				t.Errorf("sent %s %s, the dry run shows %s %s", sent.Method, url, shown.Method, shown.URL)
			}
			if len(sent.Body) > 0 && !bytes.Equal(shown.Body, sent.Body) {
				t.Errorf("sent body %s\nthe dry run shows %s", sent.Body, shown.Body)
			}
			for name, vals := range sent.Header {
				got, want := shown.Headers[name], strings.Join(vals, ", ")
				if masked := got == providers.Redacted && strings.Contains(want, failureKey); !differs[name] && !masked && got != want {
					t.Errorf("sent %s: %q, the dry run shows %q", name, want, got)
				}
			}
			for name := range shown.Headers {
				if _, ok := sent.Header[name]; !ok {
					t.Errorf("the dry run shows %s, which was not sent", name)
				}
			}
		})
	}
}

// TestRefusalNamesOnlyRealProblems: a value the schema refuses for its type,
// or an unknown key, stops no provider check from reading the fields after
// it. A custom unmarshaler refusing one used to end the strict decode, and
// the checks then called every later field blank and missed its problems.
func TestRefusalNamesOnlyRealProblems(t *testing.T) {
	bySlug := toolsBySlug(t)
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
		// A value of the wrong type is the schema's to word, not blank.
		{"computer_agents", `{"name":123,"model":7,"enabledSkills":[1],"binary":{"path":5}}`,
			[]string{"/name: got number, want string", "/model: got number, want string", "/enabledSkills/0: got number, want string", "/binary/path: got number, want string"},
			[]string{}},
		{"datagol", `{"name":5,"description":"d","prompt":"p","isPublished":false,"uiMetadata":{},"configs":{}}`,
			[]string{"/name: got number, want string"}, []string{}},
		{"everruns", `{"name":"n","system_prompt":"p","id":""}`, []string{"/id: is empty: leave id out"}, []string{"/name"}},
		{"computer_agents", `{"name":"n","model":"claude-sonnet-4-5","id":""}`, []string{"/id: is empty: leave id out"}, []string{"/name"}},
		{"everruns", `{"name":"n","system_prompt":"p","capabilities":[{"config":"tz=UTC","ref":"current_time"}]}`,
			[]string{"/capabilities/0/config"}, []string{"/capabilities/0/ref"}},
		{"datagol", `{"name":"A","description":"d","prompt":"p","isPublished":false,"uiMetadata":{},"configs":{"connectors":[{"id":"k1","type":"KNOWLEDGE_BASE","data":{"id":"k1","latestRun":"none"}}]}}`,
			[]string{"/latestRun"}, []string{"/name", "/prompt"}},
	}
	for _, tt := range tests {
		text, isError := dryCall(t, bySlug[tt.slug], tt.args)
		if !isError {
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
		if strings.Contains(text, "must not be blank") {
			t.Errorf("%s %s: the refusal calls a given field blank:\n%s", tt.slug, tt.args, text)
		}
	}
}

// toolsBySlug builds every vendor's tool, without keys.
func toolsBySlug(t *testing.T) map[string]*tools.Tool {
	t.Helper()
	env := providers.MapEnv(nil)
	built, err := BuildTools(Slugs(), env, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env, Timeout: 10 * time.Second, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	bySlug := map[string]*tools.Tool{}
	for _, tool := range built {
		bySlug[tool.Slug] = tool
	}
	return bySlug
}

// dryCall calls tool with args, a JSON object, and dry_run, and returns the
// result's text and whether it is an error.
func dryCall(t *testing.T, tool *tools.Tool, args string) (string, bool) {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = tool.Tool.Name
	req.Params.RawArguments = json.RawMessage(`{"dry_run":true,` + args[1:])
	res, err := tool.Handler(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res.Content[0].(mcp.TextContent).Text, res.IsError
}

// items is n copies of item, comma-separated: a JSON list's inside.
func items(n int, item string) string {
	return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
}

// A refusal lists the first 20 problems by field, list items by index (item
// 2 before item 10) and counts the rest once each, also where both the schema
// and the vendor's checks (or its advice on a known wrong shape) name a field.
func TestRefusalCountsEachProblemOnce(t *testing.T) {
	bySlug := toolsBySlug(t)
	tests := []struct {
		slug, args string
		field      string // of the items, each a problem
		n          int
	}{
		{"everruns", `{"name":"n","system_prompt":"p","capabilities":[` + items(21, `{}`) + `]}`, "/capabilities/", 21},
		{"everruns", `{"name":"n","system_prompt":"p","capabilities":[` + items(25, `{}`) + `]}`, "/capabilities/", 25},
		{"datagrid", `{"tools":[` + items(21, `"data_analysis"`) + `]}`, "/tools/", 21},
		{"datagrid", `{"tools":[` + items(25, `"data_analysis"`) + `]}`, "/tools/", 25},
	}
	for _, tt := range tests {
		text, isError := dryCall(t, bySlug[tt.slug], tt.args)
		// Each listed line names item i, or a field inside it, in order.
		lines := strings.Split(text, "\n")[1:]
		ok := isError && len(lines) == providers.MaxListed+1 &&
			strings.HasPrefix(lines[providers.MaxListed], fmt.Sprintf("- …: %d more problems not listed", tt.n-providers.MaxListed))
		for i := 0; ok && i < providers.MaxListed; i++ {
			rest, named := strings.CutPrefix(lines[i], fmt.Sprintf("- %s%d", tt.field, i))
			ok = named && (strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "/"))
		}
		if !ok {
			t.Errorf("%s with %d wrong items: want %s0 to %s19 and %d more, got\n%s", tt.slug, tt.n, tt.field, tt.field, tt.n-providers.MaxListed, text)
		}
	}
}

// Past the bound on the problems kept (1,000), the ones listed are still the
// first by field, whatever order the schema's checks found them in.
func TestRefusalPastTheBoundListsTheFirstFields(t *testing.T) {
	tool := toolsBySlug(t)["datagrid"]
	args := `{"tools":[` + items(1500, "1") + `],"corpus":[{"type":"nope"}],"agent_model":""}`
	for range 10 {
		text, isError := dryCall(t, tool, args)
		lines := strings.Split(text, "\n")
		if !isError || len(lines) != providers.MaxListed+2 || !strings.HasPrefix(lines[1], "- /agent_model:") ||
			!strings.HasPrefix(lines[2], "- /corpus/0/type:") || !strings.HasPrefix(lines[3], "- /tools/0:") ||
			!strings.HasPrefix(lines[20], "- /tools/17:") || !strings.HasPrefix(lines[21], "- …: 1482 more problems") {
			t.Fatalf("want /agent_model, /corpus/0/type, /tools/0 to /tools/17 and 1482 more, got\n%s", text)
		}
	}
}
