package providers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeVendor answers each request with the next scripted step and counts requests.
type fakeVendor struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	n     atomic.Int32
}

func (f *fakeVendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(f.n.Add(1)) - 1
	f.mu.Lock()
	step := f.steps[min(i, len(f.steps)-1)]
	f.mu.Unlock()
	step(w, r)
}

func status(code int, hdr map[string]string, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

// hangUp reads the request, then drops the connection without answering.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func created(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"id":"agt_1","name":"n"}`))
}

// gzipped answers code with body gzipped, as a proxy might without being asked.
func gzipped(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(body))
		_ = zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(code)
		_, _ = w.Write(b.Bytes())
	}
}

// endlessGzip answers 201 with gzip members holding nothing: 32 MiB of them,
// as good as endless to a client whose cap is 2 MiB, and short enough that a
// client without one fails the test rather than hangs it.
func endlessGzip(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_ = zw.Close()
	members := bytes.Repeat(b.Bytes(), 1<<16/b.Len())
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(http.StatusCreated)
	for sent := 0; sent < 32<<20 && r.Context().Err() == nil; sent += len(members) {
		if _, err := w.Write(members); err != nil {
			return
		}
	}
}

// testCall builds a call against url with a JSON parser of {"id"} and {"message"}.
func testCall(url string, idempotent bool) Call {
	return Call{
		Provider:   "Vendor",
		AgentName:  "my-agent",
		VerifyHint: "GET /agents",
		Idempotent: idempotent,
		Build: func(Attempt) (*Outgoing, error) {
			return &Outgoing{Method: http.MethodPost, URL: url, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}, nil
		},
		Parse: func(in *Incoming) (*Created, error) {
			if in.Status >= 300 {
				var e struct{ Message string }
				_ = json.Unmarshal(in.Body, &e)
				return nil, NewStatusError("Vendor", in, "", e.Message)
			}
			var a map[string]any
			if err := json.Unmarshal(in.Body, &a); err != nil {
				return nil, fmt.Errorf("decode: %w", err)
			}
			id, _ := a["id"].(string)
			return &Created{AgentID: id, Agent: a}, nil
		},
	}
}

// testClient records waits instead of sleeping.
func testClient(waits *[]time.Duration) *Client {
	c := NewClient("agentmcp/test")
	var mu sync.Mutex
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c
}

