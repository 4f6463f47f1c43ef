package providers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// Env looks up a configuration value; os.LookupEnv in production, a map in tests.
type Env func(key string) (string, bool)

// MapEnv serves values from a map, for tests and tools that build a fixed environment.
func MapEnv(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Get returns the trimmed value of key, or def when it is unset or blank.
func (e Env) Get(key, def string) string {
	if e == nil {
		return def
	}
	if v, ok := e(key); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// HeaderSetting returns the trimmed value of key, a setting sent as an HTTP
// header value. One with a line break or another control character is refused:
// net/http would refuse every attempt to send it.
func (e Env) HeaderSetting(key string) (string, error) {
	v := e.Get(key, "")
	if err := OneLine(v); err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return v, nil
}

// OneLine refuses a control character in a value sent in an HTTP header, or
// compared with one. The error tells nothing of the value, not even its
// length: a key's is nobody's business.
func OneLine(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return errors.New("holds a line break or another control character; the value is sent in an HTTP header and must be one line")
	}
	return nil
}

// Source tells where a credential came from; it is logged, the value never is.
type Source string

// Credential sources.
const (
	SourceEnv    Source = "env"
	SourceFile   Source = "file"
	SourceHeader Source = "header"
)

// CredentialSpec declares one credential a provider needs.
type CredentialSpec struct {
	Key      string // provider-local name, e.g. "api_key"
	Env      string // environment variable; <Env>_FILE names a file holding the value
	Header   string // HTTP header that carries it in --header-credentials mode
	Required bool
}

// Credentials are the resolved credential values of one provider.
type Credentials struct {
	values  map[string]Secret
	sources map[string]Source
}

// Get returns the credential stored under key (zero when absent).
func (c Credentials) Get(key string) Secret { return c.values[key] }

// Source returns where key came from ("" when absent).
func (c Credentials) Source(key string) Source { return c.sources[key] }

// Values lists every credential value, for redaction.
func (c Credentials) Values() []Secret {
	out := make([]Secret, 0, len(c.values))
	for _, v := range c.values {
		out = append(out, v)
	}
	return out
}

// Or returns c with each credential it lacks taken from d.
func (c Credentials) Or(d Credentials) Credentials {
	var out Credentials
	for k, v := range d.values {
		out.set(k, v, d.sources[k])
	}
	for k, v := range c.values {
		out.set(k, v, c.sources[k])
	}
	return out
}

// Renewed is c, the keys read again from their files, over last, those
// read before: a key whose file reads empty keeps last's (a file emptied
// while it is rewritten), but an optional one is dropped when another key
// changed, since the set was rotated whole (an STS token dropped on the
// switch to a permanent AccessKey must not go out with the new one).
func (c Credentials) Renewed(last Credentials, specs []CredentialSpec) Credentials {
	changed := false
	for _, s := range specs {
		if v := c.values[s.Key]; !v.IsZero() && v.Reveal() != last.values[s.Key].Reveal() {
			changed = true
		}
	}
	out := c.Or(last)
	if !changed {
		return out
	}
	for _, s := range specs {
		if !s.Required && c.values[s.Key].IsZero() {
			delete(out.values, s.Key)
			delete(out.sources, s.Key)
		}
	}
	return out
}

// Missing returns the required credentials that are not set.
func (c Credentials) Missing(specs []CredentialSpec) []CredentialSpec {
	var out []CredentialSpec
	for _, s := range specs {
		if s.Required && c.values[s.Key].IsZero() {
			out = append(out, s)
		}
	}
	return out
}

// String names each credential and where it came from, never its value.
func (c Credentials) String() string {
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s:%s(%s)", k, c.values[k], c.sources[k])
	}
	return "{" + strings.Join(keys, " ") + "}"
}

// GoString keeps %#v from printing the values.
func (c Credentials) GoString() string { return c.String() }

// Format covers every verb, so that fmt does not print the maps.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

func (c *Credentials) set(key string, v Secret, src Source) {
	if c.values == nil {
		c.values, c.sources = map[string]Secret{}, map[string]Source{}
	}
	c.values[key], c.sources[key] = v, src
}

// NewCredentials builds credentials from plain values (tests, fixtures).
func NewCredentials(src Source, kv map[string]string) Credentials {
	var c Credentials
	for k, v := range kv {
		if v != "" {
			c.set(k, NewSecret(v), src)
		}
	}
	return c
}

// CredentialsFromEnv reads each spec from <Env>, or from the file named by <Env>_FILE
// (container secrets). Setting both is an error, as is an unreadable file.
func CredentialsFromEnv(specs []CredentialSpec, env Env) (Credentials, error) {
	var c Credentials
	for _, s := range specs {
		val := env.Get(s.Env, "")
		file := env.Get(s.Env+"_FILE", "")
		switch {
		case val != "" && file != "":
			return Credentials{}, fmt.Errorf("both %s and %s_FILE are set; set one", s.Env, s.Env)
		case file != "":
			v, err := ReadSecretFile(file)
			if err != nil {
				return Credentials{}, fmt.Errorf("read %s_FILE: %w", s.Env, err)
			}
			if v != "" {
				if err := OneLine(v); err != nil {
					return Credentials{}, fmt.Errorf("%s_FILE (%s): %w", s.Env, file, err)
				}
				c.set(s.Key, NewSecret(v), SourceFile)
			}
		case val != "":
			if err := OneLine(val); err != nil {
				return Credentials{}, fmt.Errorf("%s: %w", s.Env, err)
			}
			c.set(s.Key, NewSecret(val), SourceEnv)
		}
	}
	return c, nil
}

// CredentialsFromHeaders reads each spec that has a header from h. It never
// falls back to the server's own credentials: that is the point of the mode.
// A header sent more than once counts by its copies that are not blank, and
// is refused when they differ: which account was meant cannot be told.
func CredentialsFromHeaders(specs []CredentialSpec, h http.Header) (Credentials, error) {
	var c Credentials
	for _, s := range specs {
		if s.Header == "" {
			continue
		}
		v, err := HeaderValue(h, s.Header)
		if err != nil {
			return Credentials{}, err
		}
		if v != "" {
			c.set(s.Key, NewSecret(v), SourceHeader)
		}
	}
	return c, nil
}

// HeaderValue is the value of header name in h, trimmed, from its copies
// that are not blank: "" when there are none, and an error when they differ.
func HeaderValue(h http.Header, name string) (string, error) {
	var v string
	for _, each := range h.Values(name) {
		switch each = strings.TrimSpace(each); {
		case each == "" || each == v:
		case v == "":
			v = each
		default:
			return "", fmt.Errorf("the %s header comes more than once with different values: send it once", name)
		}
	}
	return v, nil
}
