package alibabadms

import (
	"strings"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/providers"
)

// Vector 1 is the published test vector (vendor notes 1.6).
const (
	v1CanonicalRequest = "POST\n/\nDMSUnit=cn-hangzhou&ExecutionConfig=%7B%22SkipPlan%22%3Atrue%7D&Name=my-agent\n" +
		"host:dms.cn-hangzhou.aliyuncs.com\n" +
		"x-acs-action:CreateCustomAgent\n" +
		"x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
		"x-acs-date:2026-01-01T00:00:00Z\n" +
		"x-acs-signature-nonce:3a4f0c3c2b1d4e5f\n" +
		"x-acs-version:2025-04-14\n" +
		"\n" +
		"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	v1StringToSign  = "ACS3-HMAC-SHA256\nd56fe437d23819f2f04f0f131eb976f509a1561a2e372d5a801f205bdaea93eb"
	v1Authorization = "ACS3-HMAC-SHA256 Credential=testAK,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=63318363aaaab09b9cbe61311d3beef2ee8fa1644edbc0f22eb63fa91dd0ade7"
)

// Vector 2 adds an STS security token and CJK, reserved and "~" characters.
// Its expected values were computed once by an independent implementation of
// the documented algorithm (not this package's code) and pasted here.
const (
	v2AccessKeyID = "STS.NUgYrLnoC37mZZCNnAbez"
	v2Secret      = "testSecret2/+="
	v2Token       = "CAIS8gF1q6Ft5B2yfSjIr5bkKt/test+token=="
	v2Nonce       = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	v2Query       = "DMSUnit=cn-shanghai" +
		"&Instruction=%E6%8C%89%E6%97%A5%E3%80%81%E5%91%A8%E3%80%81%E6%9C%88%E5%88%86%E6%9E%90%20GMV%20%26%20%E8%AE%A2%E5%8D%95%E9%87%8F%20%28%2A%E9%87%8D%E7%82%B9%2A%29" +
		"&KnowledgeConfigList=%5B%7B%22AccessType%22%3A%22mcp%22%2C%22McpServerId%22%3A%22mcp-7x~1%22%7D%5D" +
		"&Name=%E9%94%80%E5%94%AE%E5%88%86%E6%9E%90%E5%8A%A9%E6%89%8B" +
		"&ScheduleTaskConfig=%7B%22CronExpression%22%3A%220%200%209%20%3F%20%2A%202-6%22%2C%22Query%22%3A%22%E6%AF%8F%E6%97%A5%E6%B1%87%E6%80%BB%22%7D"
	v2CanonicalRequest = "POST\n/\n" + v2Query + "\n" +
		"host:dms.cn-shanghai.aliyuncs.com\n" +
		"x-acs-action:CreateCustomAgent\n" +
		"x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" +
		"x-acs-date:2026-03-04T05:06:07Z\n" +
		"x-acs-security-token:CAIS8gF1q6Ft5B2yfSjIr5bkKt/test+token==\n" +
		"x-acs-signature-nonce:0f1e2d3c4b5a69788796a5b4c3d2e1f0\n" +
		"x-acs-version:2025-04-14\n" +
		"\n" +
		"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	v2StringToSign  = "ACS3-HMAC-SHA256\n6acf75380fe01d891d8c9067fc84d8b08b362d05a45e1bc512d35e9af8b2c609"
	v2Authorization = "ACS3-HMAC-SHA256 Credential=STS.NUgYrLnoC37mZZCNnAbez,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=cb98475b2de7b4b0ef051872f756417efde70456b55abf5fd2b97b4670b1b776"
)

func TestSignVector1(t *testing.T) {
	s := sign(signRequest{
		Method: "POST",
		Path:   "/",
		Query:  map[string]string{"DMSUnit": "cn-hangzhou", "ExecutionConfig": `{"SkipPlan":true}`, "Name": "my-agent"},
		Headers: map[string]string{
			"host":                  "dms.cn-hangzhou.aliyuncs.com",
			"x-acs-action":          "CreateCustomAgent",
			"x-acs-version":         "2025-04-14",
			"x-acs-date":            "2026-01-01T00:00:00Z",
			"x-acs-signature-nonce": "3a4f0c3c2b1d4e5f",
			"x-acs-content-sha256":  emptyBodySHA256,
			"Accept":                "application/json", // not signed
		},
	}, "testAK", "testSecret")
	assertSignature(t, s, v1CanonicalRequest, v1StringToSign, v1Authorization)
}

// TestBuildVector1 produces the published vector from a Request through Build.
func TestBuildVector1(t *testing.T) {
	p := mustNew(t, nil)
	yes := true
	r := &Request{Name: "my-agent", DMSUnit: "cn-hangzhou", ExecutionConfig: &ExecutionConfig{SkipPlan: &yes}}
	creds := providers.NewCredentials(providers.SourceEnv, map[string]string{"access_key_id": "testAK", "access_key_secret": "testSecret"})
	out, err := p.Build(r, creds, providers.Attempt{Number: 1, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Nonce: "3a4f0c3c2b1d4e5f"})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Header.Get("Authorization"); got != v1Authorization {
		t.Errorf("Authorization\n got %s\nwant %s", got, v1Authorization)
	}
	wantURL := "https://dms.cn-hangzhou.aliyuncs.com/?DMSUnit=cn-hangzhou&ExecutionConfig=%7B%22SkipPlan%22%3Atrue%7D&Name=my-agent"
	if out.URL != wantURL {
		t.Errorf("URL\n got %s\nwant %s", out.URL, wantURL)
	}
	if out.Header.Get("X-Acs-Security-Token") != "" {
		t.Error("security token header sent without a token")
	}
}

