package schema_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestGroupRoleStaysInItsOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := access.PlatformContext(background)
		a, b := seed(t, c, "acme"), seed(t, c, "globex")
		for _, tc := range []struct {
			name         string
			group, role  uuid.UUID
			wantErrField string
		}{
			{"another organization's role", a.group.ID, b.role.ID, "roleID"},
			{"another organization's group", b.group.ID, a.role.ID, "groupID"},
			{"no such role", a.group.ID, uuid.New(), "roleID"},
			{"own group and role", a.group.ID, a.role.ID, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := c.GroupRole.Create().SetOrganizationID(a.org.ID).
					SetGroupID(tc.group).SetRoleID(tc.role).Exec(ctx)
				if tc.wantErrField == "" {
					if err != nil {
						t.Fatalf("map: %v", err)
					}
					return
				}
				var fe *fault.Error
				if !errors.As(err, &fe) || fe.Code != fault.Invalid || fe.Field != tc.wantErrField {
					t.Fatalf("err = %v; want an invalid %s", err, tc.wantErrField)
				}
			})
		}
	})
}

// TestActiveTokenLimitUnderConcurrency creates tokens for one directory from
// 20 goroutines at once, each in its own transaction (and, second, without
// one): two succeed, the rest are conflicts.
func TestActiveTokenLimitUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := access.PlatformContext(background)
		for _, inTx := range []bool{true, false} {
			t.Run(fmt.Sprintf("tx=%v", inTx), func(t *testing.T) {
				a := seed(t, c, fmt.Sprintf("acme-%v", inTx))
				create := func() error {
					tok := secret.New(secret.DirectoryTokenPrefix)
					if !inTx {
						return c.DirectoryToken.Create().SetOrganizationID(a.org.ID).SetDirectoryID(a.dir.ID).
							SetHash(tok.Hash).SetPrefix(tok.Display).Exec(ctx)
					}
					return store.WithTx(ctx, c, func(tx *ent.Tx) error {
						return tx.DirectoryToken.Create().SetOrganizationID(a.org.ID).SetDirectoryID(a.dir.ID).
							SetHash(tok.Hash).SetPrefix(tok.Display).Exec(ctx)
					})
				}
				const n = 20
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { errs[i] = create() })
				}
				wg.Wait()
				ok := 0
				for _, err := range errs {
					switch {
					case err == nil:
						ok++
					case !fault.Is(err, fault.Conflict):
						t.Errorf("create: %v; want success or a conflict", err)
					}
				}
				active := c.DirectoryToken.Query().Where(directorytoken.DirectoryID(a.dir.ID)).CountX(ctx)
				if ok != 2 || active != 2 {
					t.Fatalf("%d creates succeeded, %d tokens active; want 2 and 2", ok, active)
				}
			})
		}
	})
}

func TestGroupNameUniqueIgnoringCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := access.PlatformContext(background)
		a := seed(t, c, "acme")
		err := c.Group.Create().SetOrganizationID(a.org.ID).SetDirectoryID(a.dir.ID).
			SetDisplayName("ADMINS").Exec(ctx)
		if !ent.IsConstraintError(err) {
			t.Fatalf("second group name differing only in case: err = %v; want constraint error", err)
		}
		other := c.Directory.Create().SetOrganizationID(a.org.ID).SetName("Okta").
			SetProvider(schematype.ProviderOkta).SaveX(ctx)
		if err := c.Group.Create().SetOrganizationID(a.org.ID).SetDirectoryID(other.ID).
			SetDisplayName("ADMINS").Exec(ctx); err != nil {
			t.Fatalf("same group name in another directory: %v", err)
		}

		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = store.WithTx(ctx, c, func(tx *ent.Tx) error {
					return tx.Group.Create().SetOrganizationID(a.org.ID).SetDirectoryID(a.dir.ID).
						SetDisplayName(fmt.Sprintf("engineers-%c", "eE"[i%2])).Exec(ctx)
				})
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !fault.Is(err, fault.Conflict):
				t.Errorf("concurrent create: %v; want success or a conflict", err)
			}
		}
		got := c.Group.Query().Where(group.DirectoryID(a.dir.ID), group.DisplayNameKey("engineers-e")).CountX(ctx)
		if ok != 1 || got != 1 {
			t.Fatalf("%d concurrent creates succeeded, %d groups exist; want 1 and 1", ok, got)
		}
	})
}

