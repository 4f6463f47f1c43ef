package providers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
)

// DefaultMaxResponseBytes caps how much of a vendor response is read. An agent
// object is a few kilobytes; anything near this is not a create response.
const DefaultMaxResponseBytes = 2 << 20

// Client sends vendor requests. One Client serves every provider.
type Client struct {
	HTTP             *http.Client
	UserAgent        string
	MaxResponseBytes int64
	MaxAttempts      int           // per call, first try included
	BaseBackoff      time.Duration // first wait when the vendor names none
	MaxBackoff       time.Duration
	// Sleep waits d or until ctx is done; tests replace it to observe waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for attempts and Retry-After dates.
	Now func() time.Time
}

// NewClient returns a Client with production defaults.
func NewClient(userAgent string) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	tr.ResponseHeaderTimeout = 0 // the call's context bounds the whole exchange
	// No Accept-Encoding added behind the provider's back: a dry run shows
	// every header sent, and an agent's answer is small.
	tr.DisableCompression = true
	// HTTP/1.1 only. Go's HTTP/2 transport sends a request again by itself
	// after some stream resets, even once the vendor has all of it; without
	// GetBody it still does for a request with no body (Alibaba's). HTTP/1.1
	// never sends a POST twice: every send is an attempt judged here.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	tr.Protocols = &protocols
	return &Client{
		HTTP: &http.Client{
			Transport: tr,
			// A create must not be replayed elsewhere: a redirect is reported,
			// never followed (and credentials never travel to another host).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		UserAgent:        userAgent,
		MaxResponseBytes: DefaultMaxResponseBytes,
		MaxAttempts:      5,
		BaseBackoff:      500 * time.Millisecond,
		MaxBackoff:       8 * time.Second,
	}
}

// RetryEvent describes a wait before another attempt.
type RetryEvent struct {
	Attempt int           // the attempt that failed
	Wait    time.Duration // how long before the next one
	Reason  string
}

// Call is one create-agent call as the client sees it.
type Call struct {
	Provider   string // human name, for messages
	AgentName  string
	VerifyHint string
	ClientID   string // id that makes the create idempotent ("" when none)
	// GivenID is an id the caller chose that does not make the create
	// idempotent (the vendor's handling of a taken id is unknown): an
	// unknown outcome still names it, as the way to look the agent up.
	GivenID    string
	Idempotent bool
	Build      func(Attempt) (*Outgoing, error)
	Parse      func(*Incoming) (*Created, error)
	OnRetry    func(RetryEvent)
	// Redact masks secrets in the vendor's answer: before an error is read
	// from it (error texts are clipped later, and a clipped secret no longer
	// matches), and in a created agent, whose id it leaves alone.
	Redact func(string) string
	// Stop, when closed, lets no new attempt start (the call was cancelled,
	// or the session or the server is ending); an attempt already sent runs
	// to its end.
	Stop <-chan struct{}
}

// Result is what Do reports besides the created agent.
type Result struct {
	Created  *Created
	Attempts int
}

