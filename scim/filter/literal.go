package filter

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// value parses compValue: a JSON string, a JSON number, or true, false or
// null in any case. It must be followed by a blank, a closer or the end.
func (p *parser) value() (Value, *Error) {
	if p.eof() {
		return Value{}, p.fail(p.i, "expected comparison value")
	}
	var v Value
	var err *Error
	switch c := p.s[p.i]; {
	case c == '"':
		v.Kind = KindString
		v.Str, err = p.str()
	case c == '-' || isDigit(c):
		v, err = p.number()
	default:
		v, err = p.literal()
	}
	if err != nil {
		return Value{}, err
	}
	if !p.eof() && p.wsEnd(p.i) == p.i && !isCloser(p.s[p.i]) {
		return Value{}, p.fail(p.i, "unexpected "+p.quoteAt(p.i)+" after comparison value")
	}
	return v, nil
}

// literal parses true, false or null.
func (p *parser) literal() (Value, *Error) {
	start := p.i
	end := start
	for end < len(p.s) && isNameChar(p.s[end]) {
		end++
	}
	word := p.s[start:end]
	var v Value
	switch {
	case hasWordFold(word, "true"):
		v = Value{Kind: KindBool, Bool: true}
	case hasWordFold(word, "false"):
		v = Value{Kind: KindBool}
	case hasWordFold(word, "null"):
		v = Value{Kind: KindNull}
	case word == "" && start < len(p.s) && p.s[start] == '\'':
		return v, p.fail(start, "strings must be double-quoted")
	case word == "":
		return v, p.fail(start, "expected comparison value")
	default:
		return v, p.fail(start, "invalid comparison value "+quoteSnippet(word)+" (strings must be double-quoted)")
	}
	p.i = end
	return v, nil
}

// number parses a JSON number (RFC 8259 §6), keeping the literal in Raw.
// Numbers beyond float64 range are rejected rather than turned into ±Inf,
// which no consumer could compare against.
func (p *parser) number() (Value, *Error) {
	s, start := p.s, p.i
	i := start
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
		if i < len(s) && isDigit(s[i]) {
			return Value{}, p.fail(i-1, "invalid number: leading zero")
		}
	case i < len(s) && isDigit(s[i]):
		i = digitsEnd(s, i)
	default:
		return Value{}, p.fail(i, "invalid number: expected digit")
	}
	if i < len(s) && s[i] == '.' {
		j := digitsEnd(s, i+1)
		if j == i+1 {
			return Value{}, p.fail(j, `invalid number: expected digit after "."`)
		}
		i = j
	}
	if i < len(s) && lower(s[i]) == 'e' {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digitsEnd(s, i)
		if j == i {
			return Value{}, p.fail(j, "invalid number: expected digit in exponent")
		}
		i = j
	}
	raw := s[start:i]
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return Value{}, p.fail(start, "number out of range")
	}
	p.i = i
	return Value{Kind: KindNumber, Num: f, Raw: raw}, nil
}

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// str parses a JSON string with p.i on the opening quote. The common case,
// no escapes, returns a sub-string of the input without allocating.
func (p *parser) str() (string, *Error) {
	s, start := p.s, p.i
	for i := start + 1; i < len(s); {
		switch c := s[i]; {
		case c == '"':
			p.i = i + 1
			return s[start+1 : i], nil
		case c == '\\':
			return p.unescape(start, i)
		case c < 0x20:
			return "", p.fail(i, "control character in string (must be escaped)")
		case c >= utf8.RuneSelf:
			n, err := p.runeLen(i)
			if err != nil {
				return "", err
			}
			i += n
		default:
			i++
		}
	}
	return "", p.fail(start, "unterminated string")
}

// unescape finishes the string opened at start once the first backslash,
// at i, has been found.
func (p *parser) unescape(start, i int) (string, *Error) {
	s := p.s
	var b strings.Builder
	b.Grow(i - start + 16)
	b.WriteString(s[start+1 : i])
	run := i // start of the bytes not yet copied to b
	for i < len(s) {
		switch c := s[i]; {
		case c == '"':
			b.WriteString(s[run:i])
			p.i = i + 1
			return b.String(), nil
		case c == '\\':
			b.WriteString(s[run:i])
			r, n, err := p.escape(start, i)
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			i += n
			run = i
		case c < 0x20:
			return "", p.fail(i, "control character in string (must be escaped)")
		case c >= utf8.RuneSelf:
			n, err := p.runeLen(i)
			if err != nil {
				return "", err
			}
			i += n
		default:
			i++
		}
	}
	return "", p.fail(start, "unterminated string")
}

// escape decodes the escape sequence at i (a backslash) inside the string
// opened at start, returning the rune and the length of the sequence.
func (p *parser) escape(start, i int) (rune, int, *Error) {
	s := p.s
	if i+1 >= len(s) {
		return 0, 0, p.fail(start, "unterminated string")
	}
	switch s[i+1] {
	case '"', '\\', '/':
		return rune(s[i+1]), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		return p.unicodeEscape(i)
	}
	return 0, 0, p.fail(i, "invalid escape sequence "+p.quoteEscape(i))
}

// unicodeEscape decodes \uXXXX at i, combining a UTF-16 surrogate pair
// \uD83D\uDE00 into one rune. Lone surrogates are rejected: they are not
// characters and could not be stored as UTF-8.
func (p *parser) unicodeEscape(i int) (rune, int, *Error) {
	r, ok := hex4(p.s, i+2)
	if !ok {
		return 0, 0, p.fail(i, `invalid \u escape: expected four hex digits`)
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if r < 0xDC00 && i+7 < len(p.s) && p.s[i+6] == '\\' && p.s[i+7] == 'u' {
		if lo, ok := hex4(p.s, i+8); ok {
			if c := utf16.DecodeRune(r, lo); c != utf8.RuneError {
				return c, 12, nil
			}
		}
	}
	return 0, 0, p.fail(i, "invalid UTF-16 surrogate pair")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		var d byte
		switch {
		case isDigit(c):
			d = c - '0'
		case 'a' <= lower(c) && lower(c) <= 'f':
			d = lower(c) - 'a' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// runeLen returns the length of the UTF-8 sequence at i, rejecting invalid
// encodings so that every parsed string is valid UTF-8.
func (p *parser) runeLen(i int) (int, *Error) {
	r, n := utf8.DecodeRuneInString(p.s[i:])
	if r == utf8.RuneError && n == 1 {
		return 0, p.fail(i, "invalid UTF-8 in string")
	}
	return n, nil
}

// quoteEscape quotes the backslash sequence at i for an error message.
func (p *parser) quoteEscape(i int) string {
	return strconv.Quote(p.s[i:i+1]) + " followed by " + p.quoteAt(i+1)
}
