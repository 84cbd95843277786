package roles_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/roles"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixtureContext is the platform context of these tests. Package roles is
// below domain (domain's operations call it): its tests set up the rows it
// computes from directly, with ent (domain.Seeding).
func fixtureContext() context.Context {
	return domain.Seeding(access.PlatformContext(context.Background()))
}

func TestEffective(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := fixtureContext()
		org, err := domain.New(c, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := domain.New(c, s.Dialect).CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "okta"})
		if err != nil {
			t.Fatal(err)
		}
		seed := provision(ctx, c, dir.Directory,
			[]string{"both", "admins", "twice", "unmapped", "alone"},
			map[string][]string{
				"Admins":   {"both", "admins", "twice"},
				"Editors":  {"both", "twice"},
				"Admins2":  {"twice"},
				"Unmapped": {"unmapped"},
			})
		role := map[string]*ent.Role{}
		for _, key := range []string{"admin", "editor", "viewer"} {
			role[key] = c.Role.Create().SetOrganizationID(org.ID).SetKey(key).SetName(key).SaveX(ctx)
		}
		mapping := map[string][]string{"Admins": {"editor", "admin"}, "Editors": {"editor"}, "Admins2": {"admin"}}
		for g, keys := range mapping {
			for _, k := range keys {
				c.GroupRole.Create().SetOrganizationID(org.ID).SetGroupID(seed.groups[g].ID).
					SetRoleID(role[k].ID).ExecX(ctx)
			}
		}
		users := slices.Collect(maps.Values(seed.users))

		cases := []struct {
			name       string
			defaultKey string // the organization's default role, "" for none
			want       map[string][]string
		}{
			{"without a default role", "", map[string][]string{
				"both":   {"admin", "editor"}, // union, ordered by key
				"admins": {"admin", "editor"},
				"twice":  {"admin", "editor"}, // admin through two groups, once
			}},
			{"with a default role", "viewer", map[string][]string{
				"both":     {"admin", "editor"},
				"admins":   {"admin", "editor"},
				"twice":    {"admin", "editor"},
				"unmapped": {"viewer"}, // in a group that maps no role
				"alone":    {"viewer"}, // in no group
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				u := c.Organization.UpdateOne(org).ClearDefaultRoleID()
				if tc.defaultKey != "" {
					u.SetDefaultRoleID(role[tc.defaultKey].ID)
				}
				u.ExecX(ctx)
				got, err := roles.Effective(ctx, c, users)
				if err != nil {
					t.Fatal(err)
				}
				for _, usr := range users {
					var keys []string
					for _, r := range got[usr.ID] {
						keys = append(keys, r.Key)
					}
					if want := tc.want[usr.UserName]; !slices.Equal(keys, want) {
						t.Errorf("%s: roles %v; want %v", usr.UserName, keys, want)
					}
				}
			})
		}

		t.Run("as another organization", func(t *testing.T) {
			other, err := domain.New(c, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Globex"})
			if err != nil {
				t.Fatal(err)
			}
			as := access.NewContext(context.Background(), &access.Viewer{Scope: access.OrgRead, OrganizationID: other.ID})
			got, err := roles.Effective(as, c, users)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 {
				t.Fatalf("another organization's viewer got roles: %v", got)
			}
		})
	})
}

// provisioned is what an identity provider would have pushed.
type provisioned struct {
	users  map[string]*ent.User  // by userName
	groups map[string]*ent.Group // by displayName
}

// provision creates users, and groups with members given as group ->
// userNames, directly with ent.
func provision(ctx context.Context, c *ent.Client, dir *ent.Directory, userNames []string, members map[string][]string) provisioned {
	out := provisioned{users: map[string]*ent.User{}, groups: map[string]*ent.Group{}}
	for _, name := range userNames {
		out.users[name] = c.User.Create().SetOrganizationID(dir.OrganizationID).
			SetDirectoryID(dir.ID).SetUserName(name).SaveX(ctx)
	}
	for gname, names := range members {
		g := c.Group.Create().SetOrganizationID(dir.OrganizationID).SetDirectoryID(dir.ID).
			SetDisplayName(gname).SaveX(ctx)
		out.groups[gname] = g
		for _, un := range names {
			c.Membership.Create().SetOrganizationID(dir.OrganizationID).
				SetGroupID(g.ID).SetUserID(out.users[un].ID).SetDisplay(domain.MemberDisplay(out.users[un])).ExecX(ctx)
		}
	}
	return out
}

