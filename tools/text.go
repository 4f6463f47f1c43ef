package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Checks on the raw arguments that run before they are decoded: each finds
// what a decoder would silently change.

// rawProblem is the first problem the checks below find in raw, or "".
func rawProblem(raw []byte) string {
	if problem := invalidText(raw); problem != "" {
		return problem
	}
	if repeatedDryRun(raw) {
		return "dry_run appears more than once; send it once"
	}
	return ""
}

// invalidText describes text in raw JSON that a decoder would silently turn
// into U+FFFD and send: bytes that are not UTF-8, and \u escapes of unpaired
// UTF-16 surrogates. It returns "" when there is none.
func invalidText(raw []byte) string {
	if !utf8.Valid(raw) {
		return "they hold bytes that are not UTF-8; send text as UTF-8"
	}
	for i := bytes.IndexByte(raw, '\\'); i >= 0 && i+1 < len(raw); {
		next := i + 2 // past a two-character escape
		if r, ok := escapedRune(raw[i:]); ok && utf16.IsSurrogate(r) {
			low, paired := escapedRune(raw[i+6:])
			if r >= 0xDC00 || !paired || low < 0xDC00 || low > 0xDFFF {
				return fmt.Sprintf("%s is half of a UTF-16 surrogate pair; send the whole character", raw[i:i+6])
			}
			next = i + 12
		}
		j := bytes.IndexByte(raw[min(next, len(raw)):], '\\')
		if j < 0 {
			break
		}
		i = next + j
	}
	return ""
}

// repeatedDryRun reports whether the arguments hold dry_run more than once.
// A decoder keeps the last value, so {"dry_run":true, …, "dry_run":false}
// would quietly create the agent the first key asked only to preview.
func repeatedDryRun(raw []byte) bool {
	// A key spelled another way ("dry\u005frun") needs a \u escape: no
	// two-character escape stands for any of its letters.
	if bytes.Count(raw, []byte(`"dry_run"`)) < 2 && !bytes.Contains(raw, []byte(`\u`)) {
		return false // the common case, without parsing
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	seen := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		if key == "dry_run" {
			if seen {
				return true
			}
			seen = true
		}
		var value json.RawMessage
		if dec.Decode(&value) != nil {
			return false
		}
	}
	return false
}

// escapedRune reads a \uXXXX escape at the start of b.
func escapedRune(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[2:6]), 16, 16)
	return rune(n), err == nil
}
