package store

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
)

// Prepared statements of SQLite connections.
//
// modernc's driver prepares a statement's text each time it runs
// (sqlite3_prepare_v2: parse, resolve, plan) and finalizes it after: in a
// profile of GET /Users/{id} on SQLite a quarter of the server's CPU was
// SQLite's parser. The queries the server sends are few distinct texts run
// again and again (ent's, and the domain's own), so each connection keeps
// the statements it prepared, by text, and runs them again with new
// arguments (modernc resets a statement for reuse when its rows close).
//
// A statement is run from the cache only when it is idle: a query whose
// rows are still open holds its statement, and the same text run meanwhile
// on the connection (a nested query) is prepared on its own, as before. A
// text holding a ';' (a script: migrations) or longer than
// cachedStmtMaxLen (large IN lists, whose texts seldom repeat) is not
// cached. At most cachedStmts statements are kept per connection; the
// oldest is finalized when another is added. database/sql never uses a
// connection from two goroutines at once, so the cache needs no lock.

// cachedStmts bounds the statements one SQLite connection keeps.
const cachedStmts = 256

// cachedStmtMaxLen is the longest statement text kept.
const cachedStmtMaxLen = 4096

// sqliteConnector opens modernc connections that keep their prepared
// statements.
type sqliteConnector struct {
	dsn string
	drv driver.Driver
}

// Connect opens a connection.
func (c *sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	if _, ok := conn.(sqliteConn); !ok {
		conn.Close()
		return nil, errUnexpectedDriver
	}
	return &cachingConn{Conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

// Driver is modernc's driver.
func (c *sqliteConnector) Driver() driver.Driver { return c.drv }

// errUnexpectedDriver: the sqlite driver is not modernc's.
var errUnexpectedDriver = driverError("store: the sqlite driver's connection lacks the context interfaces")

type driverError string

func (e driverError) Error() string { return string(e) }

// sqliteConn is what database/sql uses of modernc's connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is a modernc connection with its prepared statements.
type cachingConn struct {
	driver.Conn
	stmts map[string]*cachedStmt
	order []string // the cached texts, oldest first
}

// cachedStmt is a prepared statement; busy while rows of it are open.
type cachedStmt struct {
	stmt    driver.Stmt
	busy    bool
	evicted bool // finalize when its rows close
}

var (
	_ sqliteConn       = (*cachingConn)(nil)
	_ driver.Connector = (*sqliteConnector)(nil)
)

func (c *cachingConn) conn() sqliteConn { return c.Conn.(sqliteConn) }

// idle returns the idle cached statement of query, preparing and caching
// it if the text is cacheable and not cached yet; nil when query must run
// on its own.
func (c *cachingConn) idle(ctx context.Context, query string) (*cachedStmt, error) {
	if len(query) > cachedStmtMaxLen || strings.Contains(query, ";") {
		return nil, nil
	}
	if s := c.stmts[query]; s != nil {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	st, err := c.conn().PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{stmt: st}
	c.stmts[query] = s
	c.order = append(c.order, query)
	if len(c.order) > cachedStmts {
		oldest := c.order[0]
		c.order = c.order[1:]
		c.evict(c.stmts[oldest])
		delete(c.stmts, oldest)
	}
	return s, nil
}

// evict finalizes s now, or when its rows close.
func (c *cachingConn) evict(s *cachedStmt) {
	if s.busy {
		s.evicted = true
		return
	}
	s.stmt.Close()
}

// QueryContext runs a query through its cached statement.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.idle(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.conn().QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, stmt: s}, nil
}

// ExecContext runs a statement through its cached statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.idle(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.conn().ExecContext(ctx, query, args)
	}
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// Close finalizes the cached statements and closes the connection.
func (c *cachingConn) Close() error {
	for _, s := range c.stmts {
		c.evict(s)
	}
	c.stmts, c.order = nil, nil
	return c.Conn.Close()
}

// BeginTx starts a transaction.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn().BeginTx(ctx, opts)
}

// PrepareContext prepares a statement of the caller's (not cached).
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn().PrepareContext(ctx, query)
}

// Ping checks the connection.
func (c *cachingConn) Ping(ctx context.Context) error { return c.conn().Ping(ctx) }

// ResetSession readies the connection for reuse.
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.conn().ResetSession(ctx) }

// IsValid reports whether the pool may reuse the connection.
func (c *cachingConn) IsValid() bool { return c.conn().IsValid() }

// cachedRows are the rows of a cached statement: closing them frees it.
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

// Close closes the rows (modernc resets the statement) and frees the
// statement.
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	if r.stmt.evicted {
		r.stmt.stmt.Close()
	}
	return err
}

// The column-type interfaces of modernc's rows, passed through (ent reads
// column types to scan values of unknown type).

// ColumnTypeDatabaseTypeName is the declared type of column i.
func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

// ColumnTypeLength is the length of column i, if it has one.
func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

// ColumnTypeNullable reports whether column i may be NULL, if known.
func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

// ColumnTypePrecisionScale is the precision and scale of column i, if any.
func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

// ColumnTypeScanType is the Go type column i scans into.
func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeOf(new(any)).Elem()
}
