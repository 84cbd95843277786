package patch

import (
	"encoding/json"
	"strings"

	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/scim/schema"
)

// Value filters of PATCH paths (emails[type eq "work"]) are evaluated in
// memory on the elements of a multi-valued attribute. checkFilter validates
// a filter against the attribute's sub-attributes once, so that matches
// itself cannot fail and an invalid filter is reported even when the
// attribute has no elements.

// checkFilter reports an invalidPath error unless every comparison of e
// names a sub-attribute of a with an operator and literal that suit its
// type.
func checkFilter(e filter.Expr, a *schema.Attribute, path string) *Error {
	switch x := e.(type) {
	case *filter.And:
		return firstErr(checkFilter(x.Left, a, path), checkFilter(x.Right, a, path))
	case *filter.Or:
		return firstErr(checkFilter(x.Left, a, path), checkFilter(x.Right, a, path))
	case *filter.Not:
		return checkFilter(x.X, a, path)
	case *filter.Present:
		_, err := filterSub(x.Attr, a, path)
		return err
	case *filter.Compare:
		sub, err := filterSub(x.Attr, a, path)
		if err != nil {
			return err
		}
		return checkCompare(sub, x, path)
	}
	return errorf(InvalidPath, path, "value filters cannot nest another value filter")
}

func firstErr(a, b *Error) *Error {
	if a != nil {
		return a
	}
	return b
}

// filterSub resolves an attribute path inside brackets: a bare
// sub-attribute name of a.
func filterSub(p filter.AttrPath, a *schema.Attribute, path string) (*schema.Attribute, *Error) {
	if a.Type != schema.Complex {
		return nil, errorf(InvalidPath, path, "%s has no sub-attributes to filter on", a.Name)
	}
	sub := a.Sub(p.Name)
	if p.URN != "" || p.Sub != "" || sub == nil {
		return nil, errorf(InvalidPath, path, "%s has no sub-attribute %q", a.Name, p.String())
	}
	return sub, nil
}

func checkCompare(sub *schema.Attribute, c *filter.Compare, path string) *Error {
	lit := c.Value.Kind
	ordered := c.Op == filter.OpGt || c.Op == filter.OpGe || c.Op == filter.OpLt || c.Op == filter.OpLe
	textual := c.Op == filter.OpCo || c.Op == filter.OpSw || c.Op == filter.OpEw
	ok := false
	switch {
	case lit == filter.KindNull:
		ok = c.Op == filter.OpEq || c.Op == filter.OpNe
	case sub.Type == schema.Boolean:
		ok = lit == filter.KindBool && !ordered && !textual
	case sub.Type == schema.Integer || sub.Type == schema.Decimal:
		ok = lit == filter.KindNumber && !textual
	case sub.Type == schema.DateTime:
		ok = lit == filter.KindString && (textual || validTime(c.Value.Str))
	default:
		ok = lit == filter.KindString
	}
	if !ok {
		return errorf(InvalidPath, path, "cannot compare %s (%s) with %s %s", sub.Name, sub.Type, c.Op, c.Value)
	}
	return nil
}

// matches reports whether elem, an element of a (a validated filter's
// attribute), satisfies e. Strings compare case-insensitively unless the
// sub-attribute is caseExact; an absent sub-attribute satisfies only ne and
// "eq null".
func matches(e filter.Expr, elem map[string]any, a *schema.Attribute) bool {
	switch x := e.(type) {
	case *filter.And:
		return matches(x.Left, elem, a) && matches(x.Right, elem, a)
	case *filter.Or:
		return matches(x.Left, elem, a) || matches(x.Right, elem, a)
	case *filter.Not:
		return !matches(x.X, elem, a)
	case *filter.Present:
		v, _ := getKey(elem, x.Attr.Name)
		return present(v)
	case *filter.Compare:
		v, _ := getKey(elem, x.Attr.Name)
		return compare(a.Sub(x.Attr.Name), x.Op, x.Value, v)
	}
	return false
}

func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

func compare(sub *schema.Attribute, op filter.Op, lit filter.Value, v any) bool {
	if v == nil || lit.Kind == filter.KindNull {
		same := (v == nil) == (lit.Kind == filter.KindNull)
		return (op == filter.OpEq && same) || (op == filter.OpNe && !same)
	}
	switch sub.Type {
	case schema.Boolean:
		b, ok := toBool(v)
		return ok && (b == lit.Bool) == (op == filter.OpEq)
	case schema.Integer, schema.Decimal:
		f, ok := toFloat(v)
		return ok && ordered(op, cmpFloat(f, lit.Num))
	case schema.DateTime:
		if c, ok := cmpTime(v, lit.Str); ok && op != filter.OpCo && op != filter.OpSw && op != filter.OpEw {
			return ordered(op, c)
		}
	}
	s, ok := v.(string)
	if !ok {
		return op == filter.OpNe
	}
	want := lit.Str
	if !sub.CaseExact {
		s, want = strings.ToLower(s), strings.ToLower(want)
	}
	switch op {
	case filter.OpCo:
		return strings.Contains(s, want)
	case filter.OpSw:
		return strings.HasPrefix(s, want)
	case filter.OpEw:
		return strings.HasSuffix(s, want)
	}
	return ordered(op, strings.Compare(s, want))
}

// ordered applies an equality or ordering operator to a three-way
// comparison result.
func ordered(op filter.Op, c int) bool {
	switch op {
	case filter.OpEq:
		return c == 0
	case filter.OpNe:
		return c != 0
	case filter.OpGt:
		return c > 0
	case filter.OpGe:
		return c >= 0
	case filter.OpLt:
		return c < 0
	case filter.OpLe:
		return c <= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpTime(v any, lit string) (int, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	t, ok1 := parseTime(s)
	u, ok2 := parseTime(lit)
	if !ok1 || !ok2 {
		return 0, false
	}
	return t.Compare(u), true
}

// createFields returns the sub-attributes a new element must have to match
// e, when e is a conjunction of "sub eq literal" comparisons on writable
// sub-attributes, such as type eq "work". Entra ID and Okta send
// addresses[type eq "work"].streetAddress for a user without a work
// address: the element is then created rather than the request failing.
func createFields(e filter.Expr, a *schema.Attribute) (map[string]any, bool) {
	fields := map[string]any{}
	var walk func(filter.Expr) bool
	walk = func(e filter.Expr) bool {
		switch x := e.(type) {
		case *filter.And:
			return walk(x.Left) && walk(x.Right)
		case *filter.Compare:
			sub := a.Sub(x.Attr.Name)
			if x.Op != filter.OpEq || sub == nil || sub.Mutability == schema.ReadOnly {
				return false
			}
			v, ok := literal(sub, x.Value)
			if old, dup := fields[sub.Name]; !ok || (dup && old != v) {
				return false
			}
			fields[sub.Name] = v
			return true
		}
		return false
	}
	return fields, walk(e)
}

// literal converts a validated filter literal to the document value of sub.
func literal(sub *schema.Attribute, v filter.Value) (any, bool) {
	switch v.Kind {
	case filter.KindString:
		return v.Str, true
	case filter.KindBool:
		return v.Bool, true
	case filter.KindNumber:
		c, err := coerceSimple(sub, json.Number(v.Raw), "")
		return c, err == nil
	}
	return nil, false
}
