package alibabadms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/journal/journaltest"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/providertest"
	"github.com/agentmcp/agentmcp/schemas"
	"github.com/agentmcp/agentmcp/tools"
)

// Canary credentials: none may show up in previews, errors or test output.
const (
	canaryID     = "LTAIcanaryId7c1e0b9a"
	canarySecret = "canary-secret-5d3f8e2a"
	canaryToken  = "canary-sts-token-91b4c6"
)

func canaryCreds(withToken bool) providers.Credentials {
	kv := map[string]string{"access_key_id": canaryID, "access_key_secret": canarySecret}
	if withToken {
		kv["security_token"] = canaryToken
	}
	return providers.NewCredentials(providers.SourceEnv, kv)
}

func hideCanaries(s string) string {
	return strings.NewReplacer(canarySecret, "<secret>", canaryToken, "<token>", canaryID, "<id>").Replace(s)
}

func mustNew(t *testing.T, env map[string]string) *Provider {
	t.Helper()
	p, err := New(providers.MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeStrict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s is not JSON: %v: %s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s differs\n got: %s\nwant: %s", what, got, want)
	}
}

func TestNewSettings(t *testing.T) {
	for _, tc := range []struct {
		env      map[string]string
		endpoint string
		host     string
		err      string
	}{
		{nil, "https://dms.cn-hangzhou.aliyuncs.com", "dms.cn-hangzhou.aliyuncs.com", ""},
		{map[string]string{EnvRegion: "ap-southeast-1"}, "https://dms.ap-southeast-1.aliyuncs.com", "dms.ap-southeast-1.aliyuncs.com", ""},
		{map[string]string{EnvRegion: "cn-shanghai-finance-1"}, "https://dms.cn-shanghai-finance-1.aliyuncs.com", "dms.cn-shanghai-finance-1.aliyuncs.com", ""},
		{map[string]string{EnvEndpoint: "http://127.0.0.1:8443/"}, "http://127.0.0.1:8443", "127.0.0.1:8443", ""},
		{map[string]string{EnvRegion: "us-east-1", EnvEndpoint: "https://dms-vpc.us-east-1.aliyuncs.com"}, "https://dms-vpc.us-east-1.aliyuncs.com", "dms-vpc.us-east-1.aliyuncs.com", ""},
		{map[string]string{EnvRegion: "Hangzhou"}, "", "", "does not look like a region id"},
		{map[string]string{EnvRegion: "cn-hangzhou.evil.com/x"}, "", "", "does not look like a region id"},
		{map[string]string{EnvRegion: "cn"}, "", "", "does not look like a region id"},
		{map[string]string{EnvEndpoint: "https://dms.cn-hangzhou.aliyuncs.com/api"}, "", "", "without a path"},
		{map[string]string{EnvEndpoint: "dms.cn-hangzhou.aliyuncs.com"}, "", "", "absolute http(s) URL"},
		{map[string]string{EnvEndpoint: "https://dms.cn-hangzhou.aliyuncs.com/?x=1"}, "", "", "query"},
	} {
		p, err := New(providers.MapEnv(tc.env))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err = %v, want %q", tc.env, err, tc.err)
			}
		case err != nil:
			t.Errorf("%v: %v", tc.env, err)
		case p.endpoint != tc.endpoint || p.host != tc.host:
			t.Errorf("%v: endpoint %q host %q, want %q %q", tc.env, p.endpoint, p.host, tc.endpoint, tc.host)
		}
	}
}

func TestDescribe(t *testing.T) {
	d := mustNew(t, map[string]string{EnvRegion: "cn-beijing"}).Describe()
	if d.Slug != "alibaba_dms" || d.Name != "Alibaba Cloud DMS" {
		t.Errorf("slug/name = %q/%q", d.Slug, d.Name)
	}
	want := []providers.CredentialSpec{
		{Key: "access_key_id", Env: "ALIBABA_CLOUD_ACCESS_KEY_ID", Header: "X-Alibaba-Cloud-Access-Key-Id", Required: true},
		{Key: "access_key_secret", Env: "ALIBABA_CLOUD_ACCESS_KEY_SECRET", Header: "X-Alibaba-Cloud-Access-Key-Secret", Required: true},
		{Key: "security_token", Env: "ALIBABA_CLOUD_SECURITY_TOKEN", Header: "X-Alibaba-Cloud-Security-Token"},
	}
	if !reflect.DeepEqual(d.Credentials, want) {
		t.Errorf("credentials = %+v", d.Credentials)
	}
	if !strings.Contains(d.VerifyHint, "ListCustomAgent") || !strings.Contains(d.VerifyHint, "https://dms.cn-beijing.aliyuncs.com/") ||
		!strings.Contains(d.VerifyHint, "SearchKey") {
		t.Errorf("VerifyHint = %s", d.VerifyHint)
	}
	if !strings.Contains(d.Description, "CreateCustomAgent") || !strings.Contains(d.Description, "No field is required") {
		t.Errorf("Description = %s", d.Description)
	}
	if p := mustNew(t, nil); p.Idempotent(&Request{Name: "x"}) {
		t.Error("CreateCustomAgent has no ClientToken: must not be idempotent")
	}
}

func TestSchema(t *testing.T) {
	raw, err := tools.InputSchema[Request]()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("served input schema: %d bytes", len(raw))
	if v := schemas.Lint(raw); len(v) > 0 {
		t.Errorf("schema not portable: %v", v)
	}
	if len(raw) > 4500 {
		t.Errorf("served schema is %d bytes, budget 4500", len(raw))
	}
	type node struct {
		Type       string          `json:"type"`
		Required   []string        `json:"required"`
		Enum       []string        `json:"enum"`
		MaxLength  *int            `json:"maxLength"`
		Properties map[string]node `json:"properties"`
		Items      *node           `json:"items"`
	}
	var s node
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Required) != 0 {
		t.Errorf("the document marks no parameter required, schema requires %v", s.Required)
	}
	var names []string
	for k := range s.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	wantNames := []string{"DMSUnit", "DataJson", "Description", "ExecutionConfig", "Instruction", "Knowledge", "KnowledgeConfigList",
		"Name", "ScheduleTaskConfig", "TextReportConfig", "WebReportConfig", "WorkspaceId", "dry_run"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("top-level parameters = %v, want %v", names, wantNames)
	}
	for _, f := range []string{"Instruction", "Knowledge"} {
		if m := s.Properties[f].MaxLength; m == nil || *m != 10000 {
			t.Errorf("%s maxLength = %v, want 10000", f, m)
		}
	}
	dj := s.Properties["DataJson"]
	if dj.Type != "object" || !reflect.DeepEqual(dj.Required, []string{"personal"}) ||
		!reflect.DeepEqual(dj.Properties["scope"].Enum, []string{"personal"}) {
		t.Errorf("DataJson schema = %+v", dj)
	}
	ps := dj.Properties["personal"]
	if !reflect.DeepEqual(ps.Required, []string{"DataSourceType"}) ||
		!reflect.DeepEqual(ps.Properties["DataSourceType"].Enum, []string{"remote_data_center", "database"}) {
		t.Errorf("personal schema = %+v", ps)
	}
	for _, f := range []string{"FileId", "Database", "Tables", "TableIds", "RegionId", "DmsInstanceId", "DmsDatabaseId", "DbName", "Engine"} {
		if _, ok := ps.Properties[f]; !ok {
			t.Errorf("DataJson.personal.%s missing", f)
		}
	}
	kc := s.Properties["KnowledgeConfigList"]
	if kc.Type != "array" || kc.Items == nil || !reflect.DeepEqual(kc.Items.Properties["AccessType"].Enum, []string{"mcp"}) ||
		!reflect.DeepEqual(kc.Items.Required, []string{"McpServerId"}) {
		t.Errorf("KnowledgeConfigList schema = %+v", kc)
	}
	for _, f := range []string{"SkipPlan", "SkipSqlConfirm", "SkipWebReportConfirm", "SkipAskHuman"} {
		if s.Properties["ExecutionConfig"].Properties[f].Type != "boolean" {
			t.Errorf("ExecutionConfig.%s is not a boolean", f)
		}
	}
	for _, f := range []string{"RelatedSessionId", "CronExpression", "Query"} {
		if s.Properties["ScheduleTaskConfig"].Properties[f].Type != "string" {
			t.Errorf("ScheduleTaskConfig.%s is not a string", f)
		}
	}
}