// Do runs call: it builds, sends and parses attempts, retrying only when the
// vendor cannot have acted on the request, or when the request is idempotent,
// and never past ctx's deadline.
func (c *Client) Do(ctx context.Context, call Call) (Result, error) {
	var last error
	// maybe is set once an attempt may have reached the vendor: from then on
	// the call cannot end in "not created", whatever later attempts say.
	maybe := false
	// A refusal (a 429) comes back in milliseconds, a create takes seconds:
	// another attempt needs at least this share of the call's time.
	var minAttempt time.Duration
	if dl, ok := ctx.Deadline(); ok {
		minAttempt = dl.Sub(c.now()) / retryShare
	}
	for attempt := 1; ; attempt++ {
		if stopped(call.Stop) {
			if attempt == 1 {
				return Result{}, &NotSentError{Provider: call.Provider, Cause: errors.New("the call was cancelled, or the session ended, before the request was sent")}
			}
			return Result{Attempts: attempt - 1}, c.giveUp(call, maybe, errStoppedBeforeRetry(attempt-1), last)
		}
		at := Attempt{Number: attempt, Time: c.now().UTC(), Nonce: nonce()}
		out, err := call.Build(at)
		if err != nil {
			err = fmt.Errorf("build request: %w", err)
			if maybe {
				return Result{Attempts: attempt - 1}, c.unknown(call, fmt.Errorf("an earlier attempt may have created it; then %w", err))
			}
			return Result{Attempts: attempt - 1}, err
		}
		began := c.now()
		created, class, wait, err := c.attempt(ctx, call, out)
		took := c.now().Sub(began)
		if err == nil {
			return Result{Created: created, Attempts: attempt}, nil
		}
		last = err
		if class == Final && maybe {
			return Result{Attempts: attempt}, c.unknown(call, fmt.Errorf("an earlier attempt may have created it; then attempt %d: %w", attempt, err))
		}
		maybe = maybe || class == MaybeProcessed
		if class == Final {
			return Result{Attempts: attempt}, err
		}
		if class == MaybeProcessed && !call.Idempotent {
			return Result{Attempts: attempt}, c.unknown(call, err)
		}
		if ctx.Err() != nil {
			return Result{Attempts: attempt}, c.giveUp(call, maybe, ctx.Err(), last)
		}
		if stopped(call.Stop) {
			// Before a retry is announced that will never be sent.
			return Result{Attempts: attempt}, c.giveUp(call, maybe, errStoppedBeforeRetry(attempt), last)
		}
		asked := wait // the vendor's own Retry-After, 0 when it named none
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		// Another attempt needs the wait and about as long as this one took,
		// and no less than its share: one cut off by the deadline after
		// sending would leave the outcome unknown, where stopping here can
		// still say nothing was created.
		if attempt >= c.maxAttempts() || !fits(ctx, c.now(), wait+max(took, minAttempt)) {
			why := fmt.Errorf("gave up after %s", plural(attempt, "attempt"))
			if asked > 0 {
				// When to call again is what the caller needs next.
				shown := asked.Round(time.Second).String()
				switch {
				case asked < time.Second:
					shown = asked.Round(time.Millisecond).String()
				case asked > 24*time.Hour:
					shown = "more than a day" // perhaps clipped to maxWait
				}
				why = fmt.Errorf("%v (%s asked to wait %s before trying again)", why, call.Provider, shown)
			}
			return Result{Attempts: attempt}, c.giveUp(call, maybe, why, last)
		}
		if call.OnRetry != nil {
			call.OnRetry(RetryEvent{Attempt: attempt, Wait: wait, Reason: err.Error()})
		}
		if err := c.sleepUnlessStopped(ctx, call.Stop, wait); err != nil && !stopped(call.Stop) {
			return Result{Attempts: attempt}, c.giveUp(call, maybe, err, last)
		}
	}
}

