// Command bench measures agentmcp against a reference: "floor", the least an
// mcp-go server costs (bench/floor), and a direct POST to the vendor, the
// physical limit of a call. Both servers talk to a fake vendor on 127.0.0.1
// inside this process and are measured side by side, alternating, round after
// round; every figure is reported with the floor's and their ratio.
//
//	go run ./bench            # full run, a few minutes
//	go run ./bench -short     # seconds; checks the bench works, judges nothing
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/bench/internal/poster"
)

type config struct {
	rounds, spawns, calls int
	duration              time.Duration
	short                 bool
	profileDir            string
	floorIdlePerHost      int
}

// bench holds what every round uses.
type bench struct {
	cfg                      config
	root, tmp                string
	agentmcp, floor, journal server
	journalPath              string // journal's file, made anew for each round's servers
	passthrough              server // agentmcp's server with the floor's handler (HTTP only)
	vendor                   *fakeVendor
	args                     map[string]any
	toolsList                map[string]json.RawMessage // first round's tools/list result by server
	directClient             *http.Client               // sends every direct POST, made as the floor's
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rounds, "rounds", 5, "rounds; each takes every figure once per server")
	flag.IntVar(&cfg.spawns, "spawns", 10, "cold starts per server per round")
	flag.IntVar(&cfg.calls, "calls", 1000, "sequential tools/call per server per transport per round")
	flag.DurationVar(&cfg.duration, "duration", 3*time.Second, "time per server per concurrency level per round")
	flag.BoolVar(&cfg.short, "short", false, "quick run (2 rounds, 3 spawns, 100 calls, 1s) that reports but judges no timing")
	flag.IntVar(&cfg.floorIdlePerHost, "floor-idle-per-host", 100, "idle vendor connections the floor keeps for reuse; 2 makes it a plain http.Client")
	flag.StringVar(&cfg.profileDir, "cpuprofile", "", "after the rounds, write CPU profiles of agentmcp and the floor (stdio calls, HTTP at c=64) to this directory")
	flag.Parse()
	if cfg.short {
		cfg.rounds, cfg.spawns, cfg.calls, cfg.duration = 2, 3, 100, time.Second
	}
	if cfg.rounds < 1 || cfg.spawns < 1 || cfg.calls < 1 || cfg.duration <= 0 || cfg.floorIdlePerHost < 1 {
		fmt.Fprintln(os.Stderr, "bench: -rounds, -spawns, -calls, -duration and -floor-idle-per-host must be positive")
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	began := time.Now()
	b := &bench{cfg: cfg, toolsList: map[string]json.RawMessage{}, directClient: poster.NewClient(cfg.floorIdlePerHost)}
	defer b.directClient.CloseIdleConnections()
	var err error
	if b.root, err = moduleRoot(); err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "agentmcp-bench-"); err != nil {
		return err
	}
	cleanup := func() { os.RemoveAll(b.tmp) }
	defer cleanup()
	// Interrupted (Ctrl-C, a CI timeout): remove the binaries too; the
	// servers die with the bench (dieWithBench).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		cleanup()
		fmt.Fprintln(os.Stderr, "bench:", s)
		os.Exit(1)
	}()
	b.progress("building agentmcp and the floor")
	bins := map[string]string{".": "agentmcp", "./bench/floor": "floor", "./bench/passthrough": "passthrough"}
	if cfg.profileDir != "" {
		bins["./bench/profiled"] = "profiled"
	}
	for pkg, name := range bins {
		if err := goBuild(b.root, pkg, filepath.Join(b.tmp, name)); err != nil {
			return err
		}
	}

	b.vendor = startVendor()
	defer b.vendor.Close()
	vendorVars, err := vendorEnv(b.vendor.URL())
	if err != nil {
		return err
	}
	env, err := childEnv(vendorVars, filepath.Join(b.tmp, "state"))
	if err != nil {
		return err
	}
	if b.args, err = loadArgs(b.root, "datagrid"); err != nil {
		return err
	}
	b.agentmcp = server{name: "agentmcp", bin: filepath.Join(b.tmp, "agentmcp"), env: env, tool: "create_agent_datagrid",
		args: []string{"--journal", "off"}}
	// agentmcp as installed: the journal on (its default), on the
	// filesystem of TMPDIR.
	b.journal = b.agentmcp
	b.journal.name = "agentmcp+journal"
	b.journalPath = filepath.Join(b.tmp, "journal.jsonl")
	b.journal.args = []string{"--journal", b.journalPath}
	b.floor = server{name: "floor", bin: filepath.Join(b.tmp, "floor"), env: env, tool: "create_agent",
		args: []string{"--vendor", b.vendorURL(), "--key", dummyKey, "--tool", "create_agent", "--idle-per-host", strconv.Itoa(cfg.floorIdlePerHost)}}
	b.passthrough = server{name: "passthrough", bin: filepath.Join(b.tmp, "passthrough"), env: env, tool: "create_agent_datagrid",
		args: []string{"--vendor", b.vendorURL(), "--key", dummyKey, "--idle-per-host", strconv.Itoa(cfg.floorIdlePerHost)}}

	load := loadAvg()
	var rounds []metrics
	for r := 0; r < cfg.rounds; r++ {
		m, err := b.round(r)
		if err != nil {
			return fmt.Errorf("round %d: %w", r+1, err)
		}
		rounds = append(rounds, m)
	}
	load += " → " + loadAvg()
	if cfg.profileDir != "" {
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			return err
		}
		if err := b.profile(cfg.profileDir, filepath.Join(b.tmp, "profiled")); err != nil {
			return fmt.Errorf("profile: %w", err)
		}
	}
	checks, err := b.checkTools()
	if err != nil {
		return err
	}
	b.report(os.Stdout, rounds, checks, load, time.Since(began))
	if err := failures(rounds, checks); err != nil {
		return err
	}
	// Not a timing: the tools/list budget is judged in a short run too.
	if n, budget := len(b.toolsList["agentmcp"]), app.ToolsListBudgetPerTool*len(app.Slugs()); n > budget {
		return fmt.Errorf("tools/list is %d bytes, over its budget of %d (go test -v -run TestToolsListBudget ./app lists each tool's)", n, budget)
	}
	if cfg.profileDir != "" {
		fmt.Printf("\nCPU profiles in %s; read them with, e.g.:\n  go tool pprof -top %s\n  go tool pprof -top %s\n", cfg.profileDir,
			filepath.Join(cfg.profileDir, "agentmcp-http.pprof"), filepath.Join(cfg.profileDir, "agentmcp-cold-*.pprof"))
	}
	return nil
}