// TestEffectiveDeactivated: a deactivated user has no effective roles,
// mapped or default; a user loaded without its active column is read again
// rather than taken for deactivated.
func TestEffectiveDeactivated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := fixtureContext()
		org, err := domain.New(c, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := domain.New(c, s.Dialect).CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "okta"})
		if err != nil {
			t.Fatal(err)
		}
		seed := provision(ctx, c, dir.Directory, []string{"mapped", "gone", "alone", "gone-alone"},
			map[string][]string{"Admins": {"mapped", "gone"}})
		admin := c.Role.Create().SetOrganizationID(org.ID).SetKey("admin").SetName("admin").SaveX(ctx)
		viewer := c.Role.Create().SetOrganizationID(org.ID).SetKey("viewer").SetName("viewer").SaveX(ctx)
		c.GroupRole.Create().SetOrganizationID(org.ID).SetGroupID(seed.groups["Admins"].ID).SetRoleID(admin.ID).ExecX(ctx)
		c.Organization.UpdateOne(org).SetDefaultRoleID(viewer.ID).ExecX(ctx)
		for _, n := range []string{"gone", "gone-alone"} {
			seed.users[n] = c.User.UpdateOne(seed.users[n]).SetActive(false).SaveX(ctx)
		}
		// "alone" as a query that selected only the id would return it.
		partial := &ent.User{ID: seed.users["alone"].ID}
		users := []*ent.User{seed.users["mapped"], seed.users["gone"], seed.users["gone-alone"], partial}
		got, err := roles.Effective(ctx, c, users)
		if err != nil {
			t.Fatal(err)
		}
		keys := func(id uuid.UUID) []string {
			var out []string
			for _, r := range got[id] {
				out = append(out, r.Key)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			want []string
		}{{"mapped", []string{"admin"}}, {"gone", nil}, {"gone-alone", nil}, {"alone", []string{"viewer"}}} {
			if k := keys(seed.users[tc.name].ID); !slices.Equal(k, tc.want) {
				t.Errorf("%s: roles %v; want %v", tc.name, k, tc.want)
			}
		}
	})
}

// TestOfNewUser: for users in no group, OfNewUser gives what Effective
// gives (the default role when active, nothing when deactivated or when
// the organization has no default).
func TestOfNewUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := s.Client
		ctx := fixtureContext()
		svc := domain.New(c, s.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "okta"})
		if err != nil {
			t.Fatal(err)
		}
		seed := provision(ctx, c, dir.Directory, []string{"on", "off"}, nil)
		seed.users["off"] = c.User.UpdateOne(seed.users["off"]).SetActive(false).SaveX(ctx)
		check := func(when string) {
			t.Helper()
			eff, err := roles.Effective(ctx, c, []*ent.User{seed.users["on"], seed.users["off"]})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"on", "off"} {
				got, err := roles.OfNewUser(ctx, c, seed.users[n])
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(eff[seed.users[n].ID]) || (len(got) == 1 && got[0].ID != eff[seed.users[n].ID][0].ID) {
					t.Fatalf("%s, user %s: OfNewUser %v; Effective %v", when, n, got, eff[seed.users[n].ID])
				}
			}
		}
		check("no default role")
		viewer := c.Role.Create().SetOrganizationID(org.ID).SetKey("viewer").SetName("viewer").SaveX(ctx)
		c.Organization.UpdateOne(org).SetDefaultRoleID(viewer.ID).ExecX(ctx)
		check("a default role")
	})
}
