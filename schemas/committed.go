package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
)

// committed holds the generated <tool>.json files. Serving them saves
// reflecting every request struct at each start (clients spawn the server
// often); TestCommittedSchemasMatchServed keeps them equal to the reflection.
//
//go:embed *.json
var committed embed.FS

// Committed returns the committed input schema of tool, compacted, and
// whether there is one. A tool without one (a vendor just added, before
// `go generate ./...`) is reflected at start-up instead.
func Committed(tool string) (json.RawMessage, bool) {
	b, err := committed.ReadFile(tool + ".json")
	if err != nil {
		return nil, false
	}
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return nil, false
	}
	return out.Bytes(), true
}
