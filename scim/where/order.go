package where

import (
	"entgo.io/ent/dialect/sql"

	"github.com/acme/directory/scim/filter"
)

// order resolves sortBy against r and returns its ORDER BY terms.
func order(r *resource, sortBy string, descending bool) (func(*sql.Selector), error) {
	p, err := filter.ParsePath(sortBy)
	if err != nil {
		return nil, invalid("sortBy %q: %v", sortBy, err)
	}
	if p.Filter != nil {
		return nil, invalid("sortBy %q: a value path cannot be sorted by", sortBy)
	}
	t, err := r.lookup(p.Attr)
	if err != nil {
		return nil, err
	}
	a := sortAttr(t)
	if a == nil {
		return nil, invalid("sortBy %q: attribute cannot be sorted by", sortBy)
	}
	return orderBy(a, r.id, descending), nil
}

// sortAttr is the column an attribute sorts by, or nil: complex attributes
// sort by their default sub-attribute, emails by the primary email.
func sortAttr(t target) *scalarAttr {
	switch t := t.(type) {
	case *scalarAttr:
		if t.sortKey {
			return t
		}
	case complexTarget:
		if t.c.defaultSub != "" {
			return t.c.subs[t.c.defaultSub]
		}
	case multiTarget:
		if t.sub == "" || t.sub == t.m.defaultSub {
			return t.m.sortBy
		}
	}
	return nil
}

// orderBy sorts by a, absent values last in both directions (RFC 7644
// §3.4.2.3 leaves the order of unassigned values to the server), then by
// the id column in the same direction so pages are stable.
func orderBy(a *scalarAttr, id string, descending bool) func(*sql.Selector) {
	dir := ""
	if descending {
		dir = " DESC"
	}
	return func(s *sql.Selector) {
		s.OrderExprFunc(func(b *sql.Builder) {
			w := &writer{b: b, sel: s}
			if a.kind == kString && !a.notNull {
				w.sql("CASE WHEN ")
				nonEmpty(a.value)(w)
				w.sql(" THEN 0 ELSE 1 END, ")
			}
			sortValue(w, a)
			w.sql(dir + ", ").col(id).sql(dir)
		})
	}
}

// sortValue writes the expression a sorts by: strings by code point, folded
// when case-insensitive; times as instants (on SQLite, as UTC text).
func sortValue(w *writer, a *scalarAttr) {
	if a.kind != kString {
		a.value(w)
		return
	}
	v := a.value
	if a.fold == lowered {
		v = lower(v)
	}
	if !a.notNull {
		// NULL and '' both come out NULL, so absent values tie and fall
		// back to the id.
		w.sql("NULLIF(")
		v(w)
		w.sql(", '')")
	} else {
		v(w)
	}
	if w.pg() {
		w.sql(` COLLATE "C"`)
	}
}