// TestFixtures: the document's DataJson examples and a request made of the
// document's example values decode strictly and pass Check; its response
// example parses.
func TestFixtures(t *testing.T) {
	p := mustNew(t, nil)
	for _, f := range []string{"testdata/datajson_file.json", "testdata/datajson_database.json"} {
		var d DataJSON
		decodeStrict(t, mustRead(t, f), &d)
		if errs := p.Check(&Request{DataJSON: &d}); len(errs) > 0 {
			t.Errorf("%s: Check: %v", f, errs)
		}
		// The wire form is a JSON string whose text is the same document.
		wire, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var text string
		if err := json.Unmarshal(wire, &text); err != nil {
			t.Fatalf("%s: DataJson wire form is not a JSON string: %s", f, wire)
		}
		jsonEqual(t, f+" wire text", []byte(text), mustRead(t, f))
	}

	var r Request
	decodeStrict(t, mustRead(t, "testdata/request.json"), &r)
	if errs := p.Check(&r); len(errs) > 0 {
		t.Errorf("request.json: Check: %v", errs)
	}

	created, err := p.Parse(&providers.Incoming{Status: 200, Header: http.Header{}, Body: mustRead(t, "testdata/response_success.json")})
	if err != nil {
		t.Fatal(err)
	}
	if created.AgentID != "ca-4y3ca4khkcu**********ysf" || created.RequestID != "67E910F2-4B62-5B0C-ACA3-7547695C****" ||
		created.Status != "NEW" || created.Agent["Name"] != "my-agent" {
		t.Errorf("created = %+v", created)
	}
}

