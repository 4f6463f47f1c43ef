package app

import (
	"bytes"
	"testing"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// TestServedSchemasAreReflected: the server serves the committed schemas
// (cheaper at start-up than reflecting), so each must be byte for byte what
// reflecting the provider's request struct gives.
func TestServedSchemasAreReflected(t *testing.T) {
	reflected, err := ReflectedSchemas()
	if err != nil {
		t.Fatal(err)
	}
	ts, err := BuildTools(Slugs(), providers.MapEnv(nil), tools.Deps{Client: providers.NewClient("test")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != len(reflected) {
		t.Fatalf("%d tools, %d reflected schemas", len(ts), len(reflected))
	}
	for _, tool := range ts {
		if want := reflected[tool.Tool.Name]; !bytes.Equal(tool.Tool.RawInputSchema, want) {
			t.Errorf("%s: served schema differs from the reflected one: run go generate ./... and commit", tool.Tool.Name)
		}
	}
}
