package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/acme/directory/ent"
)

// WithTx runs f in a transaction of c: committed when f succeeds, rolled
// back when it fails, so a failed request leaves nothing half-written.
// Entities f reads or writes are bound to the transaction: Unwrap them
// before using their edges afterwards. Errors come back classified.
func WithTx(ctx context.Context, c *ent.Client, f func(tx *ent.Tx) error) error {
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
