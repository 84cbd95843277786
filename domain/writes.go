package domain

import (
	"context"

	"github.com/acme/directory/ent/schema"
)

// Only this package writes. Every ent mutation, through any client of the
// process, is refused (schema.ErrWriteOutsideDomain) unless its context
// carries the mark of an operation: inTx hands each operation's closure
// its context marked, and nothing outside this package can mark one. A
// client that reads (Service.Client, store.Store.Client) so hands out no
// writes, and a write added outside an operation fails the first time it
// runs.
//
// The one way around it is Seeding, for load tools and test fixtures.

// writeMark is the context key of the mark.
type writeMark struct{}

// The marks: an operation's, and the escape hatch's.
const (
	markOperation = iota + 1
	markSeeding
)

func init() { schema.SetWriteGate(mayWrite) }

// mayWrite is the write gate: ctx is an operation's (or Seeding's).
func mayWrite(ctx context.Context) bool { return ctx.Value(writeMark{}) != nil }

// operationContext marks ctx as an operation's: its mutations pass.
func operationContext(ctx context.Context) context.Context {
	if v, _ := ctx.Value(writeMark{}).(int); v == markOperation {
		return ctx
	}
	return context.WithValue(ctx, writeMark{}, markOperation)
}

// Seeding returns ctx allowed to write through any client, outside the
// operations: for load tools that insert fixtures in bulk (package bench)
// and for test fixtures (rows an operation would refuse, or that a test of
// the data layer itself writes), and for nothing else. The server never
// calls it; TestSeedingOnlyInFixtures fails when a file outside bench/
// and the tests does. Writes made this way record no events and skip every
// rule an operation keeps (the privacy rules and schema hooks still hold).
func Seeding(ctx context.Context) context.Context {
	return context.WithValue(ctx, writeMark{}, markSeeding)
}
