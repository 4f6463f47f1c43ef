package examples_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/providers"
)

var update = flag.Bool("update", false, "rewrite the generated parts of the example configs and server.json from app.EnvVars()")

// repoRoot is the module root: tests run in examples/.
const repoRoot = ".."

// envPrefix starts every flag's environment twin (--http-token is AGENTMCP_HTTP_TOKEN).
const envPrefix = "AGENTMCP_"

func twinOf(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func goTool(t *testing.T) string {
	t.Helper()
	// go test puts its own GOROOT/bin first on the test's PATH.
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	t.Fatal("go command not found (needed to build the server)")
	return ""
}

// buildServer builds the agentmcp binary and returns its path. A release
// build is static (CGO off) and path-free, as .goreleaser.yaml and the
// Dockerfile build it; otherwise the go command's defaults apply, which
// reuse the packages `go test` has just compiled.
func buildServer(t *testing.T, dir, ldflags string, release bool) string {
	t.Helper()
	bin, err := build(goTool(t), dir, ldflags, release)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func build(goCmd, dir, ldflags string, release bool) (string, error) {
	bin := filepath.Join(dir, "agentmcp")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	args := []string{"build", "-o", bin}
	if release {
		args = append(args, "-trimpath")
	}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	cmd := exec.Command(goCmd, append(args, ".")...)
	cmd.Dir = repoRoot
	cmd.Env = os.Environ()
	if release {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=0")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

var (
	serverOnce sync.Once
	serverBin  string
	serverDir  string
	serverErr  error
)

// server returns the path of a plain build of the server, built once per run.
func server(t *testing.T) string {
	t.Helper()
	goCmd := goTool(t)
	serverOnce.Do(func() {
		serverDir, serverErr = os.MkdirTemp("", "agentmcp-examples-")
		if serverErr == nil {
			serverBin, serverErr = build(goCmd, serverDir, "", false)
		}
	})
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return serverBin
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if serverDir != "" {
		_ = os.RemoveAll(serverDir)
	}
	os.Exit(code)
}

// runServer runs the built server with args and extra environment and returns
// its exit code, stdout and stderr. Vendor credentials from the caller's
// environment are not passed on.
func runServer(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(server(t), args...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run agentmcp %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return code, stdout.String(), stderr.String()
}

var helpFlag = regexp.MustCompile(`(?m)^\s+-([a-z0-9][a-z0-9-]*)\b`)

var (
	flagsOnce sync.Once
	flagSet   map[string]bool
	flagsErr  error
)

// serverFlags lists the flags the built server accepts, read from its --help.
func serverFlags(t *testing.T) map[string]bool {
	t.Helper()
	bin := server(t)
	flagsOnce.Do(func() {
		out, err := runBinary(bin, "--help")
		if err != nil {
			flagsErr = fmt.Errorf("agentmcp --help: %v\n%s", err, out)
			return
		}
		flagSet = map[string]bool{}
		for _, m := range helpFlag.FindAllStringSubmatch(out, -1) {
			flagSet[m[1]] = true
		}
	})
	if flagsErr != nil {
		t.Fatal(flagsErr)
	}
	// A change of the help format must fail here, not make every name unknown
	// (or, worse, every check pass vacuously).
	for _, must := range []string{"transport", "http-token", "version"} {
		if !flagSet[must] {
			t.Fatalf("could not read the flag list from agentmcp --help (no --%s found); got %v", must, sortedKeys(flagSet))
		}
	}
	return flagSet
}

// envVars returns what app.EnvVars reports, and the provider names by slug.
func envVars(t *testing.T) ([]app.EnvVar, map[string]string) {
	t.Helper()
	vars, err := app.EnvVars()
	if err != nil {
		t.Fatalf("app.EnvVars: %v", err)
	}
	descs, err := app.Describe()
	if err != nil {
		t.Fatalf("app.Describe: %v", err)
	}
	names := map[string]string{}
	for _, d := range descs {
		names[d.Slug] = d.Name
	}
	return vars, names
}

// credentialSpecs lists every provider credential, in catalog order.
func credentialSpecs(t *testing.T) []providers.CredentialSpec {
	t.Helper()
	descs, err := app.Describe()
	if err != nil {
		t.Fatalf("app.Describe: %v", err)
	}
	var out []providers.CredentialSpec
	for _, d := range descs {
		out = append(out, d.Credentials...)
	}
	return out
}

// envKind classifies an environment variable name the server reads.
type envKind int

const (
	envUnknown    envKind = iota
	envFlagTwin           // AGENTMCP_<FLAG>, or AGENTMCP_HTTP_TOKEN_FILE
	envSetting            // a provider setting
	envCredential         // a provider credential
	envCredFile           // <credential>_FILE
)

func classify(t *testing.T, name string) envKind {
	t.Helper()
	vars, _ := envVars(t)
	for _, v := range vars {
		switch {
		case v.Name == name && v.Secret:
			return envCredential
		case v.Name == name:
			return envSetting
		case v.Secret && v.Name+"_FILE" == name:
			return envCredFile
		}
	}
	if name == twinOf("http-token")+"_FILE" {
		return envFlagTwin
	}
	for f := range serverFlags(t) {
		if twinOf(f) == name {
			return envFlagTwin
		}
	}
	return envUnknown
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if dec.More() {
		t.Fatalf("%s: trailing data after the JSON value", path)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// runBinary runs bin with args in an empty environment and returns its combined output.
func runBinary(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
