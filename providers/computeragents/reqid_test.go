package computeragents

import (
	"net/http"
	"strings"
	"testing"

	"github.com/agentmcp/agentmcp/providers"
)

// TestErrorKeepsTheRequestID: the request id read from a success answer
// (X-Request-Id) is kept on a failure too: it is what the vendor's support
// asks for, above all when the outcome is unknown.
func TestErrorKeepsTheRequestID(t *testing.T) {
	p := newProvider(t, "")
	for _, status := range []int{400, 409, 429, 500, 502} {
		_, err := p.Parse(&providers.Incoming{Status: status, Header: http.Header{"X-Request-Id": {"req_7f3a"}},
			Body: []byte(`{"error":"Internal Server Error","message":"boom"}`)})
		ve, ok := providers.IsVendorError(err)
		if !ok || ve.RequestID != "req_7f3a" || !strings.Contains(err.Error(), "req_7f3a") {
			t.Errorf("HTTP %d: request id lost: %v", status, err)
		}
	}
}
