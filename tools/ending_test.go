package tools_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/journal/journaltest"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/datagrid"
	"github.com/agentmcp/agentmcp/tools"
)

// TestCancelledCall: a cancellation, by the client or with the end of the
// session (stdin closed), stops the call, but a request the vendor already
// has is followed to its answer, so the journal gets the agent's id: within
// the drain timeout once the session ends, until the server aborts the calls
// it stops waiting for, and at most for the call's timeout.
func TestCancelledCall(t *testing.T) {
	const (
		noSession    = iota // no Ending channel (HTTP)
		sessionOn           // the session goes on
		endsInFlight        // the session ends once the vendor has the request
		endedBefore         // the session ended before the call began
		aborted             // after the cancellation, the server stops waiting (HTTP grace over)
	)
	for _, tc := range []struct {
		name        string
		session     int
		drain       time.Duration
		vendorDelay time.Duration
		cancelFirst bool // the request is cancelled before the call starts
		wantOutcome string
		wantSent    bool
	}{
		{"client cancels: the answer is still read", noSession, 0, 300 * time.Millisecond, false, journal.OutcomeCreated, true},
		{"client cancels while the session goes on: the answer is still read", sessionOn, 10 * time.Second, 300 * time.Millisecond, false, journal.OutcomeCreated, true},
		{"client cancels, then the server stops waiting: aborted", aborted, 0, time.Minute, false, journal.OutcomeUnknown, true},
		{"session ends: finishes", endsInFlight, 10 * time.Second, 300 * time.Millisecond, false, journal.OutcomeCreated, true},
		{"session ends, vendor hangs: aborted after the drain", endsInFlight, 200 * time.Millisecond, time.Minute, false, journal.OutcomeUnknown, true},
		{"cancelled before sending: nothing sent", sessionOn, 10 * time.Second, 0, true, journal.OutcomeNotSent, false},
		{"session ended before sending, request not yet cancelled: nothing sent", endedBefore, 10 * time.Second, 0, false, journal.OutcomeNotSent, false},
		{"session ended and request cancelled before sending (stdin closed): nothing sent", endedBefore, 10 * time.Second, 0, true, journal.OutcomeNotSent, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body) // then a client that goes away cancels r.Context()
				hits.Add(1)
				arrived <- struct{}{}
				select {
				case <-time.After(tc.vendorDelay):
				case <-r.Context().Done():
					return
				}
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{"object":"agent","id":"agt_late","name":"n"}`))
			}))
			defer srv.Close()
			jr := &journaltest.Recorder{}
			ending := make(chan struct{})
			var sessionEnding <-chan struct{}
			switch tc.session {
			case endedBefore:
				close(ending)
				sessionEnding = ending
			case sessionOn, endsInFlight:
				sessionEnding = ending
			}
			abort := make(chan struct{})
			tool := endingTool(t, srv.URL, jr, sessionEnding, tc.drain, abort)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelFirst {
				cancel()
			} else {
				go func() {
					select {
					case <-arrived:
					case <-ctx.Done():
						return
					}
					if tc.session == endsInFlight {
						close(ending) // as the server does before mcp-go cancels
					}
					cancel()
					if tc.session == aborted {
						time.Sleep(50 * time.Millisecond) // the call goes on, then the server gives up
						close(abort)
					}
				}()
			}
			var req mcp.CallToolRequest
			req.Params.Name = tool.Tool.Name
			req.Params.Arguments = map[string]any{"name": "n"}
			res, err := tool.Handler(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			entries := jr.Outcomes()
			if len(entries) != 1 {
				t.Fatalf("journal has %d entries, want 1", len(entries))
			}
			if got := entries[0].Outcome; got != tc.wantOutcome {
				t.Errorf("journal outcome = %q, want %q (result: %v)", got, tc.wantOutcome, res.Content)
			}
			if tc.wantOutcome == journal.OutcomeCreated && (res.IsError || entries[0].AgentID != "agt_late") {
				t.Errorf("want the created agent agt_late, got %+v", res.Content)
			}
			if sent := hits.Load() > 0; sent != tc.wantSent {
				t.Errorf("sent = %v, want %v", sent, tc.wantSent)
			}
			// Over stdio, stdin closed ends the session: the caller did not
			// cancel, and is not told it did, whether mcp-go has cancelled
			// the request yet or not (calls still queued when stdin ends).
			want := "the request was cancelled before anything was sent"
			if tc.session == endedBefore {
				want = "the session ended before anything was sent (stdin closed"
			}
			if (tc.cancelFirst || tc.session == endedBefore) && !strings.Contains(entries[0].Error, want) {
				t.Errorf("error = %q, want %q", entries[0].Error, want)
			}
		})
	}
}

// TestNoRetryAfterCancellation: a 429 means nothing was created; if the
// client cancels, or the session ends, while the call waits to retry, the
// retry is not sent (no wait for it either) and the journal says no agent
// was created.
func TestNoRetryAfterCancellation(t *testing.T) {
	for _, sessionEnds := range []bool{false, true} {
		var hits atomic.Int32
		first := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				first <- struct{}{}
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"object":"agent","id":"agt_after_end","name":"n"}`)
		}))
		defer srv.Close()
		jr := &journaltest.Recorder{}
		ending := make(chan struct{})
		tool := endingTool(t, srv.URL, jr, ending, 10*time.Second, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-first
			if sessionEnds {
				close(ending) // as the server does when stdin closes
			}
			cancel()
		}()
		var req mcp.CallToolRequest
		req.Params.Name = tool.Tool.Name
		req.Params.Arguments = map[string]any{"name": "n"}
		start := time.Now()
		if _, err := tool.Handler(ctx, req); err != nil {
			t.Fatal(err)
		}
		entries := jr.Outcomes()
		if n := hits.Load(); n != 1 || len(entries) != 1 || entries[0].Outcome != journal.OutcomeFailed && entries[0].Outcome != journal.OutcomeNotSent {
			t.Errorf("session ends %v: vendor got %d requests, journal %+v: want one request and no agent", sessionEnds, n, entries)
		}
		if waited := time.Since(start); waited > time.Second {
			t.Errorf("session ends %v: the call waited %s for a retry it would not send", sessionEnds, waited)
		}
	}
}

// endingTool is create_agent_datagrid against the vendor at url, journaling
// to jr, in a session that ends when ending closes (nil: no session), in a
// server that stops waiting for calls when abort closes.
func endingTool(t *testing.T, url string, jr *journaltest.Recorder, ending <-chan struct{}, drain time.Duration, abort <-chan struct{}) *tools.Tool {
	t.Helper()
	env := providers.MapEnv(map[string]string{datagrid.EnvAPIKey: canary, datagrid.EnvBaseURL: url + "/v1"})
	p, err := datagrid.New(env)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := tools.New(p, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env, Timeout: 30 * time.Second,
		Journal: jr, Logger: zerolog.Nop(), Ending: ending, DrainTimeout: drain, Abort: abort})
	if err != nil {
		t.Fatal(err)
	}
	return tool
}
