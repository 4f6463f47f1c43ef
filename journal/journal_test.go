package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRecordAndRecent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "agentmcp", "journal.jsonl")
	j := openAt(t, path)
	for i := range 5 {
		if err := j.Record(Entry{Time: time.Unix(int64(i), 0).UTC(), Provider: "datagrid", Tool: "create_agent_datagrid",
			AgentName: fmt.Sprint("a", i), AgentID: fmt.Sprint("id", i), Outcome: OutcomeCreated}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.Recent(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].AgentID != "id2" || got[2].AgentID != "id4" {
		t.Errorf("Recent(3) = %+v", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode = %v, want 0600 (it names agents and ids)", fi.Mode().Perm())
	}
}

// TestTornLastLine: a crash mid-write leaves half a line; reading skips it and
// the next entry starts on a line of its own.
func TestTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	good := `{"time":"2026-01-01T00:00:00Z","provider":"everruns","tool":"create_agent_everruns","agent_id":"agent_1","outcome":"created","dry_run":false,"duration_ms":1}`
	if err := os.WriteFile(path, []byte(good+"\n"+`{"time":"2026-01-01T00:00:01Z","provider":"every`), 0o600); err != nil {
		t.Fatal(err)
	}
	j := openAt(t, path)
	got, err := j.Recent(10)
	if err != nil || len(got) != 1 || got[0].AgentID != "agent_1" {
		t.Fatalf("Recent = %+v, %v", got, err)
	}
	if err := j.Record(Entry{Provider: "datagrid", Tool: "t", AgentID: "after", Outcome: OutcomeCreated}); err != nil {
		t.Fatal(err)
	}
	got, _ = j.Recent(10)
	if len(got) != 2 || got[1].AgentID != "after" {
		t.Errorf("entry after a torn line lost: %+v", got)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(data), "\n") {
		t.Error("journal must end with a newline")
	}
	if e := lastLine(t, path); e.AgentID != "after" {
		t.Errorf("the file's last line is agent %q, want the entry after the torn line on a line of its own", e.AgentID)
	}
}

// lastLine decodes the journal file's last line on its own, as jq or a
// person reading the file would: the reader's recovery of an entry fused to
// a fragment must not be what keeps it readable.
func lastLine(t *testing.T, path string) Entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var e Entry
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &e); err != nil {
		t.Errorf("the file's last line is not JSON on its own: %v", err)
	}
	return e
}

func TestConcurrentRecords(t *testing.T) {
	j := openTemp(t)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = j.Record(Entry{Provider: "p", Tool: "t", AgentID: fmt.Sprint(i), Outcome: OutcomeCreated})
		}()
	}
	wg.Wait()
	got, _ := j.Recent(0)
	if len(got) != 50 {
		t.Errorf("%d entries, want 50", len(got))
	}
}

func TestDefaultPath(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}
	get := func(k string) string { return env[k] }
	if p, _ := DefaultPath(get); p != "/s/agentmcp/journal.jsonl" {
		t.Errorf("with XDG_STATE_HOME: %s", p)
	}
	for _, xdg := range []string{"", "relative/state"} {
		env["XDG_STATE_HOME"] = xdg
		if p, _ := DefaultPath(get); p != "/h/.local/state/agentmcp/journal.jsonl" {
			t.Errorf("with XDG_STATE_HOME %q: %s", xdg, p)
		}
	}
}

