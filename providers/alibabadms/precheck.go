package alibabadms

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agentmcp/agentmcp/providers"
)

// Examples of the objects that rows of the document's flattened parameter
// table belong in.
const (
	knowledgeExample = `"KnowledgeConfigList": [{"AccessType": "mcp", "McpServerId": "..."}]`
	scheduleExample  = `"ScheduleTaskConfig": {"RelatedSessionId": "...", "CronExpression": "0 0 8 ? * MON-FRI", "Query": "..."}`
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

// says words the refusal of a nested row otherwise than "belongs in": a
// format taking the row's example. Later API versions have a top-level
// RelatedSessionId too, of another use.
var says = map[string]string{
	"RelatedSessionId": "this tool sends the document's RelatedSessionId, the session a scheduled task refers to, which belongs in ScheduleTaskConfig: %s (the top-level RelatedSessionId of later API versions is not one it sends)",
}

// Precheck refuses the document's flattened rows sent as top-level
// arguments with the object each belongs in, and DataJson sent as the JSON
// text the document types it as with the object to give instead; the tool
// asks it only when the schema refuses the arguments.
func (p *Provider) Precheck(raw []byte) providers.FieldErrors {
	var args map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil {
		return nil
	}
	var errs providers.FieldErrors
	for _, n := range nested {
		if _, ok := args[n.key]; !ok {
			continue
		}
		format, ok := says[n.key]
		if !ok {
			format = "belongs in " + n.parent + ", not at the top level: %s"
		}
		msg := fmt.Sprintf(format, n.example)
		if problem := misplacedValue(n.key, args[n.key]); problem != "" {
			// Said now: moved as it is, the value would be refused next call.
			msg += "; and its value: " + problem
		}
		errs.Add("/"+n.key, "%s", msg)
	}
	// The document types DataJson as a string of JSON text.
	var text string
	if json.Unmarshal(args["DataJson"], &text) == nil {
		example := `{"personal": {"DataSourceType": "database", ...}}`
		var doc map[string]any
		if providers.DecodeObject([]byte(text), &doc) == nil { // ids kept as written
			compact, _ := providers.JSONBody(doc)
			example = providers.Clip(string(compact), 300)
		}
		errs.Add("/DataJson", "give the object itself, not JSON text (the tool writes the text the API takes): \"DataJson\": %s", example)
	}
	return errs
}

// misplacedValue checks the value of a row sent at the top level as the
// object it belongs in would: its JSON type and, for CronExpression, the
// Quartz form. It is "" when the value would pass there.
func misplacedValue(key string, raw json.RawMessage) string {
	want := "string"
	if strings.HasPrefix(key, "Skip") {
		want = "boolean"
	}
	if got := jsonType(raw); got != want {
		return fmt.Sprintf("got %s, want %s", got, want)
	}
	var s string
	if key == "CronExpression" && json.Unmarshal(raw, &s) == nil && s != "" {
		if err := validateCron(s); err != nil {
			return "not a Quartz cron expression: " + err.Error()
		}
	}
	return ""
}

// jsonType names the JSON type of raw, a valid JSON value.
func jsonType(raw json.RawMessage) string {
	switch t := strings.TrimLeft(string(raw), " \t\r\n"); {
	case t == "":
		return "nothing"
	case t[0] == '"':
		return "string"
	case t[0] == '{':
		return "object"
	case t[0] == '[':
		return "array"
	case t[0] == 't' || t[0] == 'f':
		return "boolean"
	case t[0] == 'n':
		return "null"
	default:
		return "number"
	}
}
