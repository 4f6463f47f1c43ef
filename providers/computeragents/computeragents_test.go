package computeragents

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/providers"
)

const (
	testKey   = "tb_test_0123456789abcdef"
	canaryKey = "tb_CANARY_7f3a9c1e5b2d4860"
)

var _ providers.Provider[Request] = (*Provider)(nil)

func newProvider(t *testing.T, base string) *Provider {
	t.Helper()
	p, err := New(providers.MapEnv(map[string]string{EnvBaseURL: base}))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func creds(key string) providers.Credentials {
	return providers.NewCredentials(providers.SourceEnv, map[string]string{"api_key": key})
}

func TestNewBaseURL(t *testing.T) {
	tests := []struct {
		env     map[string]string
		wantURL string
		wantErr bool
	}{
		{nil, "https://api.computer-agents.com/v1/agents", false},
		{map[string]string{EnvBaseURL: "  "}, "https://api.computer-agents.com/v1/agents", false},
		{map[string]string{EnvBaseURL: "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080/v1/agents", false},
		// The vendor's API overview gives the base with /v1.
		{map[string]string{EnvBaseURL: "https://api.computer-agents.com/v1"}, "https://api.computer-agents.com/v1/agents", false},
		{map[string]string{EnvBaseURL: "https://proxy.example/acp"}, "https://proxy.example/acp/v1/agents", false},
		{map[string]string{EnvBaseURL: "api.computer-agents.com"}, "", true},
		{map[string]string{EnvBaseURL: "https://api.computer-agents.com?x=1"}, "", true},
	}
	for _, tt := range tests {
		p, err := New(providers.MapEnv(tt.env))
		if tt.wantErr {
			if err == nil {
				t.Errorf("%v: want error", tt.env)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		out, err := p.Build(&Request{Name: "a", Model: "gpt-5.5"}, creds(testKey), providers.Attempt{Number: 1})
		if err != nil {
			t.Fatal(err)
		}
		if out.URL != tt.wantURL {
			t.Errorf("%v: URL = %s, want %s", tt.env, out.URL, tt.wantURL)
		}
	}
}

func TestDescribe(t *testing.T) {
	d := newProvider(t, "http://127.0.0.1:9").Describe()
	if d.Slug != "computer_agents" || d.Name != "Computer Agents" {
		t.Errorf("slug/name = %q/%q", d.Slug, d.Name)
	}
	want := []providers.CredentialSpec{{Key: "api_key", Env: "COMPUTER_AGENTS_API_KEY", Header: "X-Computer-Agents-Api-Key", Required: true}}
	if len(d.Credentials) != 1 || d.Credentials[0] != want[0] {
		t.Errorf("credentials = %+v, want %+v", d.Credentials, want)
	}
	if len(d.Settings) != 1 || d.Settings[0].Env != EnvBaseURL || d.Settings[0].Default != DefaultBaseURL {
		t.Errorf("settings = %+v", d.Settings)
	}
	for _, s := range []string{"name and model required", "permissions"} {
		if !strings.Contains(d.Description, s) {
			t.Errorf("description lacks %q: %s", s, d.Description)
		}
	}
	for _, s := range []string{"GET http://127.0.0.1:9/v1/agents?limit=100&offset=0", "GET http://127.0.0.1:9/v1/agents/{agentId}"} {
		if !strings.Contains(d.VerifyHint, s) {
			t.Errorf("verify hint lacks %q: %s", s, d.VerifyHint)
		}
	}
}

// A custom id does not make the create idempotent: the document does not say
// what a taken id does. No ClientID is offered either.
func TestNotIdempotent(t *testing.T) {
	p := newProvider(t, "")
	for _, r := range []Request{{Name: "a", Model: "m"}, {ID: "agent_custom", Name: "a", Model: "m"}} {
		if p.Idempotent(&r) {
			t.Errorf("Idempotent(%+v) = true", r)
		}
	}
	if _, ok := any(p).(interface{ ClientID(*Request) string }); ok {
		t.Error("provider offers ClientID; a custom id is not a documented idempotency key")
	}
	r := Request{Name: "Research Assistant"}
	if p.AgentName(&r) != "Research Assistant" {
		t.Error("AgentName")
	}
	if err := p.Prepare(&r); err != nil || r.ID != "" {
		t.Errorf("Prepare changed the request: %v %q", err, r.ID)
	}
}

// seen is what the fake vendor received.
type seen struct {
	mu      sync.Mutex
	method  string
	path    string
	query   string
	header  http.Header
	body    []byte
	numReqs int
}

func (s *seen) record(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.method, s.path, s.query, s.header, s.body = r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b
	s.numReqs++
}

func call(p *Provider, r *Request, key string) providers.Call {
	return providers.Call{
		Provider:   p.Describe().Name,
		AgentName:  p.AgentName(r),
		VerifyHint: p.Describe().VerifyHint,
		Idempotent: p.Idempotent(r),
		Build:      func(at providers.Attempt) (*providers.Outgoing, error) { return p.Build(r, creds(key), at) },
		Parse:      p.Parse,
	}
}

func testClient() *providers.Client {
	c := providers.NewClient("agentmcp/test")
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	return c
}

func TestCreateAgainstFakeVendor(t *testing.T) {
	reqFixture := readFixture(t, "request.json")
	respFixture := readFixture(t, "response_201.json")
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.record(r)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_123")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(respFixture)
	}))
	defer srv.Close()

	p := newProvider(t, srv.URL)
	r, err := decodeStrict(reqFixture)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := testClient().Do(ctx, call(p, r, testKey))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}

	got.mu.Lock()
	defer got.mu.Unlock()
	if got.numReqs != 1 {
		t.Errorf("vendor saw %d requests, want 1", got.numReqs)
	}
	if got.method != http.MethodPost {
		t.Errorf("method = %s, want POST", got.method)
	}
	if got.path != "/v1/agents" || got.query != "" {
		t.Errorf("path = %s?%s, want /v1/agents", got.path, got.query)
	}
	if a := got.header.Get("Authorization"); a != "Bearer "+testKey {
		t.Errorf("Authorization = %q, want exactly %q", a, "Bearer "+testKey)
	}
	if v := got.header.Values("Authorization"); len(v) != 1 {
		t.Errorf("Authorization sent %d times", len(v))
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if a := got.header.Get("Accept"); a != "application/json" {
		t.Errorf("Accept = %q", a)
	}
	if ua := got.header.Get("User-Agent"); ua != "agentmcp/test" {
		t.Errorf("User-Agent = %q (the client sets it)", ua)
	}
	if k := got.header.Get("X-API-Key"); k != "" {
		t.Errorf("X-API-Key sent too: %q", k)
	}
	// The body is the document's request shape: the fixture itself.
	assertSameJSON(t, got.body, reqFixture)

	c := res.Created
	if res.Attempts != 1 || c.AgentID != "agent_qP5Hz2jwHsj5oVoCPIx71" {
		t.Errorf("attempts %d, id %q", res.Attempts, c.AgentID)
	}
	if c.Agent["name"] != "Research Assistant" || c.Agent["model"] != "claude-sonnet-4-5" {
		t.Errorf("agent = %v, want the inner agent object", c.Agent)
	}
	if _, wrapped := c.Agent["agent"]; wrapped {
		t.Error("Created.Agent is the wrapper, want the inner object")
	}
	if c.RequestID != "req_123" || c.Status != "active" {
		t.Errorf("request id %q, status %q", c.RequestID, c.Status)
	}
}

func TestParseResponseFixture(t *testing.T) {
	p := newProvider(t, "")
	c, err := p.Parse(&providers.Incoming{Status: 201, Header: http.Header{}, Body: readFixture(t, "response_201.json")})
	if err != nil {
		t.Fatal(err)
	}
	if c.AgentID != "agent_qP5Hz2jwHsj5oVoCPIx71" {
		t.Errorf("AgentID = %q", c.AgentID)
	}
	ps, _ := c.Agent["permissionSet"].(map[string]any)
	if ps["version"] != json.Number("1") {
		t.Errorf("agent object not passed through: %v", c.Agent)
	}
}

func TestParseSuccessShapes(t *testing.T) {
	p := newProvider(t, "")
	tests := []struct {
		name, body string
		wantID     string
		wantStatus string
		errHas     string
	}{
		{"minimal", `{"agent":{"id":"agent_1"}}`, "agent_1", "", ""},
		{"inactive", `{"agent":{"id":"agent_1","isActive":false}}`, "agent_1", "inactive", ""},
		{"unknown fields pass through", `{"agent":{"id":"agent_1","newField":{"x":1}},"extra":true}`, "agent_1", "", ""},
		{"not JSON", `<html>created</html>`, "", "", "decode agent"},
		{"empty", ``, "", "", "decode agent"},
		{"unwrapped", `{"id":"agent_1","name":"a"}`, "", "", `no "agent" object`},
		{"agent null", `{"agent":null}`, "", "", `no "agent" object`},
		{"agent not object", `{"agent":"agent_1"}`, "", "", `no "agent" object`},
		{"no id", `{"agent":{"name":"a"}}`, "", "", "no id"},
		{"id a number, kept as written", `{"agent":{"id":12345678901234567890}}`, "12345678901234567890", "", ""},
		{"id neither string nor number", `{"agent":{"id":true}}`, "", "", "no id"},
		{"agent key in another case", `{"Agent":{"id":"agent_1"}}`, "agent_1", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := p.Parse(&providers.Incoming{Status: 201, Header: http.Header{}, Body: []byte(tt.body)})
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errHas)
				}
				if _, isVendor := providers.IsVendorError(err); isVendor {
					t.Error("an unreadable 2xx must be a plain error, not a VendorError")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AgentID != tt.wantID || c.Status != tt.wantStatus {
				t.Errorf("got %q/%q", c.AgentID, c.Status)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:9")
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		code       string
		msgHas     []string
		hintHas    string
		retry      providers.Retry
		retryAfter time.Duration
	}{
		{name: "400 validation with details", status: 400,
			body: `{"error":"Bad Request","message":"Validation failed","code":"VALIDATION_FAILED","details":[{"field":"model","message":"Unknown model"},{"field":"name","message":"Required"}]}`,
			code: "VALIDATION_FAILED", msgHas: []string{"Validation failed", "model: Unknown model; name: Required"}, retry: providers.Final},
		{name: "400 simple", status: 400, body: `{"error":"invalid_request","message":"name is required"}`,
			code: "invalid_request", msgHas: []string{"name is required"}, retry: providers.Final},
		{name: "400 details as object", status: 400, body: `{"error":"Bad Request","message":"Invalid body","details":{"model":"unknown","limit":3}}`,
			code: "Bad Request", msgHas: []string{"Invalid body (limit: 3; model: unknown)"}, retry: providers.Final},
		{name: "400 numeric code", status: 400, body: `{"error":"Bad Request","message":"name is required","code":400}`,
			code: "400", msgHas: []string{"name is required"}, retry: providers.Final},
		{name: "401", status: 401, body: `{"error":"Unauthorized","message":"Invalid API key"}`,
			code: "Unauthorized", msgHas: []string{"Invalid API key"}, retry: providers.Final},
		{name: "402 budget", status: 402,
			body: `{"error":"Payment Required","message":"Insufficient budget","code":"INSUFFICIENT_BUDGET","budgetStatus":{"remaining":0}}`,
			code: "INSUFFICIENT_BUDGET", msgHas: []string{"Insufficient budget"}, hintHas: "billing limit: the Computer Agents account's budget is exhausted", retry: providers.Final},
		{name: "402 usage", status: 402,
			body: `{"error":"Payment Required","message":"Usage limit reached","code":"USAGE_EXHAUSTED","usage":{"used":100,"limit":100}}`,
			code: "USAGE_EXHAUSTED", msgHas: []string{"Usage limit reached"}, hintHas: "billing limit: the Computer Agents account's plan usage is exhausted", retry: providers.Final},
		{name: "429 usage: not worth retrying", status: 429, body: `{"error":"Too Many Requests","message":"Usage limit reached","code":"USAGE_EXHAUSTED"}`,
			code: "USAGE_EXHAUSTED", hintHas: "plan usage is exhausted", retry: providers.Final},
		{name: "500 usage: the server may still have created it", status: 500, body: `{"error":"Internal Server Error","message":"Usage limit reached","code":"USAGE_EXHAUSTED"}`,
			code: "USAGE_EXHAUSTED", hintHas: "plan usage is exhausted", retry: providers.MaybeProcessed},
		{name: "402 without code", status: 402, body: `{"error":"Payment Required","message":"Payment required"}`,
			code: "Payment Required", hintHas: "billing limit", retry: providers.Final},
		{name: "403", status: 403, body: `{"error":"Forbidden","message":"API key lacks permission"}`,
			code: "Forbidden", msgHas: []string{"lacks permission"}, hintHas: "agents:write", retry: providers.Final},
		{name: "404", status: 404, body: `{"error":"Not Found","message":"Route not found"}`,
			code: "Not Found", msgHas: []string{"Route not found"}, retry: providers.Final},
		{name: "409 conflict", status: 409, body: `{"error":"Conflict","message":"An agent with this name already exists","code":"CONFLICT"}`,
			code: "CONFLICT", msgHas: []string{"already exists"}, hintHas: "choose another", retry: providers.Final},
		{name: "413", status: 413, body: `{"error":"Payload Too Large","message":"Request body too large"}`,
			code: "Payload Too Large", hintHas: "Shorten", retry: providers.Final},
		{name: "422", status: 422, body: `{"error":"Unprocessable Entity","message":"Invalid permission set","details":[{"field":"permissionSet.version","message":"must be 1"}]}`,
			code: "Unprocessable Entity", msgHas: []string{"Invalid permission set (permissionSet.version: must be 1)"}, retry: providers.Final},
		{name: "error only", status: 400, body: `{"error":"name is required"}`,
			msgHas: []string{"name is required"}, retry: providers.Final},
		{name: "429 with Retry-After", status: 429, header: http.Header{"Retry-After": {"7"}},
			body: `{"error":"Too Many Requests","message":"Rate limit exceeded"}`,
			code: "Too Many Requests", msgHas: []string{"Rate limit exceeded"}, retry: providers.NotProcessed, retryAfter: 7 * time.Second},
		{name: "500", status: 500, body: `{"error":"Internal Server Error","message":"Something went wrong"}`,
			code: "Internal Server Error", msgHas: []string{"Something went wrong"}, retry: providers.MaybeProcessed},
		{name: "503 with Retry-After", status: 503, header: http.Header{"Retry-After": {"2"}}, body: `{"error":"Service Unavailable","message":"Maintenance"}`,
			code: "Service Unavailable", retry: providers.NotProcessed, retryAfter: 2 * time.Second},
		{name: "502 HTML", status: 502, body: "<html>\n<body><h1>502 Bad Gateway</h1>\n</body></html>",
			msgHas: []string{"<html> <body><h1>502 Bad Gateway</h1> </body></html>"}, retry: providers.MaybeProcessed},
		{name: "empty body", status: 404, body: ``, msgHas: []string{"(empty response body)"}, retry: providers.Final},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			_, err := p.Parse(&providers.Incoming{Status: tt.status, Header: h, Body: []byte(tt.body)})
			ve, ok := providers.IsVendorError(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *VendorError", err, err)
			}
			if ve.Provider != "Computer Agents" || ve.Status != tt.status || ve.Code != tt.code {
				t.Errorf("provider/status/code = %q/%d/%q, want %d/%q", ve.Provider, ve.Status, ve.Code, tt.status, tt.code)
			}
			for _, m := range tt.msgHas {
				if !strings.Contains(ve.Message, m) {
					t.Errorf("message %q lacks %q", ve.Message, m)
				}
			}
			if tt.hintHas != "" && !strings.Contains(ve.Hint, tt.hintHas) {
				t.Errorf("hint %q lacks %q", ve.Hint, tt.hintHas)
			}
			if tt.hintHas == "" && ve.Hint != "" {
				t.Errorf("unexpected hint %q", ve.Hint)
			}
			if ve.Retry != tt.retry {
				t.Errorf("retry = %v, want %v", ve.Retry, tt.retry)
			}
			if ve.RetryAfter != tt.retryAfter {
				t.Errorf("retry after = %v, want %v", ve.RetryAfter, tt.retryAfter)
			}
		})
	}
}

