package datagrid

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
		{Status: 201, Body: `{"object":"agent","id":"agt_1","name":"n"}`},
		{Status: 201, Body: `{"id":""}`},
		{Status: 201, Body: `{"id":123}`},
		{Status: 201, Body: `{"id":null}`},
		{Status: 201, Body: `[]`},
		{Status: 201, Body: `null`},
		{Status: 201, Body: `<html>ok</html>`},
		{Status: 400, Body: `{"error":"invalid_request","message":"bad","details":{"reason":"why"}}`},
		{Status: 400, Body: `{"error":{"nested":true},"message":7}`},
		{Status: 401, Body: `{"error":"unauthorized","message":"Invalid API key"}`},
		{Status: 429, Body: `{"error":"rate_limited","message":"slow down"}`},
		{Status: 503, Body: `{"message":"` + strings.Repeat("é", 50) + `"}`},
		{Status: 302, Body: `{"id":"agt_redirect"}`},
		{Status: 200, Body: `{"id":"` + strings.Repeat("\xff", 64) + `"}`},
	}...)
}
