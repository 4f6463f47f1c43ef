package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An agent name is clipped like the other fields.
func TestAgentNameIsClipped(t *testing.T) {
	j := openTemp(t)
	if err := j.Record(created(strings.Repeat("n", 10_000), "agt_1", false)); err != nil {
		t.Fatal(err)
	}
	got, err := j.Recent(1)
	if err != nil || len(got) != 1 {
		t.Fatalf("Recent = %v, %v", got, err)
	}
	if n := len(got[0].AgentName); n > maxFieldBytes {
		t.Errorf("agent name of %d bytes kept, want at most %d", n, maxFieldBytes)
	}
}

// Without hard links, a key file found short while just written is
// waited for, not refused: the server beside the writer gets the same key.
func TestShortKeyJustWrittenIsWaitedFor(t *testing.T) {
	noLink := func(o, n string) error { return &os.LinkError{Op: "link", Old: o, New: n, Err: errors.ErrUnsupported} }
	path := filepath.Join(t.TempDir(), "journal.jsonl.key")
	key := bytes.Repeat([]byte{7}, secretSize)
	if err := os.WriteFile(path, key[:5], 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(40 * time.Millisecond)
		_ = os.WriteFile(path, key, 0o600)
	}()
	got, err := loadSecret(path, noLink)
	<-done
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("loadSecret during another server's write: %x, %v", got, err)
	}
}

// The journal's directory, made at Open or again for the key, is
// private to the user.
func TestJournalDirectoryIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	j := openAt(t, filepath.Join(dir, "journal.jsonl"))
	check := func(when string) {
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: directory %v, %v; want 0700", when, fi.Mode(), err)
		}
	}
	check("after Open")
	if _, err := j.Secret(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Secret(); err != nil { // puts the key back, making the directory again
		t.Fatal(err)
	}
	check("after the key was put back")
}

// The oldest entry of a journal whose size is a chunk and one byte is read.
func TestOldestEntryOfAChunkAndOneByte(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	first, _ := json.Marshal(created("first", "agt_first", false))
	first = append(first, '\n')
	filler := bytes.Repeat([]byte("x"), tailBytes+1-len(first)-2)
	data := append(append(first, filler...), '\n', '\n')
	if len(data) != tailBytes+1 {
		t.Fatal(len(data))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := openAt(t, path).Recent(10)
	if err != nil || len(got) != 1 || got[0].AgentID != "agt_first" {
		t.Fatalf("Recent = %v, %v; want the first entry", got, err)
	}
}

// A line that is JSON but no entry is not returned as one.
func TestLinesThatAreNoEntryAreSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	e, _ := json.Marshal(created("a", "agt_1", false))
	if err := os.WriteFile(path, append([]byte("null\n{}\n"), append(e, '\n')...), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := openAt(t, path).Recent(10)
	if err != nil || len(got) != 1 {
		t.Fatalf("Recent = %d entries, %v; want 1", len(got), err)
	}
}

// An entry 12 MiB back, within the documented 16 MiB, is read by Tail
// and by After.
func TestEntryTwelveMiBBackIsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	writer, reader := openAt(t, path), openAt(t, path)
	_, c, err := reader.Tail(time.Now().Add(-time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Record(createdNow("target", "agt_target", false)); err != nil {
		t.Fatal(err)
	}
	other := createdNow("other", "agt_o", false)
	other.Tool, other.Error = "create_agent_everruns", strings.Repeat("e", 3000)
	line, _ := json.Marshal(other)
	line = append(line, '\n')
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(bytes.Repeat(line, (12<<20)/len(line))); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	isTarget := func(e Entry) bool { return e.Tool == "create_agent_datagrid" }
	got, _, err := openAt(t, path).Tail(time.Now().Add(-time.Hour), isTarget)
	if err != nil || len(got) != 1 || got[0].AgentID != "agt_target" {
		t.Errorf("Tail = %d entries, %v; want the target 12 MiB back", len(got), err)
	}
	got, _, err = reader.After(c, "create_agent_datagrid", nil)
	if err != nil || len(got) != 1 || got[0].AgentID != "agt_target" {
		t.Errorf("After = %d entries, %v; want the target 12 MiB back", len(got), err)
	}
}
