package patch

import (
	"github.com/acme/directory/scim/schema"
)

// set runs an add or replace on a resolved target. op is "add" or
// "replace"; value is normalised JSON.
func (a *applier) set(op string, t target, value any) error {
	switch {
	case t.filter != nil:
		return a.setFiltered(t, value)
	case value == nil:
		return a.unassign(t)
	case t.sub != nil:
		return a.setSub(t, value)
	case t.attr.MultiValued:
		return a.setMulti(op, t, value)
	case t.attr.Type == schema.Complex:
		return a.setComplex(t, value)
	}
	return a.setSimple(t, value)
}

// unassign handles a null value: "unassigned" and null are the same state
// (RFC 7643 §2.5).
func (a *applier) unassign(t target) error {
	return a.remove(t, nil)
}

func (a *applier) setSimple(t target, value any) error {
	v, err := coerceSimple(t.attr, value, t.path)
	if err != nil {
		return err
	}
	c := a.container(t, true)
	if err := checkImmutable(t.attr, c, v, t.path); err != nil {
		return err
	}
	setKey(c, t.attr.Name, v)
	return nil
}

// setComplex merges the given sub-attributes into a single-valued complex
// attribute; the others are left unchanged (RFC 7644 §3.5.2.1, §3.5.2.3).
func (a *applier) setComplex(t target, value any) error {
	m, err := coerceComplex(t.attr, value, t.path)
	if err != nil {
		return err
	}
	c := a.container(t, true)
	cur := getMap(c, t.attr.Name)
	if cur == nil {
		cur = map[string]any{}
	}
	if err := merge(t.attr, cur, m, t.path); err != nil {
		return err
	}
	a.store(t, c, cur)
	return nil
}

// store writes a complex value, or removes the attribute when it has no
// sub-attribute left.
func (a *applier) store(t target, c map[string]any, m map[string]any) {
	if len(m) == 0 {
		delKey(c, t.attr.Name)
		a.tidy(t)
		return
	}
	setKey(c, t.attr.Name, m)
}

// setSub sets one sub-attribute: of a single-valued complex attribute, or
// of every element of a multi-valued one (creating an element when there
// is none).
func (a *applier) setSub(t target, value any) error {
	v, err := coerceSimple(t.sub, value, t.path)
	if err != nil {
		return err
	}
	c := a.container(t, true)
	if !t.attr.MultiValued {
		cur := getMap(c, t.attr.Name)
		if cur == nil {
			cur = map[string]any{}
		}
		if err := merge(t.attr, cur, map[string]any{t.sub.Name: v}, t.path); err != nil {
			return err
		}
		a.store(t, c, cur)
		return nil
	}
	list := getList(c, t.attr.Name)
	if len(list) == 0 {
		list = []any{map[string]any{}}
	}
	winner := -1
	for i, e := range list {
		if elem, ok := e.(map[string]any); ok {
			if err := merge(t.attr, elem, map[string]any{t.sub.Name: v}, t.path); err != nil {
				return err
			}
			if winner < 0 && isPrimary(elem) {
				winner = i
			}
		}
	}
	setKey(c, t.attr.Name, onePrimary(list, winner))
	return nil
}

// setMulti replaces all values of a multi-valued attribute, or adds values
// to it. Adding a value that is already there merges it into the existing
// one instead of duplicating it.
func (a *applier) setMulti(op string, t target, value any) error {
	list, err := coerceList(t.attr, value, t.path)
	if err != nil {
		return err
	}
	if op == "replace" {
		if len(list) == 0 {
			return a.unassign(t)
		}
		setKey(a.container(t, true), t.attr.Name, onePrimary(list, -1))
		return nil
	}
	if len(list) == 0 {
		return nil // adding nothing
	}
	c := a.container(t, true)
	cur := getList(c, t.attr.Name)
	winner := -1
	for _, v := range list {
		i := indexOf(t.attr, cur, v)
		if i < 0 {
			cur = append(cur, v)
			i = len(cur) - 1
		} else if err := mergeElement(t.attr, cur[i], v, t.path); err != nil {
			return err
		}
		if winner < 0 && isPrimary(v) {
			winner = i
		}
	}
	setKey(c, t.attr.Name, onePrimary(cur, winner))
	return nil
}