// vendorURL is where datagrid creates go; the floor and the direct POST use it too.
func (b *bench) vendorURL() string { return b.vendor.URL() + "/datagrid/agents" }

// direct is the direct POST of args, sent through b.directClient.
func (b *bench) direct(args map[string]any) *direct {
	body, err := json.Marshal(marked(args))
	if err != nil {
		panic(err) // args come from JSON
	}
	return &direct{client: b.directClient, url: b.vendorURL(), body: body, tag: rand.Text()[:8]}
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run the bench inside the agentmcp module")
	}
	return filepath.Dir(mod), nil
}

func goBuild(root, pkg, out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, msg)
	}
	return nil
}

// failures is an error when any call failed or a tool check did not pass:
// timings are not judged, but a bench whose calls fail measures nothing.
func failures(rounds []metrics, checks [][2]string) error {
	var bad []string
	for _, m := range rounds {
		for k, v := range m {
			if strings.HasPrefix(k, "fail/") && v > 0 {
				bad = append(bad, fmt.Sprintf("%s %.0f", k, v))
			}
		}
	}
	for _, c := range checks {
		if c[1] != "ok" && !strings.HasPrefix(c[1], "skipped") {
			bad = append(bad, c[0]+": "+c[1])
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("failed calls: %s", strings.Join(bad, "; "))
	}
	return nil
}
