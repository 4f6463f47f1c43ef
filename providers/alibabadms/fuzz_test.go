package alibabadms

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
		{Status: 200, Body: `{"RequestId":"R1","Success":true,"Data":{"CustomAgentId":"ca-1","Status":"NEW"}}`},
		{Status: 200, Body: `{"RequestId":"R1","Success":true,"Data":{"CustomAgentId":12345}}`},
		{Status: 200, Body: `{"RequestId":"R1","Success":true,"Data":null}`},
		{Status: 200, Body: `{"RequestId":"R1","Success":true,"Data":[]}`},
		{Status: 200, Body: `{"RequestId":"R1","Success":"true","Data":{"CustomAgentId":"ca-1"}}`},
		{Status: 200, Body: `{"RequestId":"R1","Success":false}`},
		{Status: 200, Body: `{"RequestId":"R1","Success":false,"ErrorCode":"Throttling.User","ErrorMessage":"Request was denied due to user flow control."}`},
		{Status: 200, Body: `{"Success":false,"Code":"SignatureNonceUsed","Message":"nonce used"}`},
		{Status: 400, Body: `{"RequestId":"R2","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":"https://api.aliyun.com/troubleshoot"}`},
		{Status: 400, Body: `{"RequestId":"R2","Code":"InvalidParameter","Message":"bad"}`},
		{Status: 403, Body: `{"RequestId":"R3","Code":"Forbidden.RAM","Message":"denied"}`},
		{Status: 404, Body: `<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>R4</RequestId><Code>InvalidAction.NotFound</Code><Message>not found</Message><Recommend>r</Recommend></Error>`},
		{Status: 400, Body: `<Error><Code>` + strings.Repeat("<a>", 1000) + `</Code></Error>`},
		{Status: 429, Body: `{"Code":"Throttling","Message":"slow down"}`},
		{Status: 503, Body: `{"Code":"ServiceUnavailable","Message":"` + strings.Repeat("é", 50) + `"}`},
	}...)
}
