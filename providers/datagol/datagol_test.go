package datagol

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/providers"
)

const (
	canaryKey = "dg-canary-key-7f3a9c"
	exampleID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
)

var fixedAttempt = providers.Attempt{Number: 1, Time: time.Date(2026, 5, 7, 10, 0, 0, 0, time.UTC), Nonce: "0123456789abcdef0123456789abcdef"}

func testCreds() providers.Credentials {
	return providers.NewCredentials(providers.SourceEnv, map[string]string{"api_key": canaryKey})
}

func newProvider(t *testing.T, base string) *Provider {
	t.Helper()
	p, err := New(providers.MapEnv(map[string]string{EnvBaseURL: base}))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testClient retries without real waits.
func testClient() *providers.Client {
	c := providers.NewClient("agentmcp/test")
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	return c
}

func do(t *testing.T, p *Provider, r *Request) (providers.Result, error) {
	t.Helper()
	creds := testCreds()
	return testClient().Do(context.Background(), providers.Call{
		Provider:   p.Describe().Name,
		AgentName:  p.AgentName(r),
		VerifyHint: p.Describe().VerifyHint,
		Idempotent: p.Idempotent(r),
		Build:      func(at providers.Attempt) (*providers.Outgoing, error) { return p.Build(r, creds, at) },
		Parse:      p.Parse,
	})
}

func TestNewAndDescribe(t *testing.T) {
	p, err := New(providers.MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := p.Describe()
	if d.Slug != "datagol" || d.Name != "DataGOL" {
		t.Errorf("slug, name = %q, %q", d.Slug, d.Name)
	}
	want := providers.CredentialSpec{Key: "api_key", Env: "DATAGOL_API_KEY", Header: "X-Datagol-Api-Key", Required: true}
	if len(d.Credentials) != 1 || d.Credentials[0] != want {
		t.Errorf("credentials = %+v", d.Credentials)
	}
	if len(d.Settings) != 1 || d.Settings[0].Env != "DATAGOL_BASE_URL" || d.Settings[0].Default != "https://be.datagol.ai" {
		t.Errorf("settings = %+v", d.Settings)
	}
	if !strings.Contains(d.VerifyHint, "GET https://be.datagol.ai/customAgents/api/v1") {
		t.Errorf("verify hint = %q", d.VerifyHint)
	}
	for _, w := range []string{"custom agent", "uiMetadata and configs may be {}"} {
		if !strings.Contains(d.Description, w) {
			t.Errorf("description lacks %q", w)
		}
	}
	p = newProvider(t, "http://127.0.0.1:9/dg/")
	if got := p.Describe().VerifyHint; !strings.Contains(got, "GET http://127.0.0.1:9/dg/customAgents/api/v1 ") {
		t.Errorf("verify hint = %q", got)
	}
	if _, err := New(providers.MapEnv(map[string]string{EnvBaseURL: "be.datagol.ai"})); err == nil || !strings.Contains(err.Error(), "datagol: DATAGOL_BASE_URL") {
		t.Errorf("bad base URL: err = %v", err)
	}
	r := valid()
	if p.AgentName(&r) != "Financial Agent" || p.Idempotent(&r) || p.Prepare(&r) != nil {
		t.Error("AgentName, Idempotent or Prepare")
	}
}

// The fake vendor checks the exact wire request of the document's example
// and answers with the document's response example.
func TestCreateAgainstFakeVendor(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusCreated} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			wantBody := exampleWire(t)
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				calls.Add(1)
				if req.Method != http.MethodPost || req.URL.Path != "/customAgents/api/v1" || req.URL.RawQuery != "" {
					t.Errorf("request line = %s %s", req.Method, req.URL)
				}
				for h, want := range map[string]string{
					"x-auth-token":  canaryKey,
					"Content-Type":  "application/json",
					"Accept":        "application/json",
					"User-Agent":    "agentmcp/test",
					"Authorization": "",
				} {
					if got := req.Header.Get(h); got != want {
						t.Errorf("header %s = %q, want %q", h, got, want)
					}
				}
				body, _ := io.ReadAll(req.Body)
				assertSameJSON(t, body, wantBody)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Request-Id", "req-42")
				w.WriteHeader(status)
				_, _ = w.Write(readFixture(t, "create_response.json"))
			}))
			defer srv.Close()

			p := newProvider(t, srv.URL)
			r := decodeStrict(t, readFixture(t, "create_request.json"))
			if errs := p.Check(&r); len(errs) > 0 {
				t.Fatal(errs)
			}
			res, err := do(t, p, &r)
			if err != nil {
				t.Fatal(err)
			}
			c := res.Created
			if c.AgentID != exampleID || c.RequestID != "req-42" || res.Attempts != 1 || calls.Load() != 1 {
				t.Errorf("created = %+v, attempts %d, calls %d", c, res.Attempts, calls.Load())
			}
			// The agent object passes through as returned, mcpConfigs keyed by type.
			cfg := c.Agent["configs"].(map[string]any)
			keyed := cfg["mcpConfigs"].([]any)[0].(map[string]any)
			if _, ok := keyed["CUSTOM"]; !ok || c.Agent["instructions"] != "<string>" {
				t.Errorf("agent = %v", c.Agent)
			}
		})
	}
}

