// Package served renders the input schema of every tool as reflected from its
// provider's request struct: what schemas/<tool>.json must hold.
package served

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/agentmcp/agentmcp/app"
)

// Files maps "<tool>.json" to the indented reflected input schema of every tool.
func Files() (map[string][]byte, error) {
	reflected, err := app.ReflectedSchemas()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for name, schema := range reflected {
		var buf bytes.Buffer
		if err := json.Indent(&buf, schema, "", "  "); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		buf.WriteByte('\n')
		out[name+".json"] = buf.Bytes()
	}
	return out, nil
}
