// Package app wires agentmcp together: configuration, logging, the provider
// catalog, the MCP server, and the stdio and streamable HTTP transports.
package app

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentmcp/agentmcp/providers"
)

// Transports.
const (
	TransportStdio = "stdio"
	TransportHTTP  = "http"
)

// JournalOff disables the journal when given as its path.
const JournalOff = "off"

// Config is the whole server configuration; main fills it from flags and env.
type Config struct {
	Transport         string
	Addr              string
	HTTPToken         providers.Secret
	AllowedOrigins    []string
	Providers         []string
	DryRun            bool
	Timeout           time.Duration
	LogLevel          string
	LogFile           string
	Journal           string // path; "" = default location; "off" = none
	HeaderCredentials bool
	Stateless         bool
	MaxBodyBytes      int64
	ShutdownTimeout   time.Duration
	// SessionIdleTimeout ends an HTTP session with no request, and none in
	// progress, for this long (its id then gets 404, and the client
	// initializes again); 0 never.
	SessionIdleTimeout time.Duration
	// DedupeWindow is how long an agent created by a call, or an unknown
	// outcome, answers a call identical to it (same tool and arguments, and
	// with header credentials the same keys) instead of a second create; a
	// call identical to one in progress waits for it. 0: off.
	DedupeWindow time.Duration
	Version      string
	// streamHeartbeat overrides defaultStreamHeartbeat (tests).
	streamHeartbeat time.Duration
	// writeSlack overrides defaultWriteSlack (tests).
	writeSlack time.Duration
	// HTTPOnly names the HTTP-only settings given, as the user wrote them
	// (--stateless, AGENTMCP_STATELESS), logged as ignored over stdio.
	HTTPOnly []string
	// FromEnv names, by flag, the environment variable that set it, so that
	// an error can say what the user wrote.
	FromEnv map[string]string
}

// Defaults.
const (
	DefaultAddr         = "127.0.0.1:8080"
	DefaultTimeout      = 60 * time.Second
	DefaultMaxBodyBytes = 4 << 20
	// DefaultSessionIdleTimeout bounds the memory of sessions whose clients
	// left without DELETE (most do), while sparing a client idle for a day.
	DefaultSessionIdleTimeout = 24 * time.Hour
	// DefaultDedupeWindow outlasts a client's give-up-and-retry (a call
	// takes up to --timeout, a client's own timeout is often a minute),
	// and is short enough that the same agent asked for again later is made.
	DefaultDedupeWindow = 10 * time.Minute
)

// Validate checks the configuration before anything starts.
func (c *Config) Validate() error {
	var errs []error
	switch c.Transport {
	case TransportStdio, TransportHTTP:
	default:
		errs = append(errs, fmt.Errorf("--transport %q: want stdio or http", c.Transport))
	}
	if _, err := SelectProviders(c.Providers); err != nil {
		errs = append(errs, err)
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be positive", c.Timeout))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.Transport == TransportHTTP {
		host, port, err := net.SplitHostPort(c.Addr)
		if err == nil {
			// Checked here, not first by net.Listen, so that a bad port is a
			// setting refused (exit 2, naming where it came from).
			_, err = net.LookupPort("tcp", port)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--addr %q: want host:port: %v", c.Addr, err))
		} else if !IsLoopbackHost(host) && c.HTTPToken.IsZero() {
			errs = append(errs, fmt.Errorf("--addr %q is not a loopback address: set --http-token (or AGENTMCP_HTTP_TOKEN, or AGENTMCP_HTTP_TOKEN_FILE) so that only callers with the token can create agents", c.Addr))
		}
		for _, o := range c.AllowedOrigins {
			if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
				errs = append(errs, fmt.Errorf("--allowed-origins %q: want scheme://host[:port]", o))
			}
		}
	}
	if c.HeaderCredentials && c.Transport != TransportHTTP {
		errs = append(errs, errors.New("--header-credentials needs --transport http: stdio has no request headers"))
	}
	if c.SessionIdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("--session-idle-timeout %s: must not be negative (0 keeps sessions until DELETE)", c.SessionIdleTimeout))
	}
	if c.DedupeWindow < 0 {
		errs = append(errs, fmt.Errorf("--dedupe-window %s: must not be negative (0 turns it off)", c.DedupeWindow))
	}
	c.Journal, c.LogFile = strings.TrimSpace(c.Journal), strings.TrimSpace(c.LogFile)
	if strings.EqualFold(c.Journal, JournalOff) {
		c.Journal = JournalOff // OFF, Off: a file of that name was surely not meant
	}
	// A client's JSON config has no shell to expand ~, and its working
	// directory is anyone's guess.
	var err error
	if c.Journal, err = providers.ExpandHome(c.Journal); err != nil {
		errs = append(errs, fmt.Errorf("--journal %s: %v", c.Journal, err))
	}
	if c.LogFile, err = providers.ExpandHome(c.LogFile); err != nil {
		errs = append(errs, fmt.Errorf("--log-file %s: %v", c.LogFile, err))
	}
	if c.LogFile != "" && c.Journal != "" && c.Journal != JournalOff && samePath(c.LogFile, c.Journal) {
		errs = append(errs, fmt.Errorf("--log-file and --journal are both %s: log lines would break the journal; name two files", c.LogFile))
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = c.Timeout + 5*time.Second
	}
	return errors.Join(errs...)
}

// samePath reports whether a and b name the same file, existing or not.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// IsLoopbackHost reports whether host names this machine only.
func IsLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SplitList is a comma-separated setting's items, each trimmed, blanks
// dropped (--providers, --allowed-origins).
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
