// Package tools adapts any providers.Provider to an MCP tool: the input schema
// reflected from the provider's request struct plus dry_run, strict decoding
// and validation, dry-run previews, the vendor call, the journal entry, and
// results and errors a model can act on.
package tools

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/invopop/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/journal"
	"github.com/agentmcp/agentmcp/providers"
	"github.com/agentmcp/agentmcp/schemas"
)

// Prefix starts every tool name.
const Prefix = "create_agent_"

// Recorder stores the outcome of every create attempt (see package journal).
type Recorder interface {
	Record(journal.Entry) error
}

// Deps is what every tool shares.
type Deps struct {
	Client *providers.Client
	Env    providers.Env // credentials from env and <VAR>_FILE
	// HeaderCredentials takes credentials only from the HTTP request's
	// allowlisted headers, never from the server's environment.
	HeaderCredentials bool
	DryRunOnly        bool          // --dry-run: every call previews
	Timeout           time.Duration // per call, retries included
	Journal           Recorder      // nil: no journal
	Logger            zerolog.Logger
	// Ending is closed when the session is ending (stdin closed, or the
	// server told to stop): calls start no new attempt, and one the vendor
	// already has is followed for up to DrainTimeout, so that its outcome
	// reaches the journal rather than "unknown". nil: no session ends.
	Ending       <-chan struct{}
	DrainTimeout time.Duration
	// Abort, when closed, cuts off every vendor request still running, those
	// of calls cancelled earlier included (the server stops waiting).
	Abort <-chan struct{}
	// DedupeWindow is how long a created agent, or an unknown outcome,
	// answers a call identical to the one that ended so, instead of a second
	// create; a call identical to one in progress waits for its outcome. 0:
	// every call is sent.
	DedupeWindow time.Duration
	// ProgressPause is a short wait after the last progress notification so the
	// streamable HTTP transport delivers it before the result (mcp-go drops a
	// trailing notification otherwise).
	ProgressPause time.Duration
	// ProgressHeartbeat overrides defaultProgressHeartbeat (tests).
	ProgressHeartbeat time.Duration
}

// CredentialStatus tells, for the startup log, where a credential comes from.
type CredentialStatus struct {
	Env    string
	Source providers.Source // "" when unset
}

// Tool is one registered create-agent tool.
type Tool struct {
	Slug        string
	Descriptor  providers.Descriptor
	Tool        mcp.Tool
	Handler     server.ToolHandlerFunc
	Credentials []CredentialStatus
}

// ServerTool returns the tool in the form mcp-go registers.
func (t *Tool) ServerTool() server.ServerTool {
	return server.ServerTool{Tool: t.Tool, Handler: t.Handler}
}

// adapter holds one provider's tool state.
type adapter[T any] struct {
	p           providers.Provider[T]
	desc        providers.Descriptor
	name        string
	deps        Deps
	envCreds    providers.Credentials
	keyFiles    bool                                  // some key is named by a <VAR>_FILE, read again on every call
	lastCreds   atomic.Pointer[providers.Credentials] // the keys read last, when keyFiles
	envRedactor providers.Redactor                    // masks envCreds, built once: they never change without keyFiles
	validator   *validator
	repeats     *repeats // nil: every call is sent
	// journalSecret keys the repeat hashes the journal keeps (nil: none
	// are kept), over journalScope, the tool and its provider's settings.
	journalSecret func() []byte
	journalScope  string
	log           zerolog.Logger // deps.Logger with the tool's name
}

