package auth

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// countingClient is a client of s's database that counts its statements,
// standing for another server on the same database.
func countingClient(s *store.Store) (*ent.Client, *atomic.Int64) {
	n := new(atomic.Int64)
	return ent.NewClient(ent.Driver(dialect.DebugWithContext(entsql.OpenDB(s.Dialect, s.DB),
		func(context.Context, ...any) { n.Add(1) }))), n
}

// TestCacheServesRepeatedUses: a credential is read once per TTL, in one
// statement, and not at all while cached.
func TestCacheServesRepeatedUses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		clk := &clock{now: t0}
		client, statements := countingClient(s)
		a := New(domain.New(client, s.Dialect), Config{Now: clk.Now, LastUsedInterval: time.Hour})
		use := func(what string, want int64) {
			t.Helper()
			statements.Store(0)
			if _, err := a.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token); err != nil {
				t.Fatalf("%s: token: %v", what, err)
			}
			if _, err := a.APIKey(context.Background(), "Bearer "+f.orgKey); err != nil {
				t.Fatalf("%s: key: %v", what, err)
			}
			if got := statements.Load(); want >= 0 && got != want {
				t.Fatalf("%s: %d statements; want %d", what, got, want)
			}
		}
		use("first use (look-ups and last-use writes)", -1)
		use("cached", 0)
		clk.now = t0.Add(DefaultCacheTTL - time.Millisecond)
		use("just within the TTL", 0)
		clk.now = t0.Add(DefaultCacheTTL)
		use("TTL over: one look-up each", 2)
		use("cached again", 0)
	})
}

// TestRevocationIsImmediateHere checks that every way the domain takes a
// credential away is refused at once by an Authenticator on the client the
// domain writes through, though its credentials are cached.
func TestRevocationIsImmediateHere(t *testing.T) {
	cases := []struct {
		name   string
		key    bool // the API key rather than the directory token
		revoke func(f *fixture, svc *domain.Service) error
		want   error // the refusal
	}{
		{"token revoked", false, func(f *fixture, svc *domain.Service) error {
			return svc.RevokeDirectoryToken(f.ctx, f.client.Directory.QueryTokens(f.dir).OnlyIDX(f.ctx))
		}, ErrTokenRevoked},
		{"directory disabled", false, func(f *fixture, svc *domain.Service) error {
			_, err := svc.SetDirectoryEnabled(f.ctx, f.dir.ID, false)
			return err
		}, ErrDirectoryDisabled},
		{"directory deleted", false, func(f *fixture, svc *domain.Service) error {
			return svc.DeleteDirectory(f.ctx, f.dir.ID)
		}, ErrDirectoryToken},
		{"organization deleted", false, func(f *fixture, svc *domain.Service) error {
			return svc.DeleteOrganization(f.ctx, f.org.ID)
		}, ErrDirectoryToken},
		{"token expiry set in the past", false, func(f *fixture, svc *domain.Service) error {
			return f.client.DirectoryToken.Update().SetExpiresAt(t0.Add(-time.Hour)).Exec(f.seed)
		}, ErrTokenExpired},
		{"API key revoked", true, func(f *fixture, svc *domain.Service) error {
			return svc.RevokeAPIKey(f.ctx, f.orgKeyID)
		}, ErrAPIKey},
		{"API key's organization deleted", true, func(f *fixture, svc *domain.Service) error {
			return svc.DeleteOrganization(f.ctx, f.org.ID)
		}, ErrAPIKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				f := newFixture(t, s)
				clk := &clock{now: t0}
				a := New(domain.New(s.Client, s.Dialect), Config{Now: clk.Now})
				svc := domain.New(s.Client, s.Dialect)
				check := func() error {
					if c.key {
						_, err := a.APIKey(context.Background(), "Bearer "+f.orgKey)
						return err
					}
					_, err := a.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token)
					return err
				}
				if err := check(); err != nil {
					t.Fatalf("before: %v", err)
				}
				if err := c.revoke(f, svc); err != nil {
					t.Fatal(err)
				}
				refused(t, check(), c.want) // the same instant: the cache is not consulted
			})
		})
	}
}

// TestRevocationReachesOtherServersWithinTTL: a server that did not make
// the change keeps a cached credential for at most the TTL.
func TestRevocationReachesOtherServersWithinTTL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		clk := &clock{now: t0}
		other, _ := countingClient(s)
		b := New(domain.New(other, s.Dialect), Config{Now: clk.Now})
		svc := domain.New(s.Client, s.Dialect) // this server writes
		if _, err := b.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetDirectoryEnabled(f.ctx, f.dir.ID, false); err != nil {
			t.Fatal(err)
		}
		clk.now = t0.Add(DefaultCacheTTL - time.Second)
		if _, err := b.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token); err != nil {
			t.Fatalf("within the TTL the other server still has the token cached: %v", err)
		}
		clk.now = t0.Add(DefaultCacheTTL)
		_, err := b.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token)
		refused(t, err, ErrDirectoryDisabled)
	})
}

// TestCacheCommitRace: an entry read after a revoking write but before its
// transaction commits (it still saw the credential) does not survive the
// commit.
func TestCacheCommitRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if s.Dialect == dialect.SQLite {
			t.Skip("SQLite transactions hold the write lock; a reader beside it is PostgreSQL's case")
		}
		f := newFixture(t, s)
		a := New(domain.New(s.Client, s.Dialect), Config{LastUsedInterval: time.Hour})
		// The first use records it: done now, as the write would wait for
		// the transaction's lock on the directory below.
		if _, err := a.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token); err != nil {
			t.Fatal(err)
		}
		// The operation runs in a caller's transaction, as a GraphQL
		// mutation's do, so the test decides when it commits.
		txCtx, tx, err := f.svc.OpenTx(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetDirectoryEnabled(txCtx, f.dir.ID, false); err != nil {
			t.Fatal(err)
		}
		// Not committed: the token still works, and is cached.
		if _, err := a.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token); err != nil {
			t.Fatalf("before commit: %v", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		_, err = a.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token)
		refused(t, err, ErrDirectoryDisabled)
	})
}
