package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/journal"
)

// faultyVendor is a Datagrid fake that answers each request, at random from
// a seed, the way a vendor or the network can fail, and records every agent
// it made.
type faultyVendor struct {
	*httptest.Server
	mu      sync.Mutex
	rng     *rand.Rand
	n       int
	created []madeAgent
	answers map[string]int
}

type madeAgent struct {
	name, id, answer string
	at               time.Time
}

// faultyAnswers, by weight: those after "429" and "401" create an agent.
var faultyAnswers = []struct {
	name   string
	weight int
}{
	{"ok", 45}, {"429", 10}, {"503", 7}, {"401", 7},
	{"500", 6}, {"hangup", 6}, {"cut", 7}, {"slow", 4}, {"html", 8},
}

func newFaultyVendor(t *testing.T, seed int64) *faultyVendor {
	v := &faultyVendor{rng: rand.New(rand.NewSource(seed)), answers: map[string]int{}}
	v.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name string `json:"name"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		answer, id := v.answer(body.Name)
		agent := fmt.Sprintf(`{"object":"agent","id":%q,"name":%q}`, id, body.Name)
		w.Header().Set("Content-Type", "application/json")
		switch answer {
		case "ok":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, agent)
		case "429", "503":
			// Nothing made: agentmcp may send the create again.
			w.Header().Set("Retry-After", "0")
			code, _ := strconv.Atoi(answer)
			w.WriteHeader(code)
			io.WriteString(w, `{"error":{"message":"slow down"}}`)
		case "401":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"message":"invalid key %s"}}`, key)
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `{"error":{"message":"failed after saving, key %s"}}`, key)
		case "hangup":
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		case "cut":
			// The answer stops right after the new agent's id.
			w.Header().Set("Content-Length", strconv.Itoa(len(agent)))
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, agent[:strings.Index(agent, id)+len(id)+1])
			http.NewResponseController(w).Flush()
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		case "slow": // past agentmcp's --timeout
			select {
			case <-time.After(4 * time.Second):
			case <-r.Context().Done():
				return
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, agent)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, "<html>accepted with %s</html>", r.Header.Get("Authorization"))
		}
	}))
	t.Cleanup(v.Close)
	return v
}

// answer picks how to answer a create of name, and makes the agent unless
// the answer says nothing was made.
func (v *faultyVendor) answer(name string) (answer, id string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	total := 0
	for _, a := range faultyAnswers {
		total += a.weight
	}
	pick := v.rng.Intn(total)
	for _, a := range faultyAnswers {
		if pick -= a.weight; pick < 0 {
			answer = a.name
			break
		}
	}
	v.answers[answer]++
	if answer == "429" || answer == "503" || answer == "401" {
		return answer, ""
	}
	v.n++
	id = fmt.Sprintf("agt_soak%05d", v.n)
	v.created = append(v.created, madeAgent{name: name, id: id, answer: answer, at: time.Now()})
	return answer, id
}

type soakCall struct {
	name       string
	cancelled  bool // by its client
	start, end time.Time
	err        error
	res        *mcp.CallToolResult
	raw        string
}

