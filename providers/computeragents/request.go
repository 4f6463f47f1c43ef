package computeragents

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/schemas"
)

// Request is the body of POST /v1/agents. Its JSON is the wire body and its
// reflected schema is the tool's input schema. The document requires name and
// model only.
type Request struct {
	ID          string `json:"id,omitempty" jsonschema:"minLength=1" jsonschema_description:"Custom agent id; usually omitted."`
	Name        string `json:"name" jsonschema:"minLength=1"`
	Description string `json:"description,omitempty"`
	// Model is not an enum: workspaces add external and newer models, so the
	// documented ids are listed as guidance only.
	Model           string  `json:"model" jsonschema:"minLength=1" jsonschema_description:"Model id. Managed: claude-opus-4-7, claude-opus-4-6, claude-sonnet-4-5, claude-haiku-4-5, gpt-5.5-pro, gpt-5.5, gpt-5.4, gpt-5.4-mini, gpt-5.4-nano, gemini-3-flash, gemini-3-1-flash, gemini-3-1-pro, deepseek-v4-pro, deepseek-v4-flash, kimi-k2.6. Team/Enterprise: external:{providerType}:{urlEncodedModelId}. Other workspace ids are accepted."`
	Instructions    string  `json:"instructions,omitempty"`
	Binary          *Binary `json:"binary,omitempty" jsonschema_description:"Object {path, args}, not the label \"Claude Code CLI\". Usually omitted."`
	ReasoningEffort string  `json:"reasoningEffort,omitempty" jsonschema:"enum=minimal,enum=low,enum=medium,enum=high" jsonschema_description:"Reasoning intensity."`
	// omitzero: [] (no skills) is sent; only an absent list is left out.
	EnabledSkills     []string       `json:"enabledSkills,omitzero" jsonschema:"minLength=1" jsonschema_description:"Skill IDs, e.g. deep_research or installed skills."`
	DeepResearchModel string         `json:"deepResearchModel,omitempty" jsonschema:"enum=gemini-3-flash-preview,enum=gemini-3-pro-preview" jsonschema_description:"Model for the deep research skill."`
	PermissionSet     *PermissionSet `json:"permissionSet,omitempty" jsonschema_description:"ask_for_permission needs approval. Rules: targetId for agents/skills/servers/computers/projects, path for files/directories."`
	Metadata          Metadata       `json:"metadata,omitzero" jsonschema_description:"Free-form; may hold workspace configuration."`
	// Pointers keep an explicit false apart from "not given".
	IsDefault *bool `json:"isDefault,omitempty" jsonschema_description:"Internal; omit."`
	IsSystem  *bool `json:"isSystem,omitempty" jsonschema_description:"Internal; omit."`
}

// Binary is the runtime executable. The document renders the field's type as
// the text "Claude Code CLI" (a display label, not a JSON type); the vendor's
// SDK types it as AgentBinary {path: string, args?: string[]}, which is what
// is taken and sent here.
type Binary struct {
	Path string   `json:"path" jsonschema:"minLength=1"`
	Args []string `json:"args,omitzero"`
}

// UnmarshalJSON refuses the document's label form with a message that says
// what to send instead, and keeps decoding strict inside the object (a custom
// unmarshaler does not inherit the caller's DisallowUnknownFields).
func (b *Binary) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var label string
		_ = json.Unmarshal(data, &label)
		return fmt.Errorf(`binary %s`, labelProblem(label))
	}
	type plain Binary
	var p plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("binary: %w", err)
	}
	*b = Binary(p)
	return nil
}

// PermissionSet is the subject-typed permission policy.
type PermissionSet struct {
	// Version is a number: the document shows the bare literal 1 and the SDK
	// types it as the numeric literal type 1 (not "1"). Bounds rather than
	// enum [1] or const: Gemini refuses an enum on anything but a string, and
	// fewer clients accept const.
	Version       int        `json:"version,omitempty" jsonschema:"minimum=1,maximum=1"`
	SubjectType   string     `json:"subjectType,omitempty" jsonschema:"enum=agent,enum=human_user,enum=team"`
	DefaultAccess string     `json:"defaultAccess,omitempty" jsonschema:"enum=full_access,enum=ask_for_permission,enum=read_only,enum=no_access"`
	Resources     *Resources `json:"resources,omitempty"`
}

