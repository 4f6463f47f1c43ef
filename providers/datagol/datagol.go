// Package datagol creates custom agents with the DataGOL API:
// POST {base}/customAgents/api/v1 with the service-account key in x-auth-token.
package datagol

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/agentmcp/agentmcp/providers"
)

// Environment variables read by the provider.
const (
	EnvAPIKey  = "DATAGOL_API_KEY"
	EnvBaseURL = "DATAGOL_BASE_URL"
	// DefaultBaseURL is the documented production backend.
	DefaultBaseURL = "https://be.datagol.ai"
)

const (
	name      = "DataGOL"
	agentPath = "customAgents/api/v1"
)

// Provider implements providers.Provider[Request].
type Provider struct {
	baseURL string
}

// New reads the provider's settings (not its credentials) from env.
func New(env providers.Env) (*Provider, error) {
	base, err := providers.BaseURL(env, EnvBaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("datagol: %w", err)
	}
	return &Provider{baseURL: base}, nil
}

// Describe implements providers.Provider.
func (p *Provider) Describe() providers.Descriptor {
	return providers.Descriptor{
		Slug:        "datagol",
		Name:        name,
		Description: "Create a DataGOL (datagol.ai) custom agent with MCP servers and knowledge connectors. uiMetadata and configs may be {}.",
		Credentials: []providers.CredentialSpec{
			{Key: "api_key", Env: EnvAPIKey, Header: "X-Datagol-Api-Key", Required: true},
		},
		Settings: []providers.Setting{
			{Env: EnvBaseURL, Default: DefaultBaseURL, Usage: "backend API base URL"},
		},
		VerifyHint: fmt.Sprintf("list agents with GET %s (header x-auth-token: <key>)", providers.JoinURL(p.baseURL, agentPath)),
	}
}

// Check applies the rules the schema cannot express. The document shows the
// inner objects only by example, so the rules are the ones an item is
// meaningless or self-contradictory without: each server and connector
// carries only its own variant's fields, and a WORKBOOK server names its
// workbook, a CUSTOM one its server.
func (p *Provider) Check(r *Request) providers.FieldErrors {
	var errs providers.FieldErrors
	// An absent name is the schema's to report (missing), and an empty one
	// Precheck's: Check cannot tell them apart.
	if r.Name != "" && strings.TrimSpace(r.Name) == "" {
		errs.Add("/name", "must not be blank")
	}
	if c := r.UIMetadata.Capabilities; c != nil && c.Models != nil {
		m := c.Models
		if m.DefaultValue != "" && len(m.SupportedModels) > 0 && !slices.Contains(m.SupportedModels, m.DefaultValue) {
			errs.Add("/uiMetadata/capabilities/models/defaultValue", "%q is not in supportedModels (%s)", m.DefaultValue, strings.Join(m.SupportedModels, ", "))
		}
	}
	for i, m := range r.Configs.MCPConfigs {
		at := fmt.Sprintf("/configs/mcpConfigs/%d", i)
		switch m.ServerType {
		case ServerCustom:
			if m.Data != nil {
				errs.Add(at+"/data", "only WORKBOOK servers carry data; a CUSTOM server is given by url (and id, companyId of a registered server)")
			}
			if m.URL == "" && m.ID == 0 {
				errs.Add(at+"/url", "a CUSTOM server needs its url, or the id of a server registered in DataGOL")
			}
		case ServerWorkbook:
			if m.Data == nil {
				errs.Add(at+"/data", "required for a WORKBOOK server: {\"id\": <workbook id>, \"workspaceId\": <workspace id>}")
			} else {
				if strings.TrimSpace(m.Data.ID) == "" {
					errs.Add(at+"/data/id", "must not be blank: the workbook id")
				}
				if strings.TrimSpace(m.Data.WorkspaceID) == "" {
					errs.Add(at+"/data/workspaceId", "must not be blank: the workbook's workspace id")
				}
			}
			if m.ID != 0 {
				errs.Add(at+"/id", "only CUSTOM servers have an id; a WORKBOOK server is named by data.id")
			}
			if m.CompanyID != 0 {
				errs.Add(at+"/companyId", "only CUSTOM servers have a companyId")
			}
		}
	}
	for i, c := range r.Configs.Connectors {
		at := fmt.Sprintf("/configs/connectors/%d", i)
		if strings.TrimSpace(c.ID) == "" {
			errs.Add(at+"/id", "must not be blank")
		}
		if c.Data == nil {
			continue
		}
		if c.Type == ConnConnector {
			errs.Add(at+"/data", "a CONNECTOR connector carries no data: send id, type and sourceType only")
			continue
		}
		if !slices.Contains([]string{ConnWorkbookRAG, ConnWorkspaceDocs, ConnKnowledgeBase}, c.Type) {
			// The schema refuses the type itself; which data fields belong
			// depends on the type the caller meant, so none is blamed here.
			continue
		}
		for _, f := range c.Data.foreignFields(c.Type) {
			errs.Add(at+"/data/"+f, "not part of %s data (%s)", c.Type, dataFieldsOf(c.Type))
		}
		if c.Type == ConnKnowledgeBase && c.Data.ID != "" && c.Data.ID != c.ID {
			errs.Add(at+"/data/id", "the knowledge base record's id must equal the connector id %q", c.ID)
		}
	}
	return errs
}

