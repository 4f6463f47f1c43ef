// Command client is a small MCP client for agentmcp: it starts the server
// over stdio, lists its tools and previews every one of them (dry_run) with
// the argument object in examples/arguments/<provider>.json. Nothing is sent
// to any vendor and no vendor credentials are needed.
//
//	go run ./examples/client                          # go run the server from the module root
//	go run ./examples/client -server ./bin/agentmcp   # or run a built binary
//
// It exits 1 if a tool has no arguments file or answers with isError, and 2
// on a usage or connection problem, so it doubles as a smoke test.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// toolPrefix starts every agentmcp tool name; the rest is the provider slug.
const toolPrefix = "create_agent_"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		serverBin = fs.String("server", "", "agentmcp binary to start; empty: go run the module in -root")
		root      = fs.String("root", ".", "module root, for go run when -server is empty")
		argsDir   = fs.String("arguments", filepath.Join("examples", "arguments"), "folder of <provider>.json argument objects")
		legacy    = fs.Bool("legacy", false, "use the initialize handshake (protocol 2025-11-25 and older) instead of negotiating the newest revision")
		timeout   = fs.Duration("timeout", 2*time.Minute, "limit for the whole run (a first go run compiles the server)")
		quiet     = fs.Bool("quiet", false, "print one line per tool instead of the whole preview")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	// --dry-run on the server too: this client only ever previews.
	serverArgs := []string{"--transport", "stdio", "--dry-run", "--journal", "off", "--log-level", "warn"}
	command, cmdArgs := *serverBin, serverArgs
	if command == "" {
		command, cmdArgs = "go", append([]string{"run", "."}, serverArgs...)
	} else if strings.ContainsRune(command, filepath.Separator) || strings.ContainsRune(command, '/') {
		// A path is taken from the current folder, not from -root.
		abs, err := filepath.Abs(command)
		if err != nil {
			fmt.Fprintf(stderr, "client: -server: %v\n", err)
			return 2
		}
		command = abs
	}
	t := transport.NewStdioWithOptions(command, nil, cmdArgs,
		transport.WithCommandStderrWriter(stderr),
		transport.WithCommandFunc(func(ctx context.Context, name string, env, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, name, args...)
			cmd.Dir = *root
			cmd.Env = append(os.Environ(), env...)
			return cmd, nil
		}))
	if err := t.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "client: start %s: %v\n", command, err)
		return 2
	}
	var opts []client.ClientOption
	if *legacy {
		opts = append(opts, client.WithLegacyProtocolOnly())
	}
	c := client.NewClient(t, opts...)
	defer c.Close()

	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "agentmcp-example-client", Version: "1"}
	info, err := c.Initialize(ctx, init)
	if err != nil {
		fmt.Fprintf(stderr, "client: initialize: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "connected to %s %s (protocol %s)\n", info.ServerInfo.Name, info.ServerInfo.Version, info.ProtocolVersion)

	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		fmt.Fprintf(stderr, "client: tools/list: %v\n", err)
		return 2
	}
	names := make([]string, 0, len(list.Tools))
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	sort.Strings(names)
	fmt.Fprintf(stdout, "%d tools: %s\n", len(names), strings.Join(names, ", "))
	if len(names) == 0 {
		fmt.Fprintln(stderr, "client: the server lists no tools")
		return 1
	}

	failed := 0
	for _, name := range names {
		if err := preview(ctx, c, name, *argsDir, *quiet, stdout); err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL %s: %v\n", name, err)
			// No answer at all (the server exited, say) is a connection
			// problem, not a failing tool; the other tools cannot be tried.
			if lost := (*transport.Error)(nil); errors.As(err, &lost) {
				fmt.Fprintf(stderr, "client: the server stopped answering: %v\n", lost.Err)
				return 2
			}
		}
	}
	fmt.Fprintf(stdout, "\npreviewed %d tools: %d ok, %d failed\n", len(names), len(names)-failed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// preview calls one tool with its arguments file and dry_run, and prints the
// request the server would send.
func preview(ctx context.Context, c *client.Client, tool, argsDir string, quiet bool, out io.Writer) error {
	slug := strings.TrimPrefix(tool, toolPrefix)
	path := filepath.Join(argsDir, slug+".json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("no arguments file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as written
	var args map[string]any
	if err := dec.Decode(&args); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	args["dry_run"] = true

	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return fmt.Errorf("tools/call: %w", err)
	}
	text := resultText(res)
	if res.IsError {
		return errors.New(text)
	}
	var p struct {
		Request struct {
			Method  string            `json:"method"`
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
			Body    any               `json:"body"`
		} `json:"request"`
		MissingCredentials []string `json:"missing_credentials"`
	}
	b, err := json.Marshal(res.StructuredContent)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil || p.Request.Method == "" {
		return fmt.Errorf("no dry-run preview in the result: %s", text)
	}

	if quiet {
		fmt.Fprintf(out, "ok   %s (%s)\n", tool, path)
		return nil
	}
	fmt.Fprintf(out, "\nok   %s (%s)\n", tool, path)
	printURL(out, p.Request.Method, p.Request.URL)
	hs := make([]string, 0, len(p.Request.Headers))
	for k := range p.Request.Headers {
		hs = append(hs, k)
	}
	sort.Strings(hs)
	for _, k := range hs {
		fmt.Fprintf(out, "     %s: %s\n", k, p.Request.Headers[k])
	}
	if p.Request.Body != nil {
		body, _ := json.MarshalIndent(p.Request.Body, "     ", "  ")
		fmt.Fprintf(out, "     %s\n", body)
	}
	if len(p.MissingCredentials) > 0 {
		fmt.Fprintf(out, "     (a real call needs %s)\n", strings.Join(p.MissingCredentials, ", "))
	}
	return nil
}

// printURL prints the URL, with its query parameters decoded one per line:
// some vendors take the whole request in the query string.
func printURL(out io.Writer, method, raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		fmt.Fprintf(out, "     %s %s\n", method, raw)
		return
	}
	q := u.Query()
	u.RawQuery = ""
	fmt.Fprintf(out, "     %s %s?\n", method, u)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range q[k] {
			fmt.Fprintf(out, "       %s=%s\n", k, v)
		}
	}
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
