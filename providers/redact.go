package providers

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Redactor masks known secret values wherever they appear in text.
type Redactor struct {
	values  []string         // the secrets and their usual escaped forms, longest first
	escaped []*escapedSecret // every other escaped form of a secret with punctuation
}

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
		// A query decoded by a form parser reads + as a space.
		if strings.Contains(v, "+") {
			r.values = append(r.values, strings.ReplaceAll(v, "+", " "))
		}
		// As a proxy or a debugging vendor may echo a header or a body in
		// base64, padded or not.
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			r.values = append(r.values, enc.EncodeToString([]byte(v)))
		}
		// As a JSON encoder may write it into an answer that is shown as
		// raw text (sk\/live for sk/live, \u0026 for &).
		if b, err := json.Marshal(v); err == nil {
			quoted := string(b[1 : len(b)-1])
			r.values = append(r.values, quoted, strings.ReplaceAll(quoted, "/", `\/`))
		}
		if e := newEscapedSecret(v); e != nil {
			r.escaped = append(r.escaped, e)
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
	slices.SortFunc(r.escaped, func(a, b *escapedSecret) int {
		return cmp.Or(len(b.secret)-len(a.secret), strings.Compare(a.secret, b.secret))
	})
	return r
}

// Redact replaces every secret value in s. Escaped forms go first, longest
// secret first: a shorter key masked inside a longer one's escaped form
// would leave the rest of that one showing.
func (r Redactor) Redact(s string) string {
	for _, e := range r.escaped {
		s = e.redact(s)
	}
	for _, v := range r.values {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// escapedSecret finds a secret whose punctuation a vendor or proxy wrote
// back escaped: an HTML page (&#43; for +), a JSON encoder that escapes more
// than Go's (\u003d for =), lowercase percent escapes (%2b). Base64 keys and
// STS tokens are full of such characters. The text is decoded once, in
// linear time, and searched for the secret itself: its cost follows the
// text, never the secret, which a caller may choose (--header-credentials).
type escapedSecret struct {
	secret string
	anchor string // the secret's longest run of ASCII letters and digits: its escaped forms keep it
}

// newEscapedSecret returns the finder of v's escaped forms, or nil when v
// is only ASCII letters and digits (its forms are v itself).
func newEscapedSecret(v string) *escapedSecret {
	e := &escapedSecret{secret: v}
	start, escapable := -1, false
	for i := 0; i < len(v); i++ {
		if !asciiAlnum(v[i]) {
			start, escapable = -1, true
			continue
		}
		if start < 0 {
			start = i
		}
		if i+1-start > len(e.anchor) {
			e.anchor = v[start : i+1]
		}
	}
	if !escapable {
		return nil
	}
	return e
}

func asciiAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// redact masks every escaped form of the secret in s.
func (e *escapedSecret) redact(s string) string {
	if !strings.Contains(s, e.anchor) { // most texts: no decoding at all
		return s
	}
	d := decodeEscapes(s)
	if !strings.Contains(d.text, e.secret) {
		return s
	}
	var b strings.Builder
	written := 0 // bytes of s already copied to b
	for i := 0; i <= len(d.text)-len(e.secret); {
		j := strings.Index(d.text[i:], e.secret)
		if j < 0 {
			break
		}
		start, end := i+j, i+j+len(e.secret)
		if !d.unitStart(start) || !d.unitStart(end) {
			i = start + 1 // inside an escape: not this secret
			continue
		}
		b.WriteString(s[written:d.from(start, len(s))])
		b.WriteString(Redacted)
		written = d.from(end, len(s))
		i = end
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// decodedText is a text with its escapes undone; at[k] is where in the
// original the escape (or plain byte) that gave byte k began.
type decodedText struct {
	text string
	at   []int32
}

// unitStart reports whether decoded byte k begins an escape or a plain
// byte (k == len(text) is the end, a boundary too).
func (d decodedText) unitStart(k int) bool {
	return k == 0 || k == len(d.text) || d.at[k] != d.at[k-1]
}

// from is the original offset of decoded byte k; n is the original's length.
func (d decodedText) from(k, n int) int {
	if k == len(d.text) {
		return n
	}
	return int(d.at[k])
}

// decodeEscapes undoes, one level deep, percent escapes, HTML character
// references, JSON \u escapes and a backslash before punctuation.
func decodeEscapes(s string) decodedText {
	text := make([]byte, 0, len(s))
	at := make([]int32, 0, len(s))
	for i := 0; i < len(s); {
		out, n := unescapeAt(s, i)
		if n == 0 {
			out, n = s[i:i+1], 1
		}
		text = append(text, out...)
		for range len(out) {
			at = append(at, int32(i))
		}
		i += n
	}
	return decodedText{text: string(text), at: at}
}

// unescapeAt decodes the escape at s[i:], returning what it stands for and
// its length in s; 0 when none starts there.
func unescapeAt(s string, i int) (string, int) {
	rest := s[i:]
	switch rest[0] {
	case '%':
		if len(rest) >= 3 {
			if v, err := strconv.ParseUint(rest[1:3], 16, 8); err == nil {
				return string([]byte{byte(v)}), 3
			}
		}
	case '&':
		// A character reference, as html decodes it: numeric (&#43;,
		// &#x2b;) or named (&plus;), names of any case as browsers take
		// &AMP;. One character, or it is no escape of a key's character.
		end := strings.IndexByte(rest[:min(len(rest), 12)], ';')
		if end < 2 {
			return "", 0
		}
		ref := rest[:end+1]
		for _, r := range []string{ref, strings.ToLower(ref)} {
			if c := html.UnescapeString(r); c != r && utf8.RuneCountInString(c) == 1 {
				return c, end + 1
			}
		}
	case '\\':
		if len(rest) >= 6 && rest[1] == 'u' {
			r := jsonUnit(rest[2:6])
			if utf16.IsSurrogate(r) && len(rest) >= 12 && rest[6] == '\\' && rest[7] == 'u' {
				if pair := utf16.DecodeRune(r, jsonUnit(rest[8:12])); pair != utf8.RuneError {
					return string(pair), 12
				}
			}
			if r >= 0 && !utf16.IsSurrogate(r) {
				return string(r), 6
			}
			return "", 0
		}
		if len(rest) >= 2 && rest[1] >= ' ' && rest[1] < utf8.RuneSelf && !asciiAlnum(rest[1]) {
			return rest[1:2], 2
		}
	}
	return "", 0
}

// jsonUnit parses the four hex digits of a \u escape; -1 when they are not.
func jsonUnit(h string) rune {
	v, err := strconv.ParseUint(h, 16, 16)
	if err != nil {
		return -1
	}
	return rune(v)
}
