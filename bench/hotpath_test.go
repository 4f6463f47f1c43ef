package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/bench/internal/poster"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// buildTools builds every registered tool as agentmcp's server does with
// the command's defaults (the dedupe window on; over stdio; the journal off,
// as the bench's agentmcp runs), env supplying vendor settings and keys, and
// client sending every vendor request (nil: a client of agentmcp's own).
func buildTools(tb testing.TB, env map[string]string, client *providers.Client) []*tools.Tool {
	tb.Helper()
	cfg := app.Config{Version: "bench", Transport: app.TransportStdio, Journal: app.JournalOff, LogLevel: "warn",
		Timeout: app.DefaultTimeout, DedupeWindow: app.DefaultDedupeWindow, SessionIdleTimeout: app.DefaultSessionIdleTimeout,
		MaxBodyBytes: app.DefaultMaxBodyBytes}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	if client == nil {
		client = providers.NewClient("agentmcp/bench")
	}
	srv, err := app.NewServer(cfg, providers.MapEnv(env), nil, client, zerolog.Nop())
	if err != nil {
		tb.Fatal(err)
	}
	return srv.Tools
}

// replayVendor is a vendor client's transport that answers every request in
// the caller's goroutine, without the network, with the fake vendor's answer
// to the first one: a call through it does every step of a real call (the
// handler's decode, validation, vendor checks and request build, the
// client's attempt, the answer's parse and the result) but the round trip.
type replayVendor struct {
	once   sync.Once
	status int
	header http.Header
	body   []byte
	sent   atomic.Int64 // requests received
}

func (t *replayVendor) RoundTrip(r *http.Request) (*http.Response, error) {
	t.sent.Add(1)
	t.once.Do(func() {
		in := r.Clone(r.Context())
		if in.Body == nil {
			in.Body = http.NoBody
		}
		rec := httptest.NewRecorder()
		(&fakeVendor{}).serve(rec, in)
		t.status, t.header, t.body = rec.Code, rec.Header(), rec.Body.Bytes()
	})
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{Status: http.StatusText(t.status), StatusCode: t.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: t.header.Clone(), Body: io.NopCloser(bytes.NewReader(t.body)), ContentLength: int64(len(t.body)), Request: r}, nil
}

// replayTools builds the tools with every vendor answered by a replayVendor
// of the tool's own, and returns them with those transports by slug.
func replayTools(tb testing.TB) ([]*tools.Tool, map[string]*replayVendor) {
	tb.Helper()
	// Never dialled: the transport answers.
	env, err := vendorEnv("http://127.0.0.1:9")
	if err != nil {
		tb.Fatal(err)
	}
	var ts []*tools.Tool
	vendors := map[string]*replayVendor{}
	for _, slug := range app.Slugs() {
		v := &replayVendor{}
		client := providers.NewClient("agentmcp/bench")
		client.HTTP.Transport = v
		for _, t := range buildTools(tb, env, client) {
			if t.Slug == slug {
				ts, vendors[slug] = append(ts, t), v
			}
		}
	}
	return ts, vendors
}

// calls makes the requests of one tool's calls as mcp-go hands them to a
// handler, each with a name of its own (nameMark numbered, as the bench's
// clients do): agentmcp's dedupe window would answer a call identical to an
// earlier one from memory, and send nothing.
type calls struct {
	tool string
	args map[string]any // the name marked
	key  string         // of the name in args
	raw  []byte         // args as JSON
	tag  string
	n    int64
}

func newCalls(tb testing.TB, tool string, args map[string]any) *calls {
	tb.Helper()
	c := &calls{tool: tool, args: marked(args), key: nameKey(args), tag: "bench"}
	var err error
	if c.raw, err = json.Marshal(c.args); err != nil {
		tb.Fatal(err)
	}
	return c
}

// next is the request of the next call.
func (c *calls) next() mcp.CallToolRequest {
	c.n++
	var req mcp.CallToolRequest
	req.Params.Name = c.tool
	req.Params.RawArguments = numbered(c.raw, c.tag, c.n)
	req.Params.Arguments = with(c.args, c.key, strings.Replace(c.args[c.key].(string), nameMark, c.tag+"-"+strconv.FormatInt(c.n, 10), 1))
	return req
}

