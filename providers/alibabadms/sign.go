package alibabadms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// Alibaba Cloud signature V3 (ACS3-HMAC-SHA256), written against the
// published algorithm: canonical request, string to sign, HMAC-SHA256 with
// the AccessKey secret, Authorization header.

const signAlgorithm = "ACS3-HMAC-SHA256"

// emptyBodySHA256 is hex(SHA-256("")), the payload hash of a bodyless request.
const emptyBodySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signRequest is what one signature covers.
type signRequest struct {
	Method  string
	Path    string            // "/" for RPC APIs
	Query   map[string]string // decoded parameter names and values
	Headers map[string]string // header names (any case) and values; host included
	Body    []byte
}

// signature is a computed V3 signature with its intermediate forms, kept so
// tests can compare each step with a published vector.
type signature struct {
	CanonicalRequest string
	StringToSign     string
	SignedHeaders    string
	Signature        string // lowercase hex
	Authorization    string
}

// sign computes the V3 signature of r for the given AccessKey.
func sign(r signRequest, accessKeyID, secret string) signature {
	canon, signed := canonicalRequest(r)
	sts := signAlgorithm + "\n" + hexSHA256([]byte(canon))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(sts))
	sig := hex.EncodeToString(mac.Sum(nil))
	return signature{
		CanonicalRequest: canon,
		StringToSign:     sts,
		SignedHeaders:    signed,
		Signature:        sig,
		Authorization:    signAlgorithm + " Credential=" + accessKeyID + ",SignedHeaders=" + signed + ",Signature=" + sig,
	}
}

// canonicalRequest returns the canonical request and its signed-header list.
func canonicalRequest(r signRequest) (string, string) {
	canonHeaders, signed := canonicalHeaders(r.Headers)
	path := r.Path
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.Query))
	b.WriteByte('\n')
	b.WriteString(canonHeaders)
	b.WriteByte('\n')
	b.WriteString(signed)
	b.WriteByte('\n')
	b.WriteString(hexSHA256(r.Body))
	return b.String(), signed
}

// canonicalQuery sorts parameters by encoded name and joins name=value pairs,
// both percent-encoded; an empty value gives "name=". The result is also the
// raw query that is sent.
func canonicalQuery(q map[string]string) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, v := range q {
		pairs = append(pairs, pair{percentEncode(k), percentEncode(v)})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].k < pairs[j].k })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalHeaders keeps host, content-type and x-acs-* headers, lowercased,
// values trimmed, sorted by name; it returns "name:value\n" lines and the
// ";"-joined names.
func canonicalHeaders(h map[string]string) (string, string) {
	kept := map[string]string{}
	for name, v := range h {
		n := strings.ToLower(strings.TrimSpace(name))
		if n == "host" || n == "content-type" || strings.HasPrefix(n, "x-acs-") {
			kept[n] = strings.TrimSpace(v)
		}
	}
	names := make([]string, 0, len(kept))
	for n := range kept {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(kept[n])
		b.WriteByte('\n')
	}
	return b.String(), strings.Join(names, ";")
}

// percentEncode is RFC 3986 encoding of the UTF-8 bytes of s: unreserved
// characters (A-Z a-z 0-9 - _ . ~) stay, every other byte becomes %XX
// (space is %20, never +).
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

// encodedLen is len(percentEncode(s)) without building it.
func encodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if unreserved(s[i]) {
			n++
		} else {
			n += 3
		}
	}
	return n
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
