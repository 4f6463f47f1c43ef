package everruns

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/schemas"
	"github.com/agentmcp/agentmcp/tools"
)

const (
	// docRequestID is the document's request example id: 31 hex digits.
	docRequestID = "agent_01933b5a00007000800000000000001"
	// docResponseID is the document's response example id: 32 hex digits.
	docResponseID = "agent_01933b5a000070008000000000000001"
	// docModelID is the document's default_model_id example: 31 hex digits
	// too, and validModelID the same made 32.
	docModelID   = "model_01933b5a00007000800000000000001"
	validModelID = "model_01933b5a000070008000000000000001"
	schemaBudget = 1800
)

var idPattern = regexp.MustCompile(`^agent_[0-9a-f]{32}$`)

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

func newProvider(t *testing.T, env map[string]string) *Provider {
	t.Helper()
	p, err := New(providers.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInputSchema(t *testing.T) {
	raw, err := tools.InputSchema[Request]()
	if err != nil {
		t.Fatal(err)
	}
	if problems := schemas.Lint(raw); len(problems) > 0 {
		t.Fatalf("lint: %v", problems)
	}
	if len(raw) > schemaBudget {
		t.Fatalf("served schema is %d bytes, budget %d", len(raw), schemaBudget)
	}
	t.Logf("served input schema: %d bytes", len(raw))

	var s struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if want := []string{"name", "system_prompt"}; !reflect.DeepEqual(s.Required, want) {
		t.Errorf("required = %v, want %v", s.Required, want)
	}
	wantProps := []string{"capabilities", "default_model_id", "description", "dry_run", "id", "name", "system_prompt", "tags"}
	var got []string
	for k := range s.Properties {
		got = append(got, k)
	}
	if len(got) != len(wantProps) {
		t.Errorf("properties = %v, want %v", got, wantProps)
	}
	for _, k := range wantProps {
		if _, ok := s.Properties[k]; !ok {
			t.Errorf("property %s missing", k)
		}
	}
	for _, want := range []string{
		`"pattern":"^agent_[0-9a-f]{32}$"`,
		`"maxItems":250`,
		`"config":{"properties":{},"additionalProperties":true,"type":"object"`,
		`"required":["ref"]`,
		`overwritten`,
		`"default_model_id":{"type":"string","description":"model_ + 32 lowercase hex: a model record id, not a model name.`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("schema lacks %s", want)
		}
	}
}

func TestCheck(t *testing.T) {
	valid := func() Request {
		return Request{Name: "Support", SystemPrompt: "Be helpful."}
	}
	caps := func(n int) []Capability {
		out := make([]Capability, n)
		for i := range out {
			out[i] = Capability{Ref: "current_time"}
		}
		return out
	}
	tests := []struct {
		name   string
		mod    func(*Request)
		field  string // "" = valid
		substr string
	}{
		{"minimal", func(*Request) {}, "", ""},
		{"all fields", func(r *Request) {
			r.Description = "d"
			r.DefaultModelID = validModelID
			r.ID = docResponseID
			r.Tags = []string{"a"}
			r.Capabilities = []Capability{{Ref: "web_fetch", Config: Config{"timeout": 5.0}}}
		}, "", ""},
		{"name at 2 KiB", func(r *Request) { r.Name = strings.Repeat("x", 2048) }, "", ""},
		{"name over 2 KiB", func(r *Request) { r.Name = strings.Repeat("x", 2049) }, "/name", "is 2049 bytes (UTF-8); Everruns allows at most 2048 bytes (2 KiB)"},
		// 700 characters but 2100 bytes: the schema's maxLength passes it, Check does not.
		{"name multibyte over 2 KiB", func(r *Request) { r.Name = strings.Repeat("€", 700) }, "/name", "is 2100 bytes"},
		{"description at 10 KiB", func(r *Request) { r.Description = strings.Repeat("x", 10240) }, "", ""},
		{"description over 10 KiB", func(r *Request) { r.Description = strings.Repeat("x", 10241) }, "/description", "at most 10240 bytes (10 KiB)"},
		{"system_prompt at 1 MiB", func(r *Request) { r.SystemPrompt = strings.Repeat("x", 1<<20) }, "", ""},
		{"system_prompt over 1 MiB", func(r *Request) { r.SystemPrompt = strings.Repeat("x", 1<<20+1) }, "/system_prompt", "at most 1048576 bytes (1 MiB)"},
		{"250 capabilities", func(r *Request) { r.Capabilities = caps(250) }, "", ""},
		{"251 capabilities", func(r *Request) { r.Capabilities = caps(251) }, "/capabilities", "has 251 items; Everruns allows at most 250"},
		{"empty capability ref", func(r *Request) { r.Capabilities = []Capability{{Ref: "a"}, {}} }, "/capabilities/1/ref", "required"},
		{"capability ref of spaces", func(r *Request) { r.Capabilities = []Capability{{Ref: " "}} }, "/capabilities/0/ref", "required"},
		{"name of spaces", func(r *Request) { r.Name = "  " }, "/name", "must not be blank"},
		{"system_prompt of whitespace", func(r *Request) { r.SystemPrompt = " \n\t " }, "/system_prompt", "must not be blank"},
		{"id 32 hex", func(r *Request) { r.ID = "agent_" + strings.Repeat("0a", 16) }, "", ""},
		{"id 31 hex", func(r *Request) { r.ID = docRequestID }, "/id", "has 31 hex digits"},
		{"id 33 hex", func(r *Request) { r.ID = docResponseID + "2" }, "/id", "has 33 hex digits"},
		{"id no digits", func(r *Request) { r.ID = "agent_" }, "/id", "has 0 hex digits"},
		{"id uppercase", func(r *Request) { r.ID = "agent_01933B5A000070008000000000000001" }, "/id", "uppercase"},
		{"id wrong prefix", func(r *Request) { r.ID = "model_01933b5a000070008000000000000001" }, "/id", `does not start with "agent_"`},
		{"id bare uuid", func(r *Request) { r.ID = "01933b5a-0000-7000-8000-000000000001" }, "/id", `does not start with "agent_"`},
		{"id with dashes", func(r *Request) { r.ID = "agent_01933b5a-0000-7000-8000-000000000001" }, "/id", `contains '-'`},
		// default_model_id is a model record id, checked as the server parses it.
		{"model id 32 hex", func(r *Request) { r.DefaultModelID = validModelID }, "", ""},
		{"model id 31 hex", func(r *Request) { r.DefaultModelID = docModelID }, "/default_model_id", `"model_" followed by exactly 32 lowercase hex digits: the id of an Everruns model record`},
		{"model id 31 hex counted", func(r *Request) { r.DefaultModelID = docModelID }, "/default_model_id", "has 31 hex digits"},
		{"model name", func(r *Request) { r.DefaultModelID = "gpt-4o" }, "/default_model_id", `not a model name; or omit it for the system default; "gpt-4o" does not start with "model_"`},
		{"model id uppercase", func(r *Request) { r.DefaultModelID = "model_01933B5A000070008000000000000001" }, "/default_model_id", "uppercase"},
		{"agent id as model id", func(r *Request) { r.DefaultModelID = docResponseID }, "/default_model_id", `does not start with "model_"`},
		{"model id of spaces", func(r *Request) { r.DefaultModelID = " " }, "/default_model_id", `does not start with "model_"`},
		{"long model name clipped", func(r *Request) { r.DefaultModelID = strings.Repeat("x", 5000) }, "/default_model_id", strings.Repeat("x", 80) + `…" does not start`},
	}
	p := newProvider(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.mod(&r)
			errs := p.Check(&r)
			if tc.field == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors:\n%v", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("want 1 error at %s, got %d:\n%v", tc.field, len(errs), errs)
			}
			if errs[0].Field != tc.field || !strings.Contains(errs[0].Message, tc.substr) {
				t.Fatalf("got %s: %s; want %s containing %q", errs[0].Field, errs[0].Message, tc.field, tc.substr)
			}
		})
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	r := Request{Name: strings.Repeat("n", 3000), SystemPrompt: "p", Description: strings.Repeat("d", 20000), ID: docRequestID}
	errs := newProvider(t, nil).Check(&r)
	if len(errs) != 3 {
		t.Fatalf("want 3 errors, got:\n%v", errs)
	}
}

