package providers

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Preview is the dry-run view of an Outgoing request, secrets masked.
type Preview struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body"` // the JSON body as sent (json.RawMessage), a string, or null
}

// Redactor masks known secret values wherever they appear in text.
type Redactor struct{ values []string }

// minSecretLen keeps a one- or two-character "secret" from masking unrelated text.
const minSecretLen = 4

// NewRedactor masks the given credentials and derived values.
func NewRedactor(creds Credentials, extra ...string) Redactor {
	var r Redactor
	add := func(v string) {
		if len(v) < minSecretLen {
			return
		}
		r.values = append(r.values, v, url.QueryEscape(v), url.PathEscape(v))
		// As a JSON encoder may write it into an answer that is shown as
		// raw text (sk\/live for sk/live, \u0026 for &).
		if b, err := json.Marshal(v); err == nil {
			quoted := string(b[1 : len(b)-1])
			r.values = append(r.values, quoted, strings.ReplaceAll(quoted, "/", `\/`))
		}
	}
	for _, s := range creds.Values() {
		add(s.Reveal())
	}
	for _, v := range extra {
		add(v)
	}
	// Longest first: a secret inside another must not leave the rest
	// showing. Most forms of a plain key are the key itself: one of each.
	slices.SortFunc(r.values, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	r.values = slices.Compact(r.values)
	return r
}

// Redact replaces every secret value in s.
func (r Redactor) Redact(s string) string {
	for _, v := range r.values {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// Preview renders o with every credential and sensitive value masked.
func (o *Outgoing) Preview(creds Credentials) Preview {
	r := NewRedactor(creds, o.Sensitive...)
	p := Preview{Method: o.Method, URL: r.Redact(o.URL), Headers: map[string]string{}}
	for name, vals := range o.Header {
		p.Headers[http.CanonicalHeaderKey(name)] = r.Redact(strings.Join(vals, ", "))
	}
	if len(o.Body) > 0 {
		shown := o.Body
		if o.PreviewBody != nil {
			shown = o.PreviewBody
		}
		// A JSON body is shown as the JSON sent, byte for byte: decoding it
		// would reorder keys and round large numbers.
		body := r.Redact(string(shown))
		if json.Valid([]byte(body)) {
			p.Body = json.RawMessage(body)
		} else {
			p.Body = body
		}
	}
	return p
}

// RewriteStrings replaces, in place, every string in a decoded JSON value
// (map keys too) with f of it.
func RewriteStrings(v any, f func(string) string) {
	switch val := v.(type) {
	case map[string]any:
		for k, child := range val {
			if s, ok := child.(string); ok {
				child = f(s)
			} else {
				RewriteStrings(child, f)
			}
			if nk := f(k); nk != k {
				delete(val, k)
				k = nk
			}
			val[k] = child
		}
	case []any:
		for i, child := range val {
			if s, ok := child.(string); ok {
				val[i] = f(s)
				continue
			}
			RewriteStrings(child, f)
		}
	}
}