// Through the client: 429 is retried, 409 is final, 500 is an unknown outcome.
func TestClientOutcomes(t *testing.T) {
	resp := readFixture(t, "response_201.json")
	t.Run("429 then 201", func(t *testing.T) {
		var n int
		var mu sync.Mutex
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			n++
			first := n == 1
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"error":"Too Many Requests","message":"Rate limit exceeded"}`))
				return
			}
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(resp)
		}))
		defer srv.Close()
		p := newProvider(t, srv.URL)
		res, err := testClient().Do(context.Background(), call(p, &Request{Name: "a", Model: "gpt-5.5"}, testKey))
		if err != nil || res.Attempts != 2 || res.Created.AgentID != "agent_qP5Hz2jwHsj5oVoCPIx71" {
			t.Fatalf("res %+v, err %v", res, err)
		}
	})
	t.Run("409 final", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"error":"Conflict","message":"Agent id already exists"}`))
		}))
		defer srv.Close()
		p := newProvider(t, srv.URL)
		res, err := testClient().Do(context.Background(), call(p, &Request{ID: "agent_x", Name: "a", Model: "gpt-5.5"}, testKey))
		ve, ok := providers.IsVendorError(err)
		if !ok || ve.Status != 409 || res.Attempts != 1 {
			t.Fatalf("res %+v, err %v", res, err)
		}
	})
	t.Run("500 unknown outcome even with a custom id", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":"Internal Server Error","message":"boom"}`))
		}))
		defer srv.Close()
		p := newProvider(t, srv.URL)
		res, err := testClient().Do(context.Background(), call(p, &Request{ID: "agent_x", Name: "a", Model: "gpt-5.5"}, testKey))
		var unknown *providers.UnknownOutcomeError
		if !errors.As(err, &unknown) || res.Attempts != 1 {
			t.Fatalf("res %+v, err %v", res, err)
		}
		if !strings.Contains(err.Error(), srv.URL+"/v1/agents?limit=100") {
			t.Errorf("unknown outcome lacks the verify hint: %v", err)
		}
	})
	t.Run("2xx not JSON", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`OK`))
		}))
		defer srv.Close()
		p := newProvider(t, srv.URL)
		_, err := testClient().Do(context.Background(), call(p, &Request{Name: "a", Model: "gpt-5.5"}, testKey))
		var unknown *providers.UnknownOutcomeError
		if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "could not be read") {
			t.Fatalf("err = %v, want created-but-unreadable", err)
		}
	})
}