// created calls h with req and fails tb unless the call created an agent
// (a result from memory is no create).
func created(tb testing.TB, h mcpserver.ToolHandlerFunc, req mcp.CallToolRequest) {
	res, err := h(context.Background(), req)
	if err != nil || res.IsError {
		tb.Fatalf("%v %+v", err, res)
	}
}

// testVendor starts the fake vendor for the rest of tb, and returns it with
// the environment that points every provider at it.
func testVendor(tb testing.TB) (*fakeVendor, map[string]string) {
	tb.Helper()
	v := startVendor()
	tb.Cleanup(v.Close)
	env, err := vendorEnv(v.URL())
	if err != nil {
		tb.Fatal(err)
	}
	return v, env
}

// dummyCredentials sets every provider credential, and nothing else.
func dummyCredentials(tb testing.TB) map[string]string {
	tb.Helper()
	vars, err := app.EnvVars()
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]string{}
	for _, v := range vars {
		if v.Secret {
			m[v.Name] = dummyKey
		}
	}
	return m
}

// callRequest is a tools/call as mcp-go hands it to a handler.
func callRequest(tb testing.TB, name string, args map[string]any) mcp.CallToolRequest {
	tb.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		tb.Fatal(err)
	}
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	req.Params.RawArguments = raw
	return req
}

// BenchmarkHandler is the hot path of a real call, for every registered tool
// with its example arguments: argument decode, schema validation, vendor
// checks, request build, the client's attempt, the answer's parse and the
// result, in tools built as agentmcp's server builds them (the dedupe window
// on, so a call's key is worked out too), with the vendor's answer replayed
// in process: no network. Every call has a name of its own, and is sent.
func BenchmarkHandler(b *testing.B) {
	ts, vendors := replayTools(b)
	for _, t := range ts {
		args, ok := exampleArgs(b, t.Slug)
		if !ok {
			continue
		}
		b.Run(t.Slug, func(b *testing.B) {
			cs, v := newCalls(b, t.Tool.Name, args), vendors[t.Slug]
			// Once before timing: the validator compiles on a tool's first
			// call, and the vendor's answer is recorded.
			created(b, t.Handler, cs.next())
			b.ReportAllocs()
			for b.Loop() {
				created(b, t.Handler, cs.next())
			}
			if got := v.sent.Load(); got != cs.n {
				b.Fatalf("%d calls, %d sent: some were answered from memory", cs.n, got)
			}
		})
	}
}

// BenchmarkCall is one real call through a tool handler, vendor round trip
// to the fake vendor on 127.0.0.1 included, beside the floor's handler making
// the same call: the difference is what agentmcp's handler adds (validation,
// request build, answer parsing, structured result). cpu-µs/op is the CPU of
// the whole process (the fake vendor's included) per call.
func BenchmarkCall(b *testing.B) {
	v, env := testVendor(b)
	args, err := loadArgs("..", "datagrid")
	if err != nil {
		b.Fatal(err)
	}
	handlers := map[string]mcpserver.ToolHandlerFunc{"floor": poster.Handler(v.URL()+"/datagrid/agents", dummyKey, 100)}
	for _, t := range buildTools(b, env, nil) {
		if t.Slug == "datagrid" {
			handlers["agentmcp"] = t.Handler
		}
	}
	if handlers["agentmcp"] == nil {
		b.Skip("datagrid is not registered")
	}
	for _, name := range []string{"floor", "agentmcp"} {
		h := handlers[name]
		b.Run(name, func(b *testing.B) {
			// Each call a name of its own, for both: agentmcp would answer
			// a repeat from memory.
			cs := newCalls(b, "create_agent_datagrid", args)
			sent := v.count.Load()
			created(b, h, cs.next()) // the validator compiles on the first call
			b.ReportAllocs()
			start, measured := processCPU(b)
			for b.Loop() {
				created(b, h, cs.next())
			}
			if got := v.count.Load() - sent; got != cs.n {
				b.Fatalf("%d calls, %d sent: some were answered from memory", cs.n, got)
			}
			if end, _ := processCPU(b); measured {
				b.ReportMetric(float64((end-start).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
			}
		})
	}
}

// BenchmarkHandlerPromptSize is BenchmarkHandler's datagrid call with a
// system_prompt of 1, 10 and 100 KB.
func BenchmarkHandlerPromptSize(b *testing.B) {
	ts, vendors := replayTools(b)
	var grid *tools.Tool
	for _, t := range ts {
		if t.Slug == "datagrid" {
			grid = t
		}
	}
	if grid == nil {
		b.Skip("datagrid is not registered")
	}
	args, err := loadArgs("..", "datagrid")
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range sizes {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			cs, v := newCalls(b, grid.Tool.Name, withPrompt(args, size)), vendors["datagrid"]
			sent := v.sent.Load()
			created(b, grid.Handler, cs.next())
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				created(b, grid.Handler, cs.next())
			}
			if got := v.sent.Load() - sent; got != cs.n {
				b.Fatalf("%d calls, %d sent: some were answered from memory", cs.n, got)
			}
		})
	}
}

