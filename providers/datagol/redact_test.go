package datagol

import (
	"net/url"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://testing-mcp.datagol.ai/workspace/link-v2?workspace_id=a336506d&token=s3cr3t",
			"https://testing-mcp.datagol.ai/workspace/link-v2?workspace_id=a336506d&token=[REDACTED]"},
		{"https://h/p?access_token=a&api_key=b&key=c&secret=d&password=e&sig=f&signature=g&page=2",
			"https://h/p?access_token=[REDACTED]&api_key=[REDACTED]&key=[REDACTED]&secret=[REDACTED]&password=[REDACTED]&sig=[REDACTED]&signature=[REDACTED]&page=2"},
		{"https://h/?Token=a&X-Amz-Signature=b&apiKey=c&client_secret=d&Access-Token=e",
			"https://h/?Token=[REDACTED]&X-Amz-Signature=[REDACTED]&apiKey=[REDACTED]&client_secret=[REDACTED]&Access-Token=[REDACTED]"},
		{"https://h/?to%6Ben=a", "https://h/?to%6Ben=[REDACTED]"},
		{"https://h/cb#access_token=a&state=s", "https://h/cb#access_token=[REDACTED]&state=s"},
		{"https://user:pw@h.example/x?token=a", "https://[REDACTED]@h.example/x?token=[REDACTED]"},
		{"https://ghp_abc@h.example/x", "https://[REDACTED]@h.example/x"},
		{"https://user:p@ss@mcp.example.com/sse", "https://[REDACTED]@mcp.example.com/sse"}, // user info ends at the last @
		{"https://h/a@b?q=1", "https://h/a@b?q=1"},
		{"https://h/?token=&token", "https://h/?token=&token"},
		{"https://h/?workspace_id=1&tokens_used=3", "https://h/?workspace_id=1&tokens_used=3"},
		{"Financial Sub Agent", "Financial Sub Agent"},
		{"", ""},
		{"not a url?token=x", "not a url?token=[REDACTED]"},
		// Not checked for a scheme, a URL still has user info.
		{"user:hunter2pw@mcp.example.com/sse", "[REDACTED]@mcp.example.com/sse"},
		{"//user:hunter2pw@mcp.example.com/sse", "//[REDACTED]@mcp.example.com/sse"},
		{"mcp.example.com/a@b", "mcp.example.com/a@b"},
		// Parameters separated by ;, and a URL in a parameter, encoded.
		{"https://h/sse?ws=1;token=abc123;page=2", "https://h/sse?ws=1;token=[REDACTED];page=2"},
		{"https://h/login?next=https%3A%2F%2Fm%2Fx%3Fa%3D1%26token%3Dabc123&page=2",
			"https://h/login?next=" + url.QueryEscape("https://m/x?a=1&token=[REDACTED]") + "&page=2"},
		{"https://h/?q=a%20b&next=%2Fhome&email=bob%40example.com", "https://h/?q=a%20b&next=%2Fhome&email=bob%40example.com"},
		{"https://mcp.example.com/sse?callback=https://hook.example.com/x?token=S1&page=2", "https://mcp.example.com/sse?callback=https://hook.example.com/x?token=[REDACTED]&page=2"},
		{"https://h/?next=https%253A%252F%252Fx%252Fcb%253Ftoken%253DS2",
			"https://h/?next=" + url.QueryEscape(url.QueryEscape("https://x/cb?token=[REDACTED]"))},
		{"https://h/?next=u%3AS3%40host.example.com%2Fsse", "https://h/?next=" + url.QueryEscape("[REDACTED]@host.example.com/sse")},
		{"alice@example.com", "alice@example.com"},
		{"mailto:john@example.com", "mailto:john@example.com"},
		{"https://h/?next=%2Fx%3Fnext%3D%252Fy%253Ftoken%253Dabc", "https://h/?next=" + url.QueryEscape("/x?next="+url.QueryEscape("/y?token=[REDACTED]"))},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q)\n got  %q\n want %q", tt.in, got, tt.want)
		}
	}
}

// URLs nested in parameters, each percent-encoded inside the one around it,
// are decoded only a few levels deep: every level decodes a copy, and 200
// levels fit in 100 KB.
func TestRedactURLNestingIsBounded(t *testing.T) {
	u := "/y?token=abc"
	for range 200 {
		u = "/x?next=" + url.QueryEscape(u)
	}
	u = "https://h" + u
	allocs := testing.AllocsPerRun(1, func() { RedactURL(u) })
	if allocs > 100 {
		t.Errorf("RedactURL of %d KB nested 200 deep made %v allocations", len(u)/1000, allocs)
	}
}

func TestRedactURLsIn(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`cannot reach MCP server https://mcp.example/x?token=S3CR3T: timeout`, `cannot reach MCP server https://mcp.example/x?token=[REDACTED] timeout`},
		{`bad urls "https://a/?key=1" and http://u:p@b/c`, `bad urls "https://a/?key=[REDACTED]" and http://[REDACTED]@b/c`},
		{`no url here, token=abc`, `no url here, token=abc`},
		// As a JSON encoder may write them into an error body.
		{`{"detail":"bad server https://mcp.example/x?workspace_id=1\u0026token=S3CR3T"}`, `{"detail":"bad server https://mcp.example/x?workspace_id=1&token=[REDACTED]"}`},
		{`{"url":"https:\/\/mcp.example\/x?token=S3CR3T"}`, `{"url":"https://mcp.example/x?token=[REDACTED]"}`},
		// A server URL need not have a scheme (the url field is not checked).
		{`server mcp.example.com/ws?workspace_id=w1&token=S3CR3T is down`, `server mcp.example.com/ws?workspace_id=w1&token=[REDACTED] is down`},
		{`{"url":"mcp.example.com\/ws?workspace_id=w1\u0026token=S3CR3T"}`, `{"url":"mcp.example.com/ws?workspace_id=w1&token=[REDACTED]"}`},
		{`{"url":"mcp.example.com/ws?token=S3CR3T#x"}`, `{"url":"mcp.example.com/ws?token=[REDACTED]#x"}`},
		{`server mcp.example.com/ws#access_token=S3CR3T&state=s`, `server mcp.example.com/ws#access_token=[REDACTED]&state=s`},
		{`see issue #42`, `see issue #42`},
		{`{"url":"https:\/\/m.example\/x\u003fa=1\u0026token=S3CR3T"}`, `{"url":"https://m.example/x?a=1&token=[REDACTED]"}`},
		// Not a URL's user info in free text: an e-mail address, an @mention, a scoped package.
		{`write to mailto:john@example.com?subject=hi`, `write to mailto:john@example.com?subject=hi`},
		{`ping @alice#urgent now`, `ping @alice#urgent now`},
		{`npx -y @modelcontextprotocol/server?x=1`, `npx -y @modelcontextprotocol/server?x=1`},
		{`server u:pw@mcp.example.com/sse?x=1 is down`, `server [REDACTED]@mcp.example.com/sse?x=1 is down`},
		// Nothing to mask: escapes stay as written.
		{`{"url":"https:\/\/mcp.example\/x?page=2","q":"why?"}`, `{"url":"https:\/\/mcp.example\/x?page=2","q":"why?"}`},
	} {
		if got := RedactURLsIn(tt.in); got != tt.want {
			t.Errorf("RedactURLsIn(%q)\n got  %q\n want %q", tt.in, got, tt.want)
		}
	}
}
