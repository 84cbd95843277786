package store

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
)

// Statements through a transaction-pooling proxy (PgBouncer's
// pool_mode=transaction, RDS Proxy, Supavisor).
//
// Such a proxy lends a server connection to a client for one transaction,
// and, outside a transaction, for one Sync of the extended protocol. lib/pq
// sends a statement that has arguments as two exchanges, each ending in a
// Sync: Parse and Describe of an unnamed statement (to learn the parameter
// types), then Bind and Execute. The proxy may hand each to another server
// connection, which then has no unnamed statement, or another one ("pq:
// unnamed prepared statement does not exist", "bind message supplies 4
// parameters, but prepared statement "" requires 1"). Inside a transaction
// the proxy keeps the server connection, so statements there are safe.
//
// pgConnector therefore sends a statement with arguments as one
// simple-protocol Query message, the arguments written into it as string
// constants (what lib/pq already does for a statement without arguments,
// and pgx's simple protocol mode does for all). One message cannot be
// split, and it costs one round trip where lib/pq's two exchanges cost two;
// running each such statement in a transaction of its own (BEGIN,
// Parse/Describe, Bind/Execute, COMMIT) would cost four.
// (BenchmarkPooledStatement measures both.) Inside a transaction, where a
// proxy keeps the server connection and lib/pq's way would be safe, the
// one message is kept for its round trip: every statement of a write
// costs one exchange, not two.
//
// Each argument becomes an escape string constant, E'...', with quotes and
// backslashes doubled, so its value is exactly the argument's text whatever
// standard_conforming_strings says. A constant has type unknown until the
// context resolves it, as an untyped parameter does, so the server infers
// the same types it infers for lib/pq's parameters (which lib/pq also sends
// as text). What each Go value becomes:
//
//   - nil: NULL
//   - string: its text; one holding NUL is refused (PostgreSQL text cannot
//     hold it, and the server would refuse the parameter as well)
//   - int64, float64, bool: as lib/pq writes them ('42', '1.5', 'true')
//   - time.Time: pq.FormatTimestamp's text
//   - []byte: lib/pq sends it as bytea's hex form when the server says the
//     parameter is bytea, and as it is otherwise (jsonb, text). Without
//     asking (that is the exchange that gets split), a value that is valid
//     UTF-8 with neither NUL nor backslash reads the same as bytea (its
//     escape form) and as text, so it is written as it is; a value that is
//     not valid UTF-8, or holds NUL, can only be bytea, so it is written in
//     hex. The rest (valid UTF-8 with a backslash: a JSON document with an
//     escaped character, say) would differ, so such a statement runs the
//     way lib/pq runs it: in the transaction it is part of, or else inside
//     a transaction of its own.
//
// A $n that is inside a string constant, a quoted identifier, a
// dollar-quoted string, a comment, or an identifier (PostgreSQL allows $
// in identifiers) is left alone. The query text around the placeholders is
// read as PostgreSQL reads it with standard_conforming_strings on (its
// default since 9.1: a backslash escapes only inside E'...'); the constants
// written in do not depend on that setting.

// pgConnector opens lib/pq connections that send statements with
// arguments outside a transaction in one message.
type pgConnector struct {
	pq     *pq.Connector
	dialer *trackingDialer
	// direct: the connections reach PostgreSQL itself, no
	// transaction-pooling proxy between, so statements marked Prepared are
	// prepared (prepared.go).
	direct bool
}

// newPGConnector is the connector of dsn; direct says that dsn reaches
// PostgreSQL itself, not a transaction-pooling proxy.
func newPGConnector(dsn string, direct bool) (*pgConnector, error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres connection string: %w", err)
	}
	d := &trackingDialer{}
	c.Dialer(d)
	return &pgConnector{pq: c, dialer: d, direct: direct}, nil
}

