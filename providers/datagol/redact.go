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
	return redactURL(u, maxNesting)
}

// maxNesting is how many levels deep masking looks into a parameter whose
// value is a URL (a redirect target, say), counting each URL and each
// percent-encoding of one: every level is a copy, and 100 KB can nest
// hundreds.
const maxNesting = 6

// redactURL masks u, looking depth levels deep.
func redactURL(u string, depth int) string {
	lead, rest := "", u
	if scheme, after, ok := strings.Cut(u, "://"); ok {
		lead, rest = scheme+"://", after
	} else if after, ok := strings.CutPrefix(u, "//"); ok {
		lead, rest = "//", after
	}
	if at := userInfoEnd(rest); at >= 0 && (lead != "" || bareUserInfo(rest[:at])) {
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

// bareUserInfo tells the user info of a URL without a scheme (a server URL
// is not checked for one) from what only looks like it: user:pw@host/sse
// has some; an e-mail address (mailto: included), an @mention or a scoped
// package name has none.
func bareUserInfo(user string) bool {
	return strings.Contains(user, ":") && !strings.HasPrefix(strings.ToLower(user), "mailto:")
}

// userInfoEnd is where the user info of rest, a URL after its scheme, ends
// (its last @ before the path, query or fragment), or -1 when it has none.
func userInfoEnd(rest string) int {
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return strings.LastIndex(rest[:end], "@")
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
// parameters may be separated by & or ;, and the URLs in their values.
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
			} else if masked := maskValue(v, depth); masked != v {
				p = k + "=" + masked
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

// maskValue masks a parameter's value that is a URL, as written or
// percent-encoded once or more, within depth levels.
func maskValue(v string, depth int) string {
	if depth <= 1 {
		return v
	}
	if looksLikeURL(v) {
		return redactURL(v, depth-1)
	}
	if inner, err := url.QueryUnescape(v); err == nil && inner != v {
		if masked := maskValue(inner, depth-1); masked != inner {
			return url.QueryEscape(masked)
		}
	}
	return v
}

// looksLikeURL tells a parameter's value that may carry a credential as a
// URL does: with a scheme, a query or fragment, or user:pw@ (an e-mail
// address is left alone).
func looksLikeURL(v string) bool {
	if strings.Contains(v, "://") || strings.HasPrefix(v, "//") || strings.ContainsAny(v, "?#") {
		return true
	}
	at := userInfoEnd(v)
	return at >= 0 && bareUserInfo(v[:at])
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
