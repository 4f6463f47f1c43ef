package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
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
// compiled on first use: compiling all five costs more than the rest of
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
// when they satisfy the schema.
func (v *validator) validate(args []byte, parsed any) (any, providers.FieldErrors) {
	if err := v.load(); err != nil {
		return nil, providers.FieldErrors{{Message: "internal error: " + err.Error()}}
	}
	inst := parsed
	if inst == nil {
		var err error
		if inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(args)); err != nil {
			return nil, providers.FieldErrors{{Message: "arguments are not valid JSON: " + err.Error()}}
		}
	}
	err := v.schema.Validate(inst)
	if err == nil {
		return inst, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return inst, providers.FieldErrors{{Message: err.Error()}}
	}
	c := collector{v: v, allowed: map[string]string{}}
	c.collect(ve)
	if c.more > 0 {
		c.out = append(c.out, providers.FieldError{More: c.more})
	}
	return inst, c.out
}

// collector gathers the first providers.MaxListed violations and counts the
// rest: arguments with a million unknown keys must not make a million lines.
type collector struct {
	v       *validator
	out     providers.FieldErrors
	more    int
	allowed map[string]string // allowed keys by location, worked out once each
}

func (c *collector) add(field, format string, args ...any) {
	if len(c.out) >= providers.MaxListed {
		c.more++
		return
	}
	c.out.Add(field, format, args...)
}

func (c *collector) collect(e *jsonschema.ValidationError) {
	if len(e.Causes) > 0 {
		for _, cause := range e.Causes {
			c.collect(cause)
		}
		return
	}
	at := pointer(e.InstanceLocation)
	if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
		allowed, known := c.allowed[at]
		if !known {
			allowed = strings.Join(c.v.allowedKeys(e.InstanceLocation), ", ")
			c.allowed[at] = allowed
		}
		// Sorted, so the ones listed are the first in the order shown.
		for _, p := range slices.Sorted(slices.Values(ap.Properties)) {
			c.add(at+"/"+p, "unknown argument; allowed here: %s", allowed)
		}
		return
	}
	if len(c.out) >= providers.MaxListed {
		c.more++ // before rendering the message, which is the costly part
		return
	}
	c.add(at, "%s", e.ErrorKind.LocalizedString(c.v.printer))
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

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

// dropNulls removes object members that are null where the schema declares
// the property: models often send null for "not set", and every optional
// field here means the same when absent. Free-form objects keep their nulls.
// It returns the arguments and, when it could decode them, their decoded form.
func (v *validator) dropNulls(args []byte) ([]byte, any) {
	// Numbers as written: the arguments are encoded again below, and a
	// float64 would round a large number in a free-form object.
	var doc any
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.UseNumber()
	if v.load() != nil || dec.Decode(&doc) != nil {
		return args, nil
	}
	if !dropNullsAt(doc, v.doc) {
		return args, doc
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return args, nil
	}
	return out, doc
}

// dropNullsAt reports whether it changed anything.
func dropNullsAt(value any, schema map[string]any) bool {
	changed := false
	switch val := value.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for k, child := range val {
			sub, declared := props[k].(map[string]any)
			if !declared {
				continue
			}
			if child == nil {
				delete(val, k)
				changed = true
				continue
			}
			changed = dropNullsAt(child, sub) || changed
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for _, child := range val {
			if items != nil {
				changed = dropNullsAt(child, items) || changed
			}
		}
	}
	return changed
}
