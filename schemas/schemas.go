// Package schemas reflects tool input schemas from the provider request
// structs and checks them against what MCP clients and model APIs accept.
// The served schema of every tool is committed here as <tool>.json.
package schemas

//go:generate go run ./internal/gen

import (
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"
)

// Reflect returns the flat JSON Schema of v's type: the struct itself at the
// root, every nested type inlined (no $ref or $defs), no $schema or $id,
// additionalProperties false on every struct, and required taken from the
// fields whose json tag lacks omitempty.
func Reflect(v any) *jsonschema.Schema {
	r := &jsonschema.Reflector{
		DoNotReference: true,
		ExpandedStruct: true,
		Anonymous:      true,
	}
	s := r.Reflect(v)
	s.Version = ""
	s.ID = ""
	return s
}

// FreeForm is the schema of an object whose keys the vendor leaves open
// (metadata, capability config). It is the one place additionalProperties is true.
func FreeForm(description string) *jsonschema.Schema {
	return &jsonschema.Schema{
		Type:                 "object",
		Description:          description,
		Properties:           jsonschema.NewProperties(),
		AdditionalProperties: jsonschema.TrueSchema,
	}
}

// Marshal renders s as compact JSON.
func Marshal(s *jsonschema.Schema) (json.RawMessage, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("schemas: marshal: %w", err)
	}
	return b, nil
}
