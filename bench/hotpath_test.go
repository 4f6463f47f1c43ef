package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/bench/internal/poster"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// buildTools builds every registered tool as the server does, with env.
func buildTools(tb testing.TB, env map[string]string) []*tools.Tool {
	tb.Helper()
	deps := tools.Deps{
		Client:  providers.NewClient("agentmcp/bench"),
		Env:     providers.MapEnv(env),
		Timeout: 10 * time.Second,
		Logger:  zerolog.Nop(),
	}
	ts, err := app.BuildTools(app.Slugs(), providers.MapEnv(env), deps)
	if err != nil {
		tb.Fatal(err)
	}
	return ts
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

// BenchmarkHandler is the hot path of a call without the network: argument
// decode, schema validation, provider checks and request build (a dry run),
// for every registered tool with its example arguments.
func BenchmarkHandler(b *testing.B) {
	ctx := context.Background()
	for _, t := range buildTools(b, dummyCredentials(b)) {
		args, err := loadArgs("..", t.Slug)
		if err != nil {
			b.Fatal(err)
		}
		if args == nil {
			b.Logf("%s: no examples/arguments/%s.json, skipped", t.Slug, t.Slug)
			continue
		}
		req := callRequest(b, t.Tool.Name, with(args, "dry_run", true))
		b.Run(t.Slug, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := t.Handler(ctx, req)
				if err != nil || res.IsError {
					b.Fatalf("%v %+v", err, res)
				}
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
	for _, t := range buildTools(b, env) {
		if t.Slug == "datagrid" {
			handlers["agentmcp"] = t.Handler
		}
	}
	if handlers["agentmcp"] == nil {
		b.Skip("datagrid is not registered")
	}
	req := callRequest(b, "create_agent_datagrid", args)
	for _, name := range []string{"floor", "agentmcp"} {
		h := handlers[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			start, measured := processCPU(b)
			for b.Loop() {
				if res, err := h(context.Background(), req); err != nil || res.IsError {
					b.Fatalf("%v %+v", err, res)
				}
			}
			if end, _ := processCPU(b); measured {
				b.ReportMetric(float64((end-start).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
			}
		})
	}
}

// BenchmarkHandlerPromptSize is the datagrid hot path with a system_prompt of
// 1, 10 and 100 KB.
func BenchmarkHandlerPromptSize(b *testing.B) {
	ctx := context.Background()
	var grid *tools.Tool
	for _, t := range buildTools(b, dummyCredentials(b)) {
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
		req := callRequest(b, grid.Tool.Name, with(withPrompt(args, size), "dry_run", true))
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if res, err := grid.Handler(ctx, req); err != nil || res.IsError {
					b.Fatalf("%v %+v", err, res)
				}
			}
		})
	}
}

// BenchmarkBuildTools is the per-process start-up work of the tools for every
// registered provider (validators compile later, on each tool's first call).
func BenchmarkBuildTools(b *testing.B) {
	env := dummyCredentials(b)
	b.ReportAllocs()
	for b.Loop() {
		buildTools(b, env)
	}
}

// TestFakeVendorAnswersEveryTool sends each tool's example arguments through
// its handler to the fake vendor: each vendor shape must parse as created.
func TestFakeVendorAnswersEveryTool(t *testing.T) {
	_, env := testVendor(t)
	for _, tool := range buildTools(t, env) {
		args, err := loadArgs("..", tool.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if args == nil {
			t.Logf("%s: no example arguments, skipped", tool.Slug)
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
	for _, tool := range buildTools(t, dummyCredentials(t)) {
		if tool.Slug != "datagrid" {
			continue
		}
		res, err := tool.Handler(context.Background(), callRequest(t, tool.Tool.Name, with(defaultArgs, "dry_run", true)))
		if err != nil || res.IsError {
			t.Fatalf("%v %+v", err, res)
		}
	}
}
