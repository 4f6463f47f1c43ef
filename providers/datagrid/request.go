package datagrid

import "encoding/json"

// Request is CreateAgentRequest of the Datagrid API (POST /agents). Its JSON is
// the wire body and its reflected schema is the tool's input schema. The
// document marks no field required. Unions of the document (tool items,
// corpus items) are one flat shape here and take their wire form in MarshalJSON.
type Request struct {
	Name        string   `json:"name,omitempty" jsonschema:"maxLength=255"`
	Description string   `json:"description,omitempty" jsonschema:"maxLength=1000"`
	AgentModel  string   `json:"agent_model,omitempty" jsonschema:"minLength=1" jsonschema_description:"Default magpie-2.0 (full agent). magpie-2.5 (beta), magpie-1.1, magpie-2.5-flash; magpie-1.1-flash: RAG, semantic_search tool only; llm-only: no tools. Custom strings accepted."`
	LLMModel    string   `json:"llm_model,omitempty" jsonschema:"minLength=1" jsonschema_description:"Default gemini-2.5-flash; custom strings accepted. Documented: gemini-3.5-flash, gemini-3.1-flash-lite, gemini-3-pro-preview, gemini-3.1-pro-preview, gemini-3-flash-preview, gemini-2.5-pro, gemini-2.5-pro-preview-05-06, gemini-2.5-flash, gemini-2.5-flash-preview-04-17, gemini-2.5-flash-native-audio-preview-12-2025, gemini-2.5-flash-lite, gpt-5, gpt-5.1, gemini-2.0-flash-001, gemini-2.0-flash, gemini-1.5-pro-001, gemini-1.5-pro-002, gemini-1.5-flash-002, gemini-1.5-flash-001, chatgpt-4o-latest, gpt-4o, gpt-4, gpt-4-turbo, gpt-4o-mini, claude-haiku-4-5@20251001, claude-sonnet-4-6@default, claude-opus-4-6@default, claude-opus-4-7, claude-opus-4-8, anthropic.claude-haiku-4-5-20251001-v1:0, anthropic.claude-sonnet-4-6, anthropic.claude-opus-4-6-v1, anthropic.claude-opus-4-7, anthropic.claude-opus-4-8."`
	Temperature *float64 `json:"temperature,omitempty" jsonschema:"minimum=0,maximum=1" jsonschema_description:"0 (deterministic) to 1 (diverse)."`
	// Pointers keep "absent" apart from []: absent tools are the agent's
	// default tools, [] none; absent corpus or knowledge_ids is all knowledge.
	Tools          *[]ToolRef    `json:"tools,omitempty" jsonschema_description:"Omit for the model's default tools; [] for none. Known: data_analysis, semantic_search, agent_memory, schema_info, table_info, create_dataset, charts, calendar, schedule_recurring_message_tool, data_classification, data_extraction, image_detection, pdf_extraction, connect_data, download_data, web_search, fetch_url, company_prospect_researcher, people_prospect_researcher."`
	DisabledTools  *[]ToolRef    `json:"disabled_tools,omitempty" jsonschema_description:"Tools to disable, applied after tools."`
	MCPServers     *[]MCPServer  `json:"mcp_servers,omitempty" jsonschema_description:"Registered MCP servers to enable."`
	KnowledgeIDs   *[]string     `json:"knowledge_ids,omitempty" jsonschema_description:"Deprecated; use corpus."`
	Corpus         *[]CorpusItem `json:"corpus,omitempty" jsonschema_description:"Knowledge and pages to use; omit for all knowledge."`
	SystemPrompt   string        `json:"system_prompt,omitempty" jsonschema_description:"Directs the agent's operational behaviour."`
	CustomPrompt   string        `json:"custom_prompt,omitempty" jsonschema_description:"Style and formatting of responses."`
	PlanningPrompt string        `json:"planning_prompt,omitempty" jsonschema_description:"Planning strategy for breaking down tasks."`
}

// ToolRef is a tool item. The vendor takes a bare name or {name, connection_id};
// a bare name is sent when no connection is chosen.
type ToolRef struct {
	Name         string `json:"name" jsonschema:"minLength=1"`
	ConnectionID string `json:"connection_id,omitempty" jsonschema_description:"Non-default connection."`
}

// MarshalJSON writes the document's ToolName form when there is no connection.
func (t ToolRef) MarshalJSON() ([]byte, error) {
	if t.ConnectionID == "" {
		return json.Marshal(t.Name)
	}
	type plain ToolRef
	return json.Marshal(plain(t))
}

// MCPServer is AgentMcpServerConfig.
type MCPServer struct {
	ServerID     string `json:"server_id" jsonschema:"minLength=1"`
	CredentialID string `json:"credential_id,omitempty"`
}

// Corpus item types.
const (
	CorpusKnowledge = "knowledge"
	CorpusPage      = "page"
)

// CorpusItem is CorpusKnowledgeItem or CorpusPageItem, told apart by type.
type CorpusItem struct {
	Type        string `json:"type" jsonschema:"enum=knowledge,enum=page" jsonschema_description:"knowledge (set knowledge_id) or page (set page_id)."`
	KnowledgeID string `json:"knowledge_id,omitempty"`
	PageID      string `json:"page_id,omitempty"`
}

// MarshalJSON writes only the id that belongs to the item's type.
func (c CorpusItem) MarshalJSON() ([]byte, error) {
	if c.Type == CorpusPage {
		return json.Marshal(struct {
			Type   string `json:"type"`
			PageID string `json:"page_id"`
		}{c.Type, c.PageID})
	}
	return json.Marshal(struct {
		Type        string `json:"type"`
		KnowledgeID string `json:"knowledge_id"`
	}{c.Type, c.KnowledgeID})
}
