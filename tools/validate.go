package tools

import (
	"bytes"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/agentmcp/agentmcp/providers"
)

// validator checks raw arguments against a tool's input schema and reports
// every violation with its location and what is allowed. The schema is
// compiled on first use: compiling every tool's costs more than the rest of
// start-up, and a client spawning the server waits for tools/list, not for that.
type validator struct {
	tool    string
	raw     json.RawMessage
	once    sync.Once
	schema  *jsonschema.Schema
	doc     map[string]any // the schema as JSON, to list allowed keys
	err     error
	printer *message.Printer
}

func newValidator(tool string, raw json.RawMessage) *validator {
	return &validator{tool: tool, raw: raw}
}

func (v *validator) load() error {
	v.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(v.raw))
		if err != nil {
			v.err = fmt.Errorf("%s: schema: %w", v.tool, err)
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		url := "mem:///" + v.tool + ".json"
		if err := c.AddResource(url, doc); err != nil {
			v.err = fmt.Errorf("%s: schema: %w", v.tool, err)
			return
		}
		if v.schema, err = c.Compile(url); err != nil {
			v.err = fmt.Errorf("%s: schema: %w", v.tool, err)
			return
		}
		v.doc, _ = doc.(map[string]any)
		v.printer = message.NewPrinter(language.English)
	})
	return v.err
}

// validate checks args against the schema; parsed is args already decoded,
// or nil to parse them here. It returns the decoded arguments, and no errors
// when they satisfy the schema; with errors, what it refused outright.
func (v *validator) validate(args []byte, parsed any) (any, providers.FieldErrors, refusals) {
	if err := v.load(); err != nil {
		return nil, providers.FieldErrors{{Message: "internal error: " + err.Error()}}, refusals{}
	}
	inst := parsed
	if inst == nil {
		var err error
		if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(args)); err != nil {
			return nil, providers.FieldErrors{{Message: "arguments are not valid JSON: " + err.Error()}}, refusals{}
		}
	}
	err := v.schema.Validate(inst)
	if err == nil {
		return inst, nil, refusals{}
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return inst, providers.FieldErrors{{Message: err.Error()}}, refusals{}
	}
	c := collector{v: v, allowed: map[string]string{}}
	c.collect(ve)
	if c.more > 0 {
		c.out = append(c.out, providers.FieldError{More: c.more})
	}
	return inst, c.out, c.refused
}

// refusals are where the schema refused values outright, for their JSON type
// or as unknown keys (see withoutValues), and the objects that hold a value
// of the wrong type: checks of its siblings may hinge on it (a CUSTOM server
// needs a url or an id), and with it left out they would complain of a value
// that is there, only mistyped.
type refusals struct {
	values  [][]string
	holders [][]string
}

// collector gathers the first maxCollected violations by field and counts
// the rest: arguments with a million unknown keys must not make a million
// lines. It keeps more than a refusal lists, so that the problems the
// provider's checks name too are counted once (see adapter.decode).
type collector struct {
	v       *validator
	out     providers.FieldErrors
	more    int
	allowed map[string]string // allowed keys by location, worked out once each
	refused refusals
}

// maxCollected bounds what collector keeps. Past it the count of problems
// left out may count some twice: the schema's and a provider check's on one
// field.
const maxCollected = 1000

// maxKeyShown is the most of an unknown key a message shows, in characters.
const maxKeyShown = 64

// maxRefused bounds collector.refused: past it, a strict decode may stop at
// one of the values left in, which costs some provider messages, not safety.
const maxRefused = 1000

// refuse records the value at loc, and under it at key when key is given.
func (c *collector) refuse(loc []string, key ...string) {
	if len(c.refused.values) < maxRefused {
		c.refused.values = append(c.refused.values, append(slices.Clip(loc), key...))
	}
}

