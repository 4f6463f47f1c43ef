package providers

import (
	"fmt"
	"io"
)

// Redacted is what a secret shows instead of its value.
const Redacted = "[REDACTED]"

// Secret holds a credential. Every way of printing it (fmt verbs, JSON, text
// marshalling, zerolog's Stringer path) shows Redacted; only Reveal returns the
// value, and it is called where a request is signed or a header is set.
//
// The value sits behind a pointer: fmt cannot call the methods of a Secret in
// an unexported field (of Credentials, say), and prints a pointer there as an
// address, never what it points to.
type Secret struct{ value *string }

// NewSecret wraps a credential value.
func NewSecret(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{value: &v}
}

// Reveal returns the credential itself. Keep the result out of logs and errors.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether no value is set.
func (s Secret) IsZero() bool { return s.value == nil }

func (s Secret) String() string {
	if s.value == nil {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from printing the struct field.
func (s Secret) GoString() string { return s.String() }

// Format covers every verb, including %v on structs that embed a Secret.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalJSON never emits the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", s.String())), nil }

// MarshalText never emits the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