func dataFieldsOf(connType string) string {
	switch connType {
	case ConnWorkbookRAG:
		return "its fields: title, description, workspaceId, workspaceName"
	case ConnWorkspaceDocs:
		return "its field: name"
	default:
		return "it is the knowledge base record: id, name, type, companyId, userId, status, lastSyncAt, lastSyncStatus, sourceId, credentialId, activeConfig, latestRun"
	}
}

// Prepare implements providers.Provider; DataGOL needs nothing filled in.
func (p *Provider) Prepare(*Request) error { return nil }

// AgentName implements providers.Provider.
func (p *Provider) AgentName(r *Request) string { return r.Name }

// Idempotent implements providers.Provider: DataGOL takes no client id or
// idempotency key, so a repeated POST can create a second agent.
func (p *Provider) Idempotent(*Request) bool { return false }

// Build implements providers.Provider.
func (p *Provider) Build(r *Request, creds providers.Credentials, _ providers.Attempt) (*providers.Outgoing, error) {
	body, err := providers.JSONBody(r)
	if err != nil {
		return nil, fmt.Errorf("datagol: encode request: %w", err)
	}
	h := http.Header{}
	h.Set("x-auth-token", creds.Get("api_key").Reveal())
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	out := &providers.Outgoing{Method: http.MethodPost, URL: providers.JoinURL(p.baseURL, agentPath), Header: h, Body: body}
	// MCP server URLs may carry tokens: a preview shows them masked in
	// place, since a token such as auth=true masked everywhere would hide
	// every true in the body.
	masked := *r
	masked.Configs.MCPConfigs = slices.Clone(r.Configs.MCPConfigs)
	changed := false
	for i, m := range masked.Configs.MCPConfigs {
		if u := RedactURL(m.URL); u != m.URL {
			masked.Configs.MCPConfigs[i].URL, changed = u, true
		}
	}
	if changed {
		if out.PreviewBody, err = providers.JSONBody(&masked); err != nil {
			return nil, fmt.Errorf("datagol: encode request: %w", err)
		}
	}
	return out, nil
}

// Parse implements providers.Provider. The document states no success status
// and no error shape: any 2xx with an agent object is success, and errors are
// read from the common JSON shapes (Spring's {"error", "message"} among them).
func (p *Provider) Parse(resp *providers.Incoming) (*providers.Created, error) {
	requestID := resp.Header.Get("X-Request-Id")
	if resp.Status < 200 || resp.Status > 299 {
		code, msg := errorOf(resp.Body)
		ve := providers.NewStatusError(name, resp, code, msg)
		// The vendor may quote an MCP server URL, token and all, in any of
		// the fields that reach the model and the journal.
		ve.Code, ve.Message, ve.RequestID = RedactURLsIn(ve.Code), RedactURLsIn(ve.Message), RedactURLsIn(requestID)
		return nil, ve
	}
	// Numbers as written: a numeric id above 2^53 would round as a float64.
	var agent map[string]any
	if err := providers.DecodeObject(resp.Body, &agent); err != nil {
		return nil, fmt.Errorf("datagol: decode agent: %w", err)
	}
	id := scalar(agent["id"])
	if id == "" {
		if _, msg := errorOf(resp.Body); msg != "" {
			return nil, fmt.Errorf("datagol: response has no agent id: %s", RedactURLsIn(msg))
		}
		return nil, fmt.Errorf("datagol: response has no agent id")
	}
	// The created agent echoes its MCP server URLs, tokens and all.
	providers.RewriteStrings(agent, RedactURLsIn)
	return &providers.Created{AgentID: id, Agent: agent, RequestID: requestID}, nil
}

// errorOf reads a code and message from the common JSON error shapes:
// {"message"}, {"error": "..."}, {"error": {"message", "code"}}, {"detail"},
// {"errors": [...]}. Both are "" when the body is not one of them.
func errorOf(body []byte) (code, msg string) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return "", ""
	}
	msg = scalar(m["message"])
	code = scalar(m["code"])
	if code == "" {
		code = scalar(m["errorCode"])
	}
	switch e := m["error"].(type) {
	case string:
		if msg == "" {
			msg = e
		}
	case map[string]any:
		if msg == "" {
			msg = scalar(e["message"])
		}
		if code == "" {
			code = scalar(e["code"])
		}
	}
	if msg == "" {
		msg = scalar(m["detail"])
	}
	if list, ok := m["errors"].([]any); ok && msg == "" {
		var parts []string
		for _, it := range list {
			switch v := it.(type) {
			case string:
				parts = append(parts, v)
			case map[string]any:
				if s := scalar(v["message"]); s != "" {
					parts = append(parts, s)
				}
			}
		}
		msg = strings.Join(parts, "; ")
	}
	return code, msg
}

// scalar renders a JSON string or number as text, anything else as "".
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
