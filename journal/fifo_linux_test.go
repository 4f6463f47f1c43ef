package journal

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// A FIFO put where the journal was is refused, not opened: opening one
// blocks until a writer comes, and every first create would wait.
func TestReadBackRefusesAFIFO(t *testing.T) {
	j := openTemp(t)
	path := j.Path()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := j.Tail(time.Now().Add(-time.Minute), nil); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a FIFO was read as the journal")
		}
	case <-time.After(10 * time.Second):
		// Unblock the open, so that the test ends.
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("reading the journal blocked on a FIFO")
	}
}
