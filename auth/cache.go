package auth

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/apikey"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/directorytoken"
)

// DefaultCacheTTL is how long a credential found in the database is
// trusted without reading it again, when Config does not say. A change
// made through this process's client (a revocation, a disabled or deleted
// directory, an expiry set) takes effect at once; one made by another
// server takes effect within this time.
const DefaultCacheTTL = 5 * time.Second

// maxCached bounds the cache: past it, it starts again empty.
const maxCached = 10_000

// credCache remembers valid credentials, keyed by the SHA-256 hash of the
// secret, for a short time. Only credentials that were found are kept, so
// guessing fills nothing; expiry is checked on every use against the
// cached expiry instant.
//
// Invalidation is by generation: an entry is good only while the
// generation it was read under is the current one. A mutation hook on the
// client (registered by New) moves the generation whenever a credential,
// a directory or an organization changes, before the write and again after
// its transaction commits, so no entry read before the commit survives it.
type credCache struct {
	ttl    time.Duration
	gen    atomic.Uint64
	tokens entries[cachedToken]
	keys   entries[cachedKey]

	// changed is closed, and replaced, at every invalidation: what holds
	// a credential for long (an open WebSocket) waits on it to check the
	// credential again at once.
	changedMu sync.Mutex
	changed   chan struct{}

	announce bool // notify the other servers of each change (Config.Announce)
}

// cachedToken is what a directory token decides.
type cachedToken struct {
	hash      []byte
	id        uuid.UUID
	dir, org  uuid.UUID
	expiresAt *time.Time
}

// cachedKey is what an API key decides.
type cachedKey struct {
	hash      []byte
	id        uuid.UUID
	scope     access.Scope
	org       *uuid.UUID
	expiresAt *time.Time
}

// entry is a cached credential with the generation it was read under and
// the instant it stops being trusted.
type entry[V any] struct {
	v     V
	gen   uint64
	until time.Time
}

// entries is one kind of credential, by the hash of its secret.
type entries[V any] struct {
	mu sync.RWMutex
	m  map[string]entry[V]
}