// New builds the MCP tool for p.
func New[T any](p providers.Provider[T], deps Deps) (*Tool, error) {
	desc := p.Describe()
	name := Prefix + desc.Slug
	in, ok := schemas.Committed(name)
	if !ok {
		var err error
		if in, err = InputSchema[T](); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	a := &adapter[T]{p: p, desc: desc, name: name, deps: deps, validator: newValidator(name, in),
		repeats: newRepeats(deps.DedupeWindow), log: deps.Logger.With().Str("tool", name).Logger()}
	if a.repeats != nil {
		a.repeats.ending = deps.Ending
	}
	if jr, ok := deps.Journal.(JournalReader); ok && a.repeats != nil {
		a.journalScope = name
		for _, st := range desc.Settings {
			// As the provider reads it: a URL with a trailing slash is the same.
			a.journalScope += "\x00" + st.Env + "=" + strings.TrimRight(deps.Env.Get(st.Env, st.Default), "/")
		}
		var warned atomic.Bool
		a.journalSecret = func() []byte {
			secret, err := jr.Secret()
			if err != nil && !warned.Swap(true) {
				a.log.Warn().Err(err).Msg("journal key unusable (tried again on every create): other servers on the journal, and one started later, will not know this one's creates")
			}
			return secret
		}
		a.repeats.follow = a.follower(jr)
	}
	if deps.Client == nil {
		return nil, fmt.Errorf("%s: no HTTP client", name)
	}
	if !deps.HeaderCredentials {
		var err error
		if a.envCreds, err = providers.CredentialsFromEnv(desc.Credentials, deps.Env); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, c := range desc.Credentials {
			a.keyFiles = a.keyFiles || deps.Env.Get(c.Env+"_FILE", "") != ""
		}
		a.lastCreds.Store(&a.envCreds)
		a.envRedactor = providers.NewRedactor(a.envCreds)
	}
	t := mcp.NewToolWithRawSchema(name, desc.Description, in)
	t.Title = "Create " + desc.Name + " agent"
	t.RawOutputSchema = outputSchema
	t.Annotations = mcp.ToolAnnotation{
		ReadOnlyHint:    mcp.ToBoolPtr(false),
		DestructiveHint: mcp.ToBoolPtr(desc.Overwrites), // it adds an agent; only an upserting vendor can replace one
		IdempotentHint:  mcp.ToBoolPtr(false),           // two calls can make two agents
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	tool := &Tool{Slug: desc.Slug, Descriptor: desc, Tool: t, Handler: a.recovering}
	for _, c := range desc.Credentials {
		src := a.envCreds.Source(c.Key)
		if deps.HeaderCredentials && c.Header != "" {
			src = providers.SourceHeader
		}
		tool.Credentials = append(tool.Credentials, CredentialStatus{Env: c.Env, Source: src})
	}
	return tool, nil
}

// answerMargin is how much of --timeout the vendor call leaves the server to
// journal the outcome and answer. A client whose own request timeout is the
// same as --timeout (the TypeScript SDK's default and --timeout's are both
// 60 s) then gets the answer, an outcome unknown that says how to check for
// the agent, say, instead of timing out first and leaving its model only
// "timed out".
func answerMargin(timeout time.Duration) time.Duration {
	return min(timeout/10, time.Second)
}

// callContext bounds the vendor call by deadline. A cancelled request (a
// client that gave up or went away) or an ending session stops the call: no
// attempt starts after it (stop closes). An attempt the vendor already has
// is followed to its answer, since cutting it off would not undo the create,
// only lose the new agent's id. That wait ends at the deadline, after
// DrainTimeout once the session is ending, or at once when Abort closes.
func (a *adapter[T]) callContext(ctx context.Context, deadline time.Time) (context.Context, <-chan struct{}, func()) {
	callCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	stop, done := make(chan struct{}), make(chan struct{})
	var once sync.Once
	stopAttempts := func() { once.Do(func() { close(stop) }) }
	select {
	case <-ctx.Done():
		// Already so: closed before the first attempt can start.
		stopAttempts()
	case <-a.deps.Ending:
		stopAttempts()
	default:
	}
	go func() {
		defer cancel()
		cancelled, ending := ctx.Done(), a.deps.Ending
		var drain <-chan time.Time
		for {
			select {
			case <-done:
				return
			case <-a.deps.Abort:
				return
			case <-drain:
				return
			case <-cancelled:
				cancelled = nil
			case <-ending:
				ending = nil
				if a.deps.DrainTimeout > 0 && a.deps.DrainTimeout < time.Until(deadline) {
					drain = time.After(a.deps.DrainTimeout)
				}
			}
			stopAttempts()
		}
	}()
	return callCtx, stop, func() { close(done); cancel() }
}

// dryRunDescription is the description of the argument every tool adds.
const dryRunDescription = "Return the exact request (secrets hidden); create nothing."

// InputSchema is the served input schema of a provider whose request type is
// T: the reflected struct plus dry_run.
func InputSchema[T any]() (json.RawMessage, error) {
	s := schemas.Reflect(new(T))
	if s.Properties == nil {
		s.Properties = jsonschema.NewProperties()
	}
	if _, clash := s.Properties.Get("dry_run"); clash {
		return nil, errors.New("request struct must not have a dry_run field")
	}
	s.Properties.Set("dry_run", &jsonschema.Schema{Type: "boolean", Description: dryRunDescription})
	return schemas.Marshal(s)
}

// outputSchema covers both the created result and the dry-run preview. It
// is repeated in every tool of tools/list, so it declares only the fields a
// caller branches on; agent and request (objects) are allowed, not declared.
var outputSchema = json.RawMessage(`{"type":"object","properties":{` +
	`"provider":{"type":"string"},"dry_run":{"type":"boolean"},"agent_id":{"type":"string"}},` +
	`"required":["provider","dry_run"]}`)

// Success is the structured result of a created agent.
type Success struct {
	Provider  string         `json:"provider"`
	AgentID   string         `json:"agent_id"`
	DryRun    bool           `json:"dry_run"`
	Agent     map[string]any `json:"agent"`
	RequestID string         `json:"request_id,omitempty"`
	// AlreadyCreated marks the answer to a repeat of the call that created
	// the agent: no second agent was made (repeatCreated writes it into the
	// encoded result).
	AlreadyCreated bool `json:"already_created,omitempty"`
}

// DryRun is the structured result of a preview.
type DryRun struct {
	Provider           string            `json:"provider"`
	DryRun             bool              `json:"dry_run"`
	Request            providers.Preview `json:"request"`
	MissingCredentials []string          `json:"missing_credentials,omitempty"`
}

// recovering turns a panic into a tool error: a JSON-RPC error would hide the
// problem from the model, and the server must keep serving.
func (a *adapter[T]) recovering(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error().Interface("panic", fmt.Sprint(r)).Msg("tool handler panicked")
			res, err = mcp.NewToolResultError(a.name+": internal error; the agent may or may not have been created. Check the journal before calling again."), nil
		}
	}()
	return a.handle(ctx, req)
}

