package examples_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// serverJSON is the MCP registry metadata at the repository root.
type serverJSON struct {
	Schema      string         `json:"$schema"`
	Name        string         `json:"name"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description"`
	Repository  *repository    `json:"repository,omitempty"`
	WebsiteURL  string         `json:"websiteUrl,omitempty"`
	Version     string         `json:"version"`
	Packages    []registryPkg  `json:"packages"`
	Remotes     []remote       `json:"remotes,omitempty"`
	Meta        map[string]any `json:"_meta,omitempty"`
}

type repository struct {
	URL    string `json:"url"`
	Source string `json:"source"`
}

type registryPkg struct {
	RegistryType         string     `json:"registryType"`
	Identifier           string     `json:"identifier"`
	Version              string     `json:"version,omitempty"`
	RuntimeHint          string     `json:"runtimeHint,omitempty"`
	Transport            transport  `json:"transport"`
	PackageArguments     []argument `json:"packageArguments,omitempty"`
	EnvironmentVariables []kvInput  `json:"environmentVariables"`
}

type transport struct {
	Type string `json:"type"`
}

type argument struct {
	Type        string `json:"type"`
	Name        string `json:"name,omitempty"`
	Value       string `json:"value,omitempty"`
	Description string `json:"description,omitempty"`
}

type kvInput struct {
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	Value       string           `json:"value,omitempty"`
	Default     string           `json:"default,omitempty"`
	Format      string           `json:"format,omitempty"`
	IsRequired  bool             `json:"isRequired"`
	IsSecret    bool             `json:"isSecret"`
	Variables   map[string]input `json:"variables,omitempty"`
}

type input struct {
	Description string `json:"description,omitempty"`
	Format      string `json:"format,omitempty"`
	IsRequired  bool   `json:"isRequired"`
	IsSecret    bool   `json:"isSecret"`
	Placeholder string `json:"placeholder,omitempty"`
}

type remote struct {
	Type      string           `json:"type"`
	URL       string           `json:"url"`
	Headers   []kvInput        `json:"headers,omitempty"`
	Variables map[string]input `json:"variables,omitempty"`
}

var serverJSONPath = filepath.Join(repoRoot, "server.json")

// wantEnvironment is the environmentVariables list app.EnvVars() implies.
func wantEnvironment(t *testing.T) []kvInput {
	t.Helper()
	vars, names := envVars(t)
	out := make([]kvInput, 0, len(vars))
	for _, v := range vars {
		name := names[v.Provider]
		in := kvInput{Name: v.Name, Format: "string", Default: v.Default}
		switch {
		case v.Secret && v.Required:
			in.IsSecret = true
			in.Description = fmt.Sprintf("%s credential, needed for real %s calls (dry runs work without it). Or set %s_FILE to a file holding it.", name, name, v.Name)
		case v.Secret:
			in.IsSecret = true
			in.Description = fmt.Sprintf("Optional %s credential. Or set %s_FILE to a file holding it.", name, v.Name)
		default:
			in.Description = fmt.Sprintf("%s: %s.", name, strings.TrimSuffix(v.Usage, "."))
		}
		// No provider is required: users enable the vendors they have keys for.
		out = append(out, in)
	}
	return out
}

func TestServerJSON(t *testing.T) {
	var s serverJSON
	readJSON(t, serverJSONPath, &s)
	want := wantEnvironment(t)
	if *update {
		for i := range s.Packages {
			s.Packages[i].EnvironmentVariables = want
		}
		writeJSON(t, serverJSONPath, s)
	}

	if !regexp.MustCompile(`^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`).MatchString(s.Name) {
		t.Errorf("name %q: want reverse-DNS namespace/name", s.Name)
	}
	if n := len(s.Description); n == 0 || n > 100 {
		t.Errorf("description is %d characters; the registry takes 1 to 100", n)
	}
	if s.Version == "" || strings.HasPrefix(s.Version, "v") {
		t.Errorf("version %q: want a plain semantic version such as 1.2.3", s.Version)
	}
	if len(s.Packages) == 0 {
		t.Fatal("no packages")
	}
	for _, p := range s.Packages {
		t.Run(p.RegistryType, func(t *testing.T) {
			if p.Transport.Type != "stdio" {
				t.Errorf("transport %q: packages run over stdio", p.Transport.Type)
			}
			switch p.RegistryType {
			case "oci":
				if !strings.HasSuffix(p.Identifier, ":"+s.Version) {
					t.Errorf("image %q is not tagged with the server version %s", p.Identifier, s.Version)
				}
			default:
				// The registry's publish step refuses the whole file otherwise.
				if !slices.Contains([]string{"npm", "pypi", "nuget", "mcpb", "cargo"}, p.RegistryType) {
					t.Errorf("registryType %q: the official registry takes npm, pypi, nuget, oci, mcpb and cargo packages", p.RegistryType)
				}
			}
			checkEnvironment(t, p.EnvironmentVariables, want)
		})
	}
	checkRemotes(t, s.Remotes)
}

