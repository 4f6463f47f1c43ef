package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agentmcp/agentmcp/app"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// target is one row of the summary: a figure of agentmcp, the reference it is
// held against, and the bound on their ratio.
type target struct {
	measure  string
	unit     string
	ref      string // what the reference column holds
	value    func(metrics) float64
	refValue func(metrics) float64
	atMost   bool // ratio must be ≤ limit (else ≥)
	limit    float64
	timing   bool // judged only in full runs
}

func key(k string) func(metrics) float64 { return func(m metrics) float64 { return m[k] } }

func overhead(transport, name string) func(metrics) float64 {
	return func(m metrics) float64 {
		return m[transport+"/"+name+"/p50"] - m[transport+"/direct/p50"]
	}
}

func (b *bench) targets() []target {
	listBytes := float64(len(b.toolsList["agentmcp"]))
	// Every provider's share, whether or not its tool is listed: one missing
	// from tools/list would otherwise shrink the budget with the list (and
	// fails its tool check).
	budget := float64(app.ToolsListBudgetPerTool * len(app.Slugs()))
	return []target{
		{"cold start to tools/list, stdio", "ms", "floor", key("cold/agentmcp"), key("cold/floor"), true, 1.25, true},
		{"tools/call overhead over direct POST, stdio p50", "µs", "floor", overhead("stdio", "agentmcp"), overhead("stdio", "floor"), true, 1.3, true},
		{"tools/call overhead over direct POST, HTTP p50", "µs", "floor", overhead("http", "agentmcp"), overhead("http", "floor"), true, 1.3, true},
		{"HTTP throughput at c=64", "calls/s", "floor", key("tput/agentmcp/c64"), key("tput/floor/c64"), false, 1, true},
		{"HTTP throughput at c=64 vs own c=8", "calls/s", "agentmcp c=8", key("tput/agentmcp/c64"), key("tput/agentmcp/c8"), false, 0.9, true},
		{"peak RSS after 64-way load", "MiB", "floor", key("rss/agentmcp/load"), key("rss/floor/load"), true, 1.5, true},
		{"tools/list, all tools", "bytes", "budget", func(metrics) float64 { return listBytes }, func(metrics) float64 { return budget }, true, 1, false},
	}
}