// trackingDialer dials lib/pq's connections, cancel requests included, and
// counts those still open, so that a closing store can wait for its
// cancel requests: lib/pq sends one on a connection of its own when a
// statement's context ends, from a goroutine nothing waits for, and
// PgBouncer 1.18 crashes ("FATAL ... disconnect_client(): bad client state")
// when such a client goes away before its cancel request is done, which is
// what happens when the process exits right after stopping its work.
type trackingDialer struct {
	net.Dialer
	open sync.WaitGroup
}

// Dial dials address.
func (d *trackingDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialTimeout dials address within timeout.
func (d *trackingDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

// dialRetry is how long a refused connection is tried again: a pooler
// restarting (a PgBouncer restart takes a fraction of a second) costs
// latency, not failed requests.
const dialRetry = 3 * time.Second

// DialContext dials address and counts the connection until it is closed.
// A refused connection is tried again every 100 ms for dialRetry.
func (d *trackingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	deadline := time.Now().Add(dialRetry)
	for {
		c, err := d.Dialer.DialContext(ctx, network, address)
		if err == nil {
			d.open.Add(1)
			tc := &trackedConn{Conn: c, closed: sync.OnceFunc(d.open.Done)}
			if slot, ok := ctx.Value(connSlotKey{}).(*connSlot); ok {
				slot.conn = c
			}
			return tc, nil
		}
		if !errors.Is(err, syscall.ECONNREFUSED) || time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// wait waits up to timeout for every connection to be closed and reports
// whether they were.
func (d *trackingDialer) wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { d.open.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// trackedConn tells its dialer when it is closed.
type trackedConn struct {
	net.Conn
	closed func()
}

// Close closes the connection.
func (c *trackedConn) Close() error {
	defer c.closed()
	return c.Conn.Close()
}

// Connect opens a connection.
func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	slot := &connSlot{}
	conn, err := c.pq.Connect(context.WithValue(ctx, connSlotKey{}, slot))
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn, net: slot.conn, direct: c.direct}, nil
}

// connSlot receives the network connection Connect's dial made.
type connSlot struct{ conn net.Conn }

type connSlotKey struct{}

// Driver is lib/pq's driver.
func (c *pgConnector) Driver() driver.Driver { return c.pq.Driver() }

// pgConn is a lib/pq connection whose statements with arguments outside a
// transaction go as one message, and which the pool does not reuse once
// its server has closed it.
type pgConn struct {
	driver.Conn
	inTx bool
	// net is its network connection (nil if unknown).
	net net.Conn
	// direct: no transaction-pooling proxy between, so statements marked
	// Prepared run through stmts, the connection's prepared statements by
	// text (prepared.go).
	direct bool
	stmts  map[string]driver.StmtQueryContext
}

// The interfaces database/sql looks for; lib/pq's connection has them all.
type pqConn interface {
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

var (
	_ pqConn                   = (*pgConn)(nil)
	_ driver.Connector         = (*pgConnector)(nil)
	_ driver.RowsNextResultSet = (*bufferedRows)(nil)
)

func (c *pgConn) pq() pqConn { return c.Conn.(pqConn) }

// BeginTx starts a transaction; until it ends, a statement that cannot be
// written as one message goes as lib/pq sends it (the proxy keeps the
// server connection for it).
//
// A BEGIN that fails on the network (the server or pooler closed the
// connection: a PgBouncer restart) is reported as driver.ErrBadConn, so
// database/sql begins again on another connection: nothing of the
// transaction has run.
func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.pq().BeginTx(ctx, opts)
	if err != nil {
		var op *net.OpError
		if ctx.Err() == nil && errors.As(err, &op) {
			return nil, driver.ErrBadConn
		}
		return nil, err
	}
	c.inTx = true
	return &pgTx{Tx: tx, conn: c}, nil
}

// Begin starts a transaction (the pre-context interface).
func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// pgTx marks its connection out of the transaction when it ends.
type pgTx struct {
	driver.Tx
	conn *pgConn
}

// Commit commits the transaction.
func (t *pgTx) Commit() error {
	defer func() { t.conn.inTx = false }()
	return t.Tx.Commit()
}

// Rollback rolls the transaction back.
func (t *pgTx) Rollback() error {
	defer func() { t.conn.inTx = false }()
	return t.Tx.Rollback()
}

// PrepareContext prepares a statement. Nothing in the service prepares
// statements of its own through database/sql: through a transaction-pooling
// proxy a prepared statement lives on one server connection only (the hot
// reads are prepared by the connection itself, on direct connections
// only: prepared.go).
func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.pq().PrepareContext(ctx, query)
}

// Ping checks the connection.
func (c *pgConn) Ping(ctx context.Context) error { return c.pq().Ping(ctx) }

// ResetSession is the check before the pool reuses the connection: one
// that its server (or pooler) closed while it sat idle, say a PgBouncer
// restart, is refused (driver.ErrBadConn), so database/sql takes or opens
// another instead of failing the statement sent on it.
func (c *pgConn) ResetSession(ctx context.Context) error {
	if c.net != nil && !idleConnAlive(c.net) {
		return driver.ErrBadConn
	}
	return c.pq().ResetSession(ctx)
}

// IsValid reports whether the pool may reuse the connection.
func (c *pgConn) IsValid() bool { return c.pq().IsValid() }

// CheckNamedValue converts arguments as lib/pq does.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error { return c.pq().CheckNamedValue(nv) }

// QueryContext runs a query; see pgConnector.
func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.query(ctx, query, args)
	if err != nil && !c.inTx && ctx.Err() == nil && lostConnection(err) && readOnly(query) {
		// The connection died before the answer began (a pooler that
		// shut down while the query waited in its queue, say). A read
		// outside a transaction changes nothing, so database/sql may
		// send it again on another connection: ErrBadConn asks for that.
		// A write is never sent twice: whether it ran is unknown.
		return nil, driver.ErrBadConn
	}
	return rows, err
}

// query runs a query; see pgConnector.
func (c *pgConn) query(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		return c.pq().QueryContext(ctx, query, args)
	}
	if c.direct && isPrepared(ctx) {
		if rows, ok, err := c.queryPrepared(ctx, query, args); ok {
			return rows, err
		}
	}
	q, err := interpolate(query, args)
	switch {
	case err == nil:
		return c.pq().QueryContext(ctx, q, nil)
	case errors.Is(err, errAmbiguous) && c.inTx:
		return c.pq().QueryContext(ctx, query, args)
	case errors.Is(err, errAmbiguous):
		return c.queryInTx(ctx, query, args)
	default:
		return nil, err
	}
}

