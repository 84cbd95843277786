package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/acme/directory/ent"
)

// WithTx runs f in a transaction: committed when f succeeds, rolled back
// when it fails, so a failed request leaves nothing half-written. Errors
// come back classified.
//
// When ctx already carries a transaction (ent.TxFromContext: a GraphQL
// mutation runs in one, see graph's transactioner), WithTx joins it: f runs
// on that transaction, under a savepoint, and c is not used. When f
// succeeds the savepoint is released and its writes wait for the owner's
// commit or rollback; when f fails, WithTx rolls back to the savepoint, so
// f's writes are undone alone and the transaction stays usable (on
// PostgreSQL a failed statement would otherwise abort the whole
// transaction). The owner decides what a failure means: a GraphQL mutation
// that reports it as a userError commits the operations beside it; one
// that reports a top-level error rolls back everything. Otherwise (SCIM,
// the command line) WithTx opens a transaction of c and owns it.
//
// Entities f reads or writes are bound to the transaction: pass them
// through Release before using their edges once WithTx has returned.
func WithTx(ctx context.Context, c *ent.Client, f func(tx *ent.Tx) error) error {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return withSavepoint(ctx, tx, f)
	}
	tx, err := c.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", Classify(err))
	}
	if err := f(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(Classify(err), fmt.Errorf("roll back: %w", rerr))
		}
		return Classify(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", Classify(err))
	}
	return nil
}

// savepoints numbers savepoint names, so nested ones never share a name.
var savepoints atomic.Uint64

// withSavepoint runs f on the caller's transaction tx under a savepoint
// (SQLite and PostgreSQL spell them alike): released when f succeeds,
// rolled back to (and then released) when it fails.
//
// The savepoint statements go through the transaction's ExecContext (ent's
// sql/execquery feature): a driver that wraps ent's (Instrument) must
// pass ExecContext through on its transactions, as metrics' does.
func withSavepoint(ctx context.Context, tx *ent.Tx, f func(tx *ent.Tx) error) error {
	name := fmt.Sprintf("directory_op_%d", savepoints.Add(1))
	db := tx.Client()
	if _, err := db.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", Classify(err))
	}
	if err := f(tx); err != nil {
		// A cancelled ctx cannot roll back to the savepoint; the owner's
		// rollback then undoes everything, which is what it does anyway on
		// a deadline.
		if _, rerr := db.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(Classify(err), fmt.Errorf("roll back to savepoint: %w", rerr))
		}
		if _, rerr := db.ExecContext(context.WithoutCancel(ctx), "RELEASE SAVEPOINT "+name); rerr != nil {
			return errors.Join(Classify(err), fmt.Errorf("release savepoint: %w", rerr))
		}
		return Classify(err)
	}
	if _, err := db.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", Classify(err))
	}
	return nil
}

// Release returns an entity that WithTx(ctx, ...) read or wrote, made
// usable after WithTx returned. When WithTx owned its transaction, that is
// over: e is unwrapped, so its edges are read outside it. When WithTx
// joined the transaction carried in ctx, that is still open and holds
// writes no one else sees yet: e stays bound to it, so its edges are read
// inside it (unwrapping would read stale rows, or wait on a locked
// SQLite database).
func Release[T interface{ Unwrap() T }](ctx context.Context, e T) T {
	if ent.TxFromContext(ctx) != nil {
		return e
	}
	return e.Unwrap()
}
