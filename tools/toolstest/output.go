// Package toolstest holds checks tests make of a tool's results.
package toolstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ConformsToOutputSchema reports whether res is a result a client holding
// tool's outputSchema accepts. The MCP specification has clients check a
// result that is not an error against that schema, and the TypeScript SDK
// refuses one without structured content or whose content does not match:
// the created agent would never reach the model.
func ConformsToOutputSchema(tool mcp.Tool, res *mcp.CallToolResult) error {
	if res == nil || res.IsError || tool.RawOutputSchema == nil {
		return nil
	}
	if res.StructuredContent == nil {
		return errors.New("a result that is not an error has no structured content, though the tool has an output schema")
	}
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(tool.RawOutputSchema))
	if err != nil {
		return fmt.Errorf("output schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem:///output.json", schemaDoc); err != nil {
		return fmt.Errorf("output schema: %w", err)
	}
	schema, err := c.Compile("mem:///output.json")
	if err != nil {
		return fmt.Errorf("output schema: %w", err)
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return fmt.Errorf("structured content: %w", err)
	}
	content, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("structured content: %w", err)
	}
	if err := schema.Validate(content); err != nil {
		return fmt.Errorf("structured content %s does not match the output schema: %w", b, err)
	}
	return nil
}
