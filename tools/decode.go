package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agentmcp/agentmcp/providers"
)

// decode validates the arguments against the schema (parsed is raw already
// decoded, or nil), decodes them into in, reads dry_run, and runs the
// provider's own checks.
func (a *adapter[T]) decode(raw []byte, parsed any, in *T) (bool, providers.FieldErrors) {
	parsed, schemaErrs, refused := a.validator.validate(raw, parsed)
	if len(schemaErrs) > 0 {
		// A provider may recognise a known wrong shape and say how to fix
		// it, which beats the schema's generic complaint. Asked only once
		// the schema refuses, so a valid call is not parsed once more.
		if pc, ok := any(a.p).(interface {
			Precheck(raw []byte) providers.FieldErrors
		}); ok {
			if errs := pc.Precheck(raw); len(errs) > 0 {
				schemaErrs = replaceUnder(schemaErrs, errs)
			}
		}
	}
	if len(schemaErrs) == 0 {
		// The schema refuses unknown keys and wrong types everywhere but in
		// free-form objects, so a plain decode is as strict here, and cheaper.
		if used, err := decodeWhole(raw, in); err != nil {
			return false, decodeErrors(used, err)
		}
		dryRun, _ := parsed.(map[string]any)["dry_run"].(bool)
		return dryRun, a.p.Check(in)
	}
	// Invalid: decode strictly anyway, so the provider's own checks can add
	// their more specific word on the fields the schema complained about.
	// A value removed for its type reads as blank to the provider's checks:
	// the schema's "got number, want string" stays the word on it, and on
	// the object holding it (see refusals).
	var removed providers.FieldErrors
	for _, loc := range slices.Concat(refused.values, refused.holders) {
		removed = append(removed, providers.FieldError{Field: pointer(loc)})
	}
	if object, err := decodeStrict(withoutValues(raw, refused.values), in); err != nil {
		if !object {
			return false, schemaErrs
		}
		// Some values did not fit their fields, and in holds the rest: the
		// provider's checks still speak for the fields the schema let
		// through, so that one answer names every problem.
		return false, append(schemaErrs, notUnder(notUnder(a.p.Check(in), removed), schemaErrs)...)
	}
	// The provider's word on a field is more specific than the schema's
	// (e.g. "31 hex digits" beats "does not match pattern"): keep it, and the
	// schema's errors on every other field. Both lists whole, capped once by
	// the caller, so that a field both name counts once among those left out.
	merged := notUnder(a.p.Check(in), removed)
	named := fieldSet(merged)
	for _, se := range schemaErrs {
		if se.More > 0 || !named[se.Field] {
			merged = append(merged, se)
		}
	}
	return false, merged
}

// replaceUnder returns better, plus the problems of errs at fields neither
// named by better nor inside one of them.
func replaceUnder(errs, better providers.FieldErrors) providers.FieldErrors {
	return append(append(providers.FieldErrors(nil), better...), notUnder(errs, better)...)
}

// notUnder returns the problems of errs at fields that no problem of by names
// or encloses (a problem of the whole arguments encloses none), and errs'
// count of problems left unlisted.
func notUnder(errs, by providers.FieldErrors) providers.FieldErrors {
	named := fieldSet(by)
	var out providers.FieldErrors
	for _, e := range errs {
		if e.More > 0 || !enclosed(e.Field, named) {
			out = append(out, e)
		}
	}
	return out
}

// fieldSet is the fields errs names, its count of problems left out aside.
func fieldSet(errs providers.FieldErrors) map[string]bool {
	named := make(map[string]bool, len(errs))
	for _, e := range errs {
		if e.More == 0 {
			named[e.Field] = true
		}
	}
	return named
}

// enclosed tells whether named holds field or a pointer enclosing it.
func enclosed(field string, named map[string]bool) bool {
	if named[field] {
		return true
	}
	for i := len(field); ; {
		if i = strings.LastIndexByte(field[:i], '/'); i <= 0 {
			return false
		}
		if named[field[:i]] {
			return true
		}
	}
}

// decodeWhole decodes raw into in. JSON Schema counts 18.0 and 1e2 as
// integers, and the schema let them through, but Go decodes neither into an
// integer field: each such number is written as the integer it is and the
// arguments decoded again. It returns the arguments it decoded last.
func decodeWhole[T any](raw []byte, in *T) ([]byte, error) {
	// Each rewrite decodes the whole arguments again: the passes are bounded
	// by count and by the bytes they decode together.
	for pass := 0; pass < maxRewrites && pass*len(raw) <= rewriteBudget; pass++ {
		err := json.Unmarshal(raw, in)
		var te *json.UnmarshalTypeError
		if err == nil || !errors.As(err, &te) || jsonKind(te.Type) != "integer" {
			return raw, err
		}
		num, _ := strings.CutPrefix(te.Value, "number ")
		whole, ok := wholeNumber(num)
		start, end := int(te.Offset)-len(num), int(te.Offset)
		if !ok || start < 0 || end > len(raw) || string(raw[start:end]) != num {
			return raw, err
		}
		raw = slices.Concat(raw[:start], []byte(whole), raw[end:])
		var zero T
		*in = zero
	}
	return raw, json.Unmarshal(raw, in)
}

