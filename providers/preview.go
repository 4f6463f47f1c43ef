package providers

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Preview is the dry-run view of an Outgoing request, secrets masked.
type Preview struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body"` // the JSON body as sent (json.RawMessage), a string, or null
}

// Preview renders o with every credential and sensitive value masked.
func (o *Outgoing) Preview(creds Credentials) Preview {
	r := NewRedactor(creds, o.Sensitive...)
	p := Preview{Method: o.Method, URL: r.Redact(o.URL), Headers: map[string]string{}}
	for name, vals := range o.Header {
		p.Headers[http.CanonicalHeaderKey(name)] = maskShort(r.Redact(strings.Join(vals, ", ")), creds)
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

// maskShort masks a key too short for the Redactor (which would mask its
// letters wherever they occur) where a header carries it: as the whole
// value, or its last word (Bearer <key>). No vendor issues such keys, but a
// mistyped one must not show either.
func maskShort(v string, creds Credentials) string {
	for _, s := range creds.Values() {
		k := s.Reveal()
		switch {
		case k == "" || len(k) >= minSecretLen:
		case v == k:
			return Redacted
		case strings.HasSuffix(v, " "+k):
			return strings.TrimSuffix(v, k) + Redacted
		}
	}
	return v
}
