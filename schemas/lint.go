package schemas

import (
	"encoding/json"
	"fmt"
	"sort"
)

// forbidden keywords break at least one major client or model API: references
// (Copilot, Codex, Gemini), $schema (VS Code, Gemini), combinators (Anthropic,
// Cursor, Gemini).
var forbidden = []string{"$ref", "$defs", "definitions", "$schema", "$id", "anyOf", "oneOf", "allOf", "not"}

// Lint walks a tool input schema and returns every portability violation,
// each prefixed with its location. An empty result means the schema is portable.
func Lint(raw json.RawMessage) []string {
	var root any
	if err := json.Unmarshal(raw, &root); err != nil {
		return []string{"schema is not JSON: " + err.Error()}
	}
	var out []string
	obj, ok := root.(map[string]any)
	if !ok || obj["type"] != "object" {
		out = append(out, "root: must be an object schema with type \"object\"")
	}
	lintNode("root", root, &out)
	return out
}

func lintNode(at string, node any, out *[]string) {
	s, ok := node.(map[string]any)
	if !ok {
		*out = append(*out, fmt.Sprintf("%s: boolean or non-object sub-schema", at))
		return
	}
	for _, k := range forbidden {
		if _, has := s[k]; has {
			*out = append(*out, fmt.Sprintf("%s: uses %s", at, k))
		}
	}
	t, isString := s["type"].(string)
	if !isString {
		*out = append(*out, fmt.Sprintf("%s: type must be a single string, got %v", at, s["type"]))
	}
	// Gemini refuses an enum anywhere but on a string.
	if enum, has := s["enum"]; has {
		values, _ := enum.([]any)
		for _, v := range values {
			if _, ok := v.(string); !ok || t != "string" {
				*out = append(*out, fmt.Sprintf("%s: enum on type %s or of a non-string value %v", at, t, v))
				break
			}
		}
	}
	switch t {
	case "object":
		props, ok := s["properties"].(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: object without properties", at))
		}
		switch ap := s["additionalProperties"].(type) {
		case bool:
			// true is allowed only on a deliberately free-form object (no properties).
			if ap && len(props) > 0 {
				*out = append(*out, fmt.Sprintf("%s: additionalProperties true beside declared properties", at))
			}
		default:
			*out = append(*out, fmt.Sprintf("%s: additionalProperties must be false", at))
		}
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			lintNode(at+"."+n, props[n], out)
		}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := props[fmt.Sprint(r)]; !ok {
					*out = append(*out, fmt.Sprintf("%s: required %v is not a property", at, r))
				}
			}
		}
	case "array":
		items, ok := s["items"]
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: array without items", at))
		} else {
			lintNode(at+"[]", items, out)
		}
	}
}