func TestDoRetryPolicy(t *testing.T) {
	cases := []struct {
		name       string
		steps      []func(http.ResponseWriter, *http.Request)
		idempotent bool
		path       string // of the request, after the fake vendor's URL
		wantReqs   int32
		wantErr    string // "" = success
		wantErrAs  any
		wantNot    []string        // what the error must not show
		wantWaits  []time.Duration // nil = don't check
	}{
		{name: "success first time", steps: []func(http.ResponseWriter, *http.Request){created}, wantReqs: 1},
		{name: "429 with Retry-After is retried after that wait",
			steps:    []func(http.ResponseWriter, *http.Request){status(429, map[string]string{"Retry-After": "2"}, `{"message":"slow down"}`), created},
			wantReqs: 2, wantWaits: []time.Duration{2 * time.Second}},
		{name: "503 with Retry-After is retried",
			steps:    []func(http.ResponseWriter, *http.Request){status(503, map[string]string{"Retry-After": "1"}, ``), created},
			wantReqs: 2, wantWaits: []time.Duration{time.Second}},
		{name: "503 without Retry-After may have been processed: no second create",
			steps:    []func(http.ResponseWriter, *http.Request){status(503, nil, ``), created},
			wantReqs: 1, wantErr: "outcome unknown", wantErrAs: new(*UnknownOutcomeError)},
		// Only 429 and 503 say "not processed" with a Retry-After; another 5xx
		// with one may still have stored the agent.
		{name: "500 with Retry-After on a non-idempotent create: unknown, not retried",
			steps:    []func(http.ResponseWriter, *http.Request){status(500, map[string]string{"Retry-After": "1"}, `{"message":"boom"}`), created},
			wantReqs: 1, wantErr: "outcome unknown", wantErrAs: new(*UnknownOutcomeError)},
		{name: "502 with Retry-After on a non-idempotent create: unknown, not retried",
			steps:    []func(http.ResponseWriter, *http.Request){status(502, map[string]string{"Retry-After": "1"}, ``), created},
			wantReqs: 1, wantErr: "outcome unknown", wantErrAs: new(*UnknownOutcomeError)},
		{name: "504 with Retry-After on a non-idempotent create: unknown, not retried",
			steps:    []func(http.ResponseWriter, *http.Request){status(504, map[string]string{"Retry-After": "1"}, ``), created},
			wantReqs: 1, wantErr: "outcome unknown", wantErrAs: new(*UnknownOutcomeError)},
		{name: "500 on a non-idempotent create is never retried",
			steps:    []func(http.ResponseWriter, *http.Request){status(500, nil, `{"message":"boom"}`), created},
			wantReqs: 1, wantErr: `may have created the agent "my-agent"`, wantErrAs: new(*UnknownOutcomeError)},
		{name: "500 on an idempotent create is retried",
			steps: []func(http.ResponseWriter, *http.Request){status(500, nil, `{"message":"boom"}`), created}, idempotent: true,
			wantReqs: 2},
		{name: "connection dropped after the request was written: unknown, not retried",
			steps:    []func(http.ResponseWriter, *http.Request){hangUp, created},
			wantReqs: 1, wantErr: "outcome unknown", wantErrAs: new(*UnknownOutcomeError)},
		{name: "connection dropped on an idempotent create is retried",
			steps: []func(http.ResponseWriter, *http.Request){hangUp, created}, idempotent: true, wantReqs: 2},
		{name: "idempotent: 500, then 429 until giving up: still unknown, the first may have created it",
			steps:      []func(http.ResponseWriter, *http.Request){status(500, nil, ``), status(429, nil, ``), status(429, nil, ``), status(429, nil, ``), status(429, nil, ``)},
			idempotent: true, wantReqs: 5, wantErr: "outcome unknown", wantErrAs: new(*UnknownOutcomeError)},
		{name: "idempotent: dropped, then 409: unknown, not rejected",
			steps:      []func(http.ResponseWriter, *http.Request){hangUp, status(409, nil, `{"message":"id exists"}`)},
			idempotent: true, wantReqs: 2, wantErr: "an earlier attempt may have created it; then attempt 2", wantErrAs: new(*UnknownOutcomeError)},
		{name: "400 is final",
			steps:    []func(http.ResponseWriter, *http.Request){status(400, nil, `{"message":"name too long"}`), created},
			wantReqs: 1, wantErr: "(HTTP 400 Bad Request): name too long", wantErrAs: new(*VendorError)},
		{name: "429 forever gives up without a duplicate",
			steps:    []func(http.ResponseWriter, *http.Request){status(429, nil, `{"message":"slow"}`)},
			wantReqs: 5, wantErr: "gave up after 5 attempts, no agent was created"},
		{name: "2xx with an unreadable body: probably created, so not retried",
			steps:    []func(http.ResponseWriter, *http.Request){status(201, nil, `<html>ok</html>`), created},
			wantReqs: 1, wantErr: "answered HTTP 201 (success) but its response could not be read", wantErrAs: new(*UnknownOutcomeError)},
		{name: "2xx without an id",
			steps:    []func(http.ResponseWriter, *http.Request){status(201, nil, `{"name":"x"}`)},
			wantReqs: 1, wantErr: "carries no agent id", wantErrAs: new(*UnknownOutcomeError)},
		{name: "redirect is reported, not followed, with where it points but not its query",
			steps:    []func(http.ResponseWriter, *http.Request){status(307, map[string]string{"Location": "https://user:pw@127.0.0.1:1/elsewhere?token=t0ken#f"}, ``), created},
			wantReqs: 1, wantErr: "unexpected redirect to https://127.0.0.1:1/elsewhere (not followed)", wantNot: []string{"t0ken", "user", "pw"}},
		{name: "redirect to a path below the create's is the create's result: unknown, not refused",
			steps:    []func(http.ResponseWriter, *http.Request){status(302, map[string]string{"Location": "/v1/agents/agt_302"}, ``), created},
			path:     "/v1/agents",
			wantReqs: 1, wantErr: "redirect to the result at /v1/agents/agt_302", wantErrAs: new(*UnknownOutcomeError)},
		{name: "redirect to the same path elsewhere is an API that moved",
			steps:    []func(http.ResponseWriter, *http.Request){status(301, map[string]string{"Location": "https://127.0.0.1:1/v1/agents/x"}, ``), created},
			path:     "/v1/agents",
			wantReqs: 1, wantErr: "unexpected redirect to https://127.0.0.1:1/v1/agents/x (not followed)", wantErrAs: new(*VendorError)},
		{name: "2xx with an unreadable body to an idempotent create: sent again, to read the agent",
			steps: []func(http.ResponseWriter, *http.Request){status(200, nil, `<html>ok</html>`), created}, idempotent: true,
			wantReqs: 2},
		{name: "201 that names its agent only in Location",
			steps:    []func(http.ResponseWriter, *http.Request){status(201, map[string]string{"Location": "/v1/agents/agt_loc?sig=s1gnature"}, ``)},
			wantReqs: 1, wantErr: "its Location header points to /v1/agents/agt_loc", wantErrAs: new(*UnknownOutcomeError), wantNot: []string{"s1gnature"}},
		{name: "gzip answer although none was asked for",
			steps: []func(http.ResponseWriter, *http.Request){gzipped(http.StatusCreated, `{"id":"agt_1","name":"n"}`)}, wantReqs: 1},
		{name: "gzip answer that never ends, of empty members",
			steps:    []func(http.ResponseWriter, *http.Request){endlessGzip},
			wantReqs: 1, wantErr: "response larger than", wantErrAs: new(*UnknownOutcomeError)},
		{name: "gzip answer over the cap once unpacked",
			steps:    []func(http.ResponseWriter, *http.Request){gzipped(http.StatusCreated, `{"id":"agt_z","pad":"`+strings.Repeat("a", 3<<20)+`"}`)},
			wantReqs: 1, wantErr: "response larger than", wantErrAs: new(*UnknownOutcomeError)},
		{name: "303 answers a processed POST: unknown, not retried",
			steps:    []func(http.ResponseWriter, *http.Request){status(303, map[string]string{"Location": "http://127.0.0.1:1/agents/7"}, ``), created},
			wantReqs: 1, wantErr: "outcome unknown", wantErrAs: new(*UnknownOutcomeError)},
		{name: "HTML error page becomes a snippet",
			steps:    []func(http.ResponseWriter, *http.Request){status(502, nil, "<html>\n<body>Bad   gateway</body></html>")},
			wantReqs: 1, wantErr: "<html> <body>Bad gateway</body></html>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fv := &fakeVendor{steps: tc.steps}
			srv := httptest.NewServer(fv)
			defer srv.Close()
			var waits []time.Duration
			c := testClient(&waits)
			res, err := c.Do(context.Background(), testCall(srv.URL+tc.path, tc.idempotent))
			if got := fv.n.Load(); got != tc.wantReqs {
				t.Errorf("requests = %d, want %d", got, tc.wantReqs)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if res.Created.AgentID != "agt_1" {
					t.Errorf("AgentID = %q", res.Created.AgentID)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				if tc.wantErrAs != nil && !errors.As(err, tc.wantErrAs) {
					t.Errorf("err %T is not %T", err, tc.wantErrAs)
				}
				for _, not := range tc.wantNot {
					if strings.Contains(err.Error(), not) {
						t.Errorf("err shows %q: %v", not, err)
					}
				}
			}
			if tc.wantWaits != nil && fmt.Sprint(waits) != fmt.Sprint(tc.wantWaits) {
				t.Errorf("waits = %v, want %v", waits, tc.wantWaits)
			}
		})
	}
}

