package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// dyingServerEnv makes this test binary, started by the client as its
// server, an MCP server that lists one tool and exits on the first call.
const dyingServerEnv = "AGENTMCP_CLIENT_TEST_DYING_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(dyingServerEnv) == "1" {
		dyingServer()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func dyingServer() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(in.Bytes(), &msg) != nil || msg.ID == nil {
			continue // a notification
		}
		var result string
		switch msg.Method {
		case "initialize":
			result = `{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"dying","version":"0"}}`
		case "tools/list":
			result = `{"tools":[{"name":"create_agent_datagrid","inputSchema":{"type":"object"}}]}`
		default:
			return // gone without an answer
		}
		fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":%s}`+"\n", msg.ID, result)
	}
}

// A server that exits mid-run is a connection problem (exit 2), not a
// failing tool (exit 1).
func TestServerGoneIsAConnectionProblem(t *testing.T) {
	t.Setenv(dyingServerEnv, "1")
	var stdout, stderr strings.Builder
	code := run([]string{"-server", os.Args[0], "-legacy", "-quiet", "-arguments", "../arguments"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "the server stopped answering") {
		t.Errorf("exit %d, want 2 saying the server stopped answering\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
}
