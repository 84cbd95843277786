package store

import (
	"context"
	"database/sql/driver"
	"fmt"
)

// Prepared statements for the hot reads on a direct PostgreSQL connection.
//
// Every statement with arguments goes to PostgreSQL as one simple-protocol
// message (pooler.go), so the server parses and plans it each time: for
// GET /Users/{id}, the user's row joined with its groups, that is most of
// the database's work. On a direct connection (no transaction-pooling
// proxy between: Config.DirectURL empty or the same URL) a named prepared
// statement lives as long as the connection, so the statements a caller
// marks with Prepared are prepared once per connection and then run with
// one Bind/Execute exchange. Behind a proxy the mark is ignored: there a
// named statement may be on another server connection than the next
// transaction's.
//
// Only marked statements are prepared, not all: a prepared statement may
// switch to a generic plan after a few runs, which is right for a look-up
// by key (the hot reads) and can be wrong for a list whose best plan
// depends on its arguments. SQLite prepares every statement already
// (stmtcache.go), so the mark changes nothing there.

// preparedKey marks a context whose statements are prepared (Prepared).
type preparedKey struct{}

// Prepared returns ctx with its statements marked as hot reads: on a
// direct PostgreSQL connection each is prepared once per connection and
// reused. Mark only statements whose text is fixed (no text built per
// request): each distinct text is one server-side statement a connection
// keeps until maxPreparedStmts is reached.
func Prepared(ctx context.Context) context.Context {
	return context.WithValue(ctx, preparedKey{}, true)
}

// isPrepared reports whether ctx is marked with Prepared.
func isPrepared(ctx context.Context) bool {
	v, _ := ctx.Value(preparedKey{}).(bool)
	return v
}

// maxPreparedStmts bounds the prepared statements of one connection; past
// it, marked statements run as unmarked ones do.
const maxPreparedStmts = 32

// queryPrepared runs query through the connection's prepared statement of
// that text, preparing it the first time. ok is false when the statement
// is not kept (the connection keeps maxPreparedStmts already): the caller
// runs it its usual way.
func (c *pgConn) queryPrepared(ctx context.Context, query string, args []driver.NamedValue) (_ driver.Rows, ok bool, err error) {
	st := c.stmts[query]
	if st == nil {
		if len(c.stmts) >= maxPreparedStmts {
			return nil, false, nil
		}
		s, err := c.pq().PrepareContext(ctx, query)
		if err != nil {
			return nil, true, err
		}
		q, isQ := s.(driver.StmtQueryContext)
		if !isQ {
			s.Close()
			return nil, true, fmt.Errorf("store: lib/pq's statement lacks QueryContext")
		}
		if c.stmts == nil {
			c.stmts = map[string]driver.StmtQueryContext{}
		}
		c.stmts[query], st = q, q
	}
	rows, err := st.QueryContext(ctx, args)
	return rows, true, err
}
