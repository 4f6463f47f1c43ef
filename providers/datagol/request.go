package datagol

import (
	"slices"

	"github.com/invopop/jsonschema"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/schemas"
)

// Request is the body of POST /customAgents/api/v1. Its JSON is the wire body
// and its reflected schema is the tool's input schema. The document requires
// the six top-level fields and shows everything inside uiMetadata and configs
// only by example, so inner fields are optional unless an item means nothing
// without them (a server's serverType, a connector's type and id).
type Request struct {
	Name        string     `json:"name" jsonschema:"minLength=1"`
	Description string     `json:"description" jsonschema_description:"Agent card text."`
	Prompt      string     `json:"prompt" jsonschema_description:"System prompt: role, output format, behaviour."`
	IsPublished bool       `json:"isPublished" jsonschema_description:"false: draft, creator only; true: shared."`
	UIMetadata  UIMetadata `json:"uiMetadata"`
	Configs     Configs    `json:"configs"`
}

// UIMetadata is the chat UI configuration.
type UIMetadata struct {
	Capabilities         *Capabilities `json:"capabilities,omitempty"`
	Style                *Style        `json:"style,omitempty"`
	Input                *Input        `json:"input,omitempty"`
	BestFor              []string      `json:"bestFor,omitempty" jsonschema_description:"Use-case tags."`
	ConversationStarters []string      `json:"conversationStarters,omitempty" jsonschema_description:"Suggested first messages."`
	// Logo is null in the request example and "<unknown>" (an untyped field)
	// in the response, so its form is undocumented. A string (an image
	// reference) is the likeliest; unset it is sent as null, as the example does.
	Logo string `json:"logo,omitempty" jsonschema_description:"Undocumented; omit."`
}

// MarshalJSON sends lists as [] rather than omitting them, as the document's
// example does, and logo as null when unset.
func (u UIMetadata) MarshalJSON() ([]byte, error) {
	type plain UIMetadata
	return providers.JSONBody(struct {
		plain
		BestFor              []string `json:"bestFor"`
		ConversationStarters []string `json:"conversationStarters"`
		Logo                 *string  `json:"logo"`
	}{plain(u), list(u.BestFor), list(u.ConversationStarters), nullable(u.Logo)})
}

// Capabilities are what chat users may do.
type Capabilities struct {
	Models            *Models `json:"models,omitempty"`
	AllowDownload     *bool   `json:"allowDownload,omitempty"`
	ConversationFiles *Toggle `json:"conversationFiles,omitempty"`
}

// Models is the model picker.
type Models struct {
	Enabled         *bool    `json:"enabled,omitempty"`
	SupportedModels []string `json:"supportedModels,omitempty" jsonschema_description:"e.g. gpt-5.2, claude-sonnet-4-6, o4-mini"`
	DefaultValue    string   `json:"defaultValue,omitempty" jsonschema_description:"One of supportedModels."`
}

// Toggle is an on/off capability; enabled is all it carries.
type Toggle struct {
	Enabled bool `json:"enabled"`
}

// Style is the agent's look.
type Style struct {
	Logo *LogoStyle `json:"logo,omitempty"`
}

// LogoStyle colours the generated logo.
type LogoStyle struct {
	BgColor   string `json:"bgColor,omitempty" jsonschema_description:"e.g. #1a1a2e"`
	TextColor string `json:"textColor,omitempty"`
}

// MarshalJSON always sends both colours, "" when not given, as the document's
// example does: to a Java backend "" and absent (null) differ.
func (l LogoStyle) MarshalJSON() ([]byte, error) {
	return providers.JSONBody(struct {
		BgColor   string `json:"bgColor"`
		TextColor string `json:"textColor"`
	}{l.BgColor, l.TextColor})
}

// Input configures the chat input box.
type Input struct {
	Placeholder string `json:"placeholder,omitempty"`
}

// Configs are the agent's data sources and tools.
type Configs struct {
	MCPConfigs       []MCPConfig `json:"mcpConfigs,omitempty" jsonschema_description:"One flat item per server, not the response's {\"CUSTOM\":{...}} form."`
	Connectors       []Connector `json:"connectors,omitempty"`
	WebSearchEnabled *bool       `json:"webSearchEnabled,omitempty"`
	SkillIDs         []int64     `json:"skillIds,omitempty"`
}

