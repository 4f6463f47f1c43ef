package providers

import (
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

// The escaped forms are matched only in a text that holds the key's longest
// run of letters and digits: a text without it costs no regexp at all.
func TestRedactorCompilesOnlyWhenNeeded(t *testing.T) {
	r := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": "sk+live/3b8f1d2e9a=="}))
	if len(r.escaped) != 1 || r.escaped[0].anchor != "3b8f1d2e9a" {
		t.Fatalf("escaped %+v: want one, anchored on 3b8f1d2e9a", r.escaped)
	}
	r.Redact(`{"id":"agt_1","name":"Analyst"}`)
	if r.escaped[0].re != nil {
		t.Errorf("a text without the key compiled its pattern")
	}
	if got := r.Redact("sk&#43;live&#47;3b8f1d2e9a&#61;&#61;"); got != Redacted {
		t.Errorf("Redact = %q", got)
	}
	if plain := NewRedactor(NewCredentials(SourceEnv, map[string]string{"api_key": "3b8f1d2e9a7c"})); len(plain.escaped) != 0 {
		t.Errorf("a key of letters and digits has no escaped forms, got %d", len(plain.escaped))
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
