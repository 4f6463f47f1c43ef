package tools_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A retry reaching a server beside the one that made the agent gets that
// agent although the journal was moved aside (rotated) or removed after the
// agent was recorded and before the retry: the follower read the old file
// up to before the agent, or, when the retry is that tool's first create
// there, holds the file it started with.
func TestRetryOnAServerBesideAfterTheJournalMoved(t *testing.T) {
	for _, c := range []struct {
		name string
		move func(path string) error
	}{
		{"moved aside", func(path string) error { return os.Rename(path, path+".1") }},
		{"removed", os.Remove},
	} {
		for _, followed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/read back before: %v", c.name, followed), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "journal.jsonl")
				var url string
				first := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
				beside := setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
				if followed {
					if res, text := beside.call(t, map[string]any{"name": "Earlier"}); res.IsError { // follows the journal from here
						t.Fatal(text)
					}
				}
				before := first.vendor.count()
				args := map[string]any{"name": "Analyst"}
				if res, text := first.call(t, args); res.IsError {
					t.Fatal(text)
				}
				if err := c.move(path); err != nil {
					t.Fatal(err)
				}
				res, text := beside.call(t, args)
				if s := structuredOf(t, res); res.IsError || s["already_created"] != true || first.vendor.count() != before+1 {
					t.Errorf("retry after the journal was %s: isError %v, vendor requests %d, want %d (no second agent)\n%s", c.name, res.IsError, first.vendor.count(), before+1, text)
				}
			})
		}
	}
}
