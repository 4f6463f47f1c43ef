package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are one round's figures by key, e.g. "stdio/agentmcp/p50" (µs),
// "cold/floor" (ms), "tput/agentmcp/c64" (calls/s), "rss/floor/load" (MiB).
type metrics map[string]float64

// Concurrency levels of the throughput test, and system_prompt sizes of the
// argument-size test.
var (
	levels = []int{1, 8, 64}
	sizes  = []int{1 << 10, 10 << 10, 100 << 10}
)

// warmup calls per caller before a latency loop (connections, caches).
const warmup = 20

// maxCallsPerWorker bounds a throughput worker besides its duration.
const maxCallsPerWorker = 1_000_000

// caller is one thing a latency loop times.
type caller struct {
	name string
	call func() error
}

// sequential times n calls of each caller, one caller after the other and
// the order rotated every time, so that noise falls on all alike.
func sequential(n int, cs []caller) (map[string][]time.Duration, error) {
	out := map[string][]time.Duration{}
	for i := 0; i < n; i++ {
		for j := range cs {
			c := cs[(i+j)%len(cs)]
			t := time.Now()
			if err := c.call(); err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			out[c.name] = append(out[c.name], time.Since(t))
		}
	}
	return out, nil
}

func warm(cs []caller) error {
	_, err := sequential(warmup, cs)
	return err
}

// percentile of sorted durations, in µs.
func percentile(ds []time.Duration, p float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s)-1) + 0.5)
	return float64(s[i].Nanoseconds()) / 1e3
}

func record(m metrics, transport string, lat map[string][]time.Duration) {
	for name, ds := range lat {
		m[transport+"/"+name+"/p50"] = percentile(ds, 0.50)
		m[transport+"/"+name+"/p90"] = percentile(ds, 0.90)
		m[transport+"/"+name+"/p99"] = percentile(ds, 0.99)
	}
}

// order is the pair of servers, swapped every other round.
func (b *bench) order(i int) []server {
	if i%2 == 1 {
		return []server{b.floor, b.agentmcp}
	}
	return []server{b.agentmcp, b.floor}
}

// httpOrder is the order of the HTTP servers, the passthrough and agentmcp
// with its journal included, in turn i: each goes first as often as the
// others.
func (b *bench) httpOrder(i int) []server {
	all := []server{b.agentmcp, b.floor, b.passthrough, b.journal}
	k := i % len(all)
	return append(all[k:], all[:k]...)
}

// round takes every figure once, each server alternating with the other.
func (b *bench) round(r int) (metrics, error) {
	m := metrics{}
	b.progress("round %d/%d: cold start", r+1, b.cfg.rounds)
	cold := map[string][]time.Duration{}
	for i := 0; i < b.cfg.spawns; i++ {
		for _, s := range b.order(r + i) {
			d, err := coldStart(s)
			if err != nil {
				return nil, fmt.Errorf("cold start %s: %w", s.name, err)
			}
			cold[s.name] = append(cold[s.name], d)
		}
	}
	for name, ds := range cold {
		ms := make([]float64, len(ds))
		for i, d := range ds {
			ms[i] = float64(d.Nanoseconds()) / 1e6
		}
		m["cold/"+name] = median(ms)
	}
	b.progress("round %d/%d: stdio", r+1, b.cfg.rounds)
	if err := b.stdio(r, m); err != nil {
		return nil, fmt.Errorf("stdio: %w", err)
	}
	b.progress("round %d/%d: http", r+1, b.cfg.rounds)
	if err := b.http(r, m); err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	return m, nil
}

// process is a running server: over stdio or HTTP.
type process interface{ cpu() time.Duration }

// cpuTimes reads the CPU time of every process.
func cpuTimes[P process](ps map[string]P) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, p := range ps {
		out[name] = p.cpu()
	}
	return out
}

// perCall records each process's CPU time per call since before (µs).
func perCall[P process](m metrics, transport string, ps map[string]P, before map[string]time.Duration, calls int) {
	for name, p := range ps {
		m["cpu/"+transport+"/"+name] = float64((p.cpu() - before[name]).Microseconds()) / float64(calls)
	}
}

// coldStart is spawn → initialize answered → tools/list answered.
func coldStart(s server) (time.Duration, error) {
	t := time.Now()
	c, err := s.startStdio()
	if err != nil {
		return 0, err
	}
	defer c.close()
	if err := c.initialize(); err != nil {
		return 0, err
	}
	if _, err := c.call("tools/list", []byte(`{}`)); err != nil {
		return 0, err
	}
	return time.Since(t), nil
}

