// Package journal keeps an append-only JSON Lines record of every create
// attempt and its outcome, so the id of an agent whose tool result never
// reached the user can still be found. It records no secrets and no prompts.
package journal

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Outcomes of a create attempt.
const (
	OutcomeCreated = "created"  // the vendor confirmed the agent
	OutcomeFailed  = "failed"   // the vendor refused; no agent
	OutcomeNotSent = "not_sent" // nothing reached the vendor, or no credentials
	OutcomeUnknown = "unknown"  // the agent may exist: look before retrying
	OutcomePreview = "preview"  // dry run
	// OutcomeSending is written just before a create is sent. An entry of
	// the same call follows with the outcome; when none does (the process
	// was killed mid-call), the outcome is unknown.
	OutcomeSending = "sending"
)

// Entry is one line of the journal.
type Entry struct {
	Time       time.Time `json:"time"`
	Call       string    `json:"call,omitempty"` // shared by a "sending" entry and its outcome
	Provider   string    `json:"provider"`
	Tool       string    `json:"tool"`
	AgentName  string    `json:"agent_name,omitempty"`
	AgentID    string    `json:"agent_id,omitempty"`
	Outcome    string    `json:"outcome"`
	Error      string    `json:"error,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	DryRun     bool      `json:"dry_run"`
	Attempts   int       `json:"attempts,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	// Repeat identifies the call: an HMAC, keyed with the journal's Secret,
	// of its tool, vendor settings, arguments and keys. A server started
	// later still answers an identical call within its dedupe window with
	// this call's agent, not a second one.
	Repeat string `json:"repeat,omitempty"`
	// Server is the Journal that wrote the entry: a random id each server
	// (process) draws when it opens the journal, so that one following the
	// journal tells the entries of other servers on it from its own.
	Server string `json:"server,omitempty"`
}

// Journal appends entries to one file. It is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex // the file: writes, syncs, reopening, closing
	f    *os.File
	path string
	// torn is set when a write failed and may have left part of a line: the
	// next line then starts on a line of its own, or it would be fused to
	// the fragment and unreadable.
	torn bool
	// queue holds the lines of Records waiting for mu. Whichever takes mu
	// writes them all and syncs once for all of them (a group commit):
	// concurrent calls share an fsync rather than each waiting for the
	// fsyncs of all the calls before it.
	queueMu sync.Mutex
	queue   []*pendingLine
	// sync overrides (*os.File).Sync (tests).
	sync func(*os.File) error

	secretMu sync.Mutex
	secret   []byte // nil until read or made
	// keyFile is the key file, at keyPath, as last found holding secret:
	// while a stat finds the same file, size and modification time, it is
	// not read again (every create asks for the secret).
	keyFile os.FileInfo
	keyPath string

	server string // stamped on every entry written: see Entry.Server
}

// DefaultPath is $XDG_STATE_HOME/agentmcp/journal.jsonl, else, on Windows,
// %LOCALAPPDATA%\agentmcp\journal.jsonl, else
// ~/.local/state/agentmcp/journal.jsonl. A relative XDG_STATE_HOME is
// ignored, as the XDG spec says: it would put the journal wherever the
// client happened to start the server.
func DefaultPath(getenv func(string) string) (string, error) {
	return defaultPath(runtime.GOOS, getenv)
}

func defaultPath(goos string, getenv func(string) string) (string, error) {
	if dir := getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "agentmcp", "journal.jsonl"), nil
	}
	// Windows keeps a user's local state in LocalAppData (not roaming:
	// the journal and its key belong to this machine's servers).
	if dir := getenv("LOCALAPPDATA"); goos == "windows" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "agentmcp", "journal.jsonl"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("journal: no XDG_STATE_HOME and no home directory: %w", err)
		}
	}
	return filepath.Join(home, ".local", "state", "agentmcp", "journal.jsonl"), nil
}

// Open opens (creating if needed) the journal at path for appending. A torn
// last line left by a crash is closed with a newline so the next entry starts clean.
func Open(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	fi, statErr := os.Stat(path)
	if statErr == nil && !fi.Mode().IsRegular() {
		// /dev/stdout, say: journal lines there would corrupt the stdio
		// protocol, and a pipe or device cannot be synced or read back.
		return nil, fmt.Errorf("journal: %s is not a regular file", path)
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		syncDir(filepath.Dir(path))
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				f.Close()
				return nil, fmt.Errorf("journal: %w", err)
			}
		}
	}
	return &Journal{f: f, path: path, server: rand.Text()}, nil
}

// syncDir makes a new journal's directory entry durable, so that entries
// fsynced later are not lost with the file's name in a crash. Filesystems
// that cannot sync a directory are left as they are.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// Path is where the journal lives.
func (j *Journal) Path() string { return j.path }

// Server is the id this Journal writes into every entry's Server.
func (j *Journal) Server() string { return j.server }

