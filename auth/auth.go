// Package auth turns a bearer credential into the viewer a request acts as.
//
// Two kinds of credential exist. A directory token (scim_...) lets an
// identity provider provision the one directory it belongs to; it becomes a
// Provisioner viewer of that directory. An API key (dk_...) speaks for its
// scope on the GraphQL API: the platform, or one organization to administer
// or to read.
//
// Both kinds follow one rule, decided here and nowhere else:
//
//   - The presented secret must carry its kind's prefix. The credential is
//     found by the SHA-256 hash of the secret and then compared with it in
//     constant time. The look-up runs before any tenant is known (the
//     credential decides the tenant), so it bypasses the privacy rules.
//   - A credential with an expiry instant is expired at that instant and
//     after it: it is valid while now < expires_at. "Now" is the
//     Authenticator's clock, the one clock of every check and write here.
//   - A directory token is valid only for the directory in the request's
//     path, and only while that directory is enabled.
//   - A token of the directory in the path that is refused for a reason
//     its holder may learn (its directory is disabled, it has expired, it
//     was revoked within the request log's retention) is
//     refused with that reason (*Refusal), so the provider and the
//     directory's request log can say why; every other refusal says
//     nothing more than ErrDirectoryToken.
//   - A deleted (revoked) credential is not found: an API key is refused
//     as unknown; a directory token is refused as revoked (above).
//   - A credential found is trusted for a few seconds (Config.CacheTTL)
//     without reading it again; a write through this process's client to
//     a credential, directory or organization empties the cache at once, so
//     revoking or disabling takes effect here immediately, on the other
//     servers of the same PostgreSQL database as soon as they hear the
//     writing transaction's notification (Config.Announce), and within the
//     TTL at worst. Expiry is checked on every use.
//   - Each use is recorded, at most once per interval per credential and
//     process: the credential's last_used_at and, for a directory token, its
//     directory's last_synced_at. The write is an operation of package
//     domain (Service.RecordCredentialUse; auth itself writes nothing) and
//     outlives the request's cancellation; a failed write is logged, never
//     the request's failure.
//
// Every refusal of one credential kind is the same fault.Unauthorized error
// (ErrDirectoryToken, ErrAPIKey), so a caller learns nothing about which
// part was wrong, except a holder of the directory's own token (above). A failure to check at all (the database did not answer) is
// an internal error, wrapped.
package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/ent/revokedtoken"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
)

// DefaultLastUsedInterval is how stale a credential's last use may get when
// Config does not say: a credential used many times a minute is written once
// a minute.
const DefaultLastUsedInterval = time.Minute

// The refusals, one per credential kind.
var (
	// ErrDirectoryToken refuses a SCIM request: the token is missing,
	// malformed, unknown, or of another directory (a token of the
	// directory refused for a reason its holder may learn is a Refusal).
	ErrDirectoryToken = fault.Errorf(fault.Unauthorized, "a valid bearer token of this directory is required")
	// ErrDirectoryDisabled refuses a SCIM request with a token of the
	// directory in its path while that directory is disabled: the
	// credentials are good, the directory will not take requests (403).
	ErrDirectoryDisabled = fault.Errorf(fault.Forbidden, "this directory is disabled: an administrator of the organization must enable it before it accepts SCIM requests")
	// ErrTokenExpired refuses a SCIM request with an expired token of the
	// directory in its path (401).
	ErrTokenExpired = fault.Errorf(fault.Unauthorized, "this bearer token has expired: an administrator of the organization must issue a new one")
	// ErrTokenRevoked refuses a SCIM request with a revoked token of the
	// directory in its path, while the request log keeps revoked tokens
	// (401).
	ErrTokenRevoked = fault.Errorf(fault.Unauthorized, "this bearer token has been revoked: use the directory's current token")
	// ErrAPIKey refuses a GraphQL request: the key is missing, malformed,
	// unknown, revoked or expired.
	ErrAPIKey = fault.Errorf(fault.Unauthorized, "a valid API key is required: Authorization: Bearer dk_...")
)

