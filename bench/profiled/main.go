// Command profiled runs the agentmcp server (app.Run, as the agentmcp command
// does) under a CPU profile, so the bench can profile it without the server
// itself carrying a profiling option. Every setting a call depends on starts
// at the agentmcp command's default (the dedupe window, the timeouts, the
// journal, the body cap, the providers), so that the profile is of the server
// as installed; only the flags the bench needs can change them, and their
// AGENTMCP_* twins are not read (the bench clears them). Vendor settings and
// keys come from the environment, as the real command's do.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/providers"
)

func main() {
	fs, cfg, providerList, out := flags()
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if cfg.Providers = app.SplitList(*providerList); len(cfg.Providers) == 0 {
		fmt.Fprintln(os.Stderr, "profiled: --providers names no provider")
		os.Exit(2)
	}

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
	err = app.Run(ctx, *cfg, providers.Env(os.LookupEnv), os.Stdin, os.Stdout, os.Stderr)
	stop()
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		os.Exit(1)
	}
}

// flags is the command line: each flag the agentmcp command also has keeps
// its name and default there (main.go's parseConfig; TestDefaultsAsAgentmcp
// holds them together), and every setting without a flag here is left at its
// zero value, which is the command's default for each of them.
func flags() (fs *flag.FlagSet, cfg *app.Config, providerList, cpuProfile *string) {
	fs = flag.NewFlagSet("profiled", flag.ContinueOnError)
	cfg = &app.Config{Version: "bench"}
	fs.StringVar(&cfg.Transport, "transport", app.TransportStdio, "stdio or http")
	fs.StringVar(&cfg.Addr, "addr", app.DefaultAddr, "HTTP listen address")
	fs.StringVar(&cfg.Journal, "journal", "", `journal path; default the command's default location; "off" disables`)
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log level")
	fs.DurationVar(&cfg.Timeout, "timeout", app.DefaultTimeout, "time limit of one call")
	fs.DurationVar(&cfg.DedupeWindow, "dedupe-window", app.DefaultDedupeWindow, "dedupe window (0: off)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", app.DefaultMaxBodyBytes, "largest HTTP request body accepted")
	fs.DurationVar(&cfg.SessionIdleTimeout, "session-idle-timeout", app.DefaultSessionIdleTimeout, "HTTP session idle timeout (0: none)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 0, "grace period of in-flight calls (0: --timeout + 5s)")
	providerList = fs.String("providers", strings.Join(app.Slugs(), ","), "comma-separated providers to serve")
	cpuProfile = fs.String("cpuprofile", "cpu.pprof", "CPU profile file")
	return fs, cfg, providerList, cpuProfile
}
