package metrics

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"sync/atomic"

	"entgo.io/ent/dialect"
)

// counterKey carries a request's statement counter in its context.
type counterKey struct{}

// withCounter returns ctx carrying a fresh statement counter.
func withCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, counterKey{}, n), n
}

// count adds one statement to the counter in ctx, if any.
func count(ctx context.Context) {
	if n, ok := ctx.Value(counterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

// StatementsIn returns how many statements have run under ctx since the
// middleware started counting, and whether it counts at all.
func StatementsIn(ctx context.Context) (int64, bool) {
	n, ok := ctx.Value(counterKey{}).(*atomic.Int64)
	if !ok {
		return 0, false
	}
	return n.Load(), true
}

// CountStatements wraps an ent driver so that every statement sent through
// it (queries, executions, BEGIN, COMMIT and ROLLBACK: each a round trip)
// is counted against the request whose context it runs under. Outside a
// request it costs one context look-up per statement.
func CountStatements(d dialect.Driver) dialect.Driver { return &countingDriver{Driver: d} }

type countingDriver struct{ dialect.Driver }

func (d *countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	count(ctx)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *countingDriver) Query(ctx context.Context, query string, args, v any) error {
	count(ctx)
	return d.Driver.Query(ctx, query, args, v)
}

// ExecContext passes ent's raw-SQL calls (feature sql/execquery) through.
func (d *countingDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("metrics: driver %T has no ExecContext", d.Driver)
	}
	count(ctx)
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext passes ent's raw-SQL calls (feature sql/execquery) through.
func (d *countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("metrics: driver %T has no QueryContext", d.Driver)
	}
	count(ctx)
	return q.QueryContext(ctx, query, args...)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

// BeginTx starts a transaction whose statements count against ctx.
func (d *countingDriver) BeginTx(ctx context.Context, opts *stdsql.TxOptions) (dialect.Tx, error) {
	var (
		tx  dialect.Tx
		err error
	)
	if b, ok := d.Driver.(interface {
		BeginTx(context.Context, *stdsql.TxOptions) (dialect.Tx, error)
	}); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else if opts == nil {
		tx, err = d.Driver.Tx(ctx)
	} else {
		return nil, fmt.Errorf("metrics: driver %T has no BeginTx", d.Driver)
	}
	if err != nil {
		return nil, err
	}
	count(ctx)
	return &countingTx{Tx: tx, ctx: ctx}, nil
}

// Unwrap returns the wrapped driver.
func (d *countingDriver) Unwrap() dialect.Driver { return d.Driver }

// countingTx counts a transaction's statements, and its commit or
// rollback, against the context it began under.
type countingTx struct {
	dialect.Tx
	ctx context.Context
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	count(ctx)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	count(ctx)
	return t.Tx.Query(ctx, query, args, v)
}

func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("metrics: transaction %T has no ExecContext", t.Tx)
	}
	count(ctx)
	return ex.ExecContext(ctx, query, args...)
}

func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("metrics: transaction %T has no QueryContext", t.Tx)
	}
	count(ctx)
	return q.QueryContext(ctx, query, args...)
}

func (t *countingTx) Commit() error {
	count(t.ctx)
	return t.Tx.Commit()
}

func (t *countingTx) Rollback() error {
	count(t.ctx)
	return t.Tx.Rollback()
}
