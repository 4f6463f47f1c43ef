package schemas_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentmcp/agentmcp/schemas/internal/served"
)

// TestCommittedSchemasMatchServed fails when a committed schema differs from
// what the server serves: run `go generate ./...` and commit the result.
func TestCommittedSchemasMatchServed(t *testing.T) {
	files, err := served.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: not committed (run go generate ./...): %v", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the served schema: run go generate ./... and commit", name)
		}
	}
	committed, _ := filepath.Glob("*.json")
	for _, name := range committed {
		if _, ok := files[name]; !ok {
			t.Errorf("%s is committed but no tool serves it: delete it", name)
		}
	}
}
