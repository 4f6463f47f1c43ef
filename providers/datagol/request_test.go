package datagol

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/agentmcp/agentmcp/schemas"
	"github.com/agentmcp/agentmcp/tools"
)

// schemaBudget is this tool's share of the tools/list budget.
const schemaBudget = 4000

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeStrict(t *testing.T, raw []byte) Request {
	t.Helper()
	var r Request
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	return r
}

// servedSchema compiles the served input schema the way the tool validates
// arguments (draft 2020-12).
func servedSchema(t *testing.T) *jsonschema.Schema {
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
	if err := c.AddResource("mem:///datagol.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("mem:///datagol.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaErrors lists "location: message" for every leaf violation.
func schemaErrors(t *testing.T, s *jsonschema.Schema, raw []byte) []string {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, "/"+strings.Join(e.InstanceLocation, "/")+": "+e.Error())
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	if err := s.Validate(inst); err != nil {
		ve, ok := err.(*jsonschema.ValidationError)
		if !ok {
			t.Fatal(err)
		}
		walk(ve)
	}
	slices.Sort(out)
	return out
}

func TestInputSchema(t *testing.T) {
	raw, err := tools.InputSchema[Request]()
	if err != nil {
		t.Fatal(err)
	}
	if problems := schemas.Lint(raw); len(problems) > 0 {
		t.Fatalf("schema not portable:\n%s", strings.Join(problems, "\n"))
	}
	t.Logf("served input schema: %d bytes", len(raw))
	if len(raw) > schemaBudget {
		t.Fatalf("served input schema is %d bytes, budget %d", len(raw), schemaBudget)
	}
	var s struct {
		Required   []string `json:"required"`
		Properties struct {
			Configs struct {
				Properties struct {
					MCPConfigs struct {
						Items struct {
							Required   []string `json:"required"`
							Properties struct {
								ServerType struct {
									Enum []string `json:"enum"`
								} `json:"serverType"`
								URL struct {
									Format string `json:"format"`
								} `json:"url"`
							} `json:"properties"`
						} `json:"items"`
					} `json:"mcpConfigs"`
					Connectors struct {
						Items struct {
							Required   []string `json:"required"`
							Properties struct {
								Type struct {
									Enum []string `json:"enum"`
								} `json:"type"`
							} `json:"properties"`
						} `json:"items"`
					} `json:"connectors"`
				} `json:"properties"`
			} `json:"configs"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want []string) {
		t.Helper()
		g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
		if !slices.Equal(g, w) {
			t.Errorf("%s = %v, want %v", what, g, w)
		}
	}
	check("required", s.Required, []string{"name", "description", "prompt", "isPublished", "uiMetadata", "configs"})
	mcp := s.Properties.Configs.Properties.MCPConfigs.Items
	check("mcpConfigs items required", mcp.Required, []string{"serverType"})
	check("serverType enum", mcp.Properties.ServerType.Enum, []string{"CUSTOM", "WORKBOOK"})
	if mcp.Properties.URL.Format != "" {
		t.Errorf("url has format %q: the document's example url is not a URL", mcp.Properties.URL.Format)
	}
	conn := s.Properties.Configs.Properties.Connectors.Items
	check("connectors items required", conn.Required, []string{"id", "type"})
	check("connector type enum", conn.Properties.Type.Enum, []string{"WORKBOOK_RAG", "WORKSPACE_DOCUMENTS", "KNOWLEDGE_BASE", "CONNECTOR"})
	if !strings.Contains(string(raw), `{\"CUSTOM\":{...}}`) {
		t.Error("mcpConfigs description should warn against the response's keyed shape")
	}
}

func TestRequestExampleDecodesStrictly(t *testing.T) {
	r := decodeStrict(t, readFixture(t, "create_request.json"))
	if r.Name != "Financial Agent" || r.IsPublished || !strings.HasPrefix(r.Prompt, "Scan this document") {
		t.Errorf("top level: %+v", r)
	}
	m := r.UIMetadata.Capabilities.Models
	if !*m.Enabled || len(m.SupportedModels) != 5 || m.DefaultValue != "gpt-5.2" {
		t.Errorf("models: %+v", m)
	}
	if r.UIMetadata.Input.Placeholder != "What is EBITDA? And How Its Calculated" || r.UIMetadata.Logo != "" {
		t.Errorf("uiMetadata: %+v", r.UIMetadata)
	}
	c := r.Configs
	if len(c.MCPConfigs) != 4 || len(c.Connectors) != 9 || !*c.WebSearchEnabled || !slices.Equal(c.SkillIDs, []int64{10, 11}) {
		t.Fatalf("configs: %+v", c)
	}
	if got := c.MCPConfigs[1]; got.ServerType != ServerCustom || got.URL != "Financial Sub Agent" || got.ID != 35 || got.CompanyID != 1 {
		t.Errorf("mcpConfigs[1] = %+v", got)
	}
	if got := c.MCPConfigs[2]; got.ServerType != ServerWorkbook || got.Data == nil || got.Data.ID != "ca45078d-ed26-4752-a7a7-4aed24af033c" {
		t.Errorf("mcpConfigs[2] = %+v", got)
	}
	kb := c.Connectors[6]
	if kb.Type != ConnKnowledgeBase || kb.Data.ID != kb.ID || kb.Data.Type != "GOOGLE_DRIVE" || kb.Data.CredentialID != 7219087 || kb.Data.LatestRun["runType"] != "INCREMENTAL" {
		t.Errorf("knowledge base connector = %+v", kb.Data)
	}
	if last := c.Connectors[8]; last.Type != ConnConnector || last.ID != "315" || last.SourceType != "AI" || last.Data != nil {
		t.Errorf("CONNECTOR = %+v", last)
	}
	if errs := (&Provider{}).Check(&r); len(errs) > 0 {
		t.Errorf("the document's example fails Check:\n%s", errs)
	}
}

// The served schema cannot say "string or null" (type must be one string),
// so the nulls of the document's example are refused by schema validation
// with a clear message; without them the example passes.
func TestRequestExampleAgainstServedSchema(t *testing.T) {
	s := servedSchema(t)
	raw := readFixture(t, "create_request.json")
	got := schemaErrors(t, s, raw)
	if len(got) != 6 {
		t.Fatalf("schema errors = %d, want 6 (the example's nulls):\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, loc := range []string{
		"/configs/connectors/6/data/activeConfig:", "/configs/connectors/6/data/sourceId:",
		"/configs/connectors/7/data/activeConfig:", "/configs/connectors/7/data/credentialId:",
		"/configs/connectors/7/data/sourceId:", "/uiMetadata/logo:",
	} {
		if !slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, loc) && strings.Contains(e, "got null") }) {
			t.Errorf("no null error at %s in:\n%s", loc, strings.Join(got, "\n"))
		}
	}

	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	stripped, _ := json.Marshal(dropNulls(doc))
	if errs := schemaErrors(t, s, stripped); len(errs) > 0 {
		t.Errorf("example without nulls fails the schema:\n%s", strings.Join(errs, "\n"))
	}
}

// dropNulls removes null members of objects, but not inside the free-form
// latestRun, whose nulls the schema does not look at.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else if k != "latestRun" {
				x[k] = dropNulls(e)
			}
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

