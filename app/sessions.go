package app

import (
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/server"
)

// maxEndedSessions bounds how many ended session ids are remembered.
const maxEndedSessions = 10_000

// sessionIDs is mcp-go's default session-id manager, which checks an id by
// its form only (so a restarted server still accepts it), plus a memory of
// the ids clients ended with DELETE: the spec wants 404 for those, and the
// default manager forgot them and kept serving.
type sessionIDs struct {
	server.StatelessGeneratingSessionIdManager
	mu    sync.Mutex
	ended map[string]bool
	ring  []string // the remembered ids, oldest overwritten first
	next  int
}

func newSessionIDs() *sessionIDs {
	return &sessionIDs{ended: map[string]bool{}, ring: make([]string, maxEndedSessions)}
}

// Validate implements server.SessionIdManager.
func (m *sessionIDs) Validate(id string) (isTerminated bool, err error) {
	if _, err := m.StatelessGeneratingSessionIdManager.Validate(id); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ended[id], nil
}

// Terminate implements server.SessionIdManager. An id of the wrong form is
// left alone: there is no such session to end.
func (m *sessionIDs) Terminate(id string) (isNotAllowed bool, err error) {
	if _, err := m.StatelessGeneratingSessionIdManager.Validate(id); err != nil {
		return false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ended[id] {
		return false, nil
	}
	delete(m.ended, m.ring[m.next])
	m.ring[m.next] = id
	m.next = (m.next + 1) % len(m.ring)
	m.ended[id] = true
	return false, nil
}

// refuseEnded answers 404 to a GET or DELETE in an ended session. mcp-go asks
// Validate for a POST only: a GET would open a stream in the ended session
// (and bring it back), a second DELETE would succeed. m may be nil (no
// sessions), and then nothing is refused.
func (m *sessionIDs) refuseEnded(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodDelete {
			if id := r.Header.Get(server.HeaderKeySessionID); id != "" && m.isEnded(id) {
				http.Error(w, "Session terminated", http.StatusNotFound)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (m *sessionIDs) isEnded(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ended[id]
}