func (a *adapter[T]) handle(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	start := time.Now()
	log := a.log
	raw, parsed, err := arguments(req)
	if err != nil {
		return mcp.NewToolResultError(a.name + ": arguments could not be read: " + err.Error()), nil
	}
	if problem := rawProblem(raw, parsed); problem != "" {
		return mcp.NewToolResultError(fmt.Sprintf("%s: invalid arguments, nothing was sent: %s", a.name, problem)), nil
	}
	logArgs(&log, raw)
	var nulled []string
	if bytes.Contains(raw, []byte("null")) {
		raw, parsed, nulled = a.validator.dropNulls(raw)
	}

	var in T
	dryRun, errs := a.decode(raw, parsed, &in)
	if len(errs) > 0 {
		log.Info().Int("problems", len(errs)).Msg("arguments refused")
		shown := saidNull(errs.Capped(providers.MaxListed), nulled)
		return mcp.NewToolResultError(fmt.Sprintf("%s: invalid arguments, nothing was sent. Fix these and call again:\n%s", a.name, shown.Error())), nil
	}
	// A create asked of a server that only previews is told why it got a
	// preview: a model would otherwise report an agent that was never made.
	forcedDryRun := !dryRun && a.deps.DryRunOnly
	dryRun = dryRun || a.deps.DryRunOnly
	idGiven := a.clientID(&in) != ""
	// What makes a repeat identical is what was asked, before Prepare fills
	// in anything of its own (a generated id). A call with an id of the
	// caller's that the vendor upserts by is always sent: sent again, it
	// makes no second agent, and it may put back what a call in between
	// changed.
	var args []byte
	if a.repeats != nil && !dryRun && !idGiven {
		args, _ = json.Marshal(&in) // nil on error: the call is sent, as without the window
	}
	if err := a.p.Prepare(&in); err != nil {
		return mcp.NewToolResultError(fmt.Sprintf("%s: %v; nothing was sent", a.name, err)), nil
	}
	creds, err := a.credentials(req, log)
	if err != nil {
		return mcp.NewToolResultError(fmt.Sprintf("%s: %v; nothing was sent", a.name, err)), nil
	}
	missing := creds.Missing(a.desc.Credentials)
	if h := a.ignoredKeyHeader(req); h != "" {
		// Sent with the server's own key, the agent would land in another
		// account than the caller's; a preview would show a request that
		// is never sent.
		return mcp.NewToolResultError(a.ignoredKeyHeaderMessage(h, missing)), nil
	}
	c := &checked[T]{in: &in, idGiven: idGiven, creds: creds, start: start, log: log, entry: journal.Entry{
		Time: start.UTC(), Provider: a.desc.Slug, Tool: a.name, AgentName: a.p.AgentName(&in), AgentID: a.clientID(&in), DryRun: dryRun,
	}}

	if dryRun {
		return a.preview(c, missing, forcedDryRun)
	}
	if len(missing) > 0 {
		return a.notSent(c.entry, start, log, a.missingMessage(missing)), nil
	}
	progress := newProgress(ctx, req, a.deps.ProgressPause)
	// waited is the time spent waiting for identical calls, which then
	// created nothing: a call sent after that has its whole time for its own
	// create (one cut short would leave the outcome unknown).
	var waited time.Duration
	send := func() (*mcp.CallToolResult, bool, *created) {
		return a.send(ctx, c, start.Add(waited), progress)
	}
	if args == nil {
		res, _, _ := send()
		return res, nil
	}
	// Callers with keys of their own never share an agent. The server's own
	// keys are one account's, whose <VAR>_FILE may be rotated between a
	// create and its repeat: they are left out.
	keyCreds := creds
	if !a.deps.HeaderCredentials {
		keyCreds = providers.Credentials{}
	}
	key := keyOf(a.name, args, a.desc.Credentials, keyCreds)
	journaled := key
	if a.journalSecret != nil {
		if secret := a.journalSecret(); secret != nil {
			// In the journal, the key counts the server's own keys too: a
			// server started later on the same journal may use another
			// account.
			journaled = journalKeyOf(secret, a.journalScope, args, a.desc.Credentials, creds)
			c.entry.Repeat = hex.EncodeToString(journaled[:])
			c.journaled = &journaled
		}
	}
	waiting := func() func() {
		began := time.Now()
		// The identical call's answer is due within its --timeout.
		answerDue(ctx, began.Add(a.timeout()))
		stop := progress.heartbeat(a.heartbeat(), "an identical call (same arguments) to end")
		return func() { stop(); waited += time.Since(began) }
	}
	res, joined := a.repeats.do(ctx, key, journaled, a.name, send, waiting)
	if joined {
		progress.finish()
		log.Info().Bool("error", res.IsError).Msg("identical call: answered with the outcome of the one before it, nothing sent")
	}
	return res, nil
}

