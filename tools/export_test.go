package tools

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// WaitForIdenticalCall waits until a call waits for an identical one in
// progress (its goroutine is blocked in repeats.do).
func WaitForIdenticalCall(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for range 5000 {
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if lines := strings.SplitN(g, "\n", 3); len(lines) > 1 && strings.Contains(lines[0], "[select") &&
				strings.HasPrefix(lines[1], "github.com/agentmcp/agentmcp/tools.(*repeats).do(") {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no call waited for an identical one")
}

// ResultText joins a result's text contents, for the tests outside the
// package.
var ResultText = resultText
