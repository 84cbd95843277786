package where

import (
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/scim/filter"
	"github.com/acme/directory/store"
)

// compareString compares a string attribute. An absent value (NULL or "")
// never satisfies a comparison, so every comparison is guarded by presence;
// ne is the exact complement of eq.
func (a *scalarAttr) compareString(op filter.Op, v filter.Value) (cond, error) {
	if v.Kind != filter.KindString {
		return nil, a.wrongType(op, v, "a string")
	}
	if v.Str == "" {
		return a.compareEmpty(op), nil
	}
	lhs, rhs := a.operands(v.Str)
	switch op {
	case filter.OpEq:
		return a.guard(binary(lhs, " = ", rhs)), nil
	case filter.OpNe:
		return not(a.guard(binary(lhs, " = ", rhs))), nil
	case filter.OpCo, filter.OpSw, filter.OpEw:
		return a.guard(a.match(op, lhs, v.Str)), nil
	}
	sop, ok := sqlOp[op]
	if !ok {
		return nil, invalid("filter %s %s %s: unsupported operator %q", a.name, op, v, op)
	}
	if a.notNull {
		return ordered(lhs, sop, rhs), nil
	}
	// The ordering operators also need the "" guard: '' < 'x'.
	return and(nonEmpty(a.value), ordered(lhs, sop, rhs)), nil
}

// compareEmpty is a comparison with "": `x eq ""` means x is absent, and
// every present value contains, starts with, ends with, is greater than or
// equal to "".
func (a *scalarAttr) compareEmpty(op filter.Op) cond {
	p, _ := a.present()
	switch op {
	case filter.OpEq:
		return not(p)
	case filter.OpLt, filter.OpLe:
		return sqlFalse
	}
	return p
}

// operands are the two sides of a string comparison, folded the
// attribute's way.
func (a *scalarAttr) operands(s string) (lhs, rhs scalar) {
	switch a.fold {
	case lowered:
		return lower(a.value), lower(bound(s))
	case keyed:
		return a.value, bound(schematype.FoldKey(s))
	}
	return a.value, bound(s)
}

// guard makes c two-valued: a NULL value fails instead of making c NULL.
func (a *scalarAttr) guard(c cond) cond {
	if a.notNull {
		return c
	}
	return and(notNull(a.value), c)
}

// match is co, sw or ew. Case-exact attributes on SQLite avoid LIKE, which
// ignores ASCII case there.
func (a *scalarAttr) match(op filter.Op, lhs scalar, s string) cond {
	pattern := escapeLike(s)
	switch op {
	case filter.OpCo:
		pattern = "%" + pattern + "%"
	case filter.OpSw:
		pattern += "%"
	default:
		pattern = "%" + pattern
	}
	if a.fold == keyed {
		s, pattern = schematype.FoldKey(s), schematype.FoldKey(pattern)
	}
	like := a.like(lhs, pattern)
	if a.fold != exact {
		return like
	}
	sqliteExact := exactMatchSQLite(op, lhs, s)
	return func(w *writer) {
		if w.pg() {
			like(w)
		} else {
			sqliteExact(w)
		}
	}
}

// like is "lhs LIKE pattern ESCAPE '!'", lower-casing the pattern when the
// attribute is compared that way.
func (a *scalarAttr) like(lhs scalar, pattern string) cond {
	return func(w *writer) {
		lhs(w)
		w.sql(" LIKE ")
		if a.fold == lowered {
			lower(bound(pattern))(w)
		} else {
			w.arg(pattern)
		}
		w.sql(" ESCAPE '" + string(likeEscape) + "'")
	}
}

// exactMatchSQLite is co, sw or ew with SQLite's case-sensitive string
// functions; lengths and positions are in characters on both sides.
func exactMatchSQLite(op filter.Op, lhs scalar, s string) cond {
	return func(w *writer) {
		switch op {
		case filter.OpCo:
			w.sql("instr(")
			lhs(w)
			w.sql(", ").arg(s).sql(") > 0")
		case filter.OpSw:
			w.sql("instr(")
			lhs(w)
			w.sql(", ").arg(s).sql(") = 1")
		default:
			w.sql("substr(")
			lhs(w)
			w.sql(", -length(").arg(s).sql(")) = ").arg(s)
		}
	}
}

