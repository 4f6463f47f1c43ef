package providers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const canary = "canary-sk-5f3e9a1c7b2d4e6f"

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret(canary)
	holder := struct {
		Key Secret
		P   *Secret
		k   Secret // fmt cannot call its methods
	}{s, &s, s}
	b, _ := json.Marshal(holder)
	txt, _ := s.MarshalText()
	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", holder, holder, holder), string(b), string(txt), s.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, canary) {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != canary {
		t.Error("Reveal must return the value")
	}
	if NewSecret("").String() != "" || !NewSecret("").IsZero() {
		t.Error("empty secret prints empty")
	}
}

// TestCredentialsNeverPrint: fmt cannot ask a Secret inside an unexported
// field to mask itself, nor Credentials in one.
func TestCredentialsNeverPrint(t *testing.T) {
	c := NewCredentials(SourceEnv, map[string]string{"api_key": canary, "org": canary + "-2"})
	holder := struct{ c Credentials }{c}
	out := fmt.Sprintf("%v %+v %#v %s %q | %v %+v %#v", c, c, c, c, c, holder, holder, holder)
	if strings.Contains(out, canary) {
		t.Errorf("secret leaked: %s", out)
	}
	if want := "{api_key:[REDACTED](env) org:[REDACTED](env)}"; c.String() != want {
		t.Errorf("String() = %s, want %s", c, want)
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	if err := os.WriteFile(file, []byte(canary+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	specs := []CredentialSpec{{Key: "k", Env: "V_KEY", Required: true}, {Key: "opt", Env: "V_OPT"}}

	c, err := CredentialsFromEnv(specs, MapEnv(map[string]string{"V_KEY": " " + canary + " "}))
	if err != nil || c.Get("k").Reveal() != canary || c.Source("k") != SourceEnv {
		t.Errorf("env: %v %v", err, c.Source("k"))
	}
	if len(c.Missing(specs)) != 0 {
		t.Errorf("optional credentials are never missing")
	}

	c, err = CredentialsFromEnv(specs, MapEnv(map[string]string{"V_KEY_FILE": file}))
	if err != nil || c.Get("k").Reveal() != canary || c.Source("k") != SourceFile {
		t.Errorf("file: %v %v", err, c.Source("k"))
	}

	_, err = CredentialsFromEnv(specs, MapEnv(map[string]string{"V_KEY": "a", "V_KEY_FILE": file}))
	if err == nil || !strings.Contains(err.Error(), "both V_KEY and V_KEY_FILE") {
		t.Errorf("both set: %v", err)
	}
	_, err = CredentialsFromEnv(specs, MapEnv(map[string]string{"V_KEY_FILE": filepath.Join(dir, "nope")}))
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Errorf("unreadable file: %v", err)
	}

	c, _ = CredentialsFromEnv(specs, MapEnv(nil))
	if m := c.Missing(specs); len(m) != 1 || m[0].Env != "V_KEY" {
		t.Errorf("missing = %+v", m)
	}

	// A key is sent in a header: one that cannot be (two keys in one file,
	// say) is refused here, not by every attempt to send it.
	twoLines := filepath.Join(dir, "two")
	if err := os.WriteFile(twoLines, []byte(canary+"\r\nother\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]map[string]string{
		"V_KEY_FILE": {"V_KEY_FILE": twoLines},
		"V_OPT":      {"V_KEY": canary, "V_OPT": canary + "\x00"},
		"V_KEY":      {"V_KEY": canary + "\x7f"}, // DEL: net/http refuses it in a header too
	} {
		_, err = CredentialsFromEnv(specs, MapEnv(env))
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "control character") || strings.Contains(err.Error(), canary) {
			t.Errorf("%s with a control character: %v", name, err)
		}
	}
}

func TestHeaderSetting(t *testing.T) {
	env := MapEnv(map[string]string{"ORG": " org_1 ", "BAD": "org_1\nX-Injected: 1", "TAB": "a\tb", "UTF8": "équipe"})
	for key, want := range map[string]string{"ORG": "org_1", "UTF8": "équipe", "UNSET": ""} {
		if got, err := env.HeaderSetting(key); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", key, got, err, want)
		}
	}
	for _, key := range []string{"BAD", "TAB"} {
		if got, err := env.HeaderSetting(key); err == nil || got != "" || !strings.HasPrefix(err.Error(), key+": ") || strings.Contains(err.Error(), "Injected") {
			t.Errorf("%s = %q, %v; want refused without the value", key, got, err)
		}
	}
}

func TestCredentialsFromHeadersNeverFallBack(t *testing.T) {
	specs := []CredentialSpec{{Key: "k", Env: "V_KEY", Header: "X-V-Api-Key", Required: true}, {Key: "envonly", Env: "V_OTHER"}}
	c, err := CredentialsFromHeaders(specs, http.Header{"X-V-Api-Key": {canary}, "V_other": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Get("k").Reveal() != canary || c.Source("k") != SourceHeader {
		t.Errorf("header credential not read")
	}
	if !c.Get("envonly").IsZero() {
		t.Error("a credential without a header must stay unset")
	}
	if none, _ := CredentialsFromHeaders(specs, http.Header{}); len(none.Missing(specs)) != 1 {
		t.Errorf("missing header credential not reported: %v", none.Missing(specs))
	}
	// A header sent twice counts by its copies that are not blank; copies
	// that differ are refused.
	for i, tt := range []struct {
		copies []string
		want   string
		err    bool
	}{
		{[]string{"", canary}, canary, false},
		{[]string{" ", canary, canary}, canary, false},
		{[]string{canary, "other-key"}, "", true},
	} {
		c, err := CredentialsFromHeaders(specs, http.Header{"X-V-Api-Key": tt.copies})
		if (err != nil) != tt.err || c.Get("k").Reveal() != tt.want {
			t.Errorf("case %d: key read %v, error %v; want the key %v, an error %v", i, !c.Get("k").IsZero(), err != nil, tt.want != "", tt.err)
		}
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Errorf("case %d: the error shows the key", i)
		}
	}
}

// A key too short for masking in free text is still masked where a header
// carries it.
func TestPreviewMasksAShortKeyInHeaders(t *testing.T) {
	creds := NewCredentials(SourceEnv, map[string]string{"k": "Zq9"})
	o := &Outgoing{Method: "POST", URL: "https://h/x", Header: http.Header{
		"Authorization": {"Bearer Zq9"}, "X-Auth-Token": {"Zq9"}, "Accept": {"application/json"}, "X-Note": {"Zq9x xZq9"},
		"X-Signed": {"ACS3-HMAC-SHA256 Credential=Zq9,SignedHeaders=host"}}}
	p := o.Preview(creds)
	want := map[string]string{"Authorization": "Bearer " + Redacted, "X-Auth-Token": Redacted, "Accept": "application/json", "X-Note": "Zq9x xZq9",
		"X-Signed": "ACS3-HMAC-SHA256 Credential=" + Redacted + ",SignedHeaders=host"}
	for name, v := range want {
		if p.Headers[name] != v {
			t.Errorf("%s = %q, want %q", name, p.Headers[name], v)
		}
	}
}

func TestPreviewRedactsEverywhere(t *testing.T) {
	creds := NewCredentials(SourceEnv, map[string]string{"k": canary})
	o := &Outgoing{
		Method:    "POST",
		URL:       "https://h/x?sig=derived-signature-123&k=" + canary,
		Header:    http.Header{"Authorization": {"Bearer " + canary}, "X-Sig": {"derived-signature-123"}},
		Body:      []byte(`{"note":"` + canary + `","n":1}`),
		Sensitive: []string{"derived-signature-123"},
	}
	p := o.Preview(creds)
	b, _ := json.Marshal(p)
	if strings.Contains(string(b), canary) || strings.Contains(string(b), "derived-signature-123") {
		t.Fatalf("preview leaks: %s", b)
	}
	if p.Headers["Authorization"] != "Bearer "+Redacted {
		t.Errorf("Authorization = %q", p.Headers["Authorization"])
	}
	if raw, ok := p.Body.(json.RawMessage); !ok || string(raw) != `{"note":"`+Redacted+`","n":1}` {
		t.Errorf("a JSON body should be shown as the JSON sent: %#v", p.Body)
	}
}

func TestRedactorMasksTheLongerSecretWhole(t *testing.T) {
	// One secret inside another, in both orders of the credentials.
	for _, kv := range []map[string]string{{"a": "tok-1234", "b": "tok-1234-extended"}, {"a": "tok-1234-extended", "b": "tok-1234"}} {
		got := NewRedactor(NewCredentials(SourceEnv, kv)).Redact("key tok-1234-extended, short tok-1234")
		if want := "key " + Redacted + ", short " + Redacted; got != want {
			t.Errorf("Redact = %q, want %q", got, want)
		}
	}
}

func TestBaseURL(t *testing.T) {
	cases := map[string]bool{
		"https://api.example.com/v1": true, "http://127.0.0.1:8080": true,
		"ftp://x": false, "api.example.com": false, "https://h/v1?x=1": false, "https://u:p@h": false,
		"https://h/v1?": false, "https://h/v1/#": false, "https://h?": false,
	}
	for v, ok := range cases {
		_, err := BaseURL(MapEnv(map[string]string{"B": v}), "B", "https://d")
		if (err == nil) != ok {
			t.Errorf("BaseURL(%q) err = %v", v, err)
		}
	}
	for _, v := range []string{"https://user:pa55word@h/v1", "https://h/v1?token=pa55word", "https://h/v1#pa55word", "user:pa55word@h/v1"} {
		_, err := BaseURL(MapEnv(map[string]string{"B": v}), "B", "https://d")
		if err == nil || strings.Contains(err.Error(), "pa55word") || !strings.Contains(err.Error(), "B (value not shown") {
			t.Errorf("BaseURL(%q): err = %v, want it refused without the value", v, err)
		}
	}
	if _, err := BaseURL(MapEnv(map[string]string{"B": "ftp://x"}), "B", "https://d"); err == nil || !strings.Contains(err.Error(), `B="ftp://x"`) {
		t.Errorf("a refused value without secret parts is shown: %v", err)
	}
	if got := JoinURL("https://api.datagrid.com/v1/", "/agents"); got != "https://api.datagrid.com/v1/agents" {
		t.Errorf("JoinURL = %s", got)
	}
}

// Keys read again from their files: an emptied file keeps the key read
// before, but an optional key is dropped when another key of the set
// changed (rotated whole).
func TestCredentialsRenewed(t *testing.T) {
	specs := []CredentialSpec{{Key: "id", Required: true}, {Key: "secret", Required: true}, {Key: "token"}}
	last := NewCredentials(SourceFile, map[string]string{"id": "AKID1", "secret": "SEC1", "token": "STS1"})
	for _, tt := range []struct {
		name  string
		fresh map[string]string
		want  map[string]string
	}{
		{"token file emptied while rewritten", map[string]string{"id": "AKID1", "secret": "SEC1"}, map[string]string{"id": "AKID1", "secret": "SEC1", "token": "STS1"}},
		{"all three mid-rewrite", map[string]string{}, map[string]string{"id": "AKID1", "secret": "SEC1", "token": "STS1"}},
		{"to a permanent key", map[string]string{"id": "AKID2", "secret": "SEC2"}, map[string]string{"id": "AKID2", "secret": "SEC2"}},
		{"new STS set", map[string]string{"id": "AKID2", "secret": "SEC2", "token": "STS2"}, map[string]string{"id": "AKID2", "secret": "SEC2", "token": "STS2"}},
		{"secret rewritten, id still empty", map[string]string{"secret": "SEC2"}, map[string]string{"id": "AKID1", "secret": "SEC2"}},
	} {
		got := NewCredentials(SourceFile, tt.fresh).Renewed(last, specs)
		for _, s := range specs {
			if g := got.Get(s.Key).Reveal(); g != tt.want[s.Key] {
				t.Errorf("%s: %s = %q, want %q", tt.name, s.Key, g, tt.want[s.Key])
			}
		}
	}
}
