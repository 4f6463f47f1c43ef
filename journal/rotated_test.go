package journal

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A file the journal was rotated to and out of again between two reads (two
// rotations) is read by the second, between the rest of the file the first
// stopped in and the file at the path, and not again after that; so is one
// named by date, and one rotated while the journal is not written again yet.
func TestAfterReadsAFileRotatedInAndOut(t *testing.T) {
	for _, c := range []struct {
		name         string
		first, again string // the names the first rotation, then the second, give the file read last
		middle       string // the name the second gives the middle file
		writtenAgain bool   // the journal is written at its path before the read
	}{
		{"numbered", ".1", ".2", ".1", true},
		{"dated", "-20261201", "-20261201", "-20261202", true},
		{"not written again yet", ".1", ".2", ".1", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, reader, record, cur := followed(t, "agt_1")
			record("agt_2") // in the file read, after the read
			rename(t, path, path+c.first)
			record("agt_3") // in the middle file
			if c.first != c.again {
				rename(t, path+c.first, path+c.again)
			}
			rename(t, path, path+c.middle)
			want := "[agt_2 agt_3]"
			if c.writtenAgain {
				record("agt_4")
				want = "[agt_2 agt_3 agt_4]"
			}
			got, cur, err := reader.After(cur, "", nil)
			if err != nil || fmt.Sprint(idsOf(got)) != want {
				t.Fatalf("After two rotations = %v, %v; want %v", idsOf(got), err, want)
			}
			want = "[agt_5]"
			if !c.writtenAgain {
				record("agt_4")
				want = "[agt_4 agt_5]"
			}
			record("agt_5")
			if got, cur, err = reader.After(cur, "", nil); err != nil || fmt.Sprint(idsOf(got)) != want {
				t.Fatalf("After that = %v, %v; want %v, no file read again", idsOf(got), err, want)
			}
			rename(t, path, path+".0") // a third rotation, within rotationSlack of the others
			record("agt_6")
			if got, _, err = reader.After(cur, "", nil); err != nil || fmt.Sprint(idsOf(got)) != "[agt_6]" {
				t.Fatalf("After a third rotation = %v, %v; want [agt_6], no file read again", idsOf(got), err)
			}
		})
	}
}

// Files beside the journal that are not its rotated files, or that were
// last written before the read the Cursor is from, are not read on a
// rotation, nor by Tail.
func TestOnlyFilesRotatedSinceAreRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.jsonl")
	reader, writer := openAt(t, path), openAt(t, path)
	if _, err := reader.Secret(); err != nil { // journal.jsonl.key
		t.Fatal(err)
	}
	_, cur, err := reader.Tail(time.Now().Add(-time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-48 * time.Hour)
	writeEntries(t, path+".5", long, "agt_old") // rotated long before
	writeEntries(t, path+".5.gz", time.Time{}, "agt_gzipped")
	writeEntries(t, filepath.Join(dir, "journal-header-credentials.jsonl"), time.Time{}, "agt_other_journal")
	writeEntries(t, filepath.Join(dir, "journal.jsonlx"), time.Time{}, "agt_other_name")
	compress(t, path+".5.gz")
	rename(t, path, path+".1")
	recorder(t, writer)("agt_1")
	got, _, err := reader.After(cur, "", nil)
	if err != nil || fmt.Sprint(idsOf(got)) != "[agt_1]" {
		t.Fatalf("After a rotation = %v, %v; want [agt_1]", idsOf(got), err)
	}
	if got, _, err = openAt(t, path).Tail(time.Now().Add(-time.Hour), nil); err != nil || fmt.Sprint(idsOf(got)) != "[agt_1]" {
		t.Fatalf("Tail = %v, %v; want [agt_1]", idsOf(got), err)
	}
}

