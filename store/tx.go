package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/acme/directory/ent"
)

// WithTx runs f in a transaction: committed when f succeeds, rolled back
// when it fails, so a failed request leaves nothing half-written. Errors
// come back classified.
//
// When ctx already carries a transaction (ent.TxFromContext: a GraphQL
// mutation runs in one, see graph's transactioner), WithTx joins it: f runs
// on that transaction and c is not used; WithTx neither commits nor rolls
// back, the transaction's owner does, so every operation of the request
// commits or fails together. Otherwise (SCIM, the command line) WithTx
// opens a transaction of c and owns it. A joined f's failure still fails
// the whole transaction: the owner must not go on writing after it (on
// PostgreSQL it could not: the transaction is aborted).
//
// Entities f reads or writes are bound to the transaction: pass them
// through Release before using their edges once WithTx has returned.
func WithTx(ctx context.Context, c *ent.Client, f func(tx *ent.Tx) error) error {
	if tx := ent.TxFromContext(ctx); tx != nil {
		if err := f(tx); err != nil {
			return Classify(err)
		}
		return nil
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
