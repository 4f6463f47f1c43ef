package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/rs/zerolog"

	"github.com/agentmcp/agentmcp/providers"
)

// credentials are the call's keys: from the request's headers with
// --header-credentials, else from the environment, with any <VAR>_FILE read
// again, so that a rotated secret (an STS token, a mounted container secret)
// takes effect without a restart. A file that cannot be read, or reads
// empty, leaves the key read before (see Credentials.Renewed).
func (a *adapter[T]) credentials(req mcp.CallToolRequest, log zerolog.Logger) (providers.Credentials, error) {
	if a.deps.HeaderCredentials {
		return providers.CredentialsFromHeaders(a.desc.Credentials, headerOf(req))
	}
	if !a.keyFiles {
		return a.envCreds, nil
	}
	last := a.lastCreds.Load()
	fresh, err := providers.CredentialsFromEnv(a.desc.Credentials, a.deps.Env)
	if err != nil {
		log.Warn().Err(err).Msg("credential file unreadable; using the keys read before")
		return *last, nil
	}
	creds := fresh.Renewed(*last, a.desc.Credentials)
	a.lastCreds.Store(&creds)
	return creds, nil
}

// ignoredKeyHeader names a credential header of this tool that the request
// carries although the server reads keys from its environment ("" when none).
func (a *adapter[T]) ignoredKeyHeader(req mcp.CallToolRequest) string {
	if a.deps.HeaderCredentials || req.Header == nil {
		return ""
	}
	for _, c := range a.desc.Credentials {
		if c.Header == "" {
			continue
		}
		// Every copy: a blank first one hides none, and copies that differ
		// carry a key all the same.
		if v, err := providers.HeaderValue(req.Header, c.Header); v != "" || err != nil {
			return c.Header
		}
	}
	return ""
}

// ignoredKeyHeaderMessage refuses a call carrying the key header h, which
// this server does not read; missing are the server's own keys it lacks.
func (a *adapter[T]) ignoredKeyHeaderMessage(h string, missing []providers.CredentialSpec) string {
	refused := fmt.Sprintf("%s: the request carries the %s header, but this server takes no keys per request (it was not started with --header-credentials)", a.name, h)
	required := 0
	for _, c := range a.desc.Credentials {
		if c.Required {
			required++
		}
	}
	switch {
	case len(missing) == 0:
		return refused + " and would use its own key instead. Nothing was sent. " +
			"Remove the header from the client's configuration to use the server's key, or ask the server's operator to start it with --header-credentials."
	case len(missing) == required:
		return refused + fmt.Sprintf(", and has no %s key of its own. Nothing was sent. ", a.desc.Name) +
			"Ask the server's operator to start it with --header-credentials, or to give it a key."
	default:
		names := make([]string, 0, len(missing))
		for _, m := range missing {
			names = append(names, m.Env)
		}
		return refused + ", and its own keys lack " + andList(names) + ". Nothing was sent. " +
			"Ask the server's operator to start it with --header-credentials, or to complete its keys."
	}
}

// redactor masks creds, the keys of this call.
func (a *adapter[T]) redactor(creds providers.Credentials) providers.Redactor {
	if a.deps.HeaderCredentials || a.keyFiles {
		return providers.NewRedactor(creds)
	}
	return a.envRedactor
}

func (a *adapter[T]) credentialName(c providers.CredentialSpec) string {
	if a.deps.HeaderCredentials && c.Header != "" {
		return "the " + c.Header + " header"
	}
	return c.Env
}

func (a *adapter[T]) missingMessage(missing []providers.CredentialSpec) string {
	return "missing credentials: " + strings.Join(a.missingTodo(missing), "; and ") + ". Nothing was sent; dry_run works without them."
}

// inKeyFile reports whether the server reads credential c from the file a
// <VAR>_FILE names: it is then fixed by writing that file, read on every
// call, and setting <VAR> beside it would stop the server from starting.
func (a *adapter[T]) inKeyFile(c providers.CredentialSpec) bool {
	return !a.deps.HeaderCredentials && a.keyFiles && a.deps.Env.Get(c.Env+"_FILE", "") != ""
}