// add records a problem at loc, and under it at key when key is given, with
// the message msg makes. Past maxCollected it keeps the first problems by
// field (providers.ComparePointers), so that which are listed hangs on the
// arguments, not on the order the schema's checks found them in, and counts
// the rest. A message is made only for a problem kept: arguments as large as
// the body allows may hold a hundred thousand problems.
func (c *collector) add(loc, key []string, msg func() string) {
	field := pointer(loc) + pointer(key)
	kept := (*lastFirst)(&c.out)
	switch {
	case len(c.out) < maxCollected:
		c.out = append(c.out, providers.FieldError{Field: field, Message: msg()})
		if len(c.out) == maxCollected {
			heap.Init(kept)
		}
	case providers.ComparePointers(field, c.out[0].Field) < 0:
		c.out[0] = providers.FieldError{Field: field, Message: msg()}
		heap.Fix(kept, 0)
		c.more++
	default:
		c.more++
	}
}

// lastFirst is a heap of problems with the last by field on top: the one a
// problem at an earlier field takes the place of.
type lastFirst providers.FieldErrors

func (h lastFirst) Len() int { return len(h) }
func (h lastFirst) Less(i, j int) bool {
	return providers.ComparePointers(h[i].Field, h[j].Field) > 0
}
func (h lastFirst) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *lastFirst) Push(x any)   { *h = append(*h, x.(providers.FieldError)) }
func (h *lastFirst) Pop() any {
	last := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return last
}

func (c *collector) collect(e *jsonschema.ValidationError) {
	if len(e.Causes) > 0 {
		for _, cause := range e.Causes {
			c.collect(cause)
		}
		return
	}
	if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
		at := pointer(e.InstanceLocation)
		allowed, known := c.allowed[at]
		if !known {
			allowed = strings.Join(c.v.allowedKeys(e.InstanceLocation), ", ")
			c.allowed[at] = allowed
		}
		// Sorted, so the ones listed are the first in the order shown.
		for _, p := range slices.Sorted(slices.Values(ap.Properties)) {
			// Shown clipped: a key can be as long as the arguments, and the
			// message goes back into the model's context.
			c.add(e.InstanceLocation, []string{providers.Clip(p, maxKeyShown)}, func() string { return "unknown argument; allowed here: " + allowed })
			c.refuse(e.InstanceLocation, p)
		}
		return
	}
	if req, ok := e.ErrorKind.(*kind.Required); ok {
		// At each missing field, as every other problem is: a provider's
		// own word on that field then replaces this line, not repeats it.
		for _, p := range req.Missing {
			c.add(e.InstanceLocation, []string{p}, func() string { return "missing (required)" })
		}
		return
	}
	if _, ok := e.ErrorKind.(*kind.Type); ok {
		c.refuse(e.InstanceLocation)
		if loc := e.InstanceLocation; len(loc) > 1 && len(c.refused.holders) < maxRefused {
			c.refused.holders = append(c.refused.holders, loc[:len(loc)-1])
		}
	}
	c.add(e.InstanceLocation, nil, func() string { return plainly(e.ErrorKind, c.v.printer) })
}

