package schemas

import (
	"strings"
	"testing"
)

func TestLintFindsEachViolation(t *testing.T) {
	cases := []struct {
		name, schema, want string
	}{
		{"ref", `{"type":"object","properties":{"a":{"$ref":"#/$defs/x"}},"additionalProperties":false}`, "uses $ref"},
		{"defs", `{"type":"object","properties":{},"additionalProperties":false,"$defs":{}}`, "uses $defs"},
		{"schema", `{"$schema":"x","type":"object","properties":{},"additionalProperties":false}`, "uses $schema"},
		{"anyOf nested", `{"type":"object","properties":{"a":{"type":"string","anyOf":[]}},"additionalProperties":false}`, "uses anyOf"},
		{"oneOf", `{"type":"object","properties":{},"additionalProperties":false,"oneOf":[]}`, "uses oneOf"},
		{"allOf", `{"type":"object","properties":{},"additionalProperties":false,"allOf":[]}`, "uses allOf"},
		{"definitions", `{"type":"object","properties":{"a":{"type":"string","definitions":{}}},"additionalProperties":false}`, "root.a: uses definitions"},
		{"id", `{"type":"object","properties":{"a":{"type":"string","$id":"x"}},"additionalProperties":false}`, "root.a: uses $id"},
		{"not", `{"type":"object","properties":{"a":{"type":"string","not":{}}},"additionalProperties":false}`, "root.a: uses not"},
		{"in array items", `{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","anyOf":[]}}},"additionalProperties":false}`, "root.a[]: uses anyOf"},
		{"not JSON", `{"type":"object",`, "not JSON"},
		{"type union", `{"type":"object","properties":{"a":{"type":["string","null"]}},"additionalProperties":false}`, "type must be a single string"},
		{"array without items", `{"type":"object","properties":{"a":{"type":"array"}},"additionalProperties":false}`, "array without items"},
		{"object without properties", `{"type":"object","properties":{"a":{"type":"object","additionalProperties":false}},"additionalProperties":false}`, "object without properties"},
		{"additionalProperties missing", `{"type":"object","properties":{}}`, "additionalProperties must be false"},
		{"additionalProperties true beside properties", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":true}`, "additionalProperties true beside"},
		{"root not object", `{"type":"string"}`, "root: must be an object"},
		{"boolean sub-schema", `{"type":"object","properties":{"a":true},"additionalProperties":false}`, "boolean or non-object"},
		{"enum on an integer", `{"type":"object","properties":{"v":{"type":"integer","enum":[1]}},"additionalProperties":false}`, "enum on type integer"},
		{"string enum on an integer", `{"type":"object","properties":{"v":{"type":"integer","enum":["1"]}},"additionalProperties":false}`, "enum on type integer"},
		{"enum of a number on a string", `{"type":"object","properties":{"v":{"type":"string","enum":["a",1]}},"additionalProperties":false}`, "non-string value 1"},
		{"required not declared", `{"type":"object","properties":{},"required":["x"],"additionalProperties":false}`, "required x is not a property"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(Lint([]byte(c.schema)), "\n")
			if !strings.Contains(got, c.want) {
				t.Errorf("Lint = %q, want a violation containing %q", got, c.want)
			}
		})
	}
}

func TestLintAcceptsPortableSchemas(t *testing.T) {
	ok := `{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}},` +
		`"m":{"type":"object","properties":{},"additionalProperties":true}},"additionalProperties":false,"required":["a"]}`
	if v := Lint([]byte(ok)); len(v) != 0 {
		t.Errorf("Lint(portable) = %v, want none", v)
	}
}

func TestReflectIsFlat(t *testing.T) {
	type inner struct {
		X string `json:"x"`
	}
	type req struct {
		A  string  `json:"a"`
		B  []inner `json:"b,omitempty"`
		In inner   `json:"in,omitempty"`
	}
	raw, err := Marshal(Reflect(&req{}))
	if err != nil {
		t.Fatal(err)
	}
	if v := Lint(raw); len(v) != 0 {
		t.Fatalf("reflected schema not portable: %v\n%s", v, raw)
	}
	if !strings.Contains(string(raw), `"required":["a"]`) {
		t.Errorf("required should list only a: %s", raw)
	}
}
