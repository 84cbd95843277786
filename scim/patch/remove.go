package patch

import (
	"github.com/acme/directory/scim/schema"
)

// remove runs a remove on a resolved target, and unassigns for an add or
// replace of null. value is the remove's optional value: for a
// multi-valued attribute it lists the values to remove.
func (a *applier) remove(t target, value any) error {
	switch {
	case t.filter != nil:
		return a.removeFiltered(t)
	case t.sub != nil:
		return a.removeSub(t)
	case value != nil && t.attr.MultiValued:
		return a.removeListed(t, value)
	case t.attr.Required:
		return errorf(InvalidValue, t.path, "%s is required and cannot be removed", t.attr.Name)
	}
	c := a.container(t, false)
	if c == nil {
		return nil
	}
	if err := checkImmutable(t.attr, c, nil, t.path); err != nil {
		return err
	}
	delKey(c, t.attr.Name)
	a.tidy(t)
	return nil
}

// removeFiltered removes the elements the filter selects, or their
// sub-attribute. A filter that selects nothing changes nothing.
func (a *applier) removeFiltered(t target) error {
	c := a.container(t, false)
	if c == nil {
		return nil
	}
	list := getList(c, t.attr.Name)
	hits := matching(t, list)
	if len(hits) == 0 {
		return nil
	}
	for _, i := range hits {
		elem := list[i].(map[string]any)
		if t.sub == nil {
			list[i] = map[string]any{} // dropped below
			continue
		}
		if err := checkImmutable(t.sub, elem, nil, t.path); err != nil {
			return err
		}
		delKey(elem, t.sub.Name)
	}
	a.storeList(t, c, dropEmpty(list))
	return nil
}

// removeSub removes a sub-attribute: of a single-valued complex attribute,
// or of every element of a multi-valued one.
func (a *applier) removeSub(t target) error {
	c := a.container(t, false)
	if c == nil {
		return nil
	}
	if !t.attr.MultiValued {
		cur := getMap(c, t.attr.Name)
		if cur == nil {
			return nil
		}
		if err := checkImmutable(t.sub, cur, nil, t.path); err != nil {
			return err
		}
		delKey(cur, t.sub.Name)
		a.store(t, c, cur)
		return nil
	}
	list := getList(c, t.attr.Name)
	for _, e := range list {
		if elem, ok := e.(map[string]any); ok {
			if err := checkImmutable(t.sub, elem, nil, t.path); err != nil {
				return err
			}
			delKey(elem, t.sub.Name)
		}
	}
	a.storeList(t, c, dropEmpty(list))
	return nil
}

// removeListed removes the values a remove operation lists, never the
// others: {"op":"remove","path":"emails","value":[{"value":"a@example.com"}]}.
func (a *applier) removeListed(t target, value any) error {
	listed, err := coerceList(t.attr, listedValues(t.attr, value), t.path)
	if err != nil {
		return err
	}
	c := a.container(t, false)
	if c == nil || len(listed) == 0 {
		return nil
	}
	list := getList(c, t.attr.Name)
	kept := list[:0]
	for _, e := range list {
		if !listedIn(t.attr, listed, e) {
			kept = append(kept, e)
		}
	}
	a.storeList(t, c, kept)
	return nil
}

// listedValues accepts a bare string as {"value": s} in a removal list.
func listedValues(a *schema.Attribute, value any) any {
	if s, ok := value.(string); ok && a.Type == schema.Complex && a.Sub("value") != nil {
		return map[string]any{"value": s}
	}
	return value
}

func listedIn(a *schema.Attribute, listed []any, elem any) bool {
	for _, l := range listed {
		if sameValueOrSubset(a, l, elem) {
			return true
		}
	}
	return false
}

// storeList writes a multi-valued attribute back, or removes it when no
// value is left.
func (a *applier) storeList(t target, c map[string]any, list []any) {
	if len(list) == 0 {
		delKey(c, t.attr.Name)
		a.tidy(t)
		return
	}
	setKey(c, t.attr.Name, list)
}