// createdSummary is the first line of a create's result; status and
// requestID are left out when empty. upsert is a create by an id the caller
// gave, which the vendor upserts by: it may have replaced an agent.
func (a *adapter[T]) createdSummary(agentName, agentID, status, requestID string, upsert bool) string {
	summary := fmt.Sprintf("Created %s agent %q with id %s", a.desc.Name, agentName, agentID)
	if agentName == "" {
		summary = fmt.Sprintf("Created %s agent with id %s", a.desc.Name, agentID)
	}
	if upsert {
		summary += ", or replaced the agent that already had this id"
	}
	summary += "."
	if status != "" {
		summary += " Status: " + status + "."
	}
	if requestID != "" {
		summary += " Request id: " + requestID + "."
	}
	return summary
}

// checked is a call whose arguments passed every check, as preview and send
// need it.
type checked[T any] struct {
	in *T
	// idGiven: the caller chose the id the vendor upserts by (in
	// entry.AgentID), so a create may replace an agent.
	idGiven bool
	creds   providers.Credentials
	entry   journal.Entry // what the journal gets, outcome aside
	// journaled is the call's journal key, when the journal holds one:
	// another server's identical call written before this one's is sent
	// instead of it.
	journaled *repeatKey
	start     time.Time // the call's arrival, with its monotonic reading
	log       zerolog.Logger
}