// TestWireForm: the request's JSON is one key per query parameter, DataJson a
// string, nested objects as objects, false kept.
func TestWireForm(t *testing.T) {
	yes, no := true, false
	r := Request{
		Name:            "a",
		DataJSON:        &DataJSON{TableFlag: &no, Personal: DataSource{DataSourceType: SourceDatabase, DbName: "d"}},
		ExecutionConfig: &ExecutionConfig{SkipPlan: &yes, SkipSQLConfirm: &no},
	}
	b, err := providers.JSONBody(&r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Name":"a","DataJson":"{\"tableFlag\":false,\"scope\":\"personal\",\"personal\":{\"DataSourceType\":\"database\",\"DbName\":\"d\"}}","ExecutionConfig":{"SkipPlan":true,"SkipSqlConfirm":false}}`
	if string(b) != want {
		t.Errorf("wire JSON\n got %s\nwant %s", b, want)
	}
	params, err := r.params()
	if err != nil {
		t.Fatal(err)
	}
	wantParams := map[string]string{
		"Name":            "a",
		"DataJson":        `{"tableFlag":false,"scope":"personal","personal":{"DataSourceType":"database","DbName":"d"}}`,
		"ExecutionConfig": `{"SkipPlan":true,"SkipSqlConfirm":false}`,
	}
	if !reflect.DeepEqual(params, wantParams) {
		t.Errorf("params = %v", params)
	}
	// No HTML escaping: the text arrives as written.
	r2 := Request{Instruction: "a<b & c>d", ScheduleTaskConfig: &ScheduleTaskConfig{Query: "x<y&z"}}
	params, _ = r2.params()
	if params["Instruction"] != "a<b & c>d" || params["ScheduleTaskConfig"] != `{"Query":"x<y&z"}` {
		t.Errorf("params = %v", params)
	}
	// An empty request sends no parameters.
	out, err := mustNew(t, nil).Build(&Request{}, canaryCreds(false), providers.Attempt{Number: 1, Time: time.Now(), Nonce: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if out.URL != "https://dms.cn-hangzhou.aliyuncs.com/" || len(out.Body) != 0 {
		t.Errorf("empty request: %s %q", out.URL, out.Body)
	}
}

func TestCheck(t *testing.T) {
	cjk := func(n int) string { return strings.Repeat("数", n) }
	cases := []struct {
		name string
		req  string
		want []string // one substring per expected problem; none = valid
	}{
		{"empty is valid", `{}`, nil},
		{"fixture", string(mustRead(t, "testdata/request.json")), nil},
		{"file source", `{"DataJson":{"personal":{"DataSourceType":"remote_data_center","FileId":"f-1","Database":"a.csv","Tables":["a"],"TableIds":["t1"],"RegionId":"cn-hangzhou"}}}`, nil},
		{"database source", `{"DataJson":{"tableFlag":false,"personal":{"DataSourceType":"database","DmsInstanceId":"1","DmsDatabaseId":"2","DbName":"d","Engine":"mysql","FileId":"rm-1"}}}`, nil},
		{"file source with database fields", `{"DataJson":{"personal":{"DataSourceType":"remote_data_center","FileId":"f-1","DmsInstanceId":"1","Engine":"mysql"}}}`,
			[]string{"/DataJson/personal/DmsInstanceId: belongs to DataSourceType \"database\" only", "/DataJson/personal/Engine: belongs to DataSourceType \"database\" only"}},
		{"file source with DbName and DmsDatabaseId", `{"DataJson":{"personal":{"DataSourceType":"remote_data_center","DbName":"x","DmsDatabaseId":"9"}}}`,
			[]string{"/DataJson/personal/DbName:", "/DataJson/personal/DmsDatabaseId:"}},
		{"instruction 2000 CJK characters", `{"Instruction":"` + cjk(2000) + `"}`, nil},
		{"instruction 10000 characters", `{"Instruction":"` + strings.Repeat("a", 10000) + `"}`, nil},
		{"instruction 10000 CJK characters", `{"Instruction":"` + cjk(10000) + `"}`, nil},
		{"both text fields at 10000 CJK characters", `{"Instruction":"` + cjk(10000) + `","Knowledge":"` + cjk(10000) + `"}`, nil},
		{"instruction 10001 characters", `{"Instruction":"` + strings.Repeat("a", 10001) + `"}`, []string{"/Instruction: at most 10000 characters, got 10001"}},
		{"knowledge 10001 CJK characters", `{"Knowledge":"` + cjk(10001) + `"}`, []string{"/Knowledge: at most 10000 characters, got 10001"}},
		{"cron valid", `{"ScheduleTaskConfig":{"CronExpression":"0 0 0 ? * 1-7","Query":"q"}}`, nil},
		{"cron 5 fields", `{"ScheduleTaskConfig":{"CronExpression":"0 9 * * 1"}}`, []string{"/ScheduleTaskConfig/CronExpression: not a Quartz cron expression: want 6 or 7"}},
		{"cron no question mark", `{"ScheduleTaskConfig":{"CronExpression":"0 0 9 * * *"}}`, []string{"/ScheduleTaskConfig/CronExpression: not a Quartz cron expression: put ? in exactly one"}},
		{"cron out of range", `{"ScheduleTaskConfig":{"CronExpression":"0 0 25 ? * *"}}`, []string{"hours field \"25\""}},
		{"knowledge config without access type", `{"KnowledgeConfigList":[{"McpServerId":"m-1"}]}`, nil},
		{"execution config all false", `{"ExecutionConfig":{"SkipPlan":false,"SkipSqlConfirm":false,"SkipWebReportConfirm":false,"SkipAskHuman":false}}`, nil},
		{"latin text at both maxima", `{"Instruction":"` + strings.Repeat("word ", 2000) + `","Knowledge":"` + strings.Repeat("Know. ", 1666) + `"}`, nil},
		{"URL too large", `{"Instruction":"` + cjk(10000) + `","Description":"` + cjk(10000) + `","WebReportConfig":"` + cjk(10000) + `"}`, []string{"request too large"}},
	}
	p := mustNew(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Request
			decodeStrict(t, []byte(c.req), &r)
			errs := p.Check(&r)
			if len(errs) != len(c.want) {
				t.Fatalf("Check = %v, want %d problems", shorten(errs.Error()), len(c.want))
			}
			for _, w := range c.want {
				if !strings.Contains(errs.Error(), w) {
					t.Errorf("Check = %v, want %q", shorten(errs.Error()), w)
				}
			}
		})
	}
}

func shorten(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// TestURLSize measures the URL for the schema's worst case, which must pass,
// and checks the limit on both sides of it.
func TestURLSize(t *testing.T) {
	p := mustNew(t, nil)
	var worst Request
	decodeStrict(t, mustRead(t, "testdata/request.json"), &worst)
	worst.Instruction = strings.Repeat("数", maxTextChars)
	worst.Knowledge = strings.Repeat("据", maxTextChars)
	size := p.urlLen(mustParams(t, &worst))
	t.Logf("worst case (two 10,000-character CJK fields + the document's example values for the rest): URL of %d bytes; limit %d", size, maxURLBytes)
	if size < 2*maxTextChars*9 || size > maxURLBytes {
		t.Errorf("worst-case URL = %d bytes, limit %d", size, maxURLBytes)
	}
	if errs := p.Check(&worst); len(errs) != 0 {
		t.Errorf("worst case refused: %v", shorten(errs.Error()))
	}
	out, err := p.Build(&worst, canaryCreds(false), providers.Attempt{Number: 1, Time: time.Now(), Nonce: "n"})
	if err != nil || len(out.URL) != size {
		t.Fatalf("worst case: Build err = %v, URL of %d bytes, measured %d", err, len(out.URL), size)
	}

	// The measure is the URL Build sends, and the limit is inclusive. The
	// unbounded Description fills what the bounded fields leave.
	r := worst
	r.Description = ""
	room := maxURLBytes - p.urlLen(mustParams(t, &r)) - len("&Description=")
	r.Description = strings.Repeat("述", room/9) + strings.Repeat("a", room%9)
	out, err = p.Build(&r, canaryCreds(false), providers.Attempt{Number: 1, Time: time.Now(), Nonce: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.URL) != maxURLBytes || p.urlLen(mustParams(t, &r)) != len(out.URL) {
		t.Errorf("URL at the limit is %d bytes, measured %d", len(out.URL), p.urlLen(mustParams(t, &r)))
	}
	if errs := p.Check(&r); len(errs) != 0 {
		t.Errorf("at the limit: %v", shorten(errs.Error()))
	}
	r.Description += "a"
	errs := p.Check(&r)
	if len(errs) != 1 || errs[0].Field != "" ||
		!strings.Contains(errs[0].Message, fmt.Sprintf("would be %d bytes; the limit is %d", maxURLBytes+1, maxURLBytes)) ||
		!strings.Contains(errs[0].Message, "Description ") || !strings.Contains(errs[0].Message, "Instruction 90000") {
		t.Errorf("one byte over: %v", shorten(errs.Error()))
	}
	if _, err := p.Build(&r, canaryCreds(false), providers.Attempt{Number: 1, Time: time.Now(), Nonce: "n"}); err == nil ||
		!strings.Contains(err.Error(), "request too large") {
		t.Errorf("Build one byte over: err = %v", err)
	}
}

// TestWireWorstCase sends the schema's worst case (10,000 CJK characters in
// each text field) through a fake gateway that verifies the signature over
// the whole URL and reads both fields back intact.
func TestWireWorstCase(t *testing.T) {
	// CJK text takes 9 bytes a character encoded; characters outside the
	// Basic Multilingual Plane (CJK Extension B, emoji) take 12.
	for _, tc := range []struct {
		name       string
		a, b       string
		bytesPerCh int
	}{{"CJK", "数", "据", 9}, {"outside the BMP", "𠀀", "😀", 12}} {
		t.Run(tc.name, func(t *testing.T) { wireWorstCase(t, tc.a, tc.b, tc.bytesPerCh) })
	}
}

func wireWorstCase(t *testing.T, a, b string, bytesPerChar int) {
	var req Request
	decodeStrict(t, mustRead(t, "testdata/request.json"), &req)
	req.Instruction = strings.Repeat(a, maxTextChars)
	req.Knowledge = strings.Repeat(b, maxTextChars)
	var urlBytes int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		urlBytes = len("http://") + len(r.Host) + len(r.RequestURI)
		params := verifyV3(t, r, nil, canaryID, canarySecret)
		if params["Instruction"] != req.Instruction || params["Knowledge"] != req.Knowledge {
			t.Errorf("text fields arrived as %d and %d characters", len([]rune(params["Instruction"])), len([]rune(params["Knowledge"])))
		}
		_, _ = w.Write(mustRead(t, "testdata/response_success.json"))
	}))
	defer srv.Close()

	p := mustNew(t, map[string]string{EnvEndpoint: srv.URL})
	if errs := p.Check(&req); len(errs) > 0 {
		t.Fatalf("Check: %v", shorten(errs.Error()))
	}
	creds := canaryCreds(true)
	res, err := providers.NewClient("agentmcp/test").Do(context.Background(), providers.Call{
		Provider: name,
		Build:    func(at providers.Attempt) (*providers.Outgoing, error) { return p.Build(&req, creds, at) },
		Parse:    p.Parse,
	})
	if err != nil {
		t.Fatal(hideCanaries(err.Error()))
	}
	if res.Created.AgentID != "ca-4y3ca4khkcu**********ysf" {
		t.Errorf("created = %+v", res.Created)
	}
	if urlBytes < 2*maxTextChars*bytesPerChar || urlBytes > maxURLBytes {
		t.Errorf("URL of %d bytes reached the gateway", urlBytes)
	}
	t.Logf("URL of %d bytes, %d under the cap", urlBytes, maxURLBytes-urlBytes)
}

func mustParams(t *testing.T, r *Request) map[string]string {
	t.Helper()
	p, err := r.params()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// verifyV3 re-derives the ACS3-HMAC-SHA256 signature from what the server
// received and fails t on any mismatch; it returns the decoded parameters.
func verifyV3(t *testing.T, r *http.Request, body []byte, accessKeyID, secret string) map[string]string {
	t.Helper()
	params, problems := checkV3(r, body, accessKeyID, secret)
	for _, p := range problems {
		t.Error(hideCanaries(p))
	}
	return params
}

// checkV3 shares no code with the package's signer: it decodes the raw query
// as received, re-encodes it with net/url, takes Host and the x-acs-* headers
// as received, and follows the published algorithm.
func checkV3(r *http.Request, body []byte, accessKeyID, secret string) (map[string]string, []string) {
	var problems []string
	raw := r.URL.RawQuery
	if strings.Contains(raw, "+") {
		problems = append(problems, "raw query has a '+': spaces must be %20")
	}
	params := map[string]string{}
	if raw != "" {
		for _, kv := range strings.Split(raw, "&") {
			k, v, _ := strings.Cut(kv, "=")
			dk, err1 := url.PathUnescape(k)
			dv, err2 := url.PathUnescape(v)
			if err1 != nil || err2 != nil {
				return nil, append(problems, fmt.Sprintf("bad query pair %q", kv))
			}
			params[dk] = dv
		}
	}
	rfc3986 := func(s string) string {
		return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(s))
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var q []string
	for _, k := range keys {
		q = append(q, rfc3986(k)+"="+rfc3986(params[k]))
	}
	canonQuery := strings.Join(q, "&")
	if canonQuery != raw {
		problems = append(problems, fmt.Sprintf("raw query is not the canonical query:\n raw   %s\n canon %s", raw, canonQuery))
	}

	hdr := map[string]string{"host": r.Host}
	for name, vals := range r.Header {
		n := strings.ToLower(name)
		if strings.HasPrefix(n, "x-acs-") || n == "content-type" {
			hdr[n] = strings.TrimSpace(strings.Join(vals, ","))
		}
	}
	names := make([]string, 0, len(hdr))
	for n := range hdr {
		names = append(names, n)
	}
	sort.Strings(names)
	var canonHeaders strings.Builder
	for _, n := range names {
		canonHeaders.WriteString(n + ":" + hdr[n] + "\n")
	}
	signedHeaders := strings.Join(names, ";")

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if hdr["x-acs-content-sha256"] != payloadHash {
		problems = append(problems, fmt.Sprintf("x-acs-content-sha256 = %q, body hashes to %s", hdr["x-acs-content-sha256"], payloadHash))
	}
	canon := r.Method + "\n" + r.URL.Path + "\n" + canonQuery + "\n" + canonHeaders.String() + "\n" + signedHeaders + "\n" + payloadHash
	crSum := sha256.Sum256([]byte(canon))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("ACS3-HMAC-SHA256\n" + hex.EncodeToString(crSum[:])))
	want := "ACS3-HMAC-SHA256 Credential=" + accessKeyID + ",SignedHeaders=" + signedHeaders + ",Signature=" + hex.EncodeToString(mac.Sum(nil))
	if got := r.Header.Get("Authorization"); got != want {
		problems = append(problems, fmt.Sprintf("signature does not verify\n got  %s\n want %s", got, want))
	}
	return params, problems
}

// TestVerifierRejects shows the fake's verifier is not a rubber stamp: a
// request signed by Build verifies, and each tampering is caught.
func TestVerifierRejects(t *testing.T) {
	p := mustNew(t, nil)
	creds := canaryCreds(true)
	out, err := p.Build(&Request{Name: "a b*~", Instruction: "数据"}, creds, providers.Attempt{Number: 1, Time: time.Now(), Nonce: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	received := func() *http.Request {
		r := httptest.NewRequest(out.Method, out.URL, nil)
		for k, v := range out.Header {
			r.Header[k] = v
		}
		return r
	}
	if _, problems := checkV3(received(), nil, canaryID, canarySecret); len(problems) > 0 {
		t.Fatalf("untampered request: %v", hideCanaries(strings.Join(problems, "; ")))
	}
	for name, tamper := range map[string]func(r *http.Request) ([]byte, string){
		"wrong secret": func(r *http.Request) ([]byte, string) { return nil, "other-secret" },
		"changed date": func(r *http.Request) ([]byte, string) {
			r.Header.Set("x-acs-date", "2020-01-01T00:00:00Z")
			return nil, canarySecret
		},
		"changed token": func(r *http.Request) ([]byte, string) {
			r.Header.Set("x-acs-security-token", "x")
			return nil, canarySecret
		},
		"changed host": func(r *http.Request) ([]byte, string) {
			r.Host = "dms.cn-beijing.aliyuncs.com"
			return nil, canarySecret
		},
		"changed value": func(r *http.Request) ([]byte, string) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "Name=a", "Name=b", 1)
			return nil, canarySecret
		},
		"plus for space": func(r *http.Request) ([]byte, string) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "%20", "+", 1)
			return nil, canarySecret
		},
		"unsigned x-acs":  func(r *http.Request) ([]byte, string) { r.Header.Set("x-acs-extra", "1"); return nil, canarySecret },
		"body not hashed": func(r *http.Request) ([]byte, string) { return []byte("x"), canarySecret },
		"unsorted query": func(r *http.Request) ([]byte, string) {
			r.URL.RawQuery = "Name=a%20b%2A~&Instruction=%E6%95%B0%E6%8D%AE"
			return nil, canarySecret
		},
	} {
		r := received()
		body, secret := tamper(r)
		if _, problems := checkV3(r, body, canaryID, secret); len(problems) == 0 {
			t.Errorf("%s: verified", name)
		}
	}
}

// TestWireRequest sends the document's example request to a fake DMS that
// verifies the signature and checks every parameter and header.
func TestWireRequest(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	var seen int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen++
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/" || len(body) != 0 {
			t.Errorf("request = %s %s with %d body bytes", r.Method, r.URL.Path, len(body))
		}
		for k, v := range map[string]string{
			"x-acs-action":         "CreateCustomAgent",
			"x-acs-version":        "2025-04-14",
			"x-acs-date":           "2026-05-06T07:08:09Z",
			"x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			"x-acs-security-token": canaryToken,
			"Accept":               "application/json",
			"Content-Type":         "",
			"User-Agent":           "agentmcp/test",
		} {
			if got := r.Header.Get(k); got != v {
				t.Errorf("header %s = %q, want %q", k, hideCanaries(got), hideCanaries(v))
			}
		}
		if n := r.Header.Get("x-acs-signature-nonce"); len(n) != 32 {
			t.Errorf("nonce = %q, want 32 hex characters", n)
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "ACS3-HMAC-SHA256 Credential="+canaryID+",SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=") {
			t.Errorf("Authorization = %s", hideCanaries(r.Header.Get("Authorization")))
		}
		params := verifyV3(t, r, body, canaryID, canarySecret)

		// Every parameter, the nested ones compared as JSON documents.
		wantStrings := map[string]string{
			"WorkspaceId":      "56kv1pvl9uvt9**********bb",
			"Name":             "my-agent",
			"Description":      "Data analysis agent",
			"Instruction":      "Analyze key metrics across daily, weekly, and monthly dimensions.",
			"Knowledge":        "GMV = total order value, including paid and unpaid orders.",
			"TextReportConfig": "Do not use Arabic numerals in the text report; convert all numbers to Chinese numerals.",
			"WebReportConfig":  "Do not use Arabic numerals in the web report; convert all numbers to Chinese numerals.",
			"DMSUnit":          "cn-hangzhou",
		}
		wantJSON := map[string]string{
			"DataJson":            string(mustRead(t, "testdata/datajson_file.json")),
			"KnowledgeConfigList": `[{"AccessType":"mcp","McpServerId":"nhdpt9adf6ac**********ca"}]`,
			"ExecutionConfig":     `{"SkipPlan":true,"SkipSqlConfirm":true,"SkipWebReportConfirm":true,"SkipAskHuman":true}`,
			"ScheduleTaskConfig":  `{"RelatedSessionId":"4m24*****mg7j2v","CronExpression":"0 0 0 ? * 1-7","Query":"Analyze this dataset and produce a summary report."}`,
		}
		if len(params) != len(wantStrings)+len(wantJSON) {
			t.Errorf("got %d parameters, want %d: %v", len(params), len(wantStrings)+len(wantJSON), params)
		}
		for k, v := range wantStrings {
			if params[k] != v {
				t.Errorf("parameter %s = %q, want %q", k, params[k], v)
			}
		}
		for k, v := range wantJSON {
			jsonEqual(t, "parameter "+k, []byte(params[k]), []byte(v))
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		_, _ = w.Write(mustRead(t, "testdata/response_success.json"))
	}))
	defer srv.Close()

	p := mustNew(t, map[string]string{EnvEndpoint: srv.URL})
	var req Request
	decodeStrict(t, mustRead(t, "testdata/request.json"), &req)
	if errs := p.Check(&req); len(errs) > 0 {
		t.Fatalf("Check: %v", errs)
	}
	creds := canaryCreds(true)
	c := providers.NewClient("agentmcp/test")
	c.Now = func() time.Time { return now }
	res, err := c.Do(context.Background(), providers.Call{
		Provider: name,
		Build:    func(at providers.Attempt) (*providers.Outgoing, error) { return p.Build(&req, creds, at) },
		Parse:    p.Parse,
	})
	if err != nil {
		t.Fatal(hideCanaries(err.Error()))
	}
	if seen != 1 || res.Created.AgentID != "ca-4y3ca4khkcu**********ysf" || res.Created.Status != "NEW" ||
		res.Created.RequestID != "67E910F2-4B62-5B0C-ACA3-7547695C****" {
		t.Errorf("created = %+v after %d requests", res.Created, seen)
	}
}

// TestRetryResigns: a throttled first attempt (as a gateway error or in a
// 200 body) is retried after the wait the headers give, with a new date,
// nonce and signature, and both attempts verify.
func TestRetryResigns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		wait   time.Duration
	}{
		{"gateway Throttling.User", 400, http.Header{"X-Ratelimit-User-Api": {"Limit:10,Remain:0,TimeLeft:1500,Reset:1767715200"}},
			`{"RequestId":"R1","HostId":"dms.cn-hangzhou.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control."}`, 1500 * time.Millisecond},
		{"200 body Throttling.Api", 200, http.Header{"Retry-After": {"2"}},
			`{"RequestId":"R1","Success":false,"ErrorCode":"Throttling.Api","ErrorMessage":"Request was denied due to api flow control."}`, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			type seenReq struct{ date, nonce, auth string }
			var seen []seenReq
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				params := verifyV3(t, r, body, canaryID, canarySecret)
				if params["Name"] != "重试 agent" {
					t.Errorf("Name = %q", params["Name"])
				}
				mu.Lock()
				seen = append(seen, seenReq{r.Header.Get("x-acs-date"), r.Header.Get("x-acs-signature-nonce"), r.Header.Get("Authorization")})
				n := len(seen)
				mu.Unlock()
				if n == 1 {
					for k, v := range tc.header {
						w.Header()[k] = v
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, tc.body)
					return
				}
				_, _ = w.Write(mustRead(t, "testdata/response_success.json"))
			}))
			defer srv.Close()

			p := mustNew(t, map[string]string{EnvEndpoint: srv.URL})
			req := &Request{Name: "重试 agent"}
			creds := canaryCreds(false)
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			c := providers.NewClient("agentmcp/test")
			c.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
			var waits []time.Duration
			c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			res, err := c.Do(context.Background(), providers.Call{
				Provider: name,
				Build:    func(at providers.Attempt) (*providers.Outgoing, error) { return p.Build(req, creds, at) },
				Parse:    p.Parse,
			})
			if err != nil {
				t.Fatal(hideCanaries(err.Error()))
			}
			if res.Attempts != 2 || len(seen) != 2 || res.Created.AgentID != "ca-4y3ca4khkcu**********ysf" {
				t.Fatalf("attempts %d, requests %d, created %+v", res.Attempts, len(seen), res.Created)
			}
			if !reflect.DeepEqual(waits, []time.Duration{tc.wait}) {
				t.Errorf("waits = %v, want [%v]", waits, tc.wait)
			}
			a, b := seen[0], seen[1]
			if a.date == b.date || a.nonce == b.nonce || a.auth == b.auth {
				t.Errorf("retry not re-signed: %+v / %+v", a, b)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	p := mustNew(t, nil)
	cases := []struct {
		name   string
		status int
		hdr    http.Header
		body   string
		want   []string // substrings of the error text
		code   string
		reqID  string
		retry  providers.Retry
		after  time.Duration
	}{
		{"signature mismatch", 400, nil,
			`{"RequestId":"5E2B-1","HostId":"dms.cn-hangzhou.aliyuncs.com","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","Recommend":"https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Dms"}`,
			[]string{"HTTP 400 Bad Request), code SignatureDoesNotMatch: Specified signature is not matched with our calculation. (request id 5E2B-1)", "AccessKey secret is likely wrong", "Diagnosis: https://api.aliyun.com/troubleshoot"},
			"SignatureDoesNotMatch", "5E2B-1", providers.Final, 0},
		{"unknown access key id", 404, nil,
			`{"RequestId":"5E2B-2","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}`,
			[]string{"code InvalidAccessKeyId.NotFound: Specified access key is not found.", "AccessKey ID is wrong"},
			"InvalidAccessKeyId.NotFound", "5E2B-2", providers.Final, 0},
		{"incomplete signature (another wrong-secret answer)", 400, nil,
			`{"RequestId":"5E2B-S2","Code":"IncompleteSignature","Message":"The request signature does not conform to Aliyun standards."}`,
			[]string{"code IncompleteSignature: The request signature does not conform to Aliyun standards.", "AccessKey secret is likely wrong"},
			"IncompleteSignature", "5E2B-S2", providers.Final, 0},
		{"disabled access key", 400, nil,
			`{"RequestId":"5E2B-K2","Code":"InvalidAccessKeyId.Inactive","Message":"Specified access key is disabled."}`,
			[]string{"code InvalidAccessKeyId.Inactive: Specified access key is disabled.", "AccessKey ID is wrong, disabled or deleted"},
			"InvalidAccessKeyId.Inactive", "5E2B-K2", providers.Final, 0},
		{"expired STS token", 400, nil,
			`{"RequestId":"5E2B-3","Code":"InvalidSecurityToken.Expired","Message":"Specified SecurityToken is expired."}`,
			[]string{"STS security token is wrong or expired", "read on every call"}, "InvalidSecurityToken.Expired", "5E2B-3", providers.Final, 0},
		{"clock skew", 400, nil,
			`{"RequestId":"5E2B-4","Code":"InvalidTimeStamp.Expired","Message":"Specified time stamp or date value is expired."}`,
			[]string{"check this machine's clock"}, "InvalidTimeStamp.Expired", "5E2B-4", providers.Final, 0},
		{"XML gateway error", 403, http.Header{"Content-Type": {"text/xml;charset=utf-8"}},
			`<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>5E2B-5</RequestId><HostId>dms.cn-hangzhou.aliyuncs.com</HostId><Code>Forbidden.RAM</Code><Message>User not authorized to operate on the specified resource, or this API doesn't support RAM.</Message></Error>`,
			[]string{"HTTP 403 Forbidden), code Forbidden.RAM: User not authorized", "grant it dms:CreateCustomAgent"},
			"Forbidden.RAM", "5E2B-5", providers.Final, 0},
		{"missing action", 404, nil,
			`{"RequestId":"5E2B-6","Code":"InvalidAction.NotFound","Message":"Specified api is not found, please check your url and method."}`,
			[]string{"code InvalidAction.NotFound"}, "InvalidAction.NotFound", "5E2B-6", providers.Final, 0},
		{"gateway throttling, TimeLeft in both headers", 400,
			http.Header{"X-Ratelimit-User-Api": {"Limit:10,Remain:0,TimeLeft:800,Reset:1"}, "X-Ratelimit-User": {"Limit:100, Remain:0, TimeLeft:2500, Reset:1"}},
			`{"RequestId":"5E2B-7","Code":"Throttling.User","Message":"Request was denied due to user flow control."}`,
			[]string{"code Throttling.User"}, "Throttling.User", "5E2B-7", providers.NotProcessed, 2500 * time.Millisecond},
		{"gateway Throttling with Retry-After", 429, http.Header{"Retry-After": {"3"}},
			`{"RequestId":"5E2B-8","Code":"Throttling","Message":"Request was denied due to flow control."}`,
			[]string{"HTTP 429"}, "Throttling", "5E2B-8", providers.NotProcessed, 3 * time.Second},
		{"bare 429 with TimeLeft and a longer Retry-After", 429, http.Header{"X-Ratelimit-User": {"Limit:5,Remain:0,TimeLeft:700"}, "Retry-After": {"9"}},
			`Too Many Requests`, []string{"HTTP 429", "Too Many Requests"}, "", "", providers.NotProcessed, 9 * time.Second},
		{"bare 429 with TimeLeft longer than Retry-After", 429, http.Header{"X-Ratelimit-User": {"Limit:5,Remain:0,TimeLeft:3500"}, "Retry-After": {"1"}},
			`Too Many Requests`, []string{"HTTP 429", "Too Many Requests"}, "", "", providers.NotProcessed, 3500 * time.Millisecond},
		{"nonce reused: an earlier copy of this attempt got through", 400, nil,
			`{"RequestId":"5E2B-9","Code":"SignatureNonceUsed","Message":"Specified signature nonce was used already."}`,
			[]string{"SignatureNonceUsed"}, "SignatureNonceUsed", "5E2B-9", providers.MaybeProcessed, 0},
		{"business error in 200 body", 200, nil,
			`{"RequestId":"5E2B-10","Success":false,"ErrorCode":"InvalidParameter","ErrorMessage":"Specified parameter DataJson is not valid."}`,
			[]string{"Alibaba Cloud DMS rejected the request, code InvalidParameter: Specified parameter DataJson is not valid. (request id 5E2B-10)"},
			"InvalidParameter", "5E2B-10", providers.Final, 0},
		{"throttling in 200 body", 200, http.Header{"X-Ratelimit-User-Api": {"TimeLeft:1200"}},
			`{"RequestId":"5E2B-11","Success":false,"ErrorCode":"Throttling.Api","ErrorMessage":"Request was denied due to api flow control."}`,
			[]string{"code Throttling.Api"}, "Throttling.Api", "5E2B-11", providers.NotProcessed, 1200 * time.Millisecond},
		{"server error in 200 body: it may come after the agent was stored", 200, nil,
			`{"RequestId":"5E2B-14","Success":false,"ErrorCode":"InternalError","ErrorMessage":"The request processing has failed due to some unknown error."}`,
			[]string{"code InternalError"}, "InternalError", "5E2B-14", providers.MaybeProcessed, 0},
		{"unknown error in 200 body", 200, nil,
			`{"RequestId":"5E2B-22","Success":false,"ErrorCode":"UnknownError","ErrorMessage":"x"}`,
			[]string{"answered with an error", "code UnknownError"}, "UnknownError", "5E2B-22", providers.MaybeProcessed, 0},
		{"service unavailable in 200 body", 200, nil,
			`{"RequestId":"5E2B-23","Success":false,"ErrorCode":"ServiceUnavailable.Busy","ErrorMessage":"x"}`,
			[]string{"answered with an error", "code ServiceUnavailable.Busy"}, "ServiceUnavailable.Busy", "5E2B-23", providers.MaybeProcessed, 0},
		{"timeout in 200 body", 200, nil,
			`{"RequestId":"5E2B-24","Success":false,"ErrorCode":"Dms.RequestTimeout","ErrorMessage":"x"}`,
			[]string{"answered with an error", "code Dms.RequestTimeout"}, "Dms.RequestTimeout", "5E2B-24", providers.MaybeProcessed, 0},
		{"failure that names an agent keeps its id in sight", 200, nil,
			`{"RequestId":"5E2B-15","Success":false,"ErrorCode":"InvalidParameter","ErrorMessage":"create schedule task failed","Data":{"CustomAgentId":"ca-created-123","Status":"NEW"}}`,
			[]string{"code InvalidParameter", "still names agent ca-created-123 (Data.CustomAgentId)"}, "InvalidParameter", "5E2B-15", providers.MaybeProcessed, 0},
		{"gateway error that names an agent keeps its id in sight", 400, nil,
			`{"RequestId":"5E2B-20","Code":"InvalidParameter.ScheduleTaskConfig","Message":"schedule not saved","Data":{"CustomAgentId":"ca-kept-123"}}`,
			[]string{"HTTP 400", "still names agent ca-kept-123 (Data.CustomAgentId)"}, "InvalidParameter.ScheduleTaskConfig", "5E2B-20", providers.MaybeProcessed, 0},
		{"server error that names an agent keeps its id in sight", 500, nil,
			`{"RequestId":"5E2B-21","Code":"InternalError","Message":"x","Data":{"CustomAgentId":"ca-kept-124"}}`,
			[]string{"HTTP 500", "still names agent ca-kept-124"}, "InternalError", "5E2B-21", providers.MaybeProcessed, 0},
		{"business error with a Data that is not an object", 200, nil,
			`{"RequestId":"5E2B-16","Success":false,"ErrorCode":"InvalidParameter","ErrorMessage":"Specified parameter Name is not valid.","Data":""}`,
			[]string{"code InvalidParameter: Specified parameter Name is not valid."}, "InvalidParameter", "5E2B-16", providers.Final, 0},
		{"gateway throttling with a Data that is not an object", 400, http.Header{"X-Ratelimit-User": {"TimeLeft:1500"}},
			`{"RequestId":"5E2B-17","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Data":[]}`,
			[]string{"code Throttling.User"}, "Throttling.User", "5E2B-17", providers.NotProcessed, 1500 * time.Millisecond},
		{"ServiceUnavailable with Retry-After keeps its not processed", 503, http.Header{"Retry-After": {"2"}},
			`{"RequestId":"5E2B-18","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}`,
			[]string{"HTTP 503"}, "ServiceUnavailable", "5E2B-18", providers.NotProcessed, 2 * time.Second},
		{"success body followed by stray bytes", 200, nil,
			`{"RequestId":"5E2B-19","Success":false,"ErrorCode":"InvalidParameter","ErrorMessage":"x"} trailing`,
			[]string{"code InvalidParameter"}, "InvalidParameter", "5E2B-19", providers.Final, 0},
		{"server error", 500, nil,
			`{"RequestId":"5E2B-12","Code":"InternalError","Message":"The request processing has failed due to some unknown error."}`,
			[]string{"HTTP 500", "code InternalError"}, "InternalError", "5E2B-12", providers.MaybeProcessed, 0},
		{"HTML page", 502, nil, "<html><body><h1>502 Bad Gateway</h1>\n<p>Tengine</p></body></html>",
			[]string{"<html><body><h1>502 Bad Gateway</h1> <p>Tengine</p></body></html>"}, "", "", providers.MaybeProcessed, 0},
		{"414 from the front end", 414, http.Header{"X-Acs-Request-Id": {"5E2B-13"}}, "<html><head><title>414 Request-URI Too Large</title></head></html>",
			[]string{"HTTP 414", "414 Request-URI Too Large", "refused the URL as too long", "shorten Instruction, Knowledge"}, "", "5E2B-13", providers.Final, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := c.hdr
			if hdr == nil {
				hdr = http.Header{}
			}
			_, err := p.Parse(&providers.Incoming{Status: c.status, Header: hdr, Body: []byte(c.body)})
			ve, ok := providers.IsVendorError(err)
			if !ok {
				t.Fatalf("err %T %v is not a VendorError", err, err)
			}
			for _, w := range c.want {
				if !strings.Contains(ve.Error(), w) {
					t.Errorf("error %q lacks %q", ve.Error(), w)
				}
			}
			if ve.Code != c.code || ve.RequestID != c.reqID || ve.Retry != c.retry || ve.RetryAfter != c.after {
				t.Errorf("code %q reqID %q retry %v after %v; want %q %q %v %v", ve.Code, ve.RequestID, ve.Retry, ve.RetryAfter, c.code, c.reqID, c.retry, c.after)
			}
			if wantStatus := c.status; wantStatus == 200 {
				if ve.Status != 0 {
					t.Errorf("Status = %d, want 0 for an error in a 200 body", ve.Status)
				}
			} else if ve.Status != wantStatus {
				t.Errorf("Status = %d", ve.Status)
			}
		})
	}
	for _, body := range []string{`not json`, `{"RequestId":"x","Success":true,"Data":{}}`, `{"RequestId":"x","Success":true}`, `[]`} {
		_, err := p.Parse(&providers.Incoming{Status: 200, Header: http.Header{}, Body: []byte(body)})
		if _, isVendor := providers.IsVendorError(err); err == nil || isVendor {
			t.Errorf("2xx %s: err = %v, want a plain parse error", body, err)
		}
	}
}

