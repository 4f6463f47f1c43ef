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
// letters wherever they occur) where a header carries it: as a word of the
// value (Bearer <key>, <key>) or a parameter's value (Credential=<key>,).
// No vendor issues such keys, but a mistyped one must not show either.
func maskShort(v string, creds Credentials) string {
	for _, s := range creds.Values() {
		k := s.Reveal()
		if k == "" || len(k) >= minSecretLen {
			continue
		}
		var b strings.Builder
		copied := 0
		for i := 0; i < len(v); {
			j := strings.Index(v[i:], k)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(k)
			if (start == 0 || strings.IndexByte(" =,", v[start-1]) >= 0) && (end == len(v) || strings.IndexByte(" ,;", v[end]) >= 0) {
				b.WriteString(v[copied:start])
				b.WriteString(Redacted)
				copied, i = end, end
				continue
			}
			i = start + 1
		}
		if copied > 0 {
			b.WriteString(v[copied:])
			v = b.String()
		}
	}
	return v
}