// On Windows a user's local state lives in LocalAppData; elsewhere that
// variable means nothing, and XDG_STATE_HOME wins everywhere.
func TestDefaultPathOnWindows(t *testing.T) {
	xdg, local, home := t.TempDir(), t.TempDir(), t.TempDir()
	for _, tc := range []struct {
		goos, xdg, local, want string
	}{
		{"windows", "", local, filepath.Join(local, "agentmcp", "journal.jsonl")},
		{"windows", xdg, local, filepath.Join(xdg, "agentmcp", "journal.jsonl")},
		{"windows", "", "relative", filepath.Join(home, ".local", "state", "agentmcp", "journal.jsonl")},
		{"linux", "", local, filepath.Join(home, ".local", "state", "agentmcp", "journal.jsonl")},
		{"darwin", "", local, filepath.Join(home, ".local", "state", "agentmcp", "journal.jsonl")},
	} {
		env := map[string]string{"XDG_STATE_HOME": tc.xdg, "LOCALAPPDATA": tc.local, "HOME": home}
		if got, err := defaultPath(tc.goos, func(k string) string { return env[k] }); err != nil || got != tc.want {
			t.Errorf("%s, XDG_STATE_HOME %q, LOCALAPPDATA %q: %s, %v; want %s", tc.goos, tc.xdg, tc.local, got, err, tc.want)
		}
	}
}

