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
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s=%q: want an absolute http(s) URL such as %s", key, raw, def)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		// Those parts are where a URL carries a secret: the message leaves them out.
		shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
		return "", fmt.Errorf("%s (%s, less what follows): must not carry a query, fragment or user info", key, shown)
	}
	return raw, nil
}

// JoinURL appends path to base, keeping the base's own path
// (https://api.datagrid.com/v1 + /agents = https://api.datagrid.com/v1/agents).
func JoinURL(base, path string) string {
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}
