package computeragents

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/schemas"
	"github.com/agentmcp/agentmcp/tools"
)

// schemaBudget is the served input schema budget of this tool, in bytes.
const schemaBudget = 5500

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeStrict decodes the way the tool does: unknown fields are refused.
func decodeStrict(b []byte) (*Request, error) {
	var r Request
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

func servedSchema(t *testing.T) (json.RawMessage, *jsonschema.Schema) {
	t.Helper()
	raw, err := tools.InputSchema[Request]()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("mem:///schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem:///schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw, sch
}

func validate(t *testing.T, sch *jsonschema.Schema, raw string) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", raw, err)
	}
	return sch.Validate(inst)
}

func TestInputSchema(t *testing.T) {
	raw, _ := servedSchema(t)
	if problems := schemas.Lint(raw); len(problems) > 0 {
		t.Fatalf("schema not portable:\n%s", strings.Join(problems, "\n"))
	}
	t.Logf("served input schema: %d bytes (budget %d)", len(raw), schemaBudget)
	if len(raw) > schemaBudget {
		t.Errorf("served input schema is %d bytes, budget %d", len(raw), schemaBudget)
	}

	var s struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if want := []string{"name", "model"}; !slices.Equal(s.Required, want) {
		t.Errorf("required = %v, want %v (the document's)", s.Required, want)
	}
	wantProps := []string{"id", "name", "description", "model", "instructions", "binary", "reasoningEffort",
		"enabledSkills", "deepResearchModel", "permissionSet", "metadata", "isDefault", "isSystem", "dry_run"}
	for _, p := range wantProps {
		if _, ok := s.Properties[p]; !ok {
			t.Errorf("schema lacks property %s", p)
		}
	}
	if len(s.Properties) != len(wantProps) {
		t.Errorf("schema has %d properties, want %d", len(s.Properties), len(wantProps))
	}

	text := string(raw)
	for _, want := range []string{
		`"enum":["minimal","low","medium","high"]`,
		`"enum":["gemini-3-flash-preview","gemini-3-pro-preview"]`,
		`"enum":["agent","human_user","team"]`,
		`"enum":["full_access","ask_for_permission","read_only","no_access"]`,
		`"version":{"type":"integer","maximum":1,"minimum":1}`,
		`"metadata":{"properties":{},"additionalProperties":true,"type":"object"`,
		`"required":["path"]`,
		"kimi-k2.6", "external:{providerType}:{urlEncodedModelId}", "Claude Code CLI", "Internal; omit.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("schema lacks %s", want)
		}
	}
	// The seven categories are present, each with defaultAccess and the five rule fields, Access values enumerated everywhere.
	for _, cat := range []string{"agents", "skills", "servers", "computers", "files", "directories", "projects"} {
		access := `{"type":"string","enum":["full_access","ask_for_permission","read_only","no_access"]}`
		want := `"` + cat + `":{"properties":{"defaultAccess":` + access + `,"rules":{"items":{"properties":{"id":{"type":"string"},"targetId":{"type":"string"},"path":{"type":"string"},"access":` + access + `,"note":{"type":"string"}}`
		if !strings.Contains(text, want) {
			t.Errorf("schema lacks category %s in the expected shape", cat)
		}
	}
}

