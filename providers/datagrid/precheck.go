package datagrid

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/agentmcp/agentmcp/providers"
)

// Precheck refuses the document's bare-name tool items ("tools":
// ["data_analysis"]) with the object to write instead. The schema takes one
// item shape, {name, connection_id}, and its own complaint ("got string, want
// object") does not say that the bare name is still what gets sent. Where
// agent_model refuses those tools anyway, its rule is said instead. The tool
// asks it when schema validation refuses the arguments; it returns nil when
// raw is not what it looks for.
func (p *Provider) Precheck(raw []byte) providers.FieldErrors {
	// Field by field: a wrong type elsewhere must not cost this advice.
	var args map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil {
		return nil
	}
	var model string
	_ = json.Unmarshal(args["agent_model"], &model)
	var errs providers.FieldErrors
	for _, key := range []string{"tools", "disabled_tools"} {
		var items []json.RawMessage
		if json.Unmarshal(args[key], &items) != nil {
			continue
		}
		var bare []int
		var names []string // of every item, bare or not, as the model's rules read them
		for i, item := range items {
			var name string
			if len(item) > 0 && item[0] == '"' && json.Unmarshal(item, &name) == nil && name != "" {
				bare = append(bare, i)
			} else {
				var obj struct {
					Name string `json:"name"`
				}
				_ = json.Unmarshal(item, &obj)
				name = obj.Name
			}
			names = append(names, name)
		}
		if len(bare) == 0 {
			continue
		}
		// Advice to write an object that the model's rules refuse anyway
		// would only lead to another refusal: those rules speak instead.
		var rules providers.FieldErrors
		if key == "tools" {
			rules = modelToolRules(model, names, "")
			errs = append(errs, rules...)
		}
		for _, i := range bare {
			at := fmt.Sprintf("/%s/%d", key, i)
			if slices.ContainsFunc(rules, func(e providers.FieldError) bool { return e.Field == at || e.Field == "/"+key }) {
				continue
			}
			obj, _ := providers.JSONBody(map[string]string{"name": names[i]})
			errs.Add(at,
				"write the tool as %s, not as a bare name: a tool without connection_id is sent in the bare form for you", obj)
		}
	}
	return errs
}