// TestDoNeverFollowsARedirect: a redirect's Location, wherever it points, gets
// no request: following one would carry the key to another host, and for a
// 307 or 308 send the create a second time.
func TestDoNeverFollowsARedirect(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		for _, body := range []string{`{}`, ``} {
			t.Run(fmt.Sprintf("%d body %q", code, body), func(t *testing.T) {
				var elsewhere atomic.Int32
				other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					elsewhere.Add(1)
					w.WriteHeader(http.StatusCreated)
					_, _ = w.Write([]byte(`{"id":"agt_elsewhere"}`))
				}))
				defer other.Close()
				fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(code, map[string]string{"Location": other.URL + "/agents"}, ``)}}
				srv := httptest.NewServer(fv)
				defer srv.Close()
				call := testCall(srv.URL, false)
				call.Build = func(Attempt) (*Outgoing, error) {
					return &Outgoing{Method: http.MethodPost, URL: srv.URL, Header: http.Header{"X-Auth-Token": {"dummy-key-123"}}, Body: []byte(body)}, nil
				}
				var waits []time.Duration
				_, err := testClient(&waits).Do(context.Background(), call)
				if n := elsewhere.Load(); n != 0 {
					t.Errorf("the Location's host got %d request(s)", n)
				}
				if fv.n.Load() != 1 {
					t.Errorf("the vendor got %d requests, want 1", fv.n.Load())
				}
				if err == nil || !strings.Contains(err.Error(), "not followed") && !strings.Contains(err.Error(), "outcome unknown") {
					t.Errorf("err = %v, want the redirect reported", err)
				}
			})
		}
	}
}

func TestDoRetriesWhenNothingWasSent(t *testing.T) {
	// A port nobody listens on: the connection fails before any byte is written.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var waits []time.Duration
	c := testClient(&waits)
	c.MaxAttempts = 3
	_, err = c.Do(context.Background(), testCall("http://"+addr+"/agents", false))
	var ns *NotSentError
	if !errors.As(err, &ns) {
		t.Fatalf("err = %v (%T), want *NotSentError", err, err)
	}
	if len(waits) != 2 {
		t.Errorf("waits = %v, want 2 retries", waits)
	}
	if !strings.Contains(err.Error(), "no agent was created") {
		t.Errorf("err = %v", err)
	}
}

func TestDoStopsAtTheDeadline(t *testing.T) {
	fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(429, map[string]string{"Retry-After": "30"}, `{}`)}}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	var waits []time.Duration
	c := testClient(&waits)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Do(ctx, testCall(srv.URL, false))
	if err == nil || !strings.Contains(err.Error(), "no agent was created") {
		t.Fatalf("err = %v", err)
	}
	if len(waits) != 0 || fv.n.Load() != 1 {
		t.Errorf("a 30 s wait past a 5 s deadline must not be taken: waits %v, requests %d", waits, fv.n.Load())
	}
}

// An attempt that took 4 s leaves too little of a 5 s deadline for another:
// one cut off after sending would turn "not created" into "unknown".
func TestDoLeavesTimeForAnotherAttempt(t *testing.T) {
	start := time.Now()
	var elapsed atomic.Int64 // the fake clock's advance, in nanoseconds
	slow429 := func(w http.ResponseWriter, r *http.Request) {
		elapsed.Add(int64(4 * time.Second))
		status(429, nil, `{}`)(w, r)
	}
	fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){slow429}}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	var waits []time.Duration
	c := testClient(&waits)
	c.Now = func() time.Time { return start.Add(time.Duration(elapsed.Load())) }
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(5*time.Second))
	defer cancel()
	_, err := c.Do(ctx, testCall(srv.URL, false))
	var u *UnknownOutcomeError
	if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), "no agent was created") {
		t.Fatalf("err = %v, want one saying no agent was created", err)
	}
	if fv.n.Load() != 1 || len(waits) != 0 {
		t.Errorf("requests %d, waits %v: want one attempt and no retry", fv.n.Load(), waits)
	}
}

// A 429 comes back at once, but a create takes seconds: a retry starts only
// with a quarter of the call's time left after its wait, not merely the
// 429's few milliseconds.
func TestDoRetryNeedsItsShareOfTheTime(t *testing.T) {
	for _, tt := range []struct {
		retryAfter string
		requests   int32
	}{{"50", 1}, {"40", 2}} {
		start := time.Now()
		var elapsed atomic.Int64
		fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(429, map[string]string{"Retry-After": tt.retryAfter}, `{}`), created}}
		srv := httptest.NewServer(fv)
		c := NewClient("agentmcp/test")
		c.Now = func() time.Time { return start.Add(time.Duration(elapsed.Load())) }
		c.Sleep = func(_ context.Context, d time.Duration) error { elapsed.Add(int64(d)); return nil }
		ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Minute))
		_, err := c.Do(ctx, testCall(srv.URL, false))
		cancel()
		srv.Close()
		if fv.n.Load() != tt.requests {
			t.Errorf("Retry-After %s of a 60 s call: %d requests, want %d (err %v)", tt.retryAfter, fv.n.Load(), tt.requests, err)
		}
		if tt.requests == 1 && (err == nil || !strings.Contains(err.Error(), "no agent was created")) {
			t.Errorf("Retry-After %s: err = %v, want not created", tt.retryAfter, err)
		}
	}
}

func TestDoTimeoutAfterSendIsUnknown(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient("agentmcp/test")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, testCall(srv.URL, false))
	var u *UnknownOutcomeError
	if !errors.As(err, &u) {
		t.Fatalf("err = %v (%T), want *UnknownOutcomeError", err, err)
	}
	if !strings.Contains(err.Error(), "GET /agents") {
		t.Errorf("unknown outcome must say how to check: %v", err)
	}
}

// TestDoKeepsACompleteAnswerOfALostConnection: a connection lost after the
// last byte of a success answer leaves the agent's id in hand; a connection
// lost inside the answer leaves the outcome unknown.
func TestDoKeepsACompleteAnswerOfALostConnection(t *testing.T) {
	const agent = `{"id":"agt_1","name":"n"}`
	tests := []struct {
		name, answer string
		wantID       string
	}{
		{"no final chunk", fmt.Sprintf("Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(agent), agent), "agt_1"},
		{"overstated length", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(agent)+10, agent), "agt_1"},
		{"cut inside the answer", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(agent), agent[:12]), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, _ *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = buf.WriteString("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n" + tt.answer)
				_ = buf.Flush()
				conn.Close()
			}}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			res, err := NewClient("agentmcp/test").Do(context.Background(), testCall(srv.URL, false))
			if n := f.n.Load(); n != 1 {
				t.Fatalf("the vendor got %d requests, want 1", n)
			}
			if tt.wantID != "" {
				if err != nil || res.Created == nil || res.Created.AgentID != tt.wantID {
					t.Fatalf("the answer named %s in full, but the call ended with %v", tt.wantID, err)
				}
				return
			}
			var u *UnknownOutcomeError
			if !errors.As(err, &u) || !strings.Contains(err.Error(), "reading the response failed") {
				t.Fatalf("err = %v (%T), want an unknown outcome", err, err)
			}
		})
	}
}

