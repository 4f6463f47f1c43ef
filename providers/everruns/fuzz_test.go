package everruns

import (
	"strings"
	"testing"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/providertest"
)

// FuzzParse feeds Parse any status and body (see providertest.FuzzParse),
// seeded with this vendor's own answers.
func FuzzParse(f *testing.F) {
	p, err := New(providers.MapEnv(nil))
	if err != nil {
		f.Fatal(err)
	}
	providertest.FuzzParse(f, p.Parse, []providertest.Response{
		{Status: 201, Body: `{"id":"agent_0193a4f2c6d87b1e9f3a5c7d2e4b6a80","name":"n","status":"active"}`},
		{Status: 201, Body: `{"id":123}`},
		{Status: 201, Body: `{"id":null,"status":7}`},
		{Status: 400, Body: `{"error":"Invalid agent id"}`},
		{Status: 400, Body: `{"error":"Input exceeds allowed limits"}`},
		{Status: 400, Body: `{"type":"about:blank","title":"Bad Request","status":400,"detail":"name is required","code":"validation_error"}`},
		{Status: 401, Body: `{"error":"Unauthorized"}`},
		{Status: 403, Body: `{"error":"Forbidden"}`},
		{Status: 429, Body: `{"error":"rate limited","retry_after_seconds":1e308}`},
		{Status: 429, Body: `{"error":"rate limited","retry_after_seconds":-5}`},
		{Status: 429, Body: `{"title":"Too Many Requests","code":429,"retry_after_seconds":"soon"}`},
		{Status: 503, Body: `{"error":"` + strings.Repeat("é", 50) + `"}`},
	}...)
}