func TestBuildMinimal(t *testing.T) {
	p := newProvider(t, "https://be.datagol.ai")
	r := valid()
	out, err := p.Build(&r, testCreds(), fixedAttempt)
	if err != nil {
		t.Fatal(err)
	}
	if out.Method != "POST" || out.URL != "https://be.datagol.ai/customAgents/api/v1" {
		t.Errorf("%s %s", out.Method, out.URL)
	}
	want := `{"name":"Financial Agent","description":"d","prompt":"p","isPublished":false,` +
		`"uiMetadata":{"bestFor":[],"conversationStarters":[],"logo":null},"configs":{"mcpConfigs":[],"connectors":[],"skillIds":[]}}`
	if string(out.Body) != want {
		t.Errorf("body\n got  %s\n want %s", out.Body, want)
	}
	again, _ := p.Build(&r, testCreds(), providers.Attempt{Number: 2, Nonce: "x"})
	if string(again.Body) != string(out.Body) || again.URL != out.URL {
		t.Error("Build is not pure across attempts")
	}
}

// A URL token is masked where it stands in a preview: masked everywhere, a
// short one such as auth=true would hide every true in the body too.
func TestPreviewMasksURLTokensInPlace(t *testing.T) {
	p := newProvider(t, "https://be.datagol.ai")
	r := valid()
	r.IsPublished = true
	r.Configs.MCPConfigs = []MCPConfig{{ServerType: "CUSTOM", Name: "s", URL: "https://mcp.example/mcp?auth=true&page=true"}}
	out, err := p.Build(&r, testCreds(), fixedAttempt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out.Body), `"isPublished":true`) || !strings.Contains(string(out.Body), `auth=true&page=true`) {
		t.Errorf("sent body changed: %s", out.Body)
	}
	body, ok := out.Preview(testCreds()).Body.(json.RawMessage)
	if !ok {
		t.Fatalf("preview body is not JSON: %v", out.Preview(testCreds()).Body)
	}
	want := strings.Replace(string(out.Body), "auth=true", "auth="+providers.Redacted, 1)
	if string(body) != want {
		t.Errorf("preview body\n got  %s\n want %s", body, want)
	}
	if r.Configs.MCPConfigs[0].URL != "https://mcp.example/mcp?auth=true&page=true" {
		t.Error("Build changed the request")
	}
}