func TestCanaryKeyNeverShown(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:9")
	r, err := decodeStrict(readFixture(t, "request.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := creds(canaryKey)
	out, err := p.Build(r, c, providers.Attempt{Number: 1, Time: time.Unix(0, 0).UTC(), Nonce: "0123456789abcdef0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Header.Get("Authorization") != "Bearer "+canaryKey {
		t.Fatal("Build does not send the key")
	}
	pv := out.Preview(c)
	if pv.Headers["Authorization"] != "Bearer "+providers.Redacted {
		t.Errorf("preview Authorization = %q", pv.Headers["Authorization"])
	}
	b, _ := json.Marshal(pv)
	if strings.Contains(string(b), canaryKey) {
		t.Errorf("preview shows the key: %s", b)
	}

	var texts []string
	for _, st := range []int{400, 401, 402, 403, 409, 429, 500} {
		_, err := p.Parse(&providers.Incoming{Status: st, Header: http.Header{}, Body: []byte(`{"error":"e","message":"m","code":"INSUFFICIENT_BUDGET"}`)})
		texts = append(texts, err.Error())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"Unauthorized","message":"Invalid API key"}`))
	}))
	defer srv.Close()
	_, err = testClient().Do(context.Background(), call(newProvider(t, srv.URL), r, canaryKey))
	if err == nil {
		t.Fatal("want 401 error")
	}
	texts = append(texts, err.Error(), p.Describe().VerifyHint, p.Describe().Description)
	for _, s := range texts {
		if strings.Contains(s, canaryKey) {
			t.Errorf("text shows the key: %s", s)
		}
	}
}
