// Package everruns creates agents with the Everruns API: POST {base}/v1/agents,
// Authorization: <API key> (no Bearer), optional X-Org-Id header.
package everruns

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/agentmcp/agentmcp/providers"
)

// Environment variables read by the provider.
const (
	EnvAPIKey  = "EVERRUNS_API_KEY"
	EnvBaseURL = "EVERRUNS_API_URL"
	EnvOrgID   = "EVERRUNS_ORG_ID"
	// DefaultBaseURL is the documented production server.
	DefaultBaseURL = "https://app.everruns.com/api"
)

// Server-side limits (Everruns api/validation.rs). The server answers a
// breach only with a generic "Input exceeds allowed limits", so Check names
// the field and the size.
const (
	MaxNameBytes         = 2 << 10
	MaxDescriptionBytes  = 10 << 10
	MaxSystemPromptBytes = 1 << 20
	MaxCapabilities      = 250
)

// IDPrefix starts every agent id, and ModelIDPrefix every model record id;
// 32 lowercase hex digits follow, as in every Everruns id.
const (
	IDPrefix      = "agent_"
	ModelIDPrefix = "model_"
	idHexDigits   = 32
)

const name = "Everruns"

// Provider implements providers.Provider[Request].
type Provider struct {
	baseURL string
	orgID   string
}

// New reads the provider's settings (not its credentials) from env.
func New(env providers.Env) (*Provider, error) {
	base, err := providers.BaseURL(env, EnvBaseURL, DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("everruns: %w", err)
	}
	// Self-hosted docs give the base as https://your-domain.com/v1/: accept
	// that form too rather than calling /v1/v1/agents.
	base = strings.TrimSuffix(base, "/v1")
	orgID, err := env.HeaderSetting(EnvOrgID)
	if err != nil {
		return nil, fmt.Errorf("everruns: %w", err)
	}
	return &Provider{baseURL: base, orgID: orgID}, nil
}

func (p *Provider) agentsURL() string { return providers.JoinURL(p.baseURL, "v1/agents") }

// Describe implements providers.Provider.
func (p *Provider) Describe() providers.Descriptor {
	return providers.Descriptor{
		Slug:        "everruns",
		Name:        name,
		Description: "Create an Everruns (everruns.com) agent from name and system_prompt, with optional capabilities, tags and model.",
		Credentials: []providers.CredentialSpec{
			{Key: "api_key", Env: EnvAPIKey, Header: "X-Everruns-Api-Key", Required: true},
		},
		Settings: []providers.Setting{
			{Env: EnvBaseURL, Default: DefaultBaseURL, Usage: "API base URL (self-hosted deployments)"},
			{Env: EnvOrgID, Usage: "organization (X-Org-Id header); needed when a key spans several"},
		},
		VerifyHint: fmt.Sprintf("get it by id with GET %s/{id}, or list agents with GET %s (header Authorization: <API key>, no Bearer)",
			p.agentsURL(), p.agentsURL()),
		// POST /v1/agents upserts: a caller-chosen id of an existing agent
		// replaces that agent.
		Overwrites: true,
	}
}

// Check applies the rules the schema cannot express: byte limits and the id format.
func (p *Provider) Check(r *Request) providers.FieldErrors {
	var errs providers.FieldErrors
	limit := func(field, v string, max int, human string) {
		if n := len(v); n > max {
			errs.Add(field, "is %d bytes (UTF-8); Everruns allows at most %d bytes (%s)", n, max, human)
		}
	}
	// Empty ones are the schema's to report; spaces alone pass its minLength.
	blank := func(field, v string) {
		if v != "" && strings.TrimSpace(v) == "" {
			errs.Add(field, "must not be blank")
		}
	}
	blank("/name", r.Name)
	blank("/system_prompt", r.SystemPrompt)
	limit("/name", r.Name, MaxNameBytes, "2 KiB")
	limit("/description", r.Description, MaxDescriptionBytes, "10 KiB")
	limit("/system_prompt", r.SystemPrompt, MaxSystemPromptBytes, "1 MiB")
	if n := len(r.Capabilities); n > MaxCapabilities {
		errs.Add("/capabilities", "has %d items; Everruns allows at most %d", n, MaxCapabilities)
	}
	for i, c := range r.Capabilities {
		if strings.TrimSpace(c.Ref) == "" {
			errs.Add(fmt.Sprintf("/capabilities/%d/ref", i), "required: a capability id such as current_time")
		}
	}
	if r.ID != "" {
		if msg := idProblem(r.ID); msg != "" {
			errs.Add("/id", "%s", msg)
		}
	}
	// The server parses it as a model id and refuses any other form; a
	// model name such as gpt-4o is the likely mistake.
	if r.DefaultModelID != "" {
		if msg := modelIDProblem(r.DefaultModelID); msg != "" {
			errs.Add("/default_model_id", "%s", msg)
		}
	}
	return errs
}