// send makes the vendor call of c, journaled, and returns its result,
// whether that is also the outcome of the identical calls waiting for it,
// and the agent it created or may have (nil when none). A failure is theirs
// too unless this call's own client cancelled it (they were not cancelled,
// and are sent), or the agent may exist: then it always is. budgetFrom is
// when the call's --timeout began: its arrival, plus any wait for identical
// calls.
func (a *adapter[T]) send(ctx context.Context, c *checked[T], budgetFrom time.Time, progress *progress) (*mcp.CallToolResult, bool, *created) {
	in, creds, entry, start, log := c.in, c.creds, c.entry, c.start, c.log
	timeout := a.timeout()
	if budgetFrom.After(start) {
		answerDue(ctx, budgetFrom.Add(timeout))
	}
	// A caller-chosen id that makes no retry safe still names the agent the
	// journal points to while it may exist: while sending, and when the
	// outcome is unknown. A refusal or an unsent call created none.
	givenID := a.givenID(in)
	given := givenID
	if len(given) > maxJournaledGivenID {
		given = ""
	}
	// Written before sending: if the process dies mid-call, the journal still
	// names the agent that may exist.
	if a.deps.Journal != nil {
		entry.Call = rand.Text() // pairs this entry with its outcome
	}
	if c.journaled != nil {
		a.repeats.expectSend(entry.Call, *c.journaled)
		defer a.repeats.dropSend(entry.Call)
	}
	sending := entry
	sending.Outcome = journal.OutcomeSending
	sending.AgentID = cmp.Or(entry.AgentID, given)
	began := time.Now()
	err := a.record(sending, start, log)
	journalWrite := time.Since(began)
	if err != nil {
		// Sent anyway, a call the process did not survive would leave no
		// trace of an agent that may exist.
		return a.notSent(entry, start, log, fmt.Sprintf("the journal could not be written (%v), so nothing was sent. Free disk space or fix --journal, "+
			"or restart the server with --journal off to create agents without it", err)), ctx.Err() == nil, nil
	}
	if c.journaled != nil {
		// Two identical calls that reached two servers at the same moment
		// both passed their check: the one whose "sending" entry the
		// journal holds first is sent, and this one answers with it.
		if first := a.repeats.sentFirst(entry.Call); first != nil {
			if res := a.repeats.answer(first, true); res != nil {
				a.notSent(entry, start, log, "an identical call (same arguments) reached another server on this journal at the same moment, and the journal holds that one first; this one sent nothing")
				progress.finish()
				log.Info().Bool("error", res.IsError).Msg("identical call sent by another server at the same moment: answered with its outcome, nothing sent")
				// Not this call's outcome to keep: identical calls here
				// follow the journal to that call's own.
				return res, false, nil
			}
		}
	}
	// Checked after the journal write (an fsync), right before sending; the
	// client checks again before every attempt.
	ended := false
	select {
	case <-a.deps.Ending:
		ended = true
	default:
	}
	if ctx.Err() != nil || ended {
		// Cancelled before anything was sent (a client that gave up), or
		// the session ended (stdin closed, calls still queued): send nothing.
		why := "the request was cancelled before anything was sent; no agent was created"
		if ended {
			// A script piping its calls in closes stdin after the last:
			// "cancelled" would blame it for something it did not ask.
			why = "the session ended before anything was sent (stdin closed, or the server is stopping); no agent was created. Over stdio, keep stdin open until every answer has arrived"
		}
		return a.notSent(entry, start, log, why), false, nil
	}

	red := a.redactor(creds)
	// The journal writes and reads before this count: the answer is due
	// within --timeout all the same. The outcome's write after it may take
	// as long as the sending entry's did.
	callCtx, stop, release := a.callContext(ctx, budgetFrom.Add(timeout-max(answerMargin(timeout), journalWrite)))
	defer release()
	call := providers.Call{
		Provider:   a.desc.Name,
		AgentName:  entry.AgentName,
		VerifyHint: a.desc.VerifyHint,
		ClientID:   a.clientID(in),
		GivenID:    givenID,
		Idempotent: a.p.Idempotent(in),
		Build:      func(at providers.Attempt) (*providers.Outgoing, error) { return a.p.Build(in, creds, at) },
		Parse:      a.p.Parse,
		Redact:     red.Redact,
		Stop:       stop,
		OnRetry: func(ev providers.RetryEvent) {
			log.Warn().Int("attempt", ev.Attempt).Dur("wait", ev.Wait).Str("reason", red.Redact(ev.Reason)).Msg("retrying vendor call")
			progress.send(fmt.Sprintf("attempt %d failed (%s); retrying in %s", ev.Attempt, shorten(red.Redact(ev.Reason)), ev.Wait.Round(time.Millisecond)))
		},
	}
	stopHeartbeat := progress.heartbeat(a.heartbeat(), a.desc.Name+" to answer")
	defer stopHeartbeat() // also if Do panics: no heartbeat outlives its call
	res, err := a.deps.Client.Do(callCtx, call)
	stopHeartbeat()
	progress.finish()
	entry.Attempts = res.Attempts
	if err != nil {
		msg := red.Redact(a.explain(err, creds))
		entry.Outcome, entry.Error = outcomeOf(err), msg
		if ve, ok := providers.IsVendorError(err); ok {
			entry.RequestID = ve.RequestID
			if entry.AgentID == "" {
				// The id a failure still names is journaled as such, not
				// only inside a message that may be clipped.
				entry.AgentID = ve.AgentID
			}
		}
		if entry.AgentID == "" && entry.Outcome == journal.OutcomeUnknown {
			entry.AgentID = given
		}
		journalErr := a.record(entry, start, log)
		log.Warn().Str("outcome", entry.Outcome).Int("attempts", res.Attempts).Dur("duration", time.Since(start)).Msg("create failed")
		text := a.name + ": " + msg
		if journalErr != nil && entry.AgentID != "" {
			// The journal's "sending" entry may not name this id: the
			// result is now its only record.
			text += " (The journal could not record this outcome: keep the id " + entry.AgentID + ".)"
		}
		if entry.Outcome == journal.OutcomeUnknown {
			return mcp.NewToolResultError(text), true, &created{summary: text, maybe: true}
		}
		return mcp.NewToolResultError(text), ctx.Err() == nil, nil
	}
	made := res.Created
	entry.Outcome, entry.AgentID, entry.RequestID = journal.OutcomeCreated, made.AgentID, made.RequestID
	journalErr := a.record(entry, start, log)
	log.Info().Str("agent_id", made.AgentID).Int("attempts", res.Attempts).Dur("duration", time.Since(start)).Msg("agent created")

	summary := a.createdSummary(entry.AgentName, made.AgentID, made.Status, made.RequestID, c.idGiven)
	if journalErr != nil {
		summary += " (The journal could not record it: keep this id.)"
	}
	result, _ := structured(Success{Provider: a.desc.Slug, AgentID: made.AgentID, Agent: made.Agent, RequestID: made.RequestID}, summary)
	b, ok := result.StructuredContent.(json.RawMessage)
	if !ok {
		return result, true, nil // not encoded: nothing to answer a repeat with
	}
	return result, true, &created{result: b, summary: summary}
}