// Field limits, in bytes: a journal line stays small enough that reading the
// tail finds whole entries, whatever a vendor sends back (an agent id, which
// is never clipped, aside).
const (
	maxErrorBytes = 4 << 10
	maxFieldBytes = 512
)

// Record appends e as one line and syncs it to disk before returning.
func (j *Journal) Record(e Entry) error {
	e.Error = clip(e.Error, maxErrorBytes)
	e.AgentName = clip(e.AgentName, maxFieldBytes)
	e.RequestID = clip(e.RequestID, maxFieldBytes)
	e.Server = j.server
	// AgentID is never clipped: a shortened id names no agent, and the
	// journal is the record of last resort.
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: encode: %w", err)
	}
	p := &pendingLine{line: append(line, '\n')}
	j.queueMu.Lock()
	j.queue = append(j.queue, p)
	j.queueMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if !p.done {
		// Not written by the Record that held mu before: this one writes
		// every line waiting, its own among them.
		j.queueMu.Lock()
		batch := j.queue
		j.queue = nil
		j.queueMu.Unlock()
		j.flush(batch)
	}
	return p.err
}

// pendingLine is one Record's line and, once done, its outcome. Both are
// read and written under Journal.mu.
type pendingLine struct {
	line []byte
	done bool
	err  error
}

// flush writes batch in order, each line's write failing on its own, and
// syncs once for the lines written. It is called under j.mu.
func (j *Journal) flush(batch []*pendingLine) {
	settle := func(ps []*pendingLine, err error) {
		for _, p := range ps {
			p.done, p.err = true, err
		}
	}
	if j.f == nil {
		settle(batch, errors.New("journal: closed"))
		return
	}
	if err := j.reopenIfMoved(); err != nil {
		settle(batch, err)
		return
	}
	written := batch[:0:0]
	for _, p := range batch {
		line := p.line
		if j.torn {
			line = append([]byte{'\n'}, line...)
		}
		if _, err := j.f.Write(line); err != nil {
			j.torn = true
			settle([]*pendingLine{p}, fmt.Errorf("journal: write: %w", err))
			continue
		}
		j.torn = false
		written = append(written, p)
	}
	if len(written) == 0 {
		return
	}
	sync := (*os.File).Sync
	if j.sync != nil {
		sync = j.sync
	}
	var err error
	if serr := sync(j.f); serr != nil {
		err = fmt.Errorf("journal: sync: %w", serr)
	}
	settle(written, err)
}

// tailBytes is how much of a long journal Recent reads at a time, from the
// end back.
const tailBytes = 1 << 20

// Recent returns up to n of the newest entries, oldest first. Lines that do
// not parse (a torn write) are skipped. When the journal's file holds fewer,
// the rest are read from the files it was rotated to (see rotated), newest
// first: a create made just before a rotation is still among the newest.
func (j *Journal) Recent(n int) ([]Entry, error) { return j.RecentWhere(n, nil) }

// RecentWhere is Recent over the entries keep accepts (all when keep is nil).
func (j *Journal) RecentWhere(n int, keep func(Entry) bool) ([]Entry, error) {
	var out []Entry
	f, fi, err := j.open()
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = nil // rotated, and not written again yet: all is in the rotated files
	case err != nil:
		return nil, err
	default:
		defer f.Close()
		out, err = readBack(f, fi.Size(), keep, func(kept int, _ time.Time) bool { return n > 0 && kept < n })
	}
	if err == nil && n > 0 && len(out) < n {
		files := j.rotated(time.Time{}, fi)
		for i := len(files) - 1; i >= 0 && len(out) < n; i-- {
			out = append(recentOf(files[i], n-len(out), keep), out...)
		}
	}
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out, err
}

// A Cursor is where a read of the journal stopped: after the last whole
// line read, in one file. The zero Cursor is at the start of the file at the
// journal's path.
type Cursor struct {
	File   os.FileInfo // the file read (nil: the one at the path)
	Offset int64
	// f is File, kept open by Tail and After: once the journal is rotated
	// no path leads to it, and what other servers wrote to it after Offset
	// is still to be read. mark is File's bytes just before Offset: a file
	// that holds other ones there was emptied in place (a copying
	// rotation) and is read from its start.
	f    *os.File
	mark []byte
	// since is when the read that made the Cursor began, less
	// rotationSlack, or File's modification time then if earlier: a file
	// the journal was rotated to and written after that read was changed
	// since then, by the filesystem's clock as by this process's.
	since time.Time
	// seen are the files read before File (rotated since), newest last:
	// one is not read again.
	seen []os.FileInfo
}

// maxSeen bounds a Cursor's seen.
const maxSeen = 16

// seeing is seen, and files, as a Cursor keeps them.
func seeing(seen []os.FileInfo, files ...os.FileInfo) []os.FileInfo {
	out := slices.Clone(seen)
	for _, fi := range files {
		if fi != nil {
			out = append(out, fi)
		}
	}
	return out[max(0, len(out)-maxSeen):]
}

