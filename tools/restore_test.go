package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers/datagrid"
	"github.com/agentmcp/agentmcp/tools"
)

// withJournal journals to the file at path, as the server does.
func withJournal(t *testing.T, path string) option {
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return func(d *tools.Deps, _ map[string]string) { d.Journal = j }
}

// captureURL stores the fixture's vendor base URL in url; useURL points a
// fixture at url instead of its own vendor: the vendor's base URL is one of
// the settings the journal's keys count.
func captureURL(url *string) option {
	return func(_ *tools.Deps, env map[string]string) { *url = env[datagrid.EnvBaseURL] }
}

func useURL(url string) option {
	return func(_ *tools.Deps, env map[string]string) { env[datagrid.EnvBaseURL] = url }
}

// rewriteJournal keeps the entries of the file at path that keep accepts,
// changed by it.
func rewriteJournal(t *testing.T, path string, keep func(*journal.Entry) bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for line := range bytes.Lines(b) {
		var e journal.Entry
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatal(err)
		}
		if keep(&e) {
			l, _ := json.Marshal(e)
			out = append(append(out, l...), '\n')
		}
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// createJournaled makes an agent with args through a server with a journal
// and the default window, and returns the server, the journal's path and
// the vendor's URL.
func createJournaled(t *testing.T, args map[string]any) (first *fixture, path, url string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "journal.jsonl")
	first = setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
	if res, text := first.call(t, args); res.IsError {
		t.Fatalf("first: %s", text)
	}
	return first, path, url
}

// A create sent again to a server started after the one that made it (a
// restart, or a second server on the same journal) gets that agent, as the
// journal records it, within the window; not a second one.
func TestRepeatAfterARestartGetsTheJournaledAgent(t *testing.T) {
	args := map[string]any{"name": "Nightly report bot"}
	first, path, url := createJournaled(t, args)
	if fi, err := os.Stat(path + ".key"); err != nil || fi.Size() != 32 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the journal's key file: %v, %v", fi, err)
	}

	// The same vendor URL, written with a trailing slash.
	restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url+"/"))
	res, text := restarted.call(t, args)
	s := structuredOf(t, res)
	if res.IsError || s["agent_id"] != "agt_9" || s["already_created"] != true || first.vendor.count() != 1 {
		t.Fatalf("repeat after a restart: isError %v, structured %v, vendor requests %d\n%s", res.IsError, s, first.vendor.count(), text)
	}
	for _, want := range []string{"Not sent again", "by another server on this journal (running beside this one, or before it)", `Created Datagrid agent "Nightly report bot" with id agt_9.`, "GET "} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	// A server on the same journal with another account's key, or another
	// teamspace, makes its agents elsewhere: it sends the create.
	sent := 1
	for name, o := range map[string]option{
		"another account":   func(_ *tools.Deps, env map[string]string) { env[datagrid.EnvAPIKey] = "another-account-key" },
		"another teamspace": func(_ *tools.Deps, env map[string]string) { env[datagrid.EnvTeamspace] = "ts_other" },
		"no dedupe window":  func(d *tools.Deps, _ map[string]string) { d.DedupeWindow = 0 },
	} {
		other := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url), o)
		res, text := other.call(t, args)
		if sent++; res.IsError || first.vendor.count() != sent {
			t.Errorf("%s: isError %v, vendor requests %d, want %d\n%s", name, res.IsError, first.vendor.count(), sent, text)
		}
	}
	// The journal's hashes are keyed: without its key file, a server started
	// later knows none of them.
	if err := os.Remove(path + ".key"); err != nil {
		t.Fatal(err)
	}
	rekeyed := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	if res, text := rekeyed.call(t, args); res.IsError || first.vendor.count() != sent+1 {
		t.Errorf("new journal key: isError %v, vendor requests %d, want %d\n%s", res.IsError, first.vendor.count(), sent+1, text)
	}
}

// A journal whose directory is removed while the server runs is written at
// its path again, key file included: a server started later still knows the
// creates made after the removal.
func TestRepeatAfterARestartOfAJournalRemovedMidRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "journal.jsonl")
	var url string
	first := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
	if res, text := first.call(t, map[string]any{"name": "Before"}); res.IsError {
		t.Fatalf("first: %s", text)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"name": "After the removal"}
	if res, text := first.call(t, args); res.IsError {
		t.Fatalf("after the removal: %s", text)
	}
	restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	res, text := restarted.call(t, args)
	if s := structuredOf(t, res); res.IsError || s["already_created"] != true || first.vendor.count() != 2 {
		t.Fatalf("repeat after a restart: isError %v, structured %v, vendor requests %d\n%s", res.IsError, s, first.vendor.count(), text)
	}
}

