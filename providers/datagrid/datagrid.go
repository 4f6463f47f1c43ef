// Package datagrid creates agents with the Datagrid API: POST {base}/agents,
// Authorization: Bearer <key>, optional Datagrid-Teamspace header.
package datagrid

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentmcp/agentmcp/providers"
)

// Environment variables read by the provider.
const (
	EnvAPIKey    = "DATAGRID_API_KEY"
	EnvBaseURL   = "DATAGRID_BASE_URL"
	EnvTeamspace = "DATAGRID_TEAMSPACE_ID"
	// DefaultBaseURL is the documented server.
	DefaultBaseURL = "https://api.datagrid.com/v1"
)

const name = "Datagrid"

// Provider implements providers.Provider[Request].
type Provider struct {
	baseURL   string
	teamspace string
}

// New reads the provider's settings (not its credentials) from env.
func New(env providers.Env) (*Provider, error) {
	base, err := providers.BaseURL(env, EnvBaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("datagrid: %w", err)
	}
	teamspace, err := env.HeaderSetting(EnvTeamspace)
	if err != nil {
		return nil, fmt.Errorf("datagrid: %w", err)
	}
	return &Provider{baseURL: base, teamspace: teamspace}, nil
}

// Describe implements providers.Provider.
func (p *Provider) Describe() providers.Descriptor {
	return providers.Descriptor{
		Slug:        "datagrid",
		Name:        name,
		Description: "Create a Datagrid (datagrid.com) data agent with its models, tools, MCP servers and knowledge. Every field is optional.",
		Credentials: []providers.CredentialSpec{
			{Key: "api_key", Env: EnvAPIKey, Header: "X-Datagrid-Api-Key", Required: true},
		},
		Settings: []providers.Setting{
			{Env: EnvBaseURL, Default: DefaultBaseURL, Usage: "API base URL"},
			{Env: EnvTeamspace, Usage: "teamspace to create the agent in (Datagrid-Teamspace header)"},
		},
		VerifyHint: fmt.Sprintf("list agents with GET %s (Authorization: Bearer <key>)", providers.JoinURL(p.baseURL, "agents")),
	}
}

// Check applies the document's rules that the schema cannot express.
func (p *Provider) Check(r *Request) providers.FieldErrors {
	var errs providers.FieldErrors
	var corpus []CorpusItem
	if r.Corpus != nil {
		corpus = *r.Corpus
	}
	for i, c := range corpus {
		at := fmt.Sprintf("/corpus/%d", i)
		switch c.Type {
		case CorpusKnowledge:
			if c.KnowledgeID == "" {
				errs.Add(at+"/knowledge_id", "required when type is \"knowledge\"")
			}
			if c.PageID != "" {
				errs.Add(at+"/page_id", "not allowed when type is \"knowledge\" (use type \"page\" for a page)")
			}
		case CorpusPage:
			if c.PageID == "" {
				errs.Add(at+"/page_id", "required when type is \"page\"")
			}
			if c.KnowledgeID != "" {
				errs.Add(at+"/knowledge_id", "not allowed when type is \"page\" (use type \"knowledge\" for knowledge)")
			}
		}
	}
	if r.Tools != nil {
		names := make([]string, len(*r.Tools))
		for i, t := range *r.Tools {
			names[i] = t.Name
		}
		errs = append(errs, modelToolRules(r.AgentModel, names, "/name")...)
	}
	return errs
}

// modelToolRules are the tools agent_model allows, for tools named names;
// an item's problem is at /tools/<i> followed by suffix.
func modelToolRules(model string, names []string, suffix string) providers.FieldErrors {
	var errs providers.FieldErrors
	switch model {
	case "magpie-1.1-flash":
		for i, name := range names {
			if name != "semantic_search" {
				errs.Add(fmt.Sprintf("/tools/%d%s", i, suffix), "agent_model magpie-1.1-flash supports only the semantic_search tool, got %q", name)
			}
		}
	case "llm-only":
		if len(names) > 0 {
			errs.Add("/tools", "agent_model llm-only runs no tools: omit tools or pass []")
		}
	}
	return errs
}

// Prepare implements providers.Provider; Datagrid needs nothing filled in.
func (p *Provider) Prepare(*Request) error { return nil }

// AgentName implements providers.Provider.
func (p *Provider) AgentName(r *Request) string { return r.Name }

// Idempotent implements providers.Provider: Datagrid has no client-chosen id.
func (p *Provider) Idempotent(*Request) bool { return false }

// Build implements providers.Provider.
func (p *Provider) Build(r *Request, creds providers.Credentials, _ providers.Attempt) (*providers.Outgoing, error) {
	body, err := providers.JSONBody(r)
	if err != nil {
		return nil, fmt.Errorf("datagrid: encode request: %w", err)
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+creds.Get("api_key").Reveal())
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	if p.teamspace != "" {
		h.Set("Datagrid-Teamspace", p.teamspace)
	}
	return &providers.Outgoing{Method: http.MethodPost, URL: providers.JoinURL(p.baseURL, "agents"), Header: h, Body: body}, nil
}

// errorBody is Datagrid's JSON error envelope, or the RFC 9457 problem
// details its batch endpoints answer with (title, detail). Every field is
// lenient: one of another shape must not cost the rest their message.
type errorBody struct {
	Error   providers.Text  `json:"error"`
	Message providers.Text  `json:"message"`
	Title   providers.Text  `json:"title"`
	Detail  providers.Text  `json:"detail"`
	Details json.RawMessage `json:"details"`
}

// reason is details.reason, when details is an object.
func (eb errorBody) reason() string {
	var d struct {
		Reason providers.Text `json:"reason"`
	}
	if json.Unmarshal(eb.Details, &d) != nil {
		return ""
	}
	return string(d.Reason)
}

// Parse implements providers.Provider.
func (p *Provider) Parse(resp *providers.Incoming) (*providers.Created, error) {
	if resp.Status < 200 || resp.Status > 299 {
		var eb errorBody
		msg := ""
		if json.Unmarshal(resp.Body, &eb) == nil {
			msg = cmp.Or(string(eb.Message), string(eb.Detail), string(eb.Title))
			switch reason := eb.reason(); {
			case msg == "":
				msg = reason
			case reason != "" && reason != msg:
				msg += " (" + reason + ")"
			}
		}
		ve := providers.NewStatusError(name, resp, string(eb.Error), msg)
		ve.RequestID = resp.Header.Get("X-Request-Id")
		// Datagrid sends Retry-After on every answer once the rate window is
		// used up (X-RateLimit-Remaining: 0), so on such a 503 it does not
		// say the request was turned away unprocessed.
		if resp.Status == http.StatusServiceUnavailable && ve.Retry == providers.NotProcessed &&
			strings.TrimSpace(resp.Header.Get("X-RateLimit-Remaining")) == "0" {
			ve.Retry = providers.MaybeProcessed
		}
		return nil, ve
	}
	// Numbers as written: an id sent as a number is kept, digit for digit.
	var agent map[string]any
	if err := providers.DecodeObject(resp.Body, &agent); err != nil {
		return nil, fmt.Errorf("datagrid: decode agent: %w", err)
	}
	id := providers.AgentIDOf(agent["id"])
	if id == "" {
		return nil, fmt.Errorf("datagrid: response has no agent id")
	}
	return &providers.Created{AgentID: id, Agent: agent, RequestID: resp.Header.Get("X-Request-Id")}, nil
}
