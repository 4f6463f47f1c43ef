package datagrid

import (
	"encoding/json"
	"fmt"

	"github.com/agentmcp/agentmcp/providers"
)

// Precheck refuses the document's bare-name tool items ("tools":
// ["data_analysis"]) with the object to write instead. The schema takes one
// item shape, {name, connection_id}, and its own complaint ("got string, want
// object") does not say that the bare name is still what gets sent. The tool
// asks it when schema validation refuses the arguments; it returns nil when
// raw is not what it looks for.
func (p *Provider) Precheck(raw []byte) providers.FieldErrors {
	var args struct {
		Tools         []json.RawMessage `json:"tools"`
		DisabledTools []json.RawMessage `json:"disabled_tools"`
	}
	if json.Unmarshal(raw, &args) != nil {
		return nil
	}
	var errs providers.FieldErrors
	for _, list := range []struct {
		key   string
		items []json.RawMessage
	}{{"tools", args.Tools}, {"disabled_tools", args.DisabledTools}} {
		for i, item := range list.items {
			var name string
			if item[0] != '"' || json.Unmarshal(item, &name) != nil || name == "" {
				continue
			}
			obj, _ := providers.JSONBody(map[string]string{"name": name})
			errs.Add(fmt.Sprintf("/%s/%d", list.key, i),
				"write the tool as %s, not as a bare name: a tool without connection_id is sent in the bare form for you", obj)
		}
	}
	return errs
}
