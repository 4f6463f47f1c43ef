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

// A retry reaching a server beside the one that made the agent gets that
// agent when the journal was rotated twice since that server's last read
// (the agent is in the middle file), and when that server started after
// the rotation that moved the agent's file aside.
func TestRetryOnAServerBesideAfterTwoRotations(t *testing.T) {
	rotate := func(t *testing.T, path string, names ...string) {
		t.Helper()
		for i := len(names) - 1; i >= 0; i-- { // journal.jsonl.1 -> .2 first, as logrotate does
			from := path
			if i > 0 {
				from = names[i-1]
			}
			if err := os.Rename(from, names[i]); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name         string
		writtenAgain bool // another create writes the journal at its path before the retry
		startedAfter bool // the server beside starts after the first rotation
	}{
		{"rotated twice", false, false},
		{"rotated twice and written again", true, false},
		{"started after a rotation", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			var url string
			first := setup(t, withDedupe(10*time.Minute), withJournal(t, path), captureURL(&url))
			var beside *fixture
			if !c.startedAfter {
				beside = setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
				if res, text := beside.call(t, map[string]any{"name": "Earlier"}); res.IsError { // follows the journal from here
					t.Fatal(text)
				}
			}
			rotate(t, path, path+".1")
			args := map[string]any{"name": "Analyst"}
			if res, text := first.call(t, args); res.IsError { // in the middle file
				t.Fatal(text)
			}
			if c.startedAfter {
				rotate(t, path, path+".1", path+".2")
				beside = setup(t, withDedupe(10*time.Minute), withJournal(t, path), useURL(url))
			} else {
				rotate(t, path, path+".1", path+".2")
			}
			if c.writtenAgain {
				if res, text := first.call(t, map[string]any{"name": "Later"}); res.IsError {
					t.Fatal(text)
				}
			}
			before := first.vendor.count()
			res, text := beside.call(t, args)
			if s := structuredOf(t, res); res.IsError || s["already_created"] != true || first.vendor.count() != before {
				t.Errorf("retry: isError %v, vendor requests %d -> %d (want no second agent)\n%.400s", res.IsError, before, first.vendor.count(), text)
			}
		})
	}
}
