package providers

import (
	"encoding/base64"
	"html/template"
	"net/url"
	"strings"
	"testing"
)

// TestRedactorMasksEscapedForms: a key with punctuation is masked however a
// vendor, a proxy or a web framework wrote it back.
func TestRedactorMasksEscapedForms(t *testing.T) {
	const key = "dummy key/123+abc=" // punctuation of base64 keys and STS tokens; a space tells the two URL escapes apart
	forms := map[string]string{
		"raw":                  key,
		"query escape":         url.QueryEscape(key),                          // dummy+key%2F123%2Babc%3D
		"path escape":          url.PathEscape(key),                           // dummy%20key%2F123+abc=
		"lowercase percent":    "dummy%20key%2f123%2babc%3d",                  // what many encoders write
		"html/template":        htmlTemplate(t, key),                          // &#43; for +
		"hex entities":         "dummy&#x20;key&#X2F;123&#x2b;abc&#x3D;",      // either case
		"named entities":       "dummy key&sol;123&plus;abc&equals;",          // HTML5 names
		"JSON unicode escapes": `dummy\u0020key\u002F123\u002babc\u003d`,      // Gson, Jackson
		"backslash escapes":    `dummy\ key\/123\+abc\=`,                      // a shell or a regex quoted it
		"mixed":                `dummy%20key\/123&#43;abc\u003D`,              // one text, several encoders
		"zero-padded entities": "dummy&#0032;key&#00047;123&#x0002B;abc&#61;", // still the same characters
		"plus read as a space": "dummy key/123 abc=",                          // a form parser decoded the query
		"base64":               base64.StdEncoding.EncodeToString([]byte(key)),
		"base64 URL, unpadded": base64.RawURLEncoding.EncodeToString([]byte(key)),
	}
	r := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": key}))
	for name, form := range forms {
		text := `{"error":"invalid key ` + form + `"}`
		if got, want := r.Redact(text), `{"error":"invalid key `+Redacted+`"}`; got != want {
			t.Errorf("%s: Redact(%s) = %s, want %s", name, text, got, want)
		}
	}
	// Text that shares a part of the key, but is not the key, stays.
	for _, text := range []string{"abc=", "dummy key", "123+abc", "dummy key/124+abc="} {
		if got := r.Redact(text); got != text {
			t.Errorf("Redact(%q) = %q: not the key, nothing to mask", text, got)
		}
	}
}

// A non-ASCII punctuation mark escaped as UTF-8 percent escapes or JSON's
// \u form is the key too.
func TestRedactorMasksEscapedNonASCII(t *testing.T) {
	const key = "tok–2b8f1d" // an en dash
	r := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": key}))
	for _, form := range []string{"tok%e2%80%932b8f1d", `tok\u20132b8f1d`} {
		if got := r.Redact("key " + form); got != "key "+Redacted {
			t.Errorf("Redact(%q) = %q", form, got)
		}
	}
}

// A text without the key's longest run of ASCII letters and digits is not
// decoded at all: masking it costs a substring search and no allocation.
func TestRedactorDecodesOnlyWhenNeeded(t *testing.T) {
	r := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": "sk+live/3b8f1d2e9a=="}))
	if len(r.escaped) != 1 || r.escaped[0].anchor != "3b8f1d2e9a" {
		t.Fatalf("escaped %+v: want one, anchored on 3b8f1d2e9a", r.escaped)
	}
	text := `{"id":"agt_1","name":"Analyst"}`
	if n := testing.AllocsPerRun(100, func() { r.Redact(text) }); n != 0 {
		t.Errorf("Redact of a text without the key: %v allocations, want 0", n)
	}
	if got := r.Redact("sk&#43;live&#47;3b8f1d2e9a&#61;&#61;"); got != Redacted {
		t.Errorf("Redact = %q", got)
	}
	if plain := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": "3b8f1d2e9a7c"})); len(plain.escaped) != 0 {
		t.Errorf("a key of ASCII letters and digits has no escaped forms, got %d", len(plain.escaped))
	}
}

