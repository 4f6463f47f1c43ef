package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// dummyKey is the value of every credential the servers see.
const dummyKey = "bench-key"

// fakeVendor answers every create with 201 and a small agent object in the
// shape the provider's Parse reads. The provider is the first path segment,
// which the bench puts in every base URL (http://127.0.0.1:port/<slug>).
type fakeVendor struct {
	srv   *httptest.Server
	count atomic.Int64
	delay atomic.Int64 // how long it takes to answer, in ns; 0 answers at once
}

func startVendor() *fakeVendor {
	v := &fakeVendor{}
	v.srv = httptest.NewServer(http.HandlerFunc(v.serve))
	return v
}

func (v *fakeVendor) URL() string { return v.srv.URL }
func (v *fakeVendor) Close()      { v.srv.Close() }

func (v *fakeVendor) serve(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	_ = json.Unmarshal(body, &in)
	if d := time.Duration(v.delay.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	n := v.count.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_%08d", n))
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(agentBody(r, fmt.Sprintf("agt_%08d", n), in.Name))
}

// agentBody is the created agent as each vendor words it.
func agentBody(r *http.Request, id, name string) any {
	slug, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case slug == "datagrid":
		return map[string]any{"object": "agent", "id": id, "name": name}
	case slug == "computer_agents":
		return map[string]any{"agent": map[string]any{"id": id, "name": name, "isActive": true}}
	case slug == "alibaba_dms" || r.URL.Query().Has("Action") || r.Header.Get("X-Acs-Action") != "":
		return map[string]any{"RequestId": "req_" + id, "Success": true, "Data": map[string]any{"CustomAgentId": id}}
	}
	return map[string]any{"id": id, "name": name}
}

// vendorEnv is every provider setting and credential the servers get: each
// base URL at the fake vendor, each credential the dummy key.
func vendorEnv(vendorURL string) (map[string]string, error) {
	vars, err := app.EnvVars()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	var urls []app.EnvVar
	for _, v := range vars {
		switch {
		case v.Secret:
			m[v.Name] = dummyKey
		case strings.HasPrefix(v.Default, "http") || strings.HasSuffix(v.Name, "_URL") || strings.HasSuffix(v.Name, "_ENDPOINT"):
			urls = append(urls, v)
		}
	}
	deps := tools.Deps{Client: providers.NewClient("bench")}
	host := strings.TrimPrefix(vendorURL, "http://")
	for _, v := range urls {
		// A provider may want a base URL with a path, one without, or a bare
		// host: take the first form it accepts.
		for _, val := range []string{vendorURL + "/" + v.Provider, vendorURL, host} {
			m[v.Name] = val
			if _, err := app.BuildTools([]string{v.Provider}, providers.MapEnv(m), deps); err == nil {
				break
			}
		}
	}
	if _, err := app.BuildTools(app.Slugs(), providers.MapEnv(m), deps); err != nil {
		return nil, fmt.Errorf("providers refuse the fake vendor settings: %w", err)
	}
	return m, nil
}

// childEnv is the environment of every server process: the bench's own
// without agentmcp, provider or proxy settings, plus vendor and a state dir.
func childEnv(vendor map[string]string, stateDir string) ([]string, error) {
	vars, err := app.EnvVars()
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{"XDG_STATE_HOME": true}
	for _, v := range vars {
		drop[v.Name], drop[v.Name+"_FILE"] = true, true
	}
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if drop[k] || strings.HasPrefix(k, "AGENTMCP_") || strings.HasSuffix(strings.ToUpper(k), "_PROXY") {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range vendor {
		out = append(out, k+"="+v)
	}
	return append(out, "XDG_STATE_HOME="+stateDir), nil
}

// defaultArgs is a valid create_agent_datagrid call, used when
// examples/arguments/datagrid.json does not exist.
var defaultArgs = map[string]any{
	"name":          "Quarterly sales analyst",
	"description":   "Answers questions about the quarterly sales tables.",
	"agent_model":   "magpie-2.0",
	"llm_model":     "gemini-2.5-flash",
	"temperature":   0.2,
	"tools":         []any{map[string]any{"name": "data_analysis"}, map[string]any{"name": "semantic_search"}},
	"system_prompt": "You answer questions about the quarterly sales data. Cite the table you used.",
}

// loadArgs returns the example arguments of a tool: examples/arguments/<slug>.json
// under root, else defaultArgs for datagrid, else nil.
func loadArgs(root, slug string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(root, "examples", "arguments", slug+".json"))
	if os.IsNotExist(err) {
		if slug == "datagrid" {
			return defaultArgs, nil
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("examples/arguments/%s.json: %w", slug, err)
	}
	if nameKey(m) == "" {
		return nil, fmt.Errorf("examples/arguments/%s.json: no name (a string under a key \"name\" in any case, or ending in it): the bench gives every call a name of its own, or agentmcp answers calls alike from memory", slug)
	}
	delete(m, "dry_run")
	return m, nil
}

// withPrompt returns a copy of args whose system_prompt is n bytes of text.
func withPrompt(args map[string]any, n int) map[string]any {
	out := with(args, "system_prompt", nil)
	const line = "Answer from the sales tables only, cite each table and say when data is missing. "
	out["system_prompt"] = strings.Repeat(line, n/len(line)+1)[:n]
	return out
}

// with returns a copy of args with key set to v.
func with(args map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(args)+1)
	for k, v := range args {
		out[k] = v
	}
	out[key] = v
	return out
}
