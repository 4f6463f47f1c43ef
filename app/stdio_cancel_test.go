package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/datagrid"
	"github.com/agentmcp/agentmcp/tools"
)

// TestStdioCallCancelledWhileQueued: a call waiting for a worker behind
// stdioWorkers busy ones, then cancelled by the client, is not sent once a
// worker frees up (mcp-go forgets a cancellation of a request it has not
// started yet).
func TestStdioCallCancelledWhileQueued(t *testing.T) {
	var hits atomic.Int32
	arrived, release := make(chan struct{}, stdioWorkers+1), make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := hits.Add(1)
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"object":"agent","id":"agt_%d","name":"n"}`, n)
	}))
	defer vendor.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	cfg, env := datagridStdio(vendor.URL + "/v1")
	cfg.Journal = filepath.Join(t.TempDir(), "journal.jsonl")
	s := startStdio(t, cfg, env, io.Discard)
	call := func(id int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"a%d"}}}`, id, id)
	}
	for i := 1; i <= stdioWorkers; i++ {
		s.send(t, call(i))
	}
	for range stdioWorkers {
		<-arrived // every worker is busy with a call the vendor holds
	}
	queued := stdioWorkers + 1
	s.send(t, call(queued))
	s.send(t, fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%d,"reason":"user"}}`, queued))
	s.send(t, `{"jsonrpc":"2.0","id":1000,"method":"ping"}`)
	s.await(t, 1000, 10*time.Second) // the cancellation has been read
	close(release)
	got := 0
	answeredCancelled := false
	for m := range s.out {
		switch id, _ := m["id"].(float64); {
		case int(id) == queued:
			answeredCancelled = true
		case id >= 1 && int(id) < queued:
			got++
		}
		if got == stdioWorkers {
			break
		}
	}
	s.in.Close()
	<-s.done
	if s.err != nil {
		t.Fatal(s.err)
	}
	for m := range s.out {
		if id, _ := m["id"].(float64); int(id) == queued {
			answeredCancelled = true
		}
	}
	if n := hits.Load(); n != stdioWorkers {
		t.Errorf("the vendor got %d requests, want %d: the call cancelled while it waited for a worker was sent", n, stdioWorkers)
	}
	// The MCP specification: no response to a cancelled request.
	if answeredCancelled {
		t.Error("the call cancelled while it waited for a worker was answered")
	}
}

// TestCancelWatch: a cancellation is noted however the reads split it, and
// the ids remembered stay bounded however many cancellations never meet
// their request (one that had already started, or never came).
func TestCancelWatch(t *testing.T) {
	early := newEarlyCancels()
	in := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","arguments":{"prompt":"do not cancel"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications\/cancelled","params":{"requestId":"a-1"}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,"reason":"` + strings.Repeat("x", maxCancelLine) + `"}}` + "\n"
	for _, size := range []int{1, 7, 4096} {
		w := &cancelWatch{r: iotest.OneByteReader(strings.NewReader(in)), early: early}
		if size > 1 {
			w.r = &chunks{s: in, n: size}
		}
		if _, err := io.ReadAll(w); err != nil {
			t.Fatal(err)
		}
		if !early.take(float64(7)) || !early.take("a-1") || early.take(float64(9)) || early.take("7") {
			t.Errorf("reads of %d bytes: the cancellations of 7 and \"a-1\" (only) should be noted once", size)
		}
	}
	w := &cancelWatch{r: strings.NewReader(""), early: early}
	for i := range 3 * maxEarlyCancels {
		w.scan([]byte(fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%d}}`+"\n", i)))
	}
	if n := early.ids.len(); n != maxEarlyCancels || int(early.count.Load()) != n {
		t.Errorf("%d ids remembered (count %d), want %d", n, early.count.Load(), maxEarlyCancels)
	}
	if !early.take(float64(3*maxEarlyCancels-1)) || early.take(float64(0)) {
		t.Error("the newest ids should be kept, the oldest forgotten")
	}
}

// TestCancelWatchNotesOnlyCancellations: a line mcp-go does not take as a
// cancellation (it answers an error, or ignores the field) must not make a
// queued call with that id be refused.
func TestCancelWatchNotesOnlyCancellations(t *testing.T) {
	for _, line := range []string{
		`{"method":"notifications/cancelled","params":{"requestId":1}}`,
		`{"jsonrpc":"1.0","method":"notifications/cancelled","params":{"requestId":2}}`,
		`{"jsonrpc":"2.0","id":30,"method":"notifications/cancelled","params":{"requestId":3}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"RequestId":4}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestid":5}}`,
	} {
		early := newEarlyCancels()
		(&cancelWatch{early: early}).scan([]byte(line + "\n"))
		if early.ids.len() != 0 {
			t.Errorf("%s: noted as a cancellation", line)
		}
	}
	early := newEarlyCancels()
	(&cancelWatch{early: early}).scan([]byte(`{"jsonrpc":"2.0","id":null,"method":"notifications/cancelled","params":{"requestId":6}}` + "\n"))
	if !early.take(float64(6)) {
		t.Error("a cancellation with a null id, which mcp-go takes as a notification, was not noted")
	}
}

// chunks reads s n bytes at a time.
type chunks struct {
	s string
	n int
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

// TestCancelReadWhileTheCallStarts: a cancellation read after the call got
// past refuse, but before mcp-go noted it as started (mcp-go's own handling
// then finds nothing to cancel), still stops the call before anything is
// sent.
func TestCancelReadWhileTheCallStarts(t *testing.T) {
	vendor, hits := countingVendor(t)
	env := providers.MapEnv(map[string]string{datagrid.EnvAPIKey: "k-test-1234", datagrid.EnvBaseURL: vendor.URL + "/v1"})
	p, err := datagrid.New(env)
	if err != nil {
		t.Fatal(err)
	}
	tool, err := tools.New(p, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env, Timeout: 5 * time.Second, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	early := newEarlyCancels()
	hooks := &server.Hooks{}
	hooks.AddOnRequestInitialization(early.refuse)
	// The cancellation is read now: after refuse, before the call starts.
	hooks.AddOnRequestInitialization(func(context.Context, any, any) error { early.add("5"); return nil })
	hooks.AddBeforeCallTool(early.cancelStarted)
	s := server.NewMCPServer("test", "0", server.WithToolCapabilities(false), server.WithHooks(hooks))
	early.server = s
	s.AddTools(tool.ServerTool())

	res := s.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"a"}}}`))
	b, _ := json.Marshal(res)
	if n := hits.Load(); n != 0 {
		t.Errorf("the vendor got %d requests, want none: %s", n, b)
	}
	if !strings.Contains(string(b), "cancelled before anything was sent") {
		t.Errorf("want the call to say it was cancelled before sending: %s", b)
	}
}
