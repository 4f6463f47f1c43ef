package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentmcp/agentmcp/providers"
)

// TestEveryPipedCallIsAnswered: a script that pipes many calls in and
// closes stdin (printf ... | agentmcp) gets an answer to each. mcp-go stops
// its workers at the end of input, and calls still queued then got none.
func TestEveryPipedCallIsAnswered(t *testing.T) {
	var in strings.Builder
	in.WriteString(initBody + "\n")
	in.WriteString(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	const calls = 40 // more than the workers: most wait in mcp-go's queue
	for i := 2; i < 2+calls; i++ {
		fmt.Fprintf(&in, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"agent %d","dry_run":true}}}`+"\n", i, i)
	}
	in.WriteString(`{"jsonrpc":"2.0","id":99,"method":"ping"}`) // the last line without its newline
	cfg := Config{Transport: TransportStdio, Providers: []string{"datagrid"}, Timeout: 10 * time.Second, LogLevel: "disabled", Journal: JournalOff, Version: "test"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		var out lockedBuffer
		if err := Run(context.Background(), cfg, providers.MapEnv(nil), strings.NewReader(in.String()), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if n := strings.Count(got, `{"jsonrpc":"2.0","id":`); n != calls+2 {
			t.Fatalf("round %d: %d answers to %d requests piped in", round, n, calls+2)
		}
		if strings.Contains(got, "agentmcp-drain") || strings.Contains(got, `"id":null`) {
			t.Fatalf("round %d: stdout shows more than the answers:\n%s", round, got)
		}
	}
}

// lockedBuffer is a bytes.Buffer written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
