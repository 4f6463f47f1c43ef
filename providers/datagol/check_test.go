package datagol

import (
	"slices"
	"strings"
	"testing"
)

func valid() Request {
	return Request{Name: "Financial Agent", Description: "d", Prompt: "p"}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *Request)
		fields []string // offending fields, nil when valid
		text   string   // part of a message
	}{
		{"minimal", func(*Request) {}, nil, ""},
		{"blank name", func(r *Request) { r.Name = "  " }, []string{"/name"}, "blank"},
		{"default model in list", func(r *Request) {
			r.UIMetadata.Capabilities = &Capabilities{Models: &Models{SupportedModels: []string{"gpt-5.2", "o4-mini"}, DefaultValue: "o4-mini"}}
		}, nil, ""},
		{"default model without list", func(r *Request) {
			r.UIMetadata.Capabilities = &Capabilities{Models: &Models{DefaultValue: "o4-mini"}}
		}, nil, ""},
		{"list without default model", func(r *Request) {
			r.UIMetadata.Capabilities = &Capabilities{Models: &Models{SupportedModels: []string{"gpt-5.2"}}}
		}, nil, ""},
		{"default model not in list", func(r *Request) {
			r.UIMetadata.Capabilities = &Capabilities{Models: &Models{SupportedModels: []string{"gpt-5.2"}, DefaultValue: "o4-mini"}}
		}, []string{"/uiMetadata/capabilities/models/defaultValue"}, "not in supportedModels (gpt-5.2)"},

		{"custom with url", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerCustom, URL: "https://mcp.example/x?token=abc"}}
		}, nil, ""},
		{"custom with registered id only", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerCustom, ID: 35, CompanyID: 1}}
		}, nil, ""},
		{"custom url not a URL (document example)", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerCustom, ID: 35, URL: "Financial Sub Agent"}}
		}, nil, ""},
		{"custom without url or id", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerCustom, Name: "x"}}
		}, []string{"/configs/mcpConfigs/0/url"}, "needs its url"},
		{"custom with workbook data", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerCustom, URL: "https://x", Data: &WorkbookData{ID: "a", WorkspaceID: "b"}}}
		}, []string{"/configs/mcpConfigs/0/data"}, "only WORKBOOK"},
		{"workbook", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerWorkbook, Name: "dg_Order.csv", Data: &WorkbookData{ID: "a", WorkspaceID: "b"}}}
		}, nil, ""},
		{"workbook without data", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerWorkbook, Name: "dg_Order.csv"}}
		}, []string{"/configs/mcpConfigs/0/data"}, "required for a WORKBOOK server"},
		{"workbook with blank data ids", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerWorkbook, Data: &WorkbookData{ID: " "}}}
		}, []string{"/configs/mcpConfigs/0/data/id", "/configs/mcpConfigs/0/data/workspaceId"}, "must not be blank"},
		{"workbook with custom fields", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerWorkbook, ID: 18, CompanyID: 1, Data: &WorkbookData{ID: "a", WorkspaceID: "b"}}}
		}, []string{"/configs/mcpConfigs/0/companyId", "/configs/mcpConfigs/0/id"}, "only CUSTOM"},

		{"workbook rag", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "ec34", Type: ConnWorkbookRAG, SourceType: "BACKEND", Data: &ConnectorData{Title: "t", WorkspaceID: "w", WorkspaceName: "n"}}}
		}, nil, ""},
		{"workbook rag with a name", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "ec34", Type: ConnWorkbookRAG, Data: &ConnectorData{Title: "t", Name: "n"}}}
		}, []string{"/configs/connectors/0/data/name"}, "not part of WORKBOOK_RAG data (its fields: title, description, workspaceId, workspaceName)"},
		{"workspace documents", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "055b", Type: ConnWorkspaceDocs, Data: &ConnectorData{Name: "Link_v2"}}}
		}, nil, ""},
		{"workspace documents with workbook fields", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "055b", Type: ConnWorkspaceDocs, Data: &ConnectorData{Name: "Link_v2", Title: "t", WorkspaceID: "w"}}}
		}, []string{"/configs/connectors/0/data/title", "/configs/connectors/0/data/workspaceId"}, "its field: name"},
		{"knowledge base record", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "bca6", Type: ConnKnowledgeBase, Data: &ConnectorData{ID: "bca6", Name: "KB", Type: "WEB", Status: "ACTIVE", LatestRun: Object{"id": "x"}}}}
		}, nil, ""},
		{"knowledge base record with another id", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "bca6", Type: ConnKnowledgeBase, Data: &ConnectorData{ID: "5ef2"}}}
		}, []string{"/configs/connectors/0/data/id"}, `must equal the connector id "bca6"`},
		{"knowledge base with workbook fields", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "bca6", Type: ConnKnowledgeBase, Data: &ConnectorData{WorkspaceName: "n"}}}
		}, []string{"/configs/connectors/0/data/workspaceName"}, "knowledge base record"},
		{"workbook rag with KB fields", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "ec34", Type: ConnWorkbookRAG, Data: &ConnectorData{Status: "ACTIVE", ActiveConfig: Object{}}}}
		}, []string{"/configs/connectors/0/data/activeConfig", "/configs/connectors/0/data/status"}, "not part of WORKBOOK_RAG data"},
		{"connector", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "315", Type: ConnConnector, SourceType: "AI"}}
		}, nil, ""},
		{"connector with data", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: "315", Type: ConnConnector, Data: &ConnectorData{Name: "x"}}}
		}, []string{"/configs/connectors/0/data"}, "carries no data"},
		{"blank connector id", func(r *Request) {
			r.Configs.Connectors = []Connector{{ID: " ", Type: ConnConnector}}
		}, []string{"/configs/connectors/0/id"}, "blank"},
		{"errors are all reported, by index", func(r *Request) {
			r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerCustom, URL: "u"}, {ServerType: ServerWorkbook}}
			r.Configs.Connectors = []Connector{{ID: "1", Type: ConnWorkbookRAG}, {ID: "", Type: ConnConnector}}
		}, []string{"/configs/connectors/1/id", "/configs/mcpConfigs/1/data"}, ""},
	}
	p := &Provider{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.mutate(&r)
			errs := p.Check(&r)
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
			}
			slices.Sort(fields)
			if !slices.Equal(fields, tt.fields) {
				t.Fatalf("fields = %v, want %v\n%s", fields, tt.fields, errs)
			}
			if tt.text != "" && !strings.Contains(errs.Error(), tt.text) {
				t.Errorf("messages lack %q:\n%s", tt.text, errs)
			}
		})
	}
}

// Check must never quote a server URL: it may carry a token.
func TestCheckKeepsURLsOut(t *testing.T) {
	r := valid()
	r.Configs.MCPConfigs = []MCPConfig{{ServerType: ServerCustom, URL: "https://mcp.example/?token=canary-url-token", Data: &WorkbookData{}}}
	errs := (&Provider{}).Check(&r)
	if len(errs) == 0 || strings.Contains(errs.Error(), "canary-url-token") {
		t.Fatalf("errors = %q", errs)
	}
}
