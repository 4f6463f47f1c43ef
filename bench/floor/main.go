// Command floor is the reference the bench compares agentmcp with: the least
// an mcp-go server costs. One tool POSTs its arguments, as JSON, to a vendor
// URL through one reused http.Client and returns the response body as text
// (package poster). Nothing else: no schema, no validation, no journal, no retries.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/agentmcp/agentmcp/bench/internal/poster"
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
		poster.Handler(vendor, key, idlePerHost))

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
