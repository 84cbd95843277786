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
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Tx"})
		if err != nil {
			t.Fatal(err)
		}
		kept, err := domain.New(s.Client, s.Dialect).CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: "kept", Name: "Kept"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := domain.New(s.Client, s.Dialect).CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "jumpcloud"})
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

// TestMutationUserErrors runs two aliased new-form mutations where the
// first fails as expected (a conflict in the database, a missing id): the
// response has the first's userErrors and the second's result, and the
// second is committed while the first left nothing behind. The failed
// statement runs under a savepoint, so on PostgreSQL it does not abort the
// operation's transaction.
func TestMutationUserErrors(t *testing.T) {
	const conflictThenCreate = `mutation($org: ID!) {
		a: roleCreate(input: {organizationID: $org, key: "kept", name: "Again"}) {
			role { id } userErrors { field code message } }
		b: roleCreate(input: {organizationID: $org, key: "second", name: "Second"}) {
			role { key } userErrors { field code message } }
	}`
	const missingThenCreate = `mutation($org: ID!, $gone: ID!) {
		a: roleDelete(input: {id: $gone}) { deletedID userErrors { field code message } }
		b: roleCreate(input: {organizationID: $org, key: "third", name: "Third"}) {
			role { key } userErrors { field code message } }
	}`
	type userError struct {
		Field   []string
		Code    string
		Message string
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		a := newAPI(t, s.Client, s.Dialect, Config{})
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "UE"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := domain.New(s.Client, s.Dialect).CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: "kept", Name: "Kept"}); err != nil {
			t.Fatal(err)
		}
		roleKeys := func(t *testing.T) []string {
			t.Helper()
			keys, err := s.Client.Role.Query().Where(role.OrganizationID(org.ID)).
				Order(ent.Asc(role.FieldKey)).Select(role.FieldKey).Strings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return keys
		}
		for _, tc := range []struct {
			name     string
			query    string
			vars     map[string]any
			wantErr  userError
			wantKeys []string
		}{
			{"conflict, then a create", conflictThenCreate, map[string]any{"org": org.ID},
				userError{Field: []string{"input", "key"}, Code: "CONFLICT"}, []string{"kept", "second"}},
			{"not found, then a create", missingThenCreate, map[string]any{"org": org.ID, "gone": uuid.New()},
				userError{Field: []string{"input", "id"}, Code: "NOT_FOUND"}, []string{"kept", "second", "third"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var data struct {
					A struct {
						Role       *struct{ ID string }
						DeletedID  *string
						UserErrors []userError
					}
					B struct {
						Role       *struct{ Key string }
						UserErrors []userError
					}
				}
				a.with(t).ok(a.platform, tc.query, tc.vars, &data)
				if len(data.A.UserErrors) != 1 || data.A.Role != nil || data.A.DeletedID != nil {
					t.Fatalf("first mutation: %+v; want one userError and no result", data.A)
				}
				ue := data.A.UserErrors[0]
				if ue.Code != tc.wantErr.Code || !slices.Equal(ue.Field, tc.wantErr.Field) || ue.Message == "" {
					t.Fatalf("userError %+v; want code %s field %v and a message", ue, tc.wantErr.Code, tc.wantErr.Field)
				}
				if data.B.Role == nil || len(data.B.UserErrors) != 0 {
					t.Fatalf("second mutation: %+v; want its role and no userErrors", data.B)
				}
				if got := roleKeys(t); !slices.Equal(got, tc.wantKeys) {
					t.Fatalf("roles after the operation: %v; want %v", got, tc.wantKeys)
				}
			})
		}

		t.Run("a top-level error still undoes the operation", func(t *testing.T) {
			// The deprecated form reports its failure at the top level:
			// the new-form mutation before it is rolled back too.
			a.with(t).fails(a.platform, `mutation($org: ID!, $gone: ID!) {
				a: roleCreate(input: {organizationID: $org, key: "fourth", name: "Fourth"}) { role { id } userErrors { code } }
				b: deleteRole(id: $gone)
			}`, map[string]any{"org": org.ID, "gone": uuid.New()}, "NOT_FOUND", "")
			if got := roleKeys(t); slices.Contains(got, "fourth") {
				t.Fatalf("roles %v: the operation's first mutation was kept", got)
			}
		})
	})
}