// attempt sends one request and classifies the outcome.
func (c *Client) attempt(ctx context.Context, call Call, out *Outgoing) (*Created, Retry, time.Duration, error) {
	// Once the headers are written the vendor may get the whole request:
	// counting from WroteRequest instead leaves a window (the body still
	// being written) in which a failure would look unsent and be retried.
	var wrote atomic.Bool
	// A stop (a cancelled call, an ending session) cuts the attempt off while
	// it has no connection (resolving, connecting, waiting for one): nothing
	// has left that the vendor could act on. From the connection on the
	// attempt is followed to its answer: cancelled while the transport
	// writes, the request may still reach the vendor whole, and the answer,
	// with the new agent's id, would be lost.
	var mu sync.Mutex
	connected, cut, wroteAtCut := false, false, false // guarded by mu
	cutWith := func(cancel context.CancelFunc) {
		cut, wroteAtCut = true, wrote.Load()
		cancel()
	}
	sendCtx, cutOff := onStop(ctx, call.Stop, func(cancel context.CancelFunc) {
		mu.Lock()
		if !connected {
			cutWith(cancel)
		}
		mu.Unlock()
	})
	defer cutOff()
	trace := &httptrace.ClientTrace{
		// The transport asks for a connection again after one that proved
		// dead before anything was written on it, to send the request again
		// by itself: a stop that came meanwhile cuts that off.
		GetConn: func(string) {
			mu.Lock()
			defer mu.Unlock()
			connected = false
			if !cut && stopped(call.Stop) {
				cutWith(cutOff)
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			mu.Lock()
			defer mu.Unlock()
			if cut {
				// The transport took the connection as the stop came: it
				// would still write on it. Closed first, it sends nothing.
				info.Conn.Close()
				return
			}
			connected = true
		},
		WroteHeaders: func() { wrote.Store(true) },
	}
	// Whether anything the vendor could act on may have left: not when the
	// attempt was cut off before its headers were written.
	mayHaveSent := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return wrote.Load() && (!cut || wroteAtCut)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(sendCtx, trace), out.Method, out.URL, bytes.NewReader(out.Body))
	if err != nil {
		return nil, Final, 0, fmt.Errorf("%s: bad request URL: %w", call.Provider, err)
	}
	// Without GetBody the transport cannot send the body again on its own
	// (HTTP/1.1 would, were an Idempotency-Key header added): every send is
	// an attempt counted and judged here, where a create without an id is
	// never repeated once it may have arrived.
	req.GetBody = nil
	for k, vs := range out.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("User-Agent") == "" && c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		err = scrubURLError(err)
		if mayHaveSent() {
			return nil, MaybeProcessed, 0, fmt.Errorf("%s: connection lost after the request was sent: %w", call.Provider, err)
		}
		if ctx.Err() != nil {
			return nil, NotProcessed, 0, ctx.Err()
		}
		return nil, NotProcessed, 0, fmt.Errorf("%s: request not sent: %w", call.Provider, err)
	}
	defer resp.Body.Close()
	limit := c.readLimit(out)
	// The cap holds on the wire too: a compressed answer that never ends
	// (empty gzip members, say) is not read past it.
	wire := &io.LimitedReader{R: resp.Body, N: limit + 1}
	body, readErr := io.ReadAll(io.LimitReader(decoded(resp.Header, wire), limit+1))
	truncated := int64(len(body)) > limit || wire.N <= 0
	// RFC 8259 lets a parser ignore a byte order mark; encoding/json does not,
	// and a success it cannot read would lose the new agent's id.
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	success := resp.StatusCode >= 200 && resp.StatusCode < 300
	if readErr != nil || truncated {
		var why string
		if truncated {
			why = fmt.Sprintf("response larger than %d bytes", limit)
		} else {
			why = "reading the response failed: " + scrubURLError(readErr).Error()
		}
		// A connection lost after the last byte of the answer (a missing
		// final chunk, an overstated length) leaves a complete answer in
		// hand: its agent id is not thrown away. A cut answer does not parse.
		if success && (truncated || !namesAgent(call.Parse, &Incoming{Status: resp.StatusCode, Header: resp.Header, Body: body})) {
			// The start of the answer may still name the new agent.
			return nil, MaybeProcessed, 0, unreadable(call, resp, body[:min(int64(len(body)), limit)], errors.New(why))
		}
		body = body[:min(int64(len(body)), limit)]
		if !success {
			// A refusal cut short may end inside a key it echoes, which no
			// longer matches the whole key's mask: its last word goes.
			body = bytes.TrimRightFunc(body, isWordRune)
		}
	}
	if resp.StatusCode == http.StatusSeeOther || (resp.StatusCode >= 300 && resp.StatusCode < 400 && pointsBelow(out.URL, resp.Header.Get("Location"))) {
		// The answer to a POST that was processed, pointing at the result.
		return nil, MaybeProcessed, 0, &VendorError{Provider: call.Provider, Status: resp.StatusCode, Retry: MaybeProcessed,
			Message: "redirect to the result" + location(call, resp.Header, " at ") + " (not followed): the request may have been processed"}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// Where it points tells a move to https from a login page.
		return nil, Final, 0, &VendorError{Provider: call.Provider, Status: resp.StatusCode,
			Message: "unexpected redirect" + location(call, resp.Header, " to ") + " (not followed): check the base URL setting"}
	}
	// Secrets are masked in the answer before an error text is taken from
	// it (texts are clipped later, and a clipped secret no longer matches),
	// but a success is read unmasked: a short key that happens to occur in
	// the new agent's id must not change the id.
	masked := body
	if call.Redact != nil {
		masked = []byte(call.Redact(string(body)))
	}
	in := &Incoming{Status: resp.StatusCode, Header: resp.Header, Body: masked}
	if success {
		in.Body = body
	}
	created, err := safeParse(call.Parse, in)
	if err != nil && success && call.Redact != nil {
		in.Body = masked
		if _, maskedErr := safeParse(call.Parse, in); maskedErr != nil {
			err = maskedErr
		}
	}
	if err == nil {
		if created == nil || created.AgentID == "" {
			// nil: the whole answer was read, and names no agent.
			return nil, MaybeProcessed, 0, unreadable(call, resp, body, errors.New("the response carries no agent id"))
		}
		clientSafeNumbers(created.Agent)
		if call.Redact != nil {
			// The agent shown is masked, its id kept; this also catches a
			// secret echoed in an escaped form (sk\/live for sk/live).
			RewriteStrings(created.Agent, func(s string) string {
				if s == created.AgentID {
					return s
				}
				return call.Redact(s)
			})
			created.RequestID, created.Status = call.Redact(created.RequestID), call.Redact(created.Status)
		}
		return created, Final, 0, nil
	}
	if ve, ok := IsVendorError(err); ok {
		if call.Redact != nil {
			// Masked again once decoded, before the text is clipped: a key
			// echoed with JSON escapes (sk\/live) passed the raw masking,
			// and a clipped key no longer matches later masking.
			// The request id too: it is journaled on its own.
			ve.Code, ve.Message, ve.Hint, ve.RequestID = call.Redact(ve.Code), call.Redact(ve.Message), call.Redact(ve.Hint), call.Redact(ve.RequestID)
		}
		return nil, ve.Retry, ve.RetryAfter, err
	}
	if success {
		// The vendor said yes but we cannot read what it created.
		return nil, MaybeProcessed, 0, unreadable(call, resp, body, fmt.Errorf("its response could not be read: %w", err))
	}
	ve := NewStatusError(call.Provider, in, "", "")
	return nil, ve.Retry, ve.RetryAfter, ve
}

