package computeragents

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
)

// TestCutShortSuccessKeepsTheID: a 201 whose body stops (connection lost, or
// the call's time runs out) after the agent's id has arrived must not lose
// that id: the agent exists, and the caller must be told which one it is.
func TestCutShortSuccessKeepsTheID(t *testing.T) {
	const id = "agent_qP5Hz2jwHsj5oVoCPIx71"
	head := `{"agent":{"id":"` + id + `","name":"Research Assistant","instructions":"You are a careful`
	tests := []struct {
		name  string
		serve func(w http.ResponseWriter, release <-chan struct{})
		ctx   func() (context.Context, context.CancelFunc)
	}{
		{"connection lost mid-body", func(w http.ResponseWriter, _ <-chan struct{}) {
			cutShort(w, head)
		}, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }},
		{"slow body past the timeout", func(w http.ResponseWriter, release <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(head))
			_ = http.NewResponseController(w).Flush()
			<-release
		}, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				n.Add(1)
				tt.serve(w, release)
			}))
			defer srv.Close()
			defer close(release)
			p := newProvider(t, srv.URL)
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := testClient().Do(ctx, call(p, &Request{Name: "Research Assistant", Model: "claude-sonnet-4-5"}, testKey))
			if n.Load() != 1 {
				t.Fatalf("the vendor got %d requests, want 1", n.Load())
			}
			var u *providers.UnknownOutcomeError
			if !errors.As(err, &u) {
				t.Fatalf("err = %v (%T), want an unknown outcome", err, err)
			}
			if !strings.Contains(err.Error(), id) {
				t.Errorf("the answer named the new agent %s before it was cut short, but the error does not: %v", id, err)
			}
			if ve, ok := providers.IsVendorError(err); !ok || ve.AgentID != id {
				t.Errorf("the id is not carried for the journal (VendorError.AgentID): %v", err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

// Through the tool: the journal's outcome entry keeps the id of the agent
// whose 201 answer was cut short.
func TestCutShortSuccessIsJournaledWithTheID(t *testing.T) {
	const id = "agent_qP5Hz2jwHsj5oVoCPIx71"
	head := `{"agent":{"id":"` + id + `","name":"n","instructions":"cut here`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		cutShort(w, head)
	}))
	defer srv.Close()
	jr, err := journal.Open(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer jr.Close()
	res, err := callJournaled(t, srv.URL, jr, `{"name":"n","model":"claude-sonnet-4-5"}`)
	if err != nil || !res.IsError {
		t.Fatalf("want an error result: %v", err)
	}
	if text := resultText(res); !strings.Contains(text, id) {
		t.Errorf("the result does not name %s:\n%s", id, text)
	}
	got, err := jr.Recent(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Outcome != journal.OutcomeUnknown || got[1].AgentID != id {
		t.Errorf("journal = %+v, want an unknown outcome naming %s", got, id)
	}
}

// cutShort answers 201 with a length longer than head, sends head and drops
// the connection.
func cutShort(w http.ResponseWriter, head string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	fmt.Fprintf(buf, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(head)+200, head)
	_ = buf.Flush()
	conn.Close()
}
