// Package providertest holds the checks every provider's tests share.
package providertest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agentmcp/agentmcp/providers"
)

// MaxErrorBytes bounds the text of a vendor error: it goes to the model and
// the journal, so a vendor's body must not reach either whole.
const MaxErrorBytes = 4 << 10

// Response is one vendor answer to seed a fuzz target with.
type Response struct {
	Status int
	Body   string
}

// commonResponses are answers no provider may choke on, whatever its vendor.
func commonResponses() []Response {
	return []Response{
		{201, ``},
		{200, `[]`},
		{200, `null`},
		{200, `<html>ok</html>`},
		{204, ``},
		{500, "<html>\n<body>Internal   Server Error</body></html>"},
		{502, ``},
		{0, `{}`},
		{-1, "\xff\xfe\xfd"},
		{999, `{"message":"\u0000\ud800"}`},
		{302, `{"id":"redirect"}`},
		{400, strings.Repeat("[", 10000)},
		{400, strings.Repeat("{\"error\":", 5000)},
	}
}

// FuzzParse feeds parse any status and body, seeded with the package's
// testdata/*.json fixtures under several statuses, the common responses and
// the vendor's own. It must not panic and must keep CheckParse's contract.
func FuzzParse(f *testing.F, parse func(*providers.Incoming) (*providers.Created, error), own ...Response) {
	f.Helper()
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range fixtures {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, status := range []int{200, 201, 400, 500} {
			f.Add(status, b)
		}
	}
	for _, r := range append(commonResponses(), own...) {
		f.Add(r.Status, []byte(r.Body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		created, err := parse(&providers.Incoming{Status: status, Header: http.Header{}, Body: body})
		CheckParse(t, status, created, err)
	})
}

// CheckParse holds the contract of Parse that the client relies on: an agent
// or an error, never both; a 2xx gives an agent id or an error; anything else
// a short, valid UTF-8 *providers.VendorError with the status; a 5xx is never
// final and a 429 never maybe processed, unless it names an agent.
func CheckParse(t *testing.T, status int, created *providers.Created, err error) {
	t.Helper()
	if created != nil && err != nil {
		t.Fatalf("Parse returned both an agent (%+v) and an error (%v)", created, err)
	}
	ve, isVendor := providers.IsVendorError(err)
	if isVendor {
		msg := ve.Error()
		if !utf8.ValidString(msg) {
			t.Fatalf("vendor error is not valid UTF-8: %q", msg)
		}
		if len(msg) > MaxErrorBytes {
			t.Fatalf("vendor error is %d bytes, want at most %d: %.200q…", len(msg), MaxErrorBytes, msg)
		}
	}
	if status >= 200 && status <= 299 {
		if err == nil && (created == nil || created.AgentID == "") {
			t.Fatalf("HTTP %d: no error and no agent id: %+v", status, created)
		}
		return
	}
	if created != nil {
		t.Fatalf("HTTP %d: Parse created an agent: %+v", status, created)
	}
	if !isVendor {
		t.Fatalf("HTTP %d: err = %v (%T), want a *providers.VendorError", status, err, err)
	}
	if ve.Status != status {
		t.Errorf("HTTP %d: VendorError.Status = %d", status, ve.Status)
	}
	if status >= 500 && ve.Retry == providers.Final {
		t.Fatalf("HTTP %d classified final: the vendor may have created the agent", status)
	}
	// A 429 was not acted on: retrying it is safe, and giving up (a billing
	// limit that no wait within the call outlasts) is too. Unless the answer
	// names an agent anyway: then it may exist, and is not made again.
	if status == http.StatusTooManyRequests && ve.Retry == providers.MaybeProcessed && ve.AgentID == "" {
		t.Fatalf("HTTP 429 classified %s: the vendor did not act on it", ve.Retry)
	}
}