// Precheck gives an empty id its own advice: the schema's pattern alone
// reads as a demand to make one up. A capability given as its bare id, the
// form older Everruns documents showed, is told the object to write instead
// of the schema's "want object". The tool asks it when schema validation
// refuses the arguments.
func (p *Provider) Precheck(raw []byte) providers.FieldErrors {
	var errs providers.FieldErrors
	if providers.EmptyString(raw, "id") {
		errs.Add("/id", "is empty: leave id out to have one generated, or give agent_ followed by 32 lowercase hex digits")
	}
	var args struct {
		Capabilities []json.RawMessage `json:"capabilities"`
	}
	_ = json.Unmarshal(raw, &args) // a wrong type is the schema's to report
	for i, item := range args.Capabilities {
		var ref string
		if len(item) > 0 && item[0] == '"' && json.Unmarshal(item, &ref) == nil && ref != "" {
			obj, _ := providers.JSONBody(map[string]string{"ref": ref})
			errs.Add(fmt.Sprintf("/capabilities/%d", i), "write the capability as %s, not as a bare id (add \"config\" for its settings)", obj)
		}
	}
	return errs
}

// idProblem explains why id is not agent_ + 32 lowercase hex digits, or
// returns "" when it is.
func idProblem(id string) string {
	return prefixedIDProblem(id, IDPrefix, `must be "agent_" followed by exactly 32 lowercase hex digits (or omit id to have one generated)`)
}

// modelIDProblem explains why id is not model_ + 32 lowercase hex digits,
// the id of a model record, or returns "" when it is.
func modelIDProblem(id string) string {
	return prefixedIDProblem(id, ModelIDPrefix, `must be "model_" followed by exactly 32 lowercase hex digits: the id of an Everruns model record `+
		`(GET /v1/models lists them; /v1/llm-models on older servers), not a model name; or omit it for the system default`)
}

// prefixedIDProblem explains why id is not prefix + 32 lowercase hex digits,
// after want, or returns "" when it is. It counts the digits because the
// document's own examples are one short, a mistake that is hard to see.
func prefixedIDProblem(id, prefix, want string) string {
	rest, ok := strings.CutPrefix(id, prefix)
	id = providers.Clip(id, 80) // quoted below; a wrong value may be long
	if !ok {
		return fmt.Sprintf("%s; %q does not start with %q", want, id, prefix)
	}
	digits, upper := 0, false
	for _, c := range rest {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			digits++
		case c >= 'A' && c <= 'F':
			upper = true
		default:
			return fmt.Sprintf("%s; %q contains %q, which is not a hex digit", want, id, c)
		}
	}
	if upper {
		return fmt.Sprintf("%s; %q has uppercase hex digits", want, id)
	}
	if digits != idHexDigits {
		return fmt.Sprintf("%s; %q has %d hex digits", want, id, digits)
	}
	return ""
}

// NewID returns a fresh agent id: a UUIDv7 in 32-hex simple form after "agent_",
// the form Everruns itself generates.
func NewID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("everruns: generate agent id: %w", err)
	}
	return IDPrefix + strings.ReplaceAll(u.String(), "-", ""), nil
}

// Prepare implements providers.Provider: it gives the request an id before the
// first attempt, so every attempt carries the same one and a retry updates the
// agent the lost attempt made instead of making a second.
func (p *Provider) Prepare(r *Request) error {
	if r.ID != "" {
		return nil
	}
	id, err := NewID()
	if err != nil {
		return err
	}
	r.ID = id
	return nil
}

