package domain

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
)

// inCallersTx reports whether ctx carries a transaction an operation joins
// rather than owns (a GraphQL mutation's).
func inCallersTx(ctx context.Context) bool { return ent.TxFromContext(ctx) != nil }

// viewerDirectory is the viewer when it is a directory's provisioner.
func viewerDirectory(ctx context.Context) *access.Viewer {
	if v := access.FromContext(ctx); v != nil && v.Scope == access.Provisioner {
		return v
	}
	return nil
}

// db is the client an operation's statements go through: the transaction
// of the caller when ctx carries one, so a GraphQL mutation's operations
// commit or roll back together.
func (s *Service) db(ctx context.Context) *ent.Client {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	return s.client
}

// opTx is the transaction an operation runs in: the client its statements
// go through, and the note of what its transaction announces on commit.
// The note belongs to the transaction: one per operation that owns its
// transaction, or the one OpenTx made for a caller's transaction, shared by
// every operation that joins it.
type opTx struct {
	*ent.Client
	dialect string // of the database, as given to New
	note    *txNote
}

// announce notes the organizations of changes, for the observers
// (WatchCommits) told after the commit.
func (tx *opTx) announce(changes []change) { tx.note.add(changes) }

// txNote is what a transaction announces when it commits: the
// organizations whose events it recorded.
type txNote struct {
	mu   sync.Mutex
	orgs []uuid.UUID
}

func (n *txNote) add(changes []change) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range changes {
		if !slices.Contains(n.orgs, c.org) {
			n.orgs = append(n.orgs, c.org)
		}
	}
}

// mark and undo forget what an operation that failed (its savepoint rolled
// back) noted.
func (n *txNote) mark() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.orgs)
}

func (n *txNote) undo(mark int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.orgs = n.orgs[:mark]
}

// told returns what the note holds, once the transaction has committed.
func (n *txNote) told() []uuid.UUID {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.orgs
}

// tellOnCommit makes t's commit call the WatchCommits observers with what
// n noted, if anything, once the commit has succeeded.
func (n *txNote) tellOnCommit(t *ent.Tx) {
	t.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, t *ent.Tx) error {
			err := next.Commit(ctx, t)
			if err == nil {
				committed(n.told())
			}
			return err
		})
	})
}

// noteKey carries the note of a transaction OpenTx opened.
type noteKey struct{}

// OpenTx opens a transaction that operations can join (the caller's
// transaction of store.WithTx): ctx is returned carrying it, and the
// transaction's note, so that its commit announces, once, the events of
// every operation that joined it. It is entgql's TxOpener: the GraphQL
// handler opens each mutation's transaction here.
func (s *Service) OpenTx(ctx context.Context) (context.Context, driver.Tx, error) {
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("begin transaction: %w", store.Classify(err))
	}
	n := &txNote{}
	n.tellOnCommit(tx)
	ctx = context.WithValue(ent.NewContext(ent.NewTxContext(ctx, tx), tx.Client()), noteKey{}, n)
	return ctx, tx, nil
}

// inTx runs f in one transaction (or in the caller's, when ctx carries
// one: under a savepoint, see store.WithTx). When f succeeds and recorded
// events, the WatchCommits observers are told once the transaction has
// committed; an operation that failed, or a transaction that rolled back,
// tells no one.
//
// f gets ctx marked as an operation's (see writes.go): its writes pass
// the guard that refuses every mutation outside an operation. Its
// parameter shadows the caller's ctx, so every statement in f uses the
// marked one. A caller's transaction (OpenTx) is not marked: only the
// operations that join it write.
func (s *Service) inTx(ctx context.Context, f func(ctx context.Context, tx *opTx) error) error {
	return store.WithTx(ctx, s.client, func(t *ent.Tx) error {
		shared, _ := ctx.Value(noteKey{}).(*txNote)
		n := shared
		if n == nil || ent.TxFromContext(ctx) == nil {
			n, shared = &txNote{}, nil
		}
		mark := n.mark()
		if err := f(operationContext(ctx), &opTx{Client: t.Client(), dialect: s.dialect, note: n}); err != nil {
			n.undo(mark)
			return err
		}
		if shared == nil && len(n.told()) > 0 {
			n.tellOnCommit(t)
		}
		return nil
	})
}
