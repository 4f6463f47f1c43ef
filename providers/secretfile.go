package providers

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"unicode/utf16"
)

// ReadSecretFile reads a secret (a key, a token) kept in the file at path,
// trimmed of the white space around it. Windows editors mark a file's
// encoding with a byte-order mark that is no part of the secret: Notepad's
// "UTF-8 with BOM" writes EF BB BF, and PowerShell 5's `"key" > file` writes
// UTF-16 with FF FE. Sent as read, either would make every call's key wrong,
// with nothing in sight to say why; they are read as the text they mark.
func ReadSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(text(b)), nil
}

// text decodes b by its byte-order mark, if it has one, else as UTF-8.
func text(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return string(b[3:])
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return utf16Text(b[2:], binary.LittleEndian)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return utf16Text(b[2:], binary.BigEndian)
	}
	return string(b)
}

func utf16Text(b []byte, order binary.ByteOrder) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = order.Uint16(b[2*i:])
	}
	return string(utf16.Decode(units))
}