// TestParseClipsRecommend: the gateway's Recommend is vendor text, bounded
// like its message, in JSON and in XML errors.
func TestParseClipsRecommend(t *testing.T) {
	p := mustNew(t, nil)
	long := "https://api.aliyun.com/troubleshoot?q=" + strings.Repeat("x", 100000)
	for _, body := range []string{
		`{"RequestId":"R","Code":"InvalidParameter","Message":"bad","Recommend":"` + long + `"}`,
		`<Error><RequestId>R</RequestId><Code>InvalidParameter</Code><Message>bad</Message><Recommend>` + long + `</Recommend></Error>`,
	} {
		created, err := p.Parse(&providers.Incoming{Status: 400, Header: http.Header{}, Body: []byte(body)})
		providertest.CheckParse(t, 400, created, err)
		if err == nil || !strings.Contains(err.Error(), "Diagnosis: https://api.aliyun.com/troubleshoot?q=xxx") {
			t.Errorf("the diagnosis is gone: %.300v", err)
		}
	}
	// So is an agent id a failure names, in a 200 body and in an error.
	id := "ca-" + strings.Repeat("x", 100000)
	for status, body := range map[int]string{
		200: `{"RequestId":"R","Success":false,"ErrorCode":"InternalError","ErrorMessage":"x","Data":{"CustomAgentId":"` + id + `"}}`,
		500: `{"RequestId":"R","Code":"InternalError","Message":"x","Data":{"CustomAgentId":"` + id + `"}}`,
	} {
		created, err := p.Parse(&providers.Incoming{Status: status, Header: http.Header{}, Body: []byte(body)})
		providertest.CheckParse(t, status, created, err)
	}
}

