package store

import (
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
)

// Args collects the arguments of a hand-written statement and writes their
// placeholders in the dialect's style: $n on PostgreSQL, ? on SQLite
// (which also reads $n, but looks named parameters up one by one: slow in
// a statement of thousands). The set-based statements of package domain
// and package roles build their SQL with it.
type Args struct {
	numbered bool
	// List is the arguments, in placeholder order: pass it to the query.
	List []any
}

// NewArgs returns an empty Args for the ent dialect dia.
func NewArgs(dia string) *Args { return &Args{numbered: dia == dialect.Postgres} }

// Add adds v and returns its placeholder.
func (a *Args) Add(v any) string {
	a.List = append(a.List, v)
	if a.numbered {
		return "$" + strconv.Itoa(len(a.List))
	}
	return "?"
}

// IDs adds ids and returns their placeholders, comma-separated.
func (a *Args) IDs(ids []uuid.UUID) string {
	var s strings.Builder
	for i, id := range ids {
		if i > 0 {
			s.WriteByte(',')
		}
		s.WriteString(a.Add(id))
	}
	return s.String()
}