func TestDoCapsResponseBytes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"id":"` + strings.Repeat("x", 4096) + `"}`))
	}))
	defer srv.Close()
	c := NewClient("agentmcp/test")
	c.MaxResponseBytes = 1024
	_, err := c.Do(context.Background(), testCall(srv.URL, false))
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Fatalf("err = %v", err)
	}
}

func TestDoSendsUserAgentAndFreshAttempts(t *testing.T) {
	var uas []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uas = append(uas, r.Header.Get("User-Agent"))
		if len(uas) == 1 {
			w.WriteHeader(429)
			return
		}
		created(w, r)
	}))
	defer srv.Close()
	var waits []time.Duration
	c := testClient(&waits)
	var attempts []Attempt
	call := testCall(srv.URL, false)
	build := call.Build
	call.Build = func(a Attempt) (*Outgoing, error) { attempts = append(attempts, a); return build(a) }
	var events []RetryEvent
	call.OnRetry = func(e RetryEvent) { events = append(events, e) }
	if _, err := c.Do(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	if uas[0] != "agentmcp/test" {
		t.Errorf("User-Agent = %q", uas[0])
	}
	if len(attempts) != 2 || attempts[0].Nonce == attempts[1].Nonce || attempts[1].Number != 2 {
		t.Errorf("attempts must be numbered with fresh nonces: %+v", attempts)
	}
	if len(events) != 1 || events[0].Attempt != 1 {
		t.Errorf("retry events = %+v", events)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{http.Header{"Retry-After": {"Thu, 01 Jan 2026 00:00:10 GMT"}}, 10 * time.Second},
		{http.Header{"Retry-After": {"Wed, 31 Dec 2025 00:00:10 GMT"}}, 0},
		{http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Add(7 * time.Second).Unix())}}, 7 * time.Second},
		{http.Header{"X-Ratelimit-Reset": {"4"}}, 4 * time.Second},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{}, 0},
		// Absurd values must stay huge (the call then gives up at once), never
		// overflow into a negative wait that would be ignored.
		{http.Header{"Retry-After": {"99999999999"}}, maxWait},
		{http.Header{"Retry-After": {"1e300"}}, maxWait},
		{http.Header{"Retry-After": {"+Inf"}}, maxWait},
		{http.Header{"Retry-After": {"NaN"}}, 0},
		{http.Header{"Retry-After": {"Fri, 31 Dec 9999 23:59:59 GMT"}}, maxWait},
		{http.Header{"Retry-After": {"1e400"}}, maxWait},           // out of float64's range, still absurdly long
		{http.Header{"Retry-After": {"30, 30"}}, 30 * time.Second}, // merged by a proxy
		{http.Header{"Retry-After": {"Thu, 01 Jan 2026 00:00:30 +0000"}}, 30 * time.Second},
		{http.Header{"X-Ratelimit-Reset": {"1e200"}}, 0}, // no real reset time: usual backoff
		{http.Header{"X-Ratelimit-Reset": {"99999999999"}}, maxWait},
		{http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Add(3 * time.Second).UnixMilli())}}, 3 * time.Second},
		{http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Add(1500*time.Millisecond).Unix()) + ".5"}}, 1500 * time.Millisecond},
	}
	for _, c := range cases {
		if got := RetryAfter(c.h, now); got != c.want {
			t.Errorf("RetryAfter(%v) = %v, want %v", c.h, got, c.want)
		}
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	c := NewClient("x")
	for attempt := 1; attempt <= 8; attempt++ {
		base := c.BaseBackoff << (attempt - 1)
		if base > c.MaxBackoff {
			base = c.MaxBackoff
		}
		d := c.backoff(attempt)
		if d < base*3/4 || d > base*5/4 {
			t.Errorf("backoff(%d) = %v, want within ±25%% of %v", attempt, d, base)
		}
	}
}

// TestDoSurvivesAPanickingParse: the vendor has answered, so a panic while
// reading its answer ends the call with what is known (a 2xx may have
// created the agent; a 5xx may have too), is never retried on a
// non-idempotent create, and never crashes the server.
func TestDoSurvivesAPanickingParse(t *testing.T) {
	for _, tc := range []struct {
		status  int
		wantErr any
	}{
		{201, new(*UnknownOutcomeError)},
		{500, new(*UnknownOutcomeError)},
		{400, new(*VendorError)},
	} {
		fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(tc.status, nil, `{"id":"a1"}`), created}}
		srv := httptest.NewServer(fv)
		call := testCall(srv.URL, false)
		call.Parse = func(*Incoming) (*Created, error) { panic("parser bug") }
		_, err := testClient(nil).Do(context.Background(), call)
		srv.Close()
		if err == nil || !errors.As(err, tc.wantErr) {
			t.Errorf("HTTP %d: err = %v (%T), want %T", tc.status, err, err, tc.wantErr)
		}
		if n := fv.n.Load(); n != 1 {
			t.Errorf("HTTP %d: %d requests, want 1", tc.status, n)
		}
	}
}

// doWithEchoedKey makes one call with the key sk/live/3b8f1d2e9a, masked
// by the call's Redact, to a vendor that answers with answer.
func doWithEchoedKey(t *testing.T, answer func(http.ResponseWriter, *http.Request)) (Result, error) {
	t.Helper()
	srv := httptest.NewServer(&fakeVendor{steps: []func(http.ResponseWriter, *http.Request){answer}})
	t.Cleanup(srv.Close)
	call := testCall(srv.URL, false)
	call.Redact = NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": "sk/live/3b8f1d2e9a"})).Redact
	var waits []time.Duration
	return testClient(&waits).Do(context.Background(), call)
}

// A key the vendor echoes on success in an escaped form (\/ for /) gets past
// the redaction of the raw body; the decoded agent is redacted too.
func TestDoRedactsTheDecodedAgent(t *testing.T) {
	res, err := doWithEchoedKey(t, status(201, nil, `{"id":"agt_1","owner_key":"sk\/live\/3b8f1d2e9a","tags":["sk\/live\/3b8f1d2e9a"],"sk\/live\/3b8f1d2e9a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res.Created.Agent)
	if strings.Contains(string(got), "3b8f1d2e9a") || res.Created.AgentID != "agt_1" {
		t.Errorf("agent %s, id %q: want the key masked and the id kept", got, res.Created.AgentID)
	}
}