// checkEnvironment: exactly the variables app.EnvVars() lists, in its order,
// secrets marked, defaults as the providers apply them.
func checkEnvironment(t *testing.T, got, want []kvInput) {
	t.Helper()
	names := func(l []kvInput) []string {
		var out []string
		for _, v := range l {
			out = append(out, v.Name)
		}
		return out
	}
	if !slices.Equal(names(got), names(want)) {
		t.Fatalf("environmentVariables = %v\nwant (app.EnvVars()) %v\nrun `go test ./examples -update` after changing a provider", names(got), names(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.IsSecret != w.IsSecret {
			t.Errorf("%s: isSecret %v, want %v", g.Name, g.IsSecret, w.IsSecret)
		}
		if g.Default != w.Default {
			t.Errorf("%s: default %q, want %q", g.Name, g.Default, w.Default)
		}
		if g.IsSecret && (g.Value != "" || g.Default != "") {
			t.Errorf("%s: a secret has no value or default in server.json", g.Name)
		}
		if g.IsRequired {
			t.Errorf("%s: isRequired true, but the server starts with any subset of vendors configured", g.Name)
		}
		if strings.TrimSpace(g.Description) == "" {
			t.Errorf("%s: no description", g.Name)
		}
	}
}

// checkRemotes: a streamable HTTP endpoint at /mcp whose bearer token is a secret.
func checkRemotes(t *testing.T, remotes []remote) {
	t.Helper()
	var found bool
	for _, r := range remotes {
		if r.Type != "streamable-http" {
			continue
		}
		found = true
		if !strings.HasSuffix(r.URL, "/mcp") {
			t.Errorf("remote url %q: the MCP endpoint is /mcp", r.URL)
		}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(r.URL, -1) {
			if _, ok := r.Variables[m[1]]; !ok {
				t.Errorf("remote url uses {%s}, which is not among its variables", m[1])
			}
		}
		var auth bool
		for _, h := range r.Headers {
			if !strings.EqualFold(h.Name, "Authorization") {
				continue
			}
			auth = true
			if !h.IsSecret || !h.IsRequired {
				t.Errorf("Authorization header: isSecret %v, isRequired %v; want both true", h.IsSecret, h.IsRequired)
			}
			if !strings.HasPrefix(h.Value, "Bearer {") {
				t.Errorf("Authorization header value %q: want Bearer {token}", h.Value)
			}
			for name, v := range h.Variables {
				if !v.IsSecret {
					t.Errorf("Authorization variable %q must be marked isSecret", name)
				}
			}
		}
		if !auth {
			t.Error("the streamable-http remote has no Authorization header")
		}
	}
	if !found {
		t.Error("no streamable-http remote")
	}
}

// TestReleaseLdflags builds the server with the ldflags .goreleaser.yaml and
// the Dockerfile use, and checks --version shows what they inject.
func TestReleaseLdflags(t *testing.T) {
	const version, commit = "9.8.7-ldflags", "abc1234"
	sources := []struct {
		file string
		find *regexp.Regexp
		vars map[string]string
	}{
		{".goreleaser.yaml", regexp.MustCompile(`(?m)^\s*-\s+(.*-X main\.version=.*)$`), map[string]string{
			`\{\{\s*\.Version\s*\}\}`:             version,
			`\{\{\s*\.(Short|Full)?Commit\s*\}\}`: commit,
			`\{\{\s*\.(Commit)?Date\s*\}\}`:       "2026-01-01T00:00:00Z",
			`\{\{\s*\.CommitTimestamp\s*\}\}`:     "1767225600",
		}},
		{"Dockerfile", regexp.MustCompile(`-ldflags\s+"([^"]*-X main\.version=[^"]*)"`), map[string]string{
			`\$\{?VERSION\}?`: version,
			`\$\{?COMMIT\}?`:  commit,
		}},
	}
	for _, src := range sources {
		t.Run(src.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(repoRoot, src.file))
			if err != nil {
				t.Fatal(err)
			}
			m := src.find.FindSubmatch(b)
			if m == nil {
				t.Fatalf("%s: no ldflags with -X main.version= found", src.file)
			}
			flags := strings.Trim(strings.TrimSpace(string(m[1])), `"'`)
			for pat, val := range src.vars {
				flags = regexp.MustCompile(pat).ReplaceAllString(flags, val)
			}
			if strings.ContainsAny(flags, "{}$") {
				t.Fatalf("%s: unresolved template left in ldflags %q", src.file, flags)
			}
			if !strings.Contains(flags, "-X main.commit=") {
				t.Errorf("%s: ldflags %q do not set main.commit", src.file, flags)
			}
			bin := buildServer(t, t.TempDir(), flags, true)
			out, err := runBinary(bin, "--version")
			if err != nil {
				t.Fatalf("--version: %v\n%s", err, out)
			}
			if want := fmt.Sprintf("agentmcp %s (commit %s)", version, commit); strings.TrimSpace(out) != want {
				t.Errorf("--version printed %q, want %q (ldflags %s)", strings.TrimSpace(out), want, flags)
			}
		})
	}
}

