// Package alibabadms creates custom agents with Alibaba Cloud DMS
// CreateCustomAgent (product Dms, API version 2025-04-14): an RPC call,
// POST / on dms.<region>.aliyuncs.com with every parameter in the query
// string, an empty body and a signature V3 (ACS3-HMAC-SHA256) Authorization.
package alibabadms

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentmcp/agentmcp/providers"
)

// Environment variables read by the provider.
const (
	EnvAccessKeyID     = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvAccessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvSecurityToken   = "ALIBABA_CLOUD_SECURITY_TOKEN"
	EnvRegion          = "ALIBABA_CLOUD_REGION_ID"
	EnvEndpoint        = "ALIBABA_DMS_ENDPOINT"
	// DefaultRegion is used when EnvRegion is unset.
	DefaultRegion = "cn-hangzhou"
)

// The call.
const (
	action     = "CreateCustomAgent"
	apiVersion = "2025-04-14"
	dateLayout = "2006-01-02T15:04:05Z"
)

// maxURLBytes caps the URL this provider sends. Every parameter travels in
// the query string, as in the vendor's own SDK, and percent-encoding takes 9
// bytes per CJK character (12 outside the Basic Multilingual Plane), so the
// documented maxima (10,000 characters each of Instruction and Knowledge,
// plus the document's example values for the rest) make a URL of 181,353
// bytes in CJK text and 241,353 in the rarer characters. The gateway's own
// limit is not documented. A cap below that would refuse requests the
// document allows and the vendor's SDK sends, so the cap sits above it, at
// the next power of two, leaving 20 to 80 KB for the unbounded fields. Above
// it the request is outside anything the document covers and is refused
// here, with the largest parameters named; a gateway 414 below it is
// reported with the same advice (see gatewayError).
const maxURLBytes = 256 << 10

const name = "Alibaba Cloud DMS"

