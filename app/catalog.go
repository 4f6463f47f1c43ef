package app

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/providers/alibabadms"
	"github.com/agentmcp/agentmcp/providers/computeragents"
	"github.com/agentmcp/agentmcp/providers/datagol"
	"github.com/agentmcp/agentmcp/providers/datagrid"
	"github.com/agentmcp/agentmcp/providers/everruns"
	"github.com/agentmcp/agentmcp/tools"
)

// entry builds one provider's tool.
type entry struct {
	slug   string
	build  func(env providers.Env, deps tools.Deps) (*tools.Tool, error)
	schema func() (json.RawMessage, error) // reflected from the request struct
}

// catalog lists every provider, in the order of Slugs and of --providers'
// help (tools/list sorts by name). Adding a vendor is one line appended here
// (and its import) plus its package under providers/ (the README's
// Development section lists the other steps).
func catalog() []entry {
	return []entry{
		provider[alibabadms.Request]("alibaba_dms", alibabadms.New),
		provider[datagol.Request]("datagol", datagol.New),
		provider[datagrid.Request]("datagrid", datagrid.New),
		provider[everruns.Request]("everruns", everruns.New),
		provider[computeragents.Request]("computer_agents", computeragents.New),
	}
}

// ToolsListBudgetPerTool is what tools/list may cost every conversation, per
// provider served by default (Slugs): input and output schemas, descriptions
// and annotations included. A test holds the whole list to it, and the
// bench reports it.
const ToolsListBudgetPerTool = 4000

// provider makes the catalog entry of a provider package: its constructor
// reads settings from env, and the tool adapter does the rest.
func provider[T any, P providers.Provider[T]](slug string, newProvider func(providers.Env) (P, error)) entry {
	return entry{slug: slug, schema: tools.InputSchema[T], build: func(env providers.Env, d tools.Deps) (*tools.Tool, error) {
		p, err := newProvider(env)
		if err != nil {
			return nil, err
		}
		t, err := tools.New[T](p, d)
		if err != nil {
			return nil, err
		}
		if t.Slug != slug {
			return nil, fmt.Errorf("catalog: %s provider describes itself as %q", slug, t.Slug)
		}
		return t, nil
	}}
}

// Slugs lists every provider slug the server knows.
func Slugs() []string {
	var out []string
	for _, e := range catalog() {
		out = append(out, e.slug)
	}
	return out
}

// SelectProviders checks a --providers list; empty means all.
func SelectProviders(want []string) ([]string, error) {
	all := Slugs()
	if len(want) == 0 {
		return all, nil
	}
	var out, unknown []string
	for _, w := range want {
		w = strings.TrimSpace(w)
		switch {
		case w == "":
		case !slices.Contains(all, w):
			unknown = append(unknown, w)
		case !slices.Contains(out, w):
			out = append(out, w)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--providers: unknown %s; known: %s", strings.Join(unknown, ", "), strings.Join(all, ", "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--providers: empty; known: %s", strings.Join(all, ", "))
	}
	return out, nil
}

// BuildTools builds the tools of the selected providers.
func BuildTools(selected []string, env providers.Env, deps tools.Deps) ([]*tools.Tool, error) {
	var out []*tools.Tool
	for _, e := range catalog() {
		if !slices.Contains(selected, e.slug) {
			continue
		}
		t, err := e.build(env, deps)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// ReflectedSchemas maps every tool name to the input schema reflected from
// its provider's request struct, which is what schemas/<tool>.json must hold.
func ReflectedSchemas() (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for _, e := range catalog() {
		s, err := e.schema()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.slug, err)
		}
		out[tools.Prefix+e.slug] = s
	}
	return out, nil
}

// EnvVar is one environment variable a provider reads.
type EnvVar struct {
	Provider string
	Name     string
	Secret   bool
	Required bool
	Default  string
	Usage    string
}

// Describe returns the descriptor of every provider, built with defaults.
func Describe() ([]providers.Descriptor, error) {
	ts, err := BuildTools(Slugs(), providers.MapEnv(nil), tools.Deps{Client: providers.NewClient("agentmcp/describe")})
	if err != nil {
		return nil, err
	}
	out := make([]providers.Descriptor, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Descriptor)
	}
	return out, nil
}

// EnvVars lists every provider environment variable: credentials (each also
// readable from <NAME>_FILE) and settings.
func EnvVars() ([]EnvVar, error) {
	descs, err := Describe()
	if err != nil {
		return nil, err
	}
	var out []EnvVar
	for _, d := range descs {
		for _, c := range d.Credentials {
			out = append(out, EnvVar{Provider: d.Slug, Name: c.Env, Secret: true, Required: c.Required, Usage: "credential (or " + c.Env + "_FILE)"})
		}
		for _, s := range d.Settings {
			out = append(out, EnvVar{Provider: d.Slug, Name: s.Env, Default: s.Default, Usage: s.Usage})
		}
	}
	return out, nil
}