// maxRewrites and rewriteBudget bound decodeWhole's passes, one per number
// to rewrite: 64 on small arguments, a few on megabytes.
const (
	maxRewrites   = 64
	rewriteBudget = 1 << 20
)

// wholeNumber is num, a JSON number with a fraction or an exponent, written
// as the integer it equals, if it is one that fits in 64 bits.
func wholeNumber(num string) (string, bool) {
	// No 64-bit integer needs a longer number; big.Rat would parse a
	// million-digit one at length.
	if len(num) > 64 || !strings.ContainsAny(num, ".eE") {
		return "", false
	}
	// Bounded first: an exponent such as 1e999999999 must not be expanded.
	if f, err := strconv.ParseFloat(num, 64); err != nil || math.Abs(f) > math.MaxUint64 {
		return "", false
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok || !r.IsInt() {
		return "", false
	}
	return r.Num().String(), true
}

// decodeErrors words a decode failure of raw that the schema let through: a
// number out of range for its field, or a whole number decodeWhole could not
// rewrite.
func decodeErrors(raw []byte, err error) providers.FieldErrors {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return providers.FieldErrors{{Message: err.Error()}}
	}
	// The decoder names the field without list indexes (configs.mcpConfigs.id):
	// the pointer of the value that ends where it stopped has them.
	field, found := pointerAt(raw, te.Offset)
	if !found {
		field = "/" + strings.ReplaceAll(te.Field, ".", "/")
	}
	want := jsonKind(te.Type)
	if num, isNumber := strings.CutPrefix(te.Value, "number "); isNumber && want == "integer" {
		if _, whole := wholeNumber(num); whole || inRange(num) {
			// Past decodeWhole's rewrites, or not whole although the schema,
			// reading it as a float64 (1.0000000000000001 is 1), took it.
			return providers.FieldErrors{{Field: field,
				Message: fmt.Sprintf("got %s: write a whole number, without a fraction or exponent (1, not 1.0)", num)}}
		}
		t := te.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		size := fmt.Sprintf("a %d-bit integer", t.Bits())
		if strings.HasPrefix(t.Kind().String(), "uint") {
			size = fmt.Sprintf("a %d-bit unsigned integer", t.Bits())
		}
		return providers.FieldErrors{{Field: field, Message: fmt.Sprintf("got %s: out of range for this field (%s)", num, size)}}
	}
	return providers.FieldErrors{{Field: field, Message: fmt.Sprintf("got %s, want %s", te.Value, want)}}
}

// inRange reports whether num, a number with a fraction or an exponent, is
// within the range of 64-bit integers.
func inRange(num string) bool {
	f, err := strconv.ParseFloat(num, 64)
	return strings.ContainsAny(num, ".eE") && err == nil && math.Abs(f) <= math.MaxUint64
}

// pointerAt is the JSON pointer of the scalar value of raw that ends at
// offset.
func pointerAt(raw []byte, offset int64) (string, bool) {
	type frame struct {
		array bool
		index int  // an array's next index
		key   bool // an object's next token is a key
	}
	var stack []frame
	var path []string
	// ended moves past a value of the innermost open container.
	ended := func() {
		if n := len(stack); n > 0 {
			path = path[:len(path)-1]
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].key = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		d, isDelim := t.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			ended()
			continue
		}
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			if !top.array && top.key {
				key, _ := t.(string)
				path, top.key = append(path, key), false
				continue
			}
			if top.array {
				path = append(path, strconv.Itoa(top.index))
			}
		}
		if isDelim { // a value that opens a container
			stack = append(stack, frame{array: d == '[', key: d == '{'})
			continue
		}
		if dec.InputOffset() == offset {
			return pointer(path), true
		}
		ended()
	}
}

// jsonKind names a Go type as the JSON Schema type it decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// decodeStrict decodes raw, less dry_run, into in, refusing unknown fields.
// object says whether raw is a JSON object, whose fields then reached in as
// far as they fit. Its errors are not shown: the schema's say more.
func decodeStrict(raw []byte, in any) (object bool, err error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return false, errors.New("not an object")
	}
	var dryRunErr error
	if v, ok := fields["dry_run"]; ok {
		delete(fields, "dry_run")
		var dryRun bool
		dryRunErr = json.Unmarshal(v, &dryRun)
	}
	rest, err := json.Marshal(fields)
	if err != nil {
		return false, err
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return true, err
	}
	return true, dryRunErr
}

// arguments returns the call's arguments as JSON and, when mcp-go decoded
// them from exactly those bytes, the decoded value: validating that saves
// parsing a large prompt once more.
func arguments(req mcp.CallToolRequest) ([]byte, any, error) {
	if raw := req.Params.RawArguments; len(raw) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		if m, ok := req.Params.Arguments.(map[string]any); ok {
			return raw, m, nil
		}
		return raw, nil, nil
	}
	if req.Params.Arguments == nil {
		return []byte("{}"), nil, nil
	}
	b, err := json.Marshal(req.Params.Arguments)
	return b, nil, err
}