func TestMarshalVariants(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"custom keeps only its fields", MCPConfig{ServerType: ServerCustom, ID: 18, Name: "W", URL: "https://x", CompanyID: 1, Data: &WorkbookData{ID: "a", WorkspaceID: "b"}},
			`{"id":18,"name":"W","description":"","url":"https://x","transport":"streamable_http","serverType":"CUSTOM","companyId":1}`},
		{"custom without registered id", MCPConfig{ServerType: ServerCustom, URL: "https://x", Transport: "sse"},
			`{"name":"","description":"","url":"https://x","transport":"sse","serverType":"CUSTOM"}`},
		{"workbook keeps only its fields", MCPConfig{ServerType: ServerWorkbook, ID: 9, CompanyID: 1, Name: "dg_Order.csv", Data: &WorkbookData{ID: "a", WorkspaceID: "b"}},
			`{"serverType":"WORKBOOK","name":"dg_Order.csv","description":"","url":"","transport":"streamable_http","data":{"id":"a","workspaceId":"b"}}`},
		{"empty uiMetadata", UIMetadata{}, `{"bestFor":[],"conversationStarters":[],"logo":null}`},
		{"uiMetadata with logo", UIMetadata{Logo: "x.png", BestFor: []string{"a"}}, `{"bestFor":["a"],"conversationStarters":[],"logo":"x.png"}`},
		{"empty configs", Configs{}, `{"mcpConfigs":[],"connectors":[],"skillIds":[]}`},
		{"configs with web search off", Configs{WebSearchEnabled: new(bool), SkillIDs: []int64{3}},
			`{"webSearchEnabled":false,"mcpConfigs":[],"connectors":[],"skillIds":[3]}`},
		{"connector without data", Connector{ID: "315", Type: ConnConnector, SourceType: "AI"}, `{"id":"315","type":"CONNECTOR","sourceType":"AI"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

func TestWireBodyOfExample(t *testing.T) {
	r := decodeStrict(t, readFixture(t, "create_request.json"))
	body, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, body, exampleWire(t))
}

// exampleWire is the body the document's example (testdata/create_request.json,
// the document's request verbatim) goes out as: the same, less the null
// members of the KB records (sourceId, credentialId, activeConfig), which the
// schema gives one type and which mean what absent means.
func exampleWire(t *testing.T) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readFixture(t, "create_request.json"), &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc["configs"].(map[string]any)["connectors"].([]any) {
		data, _ := c.(map[string]any)["data"].(map[string]any)
		for k, v := range data {
			if v == nil {
				delete(data, k)
			}
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
		gi, _ := json.MarshalIndent(g, "", " ")
		wi, _ := json.MarshalIndent(w, "", " ")
		t.Errorf("JSON differs\ngot:\n%s\nwant:\n%s", gi, wi)
	}
}