// stdio measures sequential calls over stdio, the argument sizes, and (first
// round) tools/list.
func (b *bench) stdio(r int, m metrics) error {
	conns := map[string]*stdioConn{}
	// The pair, then agentmcp with its journal on.
	pair := b.order(r)
	servers := append(pair, b.journal)
	if err := b.newJournal(); err != nil {
		return err
	}
	var callers []caller
	for _, s := range servers {
		c, err := s.startStdio()
		if err != nil {
			return err
		}
		defer c.close()
		if err := c.initialize(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		conns[s.name] = c
		params := callParams(s.tool, b.args)
		callers = append(callers, caller{s.name, func() error { return c.callTool(params) }})
	}
	if err := sequentialRound(b, m, "stdio", callers, conns); err != nil {
		return err
	}

	for _, size := range sizes {
		args := withPrompt(b.args, size)
		var cs []caller
		for _, s := range pair {
			c, params := conns[s.name], callParams(s.tool, args)
			cs = append(cs, caller{s.name, func() error { return c.callTool(params) }})
		}
		cs = append(cs, caller{"direct", b.direct(args).callTool})
		if err := warm(cs); err != nil {
			return err
		}
		lat, err := sequential(max(b.cfg.calls/5, 20), cs)
		if err != nil {
			return err
		}
		for name, ds := range lat {
			m[fmt.Sprintf("size/%s/%d", name, size)] = percentile(ds, 0.5)
		}
	}

	if r == 0 {
		for _, s := range pair {
			res, err := conns[s.name].call("tools/list", []byte(`{}`))
			if err != nil {
				return err
			}
			b.toolsList[s.name] = res.Result
		}
	}
	return nil
}

// newJournal removes the journal's file and key before its server starts:
// each reads back what the journal holds, and a file grown over rounds would
// be a different load from one round to the next.
func (b *bench) newJournal() error {
	for _, p := range []string{b.journalPath, b.journalPath + ".key"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// sequentialRound adds the direct POST to callers, warms them all, then times
// b.cfg.calls sequential calls of each and the servers' CPU time over them.
// agentmcp with its journal is timed apart, beside a direct POST of its own
// (under transport+journalPass): its fsyncs, interleaved call by call, would
// slow the servers the targets compare, and shrink their ratio.
func sequentialRound[P process](b *bench, m metrics, transport string, callers []caller, ps map[string]P) error {
	var compared, apart []caller
	for _, c := range callers {
		if c.name == b.journal.name {
			apart = append(apart, c)
		} else {
			compared = append(compared, c)
		}
	}
	for i, pass := range [][]caller{compared, apart} {
		if len(pass) == 0 {
			continue
		}
		key := transport
		if i == 1 {
			key += journalPass
		}
		timed := map[string]P{}
		for _, c := range pass {
			timed[c.name] = ps[c.name]
		}
		pass = append(pass, caller{"direct", b.direct(b.args).callTool})
		if err := warm(pass); err != nil {
			return err
		}
		cpu := cpuTimes(timed)
		lat, err := sequential(b.cfg.calls, pass)
		if err != nil {
			return err
		}
		record(m, key, lat)
		perCall(m, key, timed, cpu, b.cfg.calls)
	}
	return nil
}

// journalPass marks the figures of agentmcp+journal's sequential pass, and of
// the direct POST timed beside it: "stdio+journal/direct/p50".
const journalPass = "+journal"

// http measures sequential calls, throughput and memory over streamable HTTP.
func (b *bench) http(r int, m metrics) error {
	type running struct {
		srv    *httpServer
		client *http.Client
		tool   string
	}
	run := map[string]running{}
	procs := map[string]*proc{}
	var callers []caller
	if err := b.newJournal(); err != nil {
		return err
	}
	for _, s := range b.httpOrder(r) {
		srv, err := s.startHTTP()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		defer srv.stop(nil)
		client := newHTTPClient()
		defer client.CloseIdleConnections()
		conn, err := dial(client, srv.url)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if m["rss/"+s.name+"/init"], err = srv.peakRSS(); err != nil {
			return err
		}
		run[s.name], procs[s.name] = running{srv, client, s.tool}, srv.proc
		params := callParams(s.tool, b.args)
		callers = append(callers, caller{s.name, func() error { return conn.callTool(params) }})
	}
	if err := sequentialRound(b, m, "http", callers, procs); err != nil {
		return err
	}

	for _, c := range levels {
		loads := map[string]*load{}
		for name, rn := range run {
			l, err := newLoad(rn.client, rn.srv, callParams(rn.tool, b.args), c)
			if err != nil {
				return fmt.Errorf("%s c=%d: %w", name, c, err)
			}
			loads[name] = l
		}
		// Short slices, alternating, so that a burst of outside load hits both.
		for i := 0; i < loadSlices; i++ {
			for _, s := range b.httpOrder(r + i) {
				loads[s.name].run(b.cfg.duration / loadSlices)
			}
		}
		for name, l := range loads {
			key := fmt.Sprintf("%s/c%d", name, c)
			m["tput/"+key], m["fail/"+key] = float64(l.ok)/l.elapsed.Seconds(), float64(l.failed)
			m["cpu/"+key] = float64(l.cpu.Microseconds()) / float64(max(l.ok, 1))
			l.close()
		}
	}
	for name, rn := range run {
		var err error
		if m["rss/"+name+"/load"], err = rn.srv.peakRSS(); err != nil {
			return err
		}
	}

	// For context, not a target: the same 64-way load with a vendor that
	// takes slowVendor to answer, as real ones do (and longer).
	b.vendor.delay.Store(int64(slowVendor))
	defer b.vendor.delay.Store(0)
	loads := map[string]*load{}
	for _, name := range []string{"floor", "agentmcp"} {
		rn := run[name]
		l, err := newLoad(rn.client, rn.srv, callParams(rn.tool, b.args), slowLevel)
		if err != nil {
			return fmt.Errorf("%s c=%d, slow vendor: %w", name, slowLevel, err)
		}
		defer l.close()
		loads[name] = l
	}
	// Two slices each: a slice ends with calls that began before its end,
	// 50 ms of waiting that shorter slices would weigh more.
	for i := 0; i < 2; i++ {
		for _, s := range b.order(r + i) {
			loads[s.name].run(b.cfg.duration / 2)
		}
	}
	for name, l := range loads {
		m["tput/"+name+"/slow"], m["fail/"+name+"/slow"] = float64(l.ok)/l.elapsed.Seconds(), float64(l.failed)
	}
	return nil
}

// slowVendor is how long the vendor takes to answer in the slow-vendor load,
// at concurrency slowLevel: less than any vendor's create takes.
const (
	slowVendor = 50 * time.Millisecond
	slowLevel  = 64
)

// loadSlices is how many alternating pieces a throughput level is cut into.
const loadSlices = 6

// load is c sessions on one server calling back to back, slice after slice.
type load struct {
	srv        *httpServer
	conns      []*httpConn
	params     []byte
	ok, failed int64
	elapsed    time.Duration
	cpu        time.Duration // server CPU time spent during the slices
}

func newLoad(client *http.Client, srv *httpServer, params []byte, c int) (*load, error) {
	l := &load{srv: srv, params: params}
	for range c {
		conn, err := dial(client, srv.url)
		if err != nil {
			l.close()
			return nil, err
		}
		l.conns = append(l.conns, conn)
	}
	return l, nil
}

// run calls for d with every session at once.
func (l *load) run(d time.Duration) {
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	cpu, start := l.srv.cpu(), time.Now()
	deadline := start.Add(d)
	for _, conn := range l.conns {
		wg.Go(func() {
			for n := 0; n < maxCallsPerWorker && time.Now().Before(deadline); n++ {
				if conn.callTool(l.params) != nil {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	l.elapsed += time.Since(start)
	l.cpu += l.srv.cpu() - cpu
	l.ok += ok.Load()
	l.failed += failed.Load()
}

func (l *load) close() {
	for _, c := range l.conns {
		c.close()
	}
}

// profile writes CPU profiles of agentmcp (through the profiled wrapper) and
// of the floor: cold starts (one file each, from main on; read them together),
// sequential stdio calls, and 64-way HTTP load.
func (b *bench) profile(dir, wrapper string) error {
	am := b.agentmcp
	am.bin = wrapper
	for _, s := range []server{am, b.floor} {
		b.progress("profile: %s cold starts", s.name)
		for i := 0; i < 2*b.cfg.spawns; i++ {
			cold := s
			cold.args = append(slices.Clone(s.args), "--cpuprofile", filepath.Join(dir, fmt.Sprintf("%s-cold-%02d.pprof", s.name, i)))
			if _, err := coldStart(cold); err != nil {
				return err
			}
		}
		b.progress("profile: %s stdio", s.name)
		c, err := s.startStdio("--cpuprofile", filepath.Join(dir, s.name+"-stdio.pprof"))
		if err != nil {
			return err
		}
		if err := c.initialize(); err != nil {
			c.close()
			return err
		}
		params := callParams(s.tool, b.args)
		_, err = sequential(b.cfg.calls, []caller{{s.name, func() error { return c.callTool(params) }}})
		c.close()
		if err != nil {
			return err
		}

		b.progress("profile: %s http c=64", s.name)
		srv, err := s.startHTTP("--cpuprofile", filepath.Join(dir, s.name+"-http.pprof"))
		if err != nil {
			return err
		}
		client := newHTTPClient()
		l, err := newLoad(client, srv, params, 64)
		if err == nil {
			l.run(max(b.cfg.duration, 5*time.Second))
			l.close()
			b.progress("profile: %s http c=64: %.0f calls/s, %.0f µs server CPU per call", s.name,
				float64(l.ok)/l.elapsed.Seconds(), float64(l.cpu.Microseconds())/float64(max(l.ok, 1)))
			if l.failed > 0 {
				// A profile of failing calls profiles the wrong thing.
				err = fmt.Errorf("profile: %s http c=64: %d calls failed", s.name, l.failed)
			}
		}
		client.CloseIdleConnections()
		srv.stop(nil)
		if err != nil {
			return err
		}
	}
	return nil
}
