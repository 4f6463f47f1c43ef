package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
)

// stdioWorkers is how many tool calls run at once over stdio (mcp-go's
// default is 5). A call the client cancelled keeps its worker while the
// vendor's answer to a request it already has is followed (up to --timeout).
// More workers, or handing each call to a goroutine of its own, would leave
// more room for new calls beside cancelled ones to a hung vendor, but each
// measured slower per call (64 workers: overhead 1.30x the floor's against
// 1.25x; the hand-off: about 10 µs a call).
const stdioWorkers = 16

// Run serves cfg until ctx is done or, over stdio, until stdin closes.
func Run(ctx context.Context, cfg Config, env providers.Env, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Transport == TransportStdio && cfg.LogFile != "" && isFile(cfg.LogFile, stdout) {
		return fmt.Errorf("--log-file %s is this process's stdout, which carries the stdio protocol: leave --log-file unset to log to stderr, or name a file", cfg.LogFile)
	}
	logger, closer, err := NewLogger(cfg.LogLevel, cfg.LogFile, stderr)
	if err != nil {
		return err
	}
	defer closer.Close()

	jr, err := openJournal(cfg, env)
	if err != nil {
		return err
	}
	if jr != nil {
		defer jr.Close()
	}
	client := providers.NewClient("agentmcp/" + cfg.Version)
	srv, err := NewServer(cfg, env, jr, client, logger)
	if err != nil {
		return err
	}

	if cfg.Transport == TransportStdio {
		srv.LogStartup(cfg, "")
		stdio := server.NewStdioServer(srv.MCP)
		stdio.SetErrorLogger(log.New(logger, "", 0))
		server.WithWorkerPoolSize(stdioWorkers)(stdio)
		server.WithQueueSize(stdioQueue)(stdio)
		// The session ends when stdin closes or ctx is done. Either way the
		// server is told first, so calls in flight finish and reach the
		// journal rather than being cancelled midway by mcp-go.
		listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
		defer stopListening()
		stopOnSignal := context.AfterFunc(ctx, func() { srv.EndSession(); stopListening() })
		defer stopOnSignal()
		// A cancellation is noted as it is read: mcp-go would drop one of a
		// call still waiting for a worker, and run the call.
		in := &cancelWatch{r: stdin, early: srv.early}
		// Calls queued when stdin ends are answered before mcp-go stops:
		// they wait at most for the calls in flight to drain.
		end := &endOfInput{r: in, end: srv.EndSession, drain: srv.drain, wait: cfg.ShutdownTimeout + 5*time.Second}
		err := stdio.Listen(listenCtx, end, dropAnswers{w: stdout, drain: srv.drain, early: srv.early})
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("stdio: %w", err)
		}
		logger.Info().Msg("stdio closed, exiting")
		return nil
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	where := "http://" + ln.Addr().String() + MCPPath
	srv.LogStartup(cfg, where)
	if cfg.LogFile != "" {
		// The log line went to the file; a person at the terminal still needs the address.
		fmt.Fprintf(stderr, "agentmcp listening on %s\n", where)
	}
	err = NewHTTPService(srv, cfg).Serve(ctx, ln)
	logger.Info().Msg("stopped")
	return err
}

// isFile reports whether path names the file w writes to (/dev/stdout,
// /proc/self/fd/1 or the file stdout was redirected to, for w = stdout).
func isFile(path string, w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	a, err := os.Stat(path)
	if err != nil {
		return false
	}
	b, err := f.Stat()
	return err == nil && os.SameFile(a, b)
}

// SharedJournalName is the default journal's file name with
// --header-credentials, beside the usual journal.jsonl.
const SharedJournalName = "journal-header-credentials.jsonl"

func openJournal(cfg Config, env providers.Env) (*journal.Journal, error) {
	path := cfg.Journal
	if path == JournalOff {
		return nil, nil
	}
	if path == "" {
		var err error
		if path, err = journal.DefaultPath(func(k string) string { return env.Get(k, "") }); err != nil {
			return nil, fmt.Errorf("%w (set --journal PATH, or --journal off)", err)
		}
		if cfg.HeaderCredentials {
			// Callers' agents must not show up in the journal resource of a
			// stdio server the same user runs on the default file.
			path = filepath.Join(filepath.Dir(path), SharedJournalName)
		}
	}
	jr, err := journal.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (set --journal PATH, or --journal off)", err)
	}
	return jr, nil
}
