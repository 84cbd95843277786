// Package listkey writes the statements of lists that page through rows in
// (key, id) order, where key is the column that selects them (a directory,
// an organization) and leads a composite index, so that PostgreSQL reads a
// page from that index.
//
// # Why
//
// A directory's users are listed by id, and the (directory_id, id) index
// holds them in that order. Given directory_id = $1, PostgreSQL treats the
// column as a constant: the primary key then gives the same id order, and
// the planner may prefer it, walking every row of the table in id order and
// filtering out other directories' rows. When the directory's ids come
// after those of the others (the usual case: it was filled later), a first
// page passes all of them first: 2.9 ms instead of 0.06 ms behind 20,000
// rows of another directory; in the bench, a directory of 1,000,000 users
// behind 101,000 served its first page at 0.13x of the rate at 1,000.
//
// Written as directory_id = ANY(ARRAY[$1]), and with the list ordered by
// (directory_id, id), only the composite index gives the order. The array
// of one value selects the same rows, PostgreSQL estimates it as it does
// the equality, and a B-tree treats it as an equality: a condition on the
// index's next column (userName sw "x" on (directory_id, user_name_key))
// still bounds the scan. (A range, directory_id >= $1 AND directory_id <=
// $1, did not: such a filter read the rest of the directory.)
//
// The statements of such a list run with NewContext, which tells the
// privacy rules to select the key the same way: an equality beside it
// would make the column a constant again. Other statements keep the
// equality. SQLite keeps the equality and the plain order everywhere: its
// planner reads the composite index already, and chose worse indexes for
// the sortBy orders when given a range.
package listkey

import (
	"context"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
)

// Is selects the rows whose column equals v: an equality on SQLite,
// column = ANY(ARRAY[v]) on PostgreSQL.
func Is(column string, v uuid.UUID) func(*sql.Selector) {
	return func(s *sql.Selector) {
		c := s.C(column)
		if s.Dialect() != dialect.Postgres {
			s.Where(sql.EQ(c, v))
			return
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(c).WriteString(" = ANY(ARRAY[").Arg(v).WriteString("]::uuid[])")
		}))
	}
}

// Lead is the order term that puts column first, before the list's own
// order, in that order's direction: on PostgreSQL only (nothing on SQLite),
// so that the (column, ...) index is the one that gives the order. The
// column must be selected by Is: the term then changes no result.
func Lead(column string, descending bool) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if s.Dialect() != dialect.Postgres {
			return
		}
		if descending {
			s.OrderBy(sql.Desc(s.C(column)))
			return
		}
		s.OrderBy(sql.Asc(s.C(column)))
	}
}

type listingKey struct{}

// NewContext returns ctx for the statements of a list that selects its
// key with Is and leads its order with Lead: the privacy rules then select
// their key columns with Is too.
func NewContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, listingKey{}, true)
}

// FromContext reports whether ctx is a list's (NewContext).
func FromContext(ctx context.Context) bool {
	listing, _ := ctx.Value(listingKey{}).(bool)
	return listing
}
