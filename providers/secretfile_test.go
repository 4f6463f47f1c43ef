package providers

import (
	"os"
	"path/filepath"
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
}