// compareTime compares meta.created or meta.lastModified with an RFC 3339
// dateTime as instants.
func (a *scalarAttr) compareTime(op filter.Op, v filter.Value) (cond, error) {
	if v.Kind != filter.KindString {
		return nil, a.wrongType(op, v, "a dateTime string")
	}
	sop, ok := sqlOp[op]
	if !ok && op != filter.OpNe {
		return nil, invalid("filter %s %s %s: %s is a dateTime: use eq, ne, gt, ge, lt, le or pr", a.name, op, v, a.name)
	}
	t, err := time.Parse(time.RFC3339Nano, v.Str)
	if err != nil {
		return nil, invalid("filter %s %s %s: %q is not an RFC 3339 dateTime", a.name, op, v, v.Str)
	}
	if op == filter.OpNe {
		return not(a.timeCmp(" = ", t)), nil
	}
	return a.timeCmp(sop, t), nil
}

// timeCmp is "value op t": a timestamptz on PostgreSQL; on SQLite the
// stored UTC text, which the driver writes t in too (see the package doc),
// so text order is time order.
func (a *scalarAttr) timeCmp(op string, t time.Time) cond {
	t = t.UTC()
	return func(w *writer) {
		a.value(w)
		w.sql(op).arg(t)
	}
}

// compareID compares a UUID: eq and ne by value (so an index applies and
// any spelling of the UUID works), a value that is not a UUID matching
// nothing; the other operators compare the canonical lower-case text.
func (a *scalarAttr) compareID(op filter.Op, v filter.Value) (cond, error) {
	if v.Kind != filter.KindString {
		return nil, a.wrongType(op, v, "an id string")
	}
	if op == filter.OpEq || op == filter.OpNe {
		c := sqlFalse
		if id, err := uuid.Parse(v.Str); err == nil {
			c = binary(a.value, " = ", bound(id))
		}
		if op == filter.OpNe {
			return not(c), nil
		}
		return c, nil
	}
	text := &scalarAttr{name: a.name, kind: kString, fold: keyed, notNull: true, value: uuidText(a.value)}
	return text.compareString(op, v)
}

// uuidText is a UUID's canonical text: SQLite stores it so already.
func uuidText(x scalar) scalar {
	return func(w *writer) {
		if !w.pg() {
			x(w)
			return
		}
		w.sql("CAST(")
		x(w)
		w.sql(" AS text)")
	}
}

// sqlOp maps the ordering operators to SQL, padded with spaces.
var sqlOp = map[filter.Op]string{
	filter.OpEq: " = ", filter.OpGt: " > ", filter.OpGe: " >= ", filter.OpLt: " < ", filter.OpLe: " <= ",
}

// binary is "lhs op rhs".
func binary(lhs scalar, op string, rhs scalar) cond {
	return func(w *writer) { lhs(w); w.sql(op); rhs(w) }
}

// ordered is a string ordering comparison: by code point on both databases,
// which is SQLite's BINARY collation and PostgreSQL's "C" (given to both
// sides, which lower() may have given another).
func ordered(lhs scalar, op string, rhs scalar) cond {
	return func(w *writer) {
		lhs(w)
		if w.pg() {
			w.sql(` COLLATE "C"`)
		}
		w.sql(op)
		rhs(w)
		if w.pg() {
			w.sql(` COLLATE "C"`)
		}
	}
}

// bound is an argument.
func bound(v any) scalar {
	return func(w *writer) { w.arg(v) }
}

// lower is x lower-cased over all of Unicode, as schematype.FoldKey does,
// on both databases: SQLite's lower() folds ASCII only, so there the Go
// function the store registers (store.SQLiteLower) does it; PostgreSQL's
// lower() follows the database's locale (ASCII only under LC_CTYPE=C), so
// there it is given ICU's root collation (store.PostgresFoldCollation).
func lower(x scalar) scalar {
	return func(w *writer) {
		if !w.pg() {
			w.sql(store.SQLiteLower + "(")
			x(w)
			w.sql(")")
			return
		}
		w.sql("lower(")
		x(w)
		w.sql(` COLLATE "` + store.PostgresFoldCollation + `")`)
	}
}

// sortedKeys returns m's keys in order, so the SQL is deterministic.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