// MarshalJSON sends absent lists as [], as the document's example does.
func (c Configs) MarshalJSON() ([]byte, error) {
	type plain Configs
	return providers.JSONBody(struct {
		plain
		MCPConfigs []MCPConfig `json:"mcpConfigs"`
		Connectors []Connector `json:"connectors"`
		SkillIDs   []int64     `json:"skillIds"`
	}{plain(c), list(c.MCPConfigs), list(c.Connectors), list(c.SkillIDs)})
}

// MCP server types.
const (
	ServerCustom   = "CUSTOM"
	ServerWorkbook = "WORKBOOK"
)

// DefaultTransport is the only transport the document shows.
const DefaultTransport = "streamable_http"

// MCPConfig is one MCP server. The document shows two variants told apart by
// serverType: CUSTOM (a registered server: id, url, companyId) and WORKBOOK
// (a workbook's server: data). Check keeps each variant's fields apart and
// MarshalJSON writes only the fields of the item's variant.
type MCPConfig struct {
	ServerType  string `json:"serverType" jsonschema:"enum=CUSTOM,enum=WORKBOOK"`
	ID          int64  `json:"id,omitempty" jsonschema_description:"CUSTOM only."`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// URL is not format-checked: the document's own example has
	// "url": "Financial Sub Agent", and WORKBOOK servers send "".
	URL       string        `json:"url,omitempty" jsonschema_description:"CUSTOM: server URL."`
	Transport string        `json:"transport,omitempty" jsonschema_description:"Default streamable_http."`
	CompanyID int64         `json:"companyId,omitempty" jsonschema_description:"CUSTOM only."`
	Data      *WorkbookData `json:"data,omitempty" jsonschema_description:"WORKBOOK only."`
}

// WorkbookData names the workbook a WORKBOOK server serves.
type WorkbookData struct {
	ID          string `json:"id"`
	WorkspaceID string `json:"workspaceId"`
}

// MarshalJSON writes the item's variant in the document's field order. Name,
// description, url and transport are always sent: every example item has them.
// Like the other MarshalJSON methods here it leaves & < > unescaped, so the
// body and its preview show a URL's query as given.
func (m MCPConfig) MarshalJSON() ([]byte, error) {
	transport := m.Transport
	if transport == "" {
		transport = DefaultTransport
	}
	if m.ServerType == ServerWorkbook {
		return providers.JSONBody(struct {
			ServerType  string        `json:"serverType"`
			Name        string        `json:"name"`
			Description string        `json:"description"`
			URL         string        `json:"url"`
			Transport   string        `json:"transport"`
			Data        *WorkbookData `json:"data,omitempty"`
		}{m.ServerType, m.Name, m.Description, m.URL, transport, m.Data})
	}
	return providers.JSONBody(struct {
		ID          int64  `json:"id,omitempty"`
		Name        string `json:"name"`
		Description string `json:"description"`
		URL         string `json:"url"`
		Transport   string `json:"transport"`
		ServerType  string `json:"serverType"`
		CompanyID   int64  `json:"companyId,omitempty"`
	}{m.ID, m.Name, m.Description, m.URL, transport, m.ServerType, m.CompanyID})
}

// Connector types.
const (
	ConnWorkbookRAG   = "WORKBOOK_RAG"
	ConnWorkspaceDocs = "WORKSPACE_DOCUMENTS"
	ConnKnowledgeBase = "KNOWLEDGE_BASE"
	ConnConnector     = "CONNECTOR"
)

// Connector is one data source, told apart by type. sourceType is not an
// enum: the document only shows BACKEND and AI, and declares no list.
type Connector struct {
	ID         string         `json:"id" jsonschema_description:"Workbook, workspace, KB or connector id."`
	Type       string         `json:"type" jsonschema:"enum=WORKBOOK_RAG,enum=WORKSPACE_DOCUMENTS,enum=KNOWLEDGE_BASE,enum=CONNECTOR"`
	SourceType string         `json:"sourceType,omitempty" jsonschema_description:"Seen: BACKEND, AI (CONNECTOR)."`
	Data       *ConnectorData `json:"data,omitempty" jsonschema_description:"WORKBOOK_RAG: title, description, workspaceId, workspaceName. WORKSPACE_DOCUMENTS: name. KNOWLEDGE_BASE: the KB record. CONNECTOR: none."`
}

