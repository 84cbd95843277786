package graph

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/roles"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestRoleHolders: Role.users and the hasRoleID and hasRoleKey filters
// give, for every role, exactly the users whose roles field names it
// (mapped and default roles, deactivated users holding none), in a fixed
// number of statements whatever the page size.
func TestRoleHolders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		client, count := countingClient(s)
		key := seedOrganization(t, client, s.Dialect, 1000)
		ctx := access.PlatformContext(context.Background())
		// Deactivate every seventh user: they lose every role.
		all := client.User.Query().Order(ent.Asc(user.FieldUserName)).AllX(ctx)
		var off []uuid.UUID
		for i, u := range all {
			if i%7 == 3 {
				off = append(off, u.ID)
			}
		}
		client.User.Update().Where(user.IDIn(off...)).SetActive(false).ExecX(domain.Seeding(ctx)) // a fixture
		all = client.User.Query().Order(ent.Asc(user.FieldUserName)).AllX(ctx)
		eff, err := roles.Effective(ctx, client, all)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{}
		for _, u := range all {
			for _, r := range eff[u.ID] {
				want[r.ID.String()] = append(want[r.ID.String()], u.ID.String())
			}
		}
		a := newAPI(t, client, s.Dialect, Config{})
		const holders = `query($role: ID!, $n: Int!, $after: Cursor) {
			node(id: $role) { ... on Role { users(first: $n, after: $after, orderBy: {field: USER_NAME}) {
				totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } } }`
		const filtered = `query($role: ID!) { users(first: 1, where: {hasRoleID: $role}) { totalCount } }`
		const byKey = `query($key: String!) { users(first: 1, where: {hasRoleKey: $key}) { totalCount } }`
		for _, r := range client.Role.Query().Order(ent.Asc(role.FieldKey)).AllX(ctx) {
			var got []string
			var after any
			for {
				var data struct {
					Node struct {
						Users struct {
							TotalCount int
							Edges      []struct{ Node struct{ ID string } }
							PageInfo   struct {
								HasNextPage bool
								EndCursor   string
							}
						}
					}
				}
				a.ok(key, holders, map[string]any{"role": r.ID, "n": 100, "after": after}, &data)
				for _, e := range data.Node.Users.Edges {
					got = append(got, e.Node.ID)
				}
				if data.Node.Users.TotalCount != len(want[r.ID.String()]) {
					t.Fatalf("role %s: totalCount %d; want %d", r.Key, data.Node.Users.TotalCount, len(want[r.ID.String()]))
				}
				if !data.Node.Users.PageInfo.HasNextPage {
					break
				}
				after = data.Node.Users.PageInfo.EndCursor
			}
			slices.Sort(got)
			w := slices.Clone(want[r.ID.String()])
			slices.Sort(w)
			if len(w) == 0 || !slices.Equal(got, w) {
				t.Fatalf("role %s: Role.users has %d users, User.roles gives %d", r.Key, len(got), len(w))
			}
			var f struct{ Users struct{ TotalCount int } }
			a.ok(key, filtered, map[string]any{"role": r.ID}, &f)
			if f.Users.TotalCount != len(w) {
				t.Fatalf("role %s: hasRoleID filter counts %d; want %d", r.Key, f.Users.TotalCount, len(w))
			}
			var k struct{ Users struct{ TotalCount int } }
			a.ok(key, byKey, map[string]any{"key": r.Key}, &k)
			if k.Users.TotalCount != len(w) {
				t.Fatalf("role %s: hasRoleKey filter counts %d; want %d", r.Key, k.Users.TotalCount, len(w))
			}
		}
		// A fixed number of statements, whatever the page size.
		r0 := client.Role.Query().Where(role.Key("role-0")).OnlyX(ctx)
		cost := func(n int) int {
			count.take()
			a.ok(key, holders, map[string]any{"role": r0.ID, "n": n}, nil)
			return len(count.take())
		}
		if c10, c100 := cost(10), cost(100); c10 != c100 {
			t.Fatalf("Role.users: %d statements for 10 users, %d for 100; want the same", c10, c100)
		}
	})
}

// TestLookups: one user by any of its emails (in other letter case), by
// externalId or userName, and an organization by the application's id,
// each in at most two statements besides the key's; another organization's key finds none.
func TestLookups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		client, count := countingClient(s)
		key := seedOrganization(t, client, s.Dialect, 20)
		ctx := access.PlatformContext(context.Background())
		u := client.User.Query().Order(ent.Asc(user.FieldUserName)).FirstX(ctx)
		u = client.User.UpdateOne(u).SetExternalID("ext-7").SetEmails([]schematype.MultiValue{
			{Value: u.PrimaryEmail, Primary: true}, {Value: "Ada.Home@Example.org", Type: "home"}}).SaveX(domain.Seeding(ctx)) // a fixture
		ext := "app-org-1"
		org, err := domain.New(client, s.Dialect).UpdateOrganization(ctx, u.OrganizationID, domain.OrganizationChange{ExternalID: domain.Nullable[string]{Set: true, Value: &ext}})
		if err != nil {
			t.Fatal(err)
		}
		a := newAPI(t, client, s.Dialect, Config{})
		const lookup = `query($org: ID!, $email: String, $ext: String, $name: String) {
			user(organizationID: $org, email: $email, externalID: $ext, userName: $name) { id } }`
		a.ok(key, `{ __typename }`, nil, nil) // the key's first use is recorded once
		for name, vars := range map[string]map[string]any{
			"secondary email": {"org": org.ID, "email": "ada.home@EXAMPLE.org"},
			"primary email":   {"org": org.ID, "email": strings.ToUpper(u.PrimaryEmail)},
			"externalId":      {"org": org.ID, "ext": "ext-7"},
			"userName":        {"org": org.ID, "name": strings.ToUpper(u.UserName)},
		} {
			count.take()
			var data struct{ User *struct{ ID string } }
			a.ok(key, lookup, vars, &data)
			if n := len(count.take()) - 1; n > 2 { // the key's look-up aside
				t.Errorf("%s: %d statements; want at most 2", name, n)
			}
			if data.User == nil || data.User.ID != u.ID.String() {
				t.Fatalf("%s: found %+v; want %s", name, data.User, u.ID)
			}
		}
		var none struct{ User *struct{ ID string } }
		a.ok(key, lookup, map[string]any{"org": org.ID, "email": "nobody@example.org"}, &none)
		if none.User != nil {
			t.Fatalf("unknown email found %+v", none.User)
		}
		a.fails(key, lookup, map[string]any{"org": org.ID, "email": "x@y", "ext": "z"}, "BAD_USER_INPUT", "email")

		const byApp = `query($ext: String) { organization(externalID: $ext) { id users(first: 1) { totalCount } } }`
		var got struct {
			Organization *struct {
				ID    string
				Users struct{ TotalCount int }
			}
		}
		a.ok(a.platform, byApp, map[string]any{"ext": "app-org-1"}, &got)
		if got.Organization == nil || got.Organization.ID != org.ID.String() || got.Organization.Users.TotalCount != 20 {
			t.Fatalf("organization by external id: %+v", got.Organization)
		}
		other := seedOrganization(t, client, s.Dialect, 1)
		got.Organization = nil
		a.ok(other, byApp, map[string]any{"ext": "app-org-1"}, &got)
		if got.Organization != nil {
			t.Fatalf("another organization's key found %+v", got.Organization)
		}
	})
}