func TestRepeatAfterARestartOfAnUnknownOutcome(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(*journal.Entry) bool
		want  string
		calls int
	}{
		{"unknown outcome", func(*journal.Entry) bool { return true }, "may have created the agent", 0},
		{"no outcome recorded (the server was killed mid-call)", func(e *journal.Entry) bool { return e.Outcome == journal.OutcomeSending },
			"no outcome was recorded", 0},
		{"past the window", func(e *journal.Entry) bool { e.Time = e.Time.Add(-11 * time.Minute); return true }, "", 1},
		{"a long call that ended within the window", func(e *journal.Entry) bool {
			e.Time, e.DurationMS = e.Time.Add(-10*time.Minute-30*time.Second), 60_000
			return true
		}, "may have created the agent", 0},
		{"dated after now (a clock set back since)", func(e *journal.Entry) bool { e.Time = e.Time.Add(3 * time.Hour); return true }, "", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			args := map[string]any{"name": "Analyst"}
			var url string
			first := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
			first.vendor.answer = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }
			if res, text := first.call(t, args); !res.IsError || !strings.Contains(text, "outcome unknown") {
				t.Fatalf("first: %s", text)
			}
			rewriteJournal(t, path, c.edit)

			first.vendor.answer = func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9"}`))
			}
			restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
			res, text := restarted.call(t, args)
			if first.vendor.count() != 1+c.calls {
				t.Fatalf("vendor requests after the restart %d, want %d\n%s", first.vendor.count()-1, c.calls, text)
			}
			if c.calls == 0 && (!res.IsError || !strings.HasPrefix(text, "Not sent again") || !strings.Contains(text, c.want) || !strings.Contains(text, "GET ")) {
				t.Errorf("repeat: isError %v\n%s", res.IsError, text)
			}
		})
	}
}

// A call read back without an outcome may still be running in the server
// that sent it (a restart while it finished the call). A repeat reads the
// journal again: the outcome recorded since answers it, the agent it made,
// or, after a failure, the repeat is sent.
func TestRepeatOfACallItsServerFinishedAfterTheRestart(t *testing.T) {
	for _, c := range []struct {
		name    string
		outcome func(*journal.Entry)
		calls   int
	}{
		{"created", func(*journal.Entry) {}, 0},
		{"failed", func(e *journal.Entry) { e.Outcome, e.AgentID, e.Error = journal.OutcomeFailed, "", "422 bad prompt" }, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := map[string]any{"name": "Analyst"}
			first, path, url := createJournaled(t, args)
			var outcome journal.Entry
			rewriteJournal(t, path, func(e *journal.Entry) bool {
				if e.Outcome == journal.OutcomeSending {
					return true
				}
				c.outcome(e)
				outcome = *e
				return false
			})

			restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
			if res, text := restarted.call(t, args); !res.IsError || !strings.Contains(text, "no outcome was recorded") || first.vendor.count() != 1 {
				t.Fatalf("repeat before the outcome is recorded: isError %v, vendor requests %d\n%s", res.IsError, first.vendor.count(), text)
			}
			appendEntries(t, path, outcome)

			res, text := restarted.call(t, args)
			if first.vendor.count() != 1+c.calls {
				t.Fatalf("vendor requests after the outcome was recorded %d, want %d\n%s", first.vendor.count()-1, c.calls, text)
			}
			if s := structuredOf(t, res); c.calls == 0 && (res.IsError || s["already_created"] != true || s["agent_id"] != "agt_9") {
				t.Errorf("repeat after the outcome was recorded: isError %v, structured %v\n%s", res.IsError, s, text)
			}
		})
	}
}

// A call read back without an outcome stays an unknown outcome while the
// journal shows none, also once it no longer shows the call at all (rotated,
// or removed and written again by the next create): a repeat is not sent.
func TestRepeatOfACallWithoutOutcomeAfterTheJournalRotated(t *testing.T) {
	args := map[string]any{"name": "Analyst"}
	first, path, url := createJournaled(t, args)
	rewriteJournal(t, path, func(e *journal.Entry) bool { return e.Outcome == journal.OutcomeSending })

	restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	if res, text := restarted.call(t, args); !res.IsError || !strings.Contains(text, "no outcome was recorded") || first.vendor.count() != 1 {
		t.Fatalf("repeat before the rotation: isError %v, vendor requests %d\n%s", res.IsError, first.vendor.count(), text)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	// Any create writes the journal at its path again.
	if res, text := restarted.call(t, map[string]any{"name": "Another"}); res.IsError {
		t.Fatalf("another create: %s", text)
	}
	before := first.vendor.count()
	res, text := restarted.call(t, args)
	if first.vendor.count() != before {
		t.Errorf("a repeat of a call whose outcome is unknown was sent after the journal was rotated (vendor requests %d -> %d): isError %v\n%.300s",
			before, first.vendor.count(), res.IsError, text)
	}
}

// appendEntries writes entries at the end of the journal at path, as
// another server on it would.
func appendEntries(t *testing.T, path string, entries ...journal.Entry) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, e := range entries {
		b, _ := json.Marshal(e)
		if _, err := f.Write(append(b, '\n')); err != nil {
			t.Fatal(err)
		}
	}
}

