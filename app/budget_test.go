package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/schemas"
	"github.com/agentmcp/agentmcp/tools"
)

func listTools(t *testing.T) []mcp.Tool {
	t.Helper()
	cfg := Config{Transport: TransportStdio, Timeout: DefaultTimeout, Journal: JournalOff, Version: "test"}
	s, err := NewServer(cfg, providers.MapEnv(nil), nil, providers.NewClient("agentmcp/test"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	res := s.MCP.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("tools/list does not marshal: %v", err)
	}
	var out struct {
		Result struct {
			Tools []json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	var tools []mcp.Tool
	for _, raw := range out.Result.Tools {
		var tool mcp.Tool
		if err := json.Unmarshal(raw, &tool); err != nil {
			t.Fatal(err)
		}
		tools = append(tools, tool)
	}
	return tools
}

func TestToolsListBudget(t *testing.T) {
	cfg := Config{Transport: TransportStdio, Timeout: DefaultTimeout, Journal: JournalOff, Version: "test"}
	s, err := NewServer(cfg, providers.MapEnv(nil), nil, providers.NewClient("agentmcp/test"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	res := s.MCP.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	b, _ := json.Marshal(res)
	var whole struct {
		Result json.RawMessage `json:"result"`
	}
	_ = json.Unmarshal(b, &whole)
	var out struct {
		Result struct {
			Tools []json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	_ = json.Unmarshal(b, &out)
	var weights []string
	for _, raw := range out.Result.Tools {
		var tool struct{ Name string }
		_ = json.Unmarshal(raw, &tool)
		w := fmt.Sprintf("%s %d", tool.Name, len(raw))
		if len(raw) > ToolsListBudgetPerTool {
			w += " (over its share)"
		}
		weights = append(weights, w)
		t.Logf("%-32s %6d bytes (~%d tokens)", tool.Name, len(raw), len(raw)/4)
	}
	// The whole result, as the bench counts it: the tools and the list around them.
	total := len(whole.Result)
	t.Logf("%-32s %6d bytes (~%d tokens)", "all tools (whole result)", total, total/4)
	if len(out.Result.Tools) != len(Slugs()) {
		t.Errorf("tools/list has %d tools, want %d", len(out.Result.Tools), len(Slugs()))
	}
	if budget := ToolsListBudgetPerTool * len(Slugs()); total > budget {
		t.Errorf("tools/list is %d bytes, over its budget of %d (%d a tool, pooled); bytes by tool: %s. "+
			"Shorten descriptions, examples or enum lists where a model does not need them (README, Development)",
			total, budget, ToolsListBudgetPerTool, strings.Join(weights, ", "))
	}
}

// TestEveryToolIsPortable walks every registered schema with the portability rules.
func TestEveryToolIsPortable(t *testing.T) {
	descs, err := Describe()
	if err != nil {
		t.Fatal(err)
	}
	overwrites := map[string]bool{}
	for _, d := range descs {
		overwrites[tools.Prefix+d.Slug] = d.Overwrites
	}
	for _, tool := range listTools(t) {
		b, _ := json.Marshal(tool)
		var wire struct {
			InputSchema  json.RawMessage `json:"inputSchema"`
			OutputSchema json.RawMessage `json:"outputSchema"`
			Annotations  map[string]any  `json:"annotations"`
		}
		_ = json.Unmarshal(b, &wire)
		if v := schemas.Lint(wire.InputSchema); len(v) > 0 {
			t.Errorf("%s: %v", tool.Name, v)
		}
		for _, hint := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			if _, ok := wire.Annotations[hint]; !ok {
				t.Errorf("%s: %s not set", tool.Name, hint)
			}
		}
		// Only a vendor whose create can replace an existing agent (Everruns
		// upserts) is destructive; its descriptor says so.
		if want := overwrites[tool.Name]; wire.Annotations["destructiveHint"] != want {
			t.Errorf("%s: destructiveHint %v, want %v (the descriptor's Overwrites)", tool.Name, wire.Annotations["destructiveHint"], want)
		}
		if len(tool.Name) > 40 {
			t.Errorf("%s: name longer than 40 characters (clients cap server+tool names)", tool.Name)
		}
	}
}
