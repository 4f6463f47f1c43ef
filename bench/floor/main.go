// Command floor is the reference the bench compares agentmcp with: the least
// an mcp-go server costs. One tool POSTs its arguments, as JSON, to a vendor
// URL through one reused http.Client and returns the response body as text.
// Nothing else: no schema, no validation, no journal, no retries.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	transport := flag.String("transport", "stdio", "stdio or http")
	addr := flag.String("addr", "127.0.0.1:8090", "HTTP listen address (endpoint /mcp)")
	vendor := flag.String("vendor", "", "URL every call is POSTed to")
	key := flag.String("key", "bench", "bearer token sent to the vendor")
	tool := flag.String("tool", "create_agent", "tool name")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	idlePerHost := flag.Int("idle-per-host", 100, "idle vendor connections kept for reuse (2 is a plain http.Client's)")
	flag.Parse()
	if err := run(*transport, *addr, *vendor, *key, *tool, *cpuProfile, *idlePerHost); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(transport, addr, vendor, key, tool, cpuProfile string, idlePerHost int) error {
	if vendor == "" {
		return errors.New("-vendor is required")
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s := server.NewMCPServer("floor", "1", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewToolWithRawSchema(tool, "POST the arguments to the vendor.", json.RawMessage(`{"type":"object"}`)),
		poster(vendor, key, idlePerHost))

	switch transport {
	case "stdio":
		err := server.NewStdioServer(s).Listen(ctx, os.Stdin, os.Stdout)
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	case "http":
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("/mcp", server.NewStreamableHTTPServer(s))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { <-ctx.Done(); _ = srv.Close() }()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	return fmt.Errorf("-transport %q: want stdio or http", transport)
}

// poster is the tool handler: arguments in, vendor response body out.
func poster(vendor, key string, idlePerHost int) server.ToolHandlerFunc {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = idlePerHost // 100 by default: a connection per concurrent call
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		body, err := json.Marshal(req.GetRawArguments())
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, vendor, bytes.NewReader(body))
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(r)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode/100 != 2 {
			return mcp.NewToolResultError(fmt.Sprintf("vendor: HTTP %d: %s", resp.StatusCode, out)), nil
		}
		return mcp.NewToolResultText(string(out)), nil
	}
}
