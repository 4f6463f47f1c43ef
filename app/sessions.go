package app

import (
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// maxEndedSessions bounds how many ended session ids are remembered.
const maxEndedSessions = 10_000

// sessionIDs is mcp-go's default session-id manager, which checks an id by
// its form only (so a restarted server still accepts it), plus a memory of
// the ids clients ended with DELETE: the spec wants 404 for those, and the
// default manager forgot them and kept serving. It also counts each
// session's requests in progress: mcp-go's idle sweeper sees only when a
// request began, and would end a session in the middle of a long call or
// an open stream.
type sessionIDs struct {
	server.StatelessGeneratingSessionIdManager
	mu       sync.Mutex
	ended    recentSet      // the ids clients ended, up to maxEndedSessions
	busy     map[string]int // requests in progress other than DELETE
	deleting map[string]int // DELETEs in progress
}

func newSessionIDs() *sessionIDs {
	return &sessionIDs{ended: newRecentSet(maxEndedSessions), busy: map[string]int{}, deleting: map[string]int{}}
}

// Validate implements server.SessionIdManager.
func (m *sessionIDs) Validate(id string) (isTerminated bool, err error) {
	if _, err := m.StatelessGeneratingSessionIdManager.Validate(id); err != nil {
		return false, err
	}
	return m.isEnded(id), nil
}

// Terminate implements server.SessionIdManager. An id of the wrong form is
// left alone: there is no such session to end. Neither is a session with a
// request in progress that no DELETE asks to end: the idle sweeper ends it
// (mcp-go drops its state all the same), and its client's next request is
// served as after a restart rather than refused.
func (m *sessionIDs) Terminate(id string) (isNotAllowed bool, err error) {
	if _, err := m.StatelessGeneratingSessionIdManager.Validate(id); err != nil {
		return false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.busy[id] > 0 && m.deleting[id] == 0 {
		return false, nil
	}
	m.ended.add(id)
	return false, nil
}

// check answers what mcp-go answers otherwise than the spec: 404 to a GET or
// DELETE in an ended session (mcp-go asks Validate for a POST only, so a GET
// would open a stream in it and a second DELETE succeed) and to a GET or
// DELETE of an id not of the server's form, and 400 to a GET or DELETE
// without a session id and to a POST without one that is not initialize
// (mcp-go's 404 tells a client its session ended and to initialize again).
// m may be nil (no sessions), and then nothing is checked.
func (m *sessionIDs) check(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(server.HeaderKeySessionID)
		getOrDelete := r.Method == http.MethodGet || r.Method == http.MethodDelete
		// Protocol 2026-07-28 has no sessions; its requests carry none.
		modern := mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion))
		switch {
		case id != "" && getOrDelete && m.isEnded(id):
			http.Error(w, "Session terminated", http.StatusNotFound)
			return
		case id == "" && r.Method == http.MethodPost && !modern && !startsSession(r):
			http.Error(w, "Bad Request: Mcp-Session-Id header is required; send initialize first", http.StatusBadRequest)
			return
		case id == "" && getOrDelete && !modern:
			// mcp-go answers a DELETE 200, and a client would believe it
			// ended a session; a GET it gives a stream in a session it
			// makes up and tells no one of.
			http.Error(w, "Bad Request: Mcp-Session-Id header is required", http.StatusBadRequest)
			return
		case id != "" && getOrDelete && !m.wellFormed(id):
			http.Error(w, "Session not found", http.StatusNotFound)
			return
		}
		if id != "" {
			count := m.busy
			if r.Method == http.MethodDelete {
				count = m.deleting
			}
			m.add(count, id, 1)
			defer m.add(count, id, -1)
		}
		next.ServeHTTP(w, r)
	})
}

// add changes id's count in count (m.busy or m.deleting) by n.
func (m *sessionIDs) add(count map[string]int, id string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if count[id] += n; count[id] <= 0 {
		delete(count, id)
	}
}

// startsSession reports whether the POST r may come without a session id:
// an initialize, or a body mcp-go must answer itself (unreadable, not a
// single message). The body is left for the next handler.
func startsSession(r *http.Request) bool {
	if r.Body == nil {
		return true
	}
	body, err := readBody(r)
	method, ok := methodOf(body)
	return err != nil || !ok || method == string(mcp.MethodInitialize)
}

// wellFormed reports whether id could be a session of this server (any
// server of the same build: ids are checked by their form).
func (m *sessionIDs) wellFormed(id string) bool {
	_, err := m.StatelessGeneratingSessionIdManager.Validate(id)
	return err == nil
}

func (m *sessionIDs) isEnded(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ended.has(id)
}
