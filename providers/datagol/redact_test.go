package datagol

import "testing"

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
		{"https://h/a@b?q=1", "https://h/a@b?q=1"},
		{"https://h/?token=&token", "https://h/?token=&token"},
		{"https://h/?workspace_id=1&tokens_used=3", "https://h/?workspace_id=1&tokens_used=3"},
		{"Financial Sub Agent", "Financial Sub Agent"},
		{"", ""},
		{"not a url?token=x", "not a url?token=[REDACTED]"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q)\n got  %q\n want %q", tt.in, got, tt.want)
		}
	}
}
