package computeragents

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
		{Status: 201, Body: `{"agent":{"id":"agent_qP5Hz2jwHsj5oVoCPIx71","name":"n","isActive":true}}`},
		{Status: 201, Body: `{"agent":{"id":123}}`},
		{Status: 201, Body: `{"agent":null}`},
		{Status: 201, Body: `{"agent":[]}`},
		{Status: 201, Body: `{"id":"agent_unwrapped"}`},
		{Status: 201, Body: `{"agent":{"id":"a","isActive":"yes"}}`},
		{Status: 400, Body: `{"error":"Bad Request","message":"model is required","code":"VALIDATION_ERROR","details":[{"field":"model","message":"required"},{"field":"name"},{"message":"m"}]}`},
		{Status: 400, Body: `{"error":"Bad Request","details":{"model":"required","n":3,"ok":true,"nested":{}}}`},
		{Status: 400, Body: `{"error":"Bad Request","details":"text"}`},
		{Status: 402, Body: `{"error":"Payment Required","message":"budget","code":"INSUFFICIENT_BUDGET"}`},
		{Status: 403, Body: `{"error":"Forbidden","message":"scope"}`},
		{Status: 409, Body: `{"error":"Conflict","message":"exists"}`},
		{Status: 413, Body: ``},
		{Status: 429, Body: `{"error":"Too Many Requests","code":"USAGE_EXHAUSTED"}`},
		{Status: 503, Body: `{"message":"` + strings.Repeat("é", 50) + `"}`},
	}...)
}