// Config configures an Authenticator. The zero Config is the production
// one.
type Config struct {
	// Now is the clock of expiry checks and last-use writes; nil is
	// time.Now.
	Now func() time.Time
	// LastUsedInterval is how often, at most, a credential's use is
	// written; zero or less is DefaultLastUsedInterval.
	LastUsedInterval time.Duration
	// CacheTTL is how long a credential read from the database is trusted
	// without reading it again; zero is DefaultCacheTTL, less than zero
	// turns the cache off.
	CacheTTL time.Duration
	// Announce tells the other servers of the same PostgreSQL database
	// when a credential, directory or organization changes: the writing
	// transaction sends domain.NotifyCredentials on domain.NotifyChannel,
	// delivered on commit, on which their brokers call Invalidate. Only
	// on PostgreSQL.
	Announce bool
}

// Authenticator checks bearer credentials. It is safe for concurrent use;
// one per process, shared by the SCIM and GraphQL edges, keeps the last-use
// writes to one per credential and interval.
type Authenticator struct {
	client *ent.Client // reads
	svc    *domain.Service
	now    func() time.Time
	touch  *throttle
	cache  *credCache
}

// New returns an Authenticator reading credentials through svc's client
// and recording their use, and portal sessions, through svc's operations.
// It registers a mutation hook on that client that empties its credential
// cache whenever a credential, directory or organization is written
// through it (or a transaction of it): call New before the client is in
// use, and write through the same client.
func New(svc *domain.Service, cfg Config) *Authenticator {
	client := svc.Client()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LastUsedInterval <= 0 {
		cfg.LastUsedInterval = DefaultLastUsedInterval
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	a := &Authenticator{client: client, svc: svc, now: cfg.Now, touch: newThrottle(cfg.LastUsedInterval), cache: newCredCache(cfg.CacheTTL)}
	a.cache.announce = cfg.Announce
	client.Use(a.cache.hook)
	return a
}

// DirectoryToken checks the bearer directory token in header (an
// Authorization header value) for the directory directoryID and returns a
// Provisioner viewer of that directory. Every refusal is ErrDirectoryToken.
func (a *Authenticator) DirectoryToken(ctx context.Context, directoryID uuid.UUID, header string) (*access.Viewer, error) {
	token, ok := secret.Bearer(header)
	if !ok || !secret.HasPrefix(token, secret.DirectoryTokenPrefix) {
		return nil, ErrDirectoryToken
	}
	hash, now := secret.Hash(token), a.now()
	tok, ok := a.cache.token(hash, now)
	if !ok {
		gen := a.cache.gen.Load()
		var err error
		tok, err = a.lookupToken(ctx, hash)
		switch {
		case ent.IsNotFound(err): // unknown, revoked, or its directory disabled: which?
			return nil, a.refusal(ctx, hash, token, directoryID)
		case err != nil:
			return nil, fmt.Errorf("auth: look up directory token: %w", err)
		}
		a.cache.putToken(tok, gen, now)
	}
	if !secret.Equal(tok.hash, token) || tok.dir != directoryID {
		return nil, ErrDirectoryToken
	}
	if expired(tok.expiresAt, now) {
		return nil, &Refusal{Err: ErrTokenExpired, Reason: domain.RefusalTokenExpired,
			OrganizationID: tok.org, DirectoryID: tok.dir, TokenID: tok.id}
	}
	v := &access.Viewer{
		Scope:          access.Provisioner,
		OrganizationID: tok.org,
		DirectoryID:    tok.dir,
		CredentialID:   tok.id,
	}
	a.recordUse(ctx, v, now)
	return v, nil
}

// Refusal is the refusal of a token of the directory in the request's
// path, for a reason its holder may learn: Err (ErrDirectoryDisabled,
// ErrTokenExpired or ErrTokenRevoked) says which, Reason says it for the request log
// (domain.Refusal...), and the ids attribute the request to its directory.
type Refusal struct {
	Err                                  error
	Reason                               string
	OrganizationID, DirectoryID, TokenID uuid.UUID
}

func (r *Refusal) Error() string { return r.Err.Error() }

// Unwrap is Err: a Refusal is a fault error of Err's code.
func (r *Refusal) Unwrap() error { return r.Err }

// refusal explains a token the enabled directories do not know: a token
// of the directory in the path whose directory is disabled, or that was
// revoked, is refused as such; anything else (unknown, another
// directory's) is ErrDirectoryToken. It costs one or two more look-ups, on
// refused requests only.
func (a *Authenticator) refusal(ctx context.Context, hash []byte, token string, directoryID uuid.UUID) error {
	ctx = lookupContext(ctx)
	refuse := func(err error, reason string, org, dir, id uuid.UUID, stored []byte) error {
		if !secret.Equal(stored, token) || dir != directoryID {
			return ErrDirectoryToken
		}
		return &Refusal{Err: err, Reason: reason, OrganizationID: org, DirectoryID: dir, TokenID: id}
	}
	tok, err := a.client.DirectoryToken.Query().Where(directorytoken.Hash(hash)).Only(ctx)
	if err == nil {
		return refuse(ErrDirectoryDisabled, domain.RefusalDirectoryDisabled, tok.OrganizationID, tok.DirectoryID, tok.ID, tok.Hash)
	}
	if !ent.IsNotFound(err) {
		return fmt.Errorf("auth: look up refused directory token: %w", err)
	}
	rt, err := a.client.RevokedToken.Query().Where(revokedtoken.Hash(hash)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return ErrDirectoryToken
	case err != nil:
		return fmt.Errorf("auth: look up revoked directory token: %w", err)
	}
	return refuse(ErrTokenRevoked, domain.RefusalTokenRevoked, rt.OrganizationID, rt.DirectoryID, rt.TokenID, rt.Hash)
}

// APIKey checks the bearer API key in header (an Authorization header
// value) and returns a viewer of the key's scope. Every refusal is
// ErrAPIKey.
func (a *Authenticator) APIKey(ctx context.Context, header string) (*access.Viewer, error) {
	key, ok := secret.Bearer(header)
	if !ok || !secret.HasPrefix(key, secret.APIKeyPrefix) {
		return nil, ErrAPIKey
	}
	hash, now := secret.Hash(key), a.now()
	k, ok := a.cache.key(hash, now)
	if !ok {
		gen := a.cache.gen.Load()
		var err error
		k, err = a.lookupKey(ctx, hash)
		switch {
		case ent.IsNotFound(err):
			return nil, ErrAPIKey
		case err != nil:
			return nil, fmt.Errorf("auth: look up API key: %w", err)
		}
		a.cache.putKey(k, gen, now)
	}
	if !secret.Equal(k.hash, key) || expired(k.expiresAt, now) {
		return nil, ErrAPIKey
	}
	v := &access.Viewer{Scope: k.scope, CredentialID: k.id}
	if k.org != nil {
		v.OrganizationID = *k.org
	}
	a.recordUse(ctx, v, now)
	return v, nil
}

// Invalidate forgets every cached credential, as a write through this
// process's client does: for a change another server made (its
// notification, see Config.Announce).
func (a *Authenticator) Invalidate() { a.cache.invalidate() }

// Changes returns a channel that is closed when a credential, directory
// or organization is next written through this process's client: the
// moment to check a long-held credential again (an open WebSocket does,
// and also every CacheTTL for the writes of other servers).
func (a *Authenticator) Changes() <-chan struct{} { return a.cache.changes() }

// expired reports whether a credential expiring at expiresAt (nil: never)
// is expired at now: at the instant itself and after it.
func expired(expiresAt *time.Time, now time.Time) bool {
	return expiresAt != nil && !now.Before(*expiresAt)
}

// lookupContext is the context of a credential look-up: it precedes any
// viewer, since the credential itself decides the tenant, so it bypasses the
// privacy rules. Everything after runs as the credential's viewer.
func lookupContext(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// recordUse records the use of v's credential at now, when a write is
// due (domain.Service.RecordCredentialUse). It is not cut short by the
// request's end; a failure costs only freshness, so it is logged.
func (a *Authenticator) recordUse(ctx context.Context, v *access.Viewer, now time.Time) {
	if !a.touch.due(v.CredentialID, now) {
		return
	}
	if err := a.svc.RecordCredentialUse(context.WithoutCancel(ctx), v, now); err != nil {
		slog.WarnContext(ctx, "auth: record credential use", "id", v.CredentialID, "err", err)
	}
}
