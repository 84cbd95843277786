package where

import (
	"github.com/acme/directory/scim/filter"
)

// scope resolves attribute paths: the resource's attributes at the top of
// a filter, an element's fields inside brackets.
type scope interface {
	lookup(p filter.AttrPath) (target, error)
}

// target is what an attribute path resolves to; it compiles the tests a
// filter applies to it.
type target interface {
	compare(op filter.Op, v filter.Value) (cond, error)
	present() (cond, error)
	valuePath(f filter.Expr) (cond, error)
}

// compile checks e against the attributes of sc and returns its SQL
// condition. All validation happens here, so building the SQL later cannot
// fail.
func compile(e filter.Expr, sc scope) (cond, error) {
	switch e := e.(type) {
	case *filter.And:
		return compile2(e.Left, e.Right, sc, and)
	case *filter.Or:
		return compile2(e.Left, e.Right, sc, or)
	case *filter.Not:
		x, err := compile(e.X, sc)
		if err != nil {
			return nil, err
		}
		return not(x), nil
	case *filter.Compare:
		t, err := sc.lookup(e.Attr)
		if err != nil {
			return nil, err
		}
		return t.compare(e.Op, e.Value)
	case *filter.Present:
		t, err := sc.lookup(e.Attr)
		if err != nil {
			return nil, err
		}
		return t.present()
	case *filter.ValuePath:
		t, err := sc.lookup(e.Attr)
		if err != nil {
			return nil, err
		}
		return t.valuePath(e.Filter)
	case nil:
		return nil, invalid("empty filter")
	}
	return nil, invalid("unsupported filter expression %T", e)
}

func compile2(l, r filter.Expr, sc scope, join func(l, r cond) cond) (cond, error) {
	lc, err := compile(l, sc)
	if err != nil {
		return nil, err
	}
	rc, err := compile(r, sc)
	if err != nil {
		return nil, err
	}
	return join(lc, rc), nil
}

// complexTarget is a complex attribute named without a sub-attribute.
type complexTarget struct{ c *complexAttr }

func (t complexTarget) compare(op filter.Op, v filter.Value) (cond, error) {
	if t.c.defaultSub == "" {
		return nil, invalid("attribute %q is complex: compare one of its sub-attributes, e.g. %s",
			t.c.name, firstSub(t.c.subs))
	}
	return t.c.subs[t.c.defaultSub].compare(op, v)
}

// present is true when any sub-attribute is present.
func (t complexTarget) present() (cond, error) {
	var c cond
	for _, name := range sortedKeys(t.c.subs) {
		p, err := t.c.subs[name].present()
		if err != nil {
			return nil, err
		}
		if c == nil {
			c = p
		} else {
			c = or(c, p)
		}
	}
	return c, nil
}

// valuePath applies a bracket filter to the sub-attributes: name[givenName
// eq "x"] is name.givenName eq "x".
func (t complexTarget) valuePath(f filter.Expr) (cond, error) {
	return compile(f, subScope{t.c.name, t.c.subs})
}

// multiTarget is a multi-valued attribute, with the sub-attribute the path
// named ("" for none).
type multiTarget struct {
	m   *multiAttr
	sub string
}

// field is the element field a comparison without brackets applies to.
func (t multiTarget) field() (*scalarAttr, error) {
	sub := t.sub
	if sub == "" {
		sub = t.m.defaultSub
	}
	if sub == "" {
		return nil, invalid("attribute %q has no value: compare one of its sub-attributes, e.g. %s",
			t.m.name, firstSub(t.m.subs))
	}
	return t.m.subs[sub], nil
}

// compare is "some element matches", except for the two complements:
// "emails ne x" holds when no element is x, and "emails eq null" when no
// element has a value.
func (t multiTarget) compare(op filter.Op, v filter.Value) (cond, error) {
	a, err := t.field()
	if err != nil {
		return nil, err
	}
	negate := false
	switch null := v.Kind == filter.KindNull; {
	case op == filter.OpNe && !null:
		op, negate = filter.OpEq, true
	case op == filter.OpEq && null:
		op, negate = filter.OpNe, true
	}
	c, err := a.compare(op, v)
	if err != nil {
		return nil, err
	}
	if negate {
		return not(t.m.exists(c)), nil
	}
	return t.m.exists(c), nil
}

// present: "emails pr" is a non-empty array, "emails.type pr" an element
// with a type.
func (t multiTarget) present() (cond, error) {
	if t.sub == "" {
		return t.m.nonEmpty, nil
	}
	c, err := t.m.subs[t.sub].present()
	if err != nil {
		return nil, err
	}
	return t.m.exists(c), nil
}

func (t multiTarget) valuePath(f filter.Expr) (cond, error) {
	if t.sub != "" {
		return nil, invalid("attribute %q: brackets go right after %s", t.m.name+"."+t.sub, t.m.name)
	}
	c, err := compile(f, subScope{t.m.name, t.m.subs})
	if err != nil {
		return nil, err
	}
	return t.m.exists(c), nil
}

func (a *scalarAttr) valuePath(filter.Expr) (cond, error) {
	return nil, invalid("attribute %q is neither multi-valued nor complex: it takes no [filter]", a.name)
}

func (a *scalarAttr) present() (cond, error) {
	switch {
	case a.kind == kBool && a.presence != nil:
		return a.presence, nil
	case a.notNull || a.kind == kBool:
		return sqlTrue, nil
	}
	return nonEmpty(a.value), nil
}

// compare handles null for every kind, then hands over to the kind.
func (a *scalarAttr) compare(op filter.Op, v filter.Value) (cond, error) {
	if v.Kind == filter.KindNull {
		p, _ := a.present()
		switch op {
		case filter.OpEq:
			return not(p), nil
		case filter.OpNe:
			return p, nil
		}
		return nil, invalid("filter %s %s null: null can only be compared with eq or ne", a.name, op)
	}
	switch a.kind {
	case kBool:
		return a.compareBool(op, v)
	case kTime:
		return a.compareTime(op, v)
	case kID:
		return a.compareID(op, v)
	}
	return a.compareString(op, v)
}

// wrongType is the error for a value of the wrong type.
func (a *scalarAttr) wrongType(op filter.Op, v filter.Value, want string) error {
	return invalid("filter %s %s %s: %s is %s, not a %s", a.name, op, v, a.name, want, v.Kind)
}

func (a *scalarAttr) compareBool(op filter.Op, v filter.Value) (cond, error) {
	if op != filter.OpEq && op != filter.OpNe {
		return nil, invalid("filter %s %s %s: %s is a boolean: only eq, ne and pr apply", a.name, op, v, a.name)
	}
	if v.Kind != filter.KindBool {
		return nil, a.wrongType(op, v, "a boolean")
	}
	if v.Bool == (op == filter.OpEq) {
		return a.truth, nil
	}
	return not(a.truth), nil
}

// firstSub names a sub-attribute for an error message's example.
func firstSub(subs map[string]*scalarAttr) string {
	keys := sortedKeys(subs)
	return subs[keys[0]].name
}
