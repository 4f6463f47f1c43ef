package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/app"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEveryFlagHasAnEnvTwin(t *testing.T) {
	env := map[string]string{
		"AGENTMCP_TRANSPORT":            "http",
		"AGENTMCP_ADDR":                 "127.0.0.1:9999",
		"AGENTMCP_HTTP_TOKEN":           "tok-from-env",
		"AGENTMCP_ALLOWED_ORIGINS":      "https://a.example, https://b.example",
		"AGENTMCP_PROVIDERS":            "datagrid,everruns",
		"AGENTMCP_DRY_RUN":              "true",
		"AGENTMCP_TIMEOUT":              "15s",
		"AGENTMCP_LOG_LEVEL":            "debug",
		"AGENTMCP_LOG_FILE":             "/tmp/x.log",
		"AGENTMCP_JOURNAL":              "off",
		"AGENTMCP_HEADER_CREDENTIALS":   "true",
		"AGENTMCP_STATELESS":            "true",
		"AGENTMCP_MAX_BODY_BYTES":       "1024",
		"AGENTMCP_SHUTDOWN_TIMEOUT":     "3s",
		"AGENTMCP_SESSION_IDLE_TIMEOUT": "2h",
	}
	cfg, _, err := parseConfig(nil, lookup(env), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Transport != "http" || cfg.Addr != "127.0.0.1:9999" || cfg.HTTPToken.Reveal() != "tok-from-env" ||
		!reflect.DeepEqual(cfg.AllowedOrigins, []string{"https://a.example", "https://b.example"}) ||
		!reflect.DeepEqual(cfg.Providers, []string{"datagrid", "everruns"}) || !cfg.DryRun || cfg.Timeout != 15*time.Second ||
		cfg.LogLevel != "debug" || cfg.LogFile != "/tmp/x.log" || cfg.Journal != "off" || !cfg.HeaderCredentials ||
		!cfg.Stateless || cfg.MaxBodyBytes != 1024 || cfg.ShutdownTimeout != 3*time.Second || cfg.SessionIdleTimeout != 2*time.Hour {
		t.Errorf("config from env = %+v", cfg)
	}
}

func TestFlagsWinOverEnv(t *testing.T) {
	cfg, _, err := parseConfig([]string{"--timeout", "5s"}, lookup(map[string]string{"AGENTMCP_TIMEOUT": "15s"}), &bytes.Buffer{})
	if err != nil || cfg.Timeout != 5*time.Second {
		t.Errorf("timeout = %v, %v", cfg.Timeout, err)
	}
}

