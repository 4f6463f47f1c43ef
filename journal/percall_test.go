package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Records that arrive while another one syncs wait for it, then share one
// sync: a shared server's concurrent creates do not each wait for the
// fsyncs of all the creates before them. Each returns only once its own
// line is synced, and a sync's error reaches every line it covered.
func TestRecordsShareASync(t *testing.T) {
	j := openTemp(t)
	var (
		mu      sync.Mutex
		synced  []int // lines in the file at each sync
		release = make(chan struct{})
		first   = true
	)
	fail := errors.New("disk on fire")
	j.sync = func(f *os.File) error {
		mu.Lock()
		wait := first
		first = false
		mu.Unlock()
		if wait {
			<-release
		}
		b, err := os.ReadFile(f.Name())
		if err != nil {
			return err
		}
		mu.Lock()
		synced = append(synced, bytes.Count(b, []byte("\n")))
		n := len(synced)
		mu.Unlock()
		if n == 2 {
			return fail
		}
		return nil
	}
	errs := make(chan error, 11)
	go func() { errs <- j.Record(Entry{Tool: "t", AgentID: "first", Outcome: OutcomeCreated}) }()
	const waiting = 10
	// The first Record holds the file while it syncs; these queue behind it.
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return !first })
	for i := range waiting {
		go func() { errs <- j.Record(Entry{Tool: "t", AgentID: fmt.Sprint(i), Outcome: OutcomeCreated}) }()
	}
	waitFor(t, func() bool { j.queueMu.Lock(); defer j.queueMu.Unlock(); return len(j.queue) == waiting })
	close(release)
	var failed int
	for range waiting + 1 {
		if err := <-errs; err != nil {
			if !errors.Is(err, fail) {
				t.Errorf("Record: %v", err)
			}
			failed++
		}
	}
	if len(synced) != 2 || synced[0] != 1 || synced[1] != waiting+1 {
		t.Errorf("lines in the file at each sync: %v, want [1 %d]: one sync for the first, one for all that waited", synced, waiting+1)
	}
	if failed != waiting {
		t.Errorf("%d Records failed, want the %d the failed sync covered", failed, waiting)
	}
}

// waitFor polls cond until it holds; the test's deadline bounds it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		runtime.Gosched()
	}
}

// Secret reads the key file again only when a stat finds it changed; a
// change of any kind is still noticed: another file put in its place (with
// the old modification time even), the file rewritten, or, while the file
// is young enough that a coarse filesystem clock could give its successor
// the same time, rewritten with its old time put back.
func TestSecretNoticesAChangedKeyFile(t *testing.T) {
	for _, how := range []string{"replaced", "rewritten", "rewritten young, time put back"} {
		t.Run(how, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			j := openAt(t, path)
			held, err := j.Secret()
			if err != nil {
				t.Fatal(err)
			}
			key := path + ".key"
			if how != "rewritten young, time put back" {
				old := time.Now().Add(-time.Hour)
				if err := os.Chtimes(key, old, old); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := j.Secret(); err != nil { // the state kept, if old enough
				t.Fatal(err)
			}
			fi, err := os.Stat(key)
			if err != nil {
				t.Fatal(err)
			}
			other := bytes.Repeat([]byte{'x'}, secretSize)
			switch how {
			case "replaced":
				tmp := key + ".new"
				if err := os.WriteFile(tmp, other, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(tmp, fi.ModTime(), fi.ModTime()); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, key); err != nil {
					t.Fatal(err)
				}
			case "rewritten":
				if err := os.WriteFile(key, other, 0o600); err != nil {
					t.Fatal(err)
				}
			case "rewritten young, time put back":
				if err := os.WriteFile(key, other, 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(key, fi.ModTime(), fi.ModTime()); err != nil {
					t.Fatal(err)
				}
			}
			got, err := j.Secret()
			if !bytes.Equal(got, held) || err == nil || !strings.Contains(err.Error(), "no longer holds this server's key") {
				t.Errorf("after the key file was %s: same key %v, err %v", how, bytes.Equal(got, held), err)
			}
		})
	}
}