// timeout is --timeout, the time limit of one call.
func (a *adapter[T]) timeout() time.Duration {
	if a.deps.Timeout <= 0 {
		return 60 * time.Second
	}
	return a.deps.Timeout
}

// heartbeat is how often a call that carries a progressToken hears that it
// still waits.
func (a *adapter[T]) heartbeat() time.Duration {
	return cmp.Or(a.deps.ProgressHeartbeat, defaultProgressHeartbeat)
}

// clientID is the id the request carries for an idempotent create ("" when
// the vendor assigns ids).
func (a *adapter[T]) clientID(in *T) string {
	if id, ok := any(a.p).(interface{ ClientID(*T) string }); ok {
		return id.ClientID(in)
	}
	return ""
}

// maxJournaledGivenID bounds a caller-chosen id written to the journal: ids
// are never clipped there, and lines this id makes (sending, then outcome)
// must not push the entries before them out of the tail the journal
// resource reads. A longer id is still named in the result.
const maxJournaledGivenID = 512

// givenID is an id the caller chose that the vendor is asked to use but that
// does not make the create idempotent ("" when none).
func (a *adapter[T]) givenID(in *T) string {
	if id, ok := any(a.p).(interface{ GivenID(*T) string }); ok {
		return id.GivenID(in)
	}
	return ""
}