// regionRe accepts region ids such as cn-hangzhou, ap-southeast-1, cn-shanghai-finance-1.
var regionRe = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+){1,4}$`)

// Provider implements providers.Provider[Request].
type Provider struct {
	endpoint string // scheme://host[:port], no trailing slash
	host     string // host[:port] as signed
}

// New reads the provider's settings (not its credentials) from env.
func New(env providers.Env) (*Provider, error) {
	region := env.Get(EnvRegion, DefaultRegion)
	if !regionRe.MatchString(region) {
		return nil, fmt.Errorf("alibabadms: %s=%q does not look like a region id (e.g. cn-hangzhou, ap-southeast-1)", EnvRegion, region)
	}
	endpoint, err := providers.BaseURL(env, EnvEndpoint, "https://dms."+region+".aliyuncs.com")
	if err != nil {
		return nil, fmt.Errorf("alibabadms: %w", err)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("alibabadms: %s: %w", EnvEndpoint, err)
	}
	if u.Path != "" || u.RawPath != "" {
		return nil, fmt.Errorf("alibabadms: %s=%q: want scheme://host[:port] without a path (RPC calls go to /)", EnvEndpoint, endpoint)
	}
	return &Provider{endpoint: endpoint, host: u.Host}, nil
}

// Describe implements providers.Provider.
func (p *Provider) Describe() providers.Descriptor {
	return providers.Descriptor{
		Slug:        "alibaba_dms",
		Name:        name,
		Description: "Create an Alibaba Cloud DMS data-analysis agent (CreateCustomAgent) over a data range, optionally scheduled. No field is required.",
		Credentials: []providers.CredentialSpec{
			{Key: "access_key_id", Env: EnvAccessKeyID, Header: "X-Alibaba-Cloud-Access-Key-Id", Required: true},
			{Key: "access_key_secret", Env: EnvAccessKeySecret, Header: "X-Alibaba-Cloud-Access-Key-Secret", Required: true},
			{Key: "security_token", Env: EnvSecurityToken, Header: "X-Alibaba-Cloud-Security-Token"},
		},
		Settings: []providers.Setting{
			{Env: EnvRegion, Default: DefaultRegion, Usage: "region of the DMS endpoint"},
			{Env: EnvEndpoint, Usage: "endpoint scheme://host[:port]; default https://dms.<region>.aliyuncs.com"},
		},
		VerifyHint: fmt.Sprintf("call ListCustomAgent (product Dms, API version 2025-04-14: POST %s/ signed like the create call, x-acs-action: ListCustomAgent) "+
			"with SearchKey set to the agent's name if it has one (the search also matches other names: compare Name exactly) and WorkspaceId if one was given; "+
			"DescribeCustomAgent with its CustomAgentId shows it in full", p.endpoint),
	}
}

// Check applies the rules the schema cannot express.
func (p *Provider) Check(r *Request) providers.FieldErrors {
	var errs providers.FieldErrors
	// The schema's maxLength counts code points too; this keeps the rule
	// when Check runs on its own.
	for field, s := range map[string]string{"/Instruction": r.Instruction, "/Knowledge": r.Knowledge} {
		if n := utf8.RuneCountInString(s); n > maxTextChars {
			errs.Add(field, "at most %d characters, got %d", maxTextChars, n)
		}
	}
	if d := r.DataJSON; d != nil && d.Personal.DataSourceType == SourceFile {
		for field, v := range map[string]string{
			"DmsInstanceId": d.Personal.DmsInstanceID, "DmsDatabaseId": d.Personal.DmsDatabaseID,
			"DbName": d.Personal.DbName, "Engine": d.Personal.Engine,
		} {
			if v != "" {
				errs.Add("/DataJson/personal/"+field, "belongs to DataSourceType %q only; a %q (file) source takes FileId, Database, Tables, TableIds and RegionId", SourceDatabase, SourceFile)
			}
		}
	}
	if s := r.ScheduleTaskConfig; s != nil && s.CronExpression != "" {
		if err := validateCron(s.CronExpression); err != nil {
			errs.Add("/ScheduleTaskConfig/CronExpression", "not a Quartz cron expression: %v", err)
		}
	}
	params, err := r.params()
	if err != nil {
		errs.Add("", "%v", err)
		return errs
	}
	if n := p.urlLen(params); n > maxURLBytes {
		errs.Add("", "%s", tooLong(n, params))
	}
	return errs
}

// Prepare implements providers.Provider; nothing is filled in.
//
// Check splits a cron expression on any whitespace; Quartz splits on spaces
// and tabs only, so the expression is sent with single spaces.
func (p *Provider) Prepare(r *Request) error {
	if st := r.ScheduleTaskConfig; st != nil && st.CronExpression != "" {
		st.CronExpression = strings.Join(strings.Fields(st.CronExpression), " ")
	}
	return nil
}

// AgentName implements providers.Provider.
func (p *Provider) AgentName(r *Request) string { return r.Name }

// Idempotent implements providers.Provider: CreateCustomAgent takes no
// ClientToken, so a repeated call can create a second agent.
func (p *Provider) Idempotent(*Request) bool { return false }

// Build implements providers.Provider. Each attempt is signed afresh with its
// own x-acs-date and x-acs-signature-nonce.
func (p *Provider) Build(r *Request, creds providers.Credentials, at providers.Attempt) (*providers.Outgoing, error) {
	params, err := r.params()
	if err != nil {
		return nil, err
	}
	if n := p.urlLen(params); n > maxURLBytes {
		return nil, errors.New("alibabadms: " + tooLong(n, params))
	}
	headers := map[string]string{
		"host":                  p.host,
		"x-acs-action":          action,
		"x-acs-version":         apiVersion,
		"x-acs-date":            at.Time.UTC().Format(dateLayout),
		"x-acs-signature-nonce": at.Nonce,
		"x-acs-content-sha256":  emptyBodySHA256,
	}
	if tok := creds.Get("security_token").Reveal(); tok != "" {
		headers["x-acs-security-token"] = tok
	}
	sig := sign(signRequest{Method: http.MethodPost, Path: "/", Query: params, Headers: headers},
		creds.Get("access_key_id").Reveal(), creds.Get("access_key_secret").Reveal())
	h := http.Header{}
	for k, v := range headers {
		if k != "host" { // net/http sends Host from the URL, which is what was signed
			h.Set(k, v)
		}
	}
	h.Set("Authorization", sig.Authorization)
	h.Set("Accept", "application/json")
	return &providers.Outgoing{
		Method:    http.MethodPost,
		URL:       p.url(canonicalQuery(params)),
		Header:    h,
		Sensitive: []string{sig.Signature},
	}, nil
}

func (p *Provider) url(query string) string {
	if query == "" {
		return p.endpoint + "/"
	}
	return p.endpoint + "/?" + query
}

// urlLen is the length of the URL Build sends for params.
func (p *Provider) urlLen(params map[string]string) int {
	n := len(p.endpoint) + 1
	if len(params) > 0 {
		n++ // "?"
		for k, v := range params {
			n += encodedLen(k) + 1 + encodedLen(v) + 1 // k=v&
		}
		n-- // no trailing "&"
	}
	return n
}

func tooLong(n int, params map[string]string) string {
	type part struct {
		k string
		n int
	}
	parts := make([]part, 0, len(params))
	for k, v := range params {
		parts = append(parts, part{k, encodedLen(v)})
	}
	sort.Slice(parts, func(i, j int) bool {
		return parts[i].n > parts[j].n || parts[i].n == parts[j].n && parts[i].k < parts[j].k
	})
	var list []string
	for i, pt := range parts {
		if i == 3 || pt.n == 0 {
			break
		}
		list = append(list, fmt.Sprintf("%s %d", pt.k, pt.n))
	}
	return fmt.Sprintf("request too large: %s takes every parameter in the URL, which would be %d bytes; the limit is %d. "+
		"Encoded, a CJK character takes 9 bytes, a space or punctuation mark 3, a letter or digit 1. Largest parameters (bytes): %s. Shorten them.",
		name, n, maxURLBytes, strings.Join(list, ", "))
}

// params is the request's query parameters: its wire JSON, one parameter per
// top-level key, strings as they are and objects or arrays as JSON text.
func (r *Request) params() (map[string]string, error) {
	raw, err := providers.JSONBody(r)
	if err != nil {
		return nil, fmt.Errorf("alibabadms: encode request: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("alibabadms: encode request: %w", err)
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if len(v) > 0 && v[0] == '"' {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("alibabadms: encode %s: %w", k, err)
			}
			out[k] = s
			continue
		}
		out[k] = string(v)
	}
	return out, nil
}

// response is both the CreateCustomAgent body and the gateway's error body.
// Every field is lenient about its JSON type: the agent exists once
// Data.CustomAgentId is there, and an odd type elsewhere must not lose it,
// nor an odd Data lose an error's code.
type response struct {
	RequestID    providers.Text `json:"RequestId"`
	Success      success        `json:"Success"`
	ErrorCode    providers.Text `json:"ErrorCode"`
	ErrorMessage providers.Text `json:"ErrorMessage"`
	Data         object         `json:"Data"`
	Code         providers.Text `json:"Code"`
	Message      providers.Text `json:"Message"`
	Recommend    providers.Text `json:"Recommend"`
}

// object is a JSON object with numbers kept as written; any other value
// leaves it nil.
type object map[string]any

// get returns the value under key, or else under a key that differs from it
// only in case, the way the fields around Data are read: an id written
// customAgentId must not be lost.
func (o object) get(key string) any {
	if v, ok := o[key]; ok {
		return v
	}
	for k, v := range o {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func (o *object) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if providers.DecodeObject(b, &m) == nil {
		*o = m
	}
	return nil
}

// success is the Success flag: set when the body has it as a boolean or as
// "true" or "false".
type success struct{ set, ok bool }

func (f *success) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseBool(strings.Trim(string(b), `"`))
	if err == nil {
		*f = success{set: true, ok: v}
	}
	return nil
}