// A key echoed with JSON escapes in an error is masked once decoded and
// before the message is clipped: a clipped key would escape later masking.
func TestDoRedactsTheDecodedVendorError(t *testing.T) {
	long := strings.Repeat("x", 980)
	_, err := doWithEchoedKey(t, status(400, nil, `{"Message":"`+long+` bad key sk\/live\/3b8f1d2e9a"}`))
	if err == nil || strings.Contains(err.Error(), "sk/live") {
		t.Errorf("the key shows in the error (%d bytes); want it masked", len(err.Error()))
	}
}

// A key echoed with JSON escapes in an error body the provider cannot read
// is masked in the snippet shown for it.
func TestDoRedactsAnEscapedKeyInASnippet(t *testing.T) {
	_, err := doWithEchoedKey(t, status(400, nil, `{"detail":{"key":"sk\/live\/3b8f1d2e9a"}}`))
	if err == nil || strings.Contains(err.Error(), "3b8f1d2e9a") {
		t.Errorf("the key shows in the error; want it masked")
	}
}

// A key echoed in a success's request id or status, or in the Location of a
// 201 without a readable agent, is masked there too.
func TestDoRedactsTheEchoedKeyOutsideTheBody(t *testing.T) {
	const key = "sk/live/3b8f1d2e9a"
	redact := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": key})).Redact
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/loc" {
			w.Header().Set("Location", "/v1/agents/"+key)
			w.WriteHeader(http.StatusCreated)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"agt_1"}`))
	}))
	defer srv.Close()
	var waits []time.Duration
	call := testCall(srv.URL, false)
	call.Redact = redact
	parse := call.Parse
	call.Parse = func(in *Incoming) (*Created, error) {
		c, err := parse(in)
		if c != nil {
			c.RequestID, c.Status = "req "+key, "status "+key // as a vendor's echo would give them
		}
		return c, err
	}
	res, err := testClient(&waits).Do(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Created.RequestID+res.Created.Status, "3b8f1d2e9a") {
		t.Errorf("request id %q, status %q: want the key masked", res.Created.RequestID, res.Created.Status)
	}
	call = testCall(srv.URL+"/loc", false)
	call.Redact = redact
	if _, err := testClient(&waits).Do(context.Background(), call); err == nil || strings.Contains(err.Error(), "3b8f1d2e9a") || !strings.Contains(err.Error(), "Location") {
		t.Errorf("err = %v: want the Location named with the key masked", err)
	}
}

// A large request's success answer, which echoes its prompts, is read whole:
// cut at the cap it would lose the new agent's id.
func TestDoReadsTheEchoOfALargeRequest(t *testing.T) {
	prompt := strings.Repeat("p", 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(201)
		// Some vendors echo a prompt in more than one field.
		_, _ = w.Write([]byte(`{"id":"agt_1","echo":` + string(body) + `,"again":` + string(body) + `,"thrice":` + string(body) + `}`))
	}))
	defer srv.Close()
	c := NewClient("agentmcp/test")
	c.MaxResponseBytes = 1024
	call := testCall(srv.URL, false)
	call.Build = func(Attempt) (*Outgoing, error) {
		return &Outgoing{Method: http.MethodPost, URL: srv.URL, Body: []byte(`{"prompt":"` + prompt + `"}`)}, nil
	}
	res, err := c.Do(context.Background(), call)
	if err != nil || res.Created.AgentID != "agt_1" {
		t.Fatalf("err = %v, created %+v", err, res.Created)
	}
}

// A far-future Retry-After date ends the call at once, as a long wait must;
// the last attempt's duration added to it must not overflow into "fits".
func TestDoFarFutureRetryAfterDate(t *testing.T) {
	fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(429, map[string]string{"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, `{}`)}}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	var waits []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := testClient(&waits).Do(ctx, testCall(srv.URL, false))
	if err == nil || !strings.Contains(err.Error(), "no agent was created") || len(waits) != 0 || fv.n.Load() != 1 {
		t.Errorf("err %v, waits %v, requests %d: want one attempt, no wait, not created", err, waits, fv.n.Load())
	}
}

// Once an attempt may have created the agent, a failure to build the next
// one leaves the outcome unknown, not failed.
func TestDoBuildFailureAfterMaybeIsUnknown(t *testing.T) {
	fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(500, nil, `{}`)}}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	call := testCall(srv.URL, true)
	build := call.Build
	call.Build = func(a Attempt) (*Outgoing, error) {
		if a.Number > 1 {
			return nil, errors.New("boom")
		}
		return build(a)
	}
	var waits []time.Duration
	_, err := testClient(&waits).Do(context.Background(), call)
	var u *UnknownOutcomeError
	if !errors.As(err, &u) || fv.n.Load() != 1 {
		t.Errorf("err = %v (%T), requests %d: want an unknown outcome after one request", err, err, fv.n.Load())
	}
}

// A short key that occurs in the new agent's id leaves the id alone; an
// error read from a success answer is read from the masked answer, so
// clipping cannot cut the key into a part the masking misses.
func TestDoRedactionKeepsTheID(t *testing.T) {
	const key = "dead"
	redact := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": key})).Redact
	t.Run("id", func(t *testing.T) {
		fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(201, nil, `{"id":"agent_0193deadbeef","note":"dead"}`)}}
		srv := httptest.NewServer(fv)
		defer srv.Close()
		call := testCall(srv.URL, false)
		call.Redact = redact
		var waits []time.Duration
		res, err := testClient(&waits).Do(context.Background(), call)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created.AgentID != "agent_0193deadbeef" || res.Created.Agent["id"] != "agent_0193deadbeef" || res.Created.Agent["note"] != Redacted {
			t.Errorf("id %q, agent %v: want the id whole and the note masked", res.Created.AgentID, res.Created.Agent)
		}
	})
	t.Run("error from a success answer", func(t *testing.T) {
		const long = "sk-live-0123456789abcdef"
		fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(200, nil, `{"error":"bad key sk-live-0123456789abcdef"}`)}}
		srv := httptest.NewServer(fv)
		defer srv.Close()
		call := testCall(srv.URL, false)
		call.Redact = NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": long})).Redact
		call.Parse = func(in *Incoming) (*Created, error) {
			return nil, &VendorError{Provider: "Vendor", Status: in.Status, Retry: Final, Message: string(in.Body[:min(len(in.Body), 30)])}
		}
		var waits []time.Duration
		_, err := testClient(&waits).Do(context.Background(), call)
		if err == nil || strings.Contains(err.Error(), "sk-live") {
			t.Errorf("err = %v: want no part of the key", err)
		}
	})
}

// Once Stop closes (the session is ending), no new attempt starts: a retry
// after a 429 is not sent, nor a first attempt; a sent one still counts.
func TestDoStartsNoAttemptAfterStop(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		idempotent bool
		stopFirst  bool // closed before the call
		wantSent   int32
		unknown    bool
		gaveUp     string
	}{
		{"closed before the call", 429, false, true, 0, false, "before the request was sent"},
		{"closed during a 429's wait", 429, false, false, 1, false, "gave up after 1 attempt:"},
		{"closed after a 500 of an idempotent call", 500, true, false, 1, true, "gave up after 1 attempt:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stop := make(chan struct{})
			if tc.stopFirst {
				close(stop)
			}
			var once sync.Once
			fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
				once.Do(func() {
					if !tc.stopFirst {
						close(stop)
					}
				})
				status(tc.status, nil, `{}`)(w, r)
			}}}
			srv := httptest.NewServer(fv)
			defer srv.Close()
			call := testCall(srv.URL, tc.idempotent)
			call.Stop = stop
			c := NewClient("agentmcp/test")
			c.BaseBackoff = 2 * time.Second // Stop ends the wait sooner
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := c.Do(ctx, call)
			var u *UnknownOutcomeError
			if fv.n.Load() != tc.wantSent || errors.As(err, &u) != tc.unknown || !strings.Contains(err.Error(), "session ended") || !strings.Contains(err.Error(), tc.gaveUp) {
				t.Errorf("requests %d (want %d), err %v (unknown: want %v)", fv.n.Load(), tc.wantSent, err, tc.unknown)
			}
		})
	}
}

// TestDoStopCutsOffAnUnsentAttempt: a stop while the attempt is still
// connecting (a TLS handshake that does not finish) cuts it off: nothing was
// on the wire, the call ends at once as not created.
func TestDoStopCutsOffAnUnsentAttempt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepted, never answered: the handshake hangs
		}
	}()
	stop := make(chan struct{})
	call := testCall("https://"+ln.Addr().String()+"/agents", false)
	call.Stop = stop
	time.AfterFunc(100*time.Millisecond, func() { close(stop) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // only the stop can end it
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := NewClient("agentmcp/test").Do(ctx, call)
		done <- err
	}()
	select {
	case err := <-done:
		var notSent *NotSentError
		if !errors.As(err, &notSent) {
			t.Fatalf("err = %v (%T), want not sent", err, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stop did not end an attempt that was still connecting")
	}
}

// roundTripFunc is an http.RoundTripper of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// stopOnTrace runs call through c with trace hooks of the test's own (which
// run after the client's) and the context of each request sent.
func stopOnTrace(c *Client, call Call, trace func(requestCtx func() context.Context) *httptrace.ClientTrace) (Result, error) {
	var mu sync.Mutex
	var reqCtx context.Context
	base := c.HTTP.Transport
	c.HTTP.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		reqCtx = r.Context()
		mu.Unlock()
		return base.RoundTrip(r)
	})
	defer func() { c.HTTP.Transport = base }()
	current := func() context.Context { mu.Lock(); defer mu.Unlock(); return reqCtx }
	return c.Do(httptrace.WithClientTrace(context.Background(), trace(current)), call)
}

// cutOffOrSoon waits for ctx to be cut off, or a moment when it is not.
func cutOffOrSoon(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(100 * time.Millisecond):
	}
}

// TestDoStopOnceConnectedIsFollowed: a stop that comes once the attempt has
// its connection no longer cuts it off: the transport may already be
// writing, and a request that reached the vendor whole while its answer was
// cut off would lose the new agent's id.
func TestDoStopOnceConnectedIsFollowed(t *testing.T) {
	f := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){created}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	stop := make(chan struct{})
	call := testCall(srv.URL, false)
	call.Stop = stop
	res, err := stopOnTrace(NewClient("agentmcp/test"), call, func(requestCtx func() context.Context) *httptrace.ClientTrace {
		return &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
			close(stop)
			cutOffOrSoon(requestCtx())
		}}
	})
	if err != nil || res.Created == nil || res.Created.AgentID != "agt_1" || f.n.Load() != 1 {
		t.Fatalf("err = %v, requests %d: want the agent the one request created", err, f.n.Load())
	}
}

// TestDoStopAsTheConnectionComesSendsNothing: a stop that cuts the attempt
// off as the transport takes an idle connection (both ready at once, it
// may go on with the connection) lets nothing reach the vendor.
func TestDoStopAsTheConnectionComesSendsNothing(t *testing.T) {
	f := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){created}}
	srv := httptest.NewServer(f)
	c := NewClient("agentmcp/test")
	if _, err := c.Do(context.Background(), testCall(srv.URL, false)); err != nil { // leaves an idle connection
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		stop := make(chan struct{})
		call := testCall(srv.URL, false)
		call.Stop = stop
		_, err := stopOnTrace(c, call, func(requestCtx func() context.Context) *httptrace.ClientTrace {
			return &httptrace.ClientTrace{GetConn: func(string) {
				close(stop)
				cutOffOrSoon(requestCtx())
			}}
		})
		var notSent *NotSentError
		if !errors.As(err, &notSent) {
			t.Fatalf("attempt %d: err = %v (%T), want not sent", i, err, err)
		}
	}
	srv.Close() // waits for every request the vendor got
	if n := f.n.Load(); n != 1 {
		t.Errorf("the vendor got %d requests after the first: a cut-off attempt was sent", n-1)
	}
}

// TestDoStopBeforeTheTransportSendsAgain: a POST without a body (as
// Alibaba's) whose pooled connection proves dead before anything is written
// on it is sent again by the transport on a new connection; a stop that came
// while it had the dead one cuts that off.
func TestDoStopBeforeTheTransportSendsAgain(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]net.Conn{} // the vendor's side of each connection, by the client's address
	f := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){created}}
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ConnState = func(c net.Conn, _ http.ConnState) {
		mu.Lock()
		conns[c.RemoteAddr().String()] = c
		mu.Unlock()
	}
	srv.Start()
	defer srv.Close()
	call := testCall(srv.URL, false)
	call.Build = func(Attempt) (*Outgoing, error) {
		return &Outgoing{Method: http.MethodPost, URL: srv.URL + "/?Action=Create"}, nil
	}
	c := NewClient("agentmcp/test")
	if _, err := c.Do(context.Background(), call); err != nil { // leaves an idle connection
		t.Fatal(err)
	}
	stop := make(chan struct{})
	call.Stop = stop
	var got atomic.Int32
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if got.Add(1) > 1 {
			return
		}
		close(stop) // once the attempt has its pooled connection
		mu.Lock()
		vendorSide := conns[info.Conn.LocalAddr().String()]
		mu.Unlock()
		_ = vendorSide.(*net.TCPConn).SetLinger(0)
		_ = vendorSide.Close()            // reset: the connection was dead
		time.Sleep(50 * time.Millisecond) // for the reset to arrive before the transport writes
	}}
	_, err := c.Do(httptrace.WithClientTrace(context.Background(), trace), call)
	srv.Close() // waits for every request the vendor got
	var notSent *NotSentError
	if n := f.n.Load(); n != 1 || !errors.As(err, &notSent) {
		t.Errorf("the vendor got %d requests after the first, err = %v: want none, not sent", n-1, err)
	}
}

// TestDoStopAnnouncesNoRetry: a stop while an attempt is in flight, which
// the vendor then refuses with a 429, ends the call there: no retry is
// announced, waited for or sent.
func TestDoStopAnnouncesNoRetry(t *testing.T) {
	stop := make(chan struct{})
	f := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
		close(stop) // the call is cancelled while the vendor works on it
		status(http.StatusTooManyRequests, map[string]string{"Retry-After": "1"}, `{"message":"slow down"}`)(w, r)
	}, created}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	call := testCall(srv.URL, false)
	call.Stop = stop
	announced := 0
	call.OnRetry = func(RetryEvent) { announced++ }
	var waits []time.Duration
	_, err := testClient(&waits).Do(context.Background(), call)
	if f.n.Load() != 1 || announced != 0 || len(waits) != 0 {
		t.Errorf("requests %d, retries announced %d, waits %v: want one request and nothing after it", f.n.Load(), announced, waits)
	}
	var notSent *NotSentError
	if err == nil || errors.As(err, &notSent) || !strings.Contains(err.Error(), "no agent was created") {
		t.Errorf("err = %v, want the refusal, no agent created", err)
	}
}

// TestDoKeepsTheIDOfAnAnswerCutShort: a success answer cut short (too
// large, a lost connection, time running out) still names the agent it
// created when its id came before the cut: that id must not be lost.
func TestDoKeepsTheIDOfAnAnswerCutShort(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"id":"agt_1","echo":"` + strings.Repeat("x", 4096) + `"}`))
	}))
	defer srv.Close()
	c := NewClient("agentmcp/test")
	c.MaxResponseBytes = 1024
	_, err := c.Do(context.Background(), testCall(srv.URL, false))
	var u *UnknownOutcomeError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Fatalf("err = %v, want an unknown outcome", err)
	}
	if ve, ok := IsVendorError(err); !ok || ve.AgentID != "agt_1" || !strings.Contains(err.Error(), "agt_1") {
		t.Errorf("the id the answer named is lost: %v", err)
	}
}

func TestCloseJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"agent":{"id":"a1","name":"cut her`: `{"agent":{"id":"a1"}}`,
		`{"id":"a1","n":12`:                   `{"id":"a1"}`, // 12 may be 123
		`{"id":"a1","n":12,"k"`:               `{"id":"a1","n":12}`,
		`{"id":"a1","k"`:                      `{"id":"a1"}`,
		`{"a":[1,2,{"x":`:                     `{"a":[1,2,{}]}`,
		`{"id":"a1"}trailing`:                 `{"id":"a1"}`,
		`{"a":tru`:                            `{}`,
		`{"id":"a`:                            `{}`,
		`"a1"`:                                ``,
		`OK`:                                  ``,
		``:                                    ``,
	} {
		if got := string(closeJSON([]byte(in))); got != want {
			t.Errorf("closeJSON(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSalvageIDOfADeepAnswer: an answer cut short inside nesting deeper than
// any parse reads still gives the id before it, and closing it costs memory
// in proportion to what a parse can read, not to the answer's size.
func TestSalvageIDOfADeepAnswer(t *testing.T) {
	body := []byte(`{"id":"agt_1","x":` + strings.Repeat("[", DefaultMaxResponseBytes))
	if doc := closeJSON(body); len(doc) > 4*maxClosedDepth {
		t.Errorf("closeJSON kept %d bytes of nesting", len(doc))
	}
	if id := salvageID(testCall("", false).Parse, &Incoming{Status: 201, Body: body}); id != "agt_1" {
		t.Errorf("id = %q, want agt_1", id)
	}
}

// A number no float64 holds reaches the client as its text: kept as a
// number, it would make the whole result unreadable to clients that decode
// numbers as float64, the agent's id with it.
func TestDoKeepsHugeNumbersReadable(t *testing.T) {
	fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(201, nil, `{"id":"agt_h","v":1e400,"list":[2e999,1.5],"ok":12345678901234567890}`)}}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	call := testCall(srv.URL, false)
	call.Parse = func(in *Incoming) (*Created, error) {
		var a map[string]any
		if err := DecodeObject(in.Body, &a); err != nil {
			return nil, err
		}
		return &Created{AgentID: AgentIDOf(a["id"]), Agent: a}, nil
	}
	res, err := testClient(new([]time.Duration)).Do(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.Created.Agent)
	var back struct {
		V    string
		List []any
		OK   float64
	}
	if err := json.Unmarshal(b, &back); err != nil || back.V != "1e400" || back.List[0] != "2e999" || back.List[1] != 1.5 {
		t.Errorf("agent %s reads back as %+v, %v", b, back, err)
	}
	if !strings.Contains(string(b), `"ok":12345678901234567890`) {
		t.Errorf("a large integer that float64 holds (approximately) is not kept as written: %s", b)
	}
}

func TestDoReadsAnAnswerWithAByteOrderMark(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(201, nil, bom+`{"id":"agt_bom"}`)}}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	res, err := testClient(new([]time.Duration)).Do(context.Background(), testCall(srv.URL, false))
	if err != nil || res.Created.AgentID != "agt_bom" {
		t.Fatalf("created %+v, %v; want agent agt_bom", res, err)
	}

	fv = &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(400, nil, bom+`{"message":"name too long"}`)}}
	srv2 := httptest.NewServer(fv)
	defer srv2.Close()
	_, err = testClient(new([]time.Duration)).Do(context.Background(), testCall(srv2.URL, false))
	if err == nil || !strings.Contains(err.Error(), "name too long") {
		t.Errorf("error = %v, want the vendor's message", err)
	}
}

