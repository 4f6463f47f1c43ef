// Package computeragents creates agents with the Computer Agents ("ACP") API:
// POST {base}/v1/agents, Authorization: Bearer <key>; the 201 body wraps the
// agent as {"agent": {...}}.
package computeragents

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/agentmcp/agentmcp/providers"
)

// Environment variables read by the provider.
const (
	EnvAPIKey  = "COMPUTER_AGENTS_API_KEY"
	EnvBaseURL = "COMPUTER_AGENTS_BASE_URL"
	// DefaultBaseURL is the documented host; the provider appends /v1/agents.
	DefaultBaseURL = "https://api.computer-agents.com"
)

const name = "Computer Agents"

// Provider implements providers.Provider[Request].
type Provider struct {
	baseURL string // without /v1
}

// New reads the provider's settings (not its credentials) from env.
func New(env providers.Env) (*Provider, error) {
	base, err := providers.BaseURL(env, EnvBaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("computeragents: %w", err)
	}
	// The vendor's API overview gives the base URL as https://api.computer-agents.com/v1;
	// accept that form too rather than calling /v1/v1/agents.
	base = strings.TrimSuffix(base, "/v1")
	return &Provider{baseURL: base}, nil
}

func (p *Provider) agentsURL() string { return providers.JoinURL(p.baseURL, "v1/agents") }

// Describe implements providers.Provider.
func (p *Provider) Describe() providers.Descriptor {
	return providers.Descriptor{
		Slug:        "computer_agents",
		Name:        name,
		Description: "Create a Computer Agents (computer-agents.com) agent: name and model required; skills and permissions optional.",
		Credentials: []providers.CredentialSpec{
			{Key: "api_key", Env: EnvAPIKey, Header: "X-Computer-Agents-Api-Key", Required: true},
		},
		Settings: []providers.Setting{
			{Env: EnvBaseURL, Default: DefaultBaseURL, Usage: "API base URL, without /v1 (a trailing /v1 is dropped)"},
		},
		VerifyHint: fmt.Sprintf("list agents with GET %s?limit=100&offset=0 (Authorization: Bearer <key>; raise offset to page), or GET %s/{agentId} for a known id",
			p.agentsURL(), p.agentsURL()),
	}
}

// Prepare implements providers.Provider; nothing is filled in.
func (p *Provider) Prepare(*Request) error { return nil }

// AgentName implements providers.Provider.
func (p *Provider) AgentName(r *Request) string { return r.Name }

// Idempotent implements providers.Provider. Always false, even with a custom
// id: the document does not say what a second POST with a taken id does
// (409, upsert or a fresh id), so a retry after a lost response may create a
// second agent. For the same reason there is no ClientID method.
func (p *Provider) Idempotent(*Request) bool { return false }

// GivenID is the custom id the request asks for: not a safe retry, but the
// id to look the agent up by when the outcome is unknown.
func (p *Provider) GivenID(r *Request) string { return r.ID }

// Build implements providers.Provider.
func (p *Provider) Build(r *Request, creds providers.Credentials, _ providers.Attempt) (*providers.Outgoing, error) {
	body, err := providers.JSONBody(r)
	if err != nil {
		return nil, fmt.Errorf("computeragents: encode request: %w", err)
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+creds.Get("api_key").Reveal())
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	return &providers.Outgoing{Method: http.MethodPost, URL: p.agentsURL(), Header: h, Body: body}, nil
}

// errorBody is the vendor's error shape: {error, message} or the extended
// {error, message, code, details: [{field, message}]}.
// Every field is lenient: one of another shape (a numeric code) must not
// cost the rest their message.
type errorBody struct {
	Error   providers.Text  `json:"error"`
	Message providers.Text  `json:"message"`
	Code    providers.Text  `json:"code"`
	Details json.RawMessage `json:"details"`
}