// TestReleaseFiles checks what cannot run here (no Docker engine, no
// goreleaser) for the promises the README makes about it.
func TestReleaseFiles(t *testing.T) {
	var s serverJSON
	readJSON(t, serverJSONPath, &s)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("Dockerfile", func(t *testing.T) {
		d := read("Dockerfile")
		var images []string
		for _, m := range regexp.MustCompile(`(?mi)^FROM\s+(.*)$`).FindAllStringSubmatch(d, -1) {
			for _, f := range strings.Fields(m[1]) {
				if !strings.HasPrefix(f, "--") {
					images = append(images, f)
					break
				}
			}
		}
		if len(images) < 2 {
			t.Fatalf("want a multi-stage build, found FROM %v", images)
		}
		if final := images[len(images)-1]; !strings.Contains(final, "distroless") && final != "scratch" {
			t.Errorf("final stage FROM %s: want distroless or scratch", final)
		}
		for _, want := range []string{
			"CGO_ENABLED=0",
			`LABEL io.modelcontextprotocol.server.name="` + s.Name + `"`,
		} {
			if !strings.Contains(d, want) {
				t.Errorf("Dockerfile lacks %s", want)
			}
		}
		user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(d, -1)
		if len(user) == 0 || strings.HasPrefix(user[len(user)-1][1], "root") || strings.HasPrefix(user[len(user)-1][1], "0") {
			t.Errorf("the image must run as a non-root user (USER %v)", user)
		}
		if !regexp.MustCompile(`(?m)^CMD\s+\[.*"stdio".*\]`).MatchString(d) {
			t.Error(`the default command must serve stdio (CMD ["--transport", "stdio"])`)
		}
	})

	t.Run(".goreleaser.yaml", func(t *testing.T) {
		g := read(".goreleaser.yaml")
		for _, want := range []string{"CGO_ENABLED=0", "linux", "darwin", "windows", "amd64", "arm64", "-X main.version=", "-X main.commit="} {
			if !strings.Contains(g, want) {
				t.Errorf(".goreleaser.yaml lacks %s", want)
			}
		}
	})

	t.Run(".dockerignore", func(t *testing.T) {
		di := read(".dockerignore")
		for _, want := range []string{"node_modules", ".git"} {
			if !strings.Contains(di, want) {
				t.Errorf(".dockerignore lacks %s", want)
			}
		}
	})
}

// A build with neither ldflags nor a module version (from a source archive:
// no VCS stamp) says dev, not Go's "(devel)".
func TestVersionOfAPlainBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "agentmcp")
	cmd := exec.Command(goTool(t), "build", "-buildvcs=false", "-o", bin, ".")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := runBinary(bin, "--version"); err != nil || out != "agentmcp dev\n" {
		t.Errorf("--version = %q, %v; want \"agentmcp dev\\n\"", out, err)
	}
}
