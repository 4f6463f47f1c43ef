package tools_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Servers side by side on one journal, many creates at once on both: a
// retry sent to the other server after its first call returned is never
// sent to the vendor again.
func TestRetriesAcrossServersUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	var url string
	a := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
	b := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
	var mu sync.Mutex
	sent := map[string]int{}
	a.vendor.answer = func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Name string }
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		mu.Lock()
		sent[body.Name]++
		n := len(sent)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"object":"agent","id":"agt_%d"}`, n)
	}
	servers := []*fixture{a, b}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			for j := range 8 {
				name := fmt.Sprintf("agent %d-%d", i, j)
				for k := range 3 {
					res, text := servers[(i+j+k)%2].call(t, map[string]any{"name": name})
					if res.IsError {
						t.Errorf("%s, call %d: %s", name, k, text)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(sent) != 64*8 {
		t.Errorf("%d names reached the vendor, want %d", len(sent), 64*8)
	}
	for name, n := range sent {
		if n != 1 {
			t.Errorf("%s was sent %d times", name, n)
		}
	}
}
