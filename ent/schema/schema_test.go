package schema_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// background is the context every test here starts from. These tests are
// of the data layer's own rules (privacy, hooks, constraints), below
// package domain: they write through ent directly, as domain.Seeding lets
// fixtures do, so that what refuses a write is the rule under test and
// not the guard that keeps writes in domain's operations.
var background = domain.Seeding(context.Background())

// tenant is one organization with a directory, a user and a group.
type tenant struct {
	org   *ent.Organization
	dir   *ent.Directory
	user  *ent.User
	group *ent.Group
	role  *ent.Role
}

func seed(t *testing.T, c *ent.Client, slug string) tenant {
	t.Helper()
	ctx := access.PlatformContext(background)
	org := c.Organization.Create().SetName(slug).SetSlug(slug).SaveX(ctx)
	dir := c.Directory.Create().SetOrganizationID(org.ID).SetName("JumpCloud").
		SetProvider(schematype.ProviderJumpCloud).SaveX(ctx)
	u := c.User.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.ID).
		SetUserName("Ada@" + slug + ".test").SaveX(ctx)
	g := c.Group.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.ID).
		SetDisplayName("Admins").SaveX(ctx)
	c.Membership.Create().SetOrganizationID(org.ID).SetGroupID(g.ID).SetUserID(u.ID).SetDisplay(u.UserName).SaveX(ctx)
	r := c.Role.Create().SetOrganizationID(org.ID).SetKey("admin").SetName("Admin").SaveX(ctx)
	return tenant{org: org, dir: dir, user: u, group: g, role: r}
}

func as(scope access.Scope, org uuid.UUID) context.Context {
	return access.NewContext(background, &access.Viewer{Scope: scope, OrganizationID: org})
}

// asTenant is the viewer of scope in t's organization; a provisioner is
// t's directory's token.
func asTenant(scope access.Scope, t tenant) context.Context {
	v := &access.Viewer{Scope: scope, OrganizationID: t.org.ID}
	if scope == access.Provisioner {
		v.DirectoryID = t.dir.ID
	}
	return access.NewContext(background, v)
}

func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		a, b := seed(t, c, "acme"), seed(t, c, "globex")

		for _, scope := range []access.Scope{access.OrgAdmin, access.OrgRead, access.Provisioner} {
			ctx := asTenant(scope, a)
			t.Run(string(scope)+"/reads", func(t *testing.T) {
				for name, q := range map[string]func(context.Context) (int, error){
					"organizations": c.Organization.Query().Count,
					"directories":   c.Directory.Query().Count,
					"users":         c.User.Query().Count,
					"groups":        c.Group.Query().Count,
					"memberships":   c.Membership.Query().Count,
					"roles":         c.Role.Query().Count,
				} {
					if n, err := q(ctx); err != nil || n != 1 {
						t.Errorf("%s visible = %d, %v; want only the viewer's 1", name, n, err)
					}
				}
				if _, err := c.User.Get(ctx, b.user.ID); !ent.IsNotFound(err) {
					t.Errorf("get other org's user: err = %v; want not found", err)
				}
				if _, err := c.Organization.Get(ctx, b.org.ID); !ent.IsNotFound(err) {
					t.Errorf("get other org: err = %v; want not found", err)
				}
				if n := c.Group.Query().QueryMembers().CountX(ctx); n != 1 {
					t.Errorf("members through edges = %d; want 1", n)
				}
			})
			t.Run(string(scope)+"/writes", func(t *testing.T) {
				if err := c.User.UpdateOneID(b.user.ID).SetTitle("pwned").Exec(ctx); err == nil {
					t.Errorf("updated another organization's user")
				}
				if n, _ := c.User.Delete().Where(user.ID(b.user.ID)).Exec(ctx); n != 0 {
					t.Errorf("deleted %d of another organization's users", n)
				}
				err := c.User.Create().SetOrganizationID(b.org.ID).SetDirectoryID(b.dir.ID).
					SetUserName("intruder").Exec(ctx)
				if err == nil {
					t.Errorf("created a user in another organization")
				}
			})
		}

		pctx := access.PlatformContext(background)
		if got := c.User.GetX(pctx, b.user.ID).Title; got != "" {
			t.Fatalf("other org's user title = %q after attacks; want unchanged", got)
		}
		if n := c.User.Query().CountX(pctx); n != 2 {
			t.Fatalf("platform sees %d users; want 2", n)
		}
		if _, err := c.User.Query().Count(background); !errors.Is(err, privacy.Deny) {
			t.Fatalf("a context without a viewer: err = %v; want a privacy denial", err)
		}
	})
}

func TestScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		a := seed(t, c, "acme")
		read := as(access.OrgRead, a.org.ID)
		if err := c.User.UpdateOneID(a.user.ID).SetTitle("x").Exec(read); err == nil {
			t.Errorf("read-only viewer changed a user")
		}
		if err := c.Role.Create().SetOrganizationID(a.org.ID).SetKey("r").SetName("R").Exec(read); err == nil {
			t.Errorf("read-only viewer created a role")
		}
		prov := access.NewContext(background,
			&access.Viewer{Scope: access.Provisioner, OrganizationID: a.org.ID, DirectoryID: a.dir.ID})
		if err := c.User.UpdateOneID(a.user.ID).SetTitle("Engineer").Exec(prov); err != nil {
			t.Errorf("provisioner cannot change its users: %v", err)
		}
		if err := c.Role.Create().SetOrganizationID(a.org.ID).SetKey("r").SetName("R").Exec(prov); err == nil {
			t.Errorf("provisioner created a role")
		}
		admin := as(access.OrgAdmin, a.org.ID)
		if err := c.Role.Create().SetOrganizationID(a.org.ID).SetKey("viewer").SetName("Viewer").Exec(admin); err != nil {
			t.Errorf("admin cannot create a role: %v", err)
		}
		if err := c.Organization.Create().SetName("New").SetSlug("new").Exec(admin); err == nil {
			t.Errorf("org admin created an organization")
		}
		k := secret.New(secret.APIKeyPrefix)
		err := c.APIKey.Create().SetScope(access.Platform).SetHash(k.Hash).SetPrefix(k.Display).Exec(admin)
		if err == nil {
			t.Errorf("org admin created a platform key")
		}
		err = c.APIKey.Create().SetOrganizationID(a.org.ID).SetScope(access.OrgRead).
			SetHash(k.Hash).SetPrefix(k.Display).Exec(admin)
		if err != nil {
			t.Errorf("org admin cannot create a read key for its organization: %v", err)
		}
		if n, err := c.APIKey.Query().Count(read); err == nil || n != 0 {
			t.Errorf("read-only viewer listed %d API keys (err %v)", n, err)
		}
	})
}

func TestUserNameUniqueIgnoringCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := access.PlatformContext(background)
		a := seed(t, c, "acme")
		err := c.User.Create().SetOrganizationID(a.org.ID).SetDirectoryID(a.dir.ID).
			SetUserName("ADA@ACME.TEST").Exec(ctx)
		if !ent.IsConstraintError(err) {
			t.Fatalf("second userName differing only in case: err = %v; want constraint error", err)
		}
		other := c.Directory.Create().SetOrganizationID(a.org.ID).SetName("Okta").
			SetProvider(schematype.ProviderOkta).SaveX(ctx)
		if err := c.User.Create().SetOrganizationID(a.org.ID).SetDirectoryID(other.ID).
			SetUserName("ada@acme.test").Exec(ctx); err != nil {
			t.Fatalf("same userName in another directory: %v", err)
		}
		got := c.User.Query().Where(user.DirectoryID(a.dir.ID), user.UserNameKey("ada@acme.test")).OnlyX(ctx)
		if got.UserName != "Ada@acme.test" {
			t.Fatalf("userName stored as %q; want the case it was sent in", got.UserName)
		}
		if err := c.Organization.Create().SetName("Dup").SetSlug("acme").Exec(ctx); !ent.IsConstraintError(err) {
			t.Fatalf("duplicate slug: err = %v; want constraint error", err)
		}
	})
}

func TestVersionBumpsOnEveryUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(background)
		a := seed(t, s.Client, "acme")
		u := s.Client.User.UpdateOne(a.user).SetActive(false).SaveX(ctx)
		u = s.Client.User.UpdateOne(u).SetTitle("CTO").SaveX(ctx)
		if u.Version != 3 {
			t.Fatalf("version after two updates = %d; want 3", u.Version)
		}
	})
}

func TestDirectoryTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := access.PlatformContext(background)
		a := seed(t, c, "acme")
		mk := func(expires *time.Time) (secret.Secret, error) {
			tok := secret.New(secret.DirectoryTokenPrefix)
			return tok, c.DirectoryToken.Create().SetOrganizationID(a.org.ID).SetDirectoryID(a.dir.ID).
				SetHash(tok.Hash).SetPrefix(tok.Display).SetNillableExpiresAt(expires).Exec(ctx)
		}
		past := time.Now().Add(-time.Hour)
		if _, err := mk(&past); err != nil {
			t.Fatalf("expired token: %v", err)
		}
		first, err := mk(nil)
		if err != nil {
			t.Fatalf("first token: %v", err)
		}
		if _, err := mk(nil); err != nil {
			t.Fatalf("second token: %v", err)
		}
		if _, err := mk(nil); !fault.Is(err, fault.Conflict) {
			t.Fatalf("third active token: err = %v; want conflict", err)
		}
		stored := c.DirectoryToken.Query().AllX(ctx)
		for _, tok := range stored {
			if string(tok.Hash) == first.Plain || len(tok.Hash) != 32 {
				t.Fatalf("token stored as %d bytes; want a 32-byte SHA-256 hash", len(tok.Hash))
			}
		}
		found := 0
		for _, tok := range stored {
			if secret.Equal(tok.Hash, first.Plain) {
				found++
			}
		}
		if found != 1 {
			t.Fatalf("the first token matches %d stored hashes; want 1", found)
		}
	})
}

func TestDeletingGroupKeepsUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := access.PlatformContext(background)
		a := seed(t, c, "acme")
		c.Group.DeleteOne(a.group).ExecX(ctx)
		if n := c.Membership.Query().CountX(ctx); n != 0 {
			t.Fatalf("memberships after deleting the group = %d; want 0", n)
		}
		if !c.User.Query().Where(user.ID(a.user.ID)).ExistX(ctx) {
			t.Fatalf("deleting a group deleted its member")
		}
		c.Organization.DeleteOne(a.org).ExecX(ctx)
		if n := c.User.Query().CountX(ctx); n != 0 {
			t.Fatalf("users after deleting the organization = %d; want 0", n)
		}
	})
}

func TestDefaultRoleBelongsToTheOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := access.PlatformContext(background)
		a, b := seed(t, c, "acme"), seed(t, c, "globex")
		if err := c.Organization.UpdateOne(a.org).SetDefaultRoleID(b.role.ID).Exec(ctx); !fault.Is(err, fault.Invalid) {
			t.Fatalf("another organization's role as default: err = %v; want invalid", err)
		}
		if err := c.Organization.UpdateOne(a.org).SetDefaultRoleID(a.role.ID).Exec(ctx); err != nil {
			t.Fatalf("own role as default: %v", err)
		}
	})
}