// The agent exists once Data.CustomAgentId is there: an odd JSON type in
// another field must not turn the create into an unknown outcome.
func TestParseKeepsTheIDDespiteOddTypes(t *testing.T) {
	p := mustNew(t, nil)
	for body, wantReqID := range map[string]string{
		`{"Success":true,"Code":200,"Data":{"CustomAgentId":"ca-1"}}`:                                   "",
		`{"RequestId":12345,"Success":"true","Data":{"CustomAgentId":"ca-1"}}`:                          "12345",
		`{"RequestId":"r","Success":true,"ErrorCode":0,"Message":null,"Data":{"CustomAgentId":"ca-1"}}`: "r",
		`{"Success":true,"Data":{"CustomAgentId":"ca-1","Status":"ACTIVE"},"Recommend":{"x":1}}`:        "",
		// Keys in another case, as the fields around Data are read.
		`{"requestId":"r","success":true,"data":{"customAgentId":"ca-1"}}`: "r",
	} {
		c, err := p.Parse(&providers.Incoming{Status: 200, Header: http.Header{}, Body: []byte(body)})
		if err != nil || c.AgentID != "ca-1" || c.RequestID != wantReqID {
			t.Errorf("%s: %+v, %v", body, c, err)
		}
	}
	// Without RequestId in the body, the gateway's header names the request.
	c, err := p.Parse(&providers.Incoming{Status: 200, Header: http.Header{"X-Acs-Request-Id": {"5E2B-H"}}, Body: []byte(`{"Success":true,"Data":{"CustomAgentId":"ca-1"}}`)})
	if err != nil || c.RequestID != "5E2B-H" {
		t.Errorf("request id from x-acs-request-id: %+v, %v", c, err)
	}
	// A number where the document shows a string is the id all the same,
	// digit for digit.
	if c, err := p.Parse(&providers.Incoming{Status: 200, Header: http.Header{}, Body: []byte(`{"Success":true,"Data":{"CustomAgentId":12345678901234567890}}`)}); err != nil || c.AgentID != "12345678901234567890" {
		t.Errorf("numeric id: %+v, %v", c, err)
	}
	_, err = p.Parse(&providers.Incoming{Status: 200, Header: http.Header{}, Body: []byte(`{"Success":"false","ErrorCode":"X","ErrorMessage":"y"}`)})
	if ve, ok := providers.IsVendorError(err); !ok || ve.Code != "X" {
		t.Errorf(`Success "false": %v`, err)
	}
}

