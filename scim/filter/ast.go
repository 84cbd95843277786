package filter

// Expr is a parsed filter expression node: one of *Compare, *Present, *And,
// *Or, *Not or *ValuePath.
type Expr interface {
	// String renders the expression as canonical filter text that Parse
	// turns back into an equal tree.
	String() string

	// appendTo renders the node; being unexported it also closes the set
	// of node types to this package.
	appendTo(b []byte) []byte
}

// AttrPath names an attribute: an optional schema URN, the attribute name
// and an optional sub-attribute name. Names are kept as written.
//
// For "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
// URN is "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Name is
// "manager" and Sub is "value".
type AttrPath struct {
	URN  string // schema URN without the trailing colon; "" if absent
	Name string // attribute name
	Sub  string // sub-attribute name; "" if absent
}

// String renders the path as "URN:Name.Sub", leaving out absent parts.
func (a AttrPath) String() string { return string(a.appendTo(nil)) }

func (a AttrPath) appendTo(b []byte) []byte {
	if a.URN != "" {
		b = append(b, a.URN...)
		b = append(b, ':')
	}
	b = append(b, a.Name...)
	if a.Sub != "" {
		b = append(b, '.')
		b = append(b, a.Sub...)
	}
	return b
}

// Op is a comparison operator, always in its lower-case canonical spelling.
type Op string

// The comparison operators of RFC 7644 §3.4.2.2.
const (
	OpEq Op = "eq" // equal
	OpNe Op = "ne" // not equal
	OpCo Op = "co" // contains
	OpSw Op = "sw" // starts with
	OpEw Op = "ew" // ends with
	OpGt Op = "gt" // greater than
	OpGe Op = "ge" // greater than or equal to
	OpLt Op = "lt" // less than
	OpLe Op = "le" // less than or equal to
)

// Compare is "attrPath compareOp compValue", e.g. userName eq "bjensen".
type Compare struct {
	Attr  AttrPath
	Op    Op
	Value Value
}

// Present is "attrPath pr": the attribute has a non-empty value.
type Present struct {
	Attr AttrPath
}

// And is "Left and Right".
type And struct {
	Left, Right Expr
}

// Or is "Left or Right".
type Or struct {
	Left, Right Expr
}

// Not is "not (X)".
type Not struct {
	X Expr
}

// ValuePath is "attrPath[Filter]": some element of the multi-valued
// attribute Attr matches Filter, whose attribute paths are relative to Attr.
//
// The Entra ID form emails[type eq "work"].value eq "x" is normalised to
// ValuePath{Attr: emails, Filter: And{type eq "work", value eq "x"}}; see the
// package documentation.
type ValuePath struct {
	Attr   AttrPath
	Filter Expr
}

// String renders the comparison as canonical filter text.
func (e *Compare) String() string { return string(e.appendTo(nil)) }

// String renders the presence test as canonical filter text.
func (e *Present) String() string { return string(e.appendTo(nil)) }

// String renders the conjunction as canonical filter text.
func (e *And) String() string { return string(e.appendTo(nil)) }

// String renders the disjunction as canonical filter text.
func (e *Or) String() string { return string(e.appendTo(nil)) }

// String renders the negation as canonical filter text.
func (e *Not) String() string { return string(e.appendTo(nil)) }

// String renders the value path as canonical filter text.
func (e *ValuePath) String() string { return string(e.appendTo(nil)) }

func (e *Compare) appendTo(b []byte) []byte {
	b = e.Attr.appendTo(b)
	b = append(b, ' ')
	b = append(b, e.Op...)
	b = append(b, ' ')
	return e.Value.appendTo(b)
}

func (e *Present) appendTo(b []byte) []byte {
	b = e.Attr.appendTo(b)
	return append(b, " pr"...)
}

// The parser builds left-associative chains, so a left operand of the same
// kind needs no parentheses but a right one does; "and" binds tighter than
// "or", so only an Or under an And is ever wrapped for precedence.
func (e *And) appendTo(b []byte) []byte {
	b = appendOperand(b, e.Left, isOr(e.Left))
	b = append(b, " and "...)
	return appendOperand(b, e.Right, isOr(e.Right) || isAnd(e.Right))
}

func (e *Or) appendTo(b []byte) []byte {
	b = appendOperand(b, e.Left, false)
	b = append(b, " or "...)
	return appendOperand(b, e.Right, isOr(e.Right))
}

func (e *Not) appendTo(b []byte) []byte {
	return appendOperand(append(b, "not "...), e.X, true)
}

func (e *ValuePath) appendTo(b []byte) []byte {
	b = e.Attr.appendTo(b)
	b = append(b, '[')
	b = appendExpr(b, e.Filter)
	return append(b, ']')
}

func appendOperand(b []byte, e Expr, paren bool) []byte {
	if !paren {
		return appendExpr(b, e)
	}
	b = append(b, '(')
	b = appendExpr(b, e)
	return append(b, ')')
}

// appendExpr tolerates nil so that String never panics on a hand-built,
// incomplete tree.
func appendExpr(b []byte, e Expr) []byte {
	if e == nil {
		return append(b, "<nil>"...)
	}
	return e.appendTo(b)
}

func isOr(e Expr) bool  { _, ok := e.(*Or); return ok }
func isAnd(e Expr) bool { _, ok := e.(*And); return ok }
