package app

import (
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// backticked matches a `code span` of the README; m[1] is its text.
var backticked = regexp.MustCompile("`([^`]+)`")

// envLike matches an environment variable's name.
var envLike = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)

// readReadme returns the README's text.
func readReadme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeToolTable fails when the README's tool table differs from the
// tools the server registers: names, required arguments, credentials, settings.
func TestReadmeToolTable(t *testing.T) {
	text := readReadme(t)
	start, end := strings.Index(text, "<!-- tools:start"), strings.Index(text, "<!-- tools:end -->")
	if start < 0 || end < start {
		t.Fatal("README has no tools:start / tools:end table")
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(text[start:end], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 7 || !strings.Contains(cells[1], "create_agent_") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows[name] = cells[2:6]
	}
	descs, err := Describe()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, d := range descs {
		byName["create_agent_"+d.Slug] = i
	}
	names := func(cell string) []string {
		var out []string
		for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
			out = append(out, m[1])
		}
		return out
	}
	for _, tool := range listTools(t) {
		row, ok := rows[tool.Name]
		if !ok {
			t.Errorf("README tool table lacks %s", tool.Name)
			continue
		}
		delete(rows, tool.Name)
		d := descs[byName[tool.Name]]
		if !strings.Contains(row[0], d.Name) {
			t.Errorf("%s: vendor cell %q does not name %s", tool.Name, row[0], d.Name)
		}
		var schema struct {
			Required []string `json:"required"`
		}
		b, _ := json.Marshal(tool.InputSchema)
		if tool.RawInputSchema != nil {
			b = tool.RawInputSchema
		}
		_ = json.Unmarshal(b, &schema)
		got := names(row[1])
		if strings.TrimSpace(row[1]) == "none" {
			got = nil
		}
		if !slices.Equal(got, schema.Required) {
			t.Errorf("%s: README required %v, schema requires %v", tool.Name, got, schema.Required)
		}
		for _, c := range d.Credentials {
			if !slices.Contains(names(row[2]), c.Env) {
				t.Errorf("%s: README credentials lack %s", tool.Name, c.Env)
			}
		}
		for _, s := range d.Settings {
			if !slices.Contains(names(row[3]), s.Env) {
				t.Errorf("%s: README settings lack %s", tool.Name, s.Env)
			}
			if s.Default != "" && strings.Contains(row[3], "`"+s.Env+"` (default") && !strings.Contains(row[3], "`"+s.Env+"` (default `"+s.Default+"`)") {
				t.Errorf("%s: README gives %s another default than %s", tool.Name, s.Env, s.Default)
			}
		}
		// The other way round: every variable the row names is one the
		// provider reads.
		known := map[string]bool{}
		for _, c := range d.Credentials {
			known[c.Env] = true
		}
		for _, s := range d.Settings {
			known[s.Env] = true
		}
		for _, cell := range row[2:4] {
			for _, n := range names(cell) {
				if envLike.MatchString(n) && !known[n] {
					t.Errorf("%s: README names %s, which the provider does not read", tool.Name, n)
				}
			}
		}
		for _, c := range d.Credentials {
			switch optional := strings.Contains(row[2], "optional `"+c.Env+"`"); {
			case optional && c.Required:
				t.Errorf("%s: README calls %s optional, but the provider requires it", tool.Name, c.Env)
			case !optional && !c.Required:
				t.Errorf("%s: README does not mark %s optional, but the provider does not require it", tool.Name, c.Env)
			}
		}
	}
	for name := range rows {
		t.Errorf("README lists %s, which the server does not register", name)
	}
}