func TestParseResponseExample(t *testing.T) {
	c, err := (&Provider{}).Parse(&providers.Incoming{Status: 200, Header: http.Header{}, Body: readFixture(t, "create_response.json")})
	if err != nil {
		t.Fatal(err)
	}
	if c.AgentID != exampleID || c.Agent["name"] != "<string>" || c.RequestID != "" {
		t.Errorf("created = %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		code, msg  string
		retry      providers.Retry
		retryAfter time.Duration
	}{
		{"400 message", 400, nil, `{"message":"name must not be blank"}`, "", "name must not be blank", providers.Final, 0},
		{"400 spring", 400, nil, `{"timestamp":"2026-05-07T10:00:00.000+00:00","status":400,"error":"Bad Request","message":"Invalid uiMetadata","path":"/customAgents/api/v1"}`,
			"", "Invalid uiMetadata", providers.Final, 0},
		{"401 error string", 401, nil, `{"error":"Unauthorized"}`, "", "Unauthorized", providers.Final, 0},
		{"404 nested error", 404, nil, `{"error":{"code":"NOT_FOUND","message":"skill 11 not found"}}`, "NOT_FOUND", "skill 11 not found", providers.Final, 0},
		{"422 errors list", 422, nil, `{"code":422,"errors":[{"field":"name","message":"too long"},"bad prompt"]}`, "422", "too long; bad prompt", providers.Final, 0},
		{"400 errorCode", 400, nil, `{"errorCode":"AGENT_EXISTS","message":"taken"}`, "AGENT_EXISTS", "taken", providers.Final, 0},
		{"409 detail", 409, nil, `{"title":"Conflict","detail":"agent name taken"}`, "", "agent name taken", providers.Final, 0},
		{"429 retry-after", 429, http.Header{"Retry-After": {"7"}}, `{"message":"slow down"}`, "", "slow down", providers.NotProcessed, 7 * time.Second},
		{"503 retry-after", 503, http.Header{"Retry-After": {"2"}}, ``, "", "(empty response body)", providers.NotProcessed, 2 * time.Second},
		{"500", 500, nil, `{"message":"Internal Server Error"}`, "", "Internal Server Error", providers.MaybeProcessed, 0},
		{"502 HTML", 502, nil, "<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>", "",
			"<html><head><title>502 Bad Gateway</title></head> <body>nginx</body></html>", providers.MaybeProcessed, 0},
		{"400 JSON without message", 400, nil, `{"ok":false}`, "", `{"ok":false}`, providers.Final, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			h.Set("X-Request-Id", "req-7")
			_, err := (&Provider{}).Parse(&providers.Incoming{Status: tt.status, Header: h, Body: []byte(tt.body)})
			ve, ok := providers.IsVendorError(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *VendorError", err, err)
			}
			if ve.Provider != "DataGOL" || ve.Status != tt.status || ve.Code != tt.code || ve.Message != tt.msg ||
				ve.Retry != tt.retry || ve.RetryAfter != tt.retryAfter || ve.RequestID != "req-7" {
				t.Errorf("got %+v\nwant status %d code %q message %q retry %v after %v", *ve, tt.status, tt.code, tt.msg, tt.retry, tt.retryAfter)
			}
		})
	}
}

// An MCP server URL quoted back in any field of an error loses its token:
// code, message and request id all reach the model and the journal.
func TestParseErrorRedactsURLsEverywhere(t *testing.T) {
	const url = "https://testing-mcp.datagol.ai/workspace/link-v2?workspace_id=a336&token=canary-url-token"
	h := http.Header{"X-Request-Id": {"rid " + url}}
	_, err := (&Provider{}).Parse(&providers.Incoming{Status: 400, Header: h, Body: []byte(`{"error":{"code":"` + url + `","message":"bad ` + url + `"}}`)})
	ve, ok := providers.IsVendorError(err)
	if !ok {
		t.Fatalf("err = %v (%T), want *VendorError", err, err)
	}
	if text := err.Error(); strings.Contains(text, "canary-url-token") || strings.Count(text, "token=[REDACTED]") != 3 {
		t.Errorf("code %q, message %q, request id %q: want each URL's token masked", ve.Code, ve.Message, ve.RequestID)
	}
}

func TestParseUnreadableSuccess(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"not JSON", "<html>ok</html>", "datagol: decode agent"},
		{"empty", "", "datagol: decode agent"},
		{"array", `[{"id":"x"}]`, "datagol: decode agent"},
		{"no id", `{"name":"Financial Agent"}`, "datagol: response has no agent id"},
		{"error in a 200", `{"success":false,"message":"workspace not found"}`, "no agent id: workspace not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := (&Provider{}).Parse(&providers.Incoming{Status: 200, Header: http.Header{}, Body: []byte(tt.body)})
			if err == nil || c != nil {
				t.Fatalf("created %+v", c)
			}
			if _, isVendor := providers.IsVendorError(err); isVendor || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v (%T)", err, err)
			}
		})
	}
	for body, want := range map[string]string{`{"id":123}`: "123", `{"id":9007199254740993}`: "9007199254740993"} {
		c, err := (&Provider{}).Parse(&providers.Incoming{Status: 201, Header: http.Header{}, Body: []byte(body)})
		if err != nil || c.AgentID != want {
			t.Errorf("numeric id %s: %+v, %v", body, c, err)
		}
	}
}

