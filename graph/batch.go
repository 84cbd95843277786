package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/roles"
)

// A batch loads, for every user and directory an operation has fetched so
// far, the values that are not ent edges and so escape entgql's eager
// loading: users' effective roles and directories' user and group counts.
//
// It needs no timer, unlike a dataloader: gqlgen resolves a field's value
// (a page of users, say) before it resolves any field of those objects, and
// observeResults records every object a field returns. The first User.roles
// to run then loads the roles of every user recorded so far in one go, and
// the others find theirs cached. A user that was not recorded (nothing
// returned it through a field) is still answered, in a batch of its own.
//
// Lists resolved side by side (the members of each group of a page) may be
// recorded after the first batch has run; their users then come in further
// batches, at worst one per list, never one per user. Mutations reset the
// batch (guardMutations), so a later mutation's payload is read afresh.
type batch struct {
	client *ent.Client

	mu    sync.Mutex
	users map[uuid.UUID]*ent.User // recorded, roles not loaded yet
	roles map[uuid.UUID]rolesResult
}

type rolesResult struct {
	roles []*ent.Role
	err   error
}

type batchKey struct{}

// newBatch returns an empty batch reading through client.
func newBatch(client *ent.Client) *batch {
	b := &batch{client: client}
	b.reset()
	return b
}

// withBatch returns ctx carrying a new, empty batch.
func withBatch(ctx context.Context, client *ent.Client) context.Context {
	return context.WithValue(ctx, batchKey{}, newBatch(client))
}

// batchFrom returns the operation's batch, nil outside an operation.
func batchFrom(ctx context.Context) *batch {
	b, _ := ctx.Value(batchKey{}).(*batch)
	return b
}

// batch returns the operation's batch, or, outside an operation, a fresh
// one that batches nothing.
func (r *Resolver) batch(ctx context.Context) *batch {
	if b := batchFrom(ctx); b != nil {
		return b
	}
	return newBatch(r.client)
}

// reset forgets everything: a mutation may have changed it.
func (b *batch) reset() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.users = map[uuid.UUID]*ent.User{}
	b.roles = map[uuid.UUID]rolesResult{}
}

// observeResults is the field middleware that records the users every
// field returns.
func observeResults(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err == nil && res != nil {
		if b := batchFrom(ctx); b != nil {
			b.observe(res)
		}
	}
	return res, err
}

// observe records the users in a field's value.
func (b *batch) observe(v any) {
	switch v := v.(type) {
	case *ent.User:
		b.record(v)
	case []*ent.User:
		for _, u := range v {
			b.record(u)
		}
	case *ent.UserConnection:
		for _, e := range v.Edges {
			if e != nil {
				b.record(e.Node)
			}
		}
	case []ent.Noder:
		for _, n := range v {
			b.record(n)
		}
	}
}

// record notes one user; anything else is ignored.
func (b *batch) record(v any) {
	switch v := v.(type) {
	case *ent.User:
		if v == nil {
			return
		}
		b.mu.Lock()
		if _, done := b.roles[v.ID]; !done {
			b.users[v.ID] = v
		}
		b.mu.Unlock()
	}
}

// userRoles returns u's effective roles, loading them with those of every
// user recorded and not loaded yet.
func (b *batch) userRoles(ctx context.Context, u *ent.User) ([]*ent.Role, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.roles[u.ID]; ok {
		return r.roles, r.err
	}
	b.users[u.ID] = u
	users := make([]*ent.User, 0, len(b.users))
	for _, p := range b.users {
		users = append(users, p)
	}
	clear(b.users)
	got, err := roles.Effective(ctx, b.client, users)
	for _, p := range users {
		r := got[p.ID]
		if r == nil {
			r = []*ent.Role{}
		}
		b.roles[p.ID] = rolesResult{roles: r, err: err}
	}
	r := b.roles[u.ID]
	return r.roles, r.err
}
