package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestWithTx checks WithTx's two modes: owning a transaction of its own,
// and joining the one ctx carries, which only its owner ends.
func TestWithTx(t *testing.T) {
	errFail := errors.New("fail")
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// Package store is below domain: its own tests write directly.
		base := domain.Seeding(access.PlatformContext(context.Background()))
		exists := func(t *testing.T, slug string) bool {
			t.Helper()
			ok, err := s.Client.Organization.Query().Where(organization.Slug(slug)).Exist(base)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		create := func(ctx context.Context, slug string, fail bool) (*ent.Organization, *ent.Tx, error) {
			var org *ent.Organization
			var used *ent.Tx
			err := store.WithTx(ctx, s.Client, func(tx *ent.Tx) error {
				used = tx
				var err error
				org, err = tx.Organization.Create().SetName(slug).SetSlug(slug).Save(ctx)
				if err != nil {
					return err
				}
				if fail {
					return errFail
				}
				return nil
			})
			return org, used, err
		}

		for _, tc := range []struct {
			name      string
			slug      string
			fail      bool
			outerEnd  func(*ent.Tx) error // nil: WithTx owns its transaction
			wantExist bool
		}{
			{"owned, f succeeds: committed", "owned-ok", false, nil, true},
			{"owned, f fails: rolled back", "owned-fail", true, nil, false},
			{"joined, owner commits", "joined-commit", false, (*ent.Tx).Commit, true},
			{"joined, owner rolls back", "joined-rollback", false, (*ent.Tx).Rollback, false},
			// A failed joined f is rolled back to its savepoint alone: the
			// owner commits, and f's write is not there.
			{"joined, f fails, owner commits", "joined-fail", true, (*ent.Tx).Commit, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				slug := tc.slug
				ctx := base
				var outer *ent.Tx
				if tc.outerEnd != nil {
					var err error
					if outer, err = s.Client.Tx(base); err != nil {
						t.Fatal(err)
					}
					defer outer.Rollback() // after a failed check; a no-op once ended
					ctx = ent.NewTxContext(base, outer)
				}
				org, used, err := create(ctx, slug, tc.fail)
				if tc.fail != errors.Is(err, errFail) {
					t.Fatalf("WithTx: %v; want failure %v", err, tc.fail)
				}
				if outer != nil && tc.fail {
					if err := tc.outerEnd(outer); err != nil {
						t.Fatalf("end the outer transaction: %v", err)
					}
				} else if outer != nil {
					if used != outer {
						t.Fatal("f ran on a transaction of its own, not the one ctx carries")
					}
					// Still open: WithTx neither committed nor rolled back.
					if n, err := outer.Organization.Query().Where(organization.Slug(slug)).Count(ctx); err != nil || n != 1 {
						t.Fatalf("read in the joined transaction after WithTx: %d, %v", n, err)
					}
					// Release keeps the entity on the open transaction.
					if n, err := store.Release(ctx, org).QueryDirectories().Count(ctx); err != nil || n != 0 {
						t.Fatalf("released entity's edge in the joined transaction: %d, %v", n, err)
					}
					if err := tc.outerEnd(outer); err != nil {
						t.Fatalf("end the outer transaction: %v", err)
					}
				} else if !tc.fail {
					// Release unwraps: the entity reads after its
					// transaction ended.
					if _, err := store.Release(ctx, org).QueryDirectories().Count(ctx); err != nil {
						t.Fatalf("released entity's edge after commit: %v", err)
					}
				}
				if got := exists(t, slug); got != tc.wantExist {
					t.Fatalf("organization exists: %v; want %v", got, tc.wantExist)
				}
			})
		}
	})
}

// TestWithTxSavepoint: in a joined transaction, an operation that fails in
// the database (a unique conflict, which aborts a PostgreSQL transaction)
// is undone alone; the operations before and after it commit with the
// owner.
func TestWithTxSavepoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// Package store is below domain: its own tests write directly.
		base := domain.Seeding(access.PlatformContext(context.Background()))
		outer, err := s.Client.Tx(base)
		if err != nil {
			t.Fatal(err)
		}
		defer outer.Rollback()
		ctx := ent.NewTxContext(base, outer)
		create := func(slug string) error {
			return store.WithTx(ctx, s.Client, func(tx *ent.Tx) error {
				if err := tx.Organization.Create().SetName(slug + " a").SetSlug(slug + "-a").Exec(ctx); err != nil {
					return err
				}
				return tx.Organization.Create().SetName(slug).SetSlug(slug).Exec(ctx)
			})
		}
		if err := create("first"); err != nil {
			t.Fatalf("first: %v", err)
		}
		// Its first statement succeeds, its second conflicts with "first".
		err = store.WithTx(ctx, s.Client, func(tx *ent.Tx) error {
			if err := tx.Organization.Create().SetName("x").SetSlug("second-a").Exec(ctx); err != nil {
				return err
			}
			return tx.Organization.Create().SetName("dup").SetSlug("first").Exec(ctx)
		})
		if !fault.Is(err, fault.Conflict) {
			t.Fatalf("second: %v; want a conflict", err)
		}
		if err := create("third"); err != nil {
			t.Fatalf("third, after the failed second: %v", err)
		}
		if err := outer.Commit(); err != nil {
			t.Fatalf("commit: %v", err)
		}
		got, err := s.Client.Organization.Query().Order(ent.Asc(organization.FieldSlug)).
			Select(organization.FieldSlug).Strings(base)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"first", "first-a", "third", "third-a"}
		if !slices.Equal(got, want) {
			t.Fatalf("organizations %v; want %v", got, want)
		}
	})
}