// TestReadmeGuaranteeTests fails when the README's guarantees table names a
// test or test file that does not exist, or a test outside the package named
// before it (`e2e` `TestStdio` must be in e2e/).
func TestReadmeGuaranteeTests(t *testing.T) {
	text := readReadme(t)
	start := strings.Index(text, "\n## Reliability and security")
	if start < 0 {
		t.Fatal("README has no Reliability and security section")
	}
	end := strings.Index(text[start+1:], "\n## ")
	if end < 0 {
		end = len(text) - start - 1
	}
	// Every test function, by name, with the folders that define it.
	defined := map[string]map[string]bool{}
	testFunc := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)\w+)\(`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != "..") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel("..", filepath.Dir(path))
		for _, m := range testFunc.FindAllStringSubmatch(string(b), -1) {
			if defined[m[1]] == nil {
				defined[m[1]] = map[string]bool{}
			}
			defined[m[1]][filepath.ToSlash(dir)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	testName := regexp.MustCompile(`^(Test|Fuzz|Benchmark)\w+$`)
	named := 0
	for _, line := range strings.Split(text[start:start+1+end], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "Guarantee" {
			continue
		}
		row := strings.TrimSpace(cells[1])
		pkg := "" // the package named last in this cell; "" = anywhere
		for _, m := range backticked.FindAllStringSubmatch(cells[len(cells)-2], -1) {
			tok := m[1]
			switch {
			case strings.HasSuffix(tok, "_test.go"):
				if _, err := os.Stat(filepath.Join("..", tok)); err != nil {
					t.Errorf("%q names %s, which does not exist", row, tok)
				}
				pkg = filepath.ToSlash(filepath.Dir(tok))
			case testName.MatchString(tok):
				named++
				dirs := defined[tok]
				if len(dirs) == 0 {
					t.Errorf("%q names %s, which no test file defines", row, tok)
				} else if pkg != "" && !dirs[pkg] {
					t.Errorf("%q names %s under `%s`, but it is defined in %v", row, tok, pkg, slices.Sorted(maps.Keys(dirs)))
				}
			default:
				if fi, err := os.Stat(filepath.Join("..", tok)); err == nil && fi.IsDir() {
					pkg = tok
				}
			}
		}
	}
	if named == 0 {
		t.Error("the guarantees table names no test: the parser no longer matches the README")
	}
}

// TestReadmeNamesEveryCredential: the README names every vendor key where a
// user looks for it: its header in the --header-credentials bullet (an
// operator of a shared server learns the header names only there) and, for a
// required key, its variable in the Claude Code line that sets every vendor's.
func TestReadmeNamesEveryCredential(t *testing.T) {
	readme := readReadme(t)
	_, bullet, ok := strings.Cut(readme, "**Per-request credentials.**")
	if !ok {
		t.Fatal("README has no **Per-request credentials.** bullet")
	}
	bullet, _, _ = strings.Cut(bullet, "\n- ")
	var claudeLine string
	for line := range strings.Lines(readme) {
		if strings.HasPrefix(line, "claude mcp add --env ") {
			claudeLine = line // the first: every vendor's keys
			break
		}
	}
	if claudeLine == "" {
		t.Fatal("README has no `claude mcp add --env` line")
	}
	descs, err := Describe()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range descs {
		for _, c := range d.Credentials {
			if !strings.Contains(bullet, "`"+c.Header+"`") {
				t.Errorf("%s: the README's Per-request credentials bullet lacks `%s`", d.Slug, c.Header)
			}
			if c.Required && !strings.Contains(claudeLine, "--env "+c.Env+`="$`+c.Env+`"`) {
				t.Errorf("%s: the README's claude mcp add line lacks --env %s=\"$%s\"", d.Slug, c.Env, c.Env)
			}
		}
	}
}

// TestReadmeVendorRequests fails when a row of the README's "What each vendor
// receives" table no longer describes the request a dry run shows with the
// default settings: its method and URL, and every header that says something
// about the vendor (a key, an action, a setting), not the ones every request
// or every signature carries. Optional settings with no default that are not
// endpoints are set, so the headers they add are shown too.
func TestReadmeVendorRequests(t *testing.T) {
	_, table, ok := strings.Cut(readReadme(t), "What each vendor receives:\n\n")
	if !ok {
		t.Fatal(`README has no "What each vendor receives:" table`)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := map[string]string{}
	for line := range strings.Lines(table) {
		cells := strings.SplitN(line, "|", 4)
		if len(cells) == 4 && !strings.Contains(cells[1], "---") && strings.TrimSpace(cells[1]) != "Tool" {
			rows[strings.TrimSpace(cells[1])] = cells[2]
		}
	}
	vars, err := EnvVars()
	if err != nil {
		t.Fatal(err)
	}
	env, defaults := map[string]string{}, map[string]string{}
	for _, v := range vars {
		switch {
		case v.Secret:
			env[v.Name] = failureKey
		case v.Default != "":
			defaults[v.Name] = v.Default
		case !strings.HasSuffix(v.Name, "_URL") && !strings.HasSuffix(v.Name, "_ENDPOINT"):
			env[v.Name] = "readme-probe"
		}
	}
	// Headers every request carries, and those of a signature's mechanics.
	routine := map[string]bool{"Accept": true, "Content-Type": true, "User-Agent": true, "Content-Length": true,
		"X-Acs-Content-Sha256": true, "X-Acs-Date": true, "X-Acs-Signature-Nonce": true}
	expand := regexp.MustCompile(`\{([A-Z0-9_]+):-([^}]*)\}`)
	for _, slug := range Slugs() {
		row, ok := rows[slug]
		if !ok {
			t.Errorf("README's What each vendor receives table has no row for %s", slug)
			continue
		}
		delete(rows, slug)
		v, ok := vendorCases[slug]
		if !ok {
			continue // reported by TestEverySlugHasAFailureCase
		}
		e := providers.MapEnv(env)
		ts, err := BuildTools([]string{slug}, e, tools.Deps{Client: providers.NewClient("agentmcp/test"), Env: e, Timeout: 10 * time.Second, Logger: zerolog.Nop()})
		if err != nil || len(ts) != 1 {
			t.Fatalf("%s: BuildTools: %d tools, %v", slug, len(ts), err)
		}
		var req mcp.CallToolRequest
		req.Params.Name = tools.Prefix + slug
		req.Params.RawArguments = json.RawMessage(`{"dry_run":true,` + v.args[1:])
		res, err := ts[0].Handler(context.Background(), req)
		if err != nil || res.IsError {
			t.Fatalf("%s: dry run: %v %+v", slug, err, res)
		}
		var dry struct {
			Request struct {
				Method, URL string
				Headers     map[string]string
			}
		}
		sc, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(sc, &dry); err != nil {
			t.Fatal(err)
		}
		got := dry.Request
		// The first code span is "METHOD {VAR:-default}/path", where a
		// <placeholder> stands for what the call fills in.
		spans := backticked.FindAllStringSubmatch(row, -1)
		if len(spans) == 0 || !strings.HasPrefix(spans[0][1], got.Method+" ") {
			t.Errorf("%s: the row does not open with `%s {base}/path`: %s", slug, got.Method, row)
			continue
		}
		url := expand.ReplaceAllStringFunc(strings.TrimPrefix(spans[0][1], got.Method+" "), func(s string) string {
			return expand.FindStringSubmatch(s)[2]
		})
		url = strings.ReplaceAll(url, "<region>", defaults["ALIBABA_CLOUD_REGION_ID"])
		if before, _, cut := strings.Cut(url, "<"); cut {
			if !strings.HasPrefix(got.URL, before) {
				t.Errorf("%s: README says %s, a dry run sends to %s", slug, spans[0][1], got.URL)
			}
		} else if got.URL != url {
			t.Errorf("%s: README says %s, a dry run sends to %s", slug, spans[0][1], got.URL)
		}
		lower := strings.ToLower(row)
		for name, value := range got.Headers {
			if routine[name] {
				continue
			}
			want := "`" + name // a header the row names
			switch scheme, _, _ := strings.Cut(value, " "); {
			case name == "Authorization" && value == "[REDACTED]":
				want = "`Authorization: <key>`"
			case name == "Authorization" && value == scheme+" [REDACTED]":
				want = "`Authorization: " + scheme + " <key>`"
			case name == "Authorization":
				want = "`" + scheme + "`" // a signature, named by its algorithm
			case value == "[REDACTED]":
				want = "`" + name + ": <key>`"
			}
			if !strings.Contains(lower, strings.ToLower(want)) {
				t.Errorf("%s: the row does not show %s (a dry run sends %s: %s)", slug, strings.Trim(want, "`"), name, value)
			}
		}
	}
	for slug := range rows {
		t.Errorf("README's What each vendor receives table lists %s, which is no provider", slug)
	}
}

// TestReadmeVendorCount: the README's opening sentence counts the vendors the
// server serves.
func TestReadmeVendorCount(t *testing.T) {
	words := []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}
	n := len(Slugs())
	want := strconv.Itoa(n)
	if n < len(words) {
		want = words[n]
	}
	opening, _, _ := strings.Cut(readReadme(t), "\n\n```")
	if !regexp.MustCompile(`create AI agents on\s+` + want + `\s+vendor platforms`).MatchString(opening) {
		t.Errorf("README's opening sentence should say the server creates AI agents on %s vendor platforms", want)
	}
}
