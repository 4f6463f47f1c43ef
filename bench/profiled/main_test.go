package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// helpDefaults reads flag names and their defaults ("" when none is shown,
// the flag's zero value) from a flag set's PrintDefaults output.
func helpDefaults(help string) map[string]string {
	out := map[string]string{}
	name := ""
	for _, line := range regexp.MustCompile(`\r?\n`).Split(help, -1) {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			name = m[1]
			out[name] = ""
			continue
		}
		if m := defaultText.FindStringSubmatch(line); m != nil && name != "" {
			out[name] = m[1]
		}
	}
	return out
}

var (
	flagLine    = regexp.MustCompile(`^  -([\w-]+)`)
	defaultText = regexp.MustCompile(`\(default (.*)\)$`)
)

// TestDefaultsAsAgentmcp holds profiled's settings to the agentmcp command's
// defaults: a flag both have starts at the same value, and every other flag
// of the command has its zero value for default (profiled leaves the setting
// at zero), so that the profile is of the server as a user runs it.
func TestDefaultsAsAgentmcp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "agentmcp")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/agentmcp/agentmcp").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--help")
	cmd.Env = []string{} // no AGENTMCP_* of the caller's
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("agentmcp --help: %v\n%s", err, stderr.String())
	}
	real := helpDefaults(stderr.String())
	if len(real) < 10 || real["dedupe-window"] == "" {
		t.Fatalf("could not read agentmcp's flags from its --help:\n%s", stderr.String())
	}

	fs, _, _, _ := flags()
	var help bytes.Buffer
	fs.SetOutput(&help)
	fs.PrintDefaults()
	mine := helpDefaults(help.String())
	for name, want := range real {
		got, ok := mine[name]
		switch {
		case ok && got != want:
			t.Errorf("--%s: default %s, agentmcp's is %s", name, orNone(got), orNone(want))
		case !ok && want != "":
			t.Errorf("--%s: agentmcp's default is %s, and profiled has no such flag (its setting stays at zero)", name, want)
		}
	}
	for name := range mine {
		if _, ok := real[name]; !ok && name != "cpuprofile" {
			t.Errorf("--%s: agentmcp has no such flag", name)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none (zero)"
	}
	return s
}