// get returns the value of hash if it was read under generation gen and
// is still trusted at now.
func (es *entries[V]) get(hash []byte, gen uint64, now time.Time) (V, bool) {
	es.mu.RLock()
	e, ok := es.m[string(hash)]
	es.mu.RUnlock()
	if !ok || e.gen != gen || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put remembers v for hash until until.
func (es *entries[V]) put(hash []byte, v V, gen uint64, until time.Time) {
	es.mu.Lock()
	if es.m == nil || len(es.m) >= maxCached {
		es.m = map[string]entry[V]{}
	}
	es.m[string(hash)] = entry[V]{v: v, gen: gen, until: until}
	es.mu.Unlock()
}

func newCredCache(ttl time.Duration) *credCache {
	return &credCache{ttl: ttl, changed: make(chan struct{})}
}

// invalidate forgets every entry and wakes whoever waits on changes.
func (c *credCache) invalidate() {
	c.gen.Add(1)
	c.changedMu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.changedMu.Unlock()
}

// changes returns a channel closed at the next invalidation.
func (c *credCache) changes() <-chan struct{} {
	c.changedMu.Lock()
	defer c.changedMu.Unlock()
	return c.changed
}

// token returns the cached token of hash, if it is still good at now.
func (c *credCache) token(hash []byte, now time.Time) (cachedToken, bool) {
	if c.ttl <= 0 {
		return cachedToken{}, false
	}
	return c.tokens.get(hash, c.gen.Load(), now)
}

// putToken remembers a token read under generation gen.
func (c *credCache) putToken(e cachedToken, gen uint64, now time.Time) {
	if c.ttl > 0 {
		c.tokens.put(e.hash, e, gen, now.Add(c.ttl))
	}
}

// key returns the cached API key of hash, if it is still good at now.
func (c *credCache) key(hash []byte, now time.Time) (cachedKey, bool) {
	if c.ttl <= 0 {
		return cachedKey{}, false
	}
	return c.keys.get(hash, c.gen.Load(), now)
}

// putKey remembers an API key read under generation gen.
func (c *credCache) putKey(e cachedKey, gen uint64, now time.Time) {
	if c.ttl > 0 {
		c.keys.put(e.hash, e, gen, now.Add(c.ttl))
	}
}

// lookupToken reads the directory token of hash whose directory is enabled,
// in one statement (the directory is a subquery, not a second read).
func (a *Authenticator) lookupToken(ctx context.Context, hash []byte) (cachedToken, error) {
	tok, err := a.client.DirectoryToken.Query().
		Where(directorytoken.Hash(hash), directorytoken.HasDirectoryWith(directory.Enabled(true))).
		Only(lookupContext(ctx))
	if err != nil {
		return cachedToken{}, err
	}
	return cachedToken{hash: tok.Hash, id: tok.ID, dir: tok.DirectoryID, org: tok.OrganizationID, expiresAt: tok.ExpiresAt}, nil
}

// lookupKey reads the API key of hash.
func (a *Authenticator) lookupKey(ctx context.Context, hash []byte) (cachedKey, error) {
	k, err := a.client.APIKey.Query().Where(apikey.Hash(hash)).Only(lookupContext(ctx))
	if err != nil {
		return cachedKey{}, err
	}
	return cachedKey{hash: k.Hash, id: k.ID, scope: access.Scope(k.Scope), org: k.OrganizationID, expiresAt: k.ExpiresAt}, nil
}

// useOnly are the fields whose change decides nothing: the last-use
// writes of recordUse.
var useOnly = map[string]bool{
	directorytoken.FieldLastUsedAt: true, // = apikey.FieldLastUsedAt
	directory.FieldLastSyncedAt:    true,
	directory.FieldUpdatedAt:       true,
}

// watches reports whether a mutation may change what a credential decides:
// any write to a credential, a directory or an organization, except the
// last-use writes.
func watches(m ent.Mutation) bool {
	switch m.Type() {
	case ent.TypeDirectoryToken, ent.TypeAPIKey, ent.TypeDirectory, ent.TypeOrganization:
	default:
		return false
	}
	if !m.Op().Is(ent.OpUpdate | ent.OpUpdateOne) {
		return true
	}
	for _, f := range append(m.Fields(), m.ClearedFields()...) {
		if !useOnly[f] {
			return true
		}
	}
	return len(m.AddedFields()) > 0
}

// announceChange sends the other servers domain.NotifyCredentials through
// m's client: inside m's transaction it is delivered when that commits
// (PostgreSQL keeps one of identical notifications of a transaction).
func announceChange(ctx context.Context, m ent.Mutation) error {
	cm, ok := m.(interface{ Client() *ent.Client })
	if !ok {
		return nil
	}
	if _, err := cm.Client().ExecContext(ctx, "SELECT pg_notify($1, $2)", domain.NotifyChannel, domain.NotifyCredentials); err != nil {
		return fmt.Errorf("auth: announce a credential change: %w", err)
	}
	return nil
}

// hook is the mutation hook that invalidates the cache: before the write
// (so no entry outlives it in this process) and after its transaction
// commits (so an entry read between the write and the commit, which saw
// the old row, is dropped too).
func (c *credCache) hook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if !watches(m) {
			return next.Mutate(ctx, m)
		}
		c.invalidate()
		v, err := next.Mutate(ctx, m)
		if err == nil && c.announce {
			if err := announceChange(ctx, m); err != nil {
				return nil, err
			}
		}
		if txm, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
			if tx, terr := txm.Tx(); terr == nil {
				tx.OnCommit(func(next ent.Committer) ent.Committer {
					return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
						defer c.invalidate()
						return next.Commit(ctx, tx)
					})
				})
			}
		}
		c.invalidate()
		return v, err
	})
}