// TestHTTPFaultyVendorKeepsThePromises drives many creates, some repeated,
// some cancelled, against a vendor that fails in every way it can, and
// checks the product's promises on what came back: one agent per intended
// create, the id of every agent made in a result or the journal, no key
// anywhere. AGENTMCP_SOAK_CALLS makes a longer run, and AGENTMCP_SOAK_SEED
// gives the vendor a logged run's sequence of answers (which call gets which
// still depends on timing).
func TestHTTPFaultyVendorKeepsThePromises(t *testing.T) {
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("AGENTMCP_SOAK_SEED"), 10, 64); err == nil {
		seed = s
	}
	creates := 160
	if n, err := strconv.Atoi(os.Getenv("AGENTMCP_SOAK_CALLS")); err == nil && n > 0 {
		creates = n
	}
	t.Logf("seed %d (AGENTMCP_SOAK_SEED=%[1]d gives the vendor the same run of answers), %d creates", seed, creates)
	v := newFaultyVendor(t, seed)
	dir := t.TempDir()
	journalFile, logFile := filepath.Join(dir, "journal.jsonl"), filepath.Join(dir, "agentmcp.log")
	s := startHTTP(t, env(t, "DATAGRID_API_KEY="+canary, "DATAGRID_BASE_URL="+v.URL+"/v1"),
		"--timeout", "2s", "--journal", journalFile, "--log-level", "debug", "--log-file", logFile)

	const workers = 8
	plan := rand.New(rand.NewSource(seed + 1))
	type intent struct {
		name           string
		repeat, cancel bool
		cancelAfter    time.Duration
	}
	intents := make([]intent, creates)
	for i := range intents {
		intents[i] = intent{
			name:   fmt.Sprintf("soak-%05d", i),
			repeat: plan.Intn(100) < 30, cancel: plan.Intn(100) < 5,
			cancelAfter: time.Duration(plan.Intn(2500)) * time.Millisecond,
		}
	}
	call := func(c *client.Client, in intent, cancel bool) soakCall {
		ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
		defer stop()
		if cancel {
			time.AfterFunc(in.cancelAfter, stop)
		}
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_agent_datagrid"
		req.Params.Arguments = map[string]any{"name": in.name}
		sc := soakCall{name: in.name, cancelled: cancel, start: time.Now()}
		sc.res, sc.err = c.CallTool(ctx, req)
		sc.end = time.Now()
		if sc.res != nil {
			b, _ := json.Marshal(sc.res)
			sc.raw = string(b)
		}
		return sc
	}
	todo := make(chan intent)
	go func() {
		for _, in := range intents {
			todo <- in
		}
		close(todo)
	}()
	var mu sync.Mutex
	byName := map[string][]soakCall{}
	var wg sync.WaitGroup
	for range workers {
		c := httpClient(t, s.url, nil)
		initialize(t, c, "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range todo {
				// One intention's calls one after another, as a client that
				// tries again once it has an answer (or gave up on one).
				calls := []soakCall{call(c, in, in.cancel)}
				if in.repeat || in.cancel {
					calls = append(calls, call(c, in, false))
				}
				mu.Lock()
				byName[in.name] = calls
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	_ = s.cmd.Process.Signal(os.Interrupt)
	s.waitExit(t, 20*time.Second, "agentmcp did not exit after SIGINT")

	v.mu.Lock()
	made, answers := v.created, v.answers
	v.mu.Unlock()
	entries := journalLines(t, journalFile)
	inJournal := map[string]bool{}
	unknownFor := map[string]bool{}
	for _, e := range entries {
		inJournal[e.AgentID] = true
		if e.Outcome == journal.OutcomeUnknown || e.Outcome == journal.OutcomeSending {
			unknownFor[e.AgentName] = true
		}
	}
	madeFor := map[string][]madeAgent{}
	for _, a := range made {
		madeFor[a.name] = append(madeFor[a.name], a)
	}
	for _, in := range intents {
		calls, agents := byName[in.name], madeFor[in.name]
		if len(agents) > 1 {
			t.Errorf("%s: %d agents made for one create: %+v", in.name, len(agents), agents)
		}
		var firstID string
		for _, c := range calls {
			assertNoCanary(t, "a result", c.raw)
			if c.err != nil {
				if !c.cancelled {
					t.Errorf("%s: %v", in.name, c.err)
				}
				continue
			}
			text := textOf(c.res)
			id, _ := structured(t, c.res)["agent_id"].(string)
			if firstID == "" {
				firstID = id
			} else if id != "" && id != firstID {
				t.Errorf("%s: a repeat got agent %s, the create before it %s", in.name, id, firstID)
			}
			for _, a := range agents {
				if a.at.Before(c.start) || a.at.After(c.end) {
					continue
				}
				// An agent made during this call is either its result, or an
				// outcome unknown, naming the id when the answer did.
				unknown := c.res.IsError && strings.Contains(text, "outcome unknown")
				switch {
				case !c.res.IsError && id == a.id:
				case unknown && (a.answer != "cut" || strings.Contains(text, a.id)):
				default:
					t.Errorf("%s: agent %s made (vendor answered %q) but the call got: %s", in.name, a.id, a.answer, text)
				}
			}
		}
		for _, a := range agents {
			seen := inJournal[a.id]
			for _, c := range calls {
				seen = seen || strings.Contains(c.raw, a.id)
			}
			switch {
			case seen:
			case a.answer == "ok" || a.answer == "cut":
				t.Errorf("%s: the id of agent %s (vendor answered %q) is in no result and not in the journal", in.name, a.id, a.answer)
			case !unknownFor[in.name]:
				t.Errorf("%s: agent %s made (vendor answered %q, no id) and the journal has no unknown outcome for it", in.name, a.id, a.answer)
			}
		}
	}
	assertNoCanary(t, "the journal", readFile(t, journalFile))
	assertNoCanary(t, "the log", readFile(t, logFile))
	t.Logf("%d agents made; vendor answers %v", len(made), answers)
}