// isWordRune tells the runes a key is written with, escaped forms included.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(`-_.~+/=%\`, r)
}

// unreadable is the failure of a success answer whose agent could not be
// read, for the reason why: the id that the readable start of body still
// names is kept, else an id it names outside the place the vendor documents,
// or else where its Location header points is told.
func unreadable(call Call, resp *http.Response, body []byte, why error) error {
	if id := salvageID(call.Parse, &Incoming{Status: resp.StatusCode, Header: resp.Header, Body: body}); id != "" {
		return namedButUnread(call, resp.StatusCode, why.Error(), id)
	}
	// A call that sent its own id (an upsert, or one the vendor is asked to
	// use) knows its agent's id already.
	if id := strayID(body); id != "" && call.ClientID == "" && call.GivenID == "" {
		return &VendorError{Provider: call.Provider, Status: resp.StatusCode, Retry: MaybeProcessed, AgentID: Clip(id, maxNamedIDRunes),
			Message: why.Error(),
			Hint: "The answer names the id " + Clip(id, maxNamedIDRunes) + " where " + call.Provider + " does not document the agent's id: " +
				"it is likely the new agent's; look it up by this id before creating it again"}
	}
	return fmt.Errorf("%s answered HTTP %d (success) but %w%s", call.Provider, resp.StatusCode, why, location(call, resp.Header, "; its Location header points to "))
}

// decoded is body, gunzipped when h says it is gzip although none was asked
// for (a proxy may compress anyway): an agent's id must not be lost to an
// encoding. Read through the same cap, a small bomb stays small.
func decoded(h http.Header, body io.Reader) io.Reader {
	if !strings.EqualFold(strings.TrimSpace(h.Get("Content-Encoding")), "gzip") {
		return body
	}
	br := bufio.NewReader(body)
	if magic, _ := br.Peek(2); !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return br // labelled gzip, but plain
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return br
	}
	return zr
}

// location is the Location header of an answer, after prefix, as scheme,
// host and path (no credentials, query or fragment), masked; "" when none.
// A 201 may name its agent only there. The body of an answer that could not
// be read is not shown: it may echo secrets of the request (tokens in MCP
// server URLs) that only the provider's own parse knows to mask.
func location(call Call, h http.Header, prefix string) string {
	u, err := url.Parse(h.Get("Location"))
	if err != nil || (u.Host == "" && u.Path == "") {
		return ""
	}
	s := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if call.Redact != nil {
		s = call.Redact(s)
	}
	return prefix + Clip(s, maxSnippetRunes)
}

