// Package providers holds what the vendor packages share: the Provider contract,
// credentials and secrets, the outgoing request and its redacted preview, the
// HTTP client with its retry policy, and the errors a vendor call can end in.
// It knows nothing of MCP; the tools package adapts a Provider to an MCP tool.
package providers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Descriptor is what a provider tells the tool layer about itself.
type Descriptor struct {
	Slug        string // tool name suffix: create_agent_<Slug>
	Name        string // human name, e.g. "Datagrid"
	Description string // tool description: when a model should use it
	Credentials []CredentialSpec
	Settings    []Setting // non-secret environment settings
	// VerifyHint tells a user how to look for an agent whose creation outcome
	// is unknown, e.g. "list agents with GET https://api.datagrid.com/v1/agents".
	// It says how to list, not what to look for: the outcome's message says
	// that (the agent's name, its id, or the newest agent without a name).
	VerifyHint string
	// Overwrites is true when a create can replace an existing agent (the
	// vendor upserts): the tool is then annotated as destructive.
	Overwrites bool
}

// Setting is a non-secret environment variable a provider reads (a base URL, say).
type Setting struct {
	Env     string
	Default string // "" when optional with no default
	Usage   string
}

// Provider is one vendor's create-agent API. T is the request struct: its JSON
// form is the vendor's wire body (or parameters) and its reflected JSON Schema
// is the tool's input schema, so the two cannot drift apart.
type Provider[T any] interface {
	Describe() Descriptor
	// Check applies the vendor rules a JSON Schema cannot express. It runs after
	// schema validation and before anything is sent.
	Check(req *T) FieldErrors
	// Prepare fills values the server owns before the first attempt (a generated
	// id, say). It is not called for invalid requests.
	Prepare(req *T) error
	// AgentName is the name the user will look for if an outcome is unknown.
	AgentName(req *T) string
	// Idempotent reports whether sending req again can never create a second
	// agent (true only when the request carries an id the vendor upserts by).
	Idempotent(req *T) bool
	// Build makes the wire request of one attempt. It is pure: the same inputs
	// give the same request, and dry runs and real calls share it.
	Build(req *T, creds Credentials, at Attempt) (*Outgoing, error)
	// Parse maps a vendor response to the created agent, or returns a
	// *VendorError (whose Retry says whether trying again is safe).
	Parse(resp *Incoming) (*Created, error)
}

// A provider may also have these methods, which the tool adapter looks for:
//
//   - Precheck(raw []byte) FieldErrors: asked when the schema refuses the
//     arguments; its message for a field replaces the schema's there (for a
//     shape models are known to send).
//   - ClientID(req *T) string: the id an idempotent request carries (see
//     Idempotent). An idempotent provider must have it: the journal and an
//     unknown outcome name that id, and say that calling again with it
//     cannot create a second agent.
//   - GivenID(req *T) string: an id the caller chose that the vendor is
//     asked to use but that does not make the create idempotent; results
//     and the journal name it.

// Attempt carries what may differ between attempts of one call.
type Attempt struct {
	Number int       // 1 for the first try
	Time   time.Time // UTC
	Nonce  string    // fresh random hex per attempt
}

// Outgoing is one wire request.
type Outgoing struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Sensitive lists values derived from secrets (a signature, say) that
	// previews and logs must mask besides the credentials themselves.
	Sensitive []string
	// PreviewBody, when set, is what a preview shows for Body: Body with
	// secrets masked where they stand. A secret that may be a short, common
	// value (a URL's auth=true) would, masked everywhere, also mask keys and
	// other fields.
	PreviewBody []byte
}

// Incoming is a vendor response, with its body capped.
type Incoming struct {
	Status int
	Header http.Header
	Body   []byte
}

// Created is a successfully created agent.
type Created struct {
	AgentID   string
	Agent     map[string]any // the vendor's agent object, as returned
	RequestID string         // vendor request id, when it gives one
	Status    string         // vendor lifecycle status, when it gives one
}

// FieldError is one offending argument: a JSON pointer and what is allowed.
type FieldError struct {
	Field   string // JSON pointer, e.g. /tools/0/name
	Message string
	// More, set on the last entry of a capped list instead of the others,
	// counts the problems left out.
	More int
}

