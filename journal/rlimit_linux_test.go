package journal

import (
	"os"
	"runtime"
	"syscall"
	"testing"
)

const rlimitChildEnv = "AGENTMCP_JOURNAL_RLIMIT_CHILD"

// The rest of a rotated file, read by After, is returned even when the
// new file cannot be opened this time (here: no file descriptor left). The
// run is in a child process, as the limit is process-wide.
func TestRotatedRestKeptWhenTheNewFileCannotBeOpened(t *testing.T) {
	if path := os.Getenv(rlimitChildEnv); path != "" {
		os.Exit(rotatedRestChild(path))
	}
	runInChild(t, "TestRotatedRestKeptWhenTheNewFileCannotBeOpened", rlimitChildEnv, t.TempDir()+"/journal.jsonl")
}

func rotatedRestChild(path string) int {
	a, err := Open(path)
	if err != nil {
		return 2
	}
	b, err := Open(path)
	if err != nil {
		return 3
	}
	_, c, err := b.Tail(createdNow("x", "x", false).Time, nil)
	if err != nil {
		return 4
	}
	if a.Record(createdNow("target", "agt_target", false)) != nil {
		return 5
	}
	if os.Rename(path, path+".1") != nil || a.Record(createdNow("after", "agt_after", false)) != nil {
		return 6
	}
	// Every descriptor below the cursor's busy, and the limit at it.
	limit := uint64(c.f.Fd())
	var fill []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			return 7
		}
		if uint64(f.Fd()) > limit {
			f.Close()
			break
		}
		fill = append(fill, f)
	}
	var old syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old) != nil {
		return 8
	}
	lim := old
	lim.Cur = limit
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 9
	}
	got, _, err := b.After(c, "create_agent_datagrid", nil)
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	// Unreachable files may be closed by their finalizers, which would free
	// descriptors and let After open the new file after all.
	runtime.KeepAlive(fill)
	if _, err := os.Open(path); err != nil {
		return 10
	}
	if err != nil || len(got) != 1 || got[0].AgentID != "agt_target" {
		os.Stderr.WriteString("After lost the rotated file's rest\n")
		return 11
	}
	return 0
}