func TestDefaults(t *testing.T) {
	cfg, _, err := parseConfig(nil, lookup(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Transport != "stdio" || cfg.Addr != "127.0.0.1:8080" || cfg.Timeout != 60*time.Second || len(cfg.Providers) != len(app.Slugs()) {
		t.Errorf("defaults = %+v", cfg)
	}
}

func TestHTTPTokenFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("tok-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := parseConfig(nil, lookup(map[string]string{"AGENTMCP_HTTP_TOKEN_FILE": file}), &bytes.Buffer{})
	if err != nil || cfg.HTTPToken.Reveal() != "tok-from-file" {
		t.Errorf("token = %v, %v", cfg.HTTPToken, err)
	}
	// An empty file: refused, since serving on loopback without a token would
	// go unnoticed.
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseConfig(nil, lookup(map[string]string{"AGENTMCP_HTTP_TOKEN_FILE": empty}), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty token file: err = %v", err)
	}
	// Spaces around a token from the flag or env are dropped, as from the
	// file (a client's header never carries them); a blank token is refused.
	cfg, _, err = parseConfig(nil, lookup(map[string]string{"AGENTMCP_HTTP_TOKEN": " tok-env\n"}), &bytes.Buffer{})
	if err != nil || cfg.HTTPToken.Reveal() != "tok-env" {
		t.Errorf("padded token: err = %v, token trimmed: %v", err, cfg.HTTPToken.Reveal() == "tok-env")
	}
	for _, args := range [][]string{{"--http-token", "  "}, {"--http-token", ""}, {"--http-token="}} {
		// An empty flag must not hide its twin's token and serve without one.
		env := lookup(map[string]string{"AGENTMCP_HTTP_TOKEN": "tok-env"})
		if _, _, err := parseConfig(args, env, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "blank") {
			t.Errorf("%q: err = %v, want a blank token refused", args, err)
		}
	}
	// Two sources of the token: refused rather than one silently ignored.
	for _, args := range [][]string{{"--http-token", "tok-flag"}, nil} {
		env := map[string]string{"AGENTMCP_HTTP_TOKEN_FILE": file}
		if args == nil {
			env["AGENTMCP_HTTP_TOKEN"] = "tok-env"
		}
		if _, _, err := parseConfig(args, lookup(env), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "set twice") {
			t.Errorf("args %q: err = %v, want the token set twice refused", args, err)
		}
	}
}

// A token file saved by a Windows editor carries a byte-order mark that no
// client sends; a token of two lines matches no header. Read as it was
// saved, either refused every call with nothing to say why.
func TestHTTPTokenFileAsWindowsEditorsSaveIt(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"UTF-8 with BOM (Notepad)":          []byte("\xEF\xBB\xBFtok-from-file\r\n"),
		"UTF-16 LE with BOM (PowerShell 5)": {0xFF, 0xFE, 't', 0, 'o', 0, 'k', 0, '\r', 0, '\n', 0},
	} {
		file := filepath.Join(dir, "token")
		if err := os.WriteFile(file, content, 0o600); err != nil {
			t.Fatal(err)
		}
		want := "tok-from-file"
		if content[0] == 0xFF {
			want = "tok"
		}
		cfg, _, err := parseConfig(nil, lookup(map[string]string{"AGENTMCP_HTTP_TOKEN_FILE": file}), &bytes.Buffer{})
		if err != nil || cfg.HTTPToken.Reveal() != want {
			t.Errorf("%s: token read right: %v, err = %v", name, cfg.HTTPToken.Reveal() == want, err)
		}
	}
	twoLines := filepath.Join(dir, "two")
	if err := os.WriteFile(twoLines, []byte("tok-1\ntok-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]map[string]string{
		"file": {"AGENTMCP_HTTP_TOKEN_FILE": twoLines},
		"env":  {"AGENTMCP_HTTP_TOKEN": "tok-1\ttok-2"},
	} {
		_, _, err := parseConfig(nil, lookup(env), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "control character") || strings.Contains(err.Error(), "tok-") {
			t.Errorf("%s: a token of two lines: err = %v, want it refused without showing it", name, err)
		}
	}
}

func TestBadInputIsAStartupError(t *testing.T) {
	cases := map[string][]string{
		"unknown provider":            {"--providers", "datagrid,openai"},
		"no provider":                 {"--providers", " , "},
		"empty provider list":         {"--providers", ""},
		"non-loopback without token":  {"--transport", "http", "--addr", "0.0.0.0:8080"},
		"bad timeout":                 {"--timeout", "soon"},
		"positional argument":         {"serve"},
		"header credentials on stdio": {"--header-credentials"},
		"unknown transport":           {"--transport", "sse"},
		"unknown log level":           {"--log-level", "loud"},
	}
	for name, args := range cases {
		var stderr bytes.Buffer
		code := run(context.Background(), args, lookup(nil), strings.NewReader(""), &bytes.Buffer{}, &stderr)
		if code != 2 || stderr.Len() == 0 {
			t.Errorf("%s: exit %d, want 2 (a bad setting), stderr %q", name, code, stderr.String())
		}
	}
}

// TestVersionHasNoEnvTwin: AGENTMCP_VERSION, a name deployments use for other
// things, neither stops the server nor turns it into a version print.
func TestVersionHasNoEnvTwin(t *testing.T) {
	for _, v := range []string{"true", "1.2.3"} {
		_, showVersion, err := parseConfig(nil, lookup(map[string]string{"AGENTMCP_VERSION": v}), &bytes.Buffer{})
		if err != nil || showVersion {
			t.Errorf("AGENTMCP_VERSION=%s: showVersion %v, err %v", v, showVersion, err)
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, lookup(nil), nil, &stdout, &bytes.Buffer{}); code != 0 {
		t.Fatal(code)
	}
	if !strings.HasPrefix(stdout.String(), "agentmcp ") {
		t.Errorf("--version printed %q", stdout.String())
	}
}

// Checking an install with --version must not fail on settings meant for
// serving.
func TestVersionIgnoresServingSettings(t *testing.T) {
	env := map[string]string{"AGENTMCP_DRY_RUN": "yes", "AGENTMCP_HTTP_TOKEN_FILE": "/nonexistent/token"}
	for _, args := range [][]string{{"--version"}, {"--version", "--transport", "sse"}, {"--version", "--header-credentials"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, lookup(env), nil, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "agentmcp ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
}

// An empty twin (a placeholder left in a client's env block) is unset.
func TestEmptyEnvTwinIsUnset(t *testing.T) {
	env := map[string]string{"AGENTMCP_TIMEOUT": "", "AGENTMCP_TRANSPORT": "", "AGENTMCP_PROVIDERS": "", "AGENTMCP_DRY_RUN": ""}
	cfg, _, err := parseConfig(nil, lookup(env), &bytes.Buffer{})
	if err != nil || cfg.Timeout != 60*time.Second || cfg.Transport != "stdio" || len(cfg.Providers) != len(app.Slugs()) || cfg.DryRun || len(cfg.FromEnv) != 0 {
		t.Errorf("err %v, cfg %+v", err, cfg)
	}
}

// A twin is read trimmed, as the vendor variables are, and one of blanks
// only is unset.
func TestEnvTwinIsTrimmed(t *testing.T) {
	env := map[string]string{"AGENTMCP_TIMEOUT": " 30s", "AGENTMCP_TRANSPORT": "http ", "AGENTMCP_DRY_RUN": "true\n", "AGENTMCP_LOG_FILE": "  "}
	cfg, _, err := parseConfig(nil, lookup(env), &bytes.Buffer{})
	if err != nil || cfg.Timeout != 30*time.Second || cfg.Transport != "http" || !cfg.DryRun || cfg.LogFile != "" {
		t.Errorf("err %v, cfg %+v", err, cfg)
	}
}

// --help is where the binary itself tells of the twins.
func TestHelpNamesTheEnvTwins(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, lookup(nil), nil, &bytes.Buffer{}, &stderr); code != 0 || !strings.Contains(stderr.String(), "AGENTMCP_<FLAG>") {
		t.Errorf("exit %d, help %q", code, stderr.String())
	}
}

// A setting from the environment that the server refuses is named as the
// user wrote it, beside the flag the message speaks of.
func TestErrorsNameTheEnvironmentVariable(t *testing.T) {
	for _, tt := range []struct{ env, value, want string }{
		{"AGENTMCP_TRANSPORT", "bogus", "--transport came from AGENTMCP_TRANSPORT"},
		{"AGENTMCP_PROVIDERS", "bogus", "--providers came from AGENTMCP_PROVIDERS"},
		{"AGENTMCP_PROVIDERS", " , ", "--providers came from AGENTMCP_PROVIDERS"}, // refused while parsing
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), nil, lookup(map[string]string{tt.env: tt.value, "AGENTMCP_JOURNAL": "off"}), strings.NewReader(""), &bytes.Buffer{}, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%s=%q: exit %d, stderr %q; want %q", tt.env, tt.value, code, stderr.String(), tt.want)
		}
	}
	var stderr bytes.Buffer
	run(context.Background(), []string{"--transport", "bogus"}, lookup(nil), strings.NewReader(""), &bytes.Buffer{}, &stderr)
	if strings.Contains(stderr.String(), "came from") {
		t.Errorf("a flag from the command line is not from the environment: %q", stderr.String())
	}
}

// Over stdio, stdout carries the protocol: a log file that is stdout is refused.
func TestLogFileThatIsStdoutIsRefused(t *testing.T) {
	out := filepath.Join(t.TempDir(), "stdout")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--log-file", out, "--journal", "off"}, lookup(nil), strings.NewReader(""), f, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "carries the stdio protocol") {
		t.Errorf("exit %d, want 1; stderr %q", code, stderr.String())
	}
	if b, _ := os.ReadFile(out); len(b) != 0 {
		t.Errorf("stdout got %q", b)
	}
}

// TestReadmeFlagTable fails when the README's configuration table and the
// flags differ: a flag missing from either, a wrong environment twin, or a
// default that --help states otherwise.
func TestReadmeFlagTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "\n## Configuration")
	if start < 0 {
		t.Fatal("README has no Configuration section")
	}
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	type row struct{ env, def, usage string }
	rows := map[string]row{}
	backticked := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`--") {
			continue
		}
		name := strings.TrimPrefix(strings.Trim(strings.TrimSpace(cells[1]), "`"), "--")
		env := ""
		if m := backticked.FindStringSubmatch(cells[2]); m != nil {
			env = m[1]
		}
		rows[name] = row{env: env, def: strings.Trim(strings.TrimSpace(cells[3]), "`"), usage: cells[4]}
	}

	// The flags and their defaults, as --help prints them.
	var help bytes.Buffer
	if _, _, err := parseConfig([]string{"-help"}, lookup(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-help: %v", err)
	}
	flagLine := regexp.MustCompile(`^  -([a-z-]+)(?: (\w+))?$`)
	defaultOf := regexp.MustCompile(`\(default (?:"([^"]*)"|([^\s,()]+))\)$`)
	flags := map[string]string{} // name -> default ("" when --help states none)
	kinds := map[string]string{}
	name := ""
	for _, line := range strings.Split(help.String(), "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			name = m[1]
			flags[name], kinds[name] = "", m[2]
			continue
		}
		if m := defaultOf.FindStringSubmatch(line); m != nil && name != "" {
			flags[name] = m[1] + m[2]
		}
	}
	if len(flags) == 0 {
		t.Fatal("no flag found in the -help output")
	}
	for name, def := range flags {
		r, ok := rows[name]
		if !ok {
			t.Errorf("README configuration table lacks --%s", name)
			continue
		}
		delete(rows, name)
		wantEnv := envName(name)
		if name == "version" {
			wantEnv = ""
		}
		if r.env != wantEnv {
			t.Errorf("--%s: README env %q, want %q", name, r.env, wantEnv)
		}
		switch {
		case kinds[name] == "" && name != "version" && r.def != "false": // a bool flag
			t.Errorf("--%s: README default %q, want false", name, r.def)
		case def == "" || r.def == def:
		case name == "providers" && r.def == "all" && def == strings.Join(app.Slugs(), ","):
			if want := "`" + def + "`"; !strings.Contains(r.usage, want) {
				t.Errorf("--providers: README's row for it (Configuration) lists the slugs as other than %s, the catalog's order", want)
			}
		default:
			want, err1 := time.ParseDuration(def)
			got, err2 := time.ParseDuration(r.def)
			if err1 != nil || err2 != nil || got != want {
				t.Errorf("--%s: README default %q, --help says %q", name, r.def, def)
			}
		}
	}
	for name := range rows {
		t.Errorf("README configuration table lists --%s, which is no flag", name)
	}
}