// TestDoNamesAnIDOutsideTheDocumentedPlace: a vendor that changes the shape
// of its answer (the agent no longer wrapped, say) still created the agent;
// an id the answer gives where such a change puts it is kept, as a likely
// one, so the outcome unknown names it and the journal keeps it.
func TestDoNamesAnIDOutsideTheDocumentedPlace(t *testing.T) {
	for body, want := range map[string]string{
		`{"id":"agt_top","name":"n"}`:       "agt_top",
		`{"agent":{"id":"agt_in"}}`:         "agt_in",
		`{"data":{"id":12345678901234567}}`: "12345678901234567",
		`{"id":"agt_cut","name":"cut her`:   "agt_cut",
		`{"name":"n"}`:                      "",
		`{"data":{"name":"n"}}`:             "",
		`<html>ok</html>`:                   "",
	} {
		fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(201, nil, body)}}
		srv := httptest.NewServer(fv)
		call := testCall(srv.URL, false)
		// The documented place is {"result":{"agent_id":...}}.
		call.Parse = func(in *Incoming) (*Created, error) {
			var a struct {
				Result *struct {
					AgentID string `json:"agent_id"`
				} `json:"result"`
			}
			if err := json.Unmarshal(in.Body, &a); err != nil {
				return nil, err
			}
			if a.Result == nil {
				return nil, errors.New(`no "result" object`)
			}
			return &Created{AgentID: a.Result.AgentID}, nil
		}
		_, err := testClient(new([]time.Duration)).Do(context.Background(), call)
		srv.Close()
		var u *UnknownOutcomeError
		if !errors.As(err, &u) {
			t.Errorf("%s: err = %v, want an unknown outcome", body, err)
			continue
		}
		ve, _ := IsVendorError(err)
		switch got := ""; {
		case ve != nil && (want != "" || ve.AgentID != ""):
			got = ve.AgentID
			if got != want || !strings.Contains(err.Error(), "names the id "+want+" where Vendor does not document") {
				t.Errorf("%s: id %q in %v, want %q named as likely", body, got, err, want)
			}
		case want != "":
			t.Errorf("%s: %v names no id, want %q", body, err, want)
		}
	}

	// A call that sent its own id (an upsert, or one the vendor is asked to
	// use) names that one, no other.
	for _, own := range []func(*Call){func(c *Call) { c.ClientID = "agt_sent" }, func(c *Call) { c.GivenID = "agt_sent" }} {
		fv := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){status(201, nil, `{"id":"agt_other"}`)}}
		srv := httptest.NewServer(fv)
		call := testCall(srv.URL, false)
		own(&call)
		call.Parse = func(*Incoming) (*Created, error) { return nil, errors.New("unreadable") }
		_, err := testClient(new([]time.Duration)).Do(context.Background(), call)
		srv.Close()
		if ve, _ := IsVendorError(err); err == nil || strings.Contains(err.Error(), "agt_other") || (ve != nil && ve.AgentID == "agt_other") {
			t.Errorf("a call with the id agt_sent: %v names the id in the answer", err)
		}
	}
}

