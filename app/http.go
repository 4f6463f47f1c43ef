package app

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/tools"
)

// progressPause lets mcp-go's streamable HTTP transport flush a trailing
// progress notification before the result ends the response.
const progressPause = 20 * time.Millisecond

// MCPPath is where the MCP endpoint is served.
const MCPPath = "/mcp"

// HTTPService is the HTTP transport: /mcp behind Origin, bearer and body-size
// checks, and /healthz.
type HTTPService struct {
	cfg     Config
	log     zerolog.Logger
	server  *Server
	mcp     *server.StreamableHTTPServer
	streams streamSet
	calls   callSet
	handler http.Handler
}

// NewHTTPService builds the HTTP handler for s.
func NewHTTPService(s *Server, cfg Config) *HTTPService {
	opts := []server.StreamableHTTPOption{
		server.WithStreamableHTTPLogger(slog.New(zerolog.NewSlogHandler(s.Log))),
	}
	var sessions *sessionIDs
	if cfg.Stateless {
		// No GET stream: without sessions every caller's stream would be
		// the same one, and one caller's progress would reach another.
		opts = append(opts, server.WithStateLess(true), server.WithDisableStreaming(true))
	} else {
		sessions = newSessionIDs()
		opts = append(opts, server.WithSessionIdManager(sessions), server.WithSessionIdleTTL(cfg.SessionIdleTimeout),
			server.WithHeartbeatInterval(cmp.Or(cfg.streamHeartbeat, defaultStreamHeartbeat)))
	}
	h := &HTTPService{cfg: cfg, log: s.Log, server: s, mcp: server.NewStreamableHTTPServer(s.MCP, opts...)}
	mux := http.NewServeMux()
	inner := ignoreCancellations(sessions.check(h.trackStreams(h.mcp)), cfg.Stateless)
	mux.Handle(MCPPath, noProxyBuffering(h.calls.track(h.checkOrigin(h.checkToken(h.limitBody(inner))))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	h.handler = mux
	return h
}

// defaultStreamHeartbeat is how often an open GET stream gets a ping: more
// often than a reverse proxy's read timeout (nginx's default is 60 s) ends a
// stream with nothing to read, and with it the notifications sent meanwhile.
const defaultStreamHeartbeat = 30 * time.Second

// noProxyBuffering asks a reverse proxy to pass responses on as they are
// written (nginx honours X-Accel-Buffering), so that the progress
// notifications of an event stream arrive while its call runs, not with its
// result.
func noProxyBuffering(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Accel-Buffering", "no")
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP implements http.Handler.
func (h *HTTPService) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.handler.ServeHTTP(w, r) }

// maxHeaderBytes caps a request's header block, request line included.
const maxHeaderBytes = 64 << 10

// headerSlack is what net/http reads past http.Server.MaxHeaderBytes.
const headerSlack = 4096

// Serve answers on ln until ctx is done, then shuts down gracefully: it stops
// accepting, ends open streams, and lets in-flight tool calls finish (and be
// journaled) for up to cfg.ShutdownTimeout.
func (h *HTTPService) Serve(ctx context.Context, ln net.Listener) error {
	srv := h.newServer()
	srv.RegisterOnShutdown(h.streams.closeAll)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	h.log.Info().Dur("grace", h.cfg.ShutdownTimeout).Msg("shutting down: finishing in-flight calls")
	sctx, cancel := context.WithTimeout(context.Background(), h.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		h.log.Warn().Msg("shutdown grace period over: closing remaining connections")
		h.server.AbortCalls()
		_ = srv.Close()
		err = nil
		// Close cancels the calls still running but does not wait for them:
		// give them a moment to journal their outcome before the journal closes.
		if !h.calls.wait(callDrain) {
			h.log.Warn().Msg("calls still running at exit; their outcome may be missing from the journal")
		}
	}
	_ = h.mcp.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// newServer is the http.Server Serve runs: its limits guard against slow
// and oversized clients.
func (h *HTTPService) newServer() *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		// Keys, token, session id and the like take a few KiB; Go's default is 1 MiB.
		MaxHeaderBytes: maxHeaderBytes - headerSlack,
		ReadTimeout:    60 * time.Second,
		// Longer than the longest tool call; streams clear it themselves.
		WriteTimeout: h.cfg.Timeout + h.writeSlack(),
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     nil,
	}
}

// defaultWriteSlack is how long past a call's --timeout its answer may
// still be written (the journal's writes, a slow reader).
const defaultWriteSlack = 30 * time.Second

func (h *HTTPService) writeSlack() time.Duration {
	return cmp.Or(h.cfg.writeSlack, defaultWriteSlack)
}

// callDrain bounds the wait for cancelled calls to record their outcome.
const callDrain = 5 * time.Second

// callSet counts the requests in flight on /mcp.
type callSet struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

func (c *callSet) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		c.wg.Add(1)
		c.mu.Unlock()
		defer c.wg.Done()
		next.ServeHTTP(w, r)
	})
}