// The document's own request example carries a 31-digit id and a 31-digit
// default_model_id; both must be refused before anything is sent, with the
// count in the message.
func TestDocumentRequestExampleRefused(t *testing.T) {
	r := decodeStrict(t, readFixture(t, "create_agent_request.json"))
	if r.ID != docRequestID {
		t.Fatalf("fixture id = %q", r.ID)
	}
	if r.DefaultModelID != docModelID {
		t.Fatalf("fixture default_model_id = %q", r.DefaultModelID)
	}
	errs := newProvider(t, nil).Check(&r).Capped(10)
	if len(errs) != 2 || errs[0].Field != "/default_model_id" || errs[1].Field != "/id" {
		t.Fatalf("want a /default_model_id and an /id error, got:\n%v", errs)
	}
	for i, id := range []string{docModelID, docRequestID} {
		for _, want := range []string{"has 31 hex digits", "exactly 32 lowercase hex digits", id} {
			if !strings.Contains(errs[i].Message, want) {
				t.Errorf("message %q lacks %q", errs[i].Message, want)
			}
		}
	}
}

func TestPrepareGeneratesIDOnce(t *testing.T) {
	p := newProvider(t, nil)
	r := Request{Name: "n", SystemPrompt: "p"}
	if p.Idempotent(&r) || p.ClientID(&r) != "" {
		t.Fatal("a request without id must not be idempotent")
	}
	if err := p.Prepare(&r); err != nil {
		t.Fatal(err)
	}
	id := r.ID
	if !idPattern.MatchString(id) || idProblem(id) != "" {
		t.Fatalf("generated id %q is not agent_ + 32 lowercase hex", id)
	}
	if errs := p.Check(&r); len(errs) > 0 {
		t.Fatalf("prepared request fails Check: %v", errs)
	}
	if err := p.Prepare(&r); err != nil || r.ID != id {
		t.Fatalf("second Prepare changed the id: %q -> %q (%v)", id, r.ID, err)
	}
	if !p.Idempotent(&r) || p.ClientID(&r) != id {
		t.Fatal("prepared request must be idempotent and report its id")
	}
	// A caller's id is kept.
	r2 := Request{Name: "n", SystemPrompt: "p", ID: docResponseID}
	if err := p.Prepare(&r2); err != nil || r2.ID != docResponseID {
		t.Fatalf("Prepare replaced the caller's id: %q", r2.ID)
	}
	// Ids are fresh per request.
	r3 := Request{Name: "n", SystemPrompt: "p"}
	if err := p.Prepare(&r3); err != nil || r3.ID == id {
		t.Fatalf("two requests got the same id %q", id)
	}
}

