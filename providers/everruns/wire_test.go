package everruns

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/providers"
)

const testKey = "evr_test_0123456789abcdef"

func testCreds(key string) providers.Credentials {
	return providers.NewCredentials(providers.SourceEnv, map[string]string{"api_key": key})
}

func testClient() *providers.Client {
	c := providers.NewClient("agentmcp/test")
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	return c
}

func call(p *Provider, r *Request, creds providers.Credentials) providers.Call {
	d := p.Describe()
	return providers.Call{
		Provider:   d.Name,
		AgentName:  p.AgentName(r),
		VerifyHint: d.VerifyHint,
		ClientID:   p.ClientID(r),
		Idempotent: p.Idempotent(r),
		Build:      func(at providers.Attempt) (*providers.Outgoing, error) { return p.Build(r, creds, at) },
		Parse:      p.Parse,
	}
}

func asJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// The document's request example with its id made valid decodes strictly and
// goes on the wire exactly, to {base}/v1/agents under a base that has a path.
func TestDocumentRequestExampleSent(t *testing.T) {
	fixed := strings.Replace(string(readFixture(t, "create_agent_request.json")), docRequestID, docResponseID, 1)
	fixed = strings.Replace(fixed, docModelID, validModelID, 1)
	want := asJSON(t, []byte(fixed))
	response := readFixture(t, "create_agent_response.json")

	for _, org := range []string{"", "org_01933b5a000070008000000000000001"} {
		t.Run("org="+org, func(t *testing.T) {
			var mu sync.Mutex
			var problems []string
			fail := func(msg string) {
				mu.Lock()
				defer mu.Unlock()
				problems = append(problems, msg)
			}
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				mu.Lock()
				requests++
				mu.Unlock()
				body, _ := io.ReadAll(req.Body)
				if req.Method != http.MethodPost {
					fail("method " + req.Method)
				}
				if req.URL.Path != "/api/v1/agents" || req.URL.RawQuery != "" {
					fail("path " + req.URL.String())
				}
				if got := req.Header.Values("Authorization"); len(got) != 1 || got[0] != testKey {
					fail("Authorization is not the raw key")
				}
				if strings.Contains(strings.ToLower(req.Header.Get("Authorization")), "bearer") {
					fail("Authorization carries Bearer")
				}
				if got, ok := req.Header["X-Org-Id"]; org == "" && ok {
					fail("X-Org-Id sent without EVERRUNS_ORG_ID: " + strings.Join(got, ","))
				} else if org != "" && req.Header.Get("X-Org-Id") != org {
					fail("X-Org-Id = " + req.Header.Get("X-Org-Id"))
				}
				if req.Header.Get("Content-Type") != "application/json" || req.Header.Get("Accept") != "application/json" {
					fail("content headers " + req.Header.Get("Content-Type") + " / " + req.Header.Get("Accept"))
				}
				if req.Header.Get("User-Agent") != "agentmcp/test" {
					fail("User-Agent " + req.Header.Get("User-Agent"))
				}
				var got any
				if err := json.Unmarshal(body, &got); err != nil || !reflect.DeepEqual(got, want) {
					fail("body " + string(body))
				}
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Request-Id", "req-1")
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write(response)
			}))
			defer srv.Close()

			env := map[string]string{EnvBaseURL: srv.URL + "/api"}
			if org != "" {
				env[EnvOrgID] = org
			}
			p := newProvider(t, env)
			r := decodeStrict(t, []byte(fixed))
			if errs := p.Check(&r); len(errs) > 0 {
				t.Fatalf("check: %v", errs)
			}
			if err := p.Prepare(&r); err != nil || r.ID != docResponseID {
				t.Fatalf("prepare: %v, id %q", err, r.ID)
			}
			res, err := testClient().Do(context.Background(), call(p, &r, testCreds(testKey)))
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, pr := range problems {
				t.Error(pr)
			}
			if requests != 1 || res.Attempts != 1 {
				t.Errorf("requests %d, attempts %d", requests, res.Attempts)
			}
			c := res.Created
			if c.AgentID != docResponseID || c.Status != "active" || c.RequestID != "req-1" {
				t.Errorf("created = %+v", c)
			}
			if c.Agent["name"] != "Customer Support Agent" {
				t.Errorf("agent = %v", c.Agent)
			}
		})
	}
}

