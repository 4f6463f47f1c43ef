package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/tools"
)

// JournalURI is the resource that lists recent create attempts.
const JournalURI = "agentmcp://journal/recent"

// journalRecent is how many entries the resource returns.
const journalRecent = 50

const instructions = "agentmcp creates AI agents on vendor platforms, one create_agent_<provider> tool per vendor. " +
	"Each call creates a new agent: call once per agent wanted, and use dry_run to preview first."

// dedupeInstructions are added when --dedupe-window is on.
const dedupeInstructions = " A call identical to a recent create returns that agent, marked already_created, not a second one (after an unknown outcome, that outcome); to make another on purpose, change an argument such as the name."

// journalInstructions are added when the journal resource exists.
const journalInstructions = " If a result was lost or said the outcome is unknown, read the resource " + JournalURI + " before calling again."

// Server is a configured MCP server and what it was built from.
type Server struct {
	MCP     *server.MCPServer
	Tools   []*tools.Tool
	Journal *journal.Journal // nil when off
	Log     zerolog.Logger

	ending    chan struct{}
	endOnce   sync.Once
	abort     chan struct{}
	abortOnce sync.Once
	early     *earlyCancels // over stdio: requests cancelled before they started
	drain     *stdioDrain   // over stdio: the end of stdin waits for queued calls
}

// EndSession tells in-flight calls the session is ending: a call cancelled
// from now on finishes (bounded by the shutdown timeout) instead of aborting.
func (s *Server) EndSession() {
	s.endOnce.Do(func() { close(s.ending) })
}

// AbortCalls cuts off every vendor request still running, those of calls
// cancelled earlier included: the server stops waiting for them.
func (s *Server) AbortCalls() {
	s.abortOnce.Do(func() { close(s.abort) })
}

// NewServer builds the MCP server for cfg. env supplies vendor settings and credentials.
func NewServer(cfg Config, env providers.Env, jr *journal.Journal, client *providers.Client, log zerolog.Logger) (*Server, error) {
	selected, err := SelectProviders(cfg.Providers)
	if err != nil {
		return nil, err
	}
	deps := tools.Deps{
		Client:            client,
		Env:               env,
		HeaderCredentials: cfg.HeaderCredentials,
		DryRunOnly:        cfg.DryRun,
		Timeout:           cfg.Timeout,
		DedupeWindow:      cfg.DedupeWindow,
		Logger:            log,
		DrainTimeout:      cfg.ShutdownTimeout,
	}
	ending, abort := make(chan struct{}), make(chan struct{})
	deps.Abort = abort
	if cfg.Transport == TransportStdio {
		// Over HTTP a cancelled request is a client that went away or gave
		// up; shutdown there gives calls their grace period by itself.
		deps.Ending = ending
	}
	if cfg.Transport == TransportHTTP {
		deps.ProgressPause = progressPause
	}
	if jr != nil {
		deps.Journal = jr
	}
	ts, err := BuildTools(selected, env, deps)
	if err != nil {
		return nil, err
	}
	// The journal is kept but not served where it cannot tell a caller the
	// whole story: with per-request credentials the server is shared by
	// accounts that must not see each other's agents, and a stateless
	// replica knows only the creates that reached it (a model told "no such
	// agent" would create it again). --stateless means nothing over stdio.
	serveJournal := jr != nil && !cfg.HeaderCredentials && !(cfg.Stateless && cfg.Transport == TransportHTTP)
	opts := []server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithTitle("agentmcp"),
	}
	var early *earlyCancels
	var drain *stdioDrain
	if cfg.Transport == TransportStdio {
		early, drain = newEarlyCancels(), newStdioDrain()
		hooks := &server.Hooks{}
		hooks.AddOnRequestInitialization(drain.hook) // first: the marker is no request to refuse or count
		hooks.AddOnRequestInitialization(early.refuse)
		hooks.AddBeforeCallTool(early.cancelStarted)
		opts = append(opts, server.WithHooks(hooks))
	}
	told := instructions
	if cfg.DedupeWindow > 0 {
		told += dedupeInstructions
	}
	if serveJournal {
		told += journalInstructions
		opts = append(opts, server.WithResourceCapabilities(false, false))
	}
	opts = append(opts, server.WithInstructions(told))
	s := server.NewMCPServer("agentmcp", cfg.Version, opts...)
	if early != nil {
		early.server = s
	}
	for _, t := range ts {
		s.AddTools(t.ServerTool())
	}
	if serveJournal {
		s.AddResource(mcp.NewResource(JournalURI, "Recent agent creations",
			mcp.WithResourceDescription(fmt.Sprintf("The last %d create attempts (previews left out) with outcome and agent id; no secrets, no prompts. Read it to find an agent whose tool result was lost. "+
				"Outcomes: created; failed and not_sent (no agent); unknown (the agent may exist: look before creating again); "+
				"sending (sent, no outcome recorded yet: still running in this or another agentmcp on the same journal, or that process stopped; the agent may exist).", journalRecent)),
			mcp.WithMIMEType("application/json")),
			func(ctx context.Context, _ mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				// Previews created nothing; they would crowd out the creates
				// an assistant comes here to find.
				entries, err := jr.RecentWhere(2*journalRecent, func(e journal.Entry) bool { return !e.DryRun })
				if err != nil {
					return nil, fmt.Errorf("read journal: %w", err)
				}
				// A call's "sending" entry is replaced by its outcome; one left
				// alone is a call still running, or cut short before its
				// outcome was known.
				entries = journal.Settled(entries)
				entries = entries[max(0, len(entries)-journalRecent):]
				for i := range entries {
					// The dedupe key and the server's id tell a reader nothing.
					entries[i].Repeat, entries[i].Server = "", ""
				}
				if entries == nil {
					entries = []journal.Entry{}
				}
				b, err := json.Marshal(map[string]any{"entries": entries})
				if err != nil {
					return nil, err
				}
				return []mcp.ResourceContents{mcp.TextResourceContents{URI: JournalURI, MIMEType: "application/json", Text: string(b)}}, nil
			})
	}
	return &Server{MCP: s, Tools: ts, Journal: jr, Log: log, ending: ending, abort: abort, early: early, drain: drain}, nil
}

// LogStartup writes one line naming the enabled tools and where each
// credential comes from (env, file, header or unset), never a value.
func (s *Server) LogStartup(cfg Config, where string) {
	var names []string
	creds := zerolog.Dict()
	for _, t := range s.Tools {
		names = append(names, t.Tool.Name)
		for _, c := range t.Credentials {
			src := string(c.Source)
			if src == "" {
				src = "unset"
			}
			creds.Str(c.Env, src)
		}
	}
	ev := s.Log.Info().Str("version", cfg.Version).Str("transport", cfg.Transport).
		Str("tools", strings.Join(names, ",")).Dict("credentials", creds).Bool("dry_run", cfg.DryRun)
	if s.Journal != nil {
		ev = ev.Str("journal", s.Journal.Path())
	} else {
		ev = ev.Str("journal", JournalOff)
	}
	if where != "" {
		ev = ev.Str("listen", where)
	}
	ev.Msg("agentmcp started")
	if cfg.Transport == TransportStdio && len(cfg.HTTPOnly) > 0 {
		s.Log.Warn().Strs("settings", cfg.HTTPOnly).Msg("settings for --transport http only are ignored over stdio")
	}
}
