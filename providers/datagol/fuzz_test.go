package datagol

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
		{Status: 200, Body: `{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"n"}`},
		{Status: 200, Body: `{"id":42}`},
		{Status: 200, Body: `{"id":1e400}`},
		{Status: 200, Body: `{"id":-0.0}`},
		{Status: 200, Body: `{"id":true}`},
		{Status: 200, Body: `{"id":"  "}`},
		{Status: 200, Body: `{"error":"no id","message":"created nothing"}`},
		{Status: 400, Body: `{"timestamp":"2026-01-01T00:00:00Z","status":400,"error":"Bad Request","message":"name must not be blank","path":"/customAgents/api/v1"}`},
		{Status: 400, Body: `{"error":{"message":"nested","code":"E1"}}`},
		{Status: 400, Body: `{"errors":["a",{"message":"b"},3,null]}`},
		{Status: 400, Body: `{"detail":"problem","errorCode":17}`},
		{Status: 401, Body: `{"message":"Unauthorized"}`},
		{Status: 429, Body: `{"message":"slow down"}`},
		{Status: 503, Body: `{"message":"` + strings.Repeat("é", 50) + `"}`},
	}...)
}
