package tools

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/providers"
)

// clock is a settable now for repeats.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testRepeats(window time.Duration) (*repeats, *clock) {
	c := &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	r := newRepeats(window)
	r.now = c.now
	return r, c
}

// sender is a send func whose calls a test counts and whose outcome it sets.
type sender struct {
	calls   atomic.Int32
	release chan struct{} // when set, send waits for it
	sent    bool
	made    bool
	unknown bool // the outcome is unknown: the agent may exist
	id      string
}

func (s *sender) send() (*mcp.CallToolResult, bool, *created) {
	s.calls.Add(1)
	if s.release != nil {
		<-s.release
	}
	if s.unknown {
		const text = "create_agent_x: outcome unknown: boom"
		return mcp.NewToolResultError(text), true, &created{summary: text, maybe: true}
	}
	if !s.made {
		return mcp.NewToolResultError("create_agent_x: boom"), s.sent, nil
	}
	summary := "Created X agent with id " + s.id + "."
	res, _ := structured(Success{Provider: "x", AgentID: s.id, Agent: map[string]any{"n": json.Number("12345678901234567890")}}, summary)
	return res, true, &created{result: res.StructuredContent.(json.RawMessage), summary: summary}
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func alreadyCreated(t *testing.T, res *mcp.CallToolResult) (string, bool) {
	t.Helper()
	raw, _ := res.StructuredContent.(json.RawMessage)
	var s Success
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("structured content %s: %v", raw, err)
	}
	return s.AgentID, s.AlreadyCreated
}

// lead runs the first call of key in the background, and waits until it is
// sending.
func lead(t *testing.T, r *repeats, key repeatKey, s *sender) <-chan *mcp.CallToolResult {
	t.Helper()
	out := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, _ := r.do(context.Background(), key, key, "create_agent_x", s.send, nil)
		out <- res
	}()
	for s.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	return out
}

// join runs an identical call of key in the background, and waits until it
// waits for the one in progress.
func join(t *testing.T, r *repeats, ctx context.Context, key repeatKey, send func() (*mcp.CallToolResult, bool, *created)) <-chan *mcp.CallToolResult {
	t.Helper()
	out := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, _ := r.do(ctx, key, key, "create_agent_x", send, nil)
		out <- res
	}()
	WaitForIdenticalCall(t)
	return out
}

// whileInProgress leads a call of s with key, makes an identical one with
// send while s is held, then lets s end: their results.
func whileInProgress(t *testing.T, r *repeats, key repeatKey, s *sender, send func() (*mcp.CallToolResult, bool, *created)) (first, second *mcp.CallToolResult) {
	t.Helper()
	led := lead(t, r, key, s)
	joined := join(t, r, context.Background(), key, send)
	close(s.release)
	return <-led, <-joined
}

func TestRepeatWhileInProgressGetsTheSameAgent(t *testing.T) {
	r, _ := testRepeats(time.Minute)
	key := repeatKey{1}
	s := &sender{release: make(chan struct{}), made: true, id: "agt_1"}
	first, res := whileInProgress(t, r, key, s, s.send)
	if first.IsError {
		t.Fatalf("first: %s", resultText(first))
	}
	if n := s.calls.Load(); n != 1 {
		t.Fatalf("sent %d times, want once", n)
	}
	id, again := alreadyCreated(t, res)
	if id != "agt_1" || !again || res.IsError {
		t.Errorf("second: id %q, already_created %v, isError %v", id, again, res.IsError)
	}
	if text := resultText(res); !strings.Contains(text, "in progress when this one arrived") || !strings.Contains(text, "id agt_1") {
		t.Errorf("second's text does not say what happened: %s", text)
	}
}

func TestRepeatWithinTheWindowGetsTheSameAgent(t *testing.T) {
	r, clk := testRepeats(10 * time.Minute)
	key := repeatKey{2}
	s := &sender{made: true, id: "agt_2"}
	if res, joined := r.do(context.Background(), key, key, "create_agent_x", s.send, nil); joined || res.IsError {
		t.Fatalf("first: joined %v, %s", joined, resultText(res))
	}
	clk.add(9*time.Minute + 59*time.Second)
	res, joined := r.do(context.Background(), key, key, "create_agent_x", s.send, nil)
	if id, again := alreadyCreated(t, res); !joined || id != "agt_2" || !again || s.calls.Load() != 1 {
		t.Fatalf("within the window: joined %v, id %q, already_created %v, sent %d times", joined, id, again, s.calls.Load())
	}
	if text := resultText(res); !strings.Contains(text, "made 9m59s ago") || !strings.Contains(text, "change an argument") {
		t.Errorf("text: %s", text)
	}
	if raw, _ := res.StructuredContent.(json.RawMessage); !strings.Contains(string(raw), `"n":12345678901234567890`) {
		t.Errorf("the agent is not returned as the vendor wrote it: %s", raw)
	}
	// Another key is another call.
	if _, joined := r.do(context.Background(), repeatKey{3}, repeatKey{3}, "create_agent_x", s.send, nil); joined || s.calls.Load() != 2 {
		t.Errorf("a different call was answered from memory")
	}
	clk.add(time.Second)
	if _, joined := r.do(context.Background(), key, key, "create_agent_x", s.send, nil); joined || s.calls.Load() != 3 {
		t.Errorf("a call past the window was not sent")
	}
}

