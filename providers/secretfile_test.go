package providers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Key files as Windows editors save them: the byte-order mark is no part of
// the key, nor is the line break after it.
func TestReadSecretFile(t *testing.T) {
	utf16le := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, r := range s {
			b = append(b, byte(r), 0)
		}
		return b
	}
	utf16be := func(s string) []byte {
		b := []byte{0xFE, 0xFF}
		for _, r := range s {
			b = append(b, 0, byte(r))
		}
		return b
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"plain", []byte(canary), canary},
		{"line break", []byte(canary + "\r\n"), canary},
		{"UTF-8 with BOM (Notepad)", []byte("\xEF\xBB\xBF" + canary + "\r\n"), canary},
		{"UTF-16 LE with BOM (PowerShell 5)", utf16le(canary + "\r\n"), canary},
		{"UTF-16 BE with BOM", utf16be(canary + "\n"), canary},
		{"a BOM alone is empty", []byte("\xEF\xBB\xBF\r\n"), ""},
		{"a BOM not at the start is kept", []byte(canary + "\xEF\xBB\xBF"), canary + "\uFEFF"},
	} {
		path := filepath.Join(dir, "key")
		if err := os.WriteFile(path, tc.content, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadSecretFile(path); err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
		// What the vendor is sent: the same, read by CredentialsFromEnv.
		specs := []CredentialSpec{{Key: "k", Env: "V_KEY", Required: true}}
		c, err := CredentialsFromEnv(specs, MapEnv(map[string]string{"V_KEY_FILE": path}))
		if got := c.Get("k").Reveal(); err != nil || got != tc.want {
			t.Errorf("%s: the credential is %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := ReadSecretFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file read without an error")
	}
	// A surrogate pair is one character; what is not UTF-16 is refused,
	// not sent changed (a byte dropped, U+FFFD put in), and the refusal
	// shows nothing of the file.
	pair := utf16le("k")
	pair = append(pair, 0x3D, 0xD8, 0x11, 0xDD) // U+1F511
	path := filepath.Join(dir, "key")
	if err := os.WriteFile(path, pair, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadSecretFile(path); err != nil || got != "k\U0001F511" {
		t.Errorf("a surrogate pair: got %q, %v", got, err)
	}
	for name, content := range map[string][]byte{
		"an odd byte after UTF-16 LE":       append(utf16le(canary), 'Z'),
		"an odd byte after UTF-16 BE":       append(utf16be(canary), 'Z'),
		"a mark and one byte":               {0xFF, 0xFE, 'Z'},
		"half a surrogate pair at the end":  append(utf16le(canary), 0x3D, 0xD8),
		"half a surrogate pair in the text": append(append(utf16le(canary), 0x3D, 0xD8), utf16le("x")[2:]...),
		"a low surrogate alone":             append(utf16le(canary), 0x11, 0xDD),
	} {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadSecretFile(path)
		if err == nil || !strings.Contains(err.Error(), "not valid UTF-16") || strings.Contains(err.Error(), canary) {
			t.Errorf("%s: got %q, %v; want it refused without showing it", name, got, err)
		}
		specs := []CredentialSpec{{Key: "k", Env: "V_KEY", Required: true}}
		if _, err := CredentialsFromEnv(specs, MapEnv(map[string]string{"V_KEY_FILE": path})); err == nil || !strings.Contains(err.Error(), "V_KEY_FILE") {
			t.Errorf("%s: CredentialsFromEnv: %v, want an error naming V_KEY_FILE", name, err)
		}
	}
}

// A client's JSON config has no shell: DATAGRID_API_KEY_FILE=~/keys/dg
// names a file in the home directory, as it would typed in a shell.
func TestSecretFileUnderHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // Windows
	if err := os.MkdirAll(filepath.Join(home, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "keys", "dg"), []byte("k-home\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	creds, err := CredentialsFromEnv([]CredentialSpec{{Key: "api_key", Env: "X_KEY", Required: true}},
		MapEnv(map[string]string{"X_KEY_FILE": "~/keys/dg"}))
	if err != nil || creds.Get("api_key").Reveal() != "k-home" {
		t.Errorf("~/keys/dg: key read %v, err %v", creds.Get("api_key").Reveal() == "k-home", err)
	}
	// Only a leading ~ on its own or before a separator is the home.
	for _, path := range []string{"~keys/dg", "keys/~/dg"} {
		if _, err := ReadSecretFile(path); err == nil {
			t.Errorf("%s: read, want no such file", path)
		}
	}
}
