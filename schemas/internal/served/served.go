// Package served renders the input schema each tool serves, as committed under schemas/.
package served

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// Files maps "<tool>.json" to the indented input schema of every tool.
func Files() (map[string][]byte, error) {
	ts, err := app.BuildTools(app.Slugs(), providers.MapEnv(nil), tools.Deps{Client: providers.NewClient("agentmcp/gen")})
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, t := range ts {
		var buf bytes.Buffer
		if err := json.Indent(&buf, t.Tool.RawInputSchema, "", "  "); err != nil {
			return nil, fmt.Errorf("%s: %w", t.Tool.Name, err)
		}
		buf.WriteByte('\n')
		out[t.Tool.Name+".json"] = buf.Bytes()
	}
	return out, nil
}
