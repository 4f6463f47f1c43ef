// Command passthrough is agentmcp's HTTP server with the floor's tool handler:
// the same mcp-go server, tools/list, sessions and HTTP middleware, but every
// create tool POSTs its arguments to the vendor as the floor does (package
// poster), with no validation, request build, answer parsing or structured
// result. Measured beside both, it splits agentmcp's cost per call into what
// its server adds and what its tool handler adds.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/mark3labs/mcp-go/server"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/bench/internal/poster"
	"github.com/agentmcp/agentmcp/providers"
)

func main() {
	cfg := app.Config{Version: "bench", Timeout: app.DefaultTimeout, Journal: app.JournalOff, SessionIdleTimeout: app.DefaultSessionIdleTimeout}
	flag.StringVar(&cfg.Transport, "transport", app.TransportHTTP, "http only")
	flag.StringVar(&cfg.Addr, "addr", app.DefaultAddr, "HTTP listen address")
	flag.StringVar(&cfg.LogLevel, "log-level", "warn", "log level")
	vendor := flag.String("vendor", "", "URL every call is POSTed to")
	key := flag.String("key", "bench", "bearer token sent to the vendor")
	idlePerHost := flag.Int("idle-per-host", 100, "idle vendor connections kept for reuse")
	flag.Parse()
	if err := run(cfg, *vendor, *key, *idlePerHost); err != nil {
		fmt.Fprintln(os.Stderr, "passthrough:", err)
		os.Exit(1)
	}
}

func run(cfg app.Config, vendor, key string, idlePerHost int) error {
	if vendor == "" {
		return fmt.Errorf("-vendor is required")
	}
	if cfg.Transport != app.TransportHTTP {
		return fmt.Errorf("-transport %q: only http", cfg.Transport)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log, closer, err := app.NewLogger(cfg.LogLevel, "", os.Stderr)
	if err != nil {
		return err
	}
	defer closer.Close()
	env := providers.Env(os.LookupEnv)
	srv, err := app.NewServer(cfg, env, nil, providers.NewClient("agentmcp/bench"), log)
	if err != nil {
		return err
	}
	// Same tool definitions, the floor's handler: AddTools replaces by name.
	h := poster.Handler(vendor, key, idlePerHost)
	for _, t := range srv.Tools {
		srv.MCP.AddTools(server.ServerTool{Tool: t.Tool, Handler: h})
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.NewHTTPService(srv, cfg).Serve(ctx, ln)
}
