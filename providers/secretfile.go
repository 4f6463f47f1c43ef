package providers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ReadSecretFile reads a secret (a key, a token) kept in the file at path,
// trimmed of the white space around it. Windows editors mark a file's
// encoding with a byte-order mark that is no part of the secret: Notepad's
// "UTF-8 with BOM" writes EF BB BF, and PowerShell 5's `"key" > file` writes
// UTF-16 with FF FE. Sent as read, either would make every call's key wrong,
// with nothing in sight to say why; they are read as the text they mark.
//
// A leading ~ is the home directory: a client's JSON config has no shell to
// expand it.
func ReadSecretFile(path string) (string, error) {
	full, err := ExpandHome(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return "", err
	}
	t, err := text(b)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return strings.TrimSpace(t), nil
}

// text decodes b by its byte-order mark, if it has one, else as UTF-8.
func text(b []byte) (string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return string(b[3:]), nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return utf16Text(b[2:], binary.LittleEndian)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return utf16Text(b[2:], binary.BigEndian)
	}
	return string(b), nil
}

// utf16Text decodes b, refusing what is not UTF-16 (an odd byte, half a
// surrogate pair) rather than sending a key changed by the decoding.
func utf16Text(b []byte, order binary.ByteOrder) (string, error) {
	invalid := errors.New("marked as UTF-16 but not valid UTF-16: save it again as UTF-8")
	if len(b)%2 != 0 {
		return "", invalid
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = order.Uint16(b[2*i:])
	}
	for i := 0; i < len(units); i++ {
		if !utf16.IsSurrogate(rune(units[i])) {
			continue
		}
		if i+1 == len(units) || utf16.DecodeRune(rune(units[i]), rune(units[i+1])) == utf8.RuneError {
			return "", invalid
		}
		i++ // a surrogate pair
	}
	return string(utf16.Decode(units)), nil
}

// ExpandHome replaces a leading ~ of path with the user's home directory.
// ~user, and names that merely start with ~, are left as they are.
func ExpandHome(path string) (string, error) {
	rest, ok := strings.CutPrefix(path, "~")
	if !ok || rest != "" && rest[0] != '/' && rest[0] != filepath.Separator {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return path, fmt.Errorf("cannot expand ~: %w", err)
	}
	return filepath.Join(home, rest), nil
}