// The wire body keeps the caller's empty config and empty tags, and leaves out
// what the caller left out.
func TestBuildBody(t *testing.T) {
	p := newProvider(t, nil)
	tests := []struct {
		in, want string
	}{
		{`{"name":"n","system_prompt":"p"}`, `{"name":"n","system_prompt":"p"}`},
		{`{"name":"n","system_prompt":"p","tags":[],"capabilities":[]}`, `{"name":"n","system_prompt":"p","capabilities":[],"tags":[]}`},
		{`{"name":"n","system_prompt":"p","capabilities":[{"ref":"a"},{"ref":"b","config":{}},{"ref":"c","config":{"k":[1,"x"]}}]}`,
			`{"name":"n","system_prompt":"p","capabilities":[{"ref":"a"},{"ref":"b","config":{}},{"ref":"c","config":{"k":[1,"x"]}}]}`},
		{`{"name":"<b>&","system_prompt":"p"}`, `{"name":"<b>&","system_prompt":"p"}`},
	}
	for _, tc := range tests {
		r := decodeStrict(t, []byte(tc.in))
		out, err := p.Build(&r, testCreds(testKey), providers.Attempt{Number: 1})
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Body) != tc.want {
			t.Errorf("body %s\nwant %s", out.Body, tc.want)
		}
		if out.Method != http.MethodPost || out.URL != "https://app.everruns.com/api/v1/agents" {
			t.Errorf("%s %s", out.Method, out.URL)
		}
	}
}

// Prepare's id is sent unchanged on every attempt, so the retry after a 500
// updates the same agent.
func TestRetrySendsSameID(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			ID string `json:"id"`
		}
		_ = json.NewDecoder(req.Body).Decode(&body)
		mu.Lock()
		ids = append(ids, body.ID)
		n := len(ids)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":"Internal server error"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": body.ID, "name": "n", "system_prompt": "p", "status": "active",
			"created_at": "2026-01-15T10:30:00Z", "updated_at": "2026-01-15T10:30:00Z"})
	}))
	defer srv.Close()

	p := newProvider(t, map[string]string{EnvBaseURL: srv.URL + "/api"})
	r := Request{Name: "n", SystemPrompt: "p"}
	if err := p.Prepare(&r); err != nil {
		t.Fatal(err)
	}
	c := call(p, &r, testCreds(testKey))
	if !c.Idempotent || c.ClientID != r.ID {
		t.Fatalf("call not idempotent or without id: %+v", c)
	}
	res, err := testClient().Do(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || res.Attempts != 2 {
		t.Fatalf("requests %d (%v), attempts %d", len(ids), ids, res.Attempts)
	}
	if ids[0] != r.ID || ids[1] != r.ID {
		t.Fatalf("ids sent %v, want %s twice", ids, r.ID)
	}
	if res.Created.AgentID != r.ID {
		t.Fatalf("agent id %s", res.Created.AgentID)
	}
}

// Without an id (Prepare skipped) a 500 is an unknown outcome, never retried.
func TestNoIDIsNotRetried(t *testing.T) {
	requests := 0
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":"Internal server error"}`)
	}))
	defer srv.Close()
	p := newProvider(t, map[string]string{EnvBaseURL: srv.URL})
	r := Request{Name: "Support", SystemPrompt: "p"}
	_, err := testClient().Do(context.Background(), call(p, &r, testCreds(testKey)))
	var unknown *providers.UnknownOutcomeError
	if !errors.As(err, &unknown) {
		t.Fatalf("want UnknownOutcomeError, got %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 1 {
		t.Fatalf("requests %d", requests)
	}
	if !strings.Contains(err.Error(), srv.URL+"/v1/agents") {
		t.Errorf("message lacks the verify URL: %v", err)
	}
}

// The API key never shows in a preview or in an error.
func TestCanaryKeyNeverShown(t *testing.T) {
	const canary = "evr_CANARY_5f2b9c1e7d"
	creds := testCreds(canary)
	p := newProvider(t, map[string]string{EnvOrgID: "org_1"})
	r := Request{Name: "n", SystemPrompt: "p", ID: docResponseID}
	out, err := p.Build(&r, creds, providers.Attempt{Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	if out.Header.Get("Authorization") != canary {
		t.Fatal("key not sent")
	}
	prev, err := json.Marshal(out.Preview(creds))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(prev), canary) {
		t.Fatalf("preview shows the key: %s", prev)
	}
	if !strings.Contains(string(prev), `"Authorization":"`+providers.Redacted+`"`) {
		t.Errorf("preview: %s", prev)
	}

	for _, status := range []int{401, 403, 404, 422, 429, 500} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, `{"error":"refused"}`)
		}))
		c := testClient()
		c.MaxAttempts = 2
		p := newProvider(t, map[string]string{EnvBaseURL: srv.URL})
		_, err := c.Do(context.Background(), call(p, &r, creds))
		srv.Close()
		if err == nil || strings.Contains(err.Error(), canary) || strings.Contains(fmtAll(err), canary) {
			t.Errorf("status %d: error %v", status, err)
		}
	}
	// A vendor that cannot be reached.
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := testClient()
	c.MaxAttempts = 1
	_, err = c.Do(context.Background(), call(newProvider(t, map[string]string{EnvBaseURL: srv.URL}), &r, creds))
	if err == nil || strings.Contains(fmtAll(err), canary) {
		t.Errorf("unreachable: %v", err)
	}
}

// fmtAll renders err and every error it wraps.
func fmtAll(err error) string {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		b.WriteString(e.Error())
		if ve, ok := e.(*providers.VendorError); ok {
			b.WriteString(ve.Message + ve.Hint + ve.Code)
		}
	}
	return b.String()
}
