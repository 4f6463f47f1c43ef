package tools_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// A create sent again to a server started after the one that made it (a
// restart, or a second server on the same journal) gets that agent, as the
// journal records it, within the window; not a second one.
func TestRepeatAfterARestartGetsTheJournaledAgent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	args := map[string]any{"name": "Nightly report bot"}
	first := setup(t, withDedupe(10*time.Minute), withJournal(t, path))
	if res, text := first.call(t, args); res.IsError {
		t.Fatalf("first: %s", text)
	}

	restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path))
	res, text := restarted.call(t, args)
	s := structuredOf(t, res)
	if res.IsError || s["agent_id"] != "agt_9" || s["already_created"] != true || restarted.vendor.count() != 0 {
		t.Fatalf("repeat after a restart: isError %v, structured %v, vendor requests %d\n%s", res.IsError, s, restarted.vendor.count(), text)
	}
	for _, want := range []string{"Not sent again", "by a server that ran before this one", `Created Datagrid agent "Nightly report bot" with id agt_9.`, "GET "} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	// A server with another account's key on the same journal sends it.
	other := setup(t, withDedupe(10*time.Minute), withJournal(t, path), func(_ *tools.Deps, env map[string]string) { env[datagrid.EnvAPIKey] = "another-account-key" })
	if res, text := other.call(t, args); res.IsError || other.vendor.count() != 1 {
		t.Errorf("another account: isError %v, vendor requests %d\n%s", res.IsError, other.vendor.count(), text)
	}
	// Without the window, nothing is remembered.
	off := setup(t, withJournal(t, path))
	if res, text := off.call(t, args); res.IsError || off.vendor.count() != 1 {
		t.Errorf("no window: isError %v, vendor requests %d\n%s", res.IsError, off.vendor.count(), text)
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
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			args := map[string]any{"name": "Analyst"}
			first := setup(t, withDedupe(10*time.Minute), withJournal(t, path))
			first.vendor.answer = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }
			if res, text := first.call(t, args); !res.IsError || !strings.Contains(text, "outcome unknown") {
				t.Fatalf("first: %s", text)
			}
			rewriteJournal(t, path, c.edit)

			restarted := setup(t, withDedupe(10*time.Minute), withJournal(t, path))
			res, text := restarted.call(t, args)
			if restarted.vendor.count() != c.calls {
				t.Fatalf("vendor requests %d, want %d\n%s", restarted.vendor.count(), c.calls, text)
			}
			if c.calls == 0 && (!res.IsError || !strings.HasPrefix(text, "Not sent again") || !strings.Contains(text, c.want) || !strings.Contains(text, "GET ")) {
				t.Errorf("repeat: isError %v\n%s", res.IsError, text)
			}
		})
	}
}
