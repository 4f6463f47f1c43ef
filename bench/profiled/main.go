// Command profiled runs the agentmcp server (app.Run, as the agentmcp command
// does) under a CPU profile, so the bench can profile it without the server
// itself carrying a profiling option. Settings come from the environment like
// the real command's; only the flags the bench needs exist.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/providers"
)

func main() {
	cfg := app.Config{Version: "bench", Timeout: app.DefaultTimeout, SessionIdleTimeout: app.DefaultSessionIdleTimeout}
	flag.StringVar(&cfg.Transport, "transport", app.TransportStdio, "stdio or http")
	flag.StringVar(&cfg.Addr, "addr", app.DefaultAddr, "HTTP listen address")
	flag.StringVar(&cfg.Journal, "journal", app.JournalOff, "journal path or off")
	flag.StringVar(&cfg.LogLevel, "log-level", "warn", "log level")
	out := flag.String("cpuprofile", "cpu.pprof", "CPU profile file")
	flag.Parse()

	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = app.Run(ctx, cfg, providers.Env(os.LookupEnv), os.Stdin, os.Stdout, os.Stderr)
	stop()
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		os.Exit(1)
	}
}
