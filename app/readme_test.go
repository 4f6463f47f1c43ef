package app

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeToolTable fails when the README's tool table differs from the
// tools the server registers: names, required arguments, credentials, settings.
func TestReadmeToolTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start, end := strings.Index(text, "<!-- tools:start"), strings.Index(text, "<!-- tools:end -->")
	if start < 0 || end < start {
		t.Fatal("README has no tools:start / tools:end table")
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(text[start:end], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 7 || !strings.Contains(cells[1], "create_agent_") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows[name] = cells[2:6]
	}
	descs, err := Describe()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, d := range descs {
		byName["create_agent_"+d.Slug] = i
	}
	backticked := regexp.MustCompile("`([^`]+)`")
	names := func(cell string) []string {
		var out []string
		for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
			out = append(out, m[1])
		}
		return out
	}
	for _, tool := range listTools(t) {
		row, ok := rows[tool.Name]
		if !ok {
			t.Errorf("README tool table lacks %s", tool.Name)
			continue
		}
		delete(rows, tool.Name)
		d := descs[byName[tool.Name]]
		if !strings.Contains(row[0], d.Name) {
			t.Errorf("%s: vendor cell %q does not name %s", tool.Name, row[0], d.Name)
		}
		var schema struct {
			Required []string `json:"required"`
		}
		b, _ := json.Marshal(tool.InputSchema)
		if tool.RawInputSchema != nil {
			b = tool.RawInputSchema
		}
		_ = json.Unmarshal(b, &schema)
		got := names(row[1])
		if strings.TrimSpace(row[1]) == "none" {
			got = nil
		}
		if !slices.Equal(got, schema.Required) {
			t.Errorf("%s: README required %v, schema requires %v", tool.Name, got, schema.Required)
		}
		for _, c := range d.Credentials {
			if !slices.Contains(names(row[2]), c.Env) {
				t.Errorf("%s: README credentials lack %s", tool.Name, c.Env)
			}
		}
		for _, s := range d.Settings {
			if !slices.Contains(names(row[3]), s.Env) {
				t.Errorf("%s: README settings lack %s", tool.Name, s.Env)
			}
		}
	}
	for name := range rows {
		t.Errorf("README lists %s, which the server does not register", name)
	}
}