// rotationSlack is how far before a read a rotated file's modification
// time may lie and still be read after it: a filesystem's clock (a
// network one's) may run behind this process's.
const rotationSlack = time.Minute

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// readSince is a Cursor's since for a read that began at began, of a file
// found as fi (nil: not found).
func readSince(began time.Time, fi os.FileInfo) time.Time {
	since := began.Add(-rotationSlack)
	if fi != nil {
		since = earlier(since, fi.ModTime())
	}
	return since
}

// markBytes is how much of the file before its offset a Cursor keeps:
// enough for an entry's call id and hash, which no other line shares.
const markBytes = 256

// Tail returns the entries other servers wrote (other Journals: see
// Entry.Server) that keep accepts (all when keep is nil) and that ended
// (Time+DurationMS) at t or later, oldest first, read back from the end until
// entries that ended before t, and the Cursor after the last whole line, for
// After. An entry is written when its call ends, so the file is in order of
// End, not of Time. Files the journal was rotated to (see rotated) that were
// written at t or later are read back first, the same way: a server started
// after a rotation knows the creates before it.
func (j *Journal) Tail(t time.Time, keep func(Entry) bool) ([]Entry, Cursor, error) {
	return j.tail(t, selector{}, keep)
}

// tail is Tail of what sel picks.
func (j *Journal) tail(t time.Time, sel selector, keep func(Entry) bool) ([]Entry, Cursor, error) {
	began := time.Now()
	f, fi, err := j.open()
	if errors.Is(err, fs.ErrNotExist) {
		// Rotated, and not written again yet: all is in the rotated files,
		// and After reads on from there.
		out, seen := j.tailFiles(j.rotated(t.Add(-rotationSlack)), t, sel, keep)
		return out, Cursor{since: began.Add(-rotationSlack), seen: seen}, nil
	}
	if err != nil {
		return nil, Cursor{}, err
	}
	out, seen := j.tailFiles(j.rotated(t.Add(-rotationSlack), fi), t, sel, keep)
	got, c, err := j.tailOf(f, fi, fi.Size(), t, sel, keep)
	if err != nil {
		return nil, Cursor{}, err
	}
	c.seen = seen
	return append(out, got...), c, nil
}

// tailFiles is Tail of each of files, the rotated files of the journal,
// in turn, and the files read.
func (j *Journal) tailFiles(files []rotatedFile, t time.Time, sel selector, keep func(Entry) bool) ([]Entry, []os.FileInfo) {
	var out []Entry
	read := eachRotated(files, func(f *os.File, fi os.FileInfo) error {
		got, _, err := j.tailOf(f, fi, fi.Size(), t, sel, keep)
		out = append(out, got...)
		return err
	})
	return out, read
}

// tailOf is Tail of the open file f, fi, read back from size; it closes f
// on error.
func (j *Journal) tailOf(f *os.File, fi os.FileInfo, size int64, t time.Time, sel selector, keep func(Entry) bool) ([]Entry, Cursor, error) {
	pick := func(e Entry) bool {
		if e.Server == j.server {
			return sel.ownSend(e)
		}
		return keep == nil || keep(e)
	}
	began := time.Now()
	now, _ := f.Stat() // nil on error
	since := readSince(began, now)
	// A line still being written (by another server) is left to After.
	end, err := lastLineEnd(f, size)
	var out []Entry
	if err == nil {
		out, err = readBack(f, end, func(e Entry) bool { return !e.End().Before(t) && pick(e) },
			func(_ int, oldest time.Time) bool { return oldest.IsZero() || !oldest.Before(t) })
	}
	var mark []byte
	if err == nil {
		mark, err = markAt(f, end)
	}
	if err != nil {
		f.Close()
		return nil, Cursor{}, err
	}
	return out, Cursor{File: fi, Offset: end, f: f, mark: mark, since: since}, nil
}

// Hold returns a Cursor on the journal's file as it is now, kept open for
// TailFrom: a server that reads the journal back only when first needed
// still reads this file, though it is rotated (renamed or removed) before
// then. A journal not there yet gives the zero Cursor.
func (j *Journal) Hold() (Cursor, error) {
	f, fi, err := j.open()
	if errors.Is(err, fs.ErrNotExist) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, err
	}
	return Cursor{File: fi, f: f}, nil
}