// pointsBelow reports whether location, resolved against the request URL
// reqURL, is a path below the request's on the same server (POST
// /v1/agents redirected to /v1/agents/agt_1): the answer of a create that was
// processed, not of an API that moved.
func pointsBelow(reqURL, location string) bool {
	req, err := url.Parse(reqURL)
	if err != nil || location == "" {
		return false
	}
	loc, err := req.Parse(location)
	if err != nil {
		return false
	}
	// The same server however written (API.example.com:443); http for https,
	// both on their default ports, is a proxy's mistake, not a move, when the
	// path is below.
	samePort := portOf(loc) == portOf(req) || loc.Port() == "" && req.Port() == ""
	if !strings.EqualFold(loc.Hostname(), req.Hostname()) || !samePort {
		return false
	}
	base := strings.TrimSuffix(req.Path, "/")
	return base != "" && strings.HasPrefix(loc.Path, base+"/") && len(loc.Path) > len(base)+1
}

// portOf is u's port, its scheme's default when it names none.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// namesAgent reports whether in parses as a created agent with an id, or as
// a failure that names one.
func namesAgent(parse func(*Incoming) (*Created, error), in *Incoming) bool {
	c, err := safeParse(parse, in)
	if ve, ok := IsVendorError(err); ok && ve.AgentID != "" {
		return true // a whole failure answer that still names an agent
	}
	return err == nil && c != nil && c.AgentID != ""
}

// maxNamedIDRunes bounds an agent id taken from an answer that could not be
// read in full (ids are short; the text is the vendor's).
const maxNamedIDRunes = 200

// namedButUnread is the failure of a success answer that could not be read
// in full but names the new agent: the id is kept (in the message and for
// the journal), never thrown away with the rest of the answer.
func namedButUnread(call Call, status int, why, id string) error {
	id = Clip(id, maxNamedIDRunes)
	return &VendorError{Provider: call.Provider, Status: status, Retry: MaybeProcessed, AgentID: id,
		Message: why,
		Hint:    "The answer named the new agent " + id + " before that point: look it up by this id before creating it again"}
}

// salvageID returns the agent id that the readable start of a success answer
// names: the complete JSON values read before the answer was cut short (or
// stopped parsing) are closed into a document and parsed as usual. It
// returns "" when that names no agent.
func salvageID(parse func(*Incoming) (*Created, error), in *Incoming) string {
	doc := closeJSON(in.Body)
	if doc == nil {
		return ""
	}
	c, err := safeParse(parse, &Incoming{Status: in.Status, Header: in.Header, Body: doc})
	if err != nil || c == nil {
		return ""
	}
	return c.AgentID
}

// strayID returns an id that the readable start of a success answer gives
// where a vendor that changed its answer's shape is likely to put it: at the
// top level, or in an object named agent or data. "" when none.
func strayID(body []byte) string {
	doc := closeJSON(body)
	if doc == nil {
		return ""
	}
	var top map[string]any
	if DecodeObject(doc, &top) != nil {
		return ""
	}
	if id := AgentIDOf(top["id"]); id != "" {
		return id
	}
	for _, k := range []string{"agent", "data"} {
		if inner, ok := top[k].(map[string]any); ok {
			if id := AgentIDOf(inner["id"]); id != "" {
				return id
			}
		}
	}
	return ""
}

// maxClosedDepth is the deepest nesting closeJSON keeps: encoding/json
// refuses a document nested deeper.
const maxClosedDepth = 10000

// closeJSON keeps the complete tokens at the start of b, drops a key left
// without its value and a number that may have been cut, and closes the
// open objects and arrays. It returns nil when b starts with no object or
// array.
func closeJSON(b []byte) []byte {
	type open struct {
		obj   bool
		n     int // keys and values (object) or elements (array) written
		keyAt int // where the last key starts in out
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	var stack []open
	for len(stack) > 0 || out.Len() == 0 {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if _, isNum := tok.(json.Number); isNum && dec.InputOffset() == int64(len(b)) {
			break // digits at the very end may be a number cut short
		}
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') && len(stack) == maxClosedDepth {
			break // no parse reads deeper, and each level costs memory
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) == 0 {
			if d, ok := tok.(json.Delim); !ok || (d != '{' && d != '[') {
				return nil
			}
		} else {
			top := &stack[len(stack)-1]
			switch {
			case top.obj && top.n%2 == 1:
				out.WriteByte(':')
			case top.n > 0:
				out.WriteByte(',')
			}
			if top.obj && top.n%2 == 0 {
				top.keyAt = out.Len()
			}
			top.n++
		}
		if d, ok := tok.(json.Delim); ok {
			out.WriteByte(byte(d))
			stack = append(stack, open{obj: d == '{'})
			continue
		}
		v, err := json.Marshal(tok)
		if err != nil {
			break
		}
		out.Write(v)
	}
	if out.Len() == 0 {
		return nil
	}
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].obj {
			if stack[i].n%2 == 1 { // a key without its value
				out.Truncate(stack[i].keyAt)
				if i == len(stack)-1 && stack[i].n > 1 {
					out.Truncate(out.Len() - 1) // its comma
				}
			}
			out.WriteByte('}')
		} else {
			out.WriteByte(']')
		}
	}
	return out.Bytes()
}

