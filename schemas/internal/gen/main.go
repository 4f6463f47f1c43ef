// Command gen writes the served input schema of every tool to schemas/<tool>.json.
// Run it with `go generate ./...` from the repository root.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/agentmcp/agentmcp/schemas/internal/served"
)

func main() {
	files, err := served.Files()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(".", name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}
