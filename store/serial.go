package store

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
)

// serialDriver queues the transactions of a SQLite database in the
// process, one at a time. SQLite runs one writer at a time and this
// store's transactions begin IMMEDIATE (they take the write lock at once),
// so concurrent transactions would otherwise wait in SQLite's busy
// handler, which sleeps and retries with growing back-off: under 16
// writers that is where the p99 went. A channel of one slot hands the
// lock over the moment a transaction ends, in arrival order as the Go
// runtime wakes waiters, and a waiter gives up when its context ends.
//
// Statements outside transactions (reads, and the rare autocommitted
// write) are not queued: WAL lets readers run beside the writer, and an
// autocommitted write still has the busy timeout to fall back on.
type serialDriver struct {
	dialect.Driver
	slot chan struct{}
}

// serialize returns drv with its transactions run one at a time.
func serialize(drv dialect.Driver) *serialDriver {
	return &serialDriver{Driver: drv, slot: make(chan struct{}, 1)}
}

// Tx starts a transaction once the one before it has ended.
func (d *serialDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

// BeginTx starts a transaction with opts once the one before it has ended.
func (d *serialDriver) BeginTx(ctx context.Context, opts *stdsql.TxOptions) (dialect.Tx, error) {
	select {
	case d.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("store: wait for the write lock: %w", ctx.Err())
	}
	var (
		tx  dialect.Tx
		err error
	)
	if b, ok := d.Driver.(interface {
		BeginTx(context.Context, *stdsql.TxOptions) (dialect.Tx, error)
	}); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = d.Driver.Tx(ctx)
	}
	if err != nil {
		<-d.slot
		return nil, err
	}
	return &serialTx{Tx: tx, release: sync.OnceFunc(func() { <-d.slot })}, nil
}

// serialTx gives its driver's slot back when it ends.
type serialTx struct {
	dialect.Tx
	release func()
}

// Commit commits the transaction and lets the next one start.
func (t *serialTx) Commit() error {
	defer t.release()
	return t.Tx.Commit()
}

// Rollback rolls the transaction back and lets the next one start.
func (t *serialTx) Rollback() error {
	defer t.release()
	return t.Tx.Rollback()
}

// rawExecer and rawQuerier are ent's raw-SQL calls (feature sql/execquery).
type (
	rawExecer interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	}
	rawQuerier interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	}
)

// ExecContext passes ent's raw-SQL calls through, unqueued.
func (d *serialDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	return d.Driver.(rawExecer).ExecContext(ctx, query, args...)
}

// QueryContext passes ent's raw-SQL calls through, unqueued.
func (d *serialDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return d.Driver.(rawQuerier).QueryContext(ctx, query, args...)
}

// ExecContext passes ent's raw-SQL calls inside the transaction through.
func (t *serialTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	return t.Tx.(rawExecer).ExecContext(ctx, query, args...)
}

// QueryContext passes ent's raw-SQL calls inside the transaction through.
func (t *serialTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return t.Tx.(rawQuerier).QueryContext(ctx, query, args...)
}