// journaledCreate is the "created" entry createJournaled wrote.
func journaledCreate(t *testing.T, path string) journal.Entry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		var e journal.Entry
		if json.Unmarshal([]byte(line), &e) == nil && e.Outcome == journal.OutcomeCreated {
			return e
		}
	}
	t.Fatal("no created entry")
	return journal.Entry{}
}

// A server on the same journal that did not know agt_9 (it read the journal
// back before agt_9 was made) sends the identical call, and it fails while
// a restarted server has read its "sending" entry back. The identical call
// made agt_9 within the window: a repeat gets agt_9, not a second agent.
func TestRepeatAfterAFailedPendingCallGetsTheEarlierAgent(t *testing.T) {
	args := map[string]any{"name": "Analyst"}
	first, path, url := createJournaled(t, args)
	made := journaledCreate(t, path)

	other := made
	other.Call, other.Outcome, other.AgentID, other.DurationMS = "other-server-call", journal.OutcomeSending, "", 0
	other.Time = time.Now().UTC()
	appendEntries(t, path, other)

	restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	if res, text := restarted.call(t, args); !res.IsError || first.vendor.count() != 1 {
		t.Fatalf("repeat while the other server's call runs: isError %v, vendor requests %d\n%s", res.IsError, first.vendor.count(), text)
	}
	failed := other
	failed.Outcome, failed.Error, failed.DurationMS = journal.OutcomeFailed, "409 name taken", 5
	appendEntries(t, path, failed)

	res, text := restarted.call(t, args)
	if first.vendor.count() != 1 {
		t.Errorf("a repeat of a call that made agt_9 %s ago was sent (vendor requests %d): isError %v\n%.300s",
			time.Since(made.End()).Round(time.Second), first.vendor.count(), res.IsError, text)
	}
}

// A call another server sent, and has not ended, may still make the agent
// however short the window: its identical call is not sent while the other
// may still run (its --timeout and shutdown grace, as this server's), and
// is sent once it cannot.
func TestPendingCallOutlivesAShortWindow(t *testing.T) {
	args := map[string]any{"name": "Analyst"}
	first, path, url := createJournaled(t, args)
	pending := journaledCreate(t, path)
	pending.Call, pending.Outcome, pending.AgentID, pending.DurationMS = "other-server-call", journal.OutcomeSending, "", 0
	const timeout, drain = 5 * time.Second, 3 * time.Second
	for _, c := range []struct {
		age  time.Duration
		sent bool
	}{{2 * time.Second, false}, {7 * time.Second, false}, {9 * time.Second, true}} {
		if err := os.WriteFile(path, nil, 0o600); err != nil { // the create gone: only the other's call
			t.Fatal(err)
		}
		pending.Time = time.Now().Add(-c.age).UTC()
		appendEntries(t, path, pending)
		before := first.vendor.count()
		s := setup(t, withDedupe(time.Second), withJournal(t, path), useURL(url), func(d *tools.Deps, _ map[string]string) {
			d.Timeout, d.DrainTimeout = timeout, drain
		})
		res, text := s.call(t, args)
		if sent := first.vendor.count() > before; sent != c.sent || res.IsError == c.sent {
			t.Errorf("identical to a call sent %s ago, not ended (window 1s, timeout %s, grace %s): sent %v, want %v\n%.300s", c.age, timeout, drain, sent, c.sent, text)
		}
	}
}

// A call read back without an outcome, whose server then records that
// nothing reached the vendor (not_sent): a failure that created nothing, so
// a repeat is sent, as the read-back itself would have it.
func TestRepeatAfterAPendingCallThatSentNothingIsSent(t *testing.T) {
	args := map[string]any{"name": "Analyst"}
	first, path, url := createJournaled(t, args)
	made := journaledCreate(t, path)
	rewriteJournal(t, path, func(e *journal.Entry) bool { return e.Outcome == journal.OutcomeSending })

	restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	if res, text := restarted.call(t, args); !res.IsError || first.vendor.count() != 1 {
		t.Fatalf("repeat before the outcome: isError %v, vendor requests %d\n%s", res.IsError, first.vendor.count(), text)
	}
	notSent := made
	notSent.Outcome, notSent.AgentID, notSent.RequestID = journal.OutcomeNotSent, "", ""
	notSent.Error = "Datagrid was not reached, no agent was created: connection refused"
	appendEntries(t, path, notSent)

	res, text := restarted.call(t, args)
	if first.vendor.count() != 2 {
		t.Errorf("the journal says nothing was sent, yet the repeat was refused as an unknown outcome (vendor requests %d): isError %v\n%.400s",
			first.vendor.count(), res.IsError, text)
	}
}

