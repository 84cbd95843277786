package filter

import "strconv"

// MaxDepth is the deepest nesting of parentheses (including those of "not")
// that Parse accepts. It keeps hostile input from driving the recursive
// descent into a huge stack; real filters nest a handful of levels at most.
const MaxDepth = 64

// parser is a recursive-descent scanner working directly on the input
// string: there is no token slice, names and unescaped strings are
// sub-strings of the input, so a simple comparison costs one allocation
// (its node).
type parser struct {
	s         string
	i         int  // current byte offset
	depth     int  // open parentheses
	inBracket bool // inside the [...] of a value path
}

// Parse parses a SCIM filter (RFC 7644 §3.4.2.2, plus the Entra ID
// extension described in the package documentation). A syntax error is
// returned as an *Error.
func Parse(s string) (Expr, error) {
	p := parser{s: s}
	p.i = p.wsEnd(0)
	if p.eof() {
		return nil, p.fail(p.i, "empty filter")
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return e, nil
}

// or parses andExpr *(WS "or" WS andExpr) into a left-leaning chain.
func (p *parser) or() (Expr, *Error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for {
		ok, err := p.keyword("or")
		if !ok {
			return left, err
		}
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &Or{Left: left, Right: right}
	}
}

// and parses factor *(WS "and" WS factor) into a left-leaning chain.
func (p *parser) and() (Expr, *Error) {
	left, err := p.factor()
	if err != nil {
		return nil, err
	}
	for {
		ok, err := p.keyword("and")
		if !ok {
			return left, err
		}
		right, err := p.factor()
		if err != nil {
			return nil, err
		}
		left = &And{Left: left, Right: right}
	}
}

// factor parses a parenthesised filter, a negation, or an attribute
// expression (comparison, presence test or value path).
func (p *parser) factor() (Expr, *Error) {
	switch {
	case p.eof() || isCloser(p.s[p.i]):
		return nil, p.fail(p.i, "expected filter expression")
	case p.s[p.i] == '(':
		return p.group()
	case p.atNot():
		p.i = p.wsEnd(p.i + len("not"))
		x, err := p.group()
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	}
	return p.attrExpr()
}

// atNot reports whether "not" [WS] "(" comes next. Without the parenthesis
// "not" is an ordinary attribute name, as in `not pr`.
func (p *parser) atNot() bool {
	if !hasPrefixFold(p.s[p.i:], "not") {
		return false
	}
	j := p.wsEnd(p.i + len("not"))
	return j < len(p.s) && p.s[j] == '('
}

// group parses "(" [WS] filter [WS] ")" with p.i on the "(".
func (p *parser) group() (Expr, *Error) {
	if p.depth >= MaxDepth {
		return nil, p.fail(p.i, "filter nested too deeply")
	}
	p.depth++
	p.i = p.wsEnd(p.i + 1)
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.close(')'); err != nil {
		return nil, err
	}
	p.depth--
	return e, nil
}

// attrExpr parses a comparison, a presence test or a value path.
func (p *parser) attrExpr() (Expr, *Error) {
	attr, err := p.attrPath()
	if err != nil {
		return nil, err
	}
	if j := p.wsEnd(p.i); j < len(p.s) && p.s[j] == '[' {
		return p.valuePath(attr, j)
	}
	return p.comparison(attr)
}

// valuePath parses the bracketed filter at offset open and the optional
// Entra ID tail ".sub op value", which it folds into the bracket filter.
func (p *parser) valuePath(attr AttrPath, open int) (Expr, *Error) {
	filter, err := p.bracket(attr, open)
	if err != nil {
		return nil, err
	}
	if p.eof() || p.s[p.i] != '.' {
		return &ValuePath{Attr: attr, Filter: filter}, nil
	}
	p.i++
	sub, err := p.attrName()
	if err != nil {
		return nil, err
	}
	// The sub-attribute belongs to the same element the bracket filter
	// selects, so "exists e in attr: filter(e) && cmp(e.sub)" is exactly
	// attr[filter and sub cmp].
	cmp, err := p.comparison(AttrPath{Name: sub})
	if err != nil {
		return nil, err
	}
	return &ValuePath{Attr: attr, Filter: &And{Left: filter, Right: cmp}}, nil
}

// bracket parses "[" [WS] filter [WS] "]" with the "[" at offset open.
func (p *parser) bracket(attr AttrPath, open int) (Expr, *Error) {
	if p.inBracket {
		return nil, p.fail(open, "value filters cannot be nested")
	}
	if attr.Sub != "" {
		// Complex attributes cannot nest (RFC 7643 §2.3.8), so there is
		// nothing to filter below a sub-attribute, and Path has no place
		// for a sub-attribute both before and after the brackets.
		return nil, p.fail(open, "value filter on a sub-attribute")
	}
	p.inBracket = true
	p.i = p.wsEnd(open + 1)
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.close(']'); err != nil {
		return nil, err
	}
	p.inBracket = false
	return e, nil
}

// close consumes [WS] c.
func (p *parser) close(c byte) *Error {
	p.i = p.wsEnd(p.i)
	if p.eof() {
		return p.fail(p.i, "missing "+strconv.Quote(string(c)))
	}
	if p.s[p.i] != c {
		return p.fail(p.i, "expected "+strconv.Quote(string(c))+", found "+p.quoteAt(p.i))
	}
	p.i++
	return nil
}

// comparison parses WS compareOp WS compValue, or WS "pr", after attr.
func (p *parser) comparison(attr AttrPath) (Expr, *Error) {
	if err := p.space("comparison operator"); err != nil {
		return nil, err
	}
	op, err := p.operator()
	if err != nil {
		return nil, err
	}
	if op == "pr" {
		return &Present{Attr: attr}, p.afterPresent()
	}
	if err := p.space("comparison value"); err != nil {
		return nil, err
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	return &Compare{Attr: attr, Op: op, Value: v}, nil
}

// operator reads a comparison operator or "pr", case-insensitively, and
// returns it in canonical lower case without allocating.
func (p *parser) operator() (Op, *Error) {
	start := p.i
	end := start
	for end < len(p.s) && isAlpha(p.s[end]) {
		end++
	}
	word := p.s[start:end]
	if len(word) == 2 {
		if op := lookupOp(lower(word[0]), lower(word[1])); op != "" {
			p.i = end
			return op, nil
		}
	}
	if word == "" {
		return "", p.fail(start, `expected comparison operator or "pr"`)
	}
	return "", p.fail(start, "unknown operator "+quoteSnippet(word))
}

func lookupOp(a, b byte) Op {
	switch uint16(a)<<8 | uint16(b) {
	case 'e'<<8 | 'q':
		return OpEq
	case 'n'<<8 | 'e':
		return OpNe
	case 'c'<<8 | 'o':
		return OpCo
	case 's'<<8 | 'w':
		return OpSw
	case 'e'<<8 | 'w':
		return OpEw
	case 'g'<<8 | 't':
		return OpGt
	case 'g'<<8 | 'e':
		return OpGe
	case 'l'<<8 | 't':
		return OpLt
	case 'l'<<8 | 'e':
		return OpLe
	case 'p'<<8 | 'r':
		return "pr"
	}
	return ""
}

// afterPresent turns `title pr "x"` into a pointed error rather than a
// generic complaint about trailing input.
func (p *parser) afterPresent() *Error {
	j := p.wsEnd(p.i)
	if j == len(p.s) {
		return nil
	}
	c := p.s[j]
	if c == '"' || c == '-' || isDigit(c) || hasWordFold(p.s[j:], "true") ||
		hasWordFold(p.s[j:], "false") || hasWordFold(p.s[j:], "null") {
		return p.fail(j, `"pr" takes no comparison value`)
	}
	return nil
}

// keyword consumes WS kw WS if that comes next and reports whether it did.
// kw must be lower case. A keyword glued to a parenthesis ("and(") is an
// error, as RFC 7644 requires a space on both sides.
func (p *parser) keyword(kw string) (bool, *Error) {
	j := p.wsEnd(p.i)
	if j == p.i || !hasWordFold(p.s[j:], kw) {
		return false, nil
	}
	k := j + len(kw)
	p.i = p.wsEnd(k)
	if p.i == k && !p.eof() && !isCloser(p.s[p.i]) {
		return false, p.fail(p.i, "expected space after "+strconv.Quote(kw))
	}
	return true, nil
}

// space consumes the mandatory whitespace before what. Where the input ends
// or closes a group instead, it succeeds and lets the caller report the
// missing operator or value, which is the more helpful message.
func (p *parser) space(what string) *Error {
	j := p.wsEnd(p.i)
	if j == p.i && !p.eof() && !isCloser(p.s[p.i]) {
		return p.fail(p.i, "expected space before "+what+", found "+p.quoteAt(p.i))
	}
	p.i = j
	return nil
}

// end checks that only whitespace is left.
func (p *parser) end() *Error {
	p.i = p.wsEnd(p.i)
	if p.eof() {
		return nil
	}
	return p.fail(p.i, "unexpected "+p.quoteAt(p.i))
}

// attrPath parses [URN ":"] ATTRNAME ["." ATTRNAME].
func (p *parser) attrPath() (AttrPath, *Error) {
	var a AttrPath
	var err *Error
	if hasPrefixFold(p.s[p.i:], "urn:") {
		if a.URN, err = p.urn(); err != nil {
			return a, err
		}
	}
	if a.Name, err = p.attrName(); err != nil {
		return a, err
	}
	if !p.eof() && p.s[p.i] == '.' {
		p.i++
		a.Sub, err = p.attrName()
	}
	return a, err
}

// urn consumes a schema URN and the colon after it. The URN runs up to the
// last colon of the following run of URN characters: the attribute name
// never contains a colon, while the URN may contain dots ("2.0"), so
// splitting at the last colon is the only unambiguous reading.
func (p *parser) urn() (string, *Error) {
	start := p.i
	last := start + len("urn")
	for i := start; i < len(p.s) && isURNChar(p.s[i]); i++ {
		if p.s[i] == ':' {
			last = i
		}
	}
	urn := p.s[start:last]
	if last == start+len("urn") {
		return "", p.fail(start, "schema URN must be followed by \":\" and an attribute name")
	}
	for i := start + 1; i <= last; i++ {
		if p.s[i] == ':' && p.s[i-1] == ':' {
			return "", p.fail(i, "empty segment in schema URN")
		}
	}
	p.i = last + 1
	return urn, nil
}

// attrName parses ALPHA *nameChar, or "$ref".
func (p *parser) attrName() (string, *Error) {
	start := p.i
	if start < len(p.s) && p.s[start] == '$' && hasWordFold(p.s[start+1:], "ref") {
		p.i = start + len("$ref")
		return p.s[start:p.i], nil
	}
	if start >= len(p.s) || !isAlpha(p.s[start]) {
		return "", p.fail(start, "expected attribute name")
	}
	i := start + 1
	for i < len(p.s) && isNameChar(p.s[i]) {
		i++
	}
	p.i = i
	return p.s[start:i], nil
}

func (p *parser) eof() bool { return p.i >= len(p.s) }

// wsEnd returns the offset of the first non-blank byte at or after i.
func (p *parser) wsEnd(i int) int {
	for i < len(p.s) && (p.s[i] == ' ' || p.s[i] == '\t') {
		i++
	}
	return i
}

func (p *parser) fail(off int, msg string) *Error {
	return &Error{Offset: off, Msg: msg, Input: p.s}
}

// quoteAt quotes the character at offset i for an error message.
func (p *parser) quoteAt(i int) string {
	n := 1
	for n < 4 && i+n < len(p.s) && p.s[i+n]&0xC0 == 0x80 {
		n++ // keep a UTF-8 sequence whole
	}
	return strconv.Quote(p.s[i : i+n])
}

// quoteSnippet quotes s for an error message, shortening long input.
func quoteSnippet(s string) string {
	if len(s) > 32 {
		return strconv.Quote(s[:32]) + "..."
	}
	return strconv.Quote(s)
}

func isAlpha(c byte) bool    { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isNameChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '-' || c == '_' }
func isCloser(c byte) bool   { return c == ')' || c == ']' }

// isURNChar accepts the characters SCIM schema URNs use (RFC 8141 allows
// more, but none of them appear in practice and several would be ambiguous
// in a filter).
func isURNChar(c byte) bool { return isNameChar(c) || c == '.' || c == ':' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix,
// ignoring case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// hasWordFold is hasPrefixFold for a whole word: the prefix must not run on
// into a longer name.
func hasWordFold(s, word string) bool {
	return hasPrefixFold(s, word) && (len(s) == len(word) || !isNameChar(s[len(word)]))
}