// xmlError is the gateway's XML error body.
type xmlError struct {
	XMLName   xml.Name `xml:"Error"`
	RequestID string   `xml:"RequestId"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Recommend string   `xml:"Recommend"`
}

// Parse implements providers.Provider.
func (p *Provider) Parse(resp *providers.Incoming) (*providers.Created, error) {
	if resp.Status < 200 || resp.Status > 299 {
		return nil, p.gatewayError(resp)
	}
	// The first JSON value, as before: trailing bytes after it are no reason
	// to lose the agent.
	var body response
	if err := json.NewDecoder(bytes.NewReader(resp.Body)).Decode(&body); err != nil {
		return nil, fmt.Errorf("alibabadms: decode response: %w", err)
	}
	reqID := string(body.RequestID)
	if reqID == "" {
		reqID = resp.Header.Get("x-acs-request-id")
	}
	id := providers.AgentIDOf(body.Data.get("CustomAgentId"))
	if body.Success.set && !body.Success.ok {
		code, msg := firstOf(string(body.ErrorCode), string(body.Code)), firstOf(string(body.ErrorMessage), string(body.Message))
		ve := &providers.VendorError{Provider: name, Code: code, Message: msg, RequestID: reqID, Retry: providers.Final}
		if msg == "" {
			ve.Message = "the call failed (Success is false) without a message"
		}
		classify(ve, resp.Header)
		namesAgent(ve, id)
		return nil, ve
	}
	if id == "" {
		return nil, fmt.Errorf("alibabadms: response has no Data.CustomAgentId")
	}
	status, _ := body.Data.get("Status").(string)
	return &providers.Created{AgentID: id, Agent: body.Data, RequestID: reqID, Status: status}, nil
}

// gatewayError maps a non-2xx response: JSON {Code, Message, RequestId} or
// XML <Error>, else a snippet of whatever came back.
func (p *Provider) gatewayError(resp *providers.Incoming) *providers.VendorError {
	var code, msg, reqID, recommend string
	var jb response
	var xb xmlError
	switch {
	case json.Unmarshal(resp.Body, &jb) == nil:
		code, msg = firstOf(string(jb.Code), string(jb.ErrorCode)), firstOf(string(jb.Message), string(jb.ErrorMessage))
		reqID, recommend = string(jb.RequestID), string(jb.Recommend)
	case xml.Unmarshal(resp.Body, &xb) == nil:
		code, msg, reqID, recommend = xb.Code, xb.Message, xb.RequestID, xb.Recommend
	}
	ve := providers.NewStatusError(name, resp, code, msg)
	ve.RequestID = firstOf(reqID, resp.Header.Get("x-acs-request-id"))
	if resp.Status == http.StatusTooManyRequests {
		ve.RetryAfter = throttleWait(resp.Header)
	}
	classify(ve, resp.Header)
	if resp.Status == http.StatusRequestURITooLong && ve.Hint == "" {
		ve.Hint = "The gateway refused the URL as too long. Every parameter travels in the URL, where a CJK character " +
			"takes 9 bytes and a letter 1: shorten Instruction, Knowledge or the longest other text"
	}
	if recommend != "" {
		if ve.Hint != "" {
			ve.Hint += ". "
		}
		// The vendor's text, clipped like its message.
		ve.Hint += "Diagnosis: " + providers.Clip(recommend, maxRecommendRunes)
	}
	id := providers.AgentIDOf(jb.Data["CustomAgentId"])
	namesAgent(ve, id)
	return ve
}

// maxRecommendRunes bounds the gateway's Recommend (a diagnosis URL) in a
// hint, maxAgentIDRunes an agent id a failure names (ids are short).
const (
	maxRecommendRunes = 300
	maxAgentIDRunes   = 200
)

// namesAgent keeps in sight an agent that a failure still names (stored,
// then a later step failed): the failure is no proof that none exists.
func namesAgent(ve *providers.VendorError, id string) {
	if id == "" {
		return
	}
	id = providers.Clip(id, maxAgentIDRunes) // vendor text, bounded like the rest
	ve.Retry, ve.AgentID = providers.MaybeProcessed, id
	if ve.Hint != "" {
		ve.Hint += ". "
	}
	ve.Hint += "The answer still names agent " + id + " (Data.CustomAgentId): it may exist; look it up before creating it again"
}

// classify sets the retry class and hint that the vendor's error code implies.
func classify(ve *providers.VendorError, h http.Header) {
	switch c := ve.Code; {
	case c == "InternalError" || c == "UnknownError" || strings.HasPrefix(c, "ServiceUnavailable") || strings.Contains(strings.ToLower(c), "timeout"):
		// A failure on the server's side, even in a 200 body, may come
		// after the agent was stored. (A 503 with Retry-After keeps its
		// "not processed".)
		if ve.Retry == providers.Final {
			ve.Retry = providers.MaybeProcessed
		}
	case c == "Throttling" || c == "Throttling.User" || c == "Throttling.Api":
		ve.Retry, ve.RetryAfter = providers.NotProcessed, throttleWait(h)
	case c == "SignatureNonceUsed":
		// Every attempt has its own random nonce, so "already used" means an
		// earlier copy of this very attempt reached the gateway (a transport
		// or proxy resent it), and that copy may have created the agent.
		ve.Retry = providers.MaybeProcessed
	case c == "SignatureDoesNotMatch" || c == "IncompleteSignature":
		// The gateway answers a wrong secret with either code.
		ve.Hint = "The AccessKey secret is likely wrong: check " + EnvAccessKeySecret + " (or the X-Alibaba-Cloud-Access-Key-Secret header)"
		ve.KeysRefused = true
	case strings.HasPrefix(c, "InvalidAccessKeyId"):
		ve.Hint = "The AccessKey ID is wrong, disabled or deleted: check " + EnvAccessKeyID + " (or the X-Alibaba-Cloud-Access-Key-Id header)"
		ve.KeysRefused = true
	case strings.HasPrefix(c, "InvalidSecurityToken"):
		ve.Hint = "The STS security token is wrong or expired: refresh " + EnvSecurityToken + " together with the AccessKey pair it was issued with " +
			"(files named by <VAR>_FILE are read on every call; values in the environment need a restart of the server), or send fresh X-Alibaba-Cloud-* headers"
		ve.KeysRefused = true
	case strings.HasPrefix(c, "InvalidTimeStamp"):
		ve.Hint = "The request time (x-acs-date) was refused: check this machine's clock"
	case c == "Forbidden.RAM" || c == "NoPermission" || strings.HasPrefix(c, "Forbidden.AccessDenied"):
		ve.Hint = "The RAM identity lacks permission: grant it dms:CreateCustomAgent"
	}
}

// throttleWait is the wait a throttled response asks for. The gateway's
// x-ratelimit-user-api / x-ratelimit-user headers carry "TimeLeft:<n>" in a
// comma list; n is in milliseconds: the vendor's SDKs pass it unchanged to
// their retry policies, whose delays are milliseconds, and document it as
// "remaining time in milliseconds". The longest of these and a standard
// Retry-After wins: waiting less than any of them asks for is refused again.
func throttleWait(h http.Header) time.Duration {
	ms := max(timeLeft(h.Get("x-ratelimit-user-api")), timeLeft(h.Get("x-ratelimit-user")))
	return max(providers.Seconds(float64(ms)/1000), providers.RetryAfter(h, time.Now()))
}

func timeLeft(v string) int64 {
	for _, pair := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(pair, ":")
		if ok && strings.TrimSpace(k) == "TimeLeft" {
			n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
			if err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
