package computeragents

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/agentmcp/agentmcp/providers"
)

// externalPrefix starts a workspace-connected model id:
// external:{providerType}:{urlEncodedModelId}.
const externalPrefix = "external:"

// modelAdvice follows a refusal of a model not given.
const modelAdvice = "use a managed id such as claude-sonnet-4-5, or external:{providerType}:{urlEncodedModelId}"

// Check applies the document's rules that the schema cannot express.
func (p *Provider) Check(r *Request) providers.FieldErrors {
	var errs providers.FieldErrors
	// An absent name or model is the schema's to report (missing), and an
	// empty one Precheck's: Check cannot tell them apart.
	if r.Name != "" && strings.TrimSpace(r.Name) == "" {
		errs.Add("/name", "must not be blank")
	}
	if strings.IndexFunc(r.ID, unicode.IsSpace) >= 0 {
		errs.Add("/id", "must not contain whitespace; omit id to let the server choose one")
	}
	checkModel(r.Model, &errs)
	if r.Binary != nil && strings.TrimSpace(r.Binary.Path) == "" {
		errs.Add("/binary/path", "must not be blank")
	}
	for i, s := range r.EnabledSkills {
		if strings.TrimSpace(s) == "" {
			errs.Add(fmt.Sprintf("/enabledSkills/%d", i), "must not be blank")
		}
	}
	if ps := r.PermissionSet; ps != nil && ps.Resources != nil {
		for _, c := range ps.Resources.categories() {
			if c.policy == nil {
				continue
			}
			at := "/permissionSet/resources/" + c.name
			if a := c.policy.DefaultAccess; a != "" && !validAccess(a) {
				errs.Add(at+"/defaultAccess", "must be one of %s, got %q", accessValues, a)
			}
			for i, rule := range c.policy.Rules {
				at := fmt.Sprintf("%s/rules/%d", at, i)
				if rule.Access != "" && !validAccess(rule.Access) {
					errs.Add(at+"/access", "must be one of %s, got %q", accessValues, rule.Access)
				}
				// The document: targetId is for agent, skill, server, computer or
				// project rules; path is for file or directory (path-scoped) rules.
				if c.pathScoped && rule.TargetID != "" {
					errs.Add(at+"/targetId", "%s rules are path-scoped: use path (targetId is for agents, skills, servers, computers and projects rules)", c.name)
				}
				if !c.pathScoped && rule.Path != "" {
					errs.Add(at+"/path", "%s rules take targetId: path is for files and directories rules", c.name)
				}
			}
		}
	}
	return errs
}

// checkModel refuses blank ids and malformed external ids. Unknown plain ids
// pass: a workspace can offer models the document does not list.
func checkModel(m string, errs *providers.FieldErrors) {
	if m == "" {
		return
	}
	if strings.TrimSpace(m) == "" {
		errs.Add("/model", "must not be blank: %s", modelAdvice)
		return
	}
	if rest, ok := strings.CutPrefix(m, externalPrefix); ok {
		checkExternal(rest, errs)
		return
	}
	if strings.IndexFunc(m, unicode.IsSpace) >= 0 {
		errs.Add("/model", "model ids contain no whitespace, got %q", m)
	}
}

func checkExternal(rest string, errs *providers.FieldErrors) {
	const form = "external:{providerType}:{urlEncodedModelId}"
	provider, id, ok := strings.Cut(rest, ":")
	switch {
	case !ok || provider == "" || id == "":
		errs.Add("/model", "an external model must have the form %s, with both parts non-empty", form)
		return
	case strings.IndexFunc(provider, unicode.IsSpace) >= 0:
		errs.Add("/model", "providerType %q must not contain whitespace (form %s)", provider, form)
		return
	}
	_, decErr := url.PathUnescape(id)
	if decErr == nil && isEncodedComponent(id) {
		return
	}
	raw := id
	if decErr == nil {
		raw, _ = url.PathUnescape(id)
	}
	errs.Add("/model", "the model id part must be URL-encoded (form %s): use %s%s:%s", form, externalPrefix, provider, encodeComponent(raw))
}

// isEncodedComponent reports whether s holds only characters that
// encodeURIComponent leaves as they are, and percent escapes.
func isEncodedComponent(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '%' && !unreserved(c) {
			return false
		}
	}
	return true
}

// encodeComponent is JavaScript's encodeURIComponent: the usual reading of
// "urlEncodedModelId", used to suggest a corrected id.
func encodeComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; unreserved(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func unreserved(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.!~*'()", c) >= 0
}
