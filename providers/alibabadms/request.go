package alibabadms

import (
	"fmt"

	"github.com/agentmcp/agentmcp/providers"
)

// Request is the CreateCustomAgent parameter set under its documented names.
// The document's table is flat; the nesting here is the one its response
// example shows. Every parameter is optional. Its JSON is the wire form: each
// top-level key is one query parameter, sent as the string itself or, for an
// object or array, as its compact JSON text; DataJson marshals to a string.
type Request struct {
	WorkspaceID         string              `json:"WorkspaceId,omitempty" jsonschema_description:"Workspace ID; omit for the personal space."`
	Name                string              `json:"Name,omitempty"`
	Description         string              `json:"Description,omitempty"`
	DataJSON            *DataJSON           `json:"DataJson,omitempty" jsonschema_description:"Data range, sent as JSON text; ids from ListDataCenterDatabase / ListDataCenterTable."`
	Instruction         string              `json:"Instruction,omitempty" jsonschema:"maxLength=10000" jsonschema_description:"Agent instructions. All parameters travel in the URL, at most 262144 bytes encoded: a CJK character costs 9, a letter 1."`
	Knowledge           string              `json:"Knowledge,omitempty" jsonschema:"maxLength=10000" jsonschema_description:"Background knowledge (shares the URL cap, see Instruction)."`
	KnowledgeConfigList []KnowledgeConfig   `json:"KnowledgeConfigList,omitempty" jsonschema_description:"External knowledge bases."`
	ExecutionConfig     *ExecutionConfig    `json:"ExecutionConfig,omitempty"`
	ScheduleTaskConfig  *ScheduleTaskConfig `json:"ScheduleTaskConfig,omitempty" jsonschema_description:"Recurring auto-triggered task."`
	TextReportConfig    string              `json:"TextReportConfig,omitempty" jsonschema_description:"Format requirements for text reports."`
	WebReportConfig     string              `json:"WebReportConfig,omitempty" jsonschema_description:"Format requirements for web reports."`
	DMSUnit             string              `json:"DMSUnit,omitempty" jsonschema_description:"Current DMS unit, e.g. cn-hangzhou."`
}

// maxTextChars is the documented limit of Instruction and Knowledge, in characters.
const maxTextChars = 10000

// Data source types of DataJson.personal.
const (
	SourceFile     = "remote_data_center"
	SourceDatabase = "database"
)

// DataJSON is the DataJson document. It is taken as an object, so a model
// cannot send broken JSON text, and sent as the string the API expects.
type DataJSON struct {
	TableFlag *bool      `json:"tableFlag,omitempty" jsonschema_description:"true restricts the agent to this data range."`
	Scope     string     `json:"scope,omitempty" jsonschema:"enum=personal" jsonschema_description:"Sent when omitted."`
	Personal  DataSource `json:"personal"`
}

// MarshalJSON writes the document as a JSON string holding its compact JSON text.
func (d DataJSON) MarshalJSON() ([]byte, error) {
	type plain DataJSON
	p := plain(d)
	if p.Scope == "" {
		p.Scope = "personal"
	}
	text, err := providers.JSONBody(p)
	if err != nil {
		return nil, fmt.Errorf("alibabadms: encode DataJson: %w", err)
	}
	return providers.JSONBody(string(text))
}

// DataSource is DataJson.personal: a file (remote_data_center) or a database.
type DataSource struct {
	DataSourceType string   `json:"DataSourceType" jsonschema:"enum=remote_data_center,enum=database" jsonschema_description:"remote_data_center (a file) or database (adds DmsInstanceId, DmsDatabaseId, DbName, Engine)."`
	FileID         string   `json:"FileId,omitempty" jsonschema_description:"File ID (database: instance name, deprecated)."`
	Database       string   `json:"Database,omitempty" jsonschema_description:"Database name from ListDataCenterTable (a file: usually its name)."`
	Tables         []string `json:"Tables,omitempty"`
	TableIDs       []string `json:"TableIds,omitempty"`
	RegionID       string   `json:"RegionId,omitempty"`
	DmsInstanceID  string   `json:"DmsInstanceId,omitempty"`
	DmsDatabaseID  string   `json:"DmsDatabaseId,omitempty"`
	DbName         string   `json:"DbName,omitempty"`
	Engine         string   `json:"Engine,omitempty" jsonschema_description:"e.g. mysql, postgresql."`
}

// KnowledgeConfig is one KnowledgeConfigList entry.
type KnowledgeConfig struct {
	AccessType  string `json:"AccessType,omitempty" jsonschema:"enum=mcp" jsonschema_description:"Sent when omitted."`
	McpServerID string `json:"McpServerId" jsonschema:"minLength=1"`
}

// MarshalJSON sends the only access type when none is given.
func (k KnowledgeConfig) MarshalJSON() ([]byte, error) {
	type plain KnowledgeConfig
	p := plain(k)
	if p.AccessType == "" {
		p.AccessType = "mcp"
	}
	return providers.JSONBody(p)
}

// ExecutionConfig holds the confirmation switches. Pointers keep an explicit
// false on the wire.
type ExecutionConfig struct {
	SkipPlan             *bool `json:"SkipPlan,omitempty" jsonschema_description:"Skip plan confirmation."`
	SkipSQLConfirm       *bool `json:"SkipSqlConfirm,omitempty" jsonschema_description:"Skip all SQL confirmations."`
	SkipWebReportConfirm *bool `json:"SkipWebReportConfirm,omitempty" jsonschema_description:"Skip web report confirmation."`
	SkipAskHuman         *bool `json:"SkipAskHuman,omitempty" jsonschema_description:"Never ask the user during a run."`
}

// ScheduleTaskConfig is the recurring task.
type ScheduleTaskConfig struct {
	RelatedSessionID string `json:"RelatedSessionId,omitempty" jsonschema_description:"Past session to use as reference."`
	CronExpression   string `json:"CronExpression,omitempty" jsonschema_description:"Quartz cron: sec min hour day-of-month month day-of-week (1=SUN..7=SAT) [year]; ? in exactly one day field. E.g. 0 0 0 ? * 1-7 (daily at midnight), 0 30 8 ? * 2-6 (weekdays 8:30)."`
	Query            string `json:"Query,omitempty" jsonschema_description:"What the task asks."`
}