func TestRepeatOfAFailure(t *testing.T) {
	t.Run("sent: waiters share it, later calls are sent", func(t *testing.T) {
		r, _ := testRepeats(time.Minute)
		key := repeatKey{4}
		s := &sender{release: make(chan struct{}), sent: true}
		_, res := whileInProgress(t, r, key, s, s.send)
		if text := resultText(res); !res.IsError || !strings.HasPrefix(text, "Not sent again") || !strings.Contains(text, "boom") || s.calls.Load() != 1 {
			t.Fatalf("waiter: isError %v, sent %d times, text %s", res.IsError, s.calls.Load(), text)
		}
		if _, joined := r.do(context.Background(), key, key, "create_agent_x", s.send, nil); joined || s.calls.Load() != 2 {
			t.Errorf("a call after a failure was not sent")
		}
	})
	t.Run("cancelled by its own client: a waiter sends its own", func(t *testing.T) {
		r, _ := testRepeats(time.Minute)
		key := repeatKey{5}
		s := &sender{release: make(chan struct{})}
		own := &sender{made: true, id: "agt_5"}
		_, res := whileInProgress(t, r, key, s, own.send)
		if id, again := alreadyCreated(t, res); id != "agt_5" || again || own.calls.Load() != 1 {
			t.Errorf("waiter: id %q, already_created %v, sent %d times; want its own create", id, again, own.calls.Load())
		}
	})
}

// A create whose outcome is unknown may have made the agent: a repeat
// within the window is told so, and told how to send anyway, rather than
// sent to make a second one.
func TestRepeatOfAnUnknownOutcome(t *testing.T) {
	r, clk := testRepeats(10 * time.Minute)
	key := repeatKey{8}
	s := &sender{unknown: true}
	if res, joined := r.do(context.Background(), key, key, "create_agent_x", s.send, nil); joined || !res.IsError {
		t.Fatalf("first: joined %v, %s", joined, resultText(res))
	}
	clk.add(2 * time.Minute)
	res, joined := r.do(context.Background(), key, key, "create_agent_x", s.send, nil)
	text := resultText(res)
	if !joined || !res.IsError || s.calls.Load() != 1 {
		t.Fatalf("within the window: joined %v, isError %v, sent %d times", joined, res.IsError, s.calls.Load())
	}
	for _, want := range []string{"Not sent again", "made 2m0s ago", "may exist", "call again in 8m1s", "change an argument", "outcome unknown: boom"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q: %s", want, text)
		}
	}
	clk.add(8 * time.Minute)
	if _, joined := r.do(context.Background(), key, key, "create_agent_x", s.send, nil); joined || s.calls.Load() != 2 {
		t.Errorf("a call past the window was not sent")
	}
}

// A call that waited for an identical one whose outcome turned out unknown
// gets that outcome as it was, said to be of a call in progress.
func TestRepeatWhileInProgressOfAnUnknownOutcome(t *testing.T) {
	r, _ := testRepeats(time.Minute)
	key := repeatKey{6}
	s := &sender{release: make(chan struct{}), unknown: true}
	first, res := whileInProgress(t, r, key, s, s.send)
	want, text := resultText(first), resultText(res)
	if s.calls.Load() != 1 || !res.IsError {
		t.Fatalf("sent %d times, isError %v", s.calls.Load(), res.IsError)
	}
	if !strings.HasPrefix(text, "Not sent again: an identical call (same arguments) was in progress when this one arrived") || !strings.HasSuffix(text, want) {
		t.Errorf("second: %s\nwant the first's outcome: %s", text, want)
	}
}

func TestRepeatCancelledWhileWaiting(t *testing.T) {
	r, _ := testRepeats(time.Minute)
	key := repeatKey{6}
	s := &sender{release: make(chan struct{}), made: true, id: "agt_6"}
	first := lead(t, r, key, s)
	ctx, cancel := context.WithCancel(context.Background())
	second := join(t, r, ctx, key, s.send)
	cancel()
	res := <-second
	if text := resultText(res); !res.IsError || !strings.Contains(text, "cancelled") || !strings.Contains(text, "sent nothing") {
		t.Errorf("cancelled waiter: %s", text)
	}
	close(s.release)
	<-first
	if s.calls.Load() != 1 {
		t.Errorf("sent %d times", s.calls.Load())
	}
}

func TestRepeatOfAPanickedCall(t *testing.T) {
	r, _ := testRepeats(time.Minute)
	key := repeatKey{7}
	release := make(chan struct{})
	var calls atomic.Int32
	panicky := func() (*mcp.CallToolResult, bool, *created) {
		calls.Add(1)
		<-release
		panic("provider bug")
	}
	go func() {
		defer func() { _ = recover() }()
		r.do(context.Background(), key, key, "create_agent_x", panicky, nil)
	}()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := join(t, r, context.Background(), key, panicky)
	close(release)
	res := <-second
	if text := resultText(res); !res.IsError || !strings.Contains(text, "internal error") {
		t.Errorf("waiter of a panicked call: %s", text)
	}
	s := &sender{made: true, id: "agt_7"}
	if _, joined := r.do(context.Background(), key, key, "create_agent_x", s.send, nil); joined || s.calls.Load() != 1 {
		t.Errorf("the call after a panic was not sent")
	}
}