// preview answers a dry run of c. An id in c.entry that the caller did not
// give is one the server made up for this preview (a real call makes its
// own). forced: the server runs with --dry-run and the caller did not ask.
func (a *adapter[T]) preview(c *checked[T], missing []providers.CredentialSpec, forced bool) (*mcp.CallToolResult, error) {
	in, creds, entry, idGiven := c.in, c.creds, c.entry, c.idGiven
	// Missing credentials are shown as ${VAR} placeholders, never as real values.
	buildCreds := creds
	var names []string
	if len(missing) > 0 {
		kv := map[string]string{}
		for _, c := range a.desc.Credentials {
			if v := creds.Get(c.Key); !v.IsZero() {
				kv[c.Key] = v.Reveal()
			}
		}
		for _, m := range missing {
			placeholder := m.Env
			if a.deps.HeaderCredentials && m.Header != "" {
				placeholder = m.Header // the server reads no variable then
			}
			kv[m.Key] = "${" + placeholder + "}"
			names = append(names, a.missingName(m))
		}
		buildCreds = providers.NewCredentials(providers.SourceEnv, kv)
	}
	out, err := a.p.Build(in, buildCreds, providers.Attempt{Number: 1, Time: time.Now().UTC(), Nonce: "0123456789abcdef0123456789abcdef"})
	if err != nil {
		return mcp.NewToolResultError(fmt.Sprintf("%s: could not build the request: %v", a.name, redact(creds, err.Error()))), nil
	}
	if out.Header.Get("User-Agent") == "" && a.deps.Client.UserAgent != "" {
		out.Header.Set("User-Agent", a.deps.Client.UserAgent)
	}
	p := out.Preview(creds)
	entry.Outcome = journal.OutcomePreview
	a.record(entry, c.start, c.log)
	// The URL without its query: a query-signed vendor's query carries the
	// whole request, which request.url already shows.
	shown, _, hasQuery := strings.Cut(p.URL, "?")
	if hasQuery {
		shown += " (parameters in the query string: see request.url)"
	}
	would := fmt.Sprintf("%s %s would create the %s agent.", p.Method, shown, a.desc.Name)
	if idGiven {
		would = fmt.Sprintf("%s %s would create the %s agent with id %s, or replace the agent that already has it.", p.Method, shown, a.desc.Name, entry.AgentID)
	}
	summary := "Dry run: nothing was sent. " + would
	if forced {
		summary = "Dry run: nothing was sent and no agent was created, because this server runs with --dry-run (AGENTMCP_DRY_RUN) and only previews; calling again will not create one. " + would
	}
	if len(missing) > 0 {
		summary += " Before a real call, " + strings.Join(a.missingTodo(missing), "; and ") + "."
	}
	if !idGiven && entry.AgentID != "" {
		summary += " The id " + entry.AgentID + " was generated for this preview; a real call generates its own unless you pass one."
	}
	return structured(DryRun{Provider: a.desc.Slug, DryRun: true, Request: p, MissingCredentials: names}, summary)
}

func (a *adapter[T]) record(e journal.Entry, start time.Time, log zerolog.Logger) error {
	if a.deps.Journal == nil {
		return nil
	}
	e.DurationMS = time.Since(start).Milliseconds()
	if err := a.deps.Journal.Record(e); err != nil {
		log.Error().Err(err).Msg("journal write failed")
		return err
	}
	return nil
}

// notSent journals entry as not sent, for the reason msg, and returns msg as
// the tool's error.
func (a *adapter[T]) notSent(entry journal.Entry, start time.Time, log zerolog.Logger, msg string) *mcp.CallToolResult {
	entry.Outcome, entry.Error = journal.OutcomeNotSent, msg
	a.record(entry, start, log)
	return mcp.NewToolResultError(a.name + ": " + msg)
}

func outcomeOf(err error) string {
	var unknown *providers.UnknownOutcomeError
	var notSent *providers.NotSentError
	switch {
	case errors.As(err, &unknown):
		return journal.OutcomeUnknown
	case errors.As(err, &notSent):
		return journal.OutcomeNotSent
	default:
		return journal.OutcomeFailed
	}
}

// structured returns v as structuredContent, a one-line summary, and v as
// JSON text for clients that read only text content.
func structured(v any, summary string) (*mcp.CallToolResult, error) {
	// Without HTML escaping, a preview shows the body's bytes as sent (& not \u0026).
	b, err := providers.JSONBody(v)
	if err != nil {
		return mcp.NewToolResultError("internal error: encode result: " + err.Error()), nil
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(summary), mcp.NewTextContent(string(b))},
		StructuredContent: json.RawMessage(b),
	}, nil
}

// logArgs logs argument keys and sizes, never values.
func logArgs(log *zerolog.Logger, raw []byte) {
	if log.GetLevel() > zerolog.DebugLevel || zerolog.GlobalLevel() > zerolog.DebugLevel {
		return
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return
	}
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		keys = append(keys, fmt.Sprintf("%s:%d", k, len(v)))
	}
	sort.Strings(keys)
	log.Debug().Strs("args", keys).Int("bytes", len(raw)).Msg("tool call")
}

func shorten(s string) string {
	if r := []rune(s); len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return s
}