// A value a flag cannot take says what it takes: "120" from a client's env
// block is not a duration, and "parse error" alone does not say so.
func TestBadValueSaysWhatToWrite(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--timeout", "120"}, nil, "a duration with its unit"},
		{nil, map[string]string{"AGENTMCP_TIMEOUT": "120"}, "a duration with its unit"},
		{nil, map[string]string{"AGENTMCP_SHUTDOWN_TIMEOUT": "5"}, "a duration with its unit"},
		{nil, map[string]string{"AGENTMCP_DRY_RUN": "yes"}, "true or false"},
		{[]string{"--max-body-bytes", "4MB"}, nil, "a whole number"},
		{[]string{"--dry-run=yes"}, nil, "true or false"},
		{[]string{"--no-such-flag"}, nil, "see --help"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), tt.args, lookup(tt.env), strings.NewReader(""), &bytes.Buffer{}, &stderr)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if last := lines[len(lines)-1]; code == 0 || !strings.Contains(last, tt.want) {
			t.Errorf("%v %v: exit %d, last line %q; want it to say %q", tt.args, tt.env, code, last, tt.want)
		}
		// A desktop app's log shows the mistake, not the usage text around it.
		if len(lines) != 1 {
			t.Errorf("%v %v: %d lines on stderr, want the one that says what is wrong:\n%s", tt.args, tt.env, len(lines), stderr.String())
		}
	}
}