func TestSignVector2(t *testing.T) {
	s := sign(signRequest{
		Method: "POST",
		Path:   "/",
		Query: map[string]string{
			"DMSUnit":             "cn-shanghai",
			"Name":                "销售分析助手",
			"Instruction":         "按日、周、月分析 GMV & 订单量 (*重点*)",
			"KnowledgeConfigList": `[{"AccessType":"mcp","McpServerId":"mcp-7x~1"}]`,
			"ScheduleTaskConfig":  `{"CronExpression":"0 0 9 ? * 2-6","Query":"每日汇总"}`,
		},
		Headers: map[string]string{
			"Host":                  "dms.cn-shanghai.aliyuncs.com",
			"X-Acs-Action":          "CreateCustomAgent",
			"X-Acs-Version":         "2025-04-14",
			"X-Acs-Date":            " 2026-03-04T05:06:07Z ",
			"X-Acs-Signature-Nonce": v2Nonce,
			"X-Acs-Content-Sha256":  emptyBodySHA256,
			"X-Acs-Security-Token":  v2Token,
		},
	}, v2AccessKeyID, v2Secret)
	assertSignature(t, s, v2CanonicalRequest, v2StringToSign, v2Authorization)
}

// TestBuildVector2 produces vector 2 from a Request through Build, with the
// token taken from the credentials.
func TestBuildVector2(t *testing.T) {
	p := mustNew(t, map[string]string{EnvRegion: "cn-shanghai"})
	r := &Request{
		Name:                "销售分析助手",
		Instruction:         "按日、周、月分析 GMV & 订单量 (*重点*)",
		DMSUnit:             "cn-shanghai",
		KnowledgeConfigList: []KnowledgeConfig{{McpServerID: "mcp-7x~1"}}, // AccessType filled in
		ScheduleTaskConfig:  &ScheduleTaskConfig{CronExpression: "0 0 9 ? * 2-6", Query: "每日汇总"},
	}
	if errs := p.Check(r); len(errs) > 0 {
		t.Fatalf("Check: %v", errs)
	}
	creds := providers.NewCredentials(providers.SourceEnv, map[string]string{
		"access_key_id": v2AccessKeyID, "access_key_secret": v2Secret, "security_token": v2Token,
	})
	out, err := p.Build(r, creds, providers.Attempt{Number: 1, Time: time.Date(2026, 3, 4, 13, 6, 7, 0, time.FixedZone("CST", 8*3600)), Nonce: v2Nonce})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Header.Get("Authorization"); got != v2Authorization {
		t.Errorf("Authorization\n got %s\nwant %s", got, v2Authorization)
	}
	if want := "https://dms.cn-shanghai.aliyuncs.com/?" + v2Query; out.URL != want {
		t.Errorf("URL\n got %s\nwant %s", out.URL, want)
	}
	if got := out.Header.Get("x-acs-security-token"); got != v2Token {
		t.Errorf("x-acs-security-token = %q", got)
	}
	if got := out.Header.Get("x-acs-date"); got != "2026-03-04T05:06:07Z" {
		t.Errorf("x-acs-date = %q, want UTC", got)
	}
}

func assertSignature(t *testing.T, s signature, canon, sts, auth string) {
	t.Helper()
	if s.CanonicalRequest != canon {
		t.Errorf("CanonicalRequest\n got %q\nwant %q", s.CanonicalRequest, canon)
	}
	if s.StringToSign != sts {
		t.Errorf("StringToSign\n got %q\nwant %q", s.StringToSign, sts)
	}
	if s.Authorization != auth {
		t.Errorf("Authorization\n got %s\nwant %s", s.Authorization, auth)
	}
	if !strings.HasSuffix(auth, "Signature="+s.Signature) {
		t.Errorf("Signature %s is not the one in the Authorization header", s.Signature)
	}
}

func TestPercentEncode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"AZaz09-_.~", "AZaz09-_.~"},
		{"a b", "a%20b"},
		{"*", "%2A"},
		{"+/=&?#%", "%2B%2F%3D%26%3F%23%25"},
		{`{"k":[1]}`, "%7B%22k%22%3A%5B1%5D%7D"},
		{"中", "%E4%B8%AD"},
		{"é", "%C3%A9"},
		{"😀", "%F0%9F%98%80"},
	} {
		if got := percentEncode(tc.in); got != tc.want {
			t.Errorf("percentEncode(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if n := encodedLen(tc.in); n != len(tc.want) {
			t.Errorf("encodedLen(%q) = %d, want %d", tc.in, n, len(tc.want))
		}
	}
}

func TestCanonicalQueryEmptyValueAndOrder(t *testing.T) {
	got := canonicalQuery(map[string]string{"b": "", "a": "x y", "B": "1"})
	if want := "B=1&a=x%20y&b="; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