// Resources holds the seven resource categories. The same shape is inlined
// seven times (no $ref), so it carries no descriptions: the permissionSet
// description explains rules once.
type Resources struct {
	Agents      *ResourcePolicy `json:"agents,omitempty"`
	Skills      *ResourcePolicy `json:"skills,omitempty"`
	Servers     *ResourcePolicy `json:"servers,omitempty"`
	Computers   *ResourcePolicy `json:"computers,omitempty"`
	Files       *ResourcePolicy `json:"files,omitempty"`
	Directories *ResourcePolicy `json:"directories,omitempty"`
	Projects    *ResourcePolicy `json:"projects,omitempty"`
}

// ResourcePolicy is one category's default access and rules.
type ResourcePolicy struct {
	DefaultAccess string `json:"defaultAccess,omitempty" jsonschema:"enum=full_access,enum=ask_for_permission,enum=read_only,enum=no_access"`
	Rules         []Rule `json:"rules,omitzero"`
}

// Rule is one permission rule. Every field is optional in the document.
type Rule struct {
	ID       string `json:"id,omitempty"`
	TargetID string `json:"targetId,omitempty"`
	Path     string `json:"path,omitempty"`
	Access   string `json:"access,omitempty" jsonschema:"enum=full_access,enum=ask_for_permission,enum=read_only,enum=no_access"`
	Note     string `json:"note,omitempty"`
}

// accessValues lists the document's Access values, for messages.
const accessValues = "full_access, ask_for_permission, read_only, no_access"

func validAccess(s string) bool {
	switch s {
	case "full_access", "ask_for_permission", "read_only", "no_access":
		return true
	}
	return false
}

// category is one named resource policy, for checks that walk all seven.
type category struct {
	name       string
	policy     *ResourcePolicy
	pathScoped bool // files and directories rules take path, the others targetId
}

func (r *Resources) categories() []category {
	return []category{
		{"agents", r.Agents, false},
		{"skills", r.Skills, false},
		{"servers", r.Servers, false},
		{"computers", r.Computers, false},
		{"files", r.Files, true},
		{"directories", r.Directories, true},
		{"projects", r.Projects, false},
	}
}

// Metadata is the document's free-form metadata object.
type Metadata map[string]any

// JSONSchema marks metadata as deliberately free-form. The description comes
// from the field's tag, which the reflector applies last.
func (Metadata) JSONSchema() *jsonschema.Schema { return schemas.FreeForm("") }

// UnmarshalJSON keeps numbers as written (see providers.DecodeObject).
func (m *Metadata) UnmarshalJSON(b []byte) error {
	return providers.DecodeObject(b, (*map[string]any)(m))
}

// labelProblem says what to send instead of a string binary.
func labelProblem(label string) string {
	return fmt.Sprintf(`must be an object {"path": "...", "args": [...]}, not the string %q: the vendor page shows "Claude Code CLI" as a label, not a value; usually omit binary`, label)
}

// Precheck gives the document's label form of binary its own message (the
// schema's "got string, want object" does not say what to send instead), an
// empty id the advice to leave it out, an empty name or model the word
// Check gives one of spaces, and a missing model the ids to choose from.
// The tool asks it when schema validation refuses the arguments.
func (p *Provider) Precheck(raw []byte) providers.FieldErrors {
	var errs providers.FieldErrors
	if providers.EmptyString(raw, "id") {
		errs.Add("/id", "is empty: leave id out to let the server choose one")
	}
	if providers.EmptyString(raw, "name") {
		errs.Add("/name", "must not be blank")
	}
	var given map[string]json.RawMessage
	if json.Unmarshal(raw, &given) == nil {
		if _, ok := given["model"]; !ok {
			errs.Add("/model", "missing (required): %s", modelAdvice)
		} else if providers.EmptyString(raw, "model") {
			errs.Add("/model", "must not be blank: %s", modelAdvice)
		}
	}
	var args struct {
		Binary json.RawMessage `json:"binary"`
	}
	var label string
	if json.Unmarshal(raw, &args) != nil || len(args.Binary) == 0 || args.Binary[0] != '"' || json.Unmarshal(args.Binary, &label) != nil {
		return errs
	}
	return append(errs, providers.FieldError{Field: "/binary", Message: labelProblem(label)})
}
