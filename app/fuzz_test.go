package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/journal/journaltest"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// refuseTransport fails every request: a dry run must send nothing.
type refuseTransport struct{ sent *atomic.Int32 }

func (rt refuseTransport) RoundTrip(*http.Request) (*http.Response, error) {
	rt.sent.Add(1)
	return nil, errors.New("a dry run sent a request")
}

// FuzzToolArguments calls a tool with any arguments, dry_run forced on and no
// credentials set. The handler must not panic, must not return a Go error and
// must not send anything: it answers with a dry-run preview or an error result.
func FuzzToolArguments(f *testing.F) {
	slugs := Slugs()
	for i, slug := range slugs {
		if b, err := os.ReadFile(filepath.Join("..", "examples", "arguments", slug+".json")); err == nil {
			f.Add(uint8(i), b)
		}
		if v, ok := vendorCases[slug]; ok {
			f.Add(uint8(i), []byte(v.args))
		}
	}
	for _, args := range []string{
		``,
		`null`,
		`[]`,
		`"a string"`,
		`42`,
		`{}`,
		`{"dry_run":"yes"}`,
		`{"dry_run":false,"name":"x"}`,
		`{"name":null,"Name":null}`,
		`{"name":"\ud800","Name":"\u0000"}`,
		"{\"name\":\"\xff\xfe\"}",
		`{"name":"x","name":"y"}`,
		`{"temperature":1e999}`,
		`{"temperature":-0,"skillIds":[1e20]}`,
		`{"id":"agent_0193A4F2C6D87B1E9F3A5C7D2E4B6A80","name":"n","system_prompt":"p"}`,
		`{"Instruction":"` + strings.Repeat("数", 9000) + `"}`,
		`{"uiMetadata":[],"configs":"x"}`,
		`{"DataJson":{"personal":{"DataSourceType":"remote_data_center","DmsInstanceId":"1"}}}`,
		`{"ScheduleTaskConfig":{"CronExpression":"* * * * * * * *"}}`,
		`{"binary":"Claude Code CLI","name":"n","model":"m"}`,
		`{"tools":[{"name":""}],"agent_model":"llm-only"}`,
		`{"capabilities":[{"ref":"","config":null}]}`,
		strings.Repeat(`{"a":`, 2000) + `1` + strings.Repeat(`}`, 2000),
		strings.Repeat(`[`, 10001),
	} {
		for i := range slugs {
			f.Add(uint8(i), []byte(args))
		}
	}

	var sent atomic.Int32
	c := providers.NewClient("agentmcp/fuzz")
	c.HTTP.Transport = refuseTransport{&sent}
	c.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	rec := &journaltest.Recorder{}
	env := providers.MapEnv(nil)
	ts, err := BuildTools(slugs, env, tools.Deps{Client: c, Env: env, Timeout: 5 * time.Second, Logger: zerolog.Nop(), Journal: rec})
	if err != nil {
		f.Fatal(err)
	}
	if len(ts) != len(slugs) {
		f.Fatalf("BuildTools built %d tools for %d slugs", len(ts), len(slugs))
	}

	f.Fuzz(func(t *testing.T, slugIndex uint8, args []byte) {
		tool := ts[int(slugIndex)%len(ts)]
		req := dryRunRequest(tool.Slug, args)
		res, err := tool.Handler(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: handler returned a Go error: %v", tool.Slug, err)
		}
		if res == nil {
			t.Fatalf("%s: handler returned no result", tool.Slug)
		}
		if n := sent.Load(); n != 0 {
			t.Fatalf("%s: %d requests sent during a dry run", tool.Slug, n)
		}
		var text []string
		for _, c := range res.Content {
			if tc, ok := c.(mcp.TextContent); ok {
				text = append(text, tc.Text)
			}
		}
		all := strings.Join(text, "\n")
		if strings.Contains(all, "internal error") {
			t.Fatalf("%s: the handler failed internally (a recovered panic?):\n%s", tool.Slug, all)
		}
		for _, e := range rec.Take() {
			if e.Outcome != journal.OutcomePreview || !e.DryRun {
				t.Fatalf("%s: journal entry of a dry run: %+v", tool.Slug, e)
			}
		}
		if res.IsError {
			return
		}
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		var preview tools.DryRun
		if err := json.Unmarshal(b, &preview); err != nil {
			t.Fatalf("%s: a result that is neither an error nor a preview: %v: %s", tool.Slug, err, b)
		}
		if !preview.DryRun || preview.Provider != tool.Slug || preview.Request.Method == "" || preview.Request.URL == "" {
			t.Fatalf("%s: not a dry-run preview: %s", tool.Slug, b)
		}
		if len(preview.MissingCredentials) == 0 {
			t.Fatalf("%s: no credentials are set, yet the preview names none missing: %s", tool.Slug, b)
		}
		if !strings.HasPrefix(all, "Dry run: nothing was sent.") {
			t.Fatalf("%s: preview summary: %s", tool.Slug, all)
		}
	})
}

// dryRunRequest makes the tools/call request of args as the wire would hand
// it over, with dry_run forced on when args is a JSON object. Arguments that
// are not JSON are passed as a raw string.
func dryRunRequest(slug string, args []byte) mcp.CallToolRequest {
	var req mcp.CallToolRequest
	req.Params.Name = tools.Prefix + slug
	var fields map[string]json.RawMessage
	if json.Unmarshal(args, &fields) == nil {
		// null is no arguments, as the tool reads it: a dry run then too.
		if fields == nil {
			fields = map[string]json.RawMessage{}
		}
		fields["dry_run"] = json.RawMessage(`true`)
		raw, err := json.Marshal(fields)
		if err == nil {
			var decoded map[string]any
			_ = json.Unmarshal(raw, &decoded)
			req.Params.RawArguments = raw
			req.Params.Arguments = decoded
			return req
		}
	}
	var decoded any
	if json.Unmarshal(args, &decoded) == nil {
		req.Params.RawArguments = append(json.RawMessage(nil), args...)
		req.Params.Arguments = decoded
		return req
	}
	req.Params.Arguments = string(args)
	return req
}