// MaxListed is how many problems a refusal lists: a model fixes the first
// few, and a list as long as the arguments helps no one and costs memory.
const MaxListed = 20

// moreField sorts after every JSON pointer, so the count comes last.
const moreField = "…"

// FieldErrors collects every problem with a request, so a model can fix all at once.
type FieldErrors []FieldError

// Add appends a problem at field.
func (e *FieldErrors) Add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Capped returns the first n problems in the order Error lists them, and an
// entry counting the rest (with any count e already holds).
func (e FieldErrors) Capped(n int) FieldErrors {
	more := 0
	var listed FieldErrors
	for _, fe := range e {
		if fe.More > 0 {
			more += fe.More
			continue
		}
		listed = append(listed, fe)
	}
	slices.SortStableFunc(listed, func(x, y FieldError) int { return ComparePointers(x.Field, y.Field) })
	if len(listed) > n {
		more += len(listed) - n
		listed = listed[:n]
	}
	if more > 0 {
		listed = append(listed, FieldError{Field: moreField, More: more})
	}
	return listed
}

// ComparePointers orders JSON pointers segment by segment, array indexes by
// number: /tools/2 before /tools/10, so "the first 20" are the first 20.
func ComparePointers(a, b string) int {
	for a != "" && b != "" {
		var sa, sb string
		sa, a = firstSegment(a)
		sb, b = firstSegment(b)
		if c := compareSegments(sa, sb); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b)) // the shorter, enclosing one first
}

// firstSegment splits the pointer p after its first segment.
func firstSegment(p string) (segment, rest string) {
	p = strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}

// compareSegments puts indexes first, by number, then other keys by bytes:
// a consistent order, whatever the mix.
func compareSegments(a, b string) int {
	ia, ib := isIndex(a), isIndex(b)
	switch {
	case ia && ib:
		if c := cmp.Compare(len(a), len(b)); c != 0 {
			return c
		}
	case ia != ib:
		if ia {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// isIndex tells whether s reads as an array index (no leading zero).
func isIndex(s string) bool {
	return s == "0" || (s != "" && s[0] != '0' && strings.Trim(s, "0123456789") == "")
}

// Error lists every problem, one per line, by field.
func (e FieldErrors) Error() string {
	var b strings.Builder
	for i, fe := range e.Capped(len(e)) {
		if i > 0 {
			b.WriteByte('\n')
		}
		field, msg := fe.Field, fe.Message
		switch {
		case fe.More > 0:
			msg = fmt.Sprintf("%d more problems not listed; fix these and call again to see them", fe.More)
		case field == "":
			field = "(arguments)"
		}
		fmt.Fprintf(&b, "- %s: %s", field, msg)
	}
	return b.String()
}

// JSONBody marshals v as a compact JSON request body without HTML escaping, so
// the preview shows exactly the bytes that are sent.
func JSONBody(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// DecodeObject decodes the JSON object b into m with numbers kept as written
// (json.Number): a free-form object goes to the vendor as given, and a
// float64 would round an id such as 9007199254740993.
func DecodeObject(b []byte, m *map[string]any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(m)
}

// clientSafeNumbers turns numbers in v that no float64 holds (1e400) into
// their text: kept as written, they would make the whole result unreadable
// to clients that decode numbers as float64 (mcp-go's, for one), the new
// agent's id included.
func clientSafeNumbers(v any) {
	fix := func(child any) any {
		if n, ok := child.(json.Number); ok {
			if _, err := strconv.ParseFloat(string(n), 64); err != nil {
				return string(n)
			}
		}
		clientSafeNumbers(child)
		return child
	}
	switch val := v.(type) {
	case map[string]any:
		for k, child := range val {
			val[k] = fix(child)
		}
	case []any:
		for i, child := range val {
			val[i] = fix(child)
		}
	}
}

// AgentIDOf is the agent id v holds: a string, or a number as written (a
// vendor that documents string ids may still send a number, and the id of an
// agent it made must not be lost for that). "" for anything else.
func AgentIDOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// EmptyString reports whether the arguments raw give key as "": models send
// that for an optional field they mean to leave out, and a field whose
// value is then refused should say to leave it out.
func EmptyString(raw []byte, key string) bool {
	var args map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil {
		return false
	}
	v, ok := args[key]
	return ok && string(bytes.TrimSpace(v)) == `""`
}
