package tools

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/agentmcp/agentmcp/providers"
)

func TestInvalidText(t *testing.T) {
	for raw, want := range map[string]string{
		`{"name":"plain"}`:                     "",
		`{"name":"é 数 😀"}`:                     "",
		`{"name":"\u00e9 \ud83d\ude00"}`:       "", // a whole surrogate pair
		`{"name":"\\ud800"}`:                   "", // an escaped backslash, then text
		`{"name":"a\"b\\\\","x":"\n\t\u0041"}`: "",
		`{"name":"a\ud800b"}`:                  `\ud800 is half of a UTF-16 surrogate pair`,
		`{"name":"a\udc00"}`:                   `\udc00 is half`,
		`{"name":"a\udc00\udc01"}`:             `\udc00 is half`, // two low halves make no pair
		`{"name":"a\uD83D\u0041"}`:             `\uD83D is half`,
		`{"name":"\ud83d"}`:                    `\ud83d is half`, // at the very end
		"{\"name\":\"\xff\xfeab\"}":            "not UTF-8",
	} {
		got := invalidText([]byte(raw))
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", raw, got, want)
		}
	}
}

func TestRepeatedKey(t *testing.T) {
	for raw, want := range map[string]string{
		`{"a":1,"b":{"c":[1,{"d":2}]}}`:                  "",
		`{"a":1,"a":2}`:                                  "/a",
		`{"a":{"x":1},"b":[{"y":1,"y":2}]}`:              "/b/0/y",
		`{"s":"a \"key\": here","t":"x:y"}`:              "",
		`{"a/b":{"~":1,"~":2}}`:                          "/a~1b/~0",
		`{"a":1,"\u0061":2}`:                             "/a",
		`[{"k":1},{"k":2}]`:                              "",
		`{"e":"\\","f":{"g":"\\\"","g":1}}`:              "/f/g",
		`{"n":null,"m":[],"o":{},"p":[[{"q":1,"q":1}]]}`: "/p/0/0/q",
		// dry_run given twice would turn a preview into a create.
		`{"dry_run":true}`: "",
		`{"dry_run":true,"name":"x","dry_run":false}`:        "/dry_run",
		`{"dry_run":false, "dry_run":false}`:                 "/dry_run",
		`{"dry_run":true,"metadata":{"dry_run":false}}`:      "", // a nested key is another field
		`{"dry_run":true,"system_prompt":"say \"dry_run\""}`: "",
		`{"system_prompt":"\"dry_run\": \"dry_run\""}`:       "",
		`["dry_run","dry_run"]`:                              "",
		`{"a":{"dry_run":1,"dry_run":2}}`:                    "/a/dry_run",
		`{"dry_run":true,"name":"x","dry\u005frun":false}`:   "/dry_run",
		`{"dry\u005frun":true,"name":"a","dry_run":null}`:    "/dry_run",
		`{"\u0064ry_run":true,"d\u0072y_run":false}`:         "/dry_run",
		`{"dry\u005frun":true,"name":"\u00e9"}`:              "",
	} {
		var parsed any
		if err := json.Unmarshal([]byte(raw), &parsed); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		for _, p := range []any{parsed, nil} {
			if got := repeatedKey([]byte(raw), p); got != want {
				t.Errorf("%s (parsed given: %v): %q, want %q", raw, p != nil, got, want)
			}
		}
	}
}

// A repeat found before the arguments break off is still found.
func TestRepeatedKeyBeforeTheBreak(t *testing.T) {
	if got := repeatedKey([]byte(`{"dry_run":true,"dry_run":`), nil); got != "/dry_run" {
		t.Errorf("got %q", got)
	}
}

func TestPointerAt(t *testing.T) {
	for _, tt := range []struct{ raw, value, want string }{
		{`{"a":1,"b":[{},[],{"c":[5,"x",18.0]}]}`, `18.0`, "/b/2/c/2"},
		{`{"a":4,"b":[{},[],{"c":[5,"x",18.0]}]}`, `4`, "/a"},
		{`{"a/b":{"~k":[true, 7 ]}}`, `7`, "/a~1b/~0k/1"},
		{`[[1],[2,3]]`, `3`, "/1/1"},
		{` 42 `, `42`, ""},
	} {
		end := int64(strings.LastIndex(tt.raw, tt.value) + len(tt.value))
		if got, ok := pointerAt([]byte(tt.raw), end); !ok || got != tt.want {
			t.Errorf("%s, %s: %q %v, want %q", tt.raw, tt.value, got, ok, tt.want)
		}
	}
	if _, ok := pointerAt([]byte(`{"a":1}`), 3); ok {
		t.Error("an offset inside a key found a value")
	}
}

