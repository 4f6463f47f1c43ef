package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/tools"
)

// TestUnlistedProviderFails: a provider whose tool tools/list leaves out
// is still checked, and its check fails the run; the tools/list budget
// counts it all the same.
func TestUnlistedProviderFails(t *testing.T) {
	slugs := app.Slugs()
	if len(slugs) < 2 {
		t.Skip("needs two providers")
	}
	missing := tools.Prefix + slugs[len(slugs)-1]
	var list struct {
		Tools []map[string]string `json:"tools"`
	}
	for _, s := range slugs[:len(slugs)-1] {
		list.Tools = append(list.Tools, map[string]string{"name": tools.Prefix + s})
	}
	list.Tools = append(list.Tools, map[string]string{"name": "create_agent_extra"})
	raw, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	names, listed, err := toolsToCheck(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, missing) || listed[missing] {
		t.Errorf("%s: checked %v, listed %v; want checked and not listed", missing, slices.Contains(names, missing), listed[missing])
	}
	if !slices.Contains(names, "create_agent_extra") || !listed["create_agent_extra"] {
		t.Errorf("a listed tool of no provider is not checked: %v", names)
	}
	if len(names) != len(slugs)+1 || !slices.IsSorted(names) {
		t.Errorf("names %v: want every provider's tool and the extra one, sorted", names)
	}

	checks := [][2]string{{tools.Prefix + slugs[0], "ok"}, {missing, "FAILED: not in agentmcp's tools/list"}}
	if err := failures(nil, checks); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("failures: %v; want the unlisted tool named", err)
	}

	list.Tools = list.Tools[:len(list.Tools)-1] // the providers' tools but one
	if raw, err = json.Marshal(list); err != nil {
		t.Fatal(err)
	}
	b := &bench{toolsList: map[string]json.RawMessage{"agentmcp": raw}}
	for _, tg := range b.targets() {
		if tg.unit == "bytes" {
			if got, want := tg.refValue(nil), float64(app.ToolsListBudgetPerTool*len(slugs)); got != want {
				t.Errorf("tools/list budget %.0f, want %.0f (every provider's share)", got, want)
			}
		}
	}
}
