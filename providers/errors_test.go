package providers

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVendorErrorClipsVendorText(t *testing.T) {
	e := &VendorError{Provider: "Datagrid", Status: 400, Code: strings.Repeat("C", 5000),
		Message: strings.Repeat("ü", 100000), RequestID: strings.Repeat("r", 5000) + "\xff",
		Hint: "Check the key."}
	msg := e.Error()
	if !utf8.ValidString(msg) {
		t.Fatal("message is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(msg); n > maxMessageRunes+2*maxCodeRunes+200 {
		t.Errorf("message is %d characters; vendor text must be clipped", n)
	}
	for _, n := range []int{maxMessageRunes, maxMessageRunes + 1} {
		got := (&VendorError{Provider: "Datagrid", Status: 400, Message: strings.Repeat("a", n)}).Error()
		clipped := n > maxMessageRunes
		if !strings.Contains(got, strings.Repeat("a", maxMessageRunes)) || strings.Contains(got, strings.Repeat("a", maxMessageRunes+1)) || strings.Contains(got, "a…") != clipped {
			t.Errorf("a message of %d characters: %q", n, got)
		}
	}
	if !strings.HasSuffix(msg, ". Check the key.") {
		t.Errorf("our own hint must survive clipping: …%s", msg[len(msg)-40:])
	}
}

func TestVendorErrorStatus(t *testing.T) {
	for status, want := range map[int]string{400: "Datagrid rejected the request (HTTP 400 Bad Request)", 499: "Datagrid rejected the request (HTTP 499)", 0: "Datagrid rejected the request",
		502: "Datagrid answered with an error (HTTP 502 Bad Gateway)", 500: "Datagrid answered with an error (HTTP 500 Internal Server Error)"} {
		if got := (&VendorError{Provider: "Datagrid", Status: status}).Error(); got != want {
			t.Errorf("status %d: %q, want %q", status, got, want)
		}
	}
	// An error in a 200 body that may have created the agent, or still
	// names one, is not a refusal either.
	for _, e := range []*VendorError{{Provider: "DMS", Retry: MaybeProcessed}, {Provider: "DMS", AgentID: "ca-1"}} {
		if got := e.Error(); got != "DMS answered with an error" {
			t.Errorf("%+v: %q, want \"DMS answered with an error\"", e, got)
		}
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"日本語テキスト", 3, "日本語…"},
		{"a\xffb", 3, "a?b"},
	} {
		if got := Clip(tc.in, tc.max); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	if got := Snippet(nil); got != "(empty response body)" {
		t.Errorf("Snippet(nil) = %q", got)
	}
	if got := Snippet([]byte("<h1>Bad\n\n  Gateway</h1>")); got != "<h1>Bad Gateway</h1>" {
		t.Errorf("Snippet joins whitespace: %q", got)
	}
	if got := Snippet([]byte(strings.Repeat("x ", 1000))); utf8.RuneCountInString(got) != maxSnippetRunes+1 {
		t.Errorf("Snippet is %d characters, want %d and the cut mark", utf8.RuneCountInString(got), maxSnippetRunes+1)
	}
}

func TestUnknownOutcomeWording(t *testing.T) {
	cause := errors.New("timeout")
	for _, tc := range []struct {
		name    string
		e       UnknownOutcomeError
		want    []string
		mustNot []string
	}{
		{"named, vendor assigns ids", UnknownOutcomeError{Provider: "V", AgentName: "Ana", VerifyHint: "GET /agents"},
			[]string{`"Ana"`, "Do not simply call the tool again", `named "Ana" exists: GET /agents`}, []string{"same id"}},
		{"unnamed", UnknownOutcomeError{Provider: "V", VerifyHint: "GET /agents"},
			[]string{"Do not simply call the tool again", "without a name, the most recently created: GET /agents"}, []string{`named "(no name given)" exists`}},
		{"idempotent", UnknownOutcomeError{Provider: "V", AgentName: "Ana", ClientID: "agent_1", VerifyHint: "GET /agents/agent_1"},
			[]string{"with id agent_1", "the same id agent_1 cannot create a second agent", "GET /agents/agent_1"}, []string{"Do not simply"}},
	} {
		tc.e.Cause = cause
		msg := tc.e.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message lacks %q:\n%s", tc.name, w, msg)
			}
		}
		for _, w := range tc.mustNot {
			if strings.Contains(msg, w) {
				t.Errorf("%s: message has %q:\n%s", tc.name, w, msg)
			}
		}
	}
}

func TestFieldErrorsCapped(t *testing.T) {
	var errs FieldErrors
	for i := range 25 {
		errs.Add(fmt.Sprintf("/f%02d", 24-i), "bad")
	}
	errs = append(errs, FieldError{More: 7}) // a count an earlier cap left
	capped := errs.Capped(20)
	if len(capped) != 21 || capped[0].Field != "/f00" || capped[19].Field != "/f19" || capped[20].More != 12 {
		t.Fatalf("Capped(20) = %+v", capped)
	}
	if got := capped.Error(); !strings.HasSuffix(got, "\n- …: 12 more problems not listed; fix these and call again to see them") {
		t.Errorf("Error() = %q", got)
	}
	if got := errs[:3].Capped(20); len(got) != 3 || got[0].Field != "/f22" {
		t.Errorf("a short list is only sorted: %+v", got)
	}
}

// Capped lists problems by field: the whole arguments first, a field before
// the fields inside it, array items by index and before other keys.
func TestCappedOrdersByPointer(t *testing.T) {
	want := []string{"", "/9", "/10", "/", "//x", "/1a", "/a", "/a/0", "/a/2", "/a/10", "/a/10/b", "/a/x", "/a~1b", "/b", "/b/1", "/b/01"}
	var errs FieldErrors
	for i := range want {
		errs.Add(want[(i*5)%len(want)], "bad") // shuffled: 5 and 16 share no factor
	}
	var got []string
	for _, e := range errs.Capped(len(errs)) {
		got = append(got, e.Field)
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("Capped ordered\n%q\nwant\n%q", got, want)
	}
}

// ComparePointers is a total order, so that which problems are listed first
// depends on the arguments, not on the order the checks found them in.
func TestComparePointersIsAnOrder(t *testing.T) {
	segments := []string{"", "0", "1", "2", "9", "10", "01", "1a", "a", "~0", "~1", "b"}
	pointers := []string{""}
	for range 2 {
		for _, p := range pointers {
			for _, s := range segments {
				pointers = append(pointers, p+"/"+s)
			}
		}
		pointers = slices.Compact(slices.Sorted(slices.Values(pointers)))
	}
	sign := func(a, b string) int { return cmp.Compare(ComparePointers(a, b), 0) }
	for _, a := range pointers {
		for _, b := range pointers {
			if ab := sign(a, b); ab != -sign(b, a) || (ab == 0) != (a == b) {
				t.Fatalf("compare(%q, %q) = %d, compare(%q, %q) = %d", a, b, ab, b, a, sign(b, a))
			}
		}
	}
	sorted := slices.SortedFunc(slices.Values(pointers), ComparePointers)
	for i, a := range sorted {
		for _, b := range sorted[i+1:] {
			if sign(a, b) >= 0 {
				t.Fatalf("after sorting %q comes before %q, which is less", a, b)
			}
		}
	}
}
