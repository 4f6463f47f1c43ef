package alibabadms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// callTool calls create_agent_alibaba_dms, keyed, with args.
func callTool(t *testing.T, args map[string]any) (*mcp.CallToolResult, error) {
	t.Helper()
	return callToolWith(t, map[string]string{EnvAccessKeyID: canaryID, EnvAccessKeySecret: canarySecret}, args)
}

// callToolWith calls create_agent_alibaba_dms, served with env, with args.
func callToolWith(t *testing.T, env map[string]string, args map[string]any) (*mcp.CallToolResult, error) {
	t.Helper()
	return callToolWithHeader(t, env, nil, args)
}

// callToolWithHeader is callToolWith for a call over HTTP carrying header.
func callToolWithHeader(t *testing.T, env map[string]string, header http.Header, args map[string]any) (*mcp.CallToolResult, error) {
	t.Helper()
	tool, err := tools.New[Request](mustNew(t, env), tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: providers.MapEnv(env)})
	if err != nil {
		t.Fatal(err)
	}
	var req mcp.CallToolRequest
	req.Params.Name = tool.Tool.Name
	req.Params.Arguments = args
	req.Header = header
	return tool.Handler(context.Background(), req)
}

// The dry run's first text is its one-line summary; the request itself is in
// the second text and in structuredContent. Alibaba's URL carries every
// parameter, so a summary that repeats it doubles a preview of up to 256 KiB.
func TestDryRunSummaryStaysShort(t *testing.T) {
	res, err := callTool(t, map[string]any{"dry_run": true, "Instruction": strings.Repeat("数", 10000), "Knowledge": strings.Repeat("据", 10000)})
	if err != nil || res.IsError {
		t.Fatalf("dry run failed: %v", err)
	}
	summary := res.Content[0].(mcp.TextContent).Text
	if len(summary) > 1000 {
		t.Errorf("summary is %d bytes: %s…", len(summary), summary[:200])
	}
}

// The document's parameter table lists AccessType, McpServerId, the Skip*
// flags and CronExpression as top-level rows. A model that sends them there
// is told which object each belongs in, not only "unknown argument".
func TestFlattenedParametersSayWhereTheyBelong(t *testing.T) {
	res, err := callTool(t, map[string]any{"dry_run": true, "Name": "a", "AccessType": "mcp", "McpServerId": "x", "SkipPlan": true, "CronExpression": "0 0 8 ? * MON-FRI"})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	for _, want := range []string{"/AccessType: belongs in KnowledgeConfigList", "/McpServerId: belongs in KnowledgeConfigList",
		"/SkipPlan: belongs in ExecutionConfig", "/CronExpression: belongs in ScheduleTaskConfig"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
}

// DataJson given as JSON text, the document's type for it, is refused with
// the object to give instead; RelatedSessionId at the top level is told to
// be the scheduled task's, which is the one this tool sends.
func TestDataJSONTextAndRelatedSessionIDSayWhatToGive(t *testing.T) {
	res, err := callTool(t, map[string]any{"dry_run": true, "Name": "a", "RelatedSessionId": "s1",
		"DataJson": `{"tableFlag":true,"personal":{"DataSourceType":"database","DbName":"sales","DmsInstanceId":9007199254740993}}`})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	for _, want := range []string{
		`/DataJson: give the object itself, not JSON text (the tool writes the text the API takes): "DataJson": {"personal":{"DataSourceType":"database","DbName":"sales","DmsInstanceId":9007199254740993},"tableFlag":true}`,
		"/RelatedSessionId: this tool sends the document's RelatedSessionId, the session a scheduled task refers to, which belongs in ScheduleTaskConfig",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "got string, want object") {
		t.Errorf("the schema's word stands beside the advice:\n%s", text)
	}
}

// Both keys unset: the advice names the <VAR>_FILE of each, as either may be
// kept in a file.
func TestMissingKeysNameEachKeyFile(t *testing.T) {
	res, err := callToolWith(t, nil, map[string]any{"Name": "a"})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	for _, want := range []string{EnvAccessKeyID + "_FILE", EnvAccessKeySecret + "_FILE", "Nothing was sent"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q: %s", want, text)
		}
	}
}