func TestTimeLeft(t *testing.T) {
	for in, want := range map[string]int64{
		"":                 0,
		"TimeLeft:0":       0,
		"TimeLeft:x":       0,
		"Limit:1,Remain:0": 0,
		"Limit:1,Remain:0,TimeLeft:2000,Reset:1234": 2000,
		" TimeLeft : 15 ": 15,
	} {
		if got := timeLeft(in); got != want {
			t.Errorf("timeLeft(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestThrottleWaitDoesNotOverflow: an absurd TimeLeft stays a huge wait (the
// call then gives up at once) instead of wrapping to almost nothing.
func TestThrottleWaitDoesNotOverflow(t *testing.T) {
	h := http.Header{"X-Ratelimit-User": {"TimeLeft:18446744073710"}}
	if got := throttleWait(h); got < 24*time.Hour {
		t.Errorf("throttleWait = %v, want a huge wait", got)
	}
}

// TestPreviewHidesSecrets: a dry-run preview shows no secret, no signature
// and no security token, and the Authorization header keeps its shape.
func TestPreviewHidesSecrets(t *testing.T) {
	p := mustNew(t, nil)
	creds := canaryCreds(true)
	var req Request
	decodeStrict(t, mustRead(t, "testdata/request.json"), &req)
	out, err := p.Build(&req, creds, providers.Attempt{Number: 1, Time: time.Now(), Nonce: "0123456789abcdef0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Sensitive) != 1 || len(out.Sensitive[0]) != 64 {
		t.Fatalf("Sensitive = %v, want the signature", out.Sensitive)
	}
	b, _ := json.Marshal(out.Preview(creds))
	preview := string(b)
	for what, v := range map[string]string{"secret": canarySecret, "token": canaryToken, "signature": out.Sensitive[0], "access key id": canaryID} {
		if strings.Contains(preview, v) {
			t.Errorf("preview shows the %s: %s", what, hideCanaries(preview))
		}
	}
	var pv providers.Preview
	_ = json.Unmarshal(b, &pv)
	auth := pv.Headers["Authorization"]
	if !strings.HasPrefix(auth, "ACS3-HMAC-SHA256 Credential=") || !strings.HasSuffix(auth, ",Signature=[REDACTED]") {
		t.Errorf("preview Authorization = %s", auth)
	}
	if pv.Headers["X-Acs-Security-Token"] != providers.Redacted {
		t.Errorf("preview token header = %q", pv.Headers["X-Acs-Security-Token"])
	}
	if !strings.Contains(pv.URL, "Name=my-agent") {
		t.Errorf("preview URL = %s", pv.URL)
	}

}

// TestToolJournalsTheAgentAFailureNames: an agent a failure still names is
// journaled by its id, not only inside the message, which the journal clips
// (a long name and a long vendor message come before it); also when the
// connection drops after the whole answer arrived.
func TestToolJournalsTheAgentAFailureNames(t *testing.T) {
	answer := `{"RequestId":"R-1","Success":false,"ErrorCode":"InternalError","ErrorMessage":"` +
		strings.Repeat("内部错误", 250) + `","Data":{"CustomAgentId":"ca-stored-42"}}`
	for _, drop := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if !drop {
				_, _ = io.WriteString(w, answer)
				return
			}
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(answer)+10, answer)
			_ = buf.Flush()
			conn.Close()
		}))
		defer srv.Close()
		env := providers.MapEnv(map[string]string{EnvAccessKeyID: canaryID, EnvAccessKeySecret: canarySecret, EnvEndpoint: srv.URL})
		p, err := New(env)
		if err != nil {
			t.Fatal(err)
		}
		jr := &journaltest.Recorder{}
		tool, err := tools.New[Request](p, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env, Journal: jr})
		if err != nil {
			t.Fatal(err)
		}
		var req mcp.CallToolRequest
		req.Params.Name = tool.Tool.Name
		req.Params.Arguments = map[string]any{"Name": strings.Repeat("销售日报", 100)}
		res, err := tool.Handler(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(res); !res.IsError || !strings.Contains(string(b), "ca-stored-42") {
			t.Fatalf("connection dropped %v: result = %s", drop, shorten(string(b)))
		}
		outcomes := jr.Outcomes()
		if len(outcomes) != 1 || outcomes[0].Outcome != journal.OutcomeUnknown || outcomes[0].AgentID != "ca-stored-42" {
			t.Fatalf("connection dropped %v: journal = %+v, want one unknown outcome with agent id ca-stored-42", drop, outcomes)
		}
	}
}