func TestReplaceUnder(t *testing.T) {
	schema := providers.FieldErrors{
		{Field: "/binary", Message: "got string, want object"},
		{Field: "/configs/mcpConfigs/0/CUSTOM", Message: "unknown argument"},
		{Field: "/configs/mcpConfigs/1", Message: "missing serverType"},
		{Field: "/configs/mcpConfigs/10", Message: "missing serverType"},
		{Field: "", Message: "missing property model"},
		{More: 3},
	}
	better := providers.FieldErrors{
		{Field: "/binary", Message: "must be an object {path, args}"},
		{Field: "/configs/mcpConfigs/1", Message: "send a flat item"},
	}
	got := replaceUnder(schema, better).Error()
	want := strings.Join([]string{
		"- (arguments): missing property model",
		"- /binary: must be an object {path, args}",
		"- /configs/mcpConfigs/0/CUSTOM: unknown argument",
		"- /configs/mcpConfigs/1: send a flat item",
		"- /configs/mcpConfigs/10: missing serverType",
		"- …: 3 more problems not listed; fix these and call again to see them",
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDecodeWholeStopsAfterItsRewrites(t *testing.T) {
	type item struct {
		N int `json:"n"`
	}
	var in []item
	raw := "[" + strings.Repeat(`{"n":1.0},`, maxRewrites) + `{"n":2.0}]`
	used, err := decodeWhole([]byte(raw), &in)
	errs := decodeErrors(used, err)
	want := fmt.Sprintf("/%d/n", maxRewrites)
	if len(errs) != 1 || errs[0].Field != want || !strings.Contains(errs[0].Message, "without a fraction") {
		t.Errorf("errs = %v, want %s named with the integer spelled out", errs, want)
	}
	in = nil
	if _, err := decodeWhole([]byte(`[{"n":1.0},{"n":3e1}]`), &in); err != nil || len(in) != 2 || in[1].N != 30 {
		t.Errorf("in = %v, err %v", in, err)
	}
}

// Rewrites decode the whole arguments again each time: on large arguments
// they stop after a pass or two, and the rest are refused, not rewritten.
func TestDecodeWholeIsBoundedOnLargeArguments(t *testing.T) {
	var in struct {
		IDs []int `json:"ids"`
	}
	n := rewriteBudget/len("1.0,") + 10
	raw := `{"ids":[` + strings.Repeat("1.0,", n) + "1]}"
	used, err := decodeWhole([]byte(raw), &in)
	errs := decodeErrors(used, err)
	if len(errs) != 1 || errs[0].Field != "/ids/1" || !strings.Contains(errs[0].Message, "write a whole number") {
		t.Errorf("errs = %v, want the second number refused after one rewrite", errs)
	}
}

func TestWholeNumber(t *testing.T) {
	for num, want := range map[string]string{
		"18.0": "18", "1e2": "100", "1E+2": "100", "-0.0": "0", "1.5e1": "15", "9223372036854775807.0": "9223372036854775807",
		"1.5": "", "18": "", "1e400": "", "1e-400": "", "1." + strings.Repeat("0", 100): "",
	} {
		got, ok := wholeNumber(num)
		if got != want || ok != (want != "") {
			t.Errorf("wholeNumber(%.20s) = %q %v, want %q", num, got, ok, want)
		}
	}
}

// A number the schema took as whole (as a float64, 1.0000000000000001 is 1)
// but that is not is refused as not whole, not as out of range.
func TestNotQuiteWholeNumber(t *testing.T) {
	var in []struct {
		N int `json:"n"`
	}
	used, err := decodeWhole([]byte(`[{"n":1.0000000000000001}]`), &in)
	if errs := decodeErrors(used, err); len(errs) != 1 || errs[0].Field != "/0/n" || !strings.Contains(errs[0].Message, "write a whole number") {
		t.Errorf("errs = %v", errs)
	}
}

func TestWithoutValues(t *testing.T) {
	raw := []byte(`{"a":{"b/c":1,"d":[1,"x",3]},"e":"f","big":12345678901234567890}`)
	tests := []struct {
		locs [][]string
		want string
	}{
		{nil, string(raw)},
		{[][]string{{"a", "b/c"}, {"a", "d", "1"}}, `{"a":{"d":[1,null,3]},"big":12345678901234567890,"e":"f"}`},
		{[][]string{{"e"}, {"nope", "x"}, {"a", "d", "9"}, {}}, `{"a":{"b/c":1,"d":[1,"x",3]},"big":12345678901234567890}`},
		{[][]string{{"nope"}}, string(raw)},
	}
	for _, tt := range tests {
		if got := string(withoutValues(raw, tt.locs)); got != tt.want {
			t.Errorf("withoutValues(%q)\n got  %s\n want %s", tt.locs, got, tt.want)
		}
	}
}