// safeParse runs parse, turning a panic into an error: by then the vendor
// has answered, so the call must end with what is known, not crash.
func safeParse(parse func(*Incoming) (*Created, error), in *Incoming) (created *Created, err error) {
	defer func() {
		if r := recover(); r != nil {
			created, err = nil, fmt.Errorf("internal error reading the response: %v", r)
		}
	}()
	return parse(in)
}

func (c *Client) unknown(call Call, cause error) error {
	return &UnknownOutcomeError{Provider: call.Provider, AgentName: call.AgentName, ClientID: call.ClientID, GivenID: call.GivenID, VerifyHint: call.VerifyHint, Cause: cause}
}

// giveUp ends a call that was still retryable; maybe tells whether any
// attempt may have reached the vendor.
func (c *Client) giveUp(call Call, maybe bool, why, last error) error {
	if maybe {
		return c.unknown(call, fmt.Errorf("%v; last error: %w", why, last))
	}
	var ve *VendorError
	if errors.As(last, &ve) {
		return fmt.Errorf("%v, no agent was created: %w", why, last)
	}
	return &NotSentError{Provider: call.Provider, Cause: fmt.Errorf("%v; last error: %w", why, last)}
}

func (c *Client) backoff(attempt int) time.Duration {
	base, max := c.BaseBackoff, c.MaxBackoff
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if max <= 0 {
		max = 8 * time.Second
	}
	d := base << (attempt - 1)
	if d > max || d <= 0 {
		d = max
	}
	return jitter(d)
}

// sleepUnlessStopped is sleep, cut short when stop closes.
func (c *Client) sleepUnlessStopped(ctx context.Context, stop <-chan struct{}, d time.Duration) error {
	ctx, cancel := onStop(ctx, stop, func(cancel context.CancelFunc) { cancel() })
	defer cancel()
	return c.sleep(ctx, d)
}

// onStop returns a child of ctx and its cancel; if stop closes while the
// child lives, act runs with that cancel. A nil stop never closes.
func onStop(ctx context.Context, stop <-chan struct{}, act func(context.CancelFunc)) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if stop != nil {
		go func() {
			select {
			case <-stop:
				act(cancel)
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}

// errStoppedBeforeRetry says why no attempt followed the n sent.
func errStoppedBeforeRetry(n int) error {
	return fmt.Errorf("gave up after %s: the call was cancelled, or the session ended", plural(n, "attempt"))
}

// stopped reports whether ch is non-nil and closed.
func stopped(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false // also for a nil ch, which never closes
	}
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) maxBytes() int64 {
	if c.MaxResponseBytes > 0 {
		return c.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

// retryShare: another attempt starts only with 1/retryShare of the call's
// time left after its wait.
const retryShare = 4

// readLimit is how much of the answer to out is read: the cap, or more for a
// large request, since vendors echo the agent's prompts in the created agent
// and a success cut short would lose the new agent's id.
func (c *Client) readLimit(out *Outgoing) int64 {
	echo := 4 * int64(len(out.Body)+len(out.URL))
	return max(c.maxBytes(), echo)
}

func (c *Client) maxAttempts() int {
	if c.MaxAttempts > 0 {
		return c.MaxAttempts
	}
	return 5
}

// fits reports whether waiting d still leaves the deadline ahead.
func fits(ctx context.Context, now time.Time, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || (d >= 0 && now.Add(d).Before(dl)) // d < 0: a sum that overflowed
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// scrubURLError drops the URL from *url.Error: the URL of some vendors (the
// query-signed ones) carries the whole request, which belongs in no error text.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timeout: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// plural is n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
