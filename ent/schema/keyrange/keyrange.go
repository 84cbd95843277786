// Package keyrange writes "column = v" for the columns that lead a
// composite (column, id) index lists page through, so that PostgreSQL
// reads the page from that index.
//
// # Why
//
// A directory's users are listed by id, and the (directory_id, id) index
// holds them in that order. Given directory_id = $1, PostgreSQL treats the
// column as a constant: the primary key then gives the same id order, and
// the planner may prefer it, walking every row of the table in id order and
// filtering out other directories' rows. When the directory's ids come
// after those of the others (the usual case: it was filled later), a first
// page passes all of them first: 52 ms instead of 0.3 ms behind 100,000
// rows of another directory.
//
// Written as the closed range directory_id >= $1 AND directory_id <= $1,
// and with the list ordered by (directory_id, id), only the composite index
// gives the order: the page is found by the index's condition and its first
// rows. The range selects the same rows, and for a value among the
// column's most common ones PostgreSQL estimates it exactly as it does the
// equality.
//
// SQLite keeps the equality and the plain order: its planner reads the
// composite index already, and chose a worse index for the sortBy orders
// when given the range.
package keyrange

import (
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// Is selects the rows whose column equals v: an equality on SQLite, the
// range [v, v] on PostgreSQL. Every condition on the column of a listed
// query must be written so: an equality beside the range makes the column
// a constant again.
func Is(column string, v any) func(*sql.Selector) {
	return func(s *sql.Selector) {
		c := s.C(column)
		if s.Dialect() != dialect.Postgres {
			s.Where(sql.EQ(c, v))
			return
		}
		s.Where(sql.And(sql.GTE(c, v), sql.LTE(c, v)))
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
