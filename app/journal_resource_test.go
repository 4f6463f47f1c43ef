package app

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
)

// TestJournalResourceOnlyWhereItTellsTheWholeStory: the resource is served
// where it lists every create the caller could have made. Callers with keys
// of their own must not see each other's agents, and a stateless replica
// knows only the creates that reached it: a model reading "no such agent"
// there would create a second one.
func TestJournalResourceOnlyWhereItTellsTheWholeStory(t *testing.T) {
	cases := []struct {
		name  string
		cfg   Config
		serve bool
	}{
		{"stdio", Config{Transport: TransportStdio}, true},
		{"http", Config{Transport: TransportHTTP}, true},
		{"http with header credentials", Config{Transport: TransportHTTP, HeaderCredentials: true}, false},
		{"stateless http", Config{Transport: TransportHTTP, Stateless: true}, false},
		{"stdio given --stateless, which it ignores", Config{Transport: TransportStdio, Stateless: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jr, err := journal.Open(filepath.Join(t.TempDir(), "journal.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer jr.Close()
			c.cfg.Timeout, c.cfg.Version = DefaultTimeout, "test"
			s, err := NewServer(c.cfg, providers.MapEnv(nil), jr, providers.NewClient("agentmcp/test"), zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			handle := messageHandler(t, s)
			init := handle(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`)
			read := handle(`{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"` + JournalURI + `"}}`)
			if served := strings.Contains(read, `entries`); served != c.serve {
				t.Errorf("journal resource served %v, want %v: %.200s", served, c.serve, read)
			}
			if told := strings.Contains(init, JournalURI); told != c.serve {
				t.Errorf("instructions name the journal resource %v, want %v: %.300s", told, c.serve, init)
			}
		})
	}
}

// TestInstructionsTellOfDedupeOnlyWhenOn: a model told that a repeat returns
// the earlier agent knows what already_created means, and how to make a
// second agent on purpose.
func TestInstructionsTellOfDedupeOnlyWhenOn(t *testing.T) {
	for _, window := range []time.Duration{0, DefaultDedupeWindow} {
		cfg := Config{Transport: TransportStdio, Timeout: DefaultTimeout, Version: "test", Journal: JournalOff, DedupeWindow: window}
		s, err := NewServer(cfg, providers.MapEnv(nil), nil, providers.NewClient("agentmcp/test"), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(s.MCP.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`)))
		if err != nil {
			t.Fatal(err)
		}
		if told := strings.Contains(string(b), "already_created"); told != (window > 0) {
			t.Errorf("window %s: instructions tell of already_created %v: %s", window, told, b)
		}
	}
}

// With no home directory to put the default journal in (a service account,
// an env-less spawn), the error says how to go on.
func TestNoDefaultJournalSaysWhatToDo(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("USERPROFILE", "") // Windows
	_, err := openJournal(Config{Transport: TransportStdio}, providers.MapEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "--journal PATH, or --journal off") {
		t.Errorf("err = %v, want it to say to set --journal", err)
	}
}