// wait refuses new requests and waits up to d for those in flight; it
// reports whether they all ended.
func (c *callSet) wait(d time.Duration) bool {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// checkOrigin refuses browser requests from origins that are neither loopback
// nor allowed (MCP transport security: DNS rebinding). Requests without an
// Origin header (CLI and desktop clients) pass.
func (h *HTTPService) checkOrigin(next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range h.cfg.AllowedOrigins {
		allowed[canonicalOrigin(o)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || allowed[canonicalOrigin(origin)] || isLoopbackOrigin(origin) {
			next.ServeHTTP(w, r)
			return
		}
		// Clipped: a caller without the token must not write a header's
		// worth of log per request.
		if len(origin) > 200 {
			origin = strings.ToValidUTF8(origin[:200], "") + "…"
		}
		h.log.Warn().Str("origin", origin).Msg("refused request from a foreign origin")
		http.Error(w, "forbidden: origin not allowed (see --allowed-origins)", http.StatusForbidden)
	})
}

// canonicalOrigin is an origin as browsers send it: lower case, no trailing
// slash, no default port, so https://x:443/ in --allowed-origins matches the
// https://x a browser sends.
func canonicalOrigin(origin string) string {
	o := strings.ToLower(strings.TrimRight(origin, "/"))
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return o
	}
	host := u.Host
	if p := u.Port(); (u.Scheme == "https" && p == "443") || (u.Scheme == "http" && p == "80") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return u.Scheme + "://" + host
}

func isLoopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return IsLoopbackHost(u.Hostname())
}

// checkToken requires Authorization: Bearer <token> when a token is configured.
func (h *HTTPService) checkToken(next http.Handler) http.Handler {
	if h.cfg.HTTPToken.IsZero() {
		return next
	}
	// Hashes have one length, so the comparison does not reveal the token's.
	want := sha256.Sum256([]byte(h.cfg.HTTPToken.Reveal()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive and may be followed by several
		// spaces (RFC 9110 11.4).
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimLeft(token, " ")
		got := sha256.Sum256([]byte(token))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="agentmcp"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody answers 413 to bodies over the cap (mcp-go reads whole bodies).
func (h *HTTPService) limitBody(next http.Handler) http.Handler {
	max := h.cfg.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > max {
			http.Error(w, fmt.Sprintf("request body over %d bytes", max), http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, fmt.Sprintf("request body over %d bytes", max), http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "could not read request body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// ignoreCancellations answers notifications/cancelled without acting on it
// unless the request belongs to a session. Without one (--stateless, or a
// client of protocol 2026-07-28, which has no sessions) mcp-go keys in-flight
// requests by JSON-RPC id alone, so one client's cancellation could abort
// another client's create that happens to share the id. Such clients cancel
// by closing their request instead, which still aborts the vendor call.
func ignoreCancellations(next http.Handler, stateless bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inSession := !stateless && r.Header.Get(server.HeaderKeySessionID) != "" &&
			!mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion))
		if r.Method == http.MethodPost && r.Body != nil && !inSession {
			body, err := readBody(r)
			if err == nil && mayBeCancellation(body) {
				if method, ok := methodOf(body); ok && method == "notifications/cancelled" {
					w.WriteHeader(http.StatusAccepted)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// mayBeCancellation reports whether the JSON-RPC message b could be a
// notifications/cancelled, so that only those are parsed: the method may be
// written with escapes (notifications\/cancelled), but a letter of "cancel"
// can be escaped only as \u.
func mayBeCancellation(b []byte) bool {
	return bytes.Contains(b, []byte("cancel")) || bytes.Contains(b, []byte(`\u`))
}

// readBody reads r's body and puts the bytes back for the next handler.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}

// methodOf is the method of the JSON-RPC message body; ok is false when body
// is not a single JSON object.
func methodOf(body []byte) (method string, ok bool) {
	var msg struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return "", false
	}
	return msg.Method, true
}

// trackStreams lets shutdown end long-lived GET streams, which would otherwise
// hold the server open, and frees them from the write timeout. A POST's
// write deadline moves with its tool call's answer (tools.WithAnswerDue).
func (h *HTTPService) trackStreams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			d := &writeDeadline{w: w, slack: h.writeSlack()}
			next.ServeHTTP(w, r.WithContext(tools.WithAnswerDue(r.Context(), d.extend)))
			return
		}
		if r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		ctx, cancel := context.WithCancel(r.Context())
		id := h.streams.add(cancel)
		defer h.streams.remove(id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// writeDeadline moves a response's write deadline later, never earlier: a
// tool call that waited for an identical one may answer long after the
// server's WriteTimeout, which counts from the request's arrival.
type writeDeadline struct {
	w      http.ResponseWriter // its controller made only when a call moves the deadline, which most never do
	slack  time.Duration       // as WriteTimeout has over --timeout
	mu     sync.Mutex
	latest time.Time
}

// extend lets the response be written until answer, and slack after it.
func (d *writeDeadline) extend(answer time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := answer.Add(d.slack); t.After(d.latest) {
		d.latest = t
		_ = http.NewResponseController(d.w).SetWriteDeadline(t)
	}
}

// streamSet holds the cancel functions of open GET streams.
type streamSet struct {
	mu     sync.Mutex
	next   int
	cancel map[int]context.CancelFunc
}

func (s *streamSet) add(c context.CancelFunc) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil {
		s.cancel = map[int]context.CancelFunc{}
	}
	s.next++
	s.cancel[s.next] = c
	return s.next
}

func (s *streamSet) remove(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cancel[id]; ok {
		c()
		delete(s.cancel, id)
	}
}

func (s *streamSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, c := range s.cancel {
		c()
		delete(s.cancel, id)
	}
}