// agentmcpIdlePerHost is how many idle connections agentmcp's vendor client
// keeps per host.
func agentmcpIdlePerHost() int {
	if tr, ok := providers.NewClient("").HTTP.Transport.(*http.Transport); ok {
		return tr.MaxIdleConnsPerHost
	}
	return 0
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// across is f of every round.
func across(rounds []metrics, f func(metrics) float64) []float64 {
	out := make([]float64, len(rounds))
	for i, m := range rounds {
		out[i] = f(m)
	}
	return out
}

func med(rounds []metrics, f func(metrics) float64) float64 { return median(across(rounds, f)) }

func sum(rounds []metrics, k string) float64 {
	t := 0.0
	for _, m := range rounds {
		t += m[k]
	}
	return t
}

func num(v float64) string {
	switch a := max(v, -v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func (b *bench) report(out io.Writer, rounds []metrics, checks [][2]string, load string, took time.Duration) {
	fmt.Fprintf(out, "agentmcp performance, %s\n", machine())
	fmt.Fprintf(out, "%d rounds; per round and server: %d cold starts, %d sequential calls per transport, %s per concurrency level. Load average %s. Run time %s.\n",
		b.cfg.rounds, b.cfg.spawns, b.cfg.calls, b.cfg.duration, load, took.Round(time.Second))
	fmt.Fprintf(out, "The floor keeps up to %d idle vendor connections (-floor-idle-per-host), agentmcp up to %d.\n", b.cfg.floorIdlePerHost, agentmcpIdlePerHost())
	fmt.Fprintf(out, "agentmcp runs with --journal off, every other setting its default: the Targets are the server's own cost. agentmcp+journal is agentmcp as installed, its journal on (two fsyncs a call) in %s (%s).\n",
		filepath.Dir(b.journalPath), fsType(filepath.Dir(b.journalPath)))
	fmt.Fprintln(out, "Figures are medians over rounds; ratio is the median of the per-round ratios.")
	if b.cfg.short {
		fmt.Fprintln(out, "Short run: timings are shown but not judged.")
	}

	section(out, "Targets")
	tw := table(out, "measure\tunit\tagentmcp\treference\tratio\ttarget\tresult\tper-round ratios")
	for _, t := range b.targets() {
		rs := across(rounds, func(m metrics) float64 { return t.value(m) / t.refValue(m) })
		r := median(rs)
		op, pass := "≥", r >= t.limit
		if t.atMost {
			op, pass = "≤", r <= t.limit
		}
		result := "MISS"
		switch {
		case b.cfg.short && t.timing:
			result = "(short)"
		case pass:
			result = "PASS"
		}
		var per []string
		for _, x := range rs {
			per = append(per, fmt.Sprintf("%.2f", x))
		}
		if !t.timing {
			per = nil
		}
		ratio := fmt.Sprintf("%.2f", r)
		if ratio == fmt.Sprintf("%.2f", t.limit) && r != t.limit {
			ratio = fmt.Sprintf("%.4f", r) // either side of the limit, not read as it
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s×\t%s %.2f×\t%s\t%s\n", t.measure, t.unit, num(med(rounds, t.value)),
			num(med(rounds, t.refValue)), t.ref, ratio, op, t.limit, result, strings.Join(per, " "))
	}
	tw.Flush()

	section(out, "tools/call latency (µs), sequential; overhead = p50 − direct p50; CPU = server process CPU time per call;\n"+
		"agentmcp+journal is timed in a pass of its own, its overhead over the direct POSTs of that pass")
	tw = table(out, "transport\tserver\tp50\tp90\tp99\toverhead\t× floor overhead\tCPU")
	for _, tr := range []string{"stdio", "http"} {
		names := []string{"direct", "floor", "agentmcp", "agentmcp+journal"}
		if tr == "http" {
			names = []string{"direct", "floor", "passthrough", "agentmcp", "agentmcp+journal"}
		}
		for _, n := range names {
			pass := tr // agentmcp+journal's figures are of a pass of its own
			if n == b.journal.name {
				pass += journalPass
			}
			p := func(s string) float64 { return med(rounds, key(pass+"/"+n+"/"+s)) }
			oh, x, cpu := "", "", ""
			if n != "direct" {
				oh = num(med(rounds, overhead(pass, n)))
				x = fmt.Sprintf("%.2f×", med(rounds, func(m metrics) float64 { return overhead(pass, n)(m) / overhead(tr, "floor")(m) }))
				cpu = num(med(rounds, key("cpu/"+pass+"/"+n)))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", tr, n, num(p("p50")), num(p("p90")), num(p("p99")), oh, x, cpu)
		}
	}
	tw.Flush()

	section(out, "HTTP throughput (calls/s), fixed duration per level; failed calls summed over rounds; server CPU µs per call")
	tw = table(out, "concurrency\tfloor\tagentmcp\tagentmcp/floor\tfailed floor\tfailed agentmcp\tCPU floor\tCPU agentmcp\tCPU ratio")
	for _, c := range levels {
		k := func(what, name string) string { return fmt.Sprintf("%s/%s/c%d", what, name, c) }
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.2f×\t%.0f\t%.0f\t%s\t%s\t%.2f×\n", c,
			num(med(rounds, key(k("tput", "floor")))), num(med(rounds, key(k("tput", "agentmcp")))),
			med(rounds, func(m metrics) float64 { return m[k("tput", "agentmcp")] / m[k("tput", "floor")] }),
			sum(rounds, k("fail", "floor")), sum(rounds, k("fail", "agentmcp")),
			num(med(rounds, key(k("cpu", "floor")))), num(med(rounds, key(k("cpu", "agentmcp")))),
			med(rounds, func(m metrics) float64 { return m[k("cpu", "agentmcp")] / m[k("cpu", "floor")] }))
	}
	tw.Flush()

	section(out, "With the journal on (agentmcp's default): HTTP throughput (calls/s); failed calls summed over rounds; server CPU µs per call")
	tw = table(out, "concurrency\tfloor\tagentmcp\tagentmcp+journal\tjournal/floor\tjournal/agentmcp\tfailed\tCPU agentmcp+journal")
	for _, c := range levels {
		k := func(what, name string) string { return fmt.Sprintf("%s/%s/c%d", what, name, c) }
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.2f×\t%.2f×\t%.0f\t%s\n", c,
			num(med(rounds, key(k("tput", "floor")))), num(med(rounds, key(k("tput", "agentmcp")))), num(med(rounds, key(k("tput", "agentmcp+journal")))),
			med(rounds, func(m metrics) float64 { return m[k("tput", "agentmcp+journal")] / m[k("tput", "floor")] }),
			med(rounds, func(m metrics) float64 { return m[k("tput", "agentmcp+journal")] / m[k("tput", "agentmcp")] }),
			sum(rounds, k("fail", "agentmcp+journal")), num(med(rounds, key(k("cpu", "agentmcp+journal")))))
	}
	tw.Flush()

	section(out, fmt.Sprintf("For context, not a target: HTTP throughput at c=%d when the vendor takes %s to answer (a real create takes longer)", slowLevel, slowVendor))
	tw = table(out, "limit (c / vendor time)\tfloor\tagentmcp\tagentmcp/floor\tfailed floor\tfailed agentmcp")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f×\t%.0f\t%.0f\n", num(float64(slowLevel)/slowVendor.Seconds()),
		num(med(rounds, key("tput/floor/slow"))), num(med(rounds, key("tput/agentmcp/slow"))),
		med(rounds, func(m metrics) float64 { return m["tput/agentmcp/slow"] / m["tput/floor/slow"] }),
		sum(rounds, "fail/floor/slow"), sum(rounds, "fail/agentmcp/slow"))
	tw.Flush()

	section(out, "Where the difference goes, HTTP: passthrough is agentmcp's server (tools/list, sessions, middleware) with the floor's tool handler;\n"+
		"server CPU µs per call, and how much of agentmcp's extra CPU over the floor its server and its tool handler add")
	tw = table(out, "concurrency\tpassthrough calls/s\tfailed\tpassthrough/floor\tagentmcp/passthrough\tCPU floor\tCPU passthrough\tCPU agentmcp\tadded by server\tadded by handler")
	for _, c := range levels {
		k := func(what, name string) string { return fmt.Sprintf("%s/%s/c%d", what, name, c) }
		fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.2f×\t%.2f×\t%s\t%s\t%s\t%s\t%s\n", c,
			num(med(rounds, key(k("tput", "passthrough")))), sum(rounds, k("fail", "passthrough")),
			med(rounds, func(m metrics) float64 { return m[k("tput", "passthrough")] / m[k("tput", "floor")] }),
			med(rounds, func(m metrics) float64 { return m[k("tput", "agentmcp")] / m[k("tput", "passthrough")] }),
			num(med(rounds, key(k("cpu", "floor")))), num(med(rounds, key(k("cpu", "passthrough")))), num(med(rounds, key(k("cpu", "agentmcp")))),
			num(med(rounds, func(m metrics) float64 { return m[k("cpu", "passthrough")] - m[k("cpu", "floor")] })),
			num(med(rounds, func(m metrics) float64 { return m[k("cpu", "agentmcp")] - m[k("cpu", "passthrough")] })))
	}
	tw.Flush()

	section(out, "Peak RSS (VmHWM, MiB), HTTP server process")
	tw = table(out, "when\tfloor\tagentmcp\tratio")
	for _, w := range []string{"init", "load"} {
		label := map[string]string{"init": "after initialize", "load": "after 64-way load"}[w]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f×\n", label, num(med(rounds, key("rss/floor/"+w))), num(med(rounds, key("rss/agentmcp/"+w))),
			med(rounds, func(m metrics) float64 { return m["rss/agentmcp/"+w] / m["rss/floor/"+w] }))
	}
	tw.Flush()

	section(out, "Latency by system_prompt size, stdio p50 (µs)")
	tw = table(out, "system_prompt\tdirect\tfloor\tagentmcp\tagentmcp overhead\tfloor overhead\tratio")
	for _, s := range sizes {
		k := func(n string) string { return fmt.Sprintf("size/%s/%d", n, s) }
		ao := func(m metrics) float64 { return m[k("agentmcp")] - m[k("direct")] }
		fo := func(m metrics) float64 { return m[k("floor")] - m[k("direct")] }
		fmt.Fprintf(tw, "%d KB\t%s\t%s\t%s\t%s\t%s\t%.2f×\n", s>>10, num(med(rounds, key(k("direct")))), num(med(rounds, key(k("floor")))),
			num(med(rounds, key(k("agentmcp")))), num(med(rounds, ao)), num(med(rounds, fo)),
			med(rounds, func(m metrics) float64 { return ao(m) / fo(m) }))
	}
	tw.Flush()

	section(out, "tools/list size (tokens ≈ bytes/4)")
	tw = table(out, "tool\tbytes\tinputSchema\toutputSchema\t~tokens")
	var list struct {
		Tools []json.RawMessage `json:"tools"`
	}
	_ = json.Unmarshal(b.toolsList["agentmcp"], &list)
	for _, raw := range list.Tools {
		var t struct {
			Name   string          `json:"name"`
			In     json.RawMessage `json:"inputSchema"`
			Output json.RawMessage `json:"outputSchema"`
		}
		_ = json.Unmarshal(raw, &t)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", t.Name, len(raw), len(t.In), len(t.Output), len(raw)/4)
	}
	total := len(b.toolsList["agentmcp"])
	fmt.Fprintf(tw, "all %d tools (whole result)\t%d\t\t\t%d\n", len(list.Tools), total, total/4)
	fmt.Fprintf(tw, "floor, 1 tool (whole result)\t%d\t\t\t%d\n", len(b.toolsList["floor"]), len(b.toolsList["floor"])/4)
	tw.Flush()

	section(out, "Every registered tool, one call through agentmcp (stdio) to the fake vendor")
	tw = table(out, "tool\tresult")
	for _, c := range checks {
		fmt.Fprintf(tw, "%s\t%s\n", c[0], c[1])
	}
	tw.Flush()
}