func TestRepeatsRememberBoundedly(t *testing.T) {
	r, _ := testRepeats(time.Hour)
	s := &sender{made: true, id: "agt"}
	key := func(i int) repeatKey { return repeatKey{byte(i), byte(i >> 8), 8} }
	for i := range maxRemembered + 10 {
		r.do(context.Background(), key(i), key(i), "create_agent_x", s.send, nil)
	}
	_, _, one := (&sender{made: true, id: "agt"}).send()
	if len(r.calls) != maxRemembered || len(r.created.keys) != maxRemembered || r.created.bytes != one.size()*maxRemembered {
		t.Fatalf("remembered %d calls, %d creates, %d bytes; want %d", len(r.calls), len(r.created.keys), r.created.bytes, maxRemembered)
	}
	if _, joined := r.do(context.Background(), key(0), key(0), "create_agent_x", s.send, nil); joined {
		t.Errorf("the oldest create is still remembered")
	}
	if _, joined := r.do(context.Background(), key(maxRemembered+9), key(maxRemembered+9), "create_agent_x", s.send, nil); !joined {
		t.Errorf("the newest create is forgotten")
	}
}

// Unknown outcomes are bounded apart from the creates: many of them (a
// vendor outage on a busy server) do not push a create out.
func TestUnknownOutcomesDoNotPushOutCreates(t *testing.T) {
	r, _ := testRepeats(time.Hour)
	s := &sender{made: true, id: "agt_1"}
	r.do(context.Background(), repeatKey{1}, repeatKey{1}, "create_agent_x", s.send, nil)
	for i := range maxRemembered + 10 {
		r.do(context.Background(), repeatKey{byte(i), byte(i >> 8), 9}, repeatKey{byte(i), byte(i >> 8), 9}, "create_agent_x", (&sender{unknown: true}).send, nil)
	}
	if len(r.unknown.keys) != maxRemembered {
		t.Errorf("remembered %d unknown outcomes, want %d", len(r.unknown.keys), maxRemembered)
	}
	if res, joined := r.do(context.Background(), repeatKey{1}, repeatKey{1}, "create_agent_x", s.send, nil); !joined || s.calls.Load() != 1 || res.IsError {
		t.Errorf("the create was forgotten: joined %v, sent %d times", joined, s.calls.Load())
	}
}

func TestKeyOf(t *testing.T) {
	specs := []providers.CredentialSpec{{Key: "api_key", Env: "X_API_KEY", Header: "X-Api-Key"}}
	creds := func(key string) providers.Credentials {
		c, err := providers.CredentialsFromEnv(specs, providers.MapEnv(map[string]string{"X_API_KEY": key}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := keyOf("create_agent_x", []byte(`{"name":"a"}`), specs, creds("key-1"))
	for name, k := range map[string]repeatKey{
		"other tool":      keyOf("create_agent_y", []byte(`{"name":"a"}`), specs, creds("key-1")),
		"other arguments": keyOf("create_agent_x", []byte(`{"name":"b"}`), specs, creds("key-1")),
		"other key":       keyOf("create_agent_x", []byte(`{"name":"a"}`), specs, creds("key-2")),
		"no key":          keyOf("create_agent_x", []byte(`{"name":"a"}`), specs, providers.Credentials{}),
	} {
		if k == base {
			t.Errorf("%s: same key", name)
		}
	}
	if keyOf("create_agent_x", []byte(`{"name":"a"}`), specs, creds("key-1")) != base {
		t.Errorf("identical calls have different keys")
	}
}

// When the session ends (stdin closed, or the server stopping), every call's
// context is cancelled though no client asked: a call waiting for an
// identical one is then answered with that call's outcome, when it has one,
// not told it was cancelled while the agent is being created.
func TestWaiterWhenTheSessionEndsGetsTheOutcome(t *testing.T) {
	r, _ := testRepeats(time.Minute)
	ending := make(chan struct{})
	r.ending = ending
	key := repeatKey{42}
	s := &sender{release: make(chan struct{}), made: true, id: "agt_42"}
	led := lead(t, r, key, s)
	ctx, cancel := context.WithCancel(context.Background())
	joined := join(t, r, ctx, key, s.send)
	close(ending)
	cancel()
	close(s.release)
	if first := <-led; first.IsError {
		t.Fatalf("first: %s", resultText(first))
	}
	res := <-joined
	if id, again := alreadyCreated(t, res); id != "agt_42" || !again || res.IsError {
		t.Errorf("waiter: id %q, already_created %v, text %s", id, again, resultText(res))
	}
	if n := s.calls.Load(); n != 1 {
		t.Errorf("sent %d times, want once", n)
	}
}
