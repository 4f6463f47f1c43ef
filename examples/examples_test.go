package examples_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// stdioServer is one server entry of Claude Desktop, Cursor and VS Code configs.
type stdioServer struct {
	Type    string            `json:"type,omitempty"` // VS Code only: "stdio"
	Command string            `json:"command"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

// mcpServersFile is the format of Claude Desktop and Cursor.
type mcpServersFile struct {
	MCPServers map[string]stdioServer `json:"mcpServers"`
}

// vscodeInput is a VS Code input variable, referenced as ${input:<id>}.
type vscodeInput struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Description string `json:"description"`
	Password    bool   `json:"password"`
}

// vscodeFile is the format of .vscode/mcp.json.
type vscodeFile struct {
	Inputs  []vscodeInput          `json:"inputs"`
	Servers map[string]stdioServer `json:"servers"`
}

// serverName is the key of agentmcp's entry in every config.
const serverName = "agentmcp"

// stdioArgs are the arguments every config starts the server with.
var stdioArgs = []string{"--transport", "stdio"}

// clientConfig is one example config and how it passes credentials.
type clientConfig struct {
	path string
	// credValue is the value a credential gets in this client's env block: a
	// reference the client resolves, or "" for the user to fill in. Never a
	// secret.
	credValue func(env string) string
	vscode    bool
}

var clientConfigs = []clientConfig{
	// Claude Desktop resolves no variables: the user pastes the keys of the
	// vendors they use (an empty value counts as unset).
	{path: "claude_desktop_config.json", credValue: func(string) string { return "" }},
	// Cursor resolves ${env:NAME} from its own environment.
	{path: "cursor/mcp.json", credValue: func(env string) string { return "${env:" + env + "}" }},
	// VS Code prompts for each input once and stores it in its secret storage.
	{path: "vscode/.vscode/mcp.json", credValue: func(env string) string { return "${input:" + inputID(env) + "}" }, vscode: true},
}

func inputID(env string) string { return strings.ToLower(env) }

var inputRef = regexp.MustCompile(`\$\{input:([^}]+)\}`)

// loadServer reads a config and returns agentmcp's entry and, for VS Code, the inputs.
func loadServer(t *testing.T, c clientConfig) (stdioServer, []vscodeInput) {
	t.Helper()
	var servers map[string]stdioServer
	var inputs []vscodeInput
	if c.vscode {
		var f vscodeFile
		readJSON(t, c.path, &f)
		servers, inputs = f.Servers, f.Inputs
	} else {
		var f mcpServersFile
		readJSON(t, c.path, &f)
		servers = f.MCPServers
	}
	if len(servers) != 1 {
		t.Fatalf("%s: want exactly one server, %q; got %v", c.path, serverName, sortedKeys(servers))
	}
	s, ok := servers[serverName]
	if !ok {
		t.Fatalf("%s: no server named %q; got %v", c.path, serverName, sortedKeys(servers))
	}
	return s, inputs
}

func TestClientConfigs(t *testing.T) {
	if *update {
		for _, c := range clientConfigs {
			regenerateConfig(t, c)
		}
	}
	// The twin naming rule this test relies on is the server's: a bad value
	// in AGENTMCP_TIMEOUT must be refused, by that name.
	t.Run("env twins", func(t *testing.T) {
		if !serverFlags(t)["timeout"] {
			t.Skip("no --timeout flag to try the AGENTMCP_<FLAG> rule on")
		}
		name := twinOf("timeout")
		// Not --version, which reads no settings; stdin is empty, so a
		// server that ignored the twin would start and end at once, exit 0.
		code, stdout, stderr := runServer(t, map[string]string{name: "not-a-duration"}, "--journal", "off")
		if code == 0 || !strings.Contains(stdout+stderr, name) {
			t.Errorf("%s=not-a-duration: exit %d, output %q; want a refusal naming %s", name, code, stdout+stderr, name)
		}
	})
	for _, c := range clientConfigs {
		t.Run(c.path, func(t *testing.T) { checkConfig(t, c) })
	}
}

func checkConfig(t *testing.T, c clientConfig) {
	s, inputs := loadServer(t, c)
	if s.Command != "agentmcp" {
		t.Errorf("command %q: want agentmcp (the binary on PATH)", s.Command)
	}
	if c.vscode && s.Type != "stdio" {
		t.Errorf("VS Code server type %q: want stdio", s.Type)
	}
	if !c.vscode && s.Type != "" {
		t.Errorf("type %q: this client has no type field for stdio servers", s.Type)
	}

	// Every argument is a real flag, and the server accepts the whole line.
	flags := serverFlags(t)
	for _, a := range s.Args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !flags[name] {
			t.Errorf("argument %q: agentmcp has no flag --%s (flags: %v)", a, name, sortedKeys(flags))
		}
	}

	// Every variable is one the server reads, and credentials carry no secret.
	twins := map[string]string{}
	for name, val := range s.Env {
		switch classify(t, name) {
		case envUnknown:
			t.Errorf("env %s: the server reads no such variable (not an AGENTMCP_<FLAG> twin, not in app.EnvVars(), not <credential>_FILE)", name)
		case envFlagTwin:
			twins[name] = val
		case envCredential:
			if want := c.credValue(name); val != want {
				t.Errorf("env %s = %q: want %q (never a key in an example file)", name, val, want)
			}
		}
	}
	// The server starts as configured, then exits when stdin (empty) ends.
	args := append(append([]string{}, s.Args...), "--journal", "off")
	if code, stdout, stderr := runServer(t, twins, args...); code != 0 || stdout != "" || !strings.Contains(stderr, "agentmcp started") {
		t.Errorf("agentmcp %s with %v exited %d: %s%s", strings.Join(args, " "), twins, code, stdout, stderr)
	}

	// Every credential of every registered provider can be given.
	var missing []string
	for _, cs := range credentialSpecs(t) {
		if !cs.Required {
			continue
		}
		if _, ok := s.Env[cs.Env]; !ok {
			if _, ok := s.Env[cs.Env+"_FILE"]; !ok {
				missing = append(missing, cs.Env)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("no env entry for %s: run `go test ./examples -update` after registering a provider", strings.Join(missing, ", "))
	}

	if c.vscode {
		checkInputs(t, s, inputs)
	}
}

// checkInputs: every ${input:x} is declared, every input is used, and inputs
// that carry credentials are masked (password: true).
func checkInputs(t *testing.T, s stdioServer, inputs []vscodeInput) {
	declared := map[string]vscodeInput{}
	for _, in := range inputs {
		if _, dup := declared[in.ID]; dup {
			t.Errorf("input %q declared twice", in.ID)
		}
		declared[in.ID] = in
		if in.Type != "promptString" {
			t.Errorf("input %q: type %q, want promptString", in.ID, in.Type)
		}
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("input %q: no description (it is the prompt the user sees)", in.ID)
		}
	}
	used := map[string]bool{}
	refs := append(append([]string{}, s.Args...), s.Command)
	for name, val := range s.Env {
		refs = append(refs, val)
		for _, m := range inputRef.FindAllStringSubmatch(val, -1) {
			id := m[1]
			used[id] = true
			in, ok := declared[id]
			if !ok {
				t.Errorf("env %s uses ${input:%s}, which is not declared in inputs", name, id)
				continue
			}
			if k := classify(t, name); (k == envCredential || name == twinOf("http-token")) && !in.Password {
				t.Errorf("input %q holds the secret %s: set \"password\": true so VS Code masks it", id, name)
			}
		}
	}
	for _, r := range refs {
		for _, m := range inputRef.FindAllStringSubmatch(r, -1) {
			used[m[1]] = true
		}
	}
	for id := range declared {
		if !used[id] {
			t.Errorf("input %q is declared but never used", id)
		}
	}
}

// regenerateConfig writes c with an env entry for every required credential
// (and for optional ones already listed), keeping the other valid variables
// (flag twins, settings, _FILE forms) as they are.
func regenerateConfig(t *testing.T, c clientConfig) {
	t.Helper()
	_, provName := envVars(t)
	old := stdioServer{}
	var oldInputs []vscodeInput
	if _, err := os.Stat(c.path); err == nil {
		old, oldInputs = loadServer(t, c)
	}
	env := map[string]string{}
	for k, v := range old.Env {
		switch classify(t, k) {
		case envFlagTwin, envSetting, envCredFile:
			env[k] = v
		}
	}
	var inputs []vscodeInput
	for _, cs := range credentialSpecs(t) {
		if _, given := old.Env[cs.Env]; !cs.Required && !given {
			continue
		}
		if _, ok := env[cs.Env+"_FILE"]; ok {
			continue
		}
		env[cs.Env] = c.credValue(cs.Env)
		if c.vscode {
			inputs = append(inputs, vscodeInput{
				Type:        "promptString",
				ID:          inputID(cs.Env),
				Description: fmt.Sprintf("%s: %s (leave empty if you do not use %s)", providerOf(t, cs.Env, provName), cs.Env, providerOf(t, cs.Env, provName)),
				Password:    true,
			})
		}
	}
	// Inputs the kept variables still use stay declared.
	for _, in := range oldInputs {
		for _, v := range env {
			if strings.Contains(v, "${input:"+in.ID+"}") && !containsInput(inputs, in.ID) {
				inputs = append(inputs, in)
			}
		}
	}
	s := stdioServer{Command: "agentmcp", Args: stdioArgs, Env: env}
	if len(old.Args) > 0 {
		s.Args = old.Args
	}
	if c.vscode {
		s.Type = "stdio"
		writeJSON(t, c.path, vscodeFile{Inputs: inputs, Servers: map[string]stdioServer{serverName: s}})
		return
	}
	writeJSON(t, c.path, mcpServersFile{MCPServers: map[string]stdioServer{serverName: s}})
}

func containsInput(ins []vscodeInput, id string) bool {
	for _, in := range ins {
		if in.ID == id {
			return true
		}
	}
	return false
}

// providerOf names the provider that reads env.
func providerOf(t *testing.T, env string, names map[string]string) string {
	t.Helper()
	vars, _ := envVars(t)
	for _, v := range vars {
		if v.Name == env {
			return names[v.Provider]
		}
	}
	return env
}
