package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestHostileArguments: every string argument, at any depth of an input
// object, from a variable or a literal, is refused as BAD_USER_INPUT naming
// the field when it holds a NUL or is longer than the bound; every list
// argument is bounded. Before, a NUL was an INTERNAL_SERVER_ERROR on
// PostgreSQL and stored on SQLite, and 40,000 event types ran out of SQL
// parameters.
func TestHostileArguments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		a := newAPI(t, s.Client, s.Dialect, Config{})
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Args"})
		if err != nil {
			t.Fatal(err)
		}
		orgID := org.ID.String()
		nul := "a\x00b"
		long := strings.Repeat("x", DefaultMaxStringBytes+1)
		types := func(n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprintf("user.t%d", i)
			}
			return out
		}
		cases := []struct {
			name, query string
			vars        map[string]any
			field       string
		}{
			{"NUL in where.query", `query($q: String) { users(where: {query: $q}) { totalCount } }`,
				map[string]any{"q": nul}, "where.query"},
			{"NUL in where.query, literal", `{ users(where: {query: "a\u0000b"}) { totalCount } }`, nil, "where.query"},
			{"NUL in a where variable", `query($w: UserWhereInput) { users(where: $w) { totalCount } }`,
				map[string]any{"w": map[string]any{"or": []any{map[string]any{"userNameContains": nul}}}}, "where.or[0].userNameContains"},
			{"NUL in user(email:)", `query($o: ID!, $e: String) { user(organizationID: $o, email: $e) { id } }`,
				map[string]any{"o": orgID, "e": nul}, "email"},
			{"NUL in organization(slug:)", `query($s: String) { organization(slug: $s) { id } }`,
				map[string]any{"s": nul}, "slug"},
			{"NUL in a role's name", `mutation($o: ID!, $n: String!) { roleCreate(input: {organizationID: $o, key: "k", name: $n}) { role { id } } }`,
				map[string]any{"o": orgID, "n": nul}, "input.name"},
			{"NUL in a role's description, literal", `mutation($o: ID!) { roleCreate(input: {organizationID: $o, key: "k", name: "n", description: "d\u0000"}) { role { id } } }`,
				map[string]any{"o": orgID}, "input.description"},
			{"NUL in an organization's name", `mutation($n: String!) { organizationCreate(input: {name: $n}) { organization { id } } }`,
				map[string]any{"n": nul}, "input.name"},
			{"NUL in a directory's name", `mutation($o: ID!, $n: String) { directoryCreate(input: {organizationID: $o, provider: OKTA, name: $n}) { directory { id } } }`,
				map[string]any{"o": orgID, "n": nul}, "input.name"},
			{"NUL in a key's name", `mutation($n: String) { apiKeyCreate(input: {scope: PLATFORM, name: $n}) { key } }`,
				map[string]any{"n": nul}, "input.name"},
			{"NUL in a webhook's description", `mutation($o: ID!, $d: String) { webhookEndpointCreate(input: {organizationID: $o, url: "https://hooks.example/x", description: $d}) { webhookEndpoint { id } } }`,
				map[string]any{"o": orgID, "d": nul}, "input.description"},
			{"NUL in an event type", `query($o: ID!, $t: [String!]) { events(organizationID: $o, types: $t, first: 1) { edges { cursor } } }`,
				map[string]any{"o": orgID, "t": []string{"user.created", nul}}, "types"},
			{"long email", `query($o: ID!, $e: String) { user(organizationID: $o, email: $e) { id } }`,
				map[string]any{"o": orgID, "e": long}, "email"},
			{"long role name, literal", `mutation($o: ID!) { roleCreate(input: {organizationID: $o, key: "k", name: "` + long + `"}) { role { id } } }`,
				map[string]any{"o": orgID}, "input.name"},
			{"long organization name", `mutation($n: String!) { organizationCreate(input: {name: $n}) { organization { id } } }`,
				map[string]any{"n": long}, "input.name"},
			{"40,000 event types", `query($o: ID!, $t: [String!]) { events(organizationID: $o, types: $t, first: 1) { edges { cursor } } }`,
				map[string]any{"o": orgID, "t": types(40_000)}, "types"},
			{"1,001 event types", `query($o: ID!, $t: [String!]) { events(organizationID: $o, types: $t, first: 1) { edges { cursor } } }`,
				map[string]any{"o": orgID, "t": types(1001)}, "types"},
			{"1,001 webhook event types", `mutation($o: ID!, $t: [String!]) { webhookEndpointCreate(input: {organizationID: $o, url: "https://hooks.example/x", eventTypes: $t}) { webhookEndpoint { id } } }`,
				map[string]any{"o": orgID, "t": types(1001)}, "input.eventTypes"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a.with(t).refused(a.platform, c.query, c.vars, "BAD_USER_INPUT", c.field)
			})
		}
		t.Run("nothing was stored", func(t *testing.T) {
			if n := s.Client.Role.Query().Where(role.OrganizationID(org.ID)).CountX(ctx); n != 0 {
				t.Fatalf("%d roles stored", n)
			}
		})
		t.Run("at the bounds", func(t *testing.T) {
			a := a.with(t)
			a.ok(a.platform, `query($o: ID!, $t: [String!]) { events(organizationID: $o, types: $t, first: 1) { edges { cursor } } }`,
				map[string]any{"o": orgID, "t": types(DefaultMaxListValues)}, nil)
			a.ok(a.platform, `query($o: ID!, $e: String) { user(organizationID: $o, email: $e) { id } }`,
				map[string]any{"o": orgID, "e": strings.Repeat("é", DefaultMaxStringBytes/2)}, nil)
			a.ok(a.platform, `query($q: String) { users(where: {query: $q}) { totalCount } }`,
				map[string]any{"q": "a\u0001b\tc"}, nil)
		})
	})
}