// A whole number too large for a flag is refused as out of range, not as
// something other than a whole number.
func TestOutOfRangeValueIsNotCalledMalformed(t *testing.T) {
	const huge = "99999999999999999999"
	for _, tt := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--max-body-bytes", huge}, nil},
		{nil, map[string]string{"AGENTMCP_MAX_BODY_BYTES": huge}},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), tt.args, lookup(tt.env), strings.NewReader(""), &bytes.Buffer{}, &stderr)
		if msg := stderr.String(); code == 0 || !strings.Contains(msg, "out of range") || strings.Contains(msg, "want a whole number") {
			t.Errorf("%v %v: exit %d, %q; want it to say the value is out of range", tt.args, tt.env, code, msg)
		}
	}
}

// --addr with an empty host listens on every interface: like 0.0.0.0, it
// needs a token.
func TestEmptyHostNeedsAToken(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a server that wrongly starts stops at once
	for _, addr := range []string{":0", "[::]:0"} {
		var stderr bytes.Buffer
		code := run(ctx, []string{"--transport", "http", "--addr", addr, "--journal", "off"}, lookup(nil), strings.NewReader(""), &bytes.Buffer{}, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "not a loopback address") {
			t.Errorf("--addr %s without a token: exit %d, stderr %q; want 2, refused", addr, code, stderr.String())
		}
	}
}

