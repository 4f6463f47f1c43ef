package datagol

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/agentmcp/agentmcp/providers"
)

// RedactURL masks what in an MCP server URL can be a credential: the values
// of token-like query and fragment parameters (token, access_token, api_key,
// key, secret, password, sig, signature and their kin) and any user info.
// DataGOL's own example URL carries "&token=...". The rest of the URL is kept
// byte for byte, so the result still says which server is meant.
func RedactURL(u string) string {
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			rest = providers.Redacted + rest[at:]
			u = scheme + "://" + rest
		}
	}
	base, frag, hasFrag := strings.Cut(u, "#")
	if path, query, ok := strings.Cut(base, "?"); ok {
		base = path + "?" + redactParams(query)
	}
	if hasFrag {
		return base + "#" + redactParams(frag)
	}
	return base
}

// urlPattern finds URLs in free text (a vendor's error message, say).
var urlPattern = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s"'<>]+`)

// RedactURLsIn applies RedactURL to every URL in s.
func RedactURLsIn(s string) string {
	return urlPattern.ReplaceAllStringFunc(s, RedactURL)
}

// urlSecrets returns the values RedactURL masks in u: a request body that
// carries u can then be previewed with them hidden.
func urlSecrets(u string) []string {
	var out []string
	if _, rest, ok := strings.Cut(u, "://"); ok {
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			out = append(out, rest[:at])
		}
	}
	base, frag, _ := strings.Cut(u, "#")
	_, query, _ := strings.Cut(base, "?")
	for _, q := range []string{query, frag} {
		for _, p := range strings.Split(q, "&") {
			if k, v, ok := strings.Cut(p, "="); ok && v != "" && sensitiveParam(k) {
				out = append(out, v)
			}
		}
	}
	return out
}

func redactParams(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if k, v, ok := strings.Cut(p, "="); ok && v != "" && sensitiveParam(k) {
			parts[i] = k + "=" + providers.Redacted
		}
	}
	return strings.Join(parts, "&")
}

// sensitiveParam matches parameter names case-insensitively and ignoring
// -, _ and . (access_token, Access-Token and accessToken are one name).
func sensitiveParam(name string) bool {
	if k, err := url.QueryUnescape(name); err == nil {
		name = k
	}
	name = strings.ToLower(strings.NewReplacer("-", "", "_", "", ".", "").Replace(name))
	switch name {
	case "sig", "auth", "authorization", "pwd", "pass", "jwt", "credential", "credentials":
		return true
	}
	for _, suffix := range []string{"token", "key", "secret", "password", "passwd", "signature"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}