// lostConnection reports whether err is the network connection failing
// (reset, closed, cut short), not an answer of the server.
func lostConnection(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// readOnly reports whether query is one plain SELECT (or SHOW, VALUES,
// TABLE): a statement that may be sent again without changing anything.
// A WITH is not, since its parts may write; a SELECT … FOR UPDATE outside
// a transaction locks nothing beyond itself, so it is.
func readOnly(query string) bool {
	i := 0
	for i < len(query) {
		switch {
		case query[i] == ' ' || query[i] == '\t' || query[i] == '\n' || query[i] == '\r' || query[i] == '(':
			i++
		case strings.HasPrefix(query[i:], "--"):
			if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				return false
			}
		case strings.HasPrefix(query[i:], "/*"):
			i = endOfBlockComment(query, i)
		default:
			j := i
			for j < len(query) && isIdent(query[j]) {
				j++
			}
			switch strings.ToUpper(query[i:j]) {
			case "SELECT", "SHOW", "VALUES", "TABLE":
				return !strings.Contains(strings.ToUpper(query), "INTO")
			}
			return false
		}
	}
	return false
}

// ExecContext runs a statement; see pgConnector.
func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		return c.pq().ExecContext(ctx, query, args)
	}
	q, err := interpolate(query, args)
	switch {
	case err == nil:
		return c.pq().ExecContext(ctx, q, nil)
	case errors.Is(err, errAmbiguous) && c.inTx:
		return c.pq().ExecContext(ctx, query, args)
	case errors.Is(err, errAmbiguous):
		return c.execInTx(ctx, query, args)
	default:
		return nil, err
	}
}