// A refusal without a code of its own names the keys that were sent, not
// the STS token a caller without one never set.
func TestRefusalNamesTheKeysSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"RequestId":"R1","Message":"denied"}`))
	}))
	defer srv.Close()
	res, err := callToolWith(t, map[string]string{EnvAccessKeyID: canaryID, EnvAccessKeySecret: canarySecret, EnvEndpoint: srv.URL}, map[string]any{"Name": "a"})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	if want := "Check that " + EnvAccessKeyID + " and " + EnvAccessKeySecret + " are valid"; !strings.Contains(text, want) || strings.Contains(text, EnvSecurityToken) {
		t.Errorf("want %q and no %s: %s", want, EnvSecurityToken, text)
	}
}

// One key in an empty <VAR>_FILE, the other unset: the file is written
// without a restart, the other key needs one. Each is told its own way.
func TestMissingKeysOneInAFile(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := callToolWith(t, map[string]string{EnvAccessKeySecret + "_FILE": empty}, map[string]any{"Name": "a"})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	for _, want := range []string{"the file " + EnvAccessKeySecret + "_FILE names holds no key: write the key into it",
		"set " + EnvAccessKeyID + " (or " + EnvAccessKeyID + "_FILE) in the server's environment and restart it"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q: %s", want, text)
		}
	}
}

// Alibaba refuses keys with a 400 or 404 and a code: the keys read from
// <VAR>_FILE are named, as on a 401, since the advice names the variables.
func TestRefusedKeysFromFilesAreNamed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"RequestId":"R1","Code":"SignatureDoesNotMatch","Message":"denied"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	env := map[string]string{EnvEndpoint: srv.URL}
	for name, value := range map[string]string{EnvAccessKeyID: canaryID, EnvAccessKeySecret: canarySecret} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		env[name+"_FILE"] = file
	}
	res, err := callToolWith(t, env, map[string]any{"Name": "a"})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	if want := "This call's keys: the key in the file " + EnvAccessKeyID + "_FILE names and the key in the file " + EnvAccessKeySecret + "_FILE names"; !strings.Contains(text, want) {
		t.Errorf("want %q: %s", want, text)
	}
}

// A key header refused by a server without --header-credentials that has
// half of its own pair: the advice names the half it lacks.
func TestKeyHeaderRefusedWithHalfAPair(t *testing.T) {
	res, err := callToolWithHeader(t, map[string]string{EnvAccessKeyID: canaryID}, http.Header{"X-Alibaba-Cloud-Access-Key-Secret": {canarySecret}}, map[string]any{"Name": "a"})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	if want := "its own keys lack " + EnvAccessKeySecret; !strings.Contains(text, want) || strings.Contains(text, "no Alibaba Cloud DMS key of its own") {
		t.Errorf("want %q: %s", want, text)
	}
}

// A row sent at the top level is checked as the object it belongs in would
// check it, in the same answer: moved as it is, a Unix cron or a Query of
// the wrong type would cost another call.
func TestFlattenedParametersAreCheckedWhereTheyAre(t *testing.T) {
	res, err := callTool(t, map[string]any{"dry_run": true, "Name": "a", "CronExpression": "30 8 * * 1-5", "Query": 5, "SkipPlan": "yes"})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	text := res.Content[0].(mcp.TextContent).Text
	for _, want := range []string{
		"/CronExpression: belongs in ScheduleTaskConfig",
		"and its value: not a Quartz cron expression: want 6 or 7 space-separated fields",
		"prepend a seconds field (0), put ? in day-of-month or day-of-week, and number days 1=SUN..7=SAT (Mon-Fri is 2-6 or MON-FRI)",
		"/Query: belongs in ScheduleTaskConfig",
		"and its value: got number, want string",
		"/SkipPlan: belongs in ExecutionConfig",
		"and its value: got string, want boolean",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	// A value that would pass where it belongs gets the advice alone.
	res, err = callTool(t, map[string]any{"dry_run": true, "CronExpression": "0 0 8 ? * MON-FRI", "Query": "q"})
	if err != nil || !res.IsError {
		t.Fatalf("not refused: %v", err)
	}
	if text := res.Content[0].(mcp.TextContent).Text; strings.Contains(text, "its value") {
		t.Errorf("a valid value is complained of:\n%s", text)
	}
}

// Examples read the same in Quartz and Unix cron only with day names: the
// Unix weekdays 1-5 are Sunday to Thursday in Quartz.
func TestExampleCronsNameTheirDays(t *testing.T) {
	file, err := os.ReadFile(filepath.Join("..", "..", "examples", "arguments", "alibaba_dms.json"))
	if err != nil {
		t.Fatal(err)
	}
	var args struct{ ScheduleTaskConfig ScheduleTaskConfig }
	if err := json.Unmarshal(file, &args); err != nil {
		t.Fatal(err)
	}
	var inPrecheck struct{ ScheduleTaskConfig ScheduleTaskConfig }
	if err := json.Unmarshal([]byte("{"+scheduleExample+"}"), &inPrecheck); err != nil {
		t.Fatal(err)
	}
	for where, expr := range map[string]string{"examples/arguments/alibaba_dms.json": args.ScheduleTaskConfig.CronExpression, "scheduleExample": inPrecheck.ScheduleTaskConfig.CronExpression} {
		if err := validateCron(expr); err != nil {
			t.Errorf("%s: %q: %v", where, expr, err)
			continue
		}
		if dow := strings.Fields(expr)[5]; dow != "?" && dow != "*" && strings.ContainsAny(dow, "0123456789") {
			t.Errorf("%s: %q numbers its days (%s): name them (MON-FRI)", where, expr, dow)
		}
	}
}
