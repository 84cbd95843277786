package filter

import (
	"strconv"
	"unicode/utf8"
)

// ValueKind says which field of a Value holds the comparison value.
type ValueKind uint8

// The kinds of comparison value. The zero ValueKind is not a valid kind.
const (
	KindString ValueKind = iota + 1 // Value.Str
	KindNumber                      // Value.Num and Value.Raw
	KindBool                        // Value.Bool
	KindNull                        // no field
)

// String returns "string", "number", "boolean", "null" or "invalid".
func (k ValueKind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindNull:
		return "null"
	}
	return "invalid"
}

// Value is a typed comparison value: a string, number, boolean or null.
// Only the fields that belong to Kind are set, so Values compare with ==.
type Value struct {
	Kind ValueKind
	Str  string  // KindString: the unescaped string
	Num  float64 // KindNumber: the parsed number
	Raw  string  // KindNumber: the JSON number literal as written
	Bool bool    // KindBool
}

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{Kind: KindString, Str: s} }

// BoolValue returns a boolean Value.
func BoolValue(b bool) Value { return Value{Kind: KindBool, Bool: b} }

// NullValue returns the null Value.
func NullValue() Value { return Value{Kind: KindNull} }

// NumberValue returns a number Value for a JSON number literal, or an *Error
// if raw is not one or does not fit a float64.
func NumberValue(raw string) (Value, error) {
	p := parser{s: raw}
	v, err := p.number()
	if err == nil && p.i != len(raw) {
		err = p.fail(p.i, "invalid number")
	}
	if err != nil {
		return Value{}, err
	}
	return v, nil
}

// String renders the value as a filter literal: a JSON string, the number
// as written, true, false or null.
func (v Value) String() string { return string(v.appendTo(nil)) }

func (v Value) appendTo(b []byte) []byte {
	switch v.Kind {
	case KindString:
		return appendQuoted(b, v.Str)
	case KindNumber:
		return append(b, v.Raw...)
	case KindBool:
		return strconv.AppendBool(b, v.Bool)
	case KindNull:
		return append(b, "null"...)
	}
	return append(b, "<invalid>"...)
}

// appendQuoted writes s as a JSON string, escaping only what JSON requires so
// that non-ASCII text stays readable. Invalid UTF-8 (only possible in a
// hand-built Value) becomes \ufffd so the output always parses.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		b = appendEscape(b, c)
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	if c >= utf8.RuneSelf {
		return append(b, `\ufffd`...)
	}
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}