// TestDoRefusalCutInsideAnEchoedKey: a refusal that echoes the key and is
// cut short inside it (a lost connection, or the size cap) shows no part of
// the key: the unfinished word at the cut goes.
func TestDoRefusalCutInsideAnEchoedKey(t *testing.T) {
	const key = "evr_probeSECRET0123456789"
	// Longer than the least the client reads (four times the request).
	head := `{"error":"` + strings.Repeat("no ", 50) + `invalid API key ` + key[:20]
	for name, answer := range map[string]string{
		"connection lost": fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(head)+40, head),
		"size cap":        fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(head)+len(key), head+key[20:]+`"}`),
	} {
		f := &fakeVendor{steps: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, _ *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n" + answer)
			_ = buf.Flush()
			conn.Close()
		}}}
		srv := httptest.NewServer(f)
		c := NewClient("agentmcp/test")
		c.MaxResponseBytes = int64(len(head))
		call := testCall(srv.URL, false)
		call.Redact = NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": key})).Redact
		_, err := c.Do(context.Background(), call)
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "invalid API") {
			t.Errorf("%s: err = %v, want the refusal", name, err)
		} else if strings.Contains(err.Error(), key[:8]) {
			t.Errorf("%s: part of the key shown: %v", name, err)
		}
	}
}

func TestPointsBelow(t *testing.T) {
	for _, tt := range []struct {
		req, location string
		want          bool
	}{
		{"https://api.example.com/v1/agents", "/v1/agents/agt_1", true},
		{"https://api.example.com/v1/agents/", "agt_1", true},
		{"https://api.example.com/v1/agents", "https://api.example.com/v1/agents/agt_1?x=1", true},
		{"https://api.example.com/v1/agents", "https://other.example.com/v1/agents/agt_1", false}, // moved
		{"https://api.example.com/v1/agents", "https://API.example.com:443/v1/agents/agt_1", true},
		{"https://api.example.com/v1/agents", "https://api.example.com:8443/v1/agents/agt_1", false},
		{"https://api.example.com/v1/agents", "http://api.example.com/v1/agents/agt_1", true}, // a proxy's http
		{"https://api.example.com/v1/agents", "/v1/agents", false},
		{"https://api.example.com/v1/agents", "/v1/agents/", false},
		{"https://api.example.com/v1/agents", "/v1/agentsx/1", false},
		{"https://api.example.com/v1/agents", "/login", false},
		{"https://dms.cn-hangzhou.aliyuncs.com/?Action=x", "/anything", false}, // a root path says nothing
		{"https://api.example.com/v1/agents", "", false},
		{"https://api.example.com/v1/agents", "http://[::1", false}, // does not parse
	} {
		if got := pointsBelow(tt.req, tt.location); got != tt.want {
			t.Errorf("pointsBelow(%q, %q) = %v, want %v", tt.req, tt.location, got, tt.want)
		}
	}
}