// MarshalJSON sends a WORKBOOK_RAG item's four data fields always, "" when
// not given, as every example item has them; Check refuses any other field
// there, so none is lost.
func (c Connector) MarshalJSON() ([]byte, error) {
	type plain Connector
	if c.Type != ConnWorkbookRAG || c.Data == nil {
		return providers.JSONBody(plain(c))
	}
	type workbook struct {
		Title         string `json:"title"`
		Description   string `json:"description"`
		WorkspaceID   string `json:"workspaceId"`
		WorkspaceName string `json:"workspaceName"`
	}
	d := c.Data
	return providers.JSONBody(struct {
		plain
		Data workbook `json:"data"`
	}{plain(c), workbook{d.Title, d.Description, d.WorkspaceID, d.WorkspaceName}})
}

// ConnectorData is one flat shape for what each connector type carries.
// The KNOWLEDGE_BASE data is a whole KB record as DataGOL lists it: its
// identity and status fields are typed so a model can copy them; the sync
// run and config are server-owned state a client only echoes back, so they
// are free-form rather than a guessed structure. The served schema gives each
// field one type, so the example's nulls (sourceId, credentialId,
// activeConfig) are left out by the caller and never sent.
type ConnectorData struct {
	Title         string `json:"title,omitempty"`
	Description   string `json:"description,omitempty"`
	WorkspaceID   string `json:"workspaceId,omitempty"`
	WorkspaceName string `json:"workspaceName,omitempty"`
	Name          string `json:"name,omitempty"`

	ID             string `json:"id,omitempty"`
	CompanyID      int64  `json:"companyId,omitempty"`
	UserID         int64  `json:"userId,omitempty"`
	Type           string `json:"type,omitempty"`
	Status         string `json:"status,omitempty"`
	LastSyncAt     string `json:"lastSyncAt,omitempty"`
	LastSyncStatus string `json:"lastSyncStatus,omitempty"`
	// SourceID is null in both examples; an id string is the likeliest form.
	SourceID     string `json:"sourceId,omitempty"`
	CredentialID int64  `json:"credentialId,omitempty"`
	ActiveConfig Object `json:"activeConfig,omitempty"`
	LatestRun    Object `json:"latestRun,omitempty"`
}

// foreignFields lists the data fields that are set but belong to another
// connector type: the flat shape cannot say which type carries what.
func (d *ConnectorData) foreignFields(connType string) []string {
	wb := []string{ConnWorkbookRAG}
	kb := []string{ConnKnowledgeBase}
	named := []string{ConnWorkspaceDocs, ConnKnowledgeBase}
	fields := []struct {
		name  string
		set   bool
		types []string
	}{
		{"title", d.Title != "", wb},
		{"description", d.Description != "", wb},
		{"workspaceId", d.WorkspaceID != "", wb},
		{"workspaceName", d.WorkspaceName != "", wb},
		{"name", d.Name != "", named},
		{"id", d.ID != "", kb},
		{"companyId", d.CompanyID != 0, kb},
		{"userId", d.UserID != 0, kb},
		{"type", d.Type != "", kb},
		{"status", d.Status != "", kb},
		{"lastSyncAt", d.LastSyncAt != "", kb},
		{"lastSyncStatus", d.LastSyncStatus != "", kb},
		{"sourceId", d.SourceID != "", kb},
		{"credentialId", d.CredentialID != 0, kb},
		{"activeConfig", d.ActiveConfig != nil, kb},
		{"latestRun", d.LatestRun != nil, kb},
	}
	var out []string
	for _, f := range fields {
		if f.set && !slices.Contains(f.types, connType) {
			out = append(out, f.name)
		}
	}
	return out
}

// Object is a deliberately free-form JSON object.
type Object map[string]any

// JSONSchema implements jsonschema's custom schema hook.
func (Object) JSONSchema() *jsonschema.Schema {
	return schemas.FreeForm("")
}

// UnmarshalJSON keeps numbers as written (see providers.DecodeObject).
func (m *Object) UnmarshalJSON(b []byte) error {
	return providers.DecodeObject(b, (*map[string]any)(m))
}

func list[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
