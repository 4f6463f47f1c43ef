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
// parsed is raw already decoded, or nil.
func rawProblem(raw []byte, parsed any) string {
	if problem := invalidText(raw); problem != "" {
		return problem
	}
	if at := repeatedKey(raw, parsed); at != "" {
		return fmt.Sprintf("%s appears more than once in its object; send each key once", at)
	}
	return ""
}

// repeatedKey is the JSON pointer of a key that appears twice in one object
// of raw, or "". The schema sees only a repeated key's last value, but Go's
// decoder merges an object given twice into one struct, so what is sent
// could differ from what was checked; and {"dry_run":true, …,
// "dry_run":false} would quietly create the agent the first key asked only
// to preview.
func repeatedKey(raw []byte, parsed any) string {
	// Every colon outside strings ends a key: as many as the decoded value
	// has keys means none repeats, the common case, without parsing again.
	if parsed != nil && colonsOutsideStrings(raw) == keyCount(parsed) {
		return ""
	}
	var path []string
	dec := json.NewDecoder(bytes.NewReader(raw))
	if at, err := firstRepeated(dec, &path); err == nil {
		return at
	}
	return ""
}

func colonsOutsideStrings(raw []byte) int {
	n, inString := 0, false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case inString && c == '\\':
			i++ // the escaped character
		case c == '"':
			inString = !inString
		case !inString && c == ':':
			n++
		}
	}
	return n
}

func keyCount(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		n += len(v)
		for _, child := range v {
			n += keyCount(child)
		}
	case []any:
		for _, child := range v {
			n += keyCount(child)
		}
	}
	return n
}

// firstRepeated reads one value from dec; path is where it stands.
func firstRepeated(dec *json.Decoder, path *[]string) (string, error) {
	t, err := dec.Token()
	if err != nil {
		return "", err
	}
	switch t {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", err
			}
			key, _ := kt.(string)
			*path = append(*path, key)
			if seen[key] {
				return pointer(*path), nil
			}
			seen[key] = true
			if at, err := firstRepeated(dec, path); at != "" || err != nil {
				return at, err
			}
			*path = (*path)[:len(*path)-1]
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			*path = append(*path, strconv.Itoa(i))
			if at, err := firstRepeated(dec, path); at != "" || err != nil {
				return at, err
			}
			*path = (*path)[:len(*path)-1]
		}
	default:
		return "", nil
	}
	_, err = dec.Token() // the closing delimiter
	return "", err
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

// escapedRune reads a \uXXXX escape at the start of b.
func escapedRune(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[2:6]), 16, 16)
	return rune(n), err == nil
}