// README: a flag or AGENTMCP_* value that is not valid exits 2, anything
// else that stops the start (a file that cannot be used, a vendor setting)
// exits 1.
func TestStartupErrorExitCodes(t *testing.T) {
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	empty := filepath.Join(dir, "empty")
	for _, f := range []string{notADir, empty} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{"malformed duration in the environment", nil, map[string]string{"AGENTMCP_TIMEOUT": "soon"}, 2},
		{"malformed address", []string{"--transport", "http", "--addr", "8080"}, nil, 2},
		{"port out of range", []string{"--transport", "http", "--addr", "127.0.0.1:99999"}, nil, 2},
		{"port that is no number or service", nil, map[string]string{"AGENTMCP_TRANSPORT": "http", "AGENTMCP_ADDR": "127.0.0.1:abc"}, 2},
		{"token file that cannot be read", nil, map[string]string{"AGENTMCP_HTTP_TOKEN_FILE": filepath.Join(dir, "missing")}, 2},
		{"empty token file", nil, map[string]string{"AGENTMCP_HTTP_TOKEN_FILE": empty}, 2},
		{"journal that cannot be opened", []string{"--journal", filepath.Join(notADir, "journal.jsonl")}, nil, 1},
		{"log file that cannot be opened", []string{"--log-file", filepath.Join(notADir, "agentmcp.log")}, nil, 1},
		{"vendor base URL without a scheme", nil, map[string]string{"DATAGRID_BASE_URL": "api.example.com"}, 1},
		{"key file that cannot be read", nil, map[string]string{"DATAGRID_API_KEY_FILE": filepath.Join(dir, "missing")}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"AGENTMCP_JOURNAL": "off", "AGENTMCP_PROVIDERS": "datagrid"}
			for k, v := range c.env {
				env[k] = v
			}
			var stderr bytes.Buffer
			// stdin at its end: a server that wrongly starts stops at once.
			code := run(context.Background(), c.args, lookup(env), strings.NewReader(""), &bytes.Buffer{}, &stderr)
			if code != c.want || !strings.HasPrefix(stderr.String(), "agentmcp: ") {
				t.Errorf("exit %d, want %d; stderr %q", code, c.want, stderr.String())
			}
		})
	}
}

// HTTP-only settings given to a stdio server are named as ignored, as the
// user wrote them: a token or stateless mode set must not be taken for one
// in force.
func TestHTTPOnlySettingsOverStdioAreNamed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("tok-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"none", nil, nil, nil},
		{"stdio settings only", []string{"--timeout", "5s", "--dry-run"}, map[string]string{"AGENTMCP_DEDUPE_WINDOW": "1m"}, nil},
		{"flags", []string{"--stateless", "--addr", "127.0.0.1:9"}, nil, []string{"--addr", "--stateless"}},
		{"env", nil, map[string]string{"AGENTMCP_SESSION_IDLE_TIMEOUT": "1m", "AGENTMCP_ALLOWED_ORIGINS": "https://a.example", "AGENTMCP_MAX_BODY_BYTES": "10"},
			[]string{"AGENTMCP_ALLOWED_ORIGINS", "AGENTMCP_MAX_BODY_BYTES", "AGENTMCP_SESSION_IDLE_TIMEOUT"}},
		{"token file", nil, map[string]string{"AGENTMCP_HTTP_TOKEN_FILE": file}, []string{"AGENTMCP_HTTP_TOKEN_FILE"}},
		{"token flag", []string{"--http-token", "tok-flag"}, nil, []string{"--http-token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--journal", "off"}, c.args...)
			if code := run(context.Background(), args, lookup(c.env), strings.NewReader(""), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d; stderr %q", code, stderr.String())
			}
			var warned []string
			for _, line := range strings.Split(stderr.String(), "\n") {
				if strings.Contains(line, "ignored over stdio") {
					var entry struct{ Settings []string }
					if err := json.Unmarshal([]byte(line), &entry); err != nil {
						t.Fatalf("log line %q: %v", line, err)
					}
					warned = append(warned, entry.Settings...)
				}
			}
			if !reflect.DeepEqual(warned, c.want) {
				t.Errorf("warned of %q, want %q", warned, c.want)
			}
			if strings.Contains(stderr.String(), "tok-f") {
				t.Error("the token's value reached the log")
			}
		})
	}
}