// TailFrom is Tail, and After for tool, from held (see Hold), which it takes
// over: the held file is read back as Tail reads, and so are the files the
// journal was rotated to (see rotated) written at t or later, the held one
// among them in the order they were written; when the journal's file is no
// longer the one held, the file at the path is then read from its start,
// as After reads on. This Journal's own "sending" entries of tool come back
// among the others', as from AfterSends.
func (j *Journal) TailFrom(held Cursor, t time.Time, tool string, keep func(Entry) bool) ([]Entry, Cursor, error) {
	sel := selector{tool: tool, sends: true}
	if held.f == nil {
		return j.tail(t, sel, keep)
	}
	// held.File is the file as it was held: its size and modification
	// time now are read.
	now, err := held.f.Stat()
	if err != nil {
		now = held.File
	}
	at, err := os.Stat(j.path)
	if err != nil {
		at = nil
	}
	current := at != nil && os.SameFile(held.File, at)
	files := j.rotated(t.Add(-rotationSlack), held.File, at)
	split := len(files)
	for i, r := range files {
		if r.info.ModTime().After(now.ModTime()) {
			split = i
			break
		}
	}
	before, seen := j.tailFiles(files[:split], t, sel, keep)
	got, c, err := j.tailOf(held.f, held.File, now.Size(), t, sel, keep)
	if err != nil {
		return j.tail(t, sel, keep) // the held file lost, the path's is what there is
	}
	after, read := j.tailFiles(files[split:], t, sel, keep)
	out := slices.Concat(before, got, after)
	c.seen = seeing(seen, read...)
	if current {
		return out, c, nil
	}
	// What was rotated before the window was left out above: not read
	// whole by After either.
	if from := t.Add(-rotationSlack); c.since.Before(from) {
		c.since = from
	}
	rest, next, err := j.after(c, sel, keep)
	if err != nil {
		return out, c, nil // the rest is read next time
	}
	return append(out, rest...), next, nil
}

// After returns the entries of tool (of every tool when tool is "") other
// servers wrote that keep accepts (all when keep is nil), written after c,
// oldest first, and the Cursor after them. Lines of other tools are skipped
// unparsed: a tool idle while others were busy reads a lot at once.
// When the journal's file is no longer the one c is in (rotated, or removed
// and maybe written again), the rest of that one is read first, as c keeps
// it open, then the files the journal was rotated to (see rotated) written
// since c's read, whole, so that one rotated in and out again meanwhile is
// not missed, then the file at the path from its start; a journal not there
// has nothing new but those. At most the last maxScanBytes of a file are
// read.
func (j *Journal) After(c Cursor, tool string, keep func(Entry) bool) ([]Entry, Cursor, error) {
	return j.after(c, selector{tool: tool}, keep)
}

// AfterSends is After, with this Journal's own "sending" entries of tool
// among the others', where they were written: what other servers wrote
// before this server sent a call, and what after.
func (j *Journal) AfterSends(c Cursor, tool string, keep func(Entry) bool) ([]Entry, Cursor, error) {
	return j.after(c, selector{tool: tool, sends: true}, keep)
}

func (j *Journal) after(c Cursor, sel selector, keep func(Entry) bool) ([]Entry, Cursor, error) {
	at, err := os.Stat(j.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		at = nil
	case err != nil:
		return nil, c, fmt.Errorf("journal: %w", err)
	case !at.Mode().IsRegular():
		// One put in its place (a FIFO) could block the open.
		return nil, c, fmt.Errorf("journal: %s is not a regular file", j.path)
	}
	if c.f != nil && at != nil && os.SameFile(c.File, at) {
		return j.readOn(c, sel, keep)
	}
	var out []Entry
	prev := c
	if c.f != nil {
		rest, next, err := j.readOn(c, sel, keep)
		if err == nil && at == nil {
			// Kept: other servers may write to it until one writes the
			// journal at its path again.
			more, read := j.readRotated(prev.since, sel, keep, slices.Concat(prev.seen, []os.FileInfo{prev.File})...)
			next.seen = seeing(prev.seen, read...)
			return append(rest, more...), next, nil
		}
		c.f.Close()
		out, c = rest, Cursor{} // one that cannot be read is given up
	}
	var f *os.File
	var fi os.FileInfo
	if at != nil {
		// Opened before the rotated files are listed: one rotated aside
		// meanwhile is among them.
		f, fi, err = j.open()
	}
	more, read := j.readRotated(prev.since, sel, keep, slices.Concat(prev.seen, []os.FileInfo{prev.File, fi})...)
	out = append(out, more...)
	seen := seeing(prev.seen, append([]os.FileInfo{prev.File}, read...)...)
	if at == nil {
		c.seen, c.since = seen, prev.since
		return out, c, nil
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || out != nil {
			c.seen, c.since = seen, prev.since
			return out, c, nil // read next time
		}
		return nil, c, err
	}
	if c.File != nil && !os.SameFile(c.File, fi) {
		c = Cursor{}
	}
	c.File, c.f, c.seen = fi, f, seen
	kept, next, err := j.readOn(c, sel, keep)
	if err != nil {
		f.Close()
		c.f = nil
		if out != nil {
			return out, c, nil
		}
		return nil, c, err
	}
	return append(out, kept...), next, nil
}