// execInTx runs the statement with its arguments as lib/pq does, inside a
// transaction of its own.
func (c *pgConn) execInTx(ctx context.Context, query string, args []driver.NamedValue) (res driver.Result, err error) {
	tx, err := c.pq().BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return nil, err
	}
	res, err = c.pq().ExecContext(ctx, query, args)
	if err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// queryInTx runs the query with its arguments as lib/pq does, inside a
// transaction of its own, and returns its rows read to the end.
func (c *pgConn) queryInTx(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	tx, err := c.pq().BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return nil, err
	}
	rows, err := c.pq().QueryContext(ctx, query, args)
	if err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	buf, err := readAll(rows)
	if err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return buf, nil
}

// bufferedRows are rows read to the end before the statement's transaction
// committed.
type bufferedRows struct {
	columns []string
	types   []string
	rows    [][]driver.Value
}

// readAll reads rows to the end and closes them. Byte slices are copied:
// lib/pq's may point into its read buffer.
func readAll(rows driver.Rows) (*bufferedRows, error) {
	defer rows.Close()
	b := &bufferedRows{columns: rows.Columns()}
	if tn, ok := rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		for i := range b.columns {
			b.types = append(b.types, tn.ColumnTypeDatabaseTypeName(i))
		}
	}
	for {
		dest := make([]driver.Value, len(b.columns))
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return b, nil
			}
			return nil, err
		}
		for i, v := range dest {
			if p, ok := v.([]byte); ok {
				dest[i] = bytes.Clone(p)
			}
		}
		b.rows = append(b.rows, dest)
	}
}

// Columns are the column names.
func (b *bufferedRows) Columns() []string { return b.columns }

// Close drops what is left.
func (b *bufferedRows) Close() error { b.rows = nil; return nil }

// Next moves to the next row.
func (b *bufferedRows) Next(dest []driver.Value) error {
	if len(b.rows) == 0 {
		return io.EOF
	}
	copy(dest, b.rows[0])
	b.rows = b.rows[1:]
	return nil
}

// HasNextResultSet: one result set only.
func (b *bufferedRows) HasNextResultSet() bool { return false }

// NextResultSet: one result set only.
func (b *bufferedRows) NextResultSet() error { return io.EOF }

// ColumnTypeDatabaseTypeName is the PostgreSQL type of column i, as lib/pq
// named it.
func (b *bufferedRows) ColumnTypeDatabaseTypeName(i int) string {
	if i < len(b.types) {
		return b.types[i]
	}
	return ""
}

// errAmbiguous is interpolate's answer for an argument whose text depends
// on the type the server infers for it.
var errAmbiguous = errors.New("argument's text depends on its parameter type")

// ErrNULInText is the error (wrapped) for a text argument holding a NUL
// byte, which PostgreSQL text cannot store.
var ErrNULInText = errors.New("store: text argument holds a NUL byte, which PostgreSQL text cannot store")

