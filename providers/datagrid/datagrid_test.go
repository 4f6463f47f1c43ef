package datagrid

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/schemas"
	"github.com/agentmcp/agentmcp/tools"
)

const canary = "canary-dg-7c1e0b9a5d3f"

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeStrict(t *testing.T, b []byte) *Request {
	t.Helper()
	var r Request
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return &r
}

func jsonEqual(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

func newProvider(t *testing.T, env map[string]string) *Provider {
	t.Helper()
	p, err := New(providers.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWireRequest sends every documented field to a fake Datagrid and checks
// the exact request against the document: method, path under the base URL's
// own path, bearer auth, teamspace header, JSON body with the union forms.
func TestWireRequest(t *testing.T) {
	var seen int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen++
		if r.Method != http.MethodPost || r.URL.Path != "/v1/agents" || r.URL.RawQuery != "" {
			t.Errorf("request line = %s %s", r.Method, r.URL)
		}
		want := map[string]string{
			"Authorization":      "Bearer " + canary,
			"Content-Type":       "application/json",
			"Accept":             "application/json",
			"Datagrid-Teamspace": "ts_42",
			"User-Agent":         "agentmcp/test",
		}
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Errorf("header %s = %q, want %q", k, redactCanary(got), redactCanary(v))
			}
		}
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		jsonEqual(t, body.Bytes(), mustRead(t, "testdata/wire.json"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(mustRead(t, "testdata/response.json"))
	}))
	defer srv.Close()

	p := newProvider(t, map[string]string{EnvBaseURL: srv.URL + "/v1", EnvTeamspace: "ts_42"})
	req := decodeStrict(t, mustRead(t, "testdata/request.json"))
	if errs := p.Check(req); len(errs) > 0 {
		t.Fatalf("Check: %v", errs)
	}
	creds := providers.NewCredentials(providers.SourceEnv, map[string]string{"api_key": canary})
	res, err := providers.NewClient("agentmcp/test").Do(context.Background(), providers.Call{
		Provider: name,
		Build:    func(at providers.Attempt) (*providers.Outgoing, error) { return p.Build(req, creds, at) },
		Parse:    p.Parse,
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 1 || res.Created.AgentID != "agt_01HZX3Y4" || res.Created.Agent["object"] != "agent" {
		t.Errorf("created = %+v after %d requests", res.Created, seen)
	}
}

func redactCanary(s string) string { return strings.ReplaceAll(s, canary, "<canary>") }

func TestNoTeamspaceHeaderByDefault(t *testing.T) {
	p := newProvider(t, nil)
	out, err := p.Build(&Request{}, providers.Credentials{}, providers.Attempt{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Header["Datagrid-Teamspace"]; ok {
		t.Error("Datagrid-Teamspace sent without DATAGRID_TEAMSPACE_ID")
	}
	if out.URL != "https://api.datagrid.com/v1/agents" {
		t.Errorf("default URL = %s", out.URL)
	}
	if string(out.Body) != "{}" {
		t.Errorf("empty request body = %s (the document allows an empty create)", out.Body)
	}
}

func TestTeamspaceMustBeOneLine(t *testing.T) {
	_, err := New(providers.MapEnv(map[string]string{EnvTeamspace: "ts_1\nX-Injected: 1"}))
	if err == nil || !strings.Contains(err.Error(), EnvTeamspace) || strings.Contains(err.Error(), "Injected") {
		t.Errorf("teamspace of two lines (it cannot be sent as Datagrid-Teamspace): %v", err)
	}
}

func TestListsNullVersusEmpty(t *testing.T) {
	p := newProvider(t, nil)
	for _, in := range []string{`{}`, `{"tools":[]}`, `{"disabled_tools":[]}`, `{"mcp_servers":[]}`, `{"knowledge_ids":[]}`, `{"corpus":[]}`} {
		out, err := p.Build(decodeStrict(t, []byte(in)), providers.Credentials{}, providers.Attempt{})
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Body) != in {
			t.Errorf("%s sent as %s: absent and [] mean different things", in, out.Body)
		}
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name string
		req  string
		want []string // substrings, one per expected problem; none = valid
	}{
		{"empty is valid", `{}`, nil},
		{"flash with semantic_search", `{"agent_model":"magpie-1.1-flash","tools":[{"name":"semantic_search"}]}`, nil},
		{"flash with another tool", `{"agent_model":"magpie-1.1-flash","tools":[{"name":"semantic_search"},{"name":"web_search"}]}`,
			[]string{"/tools/1/name: agent_model magpie-1.1-flash supports only the semantic_search tool, got \"web_search\""}},
		{"flash with default tools", `{"agent_model":"magpie-1.1-flash"}`, nil},
		{"llm-only with tools", `{"agent_model":"llm-only","tools":[{"name":"charts"}]}`, []string{"/tools: agent_model llm-only runs no tools"}},
		{"llm-only with no tools", `{"agent_model":"llm-only","tools":[]}`, nil},
		{"custom agent model", `{"agent_model":"magpie-9","tools":[{"name":"charts"}]}`, nil},
		{"knowledge without id", `{"corpus":[{"type":"knowledge"}]}`, []string{"/corpus/0/knowledge_id: required"}},
		{"page without id", `{"corpus":[{"type":"page","knowledge_id":"k"}]}`, []string{"/corpus/0/page_id: required", "/corpus/0/knowledge_id: not allowed"}},
		{"knowledge with page id", `{"corpus":[{"type":"knowledge","knowledge_id":"k","page_id":"p"}]}`, []string{"/corpus/0/page_id: not allowed"}},
	}
	p := newProvider(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := p.Check(decodeStrict(t, []byte(c.req)))
			if len(errs) != len(c.want) {
				t.Fatalf("Check = %v, want %d problems", errs, len(c.want))
			}
			for _, w := range c.want {
				if !strings.Contains(errs.Error(), w) {
					t.Errorf("Check = %v, want %q", errs, w)
				}
			}
		})
	}
}

// A number where the document shows a string is the id all the same, digit
// for digit; a value of another type is no id.
func TestParseIDTypes(t *testing.T) {
	p := newProvider(t, nil)
	for body, want := range map[string]string{`{"id":"agt_1"}`: "agt_1", `{"id":12345678901234567890}`: "12345678901234567890", `{"id":true}`: "", `{"id":{"v":"agt_1"}}`: ""} {
		c, err := p.Parse(&providers.Incoming{Status: 201, Header: http.Header{}, Body: []byte(body)})
		if got := ""; err == nil {
			got = c.AgentID
			if got != want {
				t.Errorf("%s: id %q, want %q", body, got, want)
			}
		} else if want != "" {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	p := newProvider(t, nil)
	cases := []struct {
		status int
		hdr    http.Header
		body   string
		want   string
		retry  providers.Retry
	}{
		{400, nil, `{"status_code":400,"error":"invalid_request","message":"Only semantic_search is supported"}`, "HTTP 400 Bad Request), code invalid_request: Only semantic_search is supported", providers.Final},
		{401, nil, `{"error":"unauthorized","message":"Invalid API key"}`, "Invalid API key", providers.Final},
		{429, http.Header{"Retry-After": {"7"}}, `{"status_code":429,"error":"rate_limit_exceeded","message":"Rate limit exceeded","details":{"reason":"Please retry after the current window resets."}}`, "Rate limit exceeded (Please retry after the current window resets.)", providers.NotProcessed},
		{403, nil, `{"error":"forbidden","details":{"reason":"Key lacks agents:write."}}`, "code forbidden: Key lacks agents:write.", providers.Final},
		// A field of another shape costs no message; problem details are read.
		{400, nil, `{"error":"invalid_request","message":"name too long","details":[{"field":"name"}]}`, "code invalid_request: name too long", providers.Final},
		{400, nil, `{"error":400,"message":"name too long"}`, "code 400: name too long", providers.Final},
		{422, nil, `{"type":"https://api.datagrid.com/errors/validation","title":"Validation failed","status":422,"detail":"name too long"}`, "name too long", providers.Final},
		{422, nil, `{"title":"Validation failed","status":422}`, "Validation failed", providers.Final},
		{500, nil, `{"message":"Internal error"}`, "HTTP 500", providers.MaybeProcessed},
		{502, nil, `<html><body>Bad Gateway</body></html>`, "<html><body>Bad Gateway</body></html>", providers.MaybeProcessed},
		{503, http.Header{"Retry-After": {"5"}}, `{"message":"Service unavailable"}`, "Service unavailable", providers.NotProcessed},
		// Retry-After here is the spent rate window's, not a sign the create was turned away.
		{503, http.Header{"Retry-After": {"5"}, "X-Ratelimit-Remaining": {"0"}}, `{"message":"Service unavailable"}`, "Service unavailable", providers.MaybeProcessed},
	}
	for _, c := range cases {
		_, err := p.Parse(&providers.Incoming{Status: c.status, Header: c.hdr, Body: []byte(c.body)})
		ve, ok := providers.IsVendorError(err)
		if !ok {
			t.Fatalf("%d: err %T is not a VendorError", c.status, err)
		}
		if !strings.Contains(ve.Error(), c.want) || ve.Retry != c.retry {
			t.Errorf("%d: %v (retry %v), want %q (retry %v)", c.status, ve, ve.Retry, c.want, c.retry)
		}
		if c.status == 429 && ve.RetryAfter != 7*time.Second {
			t.Errorf("429 RetryAfter = %v", ve.RetryAfter)
		}
	}
	for _, body := range []string{`not json`, `{"name":"no id"}`, `[]`} {
		_, err := p.Parse(&providers.Incoming{Status: 201, Body: []byte(body)})
		if _, isVendor := providers.IsVendorError(err); err == nil || isVendor {
			t.Errorf("2xx %s: err = %v, want a plain parse error", body, err)
		}
	}
}

func TestSchema(t *testing.T) {
	raw, err := tools.InputSchema[Request]()
	if err != nil {
		t.Fatal(err)
	}
	if v := schemas.Lint(raw); len(v) > 0 {
		t.Errorf("schema not portable: %v", v)
	}
	var s struct {
		Required   []string                  `json:"required"`
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Required) != 0 {
		t.Errorf("the document marks no field required, schema requires %v", s.Required)
	}
	for _, f := range []string{"name", "description", "agent_model", "llm_model", "temperature", "tools", "disabled_tools",
		"mcp_servers", "knowledge_ids", "corpus", "system_prompt", "custom_prompt", "planning_prompt", "dry_run"} {
		if _, ok := s.Properties[f]; !ok {
			t.Errorf("documented field %s missing from the schema", f)
		}
	}
	if s.Properties["name"]["maxLength"] != float64(255) || s.Properties["description"]["maxLength"] != float64(1000) {
		t.Error("name/description maxLength not from the document")
	}
	if s.Properties["temperature"]["minimum"] != float64(0) || s.Properties["temperature"]["maximum"] != float64(1) {
		t.Error("temperature range not from the document")
	}
	if len(raw) > 4000 {
		t.Errorf("served schema is %d bytes, budget 4000", len(raw))
	}
}

func TestPreviewHidesKey(t *testing.T) {
	p := newProvider(t, nil)
	creds := providers.NewCredentials(providers.SourceEnv, map[string]string{"api_key": canary})
	out, err := p.Build(&Request{Name: "x"}, creds, providers.Attempt{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out.Preview(creds))
	if strings.Contains(string(b), canary) {
		t.Fatalf("preview leaks the key: %s", redactCanary(string(b)))
	}
	if !strings.Contains(string(b), `"Authorization":"Bearer [REDACTED]"`) {
		t.Errorf("preview = %s", b)
	}
}

func TestPrecheckBareToolNames(t *testing.T) {
	p := newProvider(t, nil)
	cases := []struct {
		name string
		raw  string
		want []string // "field: message fragment"
	}{
		{"objects pass", `{"tools":[{"name":"data_analysis"}],"disabled_tools":[{"name":"web_search"}]}`, nil},
		{"no tools", `{"name":"x"}`, nil},
		{"not an object", `[1]`, nil},
		{"bare names", `{"tools":[{"name":"charts"}, "data_analysis" ],"disabled_tools":[ "web_search"]}`,
			[]string{`/tools/1: write the tool as {"name":"data_analysis"}`, `/disabled_tools/0: write the tool as {"name":"web_search"}`}},
		{"other wrong types are the schema's", `{"tools":[1, null, ["x"], ""]}`, nil},
		{"a wrong type elsewhere", `{"tools":["web_search"],"disabled_tools":"charts"}`, []string{`/tools/0: write the tool as {"name":"web_search"}`}},
		{"llm-only runs none", `{"agent_model":"llm-only","tools":["web_search",{"name":"charts"}]}`, []string{`/tools: agent_model llm-only runs no tools`}},
		{"flash runs semantic_search only", `{"agent_model":"magpie-1.1-flash","tools":["web_search","semantic_search",{"name":"charts"}]}`,
			[]string{`/tools/0: agent_model magpie-1.1-flash supports only the semantic_search tool, got "web_search"`,
				`/tools/2: agent_model magpie-1.1-flash supports only`, `/tools/1: write the tool as {"name":"semantic_search"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := p.Precheck([]byte(tc.raw))
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d problems (%v), want %d", len(errs), errs, len(tc.want))
			}
			text := errs.Error()
			for _, w := range tc.want {
				field, msg, _ := strings.Cut(w, ": ")
				if !strings.Contains(text, "- "+field+": "+msg) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
		})
	}
}

// TestErrorKeepsRequestID: the X-Request-Id read from a success is kept from
// a failure too, where a support case needs it most.
func TestErrorKeepsRequestID(t *testing.T) {
	p := newProvider(t, nil)
	for _, status := range []int{400, 429, 500} {
		_, err := p.Parse(&providers.Incoming{Status: status, Header: http.Header{"X-Request-Id": {"req_7f3a"}},
			Body: []byte(`{"status_code":400,"error":"invalid_request","message":"bad"}`)})
		ve, ok := providers.IsVendorError(err)
		if !ok {
			t.Fatalf("%d: err %T is not a VendorError", status, err)
		}
		if ve.RequestID != "req_7f3a" || !strings.Contains(ve.Error(), "(request id req_7f3a)") {
			t.Errorf("%d: RequestID = %q, error %q", status, ve.RequestID, ve.Error())
		}
	}
}