// readRotated is After for sel from the start of each file the journal
// was rotated to that was written at since or later, but skip's, oldest
// first, and the files read.
func (j *Journal) readRotated(since time.Time, sel selector, keep func(Entry) bool, skip ...os.FileInfo) ([]Entry, []os.FileInfo) {
	if since.IsZero() {
		return nil, nil // no read to count from
	}
	var out []Entry
	read := eachRotated(j.rotated(since, skip...), func(f *os.File, fi os.FileInfo) error {
		got, _, err := j.readOn(Cursor{File: fi, f: f}, sel, keep)
		out = append(out, got...)
		return err
	})
	return out, read
}

// eachRotated calls read with each of files, the rotated files of the
// journal, open, in turn, and returns those read without error. One that
// cannot be opened, or was replaced since it was listed, is passed over.
func eachRotated(files []rotatedFile, read func(*os.File, os.FileInfo) error) []os.FileInfo {
	var done []os.FileInfo
	for _, r := range files {
		f, err := openRead(r.path)
		if err != nil {
			continue
		}
		if fi, err := f.Stat(); err == nil && os.SameFile(fi, r.info) && read(f, fi) == nil {
			done = append(done, fi)
		}
		f.Close()
	}
	return done
}

// recentOf is up to n of the newest entries of the rotated file r that keep
// accepts; none when it cannot be read.
func recentOf(r rotatedFile, n int, keep func(Entry) bool) []Entry {
	var out []Entry
	eachRotated([]rotatedFile{r}, func(f *os.File, fi os.FileInfo) error {
		var err error
		out, err = readBack(f, fi.Size(), keep, func(kept int, _ time.Time) bool { return kept < n })
		return err
	})
	return out[max(0, len(out)-n):]
}

// maxRotated bounds how many rotated files one read takes in: the newest.
const maxRotated = 8

type rotatedFile struct {
	path string
	info os.FileInfo
}

// rotated returns the files the journal was rotated to, as logrotate
// renames it aside, that were modified at since or later, but skip's,
// oldest first: the regular files beside its real file named as it is and
// then "." or "-" and more (journal.jsonl.1, journal.jsonl-20261203),
// other than its key, that start with an entry (not compressed).
func (j *Journal) rotated(since time.Time, skip ...os.FileInfo) []rotatedFile {
	dir, base := filepath.Split(realPath(j.path))
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []rotatedFile
	for _, d := range names {
		name := d.Name()
		rest, ok := strings.CutPrefix(name, base)
		if !ok || rest == "" || (rest[0] != '.' && rest[0] != '-') || strings.HasPrefix(rest, ".key") {
			continue
		}
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() || fi.ModTime().Before(since) || fi.Size() == 0 ||
			slices.ContainsFunc(skip, func(s os.FileInfo) bool { return s != nil && os.SameFile(s, fi) }) {
			continue
		}
		out = append(out, rotatedFile{path, fi})
	}
	slices.SortFunc(out, func(a, b rotatedFile) int {
		if c := a.info.ModTime().Compare(b.info.ModTime()); c != 0 {
			return c
		}
		// A coarse clock: logrotate's names tell the order. journal.jsonl.2
		// is older than journal.jsonl.1, journal.jsonl-20261201 than
		// journal.jsonl-20261202.
		x, xerr := strconv.Atoi(strings.TrimPrefix(filepath.Base(a.path), base+"."))
		y, yerr := strconv.Atoi(strings.TrimPrefix(filepath.Base(b.path), base+"."))
		if xerr == nil && yerr == nil {
			return cmp.Compare(y, x)
		}
		return strings.Compare(a.path, b.path)
	})
	// The newest that start as a journal does (not compressed, say).
	var newest []rotatedFile
	for i := len(out) - 1; i >= 0 && len(newest) < maxRotated; i-- {
		if startsWithEntry(out[i].path) {
			newest = append(newest, out[i])
		}
	}
	slices.Reverse(newest)
	return newest
}

