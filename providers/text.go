package providers

import "encoding/json"

// Text is a string field of a vendor's answer that takes any other JSON
// value too, as that value's JSON: a code sent as a number, or a field of
// another shape than documented, must not cost the rest of an error its
// message.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	switch {
	case json.Unmarshal(b, &s) == nil:
		*t = Text(s)
	case string(b) != "null":
		*t = Text(b)
	}
	return nil
}