// Escaped forms beyond the basic ones, and look-alikes that are not the key.
func TestRedactorEscapedEdges(t *testing.T) {
	cases := []struct {
		key, text string
		masked    bool
	}{
		{"ab#cd%ef;gh", "ab&num;cd&percnt;ef&semi;gh", true},
		{"abcd&efgh", "abcd&AMP;efgh", true},
		{"clé-abcd", "cl%c3%a9%2dabcd", true},                  // a non-ASCII letter percent-escaped
		{"abcd🔑efgh", `abcd\ud83d\udd11efgh`, true},            // JSON's surrogate pair
		{"abcd-efgh", "abcd&hyphen;efgh", false},               // U+2010, not -
		{"abcd~efgh", "abcd&tilde;efgh", false},                // U+02DC, not ~
		{"abcd+efgh", "abcd%2Gefgh", false},                    // not an escape
		{"abcd+efgh", "xabcd%2befghx", true},                   // inside other text
		{"abcd+efgh", "abcd&#43efgh", false},                   // no semicolon
		{"abcd+efgh", `abcd\u002befgh and abcd%2Befgh`, true},  // twice
		{"abcd+", `abcd\u002`, false},                          // cut short
		{"a+b+c+d", "a%2bb%2bc%2bd a&#43;b&#43;c&#43;d", true}, // short anchor
	}
	for _, c := range cases {
		r := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": c.key}))
		got := r.Redact(c.text)
		if masked := strings.Contains(got, Redacted); masked != c.masked {
			t.Errorf("key %q: Redact(%q) = %q, want masked %v", c.key, c.text, got, c.masked)
		}
	}
	// A stray % before an escape stays; both forms of a repeated key go.
	r := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": "+efgh"}))
	if got := r.Redact("%2%2befgh"); got != "%2"+Redacted {
		t.Errorf("Redact = %q, want the stray %%2 kept", got)
	}
	r = NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": "abcd+efgh"}))
	if got := r.Redact(`x abcd\u002befgh and abcd%2befgh y`); got != "x "+Redacted+" and "+Redacted+" y" {
		t.Errorf("Redact = %q, want both masked", got)
	}
}

// Keys inside one another: the longer is masked whole, whatever the order
// of the credentials, and whether the shorter has punctuation or not.
func TestRedactorMasksTheLongerEscapedSecretWhole(t *testing.T) {
	for range 20 { // credentials come out of a map in random order
		for _, kv := range []map[string]string{{"a": "abcd+efgh", "b": "abcd+efgh+ijkl"}, {"a": "efgh1234", "b": "abcd+efgh1234"}} {
			r := NewRedactor(NewCredentials(SourceEnv, kv))
			text := "k " + strings.ReplaceAll(kv["b"], "+", "%2b") + " end"
			if got := r.Redact(text); got != "k "+Redacted+" end" {
				t.Fatalf("Redact(%q) = %q", text, got)
			}
		}
	}
}

// A caller's key (--header-credentials) sets what is searched for: however
// long and however full of punctuation, masking stays linear in the text.
func BenchmarkRedactEscapedLongKey(b *testing.B) {
	key := strings.Repeat("+", 60000)
	r := NewRedactor(NewCredentials(SourceHeader, map[string]string{"api_key": key}))
	text := strings.Repeat("%2b", 20000)
	for b.Loop() {
		r.Redact(text)
	}
}

// A vendor's HTML error page echoing the key with entities is masked in the
// error the caller sees.
func TestDoRedactsAKeyInAnHTMLPage(t *testing.T) {
	_, err := doWithEchoedKey(t, status(401, map[string]string{"Content-Type": "text/html"},
		"<html><body>Invalid key sk&#47;live&#x2f;3b8f1d2e9a</body></html>"))
	if err == nil || strings.Contains(err.Error(), "3b8f1d2e9a") || !strings.Contains(err.Error(), "Invalid key "+Redacted) {
		t.Errorf("err = %v: want the key masked", err)
	}
}

// htmlTemplate is key as html/template writes it into a page (&#43; for +).
func htmlTemplate(t *testing.T, key string) string {
	t.Helper()
	var b strings.Builder
	if err := template.Must(template.New("").Parse("{{.}}")).Execute(&b, key); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