// BenchmarkBuildTools is the per-process start-up work of the tools for every
// registered provider (validators compile later, on each tool's first call).
func BenchmarkBuildTools(b *testing.B) {
	env := dummyCredentials(b)
	deps := tools.Deps{Client: providers.NewClient("agentmcp/bench"), Env: providers.MapEnv(env), Timeout: app.DefaultTimeout,
		DedupeWindow: app.DefaultDedupeWindow, Logger: zerolog.Nop()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := app.BuildTools(app.Slugs(), providers.MapEnv(env), deps); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFakeVendorAnswersEveryTool sends each tool's example arguments through
// its handler to the fake vendor: each vendor shape must parse as created.
func TestFakeVendorAnswersEveryTool(t *testing.T) {
	_, env := testVendor(t)
	for _, tool := range buildTools(t, env, nil) {
		args, ok := exampleArgs(t, tool.Slug)
		if !ok {
			continue
		}
		res, err := tool.Handler(context.Background(), callRequest(t, tool.Tool.Name, args))
		if err != nil {
			t.Fatalf("%s: %v", tool.Slug, err)
		}
		if res.IsError {
			t.Errorf("%s: %+v (is the vendor's success answer in agentBody, bench/vendor.go?)", tool.Slug, res.Content)
		}
	}
}

// TestDefaultArgumentsAreValid keeps the fallback arguments of the bench a
// valid create_agent_datagrid call.
func TestDefaultArgumentsAreValid(t *testing.T) {
	for _, tool := range buildTools(t, dummyCredentials(t), nil) {
		if tool.Slug != "datagrid" {
			continue
		}
		res, err := tool.Handler(context.Background(), callRequest(t, tool.Tool.Name, with(defaultArgs, "dry_run", true)))
		if err != nil || res.IsError {
			t.Fatalf("%v %+v", err, res)
		}
	}
}

// TestHotPathCallsAreSent: the calls BenchmarkHandler times each reach the
// vendor, through tools with agentmcp's dedupe window on (an identical call
// is answered from memory, and not sent).
func TestHotPathCallsAreSent(t *testing.T) {
	ts, vendors := replayTools(t)
	for _, tool := range ts {
		args, ok := exampleArgs(t, tool.Slug)
		if !ok {
			continue
		}
		cs, v := newCalls(t, tool.Tool.Name, args), vendors[tool.Slug]
		var req mcp.CallToolRequest
		for range 3 {
			req = cs.next()
			created(t, tool.Handler, req)
		}
		if got := v.sent.Load(); got != 3 {
			t.Errorf("%s: 3 calls, %d sent", tool.Slug, got)
		}
		res, err := tool.Handler(context.Background(), req)
		if err != nil || res.IsError {
			t.Fatalf("%s: repeat: %v %+v", tool.Slug, err, res)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if err := toolError(b); err == nil || v.sent.Load() != 3 {
			t.Errorf("%s: a repeat was sent (%d sent), not answered from memory: the dedupe window is off", tool.Slug, v.sent.Load())
		}
	}
}

// exampleArgs is loadArgs of slug from the repository's examples, for a
// test or benchmark; false, with a log line, when the provider has none.
func exampleArgs(tb testing.TB, slug string) (map[string]any, bool) {
	tb.Helper()
	args, err := loadArgs("..", slug)
	if err != nil {
		tb.Fatal(err)
	}
	if args == nil {
		tb.Logf("%s: no examples/arguments/%s.json, skipped", slug, slug)
	}
	return args, args != nil
}
