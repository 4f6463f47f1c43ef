package datagol

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// responseShapedArgs builds tool arguments whose configs is the one of the
// document's response example (mcpConfigs keyed by server type).
func responseShapedArgs(t *testing.T) []byte {
	t.Helper()
	var resp map[string]any
	if err := json.Unmarshal(readFixture(t, "create_response.json"), &resp); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{
		"name": "Financial Agent", "description": "d", "prompt": "p", "isPublished": false,
		"uiMetadata": map[string]any{}, "configs": resp["configs"], "dry_run": true,
	}
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPrecheckRefusesResponseShape(t *testing.T) {
	raw := responseShapedArgs(t)
	errs := (&Provider{}).Precheck(raw)
	if len(errs) != 1 || errs[0].Field != "/configs/mcpConfigs/0" {
		t.Fatalf("errs = %v", errs)
	}
	msg := errs[0].Message
	for _, want := range []string{`{"CUSTOM": {...}, "WORKBOOK": {...}}`, "shape DataGOL returns", "flat item with serverType"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "token=<token>") || !strings.Contains(msg, "token=[REDACTED]") || !strings.HasSuffix(msg, "send your original url)") {
		t.Errorf("the server URL's token is not redacted:\n%s", msg)
	}

	// The suggested items are what the request takes: they decode strictly,
	// pass Check, and keep every field of the response's servers.
	_, suggested, ok := strings.Cut(msg, "in place of this item send: ")
	if !ok {
		t.Fatalf("no suggestion in %s", msg)
	}
	suggested, _, _ = strings.Cut(suggested, " (secrets")
	if !strings.HasPrefix(suggested, `[{"serverType":"CUSTOM",`) {
		t.Errorf("suggestion does not lead with serverType: %s", suggested)
	}
	var items []MCPConfig
	dec := json.NewDecoder(strings.NewReader(suggested))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&items); err != nil {
		t.Fatalf("suggestion does not decode: %v\n%s", err, suggested)
	}
	r := valid()
	r.Configs.MCPConfigs = items
	if errs := (&Provider{}).Check(&r); len(errs) > 0 {
		t.Errorf("suggestion fails Check:\n%s", errs)
	}
	if len(items) != 2 || items[0].ServerType != ServerCustom || items[0].ID != 18 || items[0].CompanyID != 1 ||
		items[1].ServerType != ServerWorkbook || items[1].Data == nil || items[1].Data.WorkspaceID != "055b4db3-96e1-45e1-8ff5-3a911b779a53" {
		t.Errorf("suggested items = %+v", items)
	}
}

// The schema validator alone reports "unknown argument" for the type keys;
// the item's description is what tells the model the right shape then.
func TestResponseShapeAgainstServedSchema(t *testing.T) {
	got := strings.Join(schemaErrors(t, servedSchema(t), responseShapedArgs(t)), "\n")
	for _, want := range []string{"/configs/mcpConfigs/0:", "CUSTOM", "serverType"} {
		if !strings.Contains(got, want) {
			t.Errorf("schema errors lack %q:\n%s", want, got)
		}
	}
}

func TestPrecheckCases(t *testing.T) {
	tests := []struct {
		name  string
		args  string
		field string // "" when nothing is refused
		text  string
	}{
		{"request shape", `{"configs":{"mcpConfigs":[{"serverType":"CUSTOM","url":"https://x"}]}}`, "", ""},
		{"no configs", `{"name":"x"}`, "", ""},
		{"not JSON", `{"configs":`, "", ""},
		{"configs not an object", `{"configs":"x"}`, "", ""},
		{"items not objects", `{"configs":{"mcpConfigs":[1,"CUSTOM",null]}}`, "", ""},
		{"workbook only, second item", `{"configs":{"mcpConfigs":[{"serverType":"CUSTOM","url":"u"},{"WORKBOOK":{"name":"w","data":{"id":"a","workspaceId":"b"}}}]}}`,
			"/configs/mcpConfigs/1", `send: [{"serverType":"WORKBOOK","data":{"id":"a","workspaceId":"b"},"name":"w"}]`},
		{"keyed item that also has serverType", `{"configs":{"mcpConfigs":[{"serverType":"CUSTOM","CUSTOM":{"url":"https://h/?api_key=k1&x=1"}}]}}`,
			"/configs/mcpConfigs/0", `send: [{"serverType":"CUSTOM","url":"https://h/?api_key=[REDACTED]&x=1"}] (secrets in url are masked here`},
		{"inner value not an object", `{"configs":{"mcpConfigs":[{"CUSTOM":"x"}]}}`,
			"/configs/mcpConfigs/0", `send: [{"serverType":"CUSTOM","id":18`},
		{"empty inner object", `{"configs":{"mcpConfigs":[{"CUSTOM":{}}]}}`,
			"/configs/mcpConfigs/0", `send: [{"serverType":"CUSTOM"}]`},
		{"keyed object in place of the list", `{"configs":{"mcpConfigs":{"CUSTOM":{"url":"https://h/mcp"}}}}`,
			"/configs/mcpConfigs", `in place of this object send a list: [{"serverType":"CUSTOM","url":"https://h/mcp"}]`},
		{"mcpConfigs neither list nor keyed", `{"configs":{"mcpConfigs":{"url":"u"}}}`, "", ""},
		{"a large id is copied as written", `{"configs":{"mcpConfigs":[{"CUSTOM":{"id":9007199254740993}}]}}`,
			"/configs/mcpConfigs/0", `send: [{"serverType":"CUSTOM","id":9007199254740993}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := (&Provider{}).Precheck([]byte(tt.args))
			if tt.field == "" {
				if errs != nil || len(responseShaped([]byte(tt.args))) > 0 {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.field {
				t.Fatalf("errs = %v", errs)
			}
			if !strings.Contains(errs[0].Message, tt.text) {
				t.Errorf("message lacks %s:\n%s", tt.text, errs[0].Message)
			}
		})
	}
}

// No HTML escaping in the suggestion: a model copies it back verbatim.
func TestPrecheckKeepsURLReadable(t *testing.T) {
	errs := (&Provider{}).Precheck([]byte(`{"configs":{"mcpConfigs":[{"CUSTOM":{"url":"https://h/a?b=1&c=<2>"}}]}}`))
	if len(errs) != 1 || !bytes.Contains([]byte(errs[0].Message), []byte(`"url":"https://h/a?b=1&c=<2>"}]`)) || strings.Contains(errs[0].Message, "masked") {
		t.Fatalf("errs = %v", errs)
	}
}
