package schema

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"entgo.io/ent"
	"entgo.io/ent/schema/mixin"
)

// Only package domain writes. Every schema carries DomainWritesMixin,
// whose hook refuses a mutation (create, update, delete, of any entity,
// through any client of the process) unless its context passes the write
// gate, a test package domain installs when it is loaded (SetWriteGate)
// and that only its operations' contexts pass. A client that reads can
// therefore hand out no writes: a write added anywhere else fails the
// first time it runs, with ErrWriteOutsideDomain.
//
// The guard sees ent mutations only: migrations and raw SQL (ExecContext)
// are not ent mutations and pass, as do the hooks' own statements.

// ErrWriteOutsideDomain is the refusal of a mutation made outside an
// operation of package domain.
var ErrWriteOutsideDomain = errors.New("writes go through package domain")

// writeGate is the installed test; nil refuses every write.
var writeGate atomic.Pointer[func(context.Context) bool]

// SetWriteGate installs allowed as the test a mutation's context must
// pass. Package domain calls it once, when it is loaded; a second call
// panics, so no other package can install a gate of its own (whichever
// comes second fails at start-up).
func SetWriteGate(allowed func(context.Context) bool) {
	if allowed == nil || !writeGate.CompareAndSwap(nil, &allowed) {
		panic("schema: the write gate is installed by package domain, once")
	}
}

// DomainWritesMixin refuses mutations made outside an operation of
// package domain (see SetWriteGate). Every schema has it; TestEveryTypeGuarded
// in package domain checks that every entity type's writes are refused.
type DomainWritesMixin struct{ mixin.Schema }

// Hooks of the DomainWritesMixin.
func (DomainWritesMixin) Hooks() []ent.Hook {
	return []ent.Hook{domainWritesOnly}
}

// domainWritesOnly is the hook of DomainWritesMixin.
func domainWritesOnly(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if gate := writeGate.Load(); gate == nil || !(*gate)(ctx) {
			return nil, fmt.Errorf("%w: %s of %s outside a domain operation", ErrWriteOutsideDomain, m.Op(), m.Type())
		}
		return next.Mutate(ctx, m)
	})
}
