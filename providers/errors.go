package providers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Retry says what a failed attempt means for trying again.
type Retry int

const (
	// Final: the vendor refused the request; sending it again would fail again.
	Final Retry = iota
	// NotProcessed: the vendor did not act on the request (429, throttling,
	// 503 with Retry-After, a connection that failed before the request was
	// written). Trying again cannot create a duplicate.
	NotProcessed
	// MaybeProcessed: the vendor may have created the agent (other 5xx, a
	// timeout or a connection lost after the request was written). Trying
	// again is safe only for idempotent requests.
	MaybeProcessed
)

func (r Retry) String() string {
	switch r {
	case NotProcessed:
		return "not processed"
	case MaybeProcessed:
		return "maybe processed"
	default:
		return "final"
	}
}

// VendorError is an error the vendor returned.
type VendorError struct {
	Provider  string // human name
	Status    int    // HTTP status; 0 when the error came in a 200 body
	Code      string // vendor error code, when it gives one
	Message   string // the vendor's own message
	RequestID string
	Hint      string // what the user can do, when we know
	// KeysRefused marks a refusal of the call's keys whatever its status
	// (a vendor that answers a bad signature with 400): the tool then names
	// where this call's keys came from, as it does for a 401 or 403.
	KeysRefused bool
	AgentID     string // an agent the failure still names, which may exist
	Retry       Retry
	RetryAfter  time.Duration // vendor-requested wait, 0 when none
}

func (e *VendorError) Error() string {
	var b strings.Builder
	verb := "rejected the request"
	switch {
	case e.Status >= 200 && e.Status < 300:
		verb = "answered" // a success that could not be read in full
	case e.Status >= 500 || e.Retry == MaybeProcessed || e.AgentID != "":
		// Not "rejected": a server error may come after the create (in a
		// 200 body too), and the outcome's message around it says the
		// agent may exist.
		verb = "answered with an error"
	}
	fmt.Fprintf(&b, "%s %s", e.Provider, verb)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (%s)", strings.TrimSpace(fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))))
	}
	// Vendor fields are clipped: the text reaches the model and the journal,
	// and a vendor may echo a whole request (or worse) back in its message.
	if e.Code != "" {
		fmt.Fprintf(&b, ", code %s", Clip(e.Code, maxCodeRunes))
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", Clip(e.Message, maxMessageRunes))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", Clip(e.RequestID, maxCodeRunes))
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, ". %s", e.Hint)
	}
	return b.String()
}

// UnknownOutcomeError means the agent may or may not exist: the request may
// have been processed and retrying could create a duplicate, unless the
// request carried an id that makes the create idempotent.
type UnknownOutcomeError struct {
	Provider   string
	AgentName  string
	ClientID   string // the id the request carried; "" when the vendor assigns ids
	GivenID    string // an id the request asked for that does not make a retry safe
	VerifyHint string
	Cause      error
	// Answered leaves out the warning against calling again: an identical
	// call is answered with this outcome, not sent.
	Answered bool
}

func (e *UnknownOutcomeError) Error() string {
	name := e.AgentName
	if name == "" {
		name = "(no name given)"
	}
	if e.ClientID != "" {
		return fmt.Sprintf("outcome unknown: %s may have created the agent %q with id %s, but no confirmation arrived (%v). "+
			"Calling the tool again with the same id %s cannot create a second agent: the vendor creates by id. "+
			"To check first: %s",
			e.Provider, name, e.ClientID, e.Cause, e.ClientID, e.VerifyHint)
	}
	look := fmt.Sprintf("First check whether an agent named %q exists: %s", name, e.VerifyHint)
	if e.AgentName == "" {
		look = "First look for a new agent without a name, the most recently created: " + e.VerifyHint
	}
	switch {
	case e.GivenID != "" && e.AgentName != "":
		look = fmt.Sprintf("First check whether an agent with id %s (the id the request asked for) or named %q exists: %s", e.GivenID, name, e.VerifyHint)
	case e.GivenID != "":
		look = fmt.Sprintf("First check whether an agent with id %s (the id the request asked for) exists: %s", e.GivenID, e.VerifyHint)
	}
	warn := "Do not simply call the tool again: that could create a second agent. "
	if e.Answered {
		warn = ""
	}
	return fmt.Sprintf("outcome unknown: %s may have created the agent %q, but no confirmation arrived (%v). %s%s",
		e.Provider, name, e.Cause, warn, look)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Cause }

// NotSentError means the agent was certainly not created.
type NotSentError struct {
	Provider string
	Cause    error
}

func (e *NotSentError) Error() string {
	return fmt.Sprintf("%s was not reached, no agent was created: %v", e.Provider, e.Cause)
}

func (e *NotSentError) Unwrap() error { return e.Cause }

// ClassifyStatus gives the default retry class of a non-2xx HTTP status:
// 429, and 503 with Retry-After, were not processed; other 5xx may have been.
func ClassifyStatus(status int, h http.Header) Retry {
	switch {
	case status == http.StatusTooManyRequests:
		return NotProcessed
	case status == http.StatusServiceUnavailable && h.Get("Retry-After") != "":
		return NotProcessed
	case status >= 500:
		return MaybeProcessed
	default:
		return Final
	}
}

// NewStatusError builds the VendorError for a non-2xx response with the
// default classification and the wait the vendor asked for.
func NewStatusError(provider string, resp *Incoming, code, message string) *VendorError {
	if message == "" {
		message = Snippet(resp.Body)
	}
	return &VendorError{
		Provider:   provider,
		Status:     resp.Status,
		Code:       code,
		Message:    message,
		Retry:      ClassifyStatus(resp.Status, resp.Header),
		RetryAfter: RetryAfter(resp.Header, time.Now()),
	}
}

// Limits on vendor-supplied text in an error, in characters.
const (
	maxMessageRunes = 1000
	maxCodeRunes    = 120
	maxSnippetRunes = 300
)

// Snippet returns a short, single-line excerpt of a body that is not the
// vendor's JSON error shape (an HTML error page, say).
func Snippet(body []byte) string {
	s := Clip(strings.Join(strings.Fields(string(body)), " "), maxSnippetRunes)
	if s == "" {
		return "(empty response body)"
	}
	return s
}

// Clip returns s as valid UTF-8 of at most max characters; a cut one gets
// "…" appended.
func Clip(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// IsVendorError reports whether err is a *VendorError and returns it.
func IsVendorError(err error) (*VendorError, bool) {
	var ve *VendorError
	ok := errors.As(err, &ve)
	return ve, ok
}
