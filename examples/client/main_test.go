package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeServerEnv makes this test binary, started by the client as its
// server, an MCP server that lists create_agent_datagrid (or, "empty", no
// tool) and answers a call as the value says: "dying" exits without an
// answer, "refusing" with an isError, "creating" with a created agent,
// "previewing" as agentmcp would: with a preview when started with
// --dry-run and asked for dry_run, else with a created agent (the client
// passes the user's keys on, so it asks for previews both ways). With
// fakeRootEnv set, it answers only when started in that folder.
const (
	fakeServerEnv = "AGENTMCP_CLIENT_TEST_SERVER"
	fakeRootEnv   = "AGENTMCP_CLIENT_TEST_ROOT"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeServerEnv); mode != "" {
		fakeServer(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func fakeServer(mode string) {
	if root := os.Getenv(fakeRootEnv); root != "" {
		if wd, err := os.Getwd(); err != nil || evalSymlinks(wd) != evalSymlinks(root) {
			return
		}
	}
	dryRunOnly := slices.Contains(os.Args[1:], "--dry-run")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Arguments struct {
					DryRun bool `json:"dry_run"`
				} `json:"arguments"`
			} `json:"params"`
		}
		if json.Unmarshal(in.Bytes(), &msg) != nil || msg.ID == nil {
			continue // a notification
		}
		var result string
		switch {
		case msg.Method == "initialize":
			result = `{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"fake","version":"0"}}`
		case msg.Method == "tools/list" && mode == "empty":
			result = `{"tools":[]}`
		case msg.Method == "tools/list":
			result = `{"tools":[{"name":"create_agent_datagrid","inputSchema":{"type":"object"}}]}`
		case msg.Method == "tools/call" && (mode == "creating" || mode == "previewing" && !(dryRunOnly && msg.Params.Arguments.DryRun)):
			result = `{"content":[{"type":"text","text":"Created"}],"structuredContent":{"provider":"datagrid","dry_run":false,"agent_id":"agt_1","agent":{"id":"agt_1"}}}`
		case msg.Method == "tools/call" && mode == "previewing":
			result = `{"content":[{"type":"text","text":"preview"}],"structuredContent":{"provider":"datagrid","dry_run":true,"request":{"method":"POST","url":"http://127.0.0.1:1/v1/agents","headers":{},"body":{}}}}`
		case msg.Method == "tools/call" && mode == "refusing":
			result = `{"content":[{"type":"text","text":"invalid arguments"}],"isError":true}`
		default:
			return // gone without an answer
		}
		fmt.Printf(`{"jsonrpc":"2.0","id":%s,"result":%s}`+"\n", msg.ID, result)
	}
}

// The exit status the package comment promises: 1 if a tool has no
// arguments file or answers with isError, 2 on a usage or connection
// problem, such as a server that exits mid-run (not a failing tool).
func TestExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		server string // fakeServerEnv; "" starts no fake
		root   bool   // run with -root, and the fake answers only there
		args   []string
		want   int
		stderr string
	}{
		{"every tool previews", "previewing", false, nil, 0, ""},
		{"the server runs in -root", "previewing", true, nil, 0, ""},
		{"a tool answers isError", "refusing", false, nil, 1, ""},
		{"a tool creates instead of previewing", "creating", false, nil, 1, ""},
		{"a tool has no arguments file", "previewing", false, []string{"-arguments", t.TempDir()}, 1, ""},
		{"no tools", "empty", false, nil, 1, "lists no tools"},
		{"the server exits mid-run", "dying", false, nil, 2, "the server stopped answering"},
		{"the server cannot start", "", false, []string{"-server", filepath.Join(t.TempDir(), "missing")}, 2, "start"},
		{"an unknown flag", "", false, []string{"-no-such-flag"}, 2, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(fakeServerEnv, c.server)
			args := append([]string{"-server", os.Args[0], "-legacy", "-quiet", "-arguments", "../arguments"}, c.args...)
			if c.root {
				root := t.TempDir()
				t.Setenv(fakeRootEnv, root)
				args = append(args, "-root", root)
			}
			var stdout, stderr strings.Builder
			code := run(args, &stdout, &stderr)
			if code != c.want || !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("exit %d, want %d (stderr saying %q)\nstdout: %s\nstderr: %s", code, c.want, c.stderr, stdout.String(), stderr.String())
			}
		})
	}
}

// evalSymlinks is path with its symbolic links resolved (a temporary folder
// may be reached through one), or path when that fails.
func evalSymlinks(path string) string {
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return path
	}
	return p
}