// ClientID is the id the request carries; the tool layer records it in the
// journal and names it when an outcome is unknown.
func (p *Provider) ClientID(r *Request) string { return r.ID }

// AgentName implements providers.Provider.
func (p *Provider) AgentName(r *Request) string { return r.Name }

// Idempotent implements providers.Provider: Everruns upserts by id, so
// resending a request with the same id cannot create a second agent.
func (p *Provider) Idempotent(r *Request) bool { return r.ID != "" }

// Build implements providers.Provider.
func (p *Provider) Build(r *Request, creds providers.Credentials, _ providers.Attempt) (*providers.Outgoing, error) {
	body, err := providers.JSONBody(r)
	if err != nil {
		return nil, fmt.Errorf("everruns: encode request: %w", err)
	}
	h := http.Header{}
	// The raw key: Everruns validates "Bearer <token>" as a session JWT and
	// would refuse an API key sent that way.
	h.Set("Authorization", creds.Get("api_key").Reveal())
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	if p.orgID != "" {
		h.Set("X-Org-Id", p.orgID)
	}
	return &providers.Outgoing{Method: http.MethodPost, URL: p.agentsURL(), Header: h, Body: body}, nil
}

// errorBody covers both error shapes: the document's {"error": "..."} and the
// newer RFC 9457 problem+json.
type errorBody struct {
	Error             any    `json:"error"`
	Title             string `json:"title"`
	Detail            string `json:"detail"`
	Code              any    `json:"code"`
	RetryAfterSeconds any    `json:"retry_after_seconds"`
}

// limitsMessage is the server's whole answer to an oversized field.
const limitsMessage = "Input exceeds allowed limits"

// Parse implements providers.Provider.
func (p *Provider) Parse(resp *providers.Incoming) (*providers.Created, error) {
	if resp.Status < 200 || resp.Status > 299 {
		return nil, p.statusError(resp)
	}
	// Numbers as written, as for the other vendors.
	var agent map[string]any
	if err := providers.DecodeObject(resp.Body, &agent); err != nil {
		return nil, fmt.Errorf("everruns: decode agent: %w", err)
	}
	id, _ := agent["id"].(string)
	if id == "" {
		return nil, fmt.Errorf("everruns: response has no agent id")
	}
	status, _ := agent["status"].(string)
	return &providers.Created{AgentID: id, Agent: agent, RequestID: resp.Header.Get("X-Request-Id"), Status: status}, nil
}

func (p *Provider) statusError(resp *providers.Incoming) *providers.VendorError {
	var eb errorBody
	var msg, code string
	var retryAfter time.Duration
	if json.Unmarshal(resp.Body, &eb) == nil {
		msg = firstNonEmpty(eb.Detail, eb.Title, text(eb.Error))
		code = text(eb.Code)
		if secs, ok := eb.RetryAfterSeconds.(float64); ok && secs > 0 {
			retryAfter = providers.Seconds(secs)
		}
	}
	ve := providers.NewStatusError(name, resp, code, msg)
	// Both the header and the body may say how long to wait: a retry sooner
	// than either asks is refused again.
	ve.RetryAfter = max(ve.RetryAfter, retryAfter)
	ve.RequestID = resp.Header.Get("X-Request-Id")
	switch {
	case resp.Status == http.StatusUnauthorized:
		ve.Hint = "Check the Everruns API key (" + EnvAPIKey + ", or the X-Everruns-Api-Key header with --header-credentials): Everruns takes the raw API key (Authorization: evr_...), not a Bearer token"
	case resp.Status == http.StatusForbidden && p.orgID == "":
		ve.Hint = "Check that the Everruns API key (" + EnvAPIKey + ", or the X-Everruns-Api-Key header) may create agents; if it spans several organizations, set " + EnvOrgID
	case msg == limitsMessage:
		ve.Hint = fmt.Sprintf("Limits: name %d bytes, description %d bytes, system_prompt %d bytes, %d capabilities",
			MaxNameBytes, MaxDescriptionBytes, MaxSystemPromptBytes, MaxCapabilities)
	}
	return ve
}

// text renders a string or number field of an error body ("" for anything else).
func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return fmt.Sprint(t)
	}
	return ""
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
