package providers

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
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
	return r
}

// Redact replaces every secret value in s.
func (r Redactor) Redact(s string) string {
	for _, v := range r.values {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	for _, e := range r.escaped {
		if strings.Contains(s, e.anchor) {
			s = e.regexp().ReplaceAllLiteralString(s, Redacted)
		}
	}
	return s
}

// escapedSecret matches a secret whose punctuation a vendor or proxy wrote
// escaped in any of the common ways: an HTML page (&#43; for +), a JSON
// encoder that escapes more than Go's (\u003d for =), lowercase percent
// escapes (%2b). Base64 keys and STS tokens are full of such characters.
type escapedSecret struct {
	secret string
	anchor string // the secret's longest run of letters and digits: every form contains it
	once   sync.Once
	re     *regexp.Regexp
}

// newEscapedSecret returns the matcher of v's escaped forms, or nil when v
// is only letters and digits (its forms are v itself).
func newEscapedSecret(v string) *escapedSecret {
	e := &escapedSecret{secret: v}
	start, punctuated := -1, false
	for i, r := range v {
		if !lettersAndDigits(r) {
			start, punctuated = -1, true
			continue
		}
		if start < 0 {
			start = i
		}
		if end := i + utf8.RuneLen(r); end-start > len(e.anchor) {
			e.anchor = v[start:end]
		}
	}
	if !punctuated {
		return nil
	}
	return e
}

func lettersAndDigits(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// regexp builds and compiles the pattern on first use: most texts never
// contain the anchor, and a long STS token's pattern is not cheap to compile.
func (e *escapedSecret) regexp() *regexp.Regexp {
	e.once.Do(func() { e.re = regexp.MustCompile(escapedPattern(e.secret)) }) // built of quoted parts: always compiles
	return e.re
}

// htmlEntities are the named entities of punctuation that keys carry.
var htmlEntities = map[rune]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '"': "&quot;", '\'': "&apos;",
	'=': "&equals;", '/': "&sol;", '+': "&plus;", '-': "&hyphen;", '_': "&lowbar;", '.': "&period;", ':': "&colon;", '~': "&tilde;"}

// escapedPattern matches v with each character other than a letter or digit
// written as itself or in any of its escaped forms.
func escapedPattern(v string) string {
	var b strings.Builder
	for _, r := range v {
		if lettersAndDigits(r) {
			b.WriteString(regexp.QuoteMeta(string(r)))
			continue
		}
		alts := []string{regexp.QuoteMeta(string(r)), `\\` + regexp.QuoteMeta(string(r))}
		if r < utf8.RuneSelf {
			h := fmt.Sprintf("%02x", r)
			alts = append(alts, "%(?i:"+h+")", fmt.Sprintf("&#0*%d;", r), "&#(?i:x0*"+h+");", `\\(?i:u00`+h+")")
			if name, ok := htmlEntities[r]; ok {
				alts = append(alts, regexp.QuoteMeta(name))
			}
		} else {
			var pct strings.Builder
			for _, c := range []byte(string(r)) {
				fmt.Fprintf(&pct, "%%(?i:%02x)", c)
			}
			alts = append(alts, pct.String(), fmt.Sprintf(`\\(?i:u%04x)`, r))
		}
		b.WriteString("(?:" + strings.Join(alts, "|") + ")")
	}
	return b.String()
}
