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
	return redactURL(u, maxNestedURLs)
}

// maxNestedURLs is how many URLs deep, each percent-encoded in a parameter
// of the one around it, masking looks: each level decodes a copy, and 100 KB
// can nest hundreds.
const maxNestedURLs = 3

func redactURL(u string, depth int) string {
	// The URL is not checked for a scheme: user:pw@host/sse and
	// //user:pw@host/sse carry user info too.
	lead, rest := "", u
	if scheme, after, ok := strings.Cut(u, "://"); ok {
		lead, rest = scheme+"://", after
	} else if after, ok := strings.CutPrefix(u, "//"); ok {
		lead, rest = "//", after
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		u = lead + providers.Redacted + rest[at:]
	}
	base, frag, hasFrag := strings.Cut(u, "#")
	if path, query, ok := strings.Cut(base, "?"); ok {
		base = path + "?" + redactParams(query, depth)
	}
	if hasFrag {
		return base + "#" + redactParams(frag, depth)
	}
	return base
}

// urlPattern finds URLs in free text (a vendor's error message, say), also
// as a JSON encoder may escape them (https:\/\/h\/p?a=1\u0026token=x), and
// any other word with a query or a fragment: a server URL is not checked for
// a scheme, so mcp.example.com/x?token=... is a URL too.
var urlPattern = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*:(//|\\/\\/)[^\s"'<>]+|[^\s"'<>?#]*[?#][^\s"'<>]+`)

// jsonEscapes undoes the escapes a JSON encoder may put in a URL, so that its
// parameters can be told apart.
var jsonEscapes = strings.NewReplacer(`\/`, "/", `\u0026`, "&", `\u003d`, "=", `\u003D`, "=", `\u003f`, "?", `\u003F`, "?", `\u0023`, "#")

// RedactURLsIn applies RedactURL to every URL in s.
func RedactURLsIn(s string) string {
	return urlPattern.ReplaceAllStringFunc(s, func(u string) string {
		plain := jsonEscapes.Replace(u)
		if masked := RedactURL(plain); masked != plain {
			return masked
		}
		return u // nothing to mask: the text stays as written
	})
}

// redactParams masks the token-like parameters of a query or fragment, whose
// parameters may be separated by & or ;. A value that is itself a URL,
// percent-encoded (a redirect target, say), is masked the same way, down to
// depth URLs deep.
// looksLikeURL tells a parameter's decoded value that may carry a
// credential as a URL does: one with a scheme, or with a query or fragment
// (an e-mail address is left alone).
func looksLikeURL(v string) bool {
	return strings.Contains(v, "://") || strings.HasPrefix(v, "//") || strings.ContainsAny(v, "?#")
}

func redactParams(q string, depth int) string {
	var b strings.Builder
	for q != "" {
		end := strings.IndexAny(q, "&;")
		if end < 0 {
			end = len(q)
		}
		p := q[:end]
		if k, v, ok := strings.Cut(p, "="); ok && v != "" {
			if sensitiveParam(k) {
				p = k + "=" + providers.Redacted
			} else if inner, err := url.QueryUnescape(v); err == nil && inner != v && depth > 1 && looksLikeURL(inner) {
				if masked := redactURL(inner, depth-1); masked != inner {
					p = k + "=" + url.QueryEscape(masked)
				}
			}
		}
		b.WriteString(p)
		if end < len(q) {
			b.WriteByte(q[end])
			end++
		}
		q = q[end:]
	}
	return b.String()
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