func section(out io.Writer, title string) { fmt.Fprintf(out, "\n%s\n", title) }

func table(out io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}

// checkTools calls the tool of every provider agentmcp serves by default
// (app.Slugs) once, with its example arguments, so the fake vendor is known
// to answer each provider's shape. A provider whose tool tools/list does not
// list fails its check; a listed tool of no provider is called too.
func (b *bench) checkTools() ([][2]string, error) {
	names, listed, err := toolsToCheck(b.toolsList["agentmcp"])
	if err != nil {
		return nil, err
	}
	c, err := b.agentmcp.startStdio()
	if err != nil {
		return nil, err
	}
	defer c.close()
	if err := c.initialize(); err != nil {
		return nil, err
	}
	var out [][2]string
	for _, name := range names {
		if !listed[name] {
			out = append(out, [2]string{name, "FAILED: not in agentmcp's tools/list"})
			continue
		}
		args, err := loadArgs(b.root, strings.TrimPrefix(name, tools.Prefix))
		switch {
		case err != nil:
			out = append(out, [2]string{name, err.Error()})
			continue
		case args == nil:
			out = append(out, [2]string{name, "skipped: no examples/arguments file"})
			continue
		}
		result := "ok"
		if err := c.callTool(callParams(name, args)); err != nil {
			result = "FAILED: " + strings.ReplaceAll(err.Error(), "\n", " ")
		}
		out = append(out, [2]string{name, result})
	}
	return out, nil
}

// toolsToCheck is the name of every provider's tool (app.Slugs) and of any
// other tool the tools/list result lists, sorted, and which of them it lists.
func toolsToCheck(toolsList json.RawMessage) ([]string, map[string]bool, error) {
	var list struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(toolsList, &list); err != nil {
		return nil, nil, fmt.Errorf("tools/list: %w", err)
	}
	listed := map[string]bool{}
	var names []string
	for _, t := range list.Tools {
		listed[t.Name] = true
		names = append(names, t.Name)
	}
	for _, slug := range app.Slugs() {
		names = append(names, tools.Prefix+slug)
	}
	slices.Sort(names)
	return slices.Compact(names), listed, nil
}

// machine is the machine line: CPU model, cores, Go version, OS.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	osName := runtime.GOOS
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osName += ", Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%s, %d cores, %s, %s (%s/%s)", cpu, runtime.NumCPU(), runtime.Version(), osName, runtime.GOOS, runtime.GOARCH)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