// interpolate writes args into query's $n placeholders as constants.
func interpolate(query string, args []driver.NamedValue) (string, error) {
	lits := make([]string, len(args))
	for i, a := range args {
		if a.Name != "" {
			return "", fmt.Errorf("store: named argument %q: PostgreSQL takes positional $n arguments", a.Name)
		}
		l, err := literal(a.Value)
		if err != nil {
			return "", fmt.Errorf("store: argument $%d: %w", i+1, err)
		}
		lits[i] = l
	}
	var b strings.Builder
	b.Grow(len(query) + 16*len(args))
	n := len(query)
	for i := 0; i < n; {
		c := query[i]
		switch {
		case c == '\'':
			// A string constant; E'...' (an escape string) when the
			// identifier character before it is a lone e or E.
			escape := i > 0 && (query[i-1] == 'e' || query[i-1] == 'E') && (i < 2 || !isIdent(query[i-2]))
			j := endOfQuoted(query, i, '\'', escape)
			b.WriteString(query[i:j])
			i = j
		case c == '"':
			j := endOfQuoted(query, i, '"', false)
			b.WriteString(query[i:j])
			i = j
		case c == '-' && i+1 < n && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = n - i
			}
			b.WriteString(query[i : i+j])
			i += j
		case c == '/' && i+1 < n && query[i+1] == '*':
			j := endOfBlockComment(query, i)
			b.WriteString(query[i:j])
			i = j
		case c == '$' && i+1 < n && isDigit(query[i+1]):
			j := i + 1
			for j < n && isDigit(query[j]) {
				j++
			}
			k, err := strconv.Atoi(query[i+1 : j])
			if err != nil || k < 1 || k > len(args) {
				return "", fmt.Errorf("store: placeholder %s has no argument (%d given)", query[i:j], len(args))
			}
			b.WriteString(lits[k-1])
			i = j
		case c == '$':
			// A dollar-quoted string ($$...$$ or $tag$...$tag$).
			j := endOfDollarQuoted(query, i)
			b.WriteString(query[i:j])
			i = j
		case isIdent(c):
			// An identifier, keyword or number: $ inside it is its own.
			j := i + 1
			for j < n && (isIdent(query[j]) || query[j] == '$') {
				j++
			}
			b.WriteString(query[i:j])
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// endOfQuoted returns the index after the quoted token that starts at
// query[i] (a quote character q, doubled inside to stand for itself; with
// escape, a backslash escapes the next byte). An unterminated token runs to
// the end.
func endOfQuoted(query string, i int, q byte, escape bool) int {
	for j := i + 1; j < len(query); j++ {
		switch query[j] {
		case '\\':
			if escape {
				j++
			}
		case q:
			if j+1 < len(query) && query[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(query)
}

// endOfBlockComment returns the index after the /* comment */ (they nest)
// that starts at query[i].
func endOfBlockComment(query string, i int) int {
	depth := 0
	for j := i; j+1 < len(query); j++ {
		switch {
		case query[j] == '/' && query[j+1] == '*':
			depth++
			j++
		case query[j] == '*' && query[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(query)
}

// endOfDollarQuoted returns the index after the dollar-quoted string that
// starts at query[i], or i+1 when the $ starts none.
func endOfDollarQuoted(query string, i int) int {
	j := i + 1
	for j < len(query) && query[j] != '$' {
		c := query[j]
		if !(isIdent(c) && (j > i+1 || !isDigit(c))) {
			return i + 1
		}
		j++
	}
	if j >= len(query) {
		return i + 1
	}
	tag := query[i : j+1]
	k := strings.Index(query[j+1:], tag)
	if k < 0 {
		return len(query)
	}
	return j + 1 + k + len(tag)
}

// isIdent reports whether c may be part of an identifier, keyword or
// number (non-ASCII bytes included, as PostgreSQL's lexer has them).
func isIdent(c byte) bool {
	return c == '_' || c >= 0x80 || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// literal writes v as a constant of type unknown (see pgConnector).
func literal(v driver.Value) (string, error) {
	switch v := v.(type) {
	case nil:
		return "NULL", nil
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			return "", ErrNULInText
		}
		return quote(v), nil
	case int64:
		return "'" + strconv.FormatInt(v, 10) + "'", nil
	case float64:
		return "'" + strconv.FormatFloat(v, 'f', -1, 64) + "'", nil
	case bool:
		return "'" + strconv.FormatBool(v) + "'", nil
	case time.Time:
		return "'" + string(pq.FormatTimestamp(v)) + "'", nil
	case []byte:
		if v == nil {
			return "NULL", nil
		}
		switch {
		case !utf8.Valid(v) || bytes.IndexByte(v, 0) >= 0:
			return `E'\\x` + hex.EncodeToString(v) + "'", nil
		case bytes.IndexByte(v, '\\') >= 0:
			return "", errAmbiguous
		}
		return quote(string(v)), nil
	}
	return "", fmt.Errorf("store: cannot send %T to PostgreSQL", v)
}

// quote is s as an escape string constant.
func quote(s string) string {
	if !strings.ContainsAny(s, `'\`) {
		return "E'" + s + "'"
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString("E'")
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('\'')
	return b.String()
}