type fieldDetail struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Vendor error codes that mean a billing limit.
const (
	CodeInsufficientBudget = "INSUFFICIENT_BUDGET"
	CodeUsageExhausted     = "USAGE_EXHAUSTED"
)

// Parse implements providers.Provider.
func (p *Provider) Parse(resp *providers.Incoming) (*providers.Created, error) {
	if resp.Status < 200 || resp.Status > 299 {
		return nil, p.statusError(resp)
	}
	// Numbers as written: an id sent as a number is kept, digit for digit.
	var whole map[string]any
	if err := providers.DecodeObject(resp.Body, &whole); err != nil {
		return nil, fmt.Errorf("computeragents: decode agent: %w", err)
	}
	agent, _ := whole["agent"].(map[string]any)
	for k, v := range whole {
		if agent == nil && strings.EqualFold(k, "agent") {
			agent, _ = v.(map[string]any) // as encoding/json matches a key
		}
	}
	if agent == nil {
		return nil, errors.New(`computeragents: response has no "agent" object`)
	}
	id := providers.AgentIDOf(agent["id"])
	if id == "" {
		return nil, errors.New("computeragents: response agent has no id")
	}
	c := &providers.Created{AgentID: id, Agent: agent, RequestID: resp.Header.Get("X-Request-Id")}
	if active, ok := agent["isActive"].(bool); ok {
		c.Status = "inactive"
		if active {
			c.Status = "active"
		}
	}
	return c, nil
}

func (p *Provider) statusError(resp *providers.Incoming) *providers.VendorError {
	var eb errorBody
	code, msg := "", ""
	if json.Unmarshal(resp.Body, &eb) == nil {
		code, msg = string(eb.Code), string(eb.Message)
		switch {
		case msg == "":
			msg = string(eb.Error)
		case code == "":
			code = string(eb.Error)
		}
		if d := details(eb.Details); d != "" {
			if msg == "" {
				msg = d
			} else {
				msg += " (" + d + ")"
			}
		}
	}
	ve := providers.NewStatusError(name, resp, code, msg)
	ve.RequestID = resp.Header.Get("X-Request-Id") // as on a success
	switch {
	case resp.Status == http.StatusPaymentRequired || code == CodeInsufficientBudget || code == CodeUsageExhausted:
		what := "budget or usage"
		switch code {
		case CodeInsufficientBudget:
			what = "budget"
		case CodeUsageExhausted:
			what = "plan usage"
		}
		ve.Hint = "This is a billing limit: the Computer Agents account's " + what + " is exhausted, not a problem with the request. " +
			"Raise the budget or wait for usage to reset; calling again before that fails the same way"
		// Even as a 429: retrying within the call cannot outwait a billing
		// period. A 5xx keeps its class: the server may have created the agent.
		if resp.Status < 500 {
			ve.Retry = providers.Final
		}
	case resp.Status == http.StatusForbidden:
		ve.Hint = "The API key needs the agents:write (or *) scope"
	case resp.Status == http.StatusConflict:
		ve.Hint = "An agent with that name or id already exists: choose another, or use the existing agent (GET " + p.agentsURL() + ")"
	case resp.Status == http.StatusRequestEntityTooLarge:
		ve.Hint = "Shorten instructions or metadata"
	}
	return ve
}

// details renders the extended error's field messages. The documented form
// is [{field, message}]; the SDK types details as an object, rendered as
// key: value pairs.
func details(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var list []fieldDetail
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, d := range list {
			switch {
			case d.Field != "" && d.Message != "":
				parts = append(parts, d.Field+": "+d.Message)
			case d.Message != "":
				parts = append(parts, d.Message)
			case d.Field != "":
				parts = append(parts, d.Field+": invalid")
			}
		}
		return strings.Join(parts, "; ")
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil {
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			switch v := obj[k].(type) {
			case string:
				parts = append(parts, k+": "+v)
			case float64, bool:
				parts = append(parts, fmt.Sprintf("%s: %v", k, v))
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}
