// Command agentmcp is an MCP server that creates agents on vendor platforms:
// one create_agent_<provider> tool per vendor, over stdio or streamable HTTP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/providers"
)

// Set at build time: -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234".
var (
	version = "dev"
	commit  = ""
)

// serverVersion is version, or without ldflags the module version go
// install recorded (go install github.com/agentmcp/agentmcp@v1.2.3 records
// v1.2.3; a build in a checkout records "(devel)" or a pseudo-version).
func serverVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func main() {
	// Stray stdlib log output must never reach stdout (the stdio protocol).
	log.SetOutput(os.Stderr)
	// A client that quits closes our stdout and stderr too. Writing to them
	// must then fail, not kill the process (Go's default for fd 1 and 2):
	// calls still finishing have their outcome to journal.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal starts a graceful shutdown, a second one
	// interrupts it the ordinary way.
	context.AfterFunc(ctx, stop)
	os.Exit(run(ctx, os.Args[1:], os.LookupEnv, os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, lookup func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, showVersion, err := parseConfig(args, lookup, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil && !showVersion {
		// Every bad flag or AGENTMCP_* value exits 2, whichever check finds it.
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintln(stderr, "agentmcp:", withSources(err, cfg.FromEnv))
		return 2
	}
	if showVersion {
		fmt.Fprintln(stdout, versionString())
		return 0
	}
	if err := app.Run(ctx, cfg, providers.Env(lookup), stdin, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "agentmcp:", withSources(err, cfg.FromEnv))
		return 1
	}
	return 0
}

// withSources adds to err which environment variable set each flag it names:
// a user who set AGENTMCP_TRANSPORT in a client's env block never typed
// --transport.
func withSources(err error, fromEnv map[string]string) string {
	msg := err.Error()
	var notes []string
	for flagName, env := range fromEnv {
		if strings.Contains(msg, "--"+flagName) {
			notes = append(notes, fmt.Sprintf("--%s came from %s", flagName, env))
		}
	}
	if len(notes) == 0 {
		return msg
	}
	sort.Strings(notes)
	return msg + " (" + strings.Join(notes, "; ") + ")"
}

func versionString() string {
	if commit != "" {
		return fmt.Sprintf("agentmcp %s (commit %s)", serverVersion(), commit)
	}
	return "agentmcp " + serverVersion()
}

// envPrefix names every flag's environment twin: --http-token is AGENTMCP_HTTP_TOKEN.
const envPrefix = "AGENTMCP_"

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads flags, then fills every flag not given on the command line
// from its AGENTMCP_<FLAG> twin. Flags win over the environment.
func parseConfig(args []string, lookup func(string) (string, bool), stderr io.Writer) (app.Config, bool, error) {
	fs := flag.NewFlagSet("agentmcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg          = app.Config{Version: serverVersion(), FromEnv: map[string]string{}}
		providerList = strings.Join(app.Slugs(), ",")
		origins      string
		token        string
		showVer      bool
	)
	fs.StringVar(&cfg.Transport, "transport", app.TransportStdio, "stdio or http")
	fs.StringVar(&cfg.Addr, "addr", app.DefaultAddr, "HTTP listen address (the MCP endpoint is /mcp, health is /healthz)")
	fs.StringVar(&token, "http-token", "", "require Authorization: Bearer <token> on every request to /mcp, not /healthz (required off loopback; or AGENTMCP_HTTP_TOKEN_FILE)")
	fs.StringVar(&origins, "allowed-origins", "", "comma-separated browser origins allowed besides loopback ones, e.g. https://app.example.com")
	fs.StringVar(&providerList, "providers", providerList, "comma-separated providers to serve")
	fs.BoolVar(&cfg.DryRun, "dry-run", false, "preview every call; nothing is sent to any vendor")
	fs.DurationVar(&cfg.Timeout, "timeout", app.DefaultTimeout, "time limit of one call, retries included: the answer is sent within it")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "trace, debug, info, warn, error or disabled")
	fs.StringVar(&cfg.LogFile, "log-file", "", "write logs to this file instead of stderr")
	fs.StringVar(&cfg.Journal, "journal", "", `journal of create attempts (JSON Lines); default $XDG_STATE_HOME/agentmcp/journal.jsonl, else on Windows %LOCALAPPDATA%\agentmcp\journal.jsonl, else ~/.local/state/agentmcp/journal.jsonl; "off" disables`)
	fs.BoolVar(&cfg.HeaderCredentials, "header-credentials", false, "HTTP only: take vendor credentials from allowlisted request headers, never from the server environment")
	fs.BoolVar(&cfg.Stateless, "stateless", false, "HTTP only: no sessions, so replicas can run behind any load balancer")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", app.DefaultMaxBodyBytes, "largest HTTP request body accepted (413 above; 0 or less: the default)")
	fs.DurationVar(&cfg.SessionIdleTimeout, "session-idle-timeout", app.DefaultSessionIdleTimeout, "HTTP only: end a session after this long without a request, and none in progress (0 keeps it until the client ends it)")
	fs.DurationVar(&cfg.DedupeWindow, "dedupe-window", app.DefaultDedupeWindow, "a create identical to one that made an agent this recently (same tool and arguments; with --header-credentials, same keys) returns that agent instead of making a second, and one identical to a create whose outcome was unknown returns that outcome; one identical to a create in progress waits for it; a restarted server reads the window's creates back from the journal (0: off)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 0, "how long in-flight calls may finish after SIGTERM, or over stdio after stdin closes (default, and for 0 or less: --timeout + 5s)")
	fs.BoolVar(&showVer, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage of agentmcp:")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "\nEvery flag but -version can also be set as AGENTMCP_<FLAG> (dashes as underscores, e.g. AGENTMCP_HTTP_TOKEN);\na flag on the command line wins. Vendor keys and settings: see README.md.")
	}
	// The flag package prints the whole usage after any mistake: a desktop
	// app's log would bury the one line that says what is wrong.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return cfg, false, err
		}
		// The flag package's word on a bad value is "parse error" (a value
		// out of range is said as such, and needs nothing added).
		if m := unparsedValue.FindStringSubmatch(err.Error()); m != nil {
			if f := fs.Lookup(m[1]); f != nil {
				if want := wantValue(f); want != "" {
					err = fmt.Errorf("%w; %s", err, want)
				}
			}
		}
		return cfg, false, fmt.Errorf("%w (see --help)", err)
	}
	if fs.NArg() > 0 {
		return cfg, false, fmt.Errorf("unexpected arguments %q (flags only; see --help)", fs.Args())
	}
	if showVer {
		// Checking an install must not fail on settings meant for serving.
		return cfg, true, nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		// --version has no twin: AGENTMCP_VERSION is too likely to hold a
		// version string set for some other purpose.
		if given[f.Name] || f.Name == "version" {
			return
		}
		// Trimmed, as the vendor variables are: "true " is true.
		if v, ok := lookup(envName(f.Name)); ok && strings.TrimSpace(v) != "" {
			v = strings.TrimSpace(v)
			if err := fs.Set(f.Name, v); err != nil {
				if want := wantValue(f); want != "" && err.Error() == "parse error" {
					err = errors.New(want)
				}
				errs = append(errs, fmt.Errorf("%s=%q: %v", envName(f.Name), v, err))
			}
			cfg.FromEnv[f.Name] = envName(f.Name)
		}
	})
	if path, ok := lookup(envName("http-token") + "_FILE"); ok && path != "" {
		if token != "" {
			errs = append(errs, fmt.Errorf("the HTTP token is set twice (--http-token or %s, and %s_FILE): keep one", envName("http-token"), envName("http-token")))
		} else {
			var err error
			token, err = providers.ReadSecretFile(path)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s_FILE: %w", envName("http-token"), err))
			case token == "":
				// Silently serving without a token is worse than not starting.
				errs = append(errs, fmt.Errorf("%s_FILE: %s is empty", envName("http-token"), path))
			}
		}
	}
	// Spaces around a pasted token would lock every caller out: Go trims
	// them from the header a client sends. An empty --http-token (an unset
	// variable in a client's config) would hide its twin's token and serve
	// without one.
	if trimmed := strings.TrimSpace(token); trimmed != token || given["http-token"] {
		if trimmed == "" {
			errs = append(errs, fmt.Errorf("the HTTP token (--http-token or %s) is blank", envName("http-token")))
		}
		token = trimmed
	}
	// A token of two lines (a file holding two) matches no header a client
	// can send: every call would be refused, with nothing to say why.
	if err := providers.OneLine(token); err != nil {
		errs = append(errs, fmt.Errorf("the HTTP token (--http-token, %s or %s_FILE) %w", envName("http-token"), envName("http-token"), err))
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, false, err
	}
	cfg.HTTPToken = providers.NewSecret(token)
	if cfg.Providers = app.SplitList(providerList); len(cfg.Providers) == 0 {
		// Given, but naming none (an empty variable in a script): serving
		// every vendor instead would enable the ones meant to stay off.
		return cfg, false, fmt.Errorf("--providers names no provider; known: %s", strings.Join(app.Slugs(), ", "))
	}
	cfg.AllowedOrigins = app.SplitList(origins)
	for _, name := range httpOnlyFlags {
		switch {
		case given[name]:
			cfg.HTTPOnly = append(cfg.HTTPOnly, "--"+name)
		case cfg.FromEnv[name] != "":
			cfg.HTTPOnly = append(cfg.HTTPOnly, cfg.FromEnv[name])
		case name == "http-token" && token != "":
			cfg.HTTPOnly = append(cfg.HTTPOnly, envName(name)+"_FILE")
		}
	}
	if cfg.ShutdownTimeout < 0 {
		cfg.ShutdownTimeout = 0
	}
	return cfg, showVer, nil
}

// httpOnlyFlags are the settings only --transport http reads. Over stdio
// they are ignored, and the start-up log says so: a token or a stateless
// mode the user set must not be taken for one in force.
// (--header-credentials over stdio is refused instead: no headers there.)
var httpOnlyFlags = []string{"addr", "http-token", "allowed-origins", "stateless", "max-body-bytes", "session-idle-timeout"}

// unparsedValue matches the flag package's refusal of a value that does not
// parse, for a bool flag ("invalid boolean value") or any other; m[1] is the
// flag's name.
var unparsedValue = regexp.MustCompile(`^invalid (?:boolean )?value ".*" for (?:flag )?-([\w-]+): parse error$`)

// wantValue says what form f's value takes ("" when any text will do), for
// an error about a value it refused.
func wantValue(f *flag.Flag) string {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return ""
	}
	switch g.Get().(type) {
	case time.Duration:
		return "want a duration with its unit, such as 90s, 2m or 1h30m"
	case bool:
		return "want true or false"
	case int, int64:
		return "want a whole number"
	}
	return ""
}