// missingName names what to fill in for the missing credential m: its
// header, the <VAR>_FILE whose file is empty, or its variable.
func (a *adapter[T]) missingName(m providers.CredentialSpec) string {
	if a.inKeyFile(m) {
		return m.Env + "_FILE"
	}
	return a.credentialName(m)
}

// missingTodo says what to do about the missing credentials, in clauses:
// send headers, write key files (no restart), or set variables (restart).
func (a *adapter[T]) missingTodo(missing []providers.CredentialSpec) []string {
	if a.deps.HeaderCredentials {
		names := make([]string, 0, len(missing))
		for _, m := range missing {
			names = append(names, a.credentialName(m))
		}
		return []string{"send " + andList(names) + " with the request (this server takes credentials per request only)"}
	}
	var inFiles, unset, unsetFiles []string
	for _, m := range missing {
		if a.inKeyFile(m) {
			inFiles = append(inFiles, m.Env+"_FILE")
		} else {
			unset = append(unset, m.Env)
			unsetFiles = append(unsetFiles, m.Env+"_FILE")
		}
	}
	var todo []string
	switch len(inFiles) {
	case 0:
	case 1:
		todo = append(todo, "the file "+inFiles[0]+" names holds no key: write the key into it (it is read on every call, no restart needed)")
	default:
		todo = append(todo, "the files "+andList(inFiles)+" name hold no key: write each key into its file (they are read on every call, no restart needed)")
	}
	if len(unset) > 0 {
		todo = append(todo, fmt.Sprintf("set %s (or %s) in the server's environment and restart it", andList(unset), andList(unsetFiles)))
	}
	return todo
}

// andList joins items as a sentence does: "a", "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) < 3 {
		return strings.Join(items, " and ")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// isAre is the verb for n subjects.
func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// usedName names where this call's credential c came from: the header, the
// variable, or the file a <VAR>_FILE names.
func (a *adapter[T]) usedName(c providers.CredentialSpec, creds providers.Credentials) string {
	switch creds.Source(c.Key) {
	case providers.SourceHeader:
		return "the " + c.Header + " header"
	case providers.SourceFile:
		return "the key in the file " + c.Env + "_FILE names"
	}
	return a.credentialName(c)
}

// explain renders a call error for the model, adding what to check on auth failures.
func (a *adapter[T]) explain(err error, creds providers.Credentials) string {
	if ve, ok := providers.IsVendorError(err); ok && (ve.Status == http.StatusUnauthorized || ve.Status == http.StatusForbidden || ve.KeysRefused) {
		// Only the credentials this call sent: an unset optional one (an
		// STS token) is not what the vendor refused.
		var names []string
		elsewhere := false // some key came from a file or a header
		for _, c := range a.desc.Credentials {
			if !creds.Get(c.Key).IsZero() {
				names = append(names, a.usedName(c, creds))
				elsewhere = elsewhere || creds.Source(c.Key) != providers.SourceEnv
			}
		}
		if ve.Hint != "" {
			// The vendor's own advice names the variables; a key read from
			// a file or a header is named here, where it is known.
			if elsewhere {
				return err.Error() + ". This call's keys: " + andList(names)
			}
			return err.Error()
		}
		if len(names) == 0 {
			for _, c := range a.desc.Credentials {
				names = append(names, a.credentialName(c))
			}
		}
		return err.Error() + ". Check that " + andList(names) + " " + isAre(len(names)) + " valid and allowed to create agents"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		// First, so it does not trail the advice on what to do next.
		return fmt.Sprintf("the call's time limit of %s (--timeout) ran out. ", a.deps.Timeout) + err.Error()
	}
	return err.Error()
}

func headerOf(req mcp.CallToolRequest) http.Header {
	if req.Header != nil {
		return req.Header
	}
	return http.Header{}
}

func redact(creds providers.Credentials, s string) string {
	return providers.NewRedactor(creds).Redact(s)
}