// realPath is path with its symlinks resolved, also when the file a symlink
// leads to was renamed aside (rotated) and none is there yet: its folder
// then holds the rotated files.
func realPath(path string) string {
	for range 40 { // a loop of symlinks ends somewhere
		if p, err := filepath.EvalSymlinks(path); err == nil {
			return p
		}
		target, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return path
}

// startsWithEntry reports whether the file at path starts as a journal
// line does.
func startsWithEntry(path string) bool {
	f, err := openRead(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(`{"time":`))
	_, err = io.ReadFull(f, b)
	return err == nil && string(b) == `{"time":`
}

// readOn reads c's open file on from c's offset.
func (j *Journal) readOn(c Cursor, sel selector, keep func(Entry) bool) ([]Entry, Cursor, error) {
	began := time.Now()
	fi, err := c.f.Stat()
	if err != nil {
		return nil, c, fmt.Errorf("journal: %w", err)
	}
	size, start := fi.Size(), c.Offset
	if size < start || !holds(c.f, start, c.mark) {
		start, c.mark = 0, nil // emptied in place: all of it is new
	}
	whole := true // data starts where a line does
	if size-start > maxScanBytes {
		start, whole = size-maxScanBytes, false
	}
	data := make([]byte, size-start)
	n, err := c.f.ReadAt(data, start)
	if err != nil && err != io.EOF {
		return nil, c, fmt.Errorf("journal: read: %w", err)
	}
	data = data[:n]
	if !whole {
		i := bytes.IndexByte(data, '\n') // the end of a line cut by the bound (-1: none)
		data, start = data[i+1:], start+int64(i+1)
	}
	last := bytes.LastIndexByte(data, '\n') // a line still being written is read next time
	read := data[:last+1]
	out := j.others(read, sel, keep)
	next := Cursor{File: c.File, Offset: start + int64(len(read)), f: c.f, mark: c.mark,
		since: readSince(began, fi), seen: c.seen}
	switch {
	case len(read) >= markBytes:
		next.mark = bytes.Clone(read[len(read)-markBytes:])
	case !whole:
		if next.mark, err = markAt(c.f, next.Offset); err != nil {
			return nil, c, err
		}
	case len(read) > 0: // after what c's mark held, or from the start
		prev := c.mark[max(0, len(c.mark)-(markBytes-len(read))):]
		next.mark = append(bytes.Clone(prev), read...)
	}
	return out, next, nil
}

// selector picks the lines After reads: other servers' entries of tool (of
// any when ""), and, with sends, this server's own "sending" entries of it,
// where they were written.
type selector struct {
	tool  string
	sends bool
}

// ownSend reports whether sel picks e, an entry of this server's.
func (sel selector) ownSend(e Entry) bool {
	return sel.sends && e.Outcome == OutcomeSending && (sel.tool == "" || e.Tool == sel.tool)
}

// others parses the lines of data sel picks, and returns the entries keep
// accepts (own "sending" entries, always).
func (j *Journal) others(data []byte, sel selector, keep func(Entry) bool) []Entry {
	var out []Entry
	own := []byte(`"server":"` + j.server + `"`)
	sending := []byte(`"outcome":"` + OutcomeSending + `"`)
	var of []byte
	if sel.tool != "" {
		of, _ = json.Marshal(sel.tool)
		of = append([]byte(`"tool":`), of...)
	}
	ofTool := func(e Entry) bool { return (sel.tool == "" || e.Tool == sel.tool) && (keep == nil || keep(e)) }
	mine := func(e Entry) bool { return e.Server == j.server && sel.ownSend(e) }
	for line := range bytes.Lines(data) {
		// Of a line another write was fused to, the last entry counts, as
		// in parse; a string in JSON holds no bare quote, so own and of are
		// the fields.
		last := line[max(0, bytes.LastIndex(line, []byte(`{"time":`))):]
		switch {
		case !bytes.Contains(last, own):
			if of == nil || bytes.Contains(last, of) {
				kept, _ := parse(line, ofTool)
				out = append(out, kept...)
			}
		case sel.sends && bytes.Contains(last, sending) && (of == nil || bytes.Contains(last, of)):
			kept, _ := parse(line, mine)
			out = append(out, kept...)
		}
	}
	return out
}

// markAt is f's bytes just before offset, a Cursor's mark.
func markAt(f *os.File, offset int64) ([]byte, error) {
	mark := make([]byte, min(offset, markBytes))
	if _, err := f.ReadAt(mark, offset-int64(len(mark))); err != nil && err != io.EOF {
		return nil, fmt.Errorf("journal: read: %w", err)
	}
	return mark, nil
}

// holds reports whether f still has mark just before offset.
func holds(f *os.File, offset int64, mark []byte) bool {
	if len(mark) == 0 {
		return true
	}
	b := make([]byte, len(mark))
	n, err := f.ReadAt(b, offset-int64(len(mark)))
	return n == len(b) && (err == nil || err == io.EOF) && bytes.Equal(b, mark)
}

// maxScanBytes bounds how far back the journal is read.
const maxScanBytes = 16 << 20

// open opens the journal's file for reading.
func (j *Journal) open() (*os.File, os.FileInfo, error) {
	// Open refused anything else; one put in its place since (a FIFO) could
	// block the open.
	if fi, err := os.Stat(j.path); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("journal: %s is not a regular file", j.path)
	}
	f, err := openRead(j.path)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	return f, fi, nil
}

