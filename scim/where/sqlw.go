package where

import (
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// writer appends SQL to an ent builder. Arguments always go through
// Builder.Arg, which numbers PostgreSQL placeholders ($1, $2, ...) across
// the whole statement; raw "?" text would not be rewritten there.
type writer struct {
	b   *sql.Builder
	sel *sql.Selector // the query being filtered: qualifies its columns
}

// pg reports whether the statement is for PostgreSQL; everything else this
// package writes is SQLite.
func (w *writer) pg() bool { return w.b.Dialect() == dialect.Postgres }

// sql appends literal SQL text. It is never given user input.
func (w *writer) sql(s string) *writer {
	w.b.WriteString(s)
	return w
}

// arg appends a bound argument.
func (w *writer) arg(v any) *writer {
	w.b.Arg(v)
	return w
}

// col appends a column of the filtered table, qualified with its name.
func (w *writer) col(name string) *writer {
	return w.sql(w.sel.C(name))
}

// cond writes a boolean SQL expression that is never NULL.
type cond func(w *writer)

// scalar writes an SQL expression for a value; it may be NULL.
type scalar func(w *writer)

// sqlTrue and sqlFalse are the constant conditions (both databases know
// the keywords; SQLite since 3.23).
var (
	sqlTrue  cond = func(w *writer) { w.sql("TRUE") }
	sqlFalse cond = func(w *writer) { w.sql("FALSE") }
)

// and, or and not combine conditions. Their operands are two-valued, so the
// results are too.
func and(l, r cond) cond {
	return func(w *writer) { w.sql("("); l(w); w.sql(" AND "); r(w); w.sql(")") }
}

func or(l, r cond) cond {
	return func(w *writer) { w.sql("("); l(w); w.sql(" OR "); r(w); w.sql(")") }
}

func not(c cond) cond {
	return func(w *writer) { w.sql("(NOT "); c(w); w.sql(")") }
}

// column is the scalar of a column of the filtered table.
func column(name string) scalar {
	return func(w *writer) { w.col(name) }
}

// notNull is "x IS NOT NULL".
func notNull(x scalar) cond {
	return func(w *writer) { x(w); w.sql(" IS NOT NULL") }
}

// nonEmpty is "x IS NOT NULL AND x <> ”": the SCIM notion of present.
func nonEmpty(x scalar) cond {
	return func(w *writer) { w.sql("("); x(w); w.sql(" IS NOT NULL AND "); x(w); w.sql(" <> '')") }
}

// likeEscape is the LIKE escape character. It is not a backslash so that
// the SQL literal means the same whatever PostgreSQL's
// standard_conforming_strings says.
const likeEscape = '!'

// escapeLike makes s match itself literally in a LIKE pattern.
func escapeLike(s string) string {
	if !strings.ContainsAny(s, "%_!") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r == '%' || r == '_' || r == likeEscape {
			b.WriteByte(likeEscape)
		}
		b.WriteRune(r)
	}
	return b.String()
}
