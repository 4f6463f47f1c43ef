package everruns

import (
	"github.com/invopop/jsonschema"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/schemas"
)

// Request is CreateAgentRequest of the Everruns API (POST /v1/agents). Its
// JSON is the wire body and its reflected schema is the tool's input schema.
//
// The maxLength values are the server's byte limits. maxLength counts
// characters, and a string never has more characters than UTF-8 bytes, so the
// schema cannot refuse a value the server accepts; Check counts the bytes.
type Request struct {
	Name           string `json:"name" jsonschema:"minLength=1,maxLength=2048" jsonschema_description:"Display name. At most 2 KiB (UTF-8)."`
	SystemPrompt   string `json:"system_prompt" jsonschema:"minLength=1,maxLength=1048576" jsonschema_description:"First message of every conversation. At most 1 MiB (UTF-8)."`
	Description    string `json:"description,omitempty" jsonschema:"maxLength=10240" jsonschema_description:"What the agent does. At most 10 KiB (UTF-8)."`
	DefaultModelID string `json:"default_model_id,omitempty" jsonschema_description:"model_ + 32 lowercase hex: a model record id, not a model name. Omit for the system default."`
	// omitzero keeps [] apart from absent, so the body is what the caller gave.
	Capabilities []Capability `json:"capabilities,omitzero" jsonschema:"maxItems=250" jsonschema_description:"Tools and prompt additions, each with its config."`
	Tags         []string     `json:"tags,omitzero"`
	ID           string       `json:"id,omitempty" jsonschema:"pattern=^agent_[0-9a-f]{32}$" jsonschema_description:"agent_ + 32 lowercase hex. Omit for a generated one (safe retries); an existing agent with this id is overwritten."`
}

// Capability is AgentCapabilityConfig: a capability id and its per-agent config.
type Capability struct {
	Ref string `json:"ref" jsonschema:"minLength=1" jsonschema_description:"Capability id: built-ins such as current_time, web_fetch, session_file_system, virtual_bash, session_storage, stateless_todo_list, subagents; mcp:{uuid}, skill:{uuid}, declarative:{name}."`
	// omitzero sends {} when the caller gave {}, and nothing when it gave none.
	Config Config `json:"config,omitzero" jsonschema_description:"Capability-specific settings."`
}

// Config is a capability's own settings; their keys depend on the capability.
type Config map[string]any

// JSONSchema makes config a deliberately free-form object.
func (Config) JSONSchema() *jsonschema.Schema {
	return schemas.FreeForm("Capability-specific settings.")
}

// UnmarshalJSON keeps numbers as written (see providers.DecodeObject).
func (m *Config) UnmarshalJSON(b []byte) error {
	return providers.DecodeObject(b, (*map[string]any)(m))
}