// lastLineEnd is the offset after the last newline of f before size (0: none
// within maxScanBytes).
func lastLineEnd(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0 && size-end < maxScanBytes; {
		start := max(0, end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil && err != io.EOF {
			return 0, fmt.Errorf("journal: read: %w", err)
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// readBack reads f before end from there back, a chunk at a time, while
// more says to go on, given how many entries keep accepted so far and the
// oldest time read (zero while none). Lines that do not parse (a torn
// write) are skipped.
func readBack(f *os.File, end int64, keep func(Entry) bool, more func(kept int, oldest time.Time) bool) ([]Entry, error) {
	size := end
	var out []Entry
	var oldest time.Time
	var carry []byte // the start of a line cut by the chunk read after it
	for end > 0 && size-end < maxScanBytes {
		start := max(0, end-tailBytes)
		data := make([]byte, end-start, end-start+int64(len(carry)))
		if _, err := f.ReadAt(data, start); err != nil && err != io.EOF {
			return nil, fmt.Errorf("journal: read: %w", err)
		}
		data = append(data, carry...)
		carry = nil
		if start > 0 { // the first line is probably cut: read it whole with the chunk before
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				carry, end = data, start
				continue
			}
			carry, data = data[:i], data[i+1:]
		}
		kept, first := parse(data, keep)
		out = append(kept, out...)
		if !first.IsZero() && (oldest.IsZero() || first.Before(oldest)) {
			oldest = first
		}
		end = start
		if !more(len(out), oldest) {
			break
		}
	}
	return out, nil
}

// parse returns the entries of data that keep accepts, and the oldest time
// of any entry in it.
func parse(data []byte, keep func(Entry) bool) (out []Entry, oldest time.Time) {
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		var e Entry
		ok := json.Unmarshal(line, &e) == nil
		if i := bytes.LastIndex(line, []byte(`{"time":`)); !ok && i > 0 {
			// Another process's write cut short, with this process's entry
			// appended to the fragment: every entry starts with its time.
			e = Entry{}
			ok = json.Unmarshal(line[i:], &e) == nil
		}
		if !ok || e.Provider == "" {
			continue
		}
		if end := e.End(); oldest.IsZero() || end.Before(oldest) {
			oldest = end
		}
		if keep == nil || keep(e) {
			out = append(out, e)
		}
	}
	return out, oldest
}

// Secret is the journal's own random key, kept in <path>.key beside it and
// shared by every server on that journal. A hash written into the journal is
// keyed with it (HMAC), so that the journal alone confirms no guess of what
// the hash covers. It is made on first use; a failure is tried again on the
// next call (a full disk may be freed). Once made or read, it is this
// server's for good, and written back if its file is removed; an error then
// says that servers started later will not know the entries keyed with it.
func (j *Journal) Secret() ([]byte, error) {
	j.secretMu.Lock()
	defer j.secretMu.Unlock()
	path := secretPath(j.path)
	before, _ := os.Stat(path)
	if j.secret != nil {
		if j.keyFile != nil && path == j.keyPath && sameState(before, j.keyFile) {
			return j.secret, nil
		}
		err := j.keepSecret(path, os.Link)
		j.noteKeyFile(path, before, err)
		return j.secret, err
	}
	secret, err := loadSecret(path, os.Link)
	if err != nil {
		return nil, err
	}
	j.secret = secret
	j.noteKeyFile(path, before, nil)
	return secret, nil
}

// noteKeyFile keeps the key file's state for the next Secret when it was
// found holding the secret (err nil), did not change while it was read (the
// same before the read and after it), and was last changed more than
// racyKeyAge ago: a file made in its place later then has a later
// modification time, however coarse the filesystem's clock (a file removed
// and made again may get the same inode number).
func (j *Journal) noteKeyFile(path string, before os.FileInfo, err error) {
	j.keyFile = nil
	after, serr := os.Stat(path)
	if err == nil && serr == nil && sameState(before, after) && time.Since(after.ModTime()) > racyKeyAge {
		j.keyFile, j.keyPath = after, path
	}
}

// racyKeyAge is more than the coarsest modification-time step of the
// filesystems a journal may be on (FAT's is 2 s).
const racyKeyAge = 3 * time.Second

// sameState reports whether a and b are one file, unchanged in size and
// modification time; false when either is nil.
func sameState(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// keepSecret checks that the key file at path still holds j.secret, which
// stays this server's whatever became of the file: the entries it read back
// are keyed with it. A file removed while this server runs (with the
// journal's directory, say) is written back, or a server started later would
// make another key and match none of the entries keyed with this one. It
// never makes a new key. link is os.Link (see makeSecret).
func (j *Journal) keepSecret(path string, link func(oldname, newname string) error) error {
	for attempt := 0; ; attempt++ {
		b, err := readFile(path)
		switch {
		case err == nil && len(b) < secretSize && attempt < 20 && justWritten(path):
			// Being written in place by another server (see putSecret).
			time.Sleep(10 * time.Millisecond)
			continue
		case err == nil && !bytes.Equal(b, j.secret):
			return fmt.Errorf("journal: %s no longer holds this server's key (another server made a new one, or it was changed)", path)
		case err == nil:
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("journal: this server's key: %w", err)
		case attempt > 0 && lexists(path):
			return fmt.Errorf("journal: %s exists but cannot be read (a dangling symlink?): remove it, and this server's key is put back", path)
		case attempt >= 20:
			return fmt.Errorf("journal: %s keeps disappearing: this server's key could not be put back", path)
		}
		// Missing: put back, unless another server put one there first;
		// then read that one.
		if put, err := putSecret(path, j.secret, link); err != nil || put {
			return err
		}
	}
}

const secretSize = 32

// readFile reads the file at path whole, as os.ReadFile, opened as the
// journal is (on Windows, so that another server can remove the temporary
// name of a key it links into place while this one reads it).
func readFile(path string) ([]byte, error) {
	f, err := openRead(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// lexists reports whether path names anything, a symlink leading nowhere
// included.
func lexists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// secretPath is where the secret of the journal at path lives: beside its
// real file, so that a journal reached through a symlink shares it.
func secretPath(path string) string {
	return realPath(path) + ".key"
}

// loadSecret reads the secret at path, made with makeSecret when missing.
func loadSecret(path string, link func(oldname, newname string) error) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		b, err := readFile(path)
		switch {
		case err == nil && len(b) == secretSize:
			return b, nil
		case err == nil && attempt < 20 && justWritten(path):
			// Being written in place by another server (see makeSecret).
			time.Sleep(10 * time.Millisecond)
			continue
		case err == nil:
			return nil, fmt.Errorf("journal: %s holds %d bytes, want %d: remove it, and a new one is made", path, len(b), secretSize)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("journal: %w", err)
		case attempt > 0:
			// Made by another server, yet missing: a name that exists but
			// leads nowhere.
			return nil, fmt.Errorf("journal: %s exists but cannot be read (a dangling symlink?): remove it", path)
		}
		key, err := makeSecret(path, link)
		if key != nil || err != nil {
			return key, err
		}
		// Another server made it first: read that one.
	}
}

// justWritten reports whether the file at path changed within the last
// second (one dated in the future, by a clock set back, did not).
func justWritten(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	age := time.Since(fi.ModTime())
	return age >= 0 && age < time.Second
}

// makeSecret writes a new secret at path and returns it, or nil when path
// exists already. link is os.Link; a filesystem without hard links makes it
// fail, and tests stand in for one.
func makeSecret(path string, link func(oldname, newname string) error) ([]byte, error) {
	key := make([]byte, secretSize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	if put, err := putSecret(path, key, link); !put || err != nil {
		return nil, err
	}
	return key, nil
}

// putSecret writes key at path unless path exists, and reports whether it
// did.
func putSecret(path string, key []byte, link func(oldname, newname string) error) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("journal: %w", err)
	}
	// Written whole under another name, then linked into place: a server
	// starting beside this one reads no file or all of it, and the first
	// link wins.
	if tmp, err := os.CreateTemp(dir, ".journal-key-*"); err == nil {
		defer os.Remove(tmp.Name())
		_, werr := tmp.Write(key)
		serr := tmp.Sync()
		if errors.Join(werr, serr, tmp.Close()) == nil {
			switch err := link(tmp.Name(), path); {
			case err == nil:
				syncDir(dir)
				return true, nil
			case errors.Is(err, fs.ErrExist):
				return false, nil
			}
		}
	}
	// No hard links here: written in place, where a reader may find it
	// short for a moment (loadSecret reads again).
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("journal: %w", err)
	}
	_, werr := f.Write(key)
	serr := f.Sync()
	if err := errors.Join(werr, serr, f.Close()); err != nil {
		os.Remove(path)
		return false, fmt.Errorf("journal: %w", err)
	}
	syncDir(dir)
	return true, nil
}

// Close closes the file; later Records fail.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// Settled drops every "sending" entry whose call has a later entry: what
// is left of it is the outcome. A "sending" entry that stays is a call whose
// outcome was never recorded.
func Settled(entries []Entry) []Entry {
	ended := map[string]bool{}
	for _, e := range entries {
		if e.Call != "" && e.Outcome != OutcomeSending {
			ended[e.Call] = true
		}
	}
	out := entries[:0:0]
	for _, e := range entries {
		if e.Outcome == OutcomeSending && ended[e.Call] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// clip cuts s to at most max bytes on a character boundary, marking the cut.
func clip(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// reopenIfMoved opens j.path again when the open file is no longer the one
// at that path (deleted, or moved aside): entries written to it would be in
// no file the journal resource, or a person, reads. A file deleted but kept
// until closed (on some Windows filesystems) is no longer the journal
// either; while it blocks its path, the open fails and the entry is reported
// unwritten, rather than written to a file about to go.
func (j *Journal) reopenIfMoved() error {
	open, err := j.f.Stat()
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if at, err := os.Stat(j.path); err == nil && os.SameFile(open, at) && !deletePending(j.f) {
		return nil
	}
	nj, err := Open(j.path)
	if err != nil {
		return err
	}
	j.f.Close()
	j.f, j.torn = nj.f, false
	return nil
}

// End is when the entry's call ended, as far as it had when written.
func (e Entry) End() time.Time { return e.Time.Add(time.Duration(e.DurationMS) * time.Millisecond) }
