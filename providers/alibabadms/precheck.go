package alibabadms

import (
	"encoding/json"

	"github.com/agentmcp/agentmcp/providers"
)

// Examples of the objects that rows of the document's flattened parameter
// table belong in.
const (
	knowledgeExample = `"KnowledgeConfigList": [{"AccessType": "mcp", "McpServerId": "..."}]`
	scheduleExample  = `"ScheduleTaskConfig": {"RelatedSessionId": "...", "CronExpression": "0 0 8 ? * 1-5", "Query": "..."}`
)

// nested lists, in the order they are reported, the rows of the document's
// parameter table that look top-level but belong in an object.
var nested = []struct{ key, parent, example string }{
	{"AccessType", "KnowledgeConfigList", knowledgeExample},
	{"McpServerId", "KnowledgeConfigList", knowledgeExample},
	{"SkipPlan", "ExecutionConfig", `"ExecutionConfig": {"SkipPlan": true}`},
	{"SkipSqlConfirm", "ExecutionConfig", `"ExecutionConfig": {"SkipSqlConfirm": true}`},
	{"SkipWebReportConfirm", "ExecutionConfig", `"ExecutionConfig": {"SkipWebReportConfirm": true}`},
	{"SkipAskHuman", "ExecutionConfig", `"ExecutionConfig": {"SkipAskHuman": true}`},
	{"RelatedSessionId", "ScheduleTaskConfig", scheduleExample},
	{"CronExpression", "ScheduleTaskConfig", scheduleExample},
	{"Query", "ScheduleTaskConfig", scheduleExample},
}

// Precheck refuses the document's flattened rows sent as top-level
// arguments with the object each belongs in; the tool asks it only when the
// schema refuses the arguments.
func (p *Provider) Precheck(raw []byte) providers.FieldErrors {
	var args map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil {
		return nil
	}
	var errs providers.FieldErrors
	for _, n := range nested {
		if _, ok := args[n.key]; ok {
			errs.Add("/"+n.key, "belongs in %s, not at the top level: %s", n.parent, n.example)
		}
	}
	return errs
}