func TestClosedJournalRefuses(t *testing.T) {
	j, err := Open(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if err := j.Record(Entry{Provider: "p"}); err == nil {
		t.Error("Record after Close must fail")
	}
}

// TestLongFields: a vendor message of megabytes is clipped on write, and a
// line longer than one read of the tail (written by hand, or by an older
// build) is read whole, hiding none of the entries around it.
func TestLongFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	huge := strings.Repeat("é", tailBytes)
	foreign := `{"time":"2026-01-01T00:00:00Z","provider":"datagol","tool":"t","outcome":"failed","error":"` + strings.Repeat("x", 2*tailBytes) + `","dry_run":false,"duration_ms":1}`
	if err := os.WriteFile(path, []byte(foreign+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	j := openAt(t, path)
	for _, e := range []Entry{
		{Provider: "datagrid", Tool: "t", Outcome: OutcomeFailed, Error: huge, RequestID: huge},
		{Provider: "everruns", Tool: "t", AgentID: "agent_after", Outcome: OutcomeCreated},
	} {
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.Recent(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Provider != "datagol" || got[2].AgentID != "agent_after" {
		t.Fatalf("Recent = %d entries, want the long line and the 2 written after it", len(got))
	}
	if n := len(got[1].Error); n > maxErrorBytes || !strings.HasSuffix(got[1].Error, "…") {
		t.Errorf("error field is %d bytes, want at most %d and marked as cut", n, maxErrorBytes)
	}
	if n := len(got[1].RequestID); n > maxFieldBytes {
		t.Errorf("request_id is %d bytes, want at most %d", n, maxFieldBytes)
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 10, "abcdefghij"},
		{"abcdefghijk", 10, "abcdefg…"},
		{"ééééé", 8, "éé…"}, // never splits a character
		{"a\xffb", 10, "a?b"},
	} {
		if got := clip(tc.in, tc.max); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestRecentWhere(t *testing.T) {
	j := openTemp(t)
	for i := range 6 {
		if err := j.Record(Entry{Provider: "datagrid", Tool: "t", AgentID: fmt.Sprint("id", i), DryRun: i%2 == 1, Outcome: OutcomeCreated}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.RecentWhere(2, func(e Entry) bool { return !e.DryRun })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].AgentID != "id2" || got[1].AgentID != "id4" {
		t.Errorf("RecentWhere(2, not a dry run) = %+v, want id2 and id4", got)
	}
}

func TestSettled(t *testing.T) {
	in := []Entry{
		{Call: "a", Outcome: OutcomeSending, AgentName: "one"},
		{Call: "b", Outcome: OutcomeSending, AgentName: "cut short"},
		{Call: "a", Outcome: OutcomeCreated, AgentName: "one", AgentID: "id1"},
		{Outcome: OutcomeNotSent, AgentName: "no key"},
		{Outcome: OutcomePreview, AgentName: "preview"},
	}
	got := Settled(in)
	var names []string
	for _, e := range got {
		names = append(names, e.AgentName+":"+e.Outcome)
	}
	want := "cut short:sending,one:created,no key:not_sent,preview:preview"
	if strings.Join(names, ",") != want {
		t.Errorf("Settled = %s, want %s", strings.Join(names, ","), want)
	}
	if len(in) != 5 || in[0].Outcome != OutcomeSending {
		t.Error("Settled changed its input")
	}
}

// A long agent id is kept whole: a clipped id names no agent.
func TestLongAgentIDKept(t *testing.T) {
	j := openTemp(t)
	id := "projects/p/locations/l/agents/" + strings.Repeat("x", 2000)
	if err := j.Record(Entry{Provider: "datagrid", Tool: "t", AgentID: id, Outcome: OutcomeCreated}); err != nil {
		t.Fatal(err)
	}
	got, err := j.Recent(1)
	if err != nil || len(got) != 1 || got[0].AgentID != id {
		t.Errorf("got %d entries, err %v: want the %d-byte id whole", len(got), err, len(id))
	}
}

// Another process's line cut short (a full disk) with this process's entry
// appended to it: the entry is still read.
func TestEntryAfterAnotherProcessesFragment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j := openAt(t, path)
	other, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = other.WriteString(`{"time":"2026-01-01T00:00:00Z","call":"A1","provider":"datagrid","tool":"create_agent_datagrid","agent_na`)
	other.Close()
	if err := j.Record(Entry{Time: time.Now(), Call: "B1", Provider: "datagrid", Tool: "t", AgentID: "agt_from_B", Outcome: OutcomeCreated}); err != nil {
		t.Fatal(err)
	}
	got, err := j.Recent(10)
	if err != nil || len(got) != 1 || got[0].AgentID != "agt_from_B" {
		t.Errorf("Recent = %+v, %v: want the entry appended to the fragment", got, err)
	}
}

// A path that is not a regular file (/dev/stdout, a pipe) is refused: journal
// lines there would corrupt the stdio protocol.
func TestNonRegularFileRefused(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: err = %v", err)
	}
	if _, err := os.Stat("/dev/null"); err == nil {
		if _, err := Open("/dev/null"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("/dev/null: err = %v", err)
		}
	}
}

func created(name, id string, dryRun bool) Entry {
	return Entry{Provider: "datagrid", Tool: "create_agent_datagrid", AgentName: name, AgentID: id, Outcome: OutcomeCreated, DryRun: dryRun}
}

// An agent id is never clipped: one longer than a read of the tail (a vendor
// may answer with up to 2 MiB) hides neither itself nor the entries before it.
func TestHugeIDHidesNoEntry(t *testing.T) {
	j := openTemp(t)
	hugeID := "agt_" + strings.Repeat("x", tailBytes+tailBytes/10)
	for _, e := range []Entry{created("before", "agt_1", false), created("huge", hugeID, false)} {
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.Recent(50)
	if err != nil || len(got) != 2 || got[0].AgentID != "agt_1" || got[1].AgentID != hugeID {
		t.Errorf("Recent(50) = %d entries, %v; want both", len(got), err)
	}
}

// Entries left out by keep do not count: many previews after a create leave
// it in RecentWhere(!DryRun), which the journal resource reads.
func TestPreviewsDoNotCrowdOutCreates(t *testing.T) {
	j := openTemp(t)
	if err := j.Record(created("real", "agt_1", false)); err != nil {
		t.Fatal(err)
	}
	for i := range 2500 { // about 1.2 MiB of previews
		if err := j.Record(created(fmt.Sprintf("preview %d %s", i, strings.Repeat("p", 300)), "", true)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.RecentWhere(100, func(e Entry) bool { return !e.DryRun })
	if err != nil || len(got) != 1 || got[0].AgentID != "agt_1" {
		t.Errorf("RecentWhere(!DryRun) = %d entries, %v; want the one create", len(got), err)
	}
}

// A journal file deleted or replaced while the server runs (a person who
// opened it to look for an agent and saved it) is written at its path again:
// entries written to the old file would be in no file anyone reads.
func TestJournalReplacedWhileOpen(t *testing.T) {
	for name, replace := range map[string]func(path string) error{
		"deleted": os.Remove,
		"replaced by a copy": func(path string) error {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
				return err
			}
			return os.Rename(path+".tmp", path)
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			j := openAt(t, path)
			if err := j.Record(created("first", "agt_1", false)); err != nil {
				t.Fatal(err)
			}
			if err := replace(path); err != nil {
				t.Fatal(err)
			}
			if err := j.Record(created("second", "agt_2", false)); err != nil {
				t.Fatal(err)
			}
			got, err := j.Recent(10)
			if err != nil || len(got) == 0 || got[len(got)-1].AgentID != "agt_2" {
				t.Errorf("Recent after the file was %s = %+v, %v; want agt_2 last", name, got, err)
			}
		})
	}
}

// Tail reads back as far as its time, past any amount of newer entries.
func TestSince(t *testing.T) {
	j := openTemp(t)
	now := time.Now().UTC()
	record := func(e Entry, at time.Time) {
		t.Helper()
		e.Time = at
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	record(created("too old", "agt_0", false), now.Add(-20*time.Minute))
	record(created("wanted", "agt_1", false), now.Add(-9*time.Minute))
	long := Entry{Provider: "everruns", Tool: "create_agent_everruns", Outcome: OutcomeFailed, Error: strings.Repeat("e", maxErrorBytes)}
	for range 3 * tailBytes / maxErrorBytes { // 3 MiB of newer failures of another tool
		record(long, now.Add(-time.Minute))
	}
	got, _, err := openAt(t, j.Path()).Tail(now.Add(-10*time.Minute), func(e Entry) bool { return e.Tool == "create_agent_datagrid" })
	if err != nil || len(got) != 1 || got[0].AgentID != "agt_1" {
		t.Errorf("Tail = %d entries, %v; want the one datagrid entry of the last 10 minutes", len(got), err)
	}
}

// Every server on a journal gets the same secret, made once, kept beside it.
func TestSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	secrets := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Go(func() {
			j, err := Open(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer j.Close()
			if secrets[i], err = j.Secret(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, s := range secrets {
		if len(s) != secretSize || !bytes.Equal(s, secrets[0]) {
			t.Fatalf("server %d got secret of %d bytes, not the first's", i, len(s))
		}
	}
	fi, err := os.Stat(path + ".key")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".journal-key-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if err := os.WriteFile(path+".key", []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path+".key", old, old); err != nil {
		t.Fatal(err)
	}
	j := openAt(t, path)
	if _, err := j.Secret(); err == nil || !strings.Contains(err.Error(), "want 32: remove it") {
		t.Errorf("a key file of the wrong size: %v", err)
	}
	// A failure is not kept: once the file is removed, a new key is made.
	if err := os.Remove(path + ".key"); err != nil {
		t.Fatal(err)
	}
	if s, err := j.Secret(); err != nil || len(s) != secretSize {
		t.Errorf("after the bad key file was removed: %d bytes, %v", len(s), err)
	}
}

// A key file removed while the server runs, with the journal's directory or
// alone, is written back with the key the server holds: a server started
// later must match the entries keyed with it. One another server made
// meanwhile is left alone, and the server keeps its own key, with an error.
func TestSecretRemovedIsPutBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "journal.jsonl")
	j := openAt(t, path)
	held, err := j.Secret()
	if err != nil {
		t.Fatal(err)
	}
	for _, remove := range []string{dir, path + ".key"} {
		if err := os.RemoveAll(remove); err != nil {
			t.Fatal(err)
		}
		got, err := j.Secret()
		if err != nil || !bytes.Equal(got, held) {
			t.Fatalf("after removing %s: Secret changed or failed: %v", filepath.Base(remove), err)
		}
		later, err := openAt(t, path).Secret()
		if err != nil || !bytes.Equal(later, held) {
			t.Fatalf("after removing %s: a server started later got another key: %v", filepath.Base(remove), err)
		}
	}

	if err := os.Remove(path + ".key"); err != nil {
		t.Fatal(err)
	}
	other, err := openAt(t, path).Secret()
	if err != nil {
		t.Fatal(err)
	}
	got, err := j.Secret()
	if !bytes.Equal(got, held) || err == nil || !strings.Contains(err.Error(), "no longer holds this server's key") {
		t.Errorf("after another server made a new key: kept own key %v, error %v", bytes.Equal(got, held), err)
	}
	if onDisk, _ := os.ReadFile(path + ".key"); !bytes.Equal(onDisk, other) {
		t.Error("the other server's key file was overwritten")
	}
}

// Two servers holding the same key write it back at once when its file is
// removed: the one whose write loses finds its own key there, no error.
func TestSecretPutBackByTwoServers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	servers := []*Journal{openAt(t, path), openAt(t, path)}
	for _, j := range servers {
		if _, err := j.Secret(); err != nil {
			t.Fatal(err)
		}
	}
	for range 200 {
		if err := os.Remove(path + ".key"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(servers))
		for i, j := range servers {
			wg.Go(func() { _, errs[i] = j.Secret() })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("writing the same key back at once: %v", err)
		}
	}
}

// A key file that another server put back, and that is gone again when
// read, is put back again: never replaced by a new key, which no server's
// entries are keyed with.
func TestSecretPutBackNeverMakesANewKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j := openAt(t, path)
	key, err := j.Secret()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + ".key"); err != nil {
		t.Fatal(err)
	}
	// Every put back loses to another server's, whose file is gone again
	// by the time it is read.
	links := 0
	lost := func(string, string) error { links++; return fs.ErrExist }
	if err := j.keepSecret(path+".key", lost); err == nil || !strings.Contains(err.Error(), "keeps disappearing") || links < 2 {
		t.Errorf("after %d lost put-backs: %v", links, err)
	}
	if _, err := os.Stat(path + ".key"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file was made: %v", err)
	}
	// Once it stays, it is this server's key.
	if got, err := j.Secret(); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Secret: %v", err)
	}
	if onDisk, _ := os.ReadFile(path + ".key"); !bytes.Equal(onDisk, key) {
		t.Error("the key put back is not the server's")
	}
}

// Tail goes by when an entry's call ended, the order entries are written
// in: a long call that started before t and ended after it is read.
func TestSinceGoesByTheEnd(t *testing.T) {
	j := openTemp(t)
	now := time.Now().UTC()
	e := created("long", "agt_1", false)
	e.Time, e.DurationMS = now.Add(-10*time.Minute-30*time.Second), 60_000
	if err := j.Record(e); err != nil {
		t.Fatal(err)
	}
	got, _, err := openAt(t, j.Path()).Tail(now.Add(-10*time.Minute), nil)
	if err != nil || len(got) != 1 {
		t.Errorf("Tail = %d entries, %v; want the call that ended 9m30s ago", len(got), err)
	}
}

// A journal reached through a symlink shares its real file's secret; a
// dangling symlink where the secret goes is an error, not a loop.
func TestSecretPaths(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "journal.jsonl")
	link := filepath.Join(dir, "journal.jsonl")
	viaReal := openAt(t, real)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	viaLink := openAt(t, link)
	a, errA := viaLink.Secret()
	b, errB := viaReal.Secret()
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("secrets through the link and the real path differ: %v, %v", errA, errB)
	}

	dangling := filepath.Join(dir, "other.jsonl")
	if err := os.Symlink(filepath.Join(dir, "gone", "key"), dangling+".key"); err != nil {
		t.Fatal(err)
	}
	j := openAt(t, dangling)
	if _, err := j.Secret(); err == nil || !strings.Contains(err.Error(), "dangling symlink") {
		t.Errorf("Secret with a dangling symlink for its file: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".journal-key-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestSecretWithoutHardLinks is a filesystem where os.Link fails (some
// network and FAT mounts): the key is written in place, once, and servers
// starting together still share it.
func TestSecretWithoutHardLinks(t *testing.T) {
	noLink := func(oldname, newname string) error {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: errors.ErrUnsupported}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.jsonl.key")
	secrets := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Go(func() {
			var err error
			if secrets[i], err = loadSecret(path, noLink); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range secrets {
		if len(s) != secretSize || !bytes.Equal(s, onDisk) {
			t.Fatalf("server %d got a secret of %d bytes, not the one on disk", i, len(s))
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v", fi, err)
	}
	if key, err := makeSecret(path, noLink); key != nil || err != nil {
		t.Errorf("makeSecret over an existing key: %d bytes, %v; want none, nil", len(key), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".journal-key-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// A key file is waited for only while just written: not when old, nor when
// dated in the future (a clock set back), or every create would wait.
func TestJustWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl.key")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if !justWritten(path) {
		t.Error("a file written now is not fresh")
	}
	for name, at := range map[string]time.Time{"old": time.Now().Add(-time.Hour), "future": time.Now().Add(time.Hour)} {
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
		if justWritten(path) {
			t.Errorf("a file dated %s counts as just written", name)
		}
	}
	if justWritten(path + ".missing") {
		t.Error("a missing file counts as just written")
	}
}

// openTemp opens a new journal for the rest of t.
func openTemp(t *testing.T) *Journal {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "journal.jsonl"))
}

// openAt opens the journal at path for the rest of t.
func openAt(t *testing.T, path string) *Journal {
	t.Helper()
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// A key file replaced, while the server runs, by a symlink that leads
// nowhere is reported as such, as at start-up, after one try to put the key
// back, not twenty, each a synced temporary file, on every create.
func TestSecretReplacedByADanglingSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.jsonl")
	j := openAt(t, path)
	if _, err := j.Secret(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + ".key"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone", "key"), path+".key"); err != nil {
		t.Fatal(err)
	}
	links := 0
	counting := func(oldname, newname string) error { links++; return os.Link(oldname, newname) }
	err := j.keepSecret(path+".key", counting)
	if err == nil || !strings.Contains(err.Error(), "dangling symlink") || links > 2 {
		t.Errorf("after %d tries to put the key back: %v", links, err)
	}
}

// A server follows the journal: After returns what was written since the
// Tail it read, by any server (each entry names its own), and a line still
// being written only once it is whole.
func TestAfterFollowsTheJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	reader, writer := openAt(t, path), openAt(t, path)
	if reader.Server() == writer.Server() || reader.Server() == "" {
		t.Fatalf("two servers on one journal share the id %q", reader.Server())
	}
	if err := writer.Record(createdNow("before", "agt_1", false)); err != nil {
		t.Fatal(err)
	}
	got, c, err := reader.Tail(time.Now().Add(-time.Minute), nil)
	if err != nil || len(got) != 1 || got[0].Server != writer.Server() {
		t.Fatalf("Tail = %+v, %v; want agt_1, written by the other server", got, err)
	}
	if got, c, err = reader.After(c, "", nil); err != nil || len(got) != 0 {
		t.Fatalf("After with nothing new = %+v, %v", got, err)
	}

	if err := writer.Record(createdNow("after", "agt_2", false)); err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(createdNow("being written", "agt_3", false))
	half := len(line) / 2
	writeRaw(t, path, line[:half])
	if got, c, err = reader.After(c, "", nil); err != nil || len(got) != 1 || got[0].AgentID != "agt_2" {
		t.Fatalf("After = %+v, %v; want agt_2 alone", got, err)
	}
	writeRaw(t, path, append(line[half:], '\n'))
	if got, c, err = reader.After(c, "", nil); err != nil || len(got) != 1 || got[0].AgentID != "agt_3" {
		t.Fatalf("After the line was finished = %+v, %v; want agt_3", got, err)
	}

	// Rotated: nothing there until it is written again, then the new file
	// from its start.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if got, c, err = reader.After(c, "", nil); err != nil || len(got) != 0 {
		t.Fatalf("After the journal was moved away = %+v, %v; want nothing, no error", got, err)
	}
	if err := writer.Record(createdNow("rotated", "agt_4", false)); err != nil {
		t.Fatal(err)
	}
	if got, _, err = reader.After(c, "", nil); err != nil || len(got) != 1 || got[0].AgentID != "agt_4" {
		t.Fatalf("After the rotation = %+v, %v; want agt_4", got, err)
	}
}

// Tail stops before a last line still being written: After reads it whole.
func TestTailLeavesALineBeingWritten(t *testing.T) {
	j := openTemp(t)
	reader := openAt(t, j.Path()) // opened before: Open ends a torn last line
	if err := j.Record(createdNow("whole", "agt_1", false)); err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(createdNow("being written", "agt_2", false))
	writeRaw(t, j.Path(), line[:10])
	got, c, err := reader.Tail(time.Now().Add(-time.Minute), nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("Tail = %+v, %v", got, err)
	}
	writeRaw(t, j.Path(), append(line[10:], '\n'))
	if got, _, err = reader.After(c, "", nil); err != nil || len(got) != 1 || got[0].AgentID != "agt_2" {
		t.Errorf("After = %+v, %v; want the line that was being written", got, err)
	}
}

// A server reads back and follows the entries other servers wrote, not its
// own, also where another server's write was fused to a fragment of its own.
func TestFollowingSkipsOwnEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	self, other := openAt(t, path), openAt(t, path)
	if err := self.Record(createdNow("own", "agt_1", false)); err != nil {
		t.Fatal(err)
	}
	got, c, err := self.Tail(time.Now().Add(-time.Minute), nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("Tail = %+v, %v; want none: the only entry is the server's own", got, err)
	}
	ownLine, _ := json.Marshal(Entry{Time: time.Now().UTC(), Provider: "datagrid", Tool: "t", Outcome: OutcomeCreated, Server: self.Server()})
	writeRaw(t, path, ownLine[:len(ownLine)-1]) // a write of its own cut short, its id whole
	if err := other.Record(createdNow("other's", "agt_2", false)); err != nil {
		t.Fatal(err)
	}
	if err := self.Record(createdNow("own again", "agt_3", false)); err != nil {
		t.Fatal(err)
	}
	if got, _, err = self.After(c, "", nil); err != nil || len(got) != 1 || got[0].AgentID != "agt_2" {
		t.Errorf("After = %+v, %v; want only agt_2, the other server's", got, err)
	}
}

// After of one tool returns only that tool's entries, also from a line
// another write was fused to, where the last entry counts; After of "" all.
func TestAfterReadsOneTool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	reader, writer := openAt(t, path), openAt(t, path)
	_, c, err := reader.Tail(time.Now().Add(-time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	of := func(tool, id string) Entry {
		e := createdNow("x", id, false)
		e.Tool, e.Server = tool, writer.Server()
		return e
	}
	line := func(e Entry) []byte {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, e := range []Entry{of("t", "agt_1"), of("t2", "agt_2")} {
		if err := writer.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	// A write of t cut short, then a whole t2 line: t2's. And the other way round: t's.
	writeRaw(t, path, line(of("t", "agt_cut1"))[:40])
	writeRaw(t, path, append(line(of("t2", "agt_3")), '\n'))
	writeRaw(t, path, line(of("t2", "agt_cut2"))[:40])
	writeRaw(t, path, append(line(of("t", "agt_4")), '\n'))

	for _, c2 := range []struct{ tool, want string }{
		{"t", "[agt_1 agt_4]"},
		{"t2", "[agt_2 agt_3]"},
		{"", "[agt_1 agt_2 agt_3 agt_4]"},
		{"t3", "[]"},
	} {
		got, _, err := reader.After(c, c2.tool, nil)
		if err != nil || fmt.Sprint(idsOf(got)) != c2.want {
			t.Errorf("After(%q) = %v, %v; want %v", c2.tool, idsOf(got), err, c2.want)
		}
	}
}

// writeRaw appends b to the file at path as another process would, a line
// or part of one.
func writeRaw(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

// createdNow is created, made now.
func createdNow(name, id string, dryRun bool) Entry {
	e := created(name, id, dryRun)
	e.Time = time.Now().UTC()
	return e
}

// A journal emptied in place (truncated) and written again past where the
// last read stopped is read from its start, not from the old offset.
func TestAfterReadsAJournalTruncatedInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	reader, writer := openAt(t, path), openAt(t, path)
	if err := writer.Record(createdNow("before", "agt_1", false)); err != nil {
		t.Fatal(err)
	}
	_, cur, err := reader.Tail(time.Now().Add(-time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"agt_2", "agt_3"} {
		if err := writer.Record(createdNow("after", id, false)); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := reader.After(cur, "", nil)
	var ids []string
	for _, e := range got {
		ids = append(ids, e.AgentID)
	}
	if err != nil || !slices.Equal(ids, []string{"agt_2", "agt_3"}) {
		t.Errorf("After = %v, %v; want [agt_2 agt_3], written since the journal was emptied", ids, err)
	}
}

// Entries another server wrote after this one last read the journal are
// in the file it was then: when the journal is rotated (renamed aside)
// before the next read, After reads the rest of that file first, whether
// the journal was written at its path again by then or only later.
func TestAfterReadsTheRestOfARotatedFile(t *testing.T) {
	for _, c := range []struct {
		name         string
		writtenAgain bool
	}{
		{"written again before the read", true},
		{"written again after it", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, reader, record, cur := followed(t, "agt_1")
			record("agt_2") // not read before the rotation
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			want := []string{"agt_2"}
			if c.writtenAgain {
				record("agt_3")
				want = append(want, "agt_3")
			}
			got, cur, err := reader.After(cur, "", nil)
			if err != nil || fmt.Sprint(idsOf(got)) != fmt.Sprint(want) {
				t.Fatalf("After the rotation = %v, %v; want %v", idsOf(got), err, want)
			}
			if !c.writtenAgain {
				record("agt_3")
				if got, _, err = reader.After(cur, "", nil); err != nil || fmt.Sprint(idsOf(got)) != "[agt_3]" {
					t.Fatalf("After the journal was written again = %v, %v; want [agt_3]", idsOf(got), err)
				}
			}
		})
	}
}

// recorder records a created entry of the agent it is given in j.
func recorder(t *testing.T, j *Journal) func(id string) {
	return func(id string) {
		t.Helper()
		if err := j.Record(createdNow(id, id, false)); err != nil {
			t.Fatal(err)
		}
	}
}

func idsOf(entries []Entry) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.AgentID
	}
	return ids
}

// A journal held (Hold) before its first read back is read back from the
// file held, though it was rotated (renamed aside, or removed) before then,
// and the file at the path after it; while it was not rotated, TailFrom is
// Tail.
func TestTailFromAHeldFile(t *testing.T) {
	for _, c := range []struct {
		name   string
		rotate func(path string) error
	}{
		{"not rotated", func(string) error { return nil }},
		{"renamed aside", func(path string) error { return os.Rename(path, path+".1") }},
		{"removed", os.Remove},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			reader, writer := openAt(t, path), openAt(t, path)
			record := recorder(t, writer)
			record("agt_1")
			held, err := reader.Hold()
			if err != nil {
				t.Fatal(err)
			}
			record("agt_2") // after the hold, before the rotation
			if err := c.rotate(path); err != nil {
				t.Fatal(err)
			}
			record("agt_3") // in the file at the path again
			got, cur, err := reader.TailFrom(held, time.Now().Add(-time.Minute), "", nil)
			if err != nil || fmt.Sprint(idsOf(got)) != "[agt_1 agt_2 agt_3]" {
				t.Fatalf("TailFrom = %v, %v; want [agt_1 agt_2 agt_3]", idsOf(got), err)
			}
			record("agt_4")
			if got, _, err = reader.After(cur, "", nil); err != nil || fmt.Sprint(idsOf(got)) != "[agt_4]" {
				t.Fatalf("After it = %v, %v; want [agt_4]", idsOf(got), err)
			}
		})
	}
}
