package datagol

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agentmcp/agentmcp/providers"
)

// DataGOL returns configs.mcpConfigs keyed by server type,
// [{"CUSTOM": {...}, "WORKBOOK": {...}}], but accepts one flat item per server
// with serverType. A model that copies a response into a request gets from
// schema validation only "unknown argument CUSTOM", which does not say what
// to send instead; these checks do, and run on the raw arguments because the
// response shape never decodes into Request.

// Precheck refuses response-shaped mcpConfigs items in raw tool arguments,
// saying what to send instead, and calls an empty name blank, as Check calls
// one of spaces (an absent one stays the schema's "missing"). It returns nil
// when there are none or when raw is not what it looks for (schema
// validation reports those problems). The tool asks it when schema
// validation refuses the arguments, and shows its problems instead of the
// schema's at and under the same fields.
func (p *Provider) Precheck(raw []byte) providers.FieldErrors {
	errs := responseShaped(raw)
	if providers.EmptyString(raw, "name") {
		errs.Add("/name", "must not be blank")
	}
	return errs
}

// exampleItems is shown when an item's own servers cannot be rewritten.
const exampleItems = `[{"serverType":"CUSTOM","id":18,"name":"Workspace MCP","url":"https://...","transport":"streamable_http","companyId":1},` +
	`{"serverType":"WORKBOOK","name":"dg_Order.csv","transport":"streamable_http","data":{"id":"<workbook id>","workspaceId":"<workspace id>"}}]`

func responseShaped(raw []byte) providers.FieldErrors {
	var args struct {
		Configs struct {
			MCPConfigs json.RawMessage `json:"mcpConfigs"`
		} `json:"configs"`
	}
	if json.Unmarshal(raw, &args) != nil {
		return nil
	}
	var errs providers.FieldErrors
	var items []json.RawMessage
	if json.Unmarshal(args.Configs.MCPConfigs, &items) != nil {
		// One keyed object in place of the list: the response's shape too.
		if msg := keyedItem(args.Configs.MCPConfigs, "in place of this object send a list"); msg != "" {
			errs.Add("/configs/mcpConfigs", "%s", msg)
		}
		return errs
	}
	for i, item := range items {
		if msg := keyedItem(item, "in place of this item send"); msg != "" {
			errs.Add(fmt.Sprintf("/configs/mcpConfigs/%d", i), "%s", msg)
		}
	}
	return errs
}

// keyedItem says what to send instead of item, an object of servers keyed by
// type, and "" when item is not one; instead names where the answer goes.
func keyedItem(item json.RawMessage, instead string) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(item, &fields) != nil {
		return ""
	}
	var keyed []string
	for _, t := range []string{ServerCustom, ServerWorkbook} {
		if _, ok := fields[t]; ok {
			keyed = append(keyed, t)
		}
	}
	if len(keyed) == 0 {
		return ""
	}
	shape := make([]string, len(keyed))
	for j, t := range keyed {
		shape[j] = fmt.Sprintf("%q: {...}", t)
	}
	list, masked := flatten(fields, keyed)
	msg := fmt.Sprintf("servers keyed by type ({%s}) is the shape DataGOL returns, not the one it accepts. "+
		"Send each server as its own flat item with serverType; %s: %s", strings.Join(shape, ", "), instead, list)
	if masked {
		msg += " (secrets in url are masked here: send your original url)"
	}
	return msg
}

// flatten rewrites the keyed servers of one response item as request items,
// serverType first and URLs redacted; masked says whether redaction changed one.
func flatten(fields map[string]json.RawMessage, keyed []string) (items string, masked bool) {
	out := make([]string, 0, len(keyed))
	for _, t := range keyed {
		// Numbers as written: a server id above 2^53 would round as a float64.
		var server map[string]any
		if providers.DecodeObject(fields[t], &server) != nil || server == nil {
			return exampleItems, false
		}
		delete(server, "serverType")
		if u, ok := server["url"].(string); ok {
			server["url"] = RedactURL(u)
			masked = masked || server["url"] != u
		}
		rest, err := providers.JSONBody(server)
		if err != nil {
			return exampleItems, false
		}
		item := fmt.Sprintf(`{"serverType":%q`, t)
		if len(server) > 0 {
			item += "," + string(rest[1:])
		} else {
			item += "}"
		}
		out = append(out, item)
	}
	return "[" + strings.Join(out, ",") + "]", masked
}
