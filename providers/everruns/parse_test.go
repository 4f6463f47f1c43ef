package everruns

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/providers"
)

func incoming(status int, body string, kv ...string) *providers.Incoming {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return &providers.Incoming{Status: status, Header: h, Body: []byte(body)}
}

func TestParseResponseExample(t *testing.T) {
	p := newProvider(t, nil)
	c, err := p.Parse(incoming(http.StatusCreated, string(readFixture(t, "create_agent_response.json"))))
	if err != nil {
		t.Fatal(err)
	}
	if c.AgentID != docResponseID || c.Status != "active" {
		t.Fatalf("created = %+v", c)
	}
	if _, ok := c.Agent["usage"]; !ok || c.Agent["system_prompt"] == nil {
		t.Errorf("agent object not passed through: %v", c.Agent)
	}
}

func TestParseSuccess(t *testing.T) {
	p := newProvider(t, nil)
	// Any 2xx is success; unknown fields (newer API: links) pass through.
	c, err := p.Parse(incoming(http.StatusOK, `{"id":"agent_1","name":"n","links":{"ui":"https://x"}}`, "X-Request-Id", "r-9"))
	if err != nil || c.AgentID != "agent_1" || c.RequestID != "r-9" || c.Agent["links"] == nil {
		t.Fatalf("%+v %v", c, err)
	}
	// A 2xx that cannot be read is a plain error: the client reports "created but unreadable".
	// A numeric id is one too: the id is the one the call sent (an upsert),
	// which a number never is, so the call is sent again to read its agent.
	for _, body := range []string{"", "<html>ok</html>", `{"name":"n"}`, `{"id":""}`, `{"id":5}`, `[]`} {
		_, err := p.Parse(incoming(http.StatusCreated, body))
		if err == nil {
			t.Errorf("body %q accepted", body)
			continue
		}
		if _, ok := providers.IsVendorError(err); ok {
			t.Errorf("body %q: got a VendorError, want a plain error", body)
		}
		if !strings.HasPrefix(err.Error(), "everruns: ") {
			t.Errorf("error without context: %v", err)
		}
	}
}

// Numbers in the agent come back as the vendor wrote them.
func TestParseKeepsNumbersAsWritten(t *testing.T) {
	c, err := newProvider(t, nil).Parse(incoming(201, `{"id":"agent_1","capabilities":[{"ref":"web_fetch","config":{"timeout":1e3,"big":9007199254740993}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c.Agent)
	if !strings.Contains(string(b), `"timeout":1e3`) || !strings.Contains(string(b), `"big":9007199254740993`) {
		t.Errorf("agent = %s", b)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name       string
		org        string
		status     int
		body       string
		headers    []string
		message    string
		code       string
		retry      providers.Retry
		retryAfter time.Duration
		hint       string
		requestID  string
	}{
		{name: "400 limits", status: 400, body: `{"error":"Input exceeds allowed limits"}`,
			message: "Input exceeds allowed limits", retry: providers.Final, hint: "name 2048 bytes, description 10240 bytes, system_prompt 1048576 bytes, 250 capabilities"},
		{name: "400 other", status: 400, body: `{"error":"Invalid JSON"}`, message: "Invalid JSON", retry: providers.Final},
		{name: "401", status: 401, body: `{"error":"Unauthorized"}`, message: "Unauthorized", retry: providers.Final, hint: "raw API key"},
		{name: "403 without org", status: 403, body: `{"error":"Forbidden"}`, message: "Forbidden", retry: providers.Final, hint: "EVERRUNS_ORG_ID"},
		{name: "403 with org", org: "org_1", status: 403, body: `{"error":"Forbidden"}`, message: "Forbidden", retry: providers.Final},
		{name: "404", status: 404, body: `{"error":"Not found"}`, message: "Not found", retry: providers.Final},
		{name: "422 problem+json", status: 422,
			body:    `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"name: must not be empty","code":"validation_error"}`,
			headers: []string{"Content-Type", "application/problem+json", "X-Request-Id", "req-7"},
			message: "name: must not be empty", code: "validation_error", retry: providers.Final, requestID: "req-7"},
		{name: "422 title only", status: 422, body: `{"title":"Unprocessable Entity","status":422}`, message: "Unprocessable Entity", retry: providers.Final},
		{name: "422 plain text", status: 422, body: "Failed to deserialize the JSON body into the target type: missing field `name`",
			message: "Failed to deserialize the JSON body into the target type: missing field `name`", retry: providers.Final},
		{name: "429 Retry-After", status: 429, body: `{"error":"Too many requests"}`, headers: []string{"Retry-After", "7"},
			message: "Too many requests", retry: providers.NotProcessed, retryAfter: 7 * time.Second},
		{name: "429 retry_after_seconds", status: 429,
			body:    `{"title":"Too Many Requests","status":429,"detail":"Rate limit exceeded","code":"rate_limited","retry_after_seconds":12}`,
			message: "Rate limit exceeded", code: "rate_limited", retry: providers.NotProcessed, retryAfter: 12 * time.Second},
		{name: "429 Retry-After longer than retry_after_seconds", status: 429,
			body: `{"title":"Too Many Requests","status":429,"retry_after_seconds":0.2}`, headers: []string{"Retry-After", "3"},
			message: "Too Many Requests", retry: providers.NotProcessed, retryAfter: 3 * time.Second},
		{name: "429 retry_after_seconds longer than Retry-After", status: 429,
			body: `{"title":"Too Many Requests","status":429,"retry_after_seconds":5}`, headers: []string{"Retry-After", "2"},
			message: "Too Many Requests", retry: providers.NotProcessed, retryAfter: 5 * time.Second},
		{name: "500", status: 500, body: `{"error":"Internal server error"}`, message: "Internal server error", retry: providers.MaybeProcessed},
		{name: "502 HTML", status: 502, body: "<html><head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>",
			message: "<html><head><title>502 Bad Gateway</title></head> <body>nginx</body></html>", retry: providers.MaybeProcessed},
		{name: "503 Retry-After", status: 503, body: "", headers: []string{"Retry-After", "3"},
			message: "(empty response body)", retry: providers.NotProcessed, retryAfter: 3 * time.Second},
		{name: "error not a string", status: 400, body: `{"error":{"kind":"x"}}`, message: `{"error":{"kind":"x"}}`, retry: providers.Final},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newProvider(t, map[string]string{EnvOrgID: tc.org})
			_, err := p.Parse(incoming(tc.status, tc.body, tc.headers...))
			ve, ok := providers.IsVendorError(err)
			if !ok {
				t.Fatalf("want VendorError, got %v", err)
			}
			if ve.Provider != "Everruns" || ve.Status != tc.status || ve.Message != tc.message || ve.Code != tc.code || ve.Retry != tc.retry {
				t.Errorf("got %+v", ve)
			}
			if ve.RetryAfter != tc.retryAfter {
				t.Errorf("retry after %v, want %v", ve.RetryAfter, tc.retryAfter)
			}
			if ve.RequestID != tc.requestID {
				t.Errorf("request id %q", ve.RequestID)
			}
			if tc.hint == "" && ve.Hint != "" && tc.status != 401 {
				t.Errorf("unexpected hint %q", ve.Hint)
			}
			if !strings.Contains(ve.Hint, tc.hint) {
				t.Errorf("hint %q lacks %q", ve.Hint, tc.hint)
			}
		})
	}
}