// setFiltered (add and replace alike) changes the elements a filter selects: the value
// object is merged into each match, or, with a sub-attribute, that
// sub-attribute is set on each. When nothing matches and the filter is of
// the form `type eq "work"`, the element is created.
func (a *applier) setFiltered(t target, value any) error {
	if value == nil {
		return a.remove(t, nil)
	}
	patchValue, err := a.elementPatch(t, value)
	if err != nil {
		return err
	}
	c := a.container(t, true)
	list := getList(c, t.attr.Name)
	hits := matching(t, list)
	created := false
	if len(hits) == 0 {
		fields, ok := createFields(t.filter, t.attr)
		if !ok {
			return errorf(NoTarget, t.path, "no value of %s matches [%s]", t.attr.Name, t.filter)
		}
		list = append(list, fields)
		hits, created = []int{len(list) - 1}, true
	}
	winner := -1
	for _, i := range hits {
		elem := list[i].(map[string]any)
		if err := merge(t.attr, elem, patchValue, t.path); err != nil {
			return err
		}
		// The element this operation made primary wins over the others.
		if winner < 0 && isPrimary(elem) && (created || isPrimary(patchValue)) {
			winner = i
		}
	}
	setKey(c, t.attr.Name, onePrimary(dropEmpty(list), winner))
	return nil
}

// elementPatch converts the value of a filtered operation into the
// sub-attributes to merge into each matching element.
func (a *applier) elementPatch(t target, value any) (map[string]any, *Error) {
	if t.sub != nil {
		v, err := coerceSimple(t.sub, value, t.path)
		if err != nil {
			return nil, err
		}
		return map[string]any{t.sub.Name: v}, nil
	}
	return coerceComplex(t.attr, value, t.path)
}

// matching returns the indexes of the elements of list that t's filter
// selects.
func matching(t target, list []any) []int {
	var hits []int
	for i, e := range list {
		if elem, ok := e.(map[string]any); ok && matches(t.filter, elem, t.attr) {
			hits = append(hits, i)
		}
	}
	return hits
}

// merge copies the sub-attributes of src into dst; a null in src removes
// the sub-attribute. An immutable sub-attribute that has a value may only
// be given that same value.
func merge(a *schema.Attribute, dst, src map[string]any, path string) *Error {
	for k, v := range src {
		sub := a.Sub(k)
		if sub == nil {
			continue
		}
		if err := checkImmutable(sub, dst, v, path); err != nil {
			return err
		}
		if v == nil {
			delKey(dst, sub.Name)
		} else {
			setKey(dst, sub.Name, v)
		}
	}
	return nil
}

func mergeElement(a *schema.Attribute, dst, src any, path string) *Error {
	d, ok1 := dst.(map[string]any)
	s, ok2 := src.(map[string]any)
	if !ok1 || !ok2 {
		return nil // equal simple values: nothing to merge
	}
	return merge(a, d, s, path)
}

// checkImmutable refuses to change an immutable attribute that has a value
// in holder (RFC 7643 §7: it may be set once, when absent).
func checkImmutable(a *schema.Attribute, holder map[string]any, v any, path string) *Error {
	if a.Mutability != schema.Immutable {
		return nil
	}
	old, ok := getKey(holder, a.Name)
	if !ok || old == nil || (v != nil && sameValue(a, old, v)) {
		return nil
	}
	return errorf(Mutability, path, "%s is immutable and already set", a.Name)
}

// indexOf returns the index of the element of list that v repeats, or -1.
func indexOf(a *schema.Attribute, list []any, v any) int {
	for i, e := range list {
		if sameElement(a, v, e) {
			return i
		}
	}
	return -1
}

func dropEmpty(list []any) []any {
	out := list[:0]
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && len(m) == 0 {
			continue
		}
		out = append(out, e)
	}
	return out
}

func isPrimary(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	p, _ := getKey(m, "primary")
	b, _ := toBool(p)
	return b
}

// onePrimary leaves at most one element with primary true (RFC 7643 §2.4):
// the winner if it is one, else the first.
func onePrimary(list []any, winner int) []any {
	if winner < 0 {
		for i, e := range list {
			if isPrimary(e) {
				winner = i
				break
			}
		}
	}
	for i, e := range list {
		if i != winner && isPrimary(e) {
			delKey(e.(map[string]any), "primary")
		}
	}
	return list
}
