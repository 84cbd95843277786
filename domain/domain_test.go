package domain_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// tenant is an organization with one directory, and the contexts of its
// viewers.
type tenant struct {
	svc      *domain.Service
	client   *ent.Client
	org      *ent.Organization
	dir      *ent.Directory
	platform context.Context
	provider context.Context // the directory's token
	admin    context.Context // an org_admin key of the organization
	reader   context.Context // an org_read key of the organization
}

func newTenant(t testing.TB, s *store.Store, name string) *tenant {
	t.Helper()
	svc := domain.New(s.Client, s.Dialect)
	platform := access.PlatformContext(context.Background())
	org, err := svc.CreateOrganization(platform, domain.NewOrganization{Name: name})
	if err != nil {
		t.Fatalf("create organization: %v", err)
	}
	d, err := svc.CreateDirectory(platform, domain.NewDirectory{OrganizationID: org.ID, Provider: "jumpcloud"})
	if err != nil {
		t.Fatalf("create directory: %v", err)
	}
	as := func(scope access.Scope) context.Context {
		v := &access.Viewer{Scope: scope, OrganizationID: org.ID}
		if scope == access.Provisioner {
			v.DirectoryID = d.Directory.ID
		}
		return access.NewContext(context.Background(), v)
	}
	return &tenant{svc: svc, client: s.Client, org: org, dir: d.Directory, platform: platform,
		provider: as(access.Provisioner), admin: as(access.OrgAdmin), reader: as(access.OrgRead)}
}

// code fails t unless err carries want ("" for no error).
func code(t *testing.T, what string, err error, want fault.Code) {
	t.Helper()
	if got := fault.CodeOf(err); got != want {
		t.Fatalf("%s: error %v (code %q); want code %q", what, err, got, want)
	}
}

func userFields(userName, externalID string, active bool) domain.UserFields {
	return domain.UserFields{user.FieldUserName: userName, user.FieldExternalID: externalID,
		user.FieldActive: active, user.FieldGivenName: "Ada"}
}

func TestOrganizations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := newTenant(t, s, "Acme, Inc."), newTenant(t, s, "Globex")
		if a.org.Slug != "acme-inc" {
			t.Fatalf("slug = %q; want acme-inc", a.org.Slug)
		}
		_, err := a.svc.CreateOrganization(a.platform, domain.NewOrganization{Name: "Acme Inc"})
		code(t, "same slug", err, fault.Conflict)
		if fe := err.(*fault.Error); fe.Field != "slug" {
			t.Fatalf("conflict field = %q; want slug", fe.Field)
		}
		_, err = a.svc.CreateOrganization(a.platform, domain.NewOrganization{Name: " "})
		code(t, "blank name", err, fault.Invalid)
		_, err = a.svc.CreateOrganization(a.admin, domain.NewOrganization{Name: "Mine"})
		code(t, "org admin creates an organization", err, fault.Forbidden)

		ext := "app-42"
		_, err = a.svc.UpdateOrganization(a.platform, b.org.ID, domain.OrganizationChange{
			ExternalID: domain.Nullable[string]{Set: true, Value: &ext}})
		code(t, "platform sets external id", err, "")
		_, err = a.svc.UpdateOrganization(a.platform, a.org.ID, domain.OrganizationChange{
			ExternalID: domain.Nullable[string]{Set: true, Value: &ext}})
		code(t, "taken external id", err, fault.Conflict)
		if msg := fault.MessageOf(err); msg == "" || strings.Contains(msg, ext) {
			t.Fatalf("conflict message %q names the other tenant's value", msg)
		}
		_, err = a.svc.UpdateOrganization(a.admin, a.org.ID, domain.OrganizationChange{
			ExternalID: domain.Nullable[string]{Set: true, Value: &ext}})
		code(t, "org admin sets external id", err, fault.Forbidden)
		name := "Acme Corp"
		org, err := a.svc.UpdateOrganization(a.admin, a.org.ID, domain.OrganizationChange{Name: &name})
		code(t, "org admin renames", err, "")
		if org.Name != name {
			t.Fatalf("name = %q; want %q", org.Name, name)
		}
		_, err = a.svc.UpdateOrganization(a.admin, b.org.ID, domain.OrganizationChange{Name: &name})
		code(t, "org admin renames another organization", err, fault.NotFound)
	})
}

func TestDirectoryTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := newTenant(t, s, "Acme"), newTenant(t, s, "Globex")
		second, err := a.svc.RotateDirectoryToken(a.admin, a.dir.ID, nil)
		code(t, "rotate", err, "")
		if second.BearerToken == "" || second.Token.DirectoryID != a.dir.ID {
			t.Fatalf("rotated token = %+v", second)
		}
		_, err = a.svc.RotateDirectoryToken(a.admin, a.dir.ID, nil)
		code(t, "third active token", err, fault.Conflict)
		_, err = a.svc.RotateDirectoryToken(a.admin, b.dir.ID, nil)
		code(t, "rotate another organization's directory", err, fault.NotFound)
		_, err = a.svc.RotateDirectoryToken(a.reader, a.dir.ID, nil)
		code(t, "read key rotates", err, fault.Forbidden)
		code(t, "revoke", a.svc.RevokeDirectoryToken(a.admin, second.Token.ID), "")
		toks, err := a.svc.DirectoryTokens(a.admin, a.dir.ID)
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens after revoke: %d, %v; want 1", len(toks), err)
		}
		code(t, "revoke again", a.svc.RevokeDirectoryToken(a.admin, second.Token.ID), fault.NotFound)
		d, err := a.svc.SetDirectoryEnabled(a.admin, a.dir.ID, false)
		if err != nil || d.Enabled {
			t.Fatalf("disable: %v, enabled %v", err, d != nil && d.Enabled)
		}
	})
}

func TestProvisionUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		u, created, err := a.svc.ProvisionUser(a.provider, a.dir.ID, userFields("ada@example.com", "ext-1", true))
		if err != nil || !created || u.OrganizationID != a.org.ID || u.GivenName != "Ada" {
			t.Fatalf("provision: %v created=%v user=%+v", err, created, u)
		}
		// The same external user again (a retry): taken over, not refused.
		again, created, err := a.svc.ProvisionUser(a.provider, a.dir.ID, userFields("ADA@example.com", "ext-1", true))
		if err != nil || created || again.ID != u.ID {
			t.Fatalf("retry: %v created=%v id=%v; want the same user", err, created, again)
		}
		// Another external user with the name of an active one: a conflict.
		_, _, err = a.svc.ProvisionUser(a.provider, a.dir.ID, userFields("ada@example.com", "ext-2", true))
		code(t, "active namesake", err, fault.Conflict)
		// Deactivated, the user is re-activated by a new provisioning.
		_, err = a.svc.UpdateUser(a.provider, a.dir.ID, u.ID, nil, func(*ent.User) (domain.UserFields, error) {
			return userFields("ada@example.com", "ext-1", false), nil
		})
		code(t, "deactivate", err, "")
		back, created, err := a.svc.ProvisionUser(a.provider, a.dir.ID, userFields("ada@example.com", "ext-2", true))
		if err != nil || created || back.ID != u.ID || !back.Active || back.ExternalID != "ext-2" {
			t.Fatalf("re-provision: %v created=%v user=%+v", err, created, back)
		}
		_, _, err = a.svc.ProvisionUser(a.provider, a.dir.ID, userFields(" ", "", true))
		code(t, "blank userName", err, fault.Invalid)
	})
}

func TestUpdateUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		u, _, err := a.svc.ProvisionUser(a.provider, a.dir.ID, userFields("ada@example.com", "", true))
		code(t, "provision", err, "")
		// nil fields: nothing changes, the version stays.
		same, err := a.svc.UpdateUser(a.provider, a.dir.ID, u.ID, nil, func(*ent.User) (domain.UserFields, error) { return nil, nil })
		if err != nil || same.Version != u.Version {
			t.Fatalf("no-op update: %v, version %d -> %d", err, u.Version, same.Version)
		}
		stale := func(v int) error {
			if v != u.Version+1 {
				return fault.Errorf(fault.Conflict, "stale")
			}
			return nil
		}
		_, err = a.svc.UpdateUser(a.provider, a.dir.ID, u.ID, stale, func(*ent.User) (domain.UserFields, error) {
			t.Fatal("next called after the guard refused")
			return nil, nil
		})
		code(t, "guard", err, fault.Conflict)
		// "" clears an optional field; the rest is replaced.
		f := userFields("ada@example.com", "", true)
		f[user.FieldGivenName] = ""
		f[user.FieldFamilyName] = "Lovelace"
		got, err := a.svc.UpdateUser(a.provider, a.dir.ID, u.ID, nil, func(*ent.User) (domain.UserFields, error) { return f, nil })
		if err != nil || got.GivenName != "" || got.FamilyName != "Lovelace" || got.Version != u.Version+1 {
			t.Fatalf("update: %v user=%+v", err, got)
		}
		other, _, err := a.svc.ProvisionUser(a.provider, a.dir.ID, userFields("bob@example.com", "", true))
		code(t, "provision bob", err, "")
		_, err = a.svc.UpdateUser(a.provider, a.dir.ID, other.ID, nil, func(*ent.User) (domain.UserFields, error) {
			return userFields("ADA@example.com", "", true), nil
		})
		code(t, "rename onto another userName", err, fault.Conflict)
		code(t, "delete", a.svc.DeleteUser(a.provider, a.dir.ID, u.ID, nil), "")
		code(t, "delete again", a.svc.DeleteUser(a.provider, a.dir.ID, u.ID, nil), fault.NotFound)
	})
}

func TestGroupsAndMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := newTenant(t, s, "Acme"), newTenant(t, s, "Globex")
		var ids []uuid.UUID
		for i := range 3 {
			u, _, err := a.svc.ProvisionUser(a.provider, a.dir.ID, userFields(fmt.Sprintf("u%d@acme.example", i), "", true))
			code(t, "provision", err, "")
			ids = append(ids, u.ID)
		}
		foreign, _, err := b.svc.ProvisionUser(b.provider, b.dir.ID, userFields("x@globex.example", "", true))
		code(t, "provision foreign", err, "")
		unknown := uuid.New()
		g, err := a.svc.CreateGroup(a.provider, a.dir.ID, domain.GroupFields{group.FieldDisplayName: "Admins"},
			[]domain.MemberChange{{Op: domain.AddMembers, IDs: []uuid.UUID{ids[0], ids[1], unknown, foreign.ID}}})
		code(t, "create group", err, "")
		members := func() []uuid.UUID {
			t.Helper()
			got, err := a.client.Membership.Query().Where(membership.GroupID(g.ID)).
				Order(ent.Asc(membership.FieldUserID)).Select(membership.FieldUserID).Strings(a.platform)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]uuid.UUID, len(got))
			for i, s := range got {
				out[i] = uuid.MustParse(s)
			}
			return out
		}
		if m := members(); len(m) != 2 {
			t.Fatalf("members = %v; want the two known users only", m)
		}
		// The same name in other letter case takes the group over.
		again, err := a.svc.CreateGroup(a.provider, a.dir.ID, domain.GroupFields{group.FieldDisplayName: "ADMINS"},
			[]domain.MemberChange{{Op: domain.ReplaceMembers, IDs: []uuid.UUID{ids[2]}}})
		if err != nil || again.ID != g.ID || again.DisplayName != "ADMINS" {
			t.Fatalf("take-over: %v, group %+v; want group %s renamed", err, again, g.ID)
		}
		if m := members(); len(m) != 1 || m[0] != ids[2] {
			t.Fatalf("members after replace = %v; want [%s]", m, ids[2])
		}
		_, err = a.svc.UpdateGroup(a.provider, a.dir.ID, g.ID, nil, func(*ent.Group) (domain.GroupFields, []domain.MemberChange, error) {
			return domain.GroupFields{group.FieldDisplayName: "ADMINS"}, []domain.MemberChange{
				{Op: domain.AddMembers, IDs: ids}, {Op: domain.RemoveMembers, IDs: []uuid.UUID{ids[0]}}}, nil
		})
		code(t, "update members", err, "")
		if m := members(); len(m) != 2 {
			t.Fatalf("members after add and remove = %v; want 2", m)
		}
		// Another directory's token sees nothing of this group.
		_, err = b.svc.Group(b.provider, b.dir.ID, g.ID)
		code(t, "foreign group", err, fault.NotFound)
		code(t, "delete group", a.svc.DeleteGroup(a.provider, a.dir.ID, g.ID, nil), "")
		if m := members(); len(m) != 0 {
			t.Fatalf("memberships left after delete: %v", m)
		}
	})
}

func TestRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := newTenant(t, s, "Acme"), newTenant(t, s, "Globex")
		admin, err := a.svc.CreateRole(a.admin, domain.NewRole{OrganizationID: a.org.ID, Key: "admin", Name: "Admin"})
		code(t, "create role", err, "")
		_, err = a.svc.CreateRole(a.admin, domain.NewRole{OrganizationID: a.org.ID, Key: "admin", Name: "Again"})
		code(t, "same key", err, fault.Conflict)
		_, err = a.svc.CreateRole(a.reader, domain.NewRole{OrganizationID: a.org.ID, Key: "viewer", Name: "Viewer"})
		code(t, "read key creates a role", err, fault.Forbidden)
		_, err = a.svc.CreateRole(a.admin, domain.NewRole{OrganizationID: b.org.ID, Key: "x", Name: "X"})
		code(t, "role in another organization", err, fault.NotFound)
		foreign, err := b.svc.CreateRole(b.platform, domain.NewRole{OrganizationID: b.org.ID, Key: "admin", Name: "Admin"})
		code(t, "foreign role", err, "")

		g, err := a.svc.CreateGroup(a.provider, a.dir.ID, domain.GroupFields{group.FieldDisplayName: "Admins"}, nil)
		code(t, "group", err, "")
		_, err = a.svc.SetGroupRoles(a.platform, g.ID, []uuid.UUID{admin.ID, foreign.ID})
		code(t, "map a role of another organization", err, fault.Invalid)
		if fe := err.(*fault.Error); fe.Field != "roleIDs[1]" {
			t.Fatalf("field = %q; want roleIDs[1]", fe.Field)
		}
		_, err = a.svc.SetGroupRoles(a.admin, g.ID, []uuid.UUID{admin.ID, admin.ID})
		code(t, "map", err, "")
		_, err = a.svc.AssignRoleToGroup(a.admin, g.ID, admin.ID)
		code(t, "map again", err, "")
		roles, err := a.client.Group.Query().Where(group.ID(g.ID)).QueryRoles().IDs(a.platform)
		if err != nil || len(roles) != 1 || roles[0] != admin.ID {
			t.Fatalf("mapped roles = %v, %v; want [%s]", roles, err, admin.ID)
		}
		_, err = a.svc.SetGroupRoles(a.admin, g.ID, nil)
		code(t, "unmap all", err, "")
		if n, _ := a.client.Group.Query().Where(group.ID(g.ID)).QueryRoles().Count(a.platform); n != 0 {
			t.Fatalf("%d roles left mapped; want 0", n)
		}
		_, err = a.svc.SetDefaultRole(a.platform, a.org.ID, &foreign.ID)
		code(t, "default role of another organization", err, fault.Invalid)
		_, err = a.svc.SetDefaultRole(a.admin, a.org.ID, &foreign.ID)
		code(t, "default role the viewer cannot see", err, fault.NotFound)
		org, err := a.svc.SetDefaultRole(a.admin, a.org.ID, &admin.ID)
		if err != nil || org.DefaultRoleID == nil || *org.DefaultRoleID != admin.ID {
			t.Fatalf("default role: %v", err)
		}
	})
}

// TestConcurrentProvisioning is the race of identical provisioning
// requests (a provider's retries): every one succeeds, with one user.
func TestConcurrentProvisioning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		const n = 10
		var wg sync.WaitGroup
		ids := make([]uuid.UUID, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				u, _, err := a.svc.ProvisionUser(a.provider, a.dir.ID, userFields("race@example.com", "ext-race", true))
				errs[i] = err
				if u != nil {
					ids[i] = u.ID
				}
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("request %d: %v, user %s; want user %s", i, errs[i], ids[i], ids[0])
			}
		}
	})
}

// TestConcurrentRotations: twenty rotations at once leave at most two
// active tokens; the others are refused as conflicts.
func TestConcurrentRotations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() { _, errs[i] = a.svc.RotateDirectoryToken(a.admin, a.dir.ID, nil) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch fault.CodeOf(err) {
			case "":
				ok++
			case fault.Conflict:
			default:
				t.Fatalf("rotation: %v; want success or a conflict", err)
			}
		}
		toks, err := a.svc.DirectoryTokens(a.admin, a.dir.ID)
		if err != nil || len(toks) != 2 || ok != 1 {
			t.Fatalf("%d rotations succeeded, %d tokens (%v); want 1 and 2", ok, len(toks), err)
		}
	})
}