// TestProvisionerStaysInItsDirectory: a directory token of directory A
// neither sees nor changes directory B's rows, though both directories
// belong to one organization.
func TestProvisionerStaysInItsDirectory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		pctx := access.PlatformContext(background)
		a := seed(t, c, "acme")
		dirB := c.Directory.Create().SetOrganizationID(a.org.ID).SetName("Okta").
			SetProvider(schematype.ProviderOkta).SaveX(pctx)
		userB := c.User.Create().SetOrganizationID(a.org.ID).SetDirectoryID(dirB.ID).
			SetUserName("bob@acme.test").SaveX(pctx)
		groupB := c.Group.Create().SetOrganizationID(a.org.ID).SetDirectoryID(dirB.ID).
			SetDisplayName("Okta admins").SaveX(pctx)
		c.Membership.Create().SetOrganizationID(a.org.ID).SetGroupID(groupB.ID).SetUserID(userB.ID).SetDisplay(userB.UserName).ExecX(pctx)
		for _, d := range []uuid.UUID{a.dir.ID, dirB.ID} {
			tok := secret.New(secret.DirectoryTokenPrefix)
			c.DirectoryToken.Create().SetOrganizationID(a.org.ID).SetDirectoryID(d).
				SetHash(tok.Hash).SetPrefix(tok.Display).ExecX(pctx)
		}

		ctx := access.NewContext(background,
			&access.Viewer{Scope: access.Provisioner, OrganizationID: a.org.ID, DirectoryID: a.dir.ID})
		for name, q := range map[string]func(context.Context) (int, error){
			"directories": c.Directory.Query().Count,
			"tokens":      c.DirectoryToken.Query().Count,
			"users":       c.User.Query().Count,
			"groups":      c.Group.Query().Count,
			"memberships": c.Membership.Query().Count,
			"members":     c.Group.Query().QueryMembers().Count,
		} {
			if n, err := q(ctx); err != nil || n != 1 {
				t.Errorf("%s visible = %d, %v; want only directory A's 1", name, n, err)
			}
		}
		if _, err := c.User.Get(ctx, userB.ID); !ent.IsNotFound(err) {
			t.Errorf("get directory B's user: err = %v; want not found", err)
		}
		if _, err := c.Directory.Get(ctx, dirB.ID); !ent.IsNotFound(err) {
			t.Errorf("get directory B: err = %v; want not found", err)
		}
		if err := c.User.UpdateOneID(userB.ID).SetTitle("pwned").Exec(ctx); !ent.IsNotFound(err) {
			t.Errorf("update directory B's user: err = %v; want not found", err)
		}
		if n, err := c.Group.Update().Where(group.ID(groupB.ID)).SetDisplayName("pwned").Save(ctx); err != nil || n != 0 {
			t.Errorf("renamed %d of directory B's groups (err %v); want 0", n, err)
		}
		if n, err := c.User.Delete().Where(user.ID(userB.ID)).Exec(ctx); err != nil || n != 0 {
			t.Errorf("deleted %d of directory B's users (err %v); want 0", n, err)
		}
		if n, err := c.Membership.Delete().Exec(ctx); err != nil || n != 1 {
			t.Errorf("deleted %d memberships (err %v); want only directory A's 1", n, err)
		}
		err := c.User.Create().SetOrganizationID(a.org.ID).SetDirectoryID(dirB.ID).
			SetUserName("intruder").Exec(ctx)
		if err == nil {
			t.Errorf("created a user in directory B")
		}
		if err := c.User.UpdateOneID(a.user.ID).SetTitle("Engineer").Exec(ctx); err != nil {
			t.Errorf("update own directory's user: %v", err)
		}

		if got := c.User.GetX(pctx, userB.ID).Title; got != "" {
			t.Errorf("directory B's user title = %q; want unchanged", got)
		}
		if got := c.Group.GetX(pctx, groupB.ID).DisplayName; got != "Okta admins" {
			t.Errorf("directory B's group name = %q; want unchanged", got)
		}
		if n := c.Membership.Query().CountX(pctx); n != 1 {
			t.Errorf("memberships left = %d; want directory B's 1", n)
		}
	})
}