// plainly says what a schema error asks for in words, without the keyword's
// name or a locale's thousands separators: "at most 255 characters, got 300",
// not "maxLength: got 300, want 255".
func plainly(k jsonschema.ErrorKind, p *message.Printer) string {
	num := func(r *big.Rat) string {
		if r == nil {
			return "?"
		}
		f, _ := r.Float64()
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	switch k := k.(type) {
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("at least %d characters, got %d", k.Want, k.Got)
	case *kind.MaxLength:
		return fmt.Sprintf("at most %d characters, got %d", k.Want, k.Got)
	case *kind.MinItems:
		return fmt.Sprintf("at least %d items, got %d", k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("at most %d items, got %d", k.Want, k.Got)
	case *kind.Minimum:
		return fmt.Sprintf("at least %s, got %s", num(k.Want), num(k.Got))
	case *kind.Maximum:
		return fmt.Sprintf("at most %s, got %s", num(k.Want), num(k.Got))
	case *kind.ExclusiveMinimum:
		return fmt.Sprintf("more than %s, got %s", num(k.Want), num(k.Got))
	case *kind.ExclusiveMaximum:
		return fmt.Sprintf("less than %s, got %s", num(k.Want), num(k.Got))
	}
	return k.LocalizedString(p)
}

// allowedKeys lists the properties of the object schema at an instance location.
func (v *validator) allowedKeys(loc []string) []string {
	node := v.doc
	for _, tok := range loc {
		if props, ok := node["properties"].(map[string]any); ok {
			if next, ok := props[tok].(map[string]any); ok {
				node = next
				continue
			}
		}
		if items, ok := node["items"].(map[string]any); ok {
			node = items
			continue
		}
		return nil
	}
	props, _ := node["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pointerEscapes escapes a JSON pointer's reference token (RFC 6901). A
// Replacer is safe for use by many goroutines, and costly to build.
var pointerEscapes = strings.NewReplacer("~", "~0", "/", "~1")

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerEscapes.Replace(t))
	}
	return b.String()
}

// withoutValues returns raw less the values at locs: object members are
// removed, list items become null. A provider's strict decode of arguments
// the schema refused then never meets a value of the wrong type or an
// unknown key: a custom unmarshaler refusing one stops the whole decode, and
// the provider's checks would report every field after it as missing.
func withoutValues(raw []byte, locs [][]string) []byte {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if len(locs) == 0 || dec.Decode(&doc) != nil {
		return raw
	}
	changed := false
	for _, loc := range locs {
		if len(loc) == 0 {
			continue // the whole arguments: nothing would be left to check
		}
		parent := doc
		for _, tok := range loc[:len(loc)-1] {
			parent = childAt(parent, tok)
		}
		switch p := parent.(type) {
		case map[string]any:
			if _, ok := p[loc[len(loc)-1]]; ok {
				delete(p, loc[len(loc)-1])
				changed = true
			}
		case []any:
			if i, err := strconv.Atoi(loc[len(loc)-1]); err == nil && i >= 0 && i < len(p) {
				p[i], changed = nil, true
			}
		}
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return raw
	}
	return out
}

// childAt is the member or item tok of v, nil when there is none.
func childAt(v any, tok string) any {
	switch c := v.(type) {
	case map[string]any:
		return c[tok]
	case []any:
		if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(c) {
			return c[i]
		}
	}
	return nil
}

// dropNulls removes object members that are null where the schema declares
// the property: models often send null for "not set", and every optional
// field here means the same when absent. Free-form objects keep their nulls.
// It returns the arguments, their decoded form when it could decode them,
// and where it removed a null (JSON pointers, at most maxRefused of them).
func (v *validator) dropNulls(args []byte) ([]byte, any, []string) {
	// Numbers as written: the arguments are encoded again below, and a
	// float64 would round a large number in a free-form object.
	var doc any
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.UseNumber()
	if v.load() != nil || dec.Decode(&doc) != nil {
		return args, nil, nil
	}
	// A null dry_run is left for the schema to refuse: read as not given,
	// it would turn what may have been meant as a preview into a create.
	var dropped []string
	if !dropNullsAt(doc, v.doc, nil, "dry_run", &dropped) {
		return args, doc, nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return args, nil, nil
	}
	return out, doc, dropped
}

// dropNullsAt reports whether it changed anything; value is at loc, and its
// member keep, if any, is left as it is.
func dropNullsAt(value any, schema map[string]any, loc []string, keep string, dropped *[]string) bool {
	changed := false
	switch val := value.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for k, child := range val {
			sub, declared := props[k].(map[string]any)
			if !declared || k == keep {
				continue
			}
			if child == nil {
				delete(val, k)
				changed = true
				if len(*dropped) < maxRefused {
					*dropped = append(*dropped, pointer(slices.Concat(loc, []string{k})))
				}
				continue
			}
			changed = dropNullsAt(child, sub, slices.Concat(loc, []string{k}), "", dropped) || changed
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for i, child := range val {
			if items != nil {
				changed = dropNullsAt(child, items, slices.Concat(loc, []string{strconv.Itoa(i)}), "", dropped) || changed
			}
		}
	}
	return changed
}

// saidNull marks the problems at fields the call gave as null, which were
// removed as not given: "missing" alone would puzzle a caller that sent one.
func saidNull(errs providers.FieldErrors, nulled []string) providers.FieldErrors {
	for i, e := range errs {
		if e.Field != "" && slices.Contains(nulled, e.Field) {
			errs[i].Message = "null counts as not given: " + e.Message
		}
	}
	return errs
}