func TestNew(t *testing.T) {
	p := newProvider(t, nil)
	if got := p.agentsURL(); got != "https://app.everruns.com/api/v1/agents" {
		t.Errorf("default URL = %s", got)
	}
	p = newProvider(t, map[string]string{EnvBaseURL: "https://everruns.example.com/", EnvOrgID: " org_1 "})
	if got := p.agentsURL(); got != "https://everruns.example.com/v1/agents" {
		t.Errorf("custom URL = %s", got)
	}
	for _, base := range []string{"https://evr.example.com/v1", "https://evr.example.com/v1/"} {
		if got := newProvider(t, map[string]string{EnvBaseURL: base}).agentsURL(); got != "https://evr.example.com/v1/agents" {
			t.Errorf("%s: URL = %s, want the self-hosted docs' base accepted", base, got)
		}
	}
	if p.orgID != "org_1" {
		t.Errorf("org id = %q", p.orgID)
	}
	if _, err := New(providers.MapEnv(map[string]string{EnvBaseURL: "app.everruns.com"})); err == nil || !strings.Contains(err.Error(), "everruns") {
		t.Errorf("relative base URL accepted: %v", err)
	}
	if _, err := New(providers.MapEnv(map[string]string{EnvOrgID: "org_1\nX-Injected: 1"})); err == nil || !strings.Contains(err.Error(), EnvOrgID) {
		t.Errorf("org id of two lines accepted (it cannot be sent as X-Org-Id): %v", err)
	}
	d := p.Describe()
	if d.Slug != "everruns" || d.Name != "Everruns" {
		t.Errorf("descriptor %q %q", d.Slug, d.Name)
	}
	if !d.Overwrites {
		t.Error("Overwrites false: POST /v1/agents upserts, so a create with an existing id replaces that agent")
	}
	want := providers.CredentialSpec{Key: "api_key", Env: "EVERRUNS_API_KEY", Header: "X-Everruns-Api-Key", Required: true}
	if len(d.Credentials) != 1 || d.Credentials[0] != want {
		t.Errorf("credentials = %+v", d.Credentials)
	}
	if !strings.Contains(d.VerifyHint, "GET https://everruns.example.com/v1/agents") || !strings.Contains(d.VerifyHint, "no Bearer") {
		t.Errorf("verify hint = %s", d.VerifyHint)
	}
}