// TestSchemaValidation covers the constraints the schema enforces before Check runs.
func TestSchemaValidation(t *testing.T) {
	_, sch := servedSchema(t)
	tests := []struct {
		name  string
		args  string
		valid bool
	}{
		{"minimal", `{"name":"a","model":"claude-sonnet-4-5"}`, true},
		{"unknown model id accepted", `{"name":"a","model":"my-workspace-model"}`, true},
		{"dry run", `{"name":"a","model":"gpt-5.5","dry_run":true}`, true},
		{"missing name", `{"model":"gpt-5.5"}`, false},
		{"missing model", `{"name":"a"}`, false},
		{"empty name", `{"name":"","model":"gpt-5.5"}`, false},
		{"empty model", `{"name":"a","model":""}`, false},
		{"empty id", `{"id":"","name":"a","model":"gpt-5.5"}`, false},
		{"unknown field", `{"name":"a","model":"gpt-5.5","temperature":0.2}`, false},
		{"reasoningEffort", `{"name":"a","model":"gpt-5.5","reasoningEffort":"high"}`, true},
		{"reasoningEffort bad", `{"name":"a","model":"gpt-5.5","reasoningEffort":"max"}`, false},
		{"deepResearchModel", `{"name":"a","model":"gpt-5.5","deepResearchModel":"gemini-3-flash-preview"}`, true},
		{"deepResearchModel bad", `{"name":"a","model":"gpt-5.5","deepResearchModel":"gemini-3-flash"}`, false},
		{"enabledSkills", `{"name":"a","model":"gpt-5.5","enabledSkills":["deep_research","custom"]}`, true},
		{"enabledSkills empty item", `{"name":"a","model":"gpt-5.5","enabledSkills":[""]}`, false},
		{"enabledSkills not array", `{"name":"a","model":"gpt-5.5","enabledSkills":"deep_research"}`, false},
		{"binary object", `{"name":"a","model":"gpt-5.5","binary":{"path":"claude","args":["-p"]}}`, true},
		{"binary label", `{"name":"a","model":"gpt-5.5","binary":"Claude Code CLI"}`, false},
		{"binary without path", `{"name":"a","model":"gpt-5.5","binary":{"args":["-p"]}}`, false},
		{"binary unknown key", `{"name":"a","model":"gpt-5.5","binary":{"path":"c","env":{}}}`, false},
		{"version 1", `{"name":"a","model":"gpt-5.5","permissionSet":{"version":1}}`, true},
		{"version 2", `{"name":"a","model":"gpt-5.5","permissionSet":{"version":2}}`, false},
		{"version string", `{"name":"a","model":"gpt-5.5","permissionSet":{"version":"1"}}`, false},
		{"subjectType", `{"name":"a","model":"gpt-5.5","permissionSet":{"subjectType":"human_user"}}`, true},
		{"subjectType bad", `{"name":"a","model":"gpt-5.5","permissionSet":{"subjectType":"robot"}}`, false},
		{"defaultAccess bad", `{"name":"a","model":"gpt-5.5","permissionSet":{"defaultAccess":"write"}}`, false},
		{"unknown category", `{"name":"a","model":"gpt-5.5","permissionSet":{"resources":{"tools":{}}}}`, false},
		{"unknown rule key", `{"name":"a","model":"gpt-5.5","permissionSet":{"resources":{"files":{"rules":[{"glob":"*"}]}}}}`, false},
		{"metadata free-form", `{"name":"a","model":"gpt-5.5","metadata":{"any":{"nested":[1,2]}}}`, true},
		{"metadata not object", `{"name":"a","model":"gpt-5.5","metadata":"x"}`, false},
		{"flags", `{"name":"a","model":"gpt-5.5","isDefault":false,"isSystem":true}`, true},
		{"flag not boolean", `{"name":"a","model":"gpt-5.5","isDefault":"no"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validate(t, sch, tt.args)
			if tt.valid && err != nil {
				t.Errorf("want valid, got %v", err)
			}
			if !tt.valid && err == nil {
				t.Errorf("want refused, got valid")
			}
		})
	}
}

func TestCheck(t *testing.T) {
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base := func() Request { return Request{Name: "Research Assistant", Model: "claude-sonnet-4-5"} }
	policy := func(rules ...Rule) *ResourcePolicy { return &ResourcePolicy{DefaultAccess: "read_only", Rules: rules} }
	tests := []struct {
		name   string
		mutate func(*Request)
		fields []string // JSON pointers of the expected errors, sorted; nil means valid
		msg    string   // a substring of the first message
	}{
		{"minimal", func(*Request) {}, nil, ""},
		{"every managed-style id passes", func(r *Request) { r.Model = "kimi-k2.6" }, nil, ""},
		{"unlisted workspace model passes", func(r *Request) { r.Model = "gpt-6-preview" }, nil, ""},
		{"external model", func(r *Request) { r.Model = "external:openai:gpt-4o" }, nil, ""},
		{"external encoded id", func(r *Request) { r.Model = "external:ollama:llama3%3A8b" }, nil, ""},
		{"external encoded slash", func(r *Request) { r.Model = "external:huggingface:meta-llama%2FLlama-3.1-8B" }, nil, ""},
		{"external id with encodeURIComponent's unescaped marks", func(r *Request) { r.Model = "external:openai:gpt!1~(a)*'b'" }, nil, ""},
		{"blank name", func(r *Request) { r.Name = "   " }, []string{"/name"}, "must not be blank"},
		{"blank model", func(r *Request) { r.Model = " " }, []string{"/model"}, "must not be blank"},
		// Empty is absent to Check: the schema says missing, Precheck blank.
		{"empty name is the schema's", func(r *Request) { r.Name = "" }, nil, ""},
		{"empty model is the schema's", func(r *Request) { r.Model = "" }, nil, ""},
		{"model with space", func(r *Request) { r.Model = "claude sonnet" }, []string{"/model"}, "no whitespace"},
		{"external without id", func(r *Request) { r.Model = "external:openai" }, []string{"/model"}, "external:{providerType}:{urlEncodedModelId}"},
		{"external empty provider", func(r *Request) { r.Model = "external::gpt-4o" }, []string{"/model"}, "both parts non-empty"},
		{"external empty id", func(r *Request) { r.Model = "external:openai:" }, []string{"/model"}, "both parts non-empty"},
		{"external provider with space", func(r *Request) { r.Model = "external:open ai:gpt-4o" }, []string{"/model"}, "whitespace"},
		{"external raw colon", func(r *Request) { r.Model = "external:ollama:llama3:8b" }, []string{"/model"}, "use external:ollama:llama3%3A8b"},
		{"external raw slash", func(r *Request) { r.Model = "external:huggingface:meta-llama/Llama-3" }, []string{"/model"}, "use external:huggingface:meta-llama%2FLlama-3"},
		{"external raw space", func(r *Request) { r.Model = "external:azure:my model" }, []string{"/model"}, "use external:azure:my%20model"},
		{"external bad escape", func(r *Request) { r.Model = "external:azure:a%zz" }, []string{"/model"}, "use external:azure:a%25zz"},
		{"custom id", func(r *Request) { r.ID = "agent_research_1" }, nil, ""},
		{"blank id", func(r *Request) { r.ID = "  " }, []string{"/id"}, "whitespace"},
		{"id with space", func(r *Request) { r.ID = "agent 1" }, []string{"/id"}, "whitespace"},
		{"binary", func(r *Request) { r.Binary = &Binary{Path: "claude", Args: []string{"-p"}} }, nil, ""},
		{"binary blank path", func(r *Request) { r.Binary = &Binary{Path: " "} }, []string{"/binary/path"}, "must not be blank"},
		{"blank skill", func(r *Request) { r.EnabledSkills = []string{"deep_research", " "} }, []string{"/enabledSkills/1"}, "must not be blank"},
		{"permission set", func(r *Request) {
			r.PermissionSet = &PermissionSet{Version: 1, SubjectType: "agent", DefaultAccess: "no_access", Resources: &Resources{
				Agents:      policy(Rule{TargetID: "agent_x", Access: "full_access"}),
				Skills:      policy(Rule{ID: "r1", TargetID: "deep_research", Access: "ask_for_permission", Note: "n"}),
				Servers:     policy(Rule{TargetID: "srv_1", Access: "no_access"}),
				Computers:   policy(Rule{TargetID: "env_1", Access: "read_only"}),
				Files:       policy(Rule{Path: "/workspace/a.txt", Access: "read_only"}),
				Directories: policy(Rule{Path: "/workspace/out", Access: "full_access"}),
				Projects:    policy(Rule{TargetID: "proj_1", Access: "ask_for_permission"}),
			}}
		}, nil, ""},
		{"category access bad", func(r *Request) {
			r.PermissionSet = &PermissionSet{Resources: &Resources{Servers: &ResourcePolicy{DefaultAccess: "write"}}}
		}, []string{"/permissionSet/resources/servers/defaultAccess"}, "must be one of full_access, ask_for_permission, read_only, no_access"},
		{"rule access bad", func(r *Request) {
			r.PermissionSet = &PermissionSet{Resources: &Resources{Projects: policy(Rule{TargetID: "p", Access: "admin"})}}
		}, []string{"/permissionSet/resources/projects/rules/0/access"}, `got "admin"`},
		{"targetId in files rule", func(r *Request) {
			r.PermissionSet = &PermissionSet{Resources: &Resources{Files: policy(Rule{TargetID: "file_1", Access: "read_only"})}}
		}, []string{"/permissionSet/resources/files/rules/0/targetId"}, "path-scoped"},
		{"path in agents rule", func(r *Request) {
			r.PermissionSet = &PermissionSet{Resources: &Resources{Agents: policy(Rule{}, Rule{Path: "/x", Access: "read_only"})}}
		}, []string{"/permissionSet/resources/agents/rules/1/path"}, "take targetId"},
		{"every problem at once", func(r *Request) {
			r.Name, r.Model = " ", "external:x"
			r.EnabledSkills = []string{""}
			r.PermissionSet = &PermissionSet{Resources: &Resources{Directories: policy(Rule{TargetID: "d", Access: "all"})}}
		}, []string{"/enabledSkills/0", "/model", "/name",
			"/permissionSet/resources/directories/rules/0/access", "/permissionSet/resources/directories/rules/0/targetId"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.mutate(&r)
			errs := p.Check(&r)
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("fields = %v, want %v\n%v", got, tt.fields, errs)
			}
			if tt.msg != "" && !strings.Contains(errs[0].Message, tt.msg) {
				t.Errorf("message %q lacks %q", errs[0].Message, tt.msg)
			}
		})
	}
}

// The document renders binary's type as the label "Claude Code CLI"; the
// fixture that takes it literally is refused, with a message saying what to
// send, by both the served schema and the strict decoder.
func TestFixtureRequestDocLiteralRefused(t *testing.T) {
	b := readFixture(t, "request_doc_literal.json")
	_, err := decodeStrict(b)
	if err == nil {
		t.Fatal("the literal binary label decoded; want it refused")
	}
	t.Logf("refusal: %v", err)
	for _, want := range []string{`binary must be an object {"path": "...", "args": [...]}`, `"Claude Code CLI"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}

	_, sch := servedSchema(t)
	verr := validate(t, sch, string(b))
	if verr == nil {
		t.Fatal("served schema accepted the literal binary label")
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) || !strings.Contains(verr.Error(), "/binary") {
		t.Errorf("schema refusal does not point at /binary: %v", verr)
	}
}

func TestFixtureRequestDecodes(t *testing.T) {
	b := readFixture(t, "request.json")
	r, err := decodeStrict(b)
	if err != nil {
		t.Fatalf("request.json does not decode strictly: %v", err)
	}
	p, _ := New(nil)
	if errs := p.Check(r); len(errs) > 0 {
		t.Errorf("Check refused the fixture:\n%v", errs)
	}
	_, sch := servedSchema(t)
	if err := validate(t, sch, string(b)); err != nil {
		t.Errorf("served schema refused the fixture: %v", err)
	}
	if r.Binary == nil || r.Binary.Path != "claude" || !slices.Equal(r.Binary.Args, []string{"--verbose"}) {
		t.Errorf("binary = %+v", r.Binary)
	}
	if r.PermissionSet == nil || r.PermissionSet.Version != 1 || r.PermissionSet.Resources.Files.Rules[0].Path != "/workspace/reports" {
		t.Errorf("permissionSet = %+v", r.PermissionSet)
	}
	if r.IsDefault == nil || *r.IsDefault || r.IsSystem == nil || *r.IsSystem {
		t.Errorf("explicit false flags lost: %v %v", r.IsDefault, r.IsSystem)
	}

	// Encoding gives back the fixture: nothing is dropped or added on the wire.
	out, err := providers.JSONBody(r)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, out, b)
}