// A read-back that first failed (the journal file was deleted) and then
// worked while one of this process's own creates was in flight finds that
// create's "sending" entry. Once the create fails, having made nothing, a
// repeat is sent, as the failure's advice expects: this process's own
// outcome is newer than anything read back.
func TestOwnCallReadBackInFlightIsNotRemembered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	f := setup(t, withDedupe(10*time.Minute), withJournal(t, path))
	if err := os.Remove(path); err != nil { // written at its path again by the next entry
		t.Fatal(err)
	}
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	f.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "First") {
			arrived <- struct{}{}
			<-release
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"error":"bad prompt"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_2"}`))
	}
	first := make(chan error, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "create_agent_datagrid"
		req.Params.Arguments = map[string]any{"name": "First"}
		_, err := f.client.CallTool(context.Background(), req)
		first <- err
	}()
	<-arrived
	if res, text := f.call(t, map[string]any{"name": "Second"}); res.IsError {
		t.Fatalf("second: %s", text)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	before := f.vendor.count()
	if res, text := f.call(t, map[string]any{"name": "First"}); f.vendor.count() != before+1 {
		t.Errorf("a repeat of a create that failed was not sent (isError %v):\n%s", res.IsError, text)
	}
}

// Servers side by side on one journal: a create one of them made, or is
// still making, answers an identical call sent to another, also one that
// read the journal back long before (a retry reaching another replica).
func TestRepeatOnAServerBesideTheOneThatMadeIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	var url string
	first := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
	beside := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	if res, text := beside.call(t, map[string]any{"name": "Earlier"}); res.IsError { // reads the journal back
		t.Fatalf("earlier create: %s", text)
	}

	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	first.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		if b, _ := io.ReadAll(r.Body); strings.Contains(string(b), "Analyst") {
			arrived <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"object":"agent","id":"agt_9"}`))
	}
	args := map[string]any{"name": "Analyst"}
	done := make(chan string, 1)
	go func() {
		res, text := first.call(t, args)
		if res.IsError {
			text = "error: " + text
		}
		done <- text
	}()
	<-arrived
	sent := first.vendor.count()
	if res, text := beside.call(t, args); !res.IsError || !strings.Contains(text, "no outcome was recorded") || first.vendor.count() != sent {
		t.Errorf("a repeat while the other server is still sending: isError %v, vendor requests %d -> %d\n%s", res.IsError, sent, first.vendor.count(), text)
	}
	close(release)
	if text := <-done; strings.HasPrefix(text, "error: ") {
		t.Fatal(text)
	}

	res, text := beside.call(t, args)
	if s := structuredOf(t, res); res.IsError || s["already_created"] != true || s["agent_id"] != "agt_9" || first.vendor.count() != sent {
		t.Errorf("a repeat after the other server made the agent: isError %v, structured %v, vendor requests %d -> %d\n%s",
			res.IsError, s, sent, first.vendor.count(), text)
	}
}

// A server beside one whose clock runs ahead (replicas on two hosts) knows
// its creates all the same: a retry that reaches it before its own clock
// has caught up with the entry's date gets the agent, not a second one.
func TestRepeatOnAServerBesideOneWhoseClockRunsAhead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	var url string
	ahead := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
	beside := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	if res, text := beside.call(t, map[string]any{"name": "Earlier"}); res.IsError { // follows the journal from here
		t.Fatalf("earlier create: %s", text)
	}
	args := map[string]any{"name": "Analyst"}
	if res, text := ahead.call(t, args); res.IsError {
		t.Fatal(text)
	}
	rewriteJournal(t, path, func(e *journal.Entry) bool {
		if e.AgentName == "Analyst" {
			e.Time = e.Time.Add(2 * time.Second) // as its clock has them
		}
		return true
	})
	res, text := beside.call(t, args)
	if s := structuredOf(t, res); res.IsError || s["already_created"] != true || ahead.vendor.count() != 2 {
		t.Errorf("a retry beside a server whose clock runs 2s ahead: isError %v, vendor requests %d, want 2\n%s", res.IsError, ahead.vendor.count(), text)
	}
}