// A server started after a rotation reads the window back from the file
// rotated aside too, older first, as Tail reads: entries that ended before
// the window are left out.
func TestTailReadsFilesRotatedBeforeTheStart(t *testing.T) {
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held: %v", held), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			writer := openAt(t, path)
			old := createdNow("old", "agt_old", false)
			old.Time = time.Now().Add(-2 * time.Hour)
			if err := writer.Record(old); err != nil {
				t.Fatal(err)
			}
			recorder(t, writer)("agt_1")
			rename(t, path, path+".1")
			recorder(t, writer)("agt_2")
			reader := openAt(t, path)
			since := time.Now().Add(-time.Hour)
			var got []Entry
			var cur Cursor
			var err error
			if held {
				h, herr := reader.Hold()
				if herr != nil {
					t.Fatal(herr)
				}
				got, cur, err = reader.TailFrom(h, since, "", nil)
			} else {
				got, cur, err = reader.Tail(since, nil)
			}
			if err != nil || fmt.Sprint(idsOf(got)) != "[agt_1 agt_2]" {
				t.Fatalf("read back = %v, %v; want [agt_1 agt_2]", idsOf(got), err)
			}
			recorder(t, writer)("agt_3")
			rename(t, path, path+".2")
			recorder(t, writer)("agt_4")
			if got, _, err = reader.After(cur, "", nil); err != nil || fmt.Sprint(idsOf(got)) != "[agt_3 agt_4]" {
				t.Fatalf("After a rotation = %v, %v; want [agt_3 agt_4], the file read back before not again", idsOf(got), err)
			}
		})
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// writeEntries writes created entries of ids to a new file at path, dated
// (and modified) at, or now when at is zero.
func writeEntries(t *testing.T, path string, at time.Time, ids ...string) {
	t.Helper()
	var b bytes.Buffer
	for _, id := range ids {
		e := createdNow(id, id, false)
		if !at.IsZero() {
			e.Time = at
		}
		line, _ := json.Marshal(e)
		b.Write(append(line, '\n'))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if !at.IsZero() {
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// compress gzips the file at path in place, as logrotate's compress does.
func compress(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Recent fills up from the files the journal was rotated to, newest first,
// when the journal's file holds fewer entries than asked for.
func TestRecentReadsOnIntoRotatedFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j := openAt(t, path)
	record := recorder(t, j)
	record("agt_0")
	rename(t, path, path+".2")
	record("agt_1")
	record("agt_2")
	rename(t, path, path+".1")
	record("agt_3")
	for n, want := range map[int]string{
		1:  "[agt_3]",
		2:  "[agt_2 agt_3]",
		3:  "[agt_1 agt_2 agt_3]",
		10: "[agt_0 agt_1 agt_2 agt_3]",
	} {
		if got, err := j.Recent(n); err != nil || fmt.Sprint(idsOf(got)) != want {
			t.Errorf("Recent(%d) = %v, %v; want %v", n, idsOf(got), err, want)
		}
	}
	logrotate(t, path) // and not written again yet
	if got, err := j.Recent(10); err != nil || fmt.Sprint(idsOf(got)) != "[agt_0 agt_1 agt_2 agt_3]" {
		t.Errorf("Recent with no file at the path = %v, %v; want them all", idsOf(got), err)
	}
}

// A server whose held file was rotated before its first read reads the
// files rotated before the held one first, then the held one, then those
// rotated after it, then the file at the path: in the order written.
func TestTailFromReadsRotatedFilesInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	writer := openAt(t, path)
	record := recorder(t, writer)
	record("agt_before")
	rename(t, path, path+".1")
	record("agt_held")
	reader := openAt(t, path)
	held, err := reader.Hold()
	if err != nil {
		t.Fatal(err)
	}
	logrotate(t, path)
	record("agt_after")
	logrotate(t, path)
	record("agt_path")
	got, _, err := reader.TailFrom(held, time.Now().Add(-time.Hour), "", nil)
	if want := "[agt_before agt_held agt_after agt_path]"; err != nil || fmt.Sprint(idsOf(got)) != want {
		t.Fatalf("TailFrom = %v, %v; want %v", idsOf(got), err, want)
	}
}

// A rotation while After reads does not hide the file that was at the path
// when it began: that file is read as a rotated one.
func TestAfterReadsAFileRotatedDuringTheRead(t *testing.T) {
	path, reader, record, cur := followed(t)
	record("agt_1")
	rename(t, path, path+".1")
	record("agt_2") // at the path when After begins
	rotated := false
	keep := func(e Entry) bool {
		if !rotated { // while the rest of the first file is read
			rotated = true
			rename(t, path+".1", path+".2")
			rename(t, path, path+".1")
			record("agt_3")
		}
		return true
	}
	wantAfter(t, reader, cur, keep, "[agt_1 agt_2 agt_3]")
}

// A journal reached through a symlink is rotated beside the file the link
// leads to; its rotated files are found there while the link leads nowhere
// (rotated, and not written again yet).
func TestRotatedFilesOfASymlinkedJournal(t *testing.T) {
	real := filepath.Join(t.TempDir(), "journal.jsonl")
	link := filepath.Join(t.TempDir(), "journal.jsonl")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	reader, writer := openAt(t, link), openAt(t, link)
	record := recorder(t, writer)
	_, cur, err := reader.Tail(time.Now().Add(-time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	record("agt_1")
	rename(t, real, real+".1")
	record("agt_2")
	rename(t, real+".1", real+".2")
	rename(t, real, real+".1") // the link leads nowhere
	wantAfter(t, reader, cur, nil, "[agt_1 agt_2]")
}

// Rotated files modified within the same tick of a coarse clock are read
// in the order logrotate's names give: journal.jsonl.2 before .1.
func TestRotatedFilesOfTheSameMtimeInNameOrder(t *testing.T) {
	path, reader, record, cur := followed(t)
	rename(t, path, path+".1")
	record("agt_1")
	logrotate(t, path)
	record("agt_2")
	logrotate(t, path)
	tick := time.Now().Truncate(time.Second)
	for _, name := range []string{path + ".1", path + ".2", path + ".3"} {
		if err := os.Chtimes(name, tick, tick); err != nil {
			t.Fatal(err)
		}
	}
	record("agt_3")
	wantAfter(t, reader, cur, nil, "[agt_1 agt_2 agt_3]")
}

// followed is a new journal, path, with a reader that has read it back to
// cur, and record, which records an agent there as another server: first
// the agents before, ahead of the read.
func followed(t *testing.T, before ...string) (path string, reader *Journal, record func(id string), cur Cursor) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "journal.jsonl")
	reader = openAt(t, path)
	record = recorder(t, openAt(t, path))
	for _, id := range before {
		record(id)
	}
	_, cur, err := reader.Tail(time.Now().Add(-time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	return path, reader, record, cur
}

// wantAfter checks the agents reader.After(cur) returns.
func wantAfter(t *testing.T, reader *Journal, cur Cursor, keep func(Entry) bool, want string) {
	t.Helper()
	if got, _, err := reader.After(cur, "", keep); err != nil || fmt.Sprint(idsOf(got)) != want {
		t.Fatalf("After = %v, %v; want %v", idsOf(got), err, want)
	}
}

// logrotate rotates the journal at path as logrotate does: path.1 becomes
// path.2 (and so on), path becomes path.1.
func logrotate(t *testing.T, path string) {
	t.Helper()
	n := 1
	for ; ; n++ {
		if _, err := os.Lstat(fmt.Sprint(path, ".", n)); err != nil {
			break
		}
	}
	for ; n > 1; n-- {
		rename(t, fmt.Sprint(path, ".", n-1), fmt.Sprint(path, ".", n))
	}
	rename(t, path, path+".1")
}

// The first read back leaves out files rotated before the window, also
// when the held file was last written before them.
func TestTailFromLeavesOutFilesBeforeTheWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	writer := openAt(t, path)
	reader := openAt(t, path)
	held, err := reader.Hold()
	if err != nil {
		t.Fatal(err)
	}
	logrotate(t, path)
	hours := func(n int) time.Time { return time.Now().Add(time.Duration(-n) * time.Hour) }
	if err := os.Chtimes(path+".1", hours(3), hours(3)); err != nil { // the held file, idle for hours
		t.Fatal(err)
	}
	writeEntries(t, path+".0", hours(2), "agt_old") // rotated aside two hours ago
	recorder(t, writer)("agt_new")
	got, _, err := reader.TailFrom(held, time.Now().Add(-10*time.Minute), "", nil)
	if want := "[agt_new]"; err != nil || fmt.Sprint(idsOf(got)) != want {
		t.Fatalf("TailFrom = %v, %v; want %v", idsOf(got), err, want)
	}
}

// A symlinked journal rotated aside, and not written again yet, leads
// nowhere: its key is still the one beside the file it led to.
func TestKeyOfASymlinkLeadingNowhere(t *testing.T) {
	real := filepath.Join(t.TempDir(), "journal.jsonl")
	link := filepath.Join(t.TempDir(), "journal.jsonl")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	first, second := openAt(t, link), openAt(t, link)
	key, err := first.Secret()
	if err != nil {
		t.Fatal(err)
	}
	logrotate(t, real)
	if got, err := second.Secret(); err != nil || !bytes.Equal(got, key) {
		t.Errorf("key read while the link leads nowhere: same %v, %v", bytes.Equal(got, key), err)
	}
	if _, err := os.Lstat(link + ".key"); err == nil {
		t.Errorf("a key was made beside the link")
	}
}

// AfterSends returns this server's own "sending" entries among the other
// servers' entries, where they were written.
func TestAfterSendsPlacesOwnEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	mine, other := openAt(t, path), openAt(t, path)
	_, cur, err := mine.Tail(time.Now().Add(-time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	record := func(j *Journal, outcome, id string) {
		t.Helper()
		e := createdNow(id, id, false)
		e.Outcome = outcome
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	record(other, OutcomeCreated, "agt_before")
	record(mine, OutcomeCreated, "agt_mine_created")
	record(mine, OutcomeSending, "agt_mine_sending")
	record(other, OutcomeSending, "agt_after")
	got, _, err := mine.AfterSends(cur, "", nil)
	if want := "[agt_before agt_mine_sending agt_after]"; err != nil || fmt.Sprint(idsOf(got)) != want {
		t.Fatalf("AfterSends = %v, %v; want %v", idsOf(got), err, want)
	}
	if got, _, err := mine.After(cur, "", nil); err != nil || fmt.Sprint(idsOf(got)) != "[agt_before agt_after]" {
		t.Fatalf("After = %v, %v; want only the other server's", idsOf(got), err)
	}
}

// A journal rotated and not written again yet is read back from its
// rotated files, and followed from there.
func TestTailWithNoFileAtThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	writer, reader := openAt(t, path), openAt(t, path)
	record := recorder(t, writer)
	record("agt_1")
	logrotate(t, path)
	got, cur, err := reader.Tail(time.Now().Add(-time.Hour), nil)
	if err != nil || fmt.Sprint(idsOf(got)) != "[agt_1]" {
		t.Fatalf("Tail = %v, %v; want [agt_1]", idsOf(got), err)
	}
	record("agt_2")
	wantAfter(t, reader, cur, nil, "[agt_2]")
}
