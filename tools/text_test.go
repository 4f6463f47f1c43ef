package tools

import (
	"strings"
	"testing"
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