func TestBinaryDecoding(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Binary
		errHas   string
	}{
		{"object", `{"binary":{"path":"claude","args":["-p","x"]}}`, &Binary{Path: "claude", Args: []string{"-p", "x"}}, ""},
		{"null", `{"binary":null}`, nil, ""},
		{"label", `{"binary":"Claude Code CLI"}`, nil, "binary must be an object"},
		{"unknown key inside", `{"binary":{"path":"c","cwd":"/"}}`, nil, `unknown field "cwd"`},
		{"array", `{"binary":["claude"]}`, nil, "binary:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r struct {
				Binary *Binary `json:"binary"`
			}
			err := json.Unmarshal([]byte(tt.in), &r)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Binary, tt.want) {
				t.Errorf("got %+v, want %+v", r.Binary, tt.want)
			}
		})
	}
}

func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

// TestEmptyIsSent: an empty object or list from the caller reaches the vendor
// as given, not dropped ([] enabledSkills is "none", absent is the server's
// default); absent stays absent.
func TestEmptyIsSent(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string // "" = nothing beyond name and model
	}{
		{`{"name":"a","model":"gpt-5.5","metadata":{}}`, `"metadata":{}`},
		{`{"name":"a","model":"gpt-5.5","enabledSkills":[]}`, `"enabledSkills":[]`},
		{`{"name":"a","model":"gpt-5.5","binary":{"path":"/bin/x","args":[]}}`, `"args":[]`},
		{`{"name":"a","model":"gpt-5.5","permissionSet":{"version":1,"resources":{"files":{"rules":[]}}}}`, `"rules":[]`},
		{`{"name":"a","model":"gpt-5.5"}`, ""},
	} {
		var r Request
		if err := json.Unmarshal([]byte(tc.args), &r); err != nil {
			t.Fatal(err)
		}
		body, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" && string(body) != `{"name":"a","model":"gpt-5.5"}` || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: sent %s", tc.args, body)
		}
	}
}
