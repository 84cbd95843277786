package graph

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestUnsetIsNull: a nullable String field that was never set, or was
// stored empty, comes back as null, never ""; one that is set comes back
// as its value.
func TestUnsetIsNull(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		svc := domain.New(s.Client, s.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Nulls"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "okta"})
		if err != nil {
			t.Fatal(err)
		}
		seeded := seedDirectory(t, s.Client, dir.Directory, []string{"unset", "empty"}, map[string][]string{"g": {"unset"}})
		// "empty" has every optional string stored as "" rather than NULL.
		err = seeded.users["empty"].Update().SetDisplayName("").SetGivenName("").SetFamilyName("").
			SetExternalID("").SetTitle("").Exec(domain.Seeding(ctx))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: "reader", Name: "Reader"}); err != nil {
			t.Fatal(err)
		}
		a := newAPI(t, s.Client, s.Dialect, Config{})
		const q = `query($org: ID!) {
			users(first: 10, where: {organizationID: $org}, orderBy: {field: USER_NAME}) { edges { node {
				userName primaryEmail displayName givenName familyName nameFormatted externalID title locale
				managerID nickName } } }
			groups(first: 10, where: {organizationID: $org}) { edges { node { displayName externalID } } }
			roles(first: 10, where: {organizationID: $org}) { edges { node { key description groups { id } } } }
			organizations(first: 1, where: {id: $org}) { edges { node { name externalID } } } }`
		var raw map[string]map[string][]map[string]map[string]json.RawMessage
		a.ok(a.platform, q, map[string]any{"org": org.ID}, &raw)
		check := func(what string, node map[string]json.RawMessage, present ...string) {
			t.Helper()
			want := map[string]bool{}
			for _, f := range present {
				want[f] = true
			}
			for name, v := range node {
				if got := string(v); want[name] == (got == "null") || got == `""` {
					t.Errorf("%s.%s = %s; want %s", what, name, got, map[bool]string{true: "a value", false: "null"}[want[name]])
				}
			}
		}
		users := raw["users"]["edges"]
		if len(users) != 2 {
			t.Fatalf("users %v", users)
		}
		for _, e := range users {
			check("user", e["node"], "userName", "primaryEmail")
		}
		check("group", raw["groups"]["edges"][0]["node"], "displayName")
		check("role", raw["roles"]["edges"][0]["node"], "key", "groups")
		// A list edge with nothing in it is an empty list, as described.
		if g := string(raw["roles"]["edges"][0]["node"]["groups"]); g != "[]" {
			t.Errorf("role.groups = %s; want []", g)
		}
		check("organization", raw["organizations"]["edges"][0]["node"], "name")
	})
}
