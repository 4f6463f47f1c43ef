package app

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCredentialNamesAreTheVendorsOwn: no two providers read the same
// variable or take the same key header. A provider copied from another that
// kept its header would be handed the other vendor's key, and send it there.
func TestCredentialNamesAreTheVendorsOwn(t *testing.T) {
	descs, err := Describe()
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{} // variable or header → provider slug
	claim := func(slug, kind, name string) {
		if name == "" {
			return
		}
		if other, ok := owner[kind+" "+name]; ok && other != slug {
			t.Errorf("%s and %s both take %s %s: give each vendor its own", other, slug, kind, name)
		}
		owner[kind+" "+name] = slug
	}
	for _, d := range descs {
		for _, c := range d.Credentials {
			claim(d.Slug, "variable", c.Env)
			claim(d.Slug, "variable", c.Env+"_FILE")
			claim(d.Slug, "credential header", http.CanonicalHeaderKey(c.Header))
		}
		for _, s := range d.Settings {
			claim(d.Slug, "variable", s.Env)
		}
	}
}

// TestEveryProviderIsRegistered: a package under providers/ with a New is
// one of the catalog's, or its tool would never be served and every other
// test would stay green.
func TestEveryProviderIsRegistered(t *testing.T) {
	catalogSrc, err := os.ReadFile("catalog.go")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../providers/*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	hasNew := regexp.MustCompile(`(?m)^func New\(`)
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !hasNew.Match(src) {
			continue
		}
		seen++
		dir := filepath.Base(filepath.Dir(f))
		if !strings.Contains(string(catalogSrc), `"github.com/agentmcp/agentmcp/providers/`+dir+`"`) {
			t.Errorf("providers/%s has a New but app/catalog.go does not register it: add its line to catalog()", dir)
		}
	}
	if seen != len(Slugs()) {
		t.Errorf("found %d provider packages with a New, the catalog has %d providers", seen, len(Slugs()))
	}
}
