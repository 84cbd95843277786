package graph

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestMutationOperationIsOneTransaction runs operations of two mutations:
// when the second fails, the first is rolled back too and the response has
// no data; when both succeed, both are kept.
func TestMutationOperationIsOneTransaction(t *testing.T) {
	const twoRoles = `mutation($org: ID!, $second: String!) {
		a: createRole(input: {organizationID: $org, key: "first", name: "First"}) { id key }
		b: createRole(input: {organizationID: $org, key: $second, name: "Second"}) { id key }
	}`
	const roleThenDelete = `mutation($org: ID!, $gone: ID!) {
		a: createRole(input: {organizationID: $org, key: "first", name: "First"}) { id }
		b: deleteRole(id: $gone)
	}`
	const mapThenFail = `mutation($org: ID!, $group: ID!, $role: ID!) {
		a: setGroupRoles(groupID: $group, roleIDs: [$role]) { id roles { key } }
		b: createRole(input: {organizationID: $org, key: "kept", name: "Again"}) { id }
	}`
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		a := newAPI(t, s.Client, s.Dialect, Config{})
		org, err := domain.New(s.Client, "").CreateOrganization(ctx, domain.NewOrganization{Name: "Tx"})
		if err != nil {
			t.Fatal(err)
		}
		kept := s.Client.Role.Create().SetOrganizationID(org.ID).SetKey("kept").SetName("Kept").SaveX(ctx)
		dir, err := domain.New(s.Client, "").CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "jumpcloud"})
		if err != nil {
			t.Fatal(err)
		}
		seed := seedDirectory(t, s.Client, dir.Directory, nil, map[string][]string{"Engineers": nil})
		group := seed.groups["Engineers"]

		roleKeys := func(t *testing.T) []string {
			t.Helper()
			keys, err := s.Client.Role.Query().Where(role.OrganizationID(org.ID)).
				Order(ent.Asc(role.FieldKey)).Select(role.FieldKey).Strings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return keys
		}
		mapped := func(t *testing.T) int {
			t.Helper()
			return s.Client.Group.GetX(ctx, group.ID).QueryRoles().CountX(ctx)
		}

		for _, tc := range []struct {
			name  string
			query string
			vars  map[string]any
			code  string // of the second mutation's error
		}{
			{"conflict in the database", twoRoles, map[string]any{"org": org.ID, "second": "first"}, "CONFLICT"},
			{"not found in a resolver", roleThenDelete, map[string]any{"org": org.ID, "gone": uuid.New()}, "NOT_FOUND"},
			{"a multi-statement write is undone", mapThenFail, map[string]any{"org": org.ID, "group": group.ID, "role": kept.ID}, "CONFLICT"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := a.with(t).fails(a.platform, tc.query, tc.vars, tc.code, "")
				if len(r.Errors) != 1 || len(r.Errors[0].Path) == 0 || r.Errors[0].Path[0] != "b" {
					t.Fatalf("errors %+v; want one, of the second mutation", r.Errors)
				}
				if string(r.Data) != "" && string(r.Data) != "null" {
					t.Fatalf("data %s; want none: the first mutation did not happen", r.Data)
				}
				if got := roleKeys(t); !slices.Equal(got, []string{"kept"}) {
					t.Fatalf("roles after the failed operation: %v; want [kept]", got)
				}
				if n := mapped(t); n != 0 {
					t.Fatalf("group has %d roles after the failed operation; want 0", n)
				}
			})
		}

		t.Run("both succeed", func(t *testing.T) {
			var data struct {
				A, B struct{ Key string }
			}
			a.with(t).ok(a.platform, twoRoles, map[string]any{"org": org.ID, "second": "second"}, &data)
			if data.A.Key != "first" || data.B.Key != "second" {
				t.Fatalf("payloads %+v", data)
			}
			if got := roleKeys(t); !slices.Equal(got, []string{"first", "kept", "second"}) {
				t.Fatalf("roles after the operation: %v; want [first kept second]", got)
			}
		})
	})
}
