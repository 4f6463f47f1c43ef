package providers

import (
	"fmt"
	"net/url"
	"strings"
)

// BaseURL reads a vendor base URL from env (default def) and checks that it
// is an absolute http(s) URL without query or fragment. Base URLs are server
// configuration only: no client argument or header can change them.
func BaseURL(env Env, key, def string) (string, error) {
	raw := strings.TrimRight(env.Get(key, def), "/")
	// User info, a query and a fragment are where a URL carries a secret, so
	// a refused value is shown only when it has none of them.
	shown := fmt.Sprintf("=%q", raw)
	if strings.ContainsAny(raw, "@?#") {
		shown = " (value not shown: it may hold a secret)"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s%s: want an absolute http(s) URL such as %s", key, shown, def)
	}
	// Even an empty one: "https://h/api?" would send to /api with the path as its query.
	if strings.ContainsAny(raw, "?#") || u.User != nil {
		return "", fmt.Errorf("%s%s: must not carry a query, fragment or user info", key, shown)
	}
	return raw, nil
}

// JoinURL appends path to base, keeping the base's own path
// (https://api.datagrid.com/v1 + /agents = https://api.datagrid.com/v1/agents).
func JoinURL(base, path string) string {
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}
