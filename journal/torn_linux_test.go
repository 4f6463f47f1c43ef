package journal

import (
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runInChild runs test again in a child process with env set to value, for
// what holds process-wide (a resource limit), and fails t if the child fails.
func runInChild(t *testing.T, test, env, value string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"="+value)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// tornChildEnv names the journal the child process of
// TestFailedWriteKeepsTheNextLine writes to.
const tornChildEnv = "AGENTMCP_JOURNAL_TORN_CHILD"

// TestFailedWriteKeepsTheNextLine: a write cut short (here by a file size
// limit, as a full disk would) leaves part of a line; the next entry must
// still be readable, not fused to that fragment. The limit applies to the
// whole process, so a child process does the writing.
func TestFailedWriteKeepsTheNextLine(t *testing.T) {
	if path := os.Getenv(tornChildEnv); path != "" {
		tornChild(path)
		return
	}
	path := t.TempDir() + "/journal.jsonl"
	runInChild(t, "TestFailedWriteKeepsTheNextLine", tornChildEnv, path)
	j := openAt(t, path)
	got, err := j.Recent(10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.AgentName)
	}
	if strings.Join(names, ",") != "first,third" {
		t.Errorf("entries after a cut write: %q, want first and third", names)
	}
	if e := lastLine(t, path); e.AgentName != "third" {
		t.Errorf("the file's last line is %q, want the third entry on a line of its own", e.AgentName)
	}
}

// tornChild records an entry, cuts the next write short with RLIMIT_FSIZE,
// lifts the limit, and records a third. It exits non-zero when the cut
// write did not fail.
func tornChild(path string) {
	signal.Ignore(syscall.SIGXFSZ) // a write past the limit fails instead of killing the process
	j, err := Open(path)
	if err != nil {
		os.Exit(2)
	}
	entry := func(name string) Entry {
		return Entry{Time: time.Now(), Provider: "datagrid", Tool: "create_agent_datagrid", AgentName: name, Outcome: OutcomeCreated}
	}
	if j.Record(entry("first")) != nil {
		os.Exit(3)
	}
	fi, err := os.Stat(path)
	if err != nil {
		os.Exit(4)
	}
	var old syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old) != nil {
		os.Exit(5)
	}
	limited := old
	limited.Cur = uint64(fi.Size()) + 20
	if syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limited) != nil {
		os.Exit(6)
	}
	if j.Record(entry("second")) == nil {
		os.Exit(7)
	}
	if syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old) != nil || j.Record(entry("third")) != nil {
		os.Exit(8)
	}
	os.Exit(0)
}