// Through the client: throttling is retried, a 5xx or an unreadable success
// leaves the outcome unknown (DataGOL has no idempotency) with the list call
// to check, and a 4xx is final.
func TestClientOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		replies  []func(w http.ResponseWriter)
		attempts int
		check    func(t *testing.T, res providers.Result, err error)
	}{
		{"429 then created", []func(w http.ResponseWriter){
			func(w http.ResponseWriter) { w.Header().Set("Retry-After", "1"); w.WriteHeader(429) },
			func(w http.ResponseWriter) { w.WriteHeader(201); _, _ = w.Write([]byte(`{"id":"` + exampleID + `"}`)) },
		}, 2, func(t *testing.T, res providers.Result, err error) {
			if err != nil || res.Created.AgentID != exampleID {
				t.Errorf("res %+v err %v", res, err)
			}
		}},
		{"500 is unknown", []func(w http.ResponseWriter){
			func(w http.ResponseWriter) { w.WriteHeader(500); _, _ = w.Write([]byte(`{"message":"boom"}`)) },
		}, 1, func(t *testing.T, _ providers.Result, err error) {
			var u *providers.UnknownOutcomeError
			if !errors.As(err, &u) || !strings.Contains(err.Error(), "/customAgents/api/v1") || !strings.Contains(err.Error(), `"Financial Agent"`) {
				t.Errorf("err = %v", err)
			}
		}},
		{"2xx non-JSON is unknown", []func(w http.ResponseWriter){
			func(w http.ResponseWriter) { w.WriteHeader(200); _, _ = w.Write([]byte(`<html>created</html>`)) },
		}, 1, func(t *testing.T, _ providers.Result, err error) {
			var u *providers.UnknownOutcomeError
			if !errors.As(err, &u) || !strings.Contains(err.Error(), "could not be read") {
				t.Errorf("err = %v", err)
			}
		}},
		{"401 is final", []func(w http.ResponseWriter){
			func(w http.ResponseWriter) {
				w.WriteHeader(401)
				_, _ = w.Write([]byte(`{"error":"Unauthorized","message":"Invalid token"}`))
			},
		}, 1, func(t *testing.T, _ providers.Result, err error) {
			ve, ok := providers.IsVendorError(err)
			if !ok || ve.Status != 401 || ve.Message != "Invalid token" || ve.Retry != providers.Final {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				i := int(n.Add(1)) - 1
				if i >= len(tt.replies) {
					t.Errorf("unexpected attempt %d", i+1)
					w.WriteHeader(500)
					return
				}
				tt.replies[i](w)
			}))
			defer srv.Close()
			r := valid()
			res, err := do(t, newProvider(t, srv.URL), &r)
			if int(n.Load()) != tt.attempts {
				t.Errorf("attempts = %d, want %d", n.Load(), tt.attempts)
			}
			if err != nil && strings.Contains(err.Error(), canaryKey) {
				t.Errorf("error leaks the key: %v", err)
			}
			tt.check(t, res, err)
		})
	}
}

// The API key appears only in the header sent, never in a preview or error.
func TestSecretsStayOut(t *testing.T) {
	p := newProvider(t, "https://be.datagol.ai")
	r := decodeStrict(t, readFixture(t, "create_request.json"))
	out, err := p.Build(&r, testCreds(), fixedAttempt)
	if err != nil {
		t.Fatal(err)
	}
	if out.Header.Get("x-auth-token") != canaryKey {
		t.Fatal("key not sent")
	}
	if !strings.Contains(string(out.Body), "link-v2?workspace_id=a336506d-540e-4a78-809b-daf501687bca&token=<token>") {
		t.Errorf("body escapes the MCP URL: %s", out.Body)
	}
	pv := out.Preview(testCreds())
	b, _ := json.Marshal(pv)
	if strings.Contains(string(b), canaryKey) || pv.Headers["X-Auth-Token"] != providers.Redacted {
		t.Errorf("preview leaks the key: %s", b)
	}
}