// TestToolDryRun runs the tool the server serves: schema validation counts
// characters (10,000 CJK characters pass the character rule, 10,001 do not),
// and the dry run shows no secret.
func TestToolDryRun(t *testing.T) {
	p := mustNew(t, nil)
	env := providers.MapEnv(map[string]string{EnvAccessKeyID: canaryID, EnvAccessKeySecret: canarySecret, EnvSecurityToken: canaryToken})
	tool, err := tools.New[Request](p, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: env})
	if err != nil {
		t.Fatal(err)
	}
	call := func(args map[string]any) (string, bool) {
		t.Helper()
		var req mcp.CallToolRequest
		req.Params.Name = tool.Tool.Name
		req.Params.Arguments = args
		res, err := tool.Handler(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		return string(b), res.IsError
	}

	text, isErr := call(map[string]any{"dry_run": true, "Name": "预览", "ScheduleTaskConfig": map[string]any{"CronExpression": "0 0 0 ? * 1-7"}})
	if isErr || !strings.Contains(text, "Signature=[REDACTED]") {
		t.Errorf("dry run = %s", hideCanaries(text))
	}
	for _, v := range []string{canarySecret, canaryToken, canaryID} {
		if strings.Contains(text, v) {
			t.Errorf("dry run leaks a credential: %s", hideCanaries(text))
		}
	}

	text, isErr = call(map[string]any{"dry_run": true, "Instruction": strings.Repeat("数", 10000), "Knowledge": strings.Repeat("据", 10000)})
	if isErr || !strings.Contains(text, "Instruction="+strings.Repeat("%E6%95%B0", 10000)) {
		t.Errorf("10,000 CJK characters in each text field refused or not previewed in full: %s", shorten(text))
	}
	text, isErr = call(map[string]any{"dry_run": true, "Description": strings.Repeat("述", 30000)})
	if !isErr || !strings.Contains(text, "request too large") || strings.Contains(text, "/Description") {
		t.Errorf("270 KB of Description: want only the URL-size refusal, got %s", shorten(text))
	}
	text, isErr = call(map[string]any{"dry_run": true, "Instruction": strings.Repeat("数", 10001)})
	if !isErr || !strings.Contains(text, "/Instruction") {
		t.Errorf("10,001 CJK characters: want a length error at /Instruction, got %s", shorten(text))
	}
	text, isErr = call(map[string]any{"dry_run": true, "Instruction": strings.Repeat("数", 2000)})
	if isErr {
		t.Errorf("2,000 CJK characters refused: %s", shorten(text))
	}
	text, isErr = call(map[string]any{"dry_run": true, "DataJson": "{\"scope\":\"personal\"}"})
	if !isErr || !strings.Contains(text, "/DataJson") {
		t.Errorf("DataJson as text: want a schema error, got %s", shorten(text))
	}
}
