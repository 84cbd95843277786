package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2"

	"github.com/acme/directory/graph/generated"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{Introspection: true})
		cases := []struct {
			name, query string
			vars        map[string]any
			code, field string // code "" means the query must succeed
		}{
			{"page of the maximum size", `{ users(first: 100) { edges { node { id } } } }`, nil, "", ""},
			{"page too large", `{ users(first: 101) { edges { node { id } } } }`, nil, "BAD_USER_INPUT", "first"},
			{"page too large through a variable", `query($n: Int) { users(last: $n) { edges { node { id } } } }`,
				map[string]any{"n": 500}, "BAD_USER_INPUT", "last"},
			{"negative page", `{ users(first: -1) { edges { node { id } } } }`, nil, "BAD_USER_INPUT", "first"},
			{"first and last", `{ users(first: 1, last: 1) { edges { node { id } } } }`, nil, "BAD_USER_INPUT", "last"},
			{"edges without a page size", `{ users { edges { node { id } } } }`, nil, "BAD_USER_INPUT", "first"},
			{"nested edges without a page size", `{ users(first: 5) { edges { node { groups { edges { node { id } } } } } } }`,
				nil, "BAD_USER_INPUT", "first"},
			{"edges in a fragment without a page size", `{ groups { ...G } } fragment G on GroupConnection { edges { cursor } }`,
				nil, "BAD_USER_INPUT", "first"},
			{"count without a page size", `{ users { totalCount } groups { totalCount } }`, nil, "", ""},
			{"too deep", `{ organizations(first: 1) { edges { node { directories(first: 1) { edges { node {
				users(first: 1) { edges { node { groups(first: 1) { edges { node { displayName } } } } } } } } } } } } }`,
				nil, "DEPTH_LIMIT_EXCEEDED", ""},
			{"too deep through fragments", `{ organizations(first: 1) { ...O } }
				fragment O on OrganizationConnection { edges { node { directories(first: 1) { ...D } } } }
				fragment D on DirectoryConnection { edges { node { users(first: 1) { ...U } } } }
				fragment U on UserConnection { edges { node { groups(first: 1) { edges { node { id } } } } } }`,
				nil, "DEPTH_LIMIT_EXCEEDED", ""},
			{"too complex", `{ users(first: 100) { edges { node { groups(first: 100) { edges { node {
				members(first: 100) { edges { node { id } } } } } } } } } }`, nil, "COMPLEXITY_LIMIT_EXCEEDED", ""},
			{"too many node ids", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
				map[string]any{"ids": manyIDs(101)}, "BAD_USER_INPUT", "ids"},
			{"introspection is on", `{ __schema { queryType { name } } }`, nil, "", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a := a.with(t)
				if c.code == "" {
					a.ok(a.platform, c.query, c.vars, nil)
					return
				}
				a.fails(a.platform, c.query, c.vars, c.code, c.field)
			})
		}
	})
}

// TestDepthIgnoresIntrospection runs GraphiQL's kind of schema query,
// which nests __Type.ofType deeper than the depth limit.
func TestDepthIgnoresIntrospection(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite").Client, "sqlite3", Config{Introspection: true, MaxDepth: 3})
	var data struct {
		Type struct{ Fields []struct{ Name string } } `json:"__type"`
	}
	a.ok(a.platform, `{ __type(name: "DirectoryToken") { fields { name type { ofType { ofType { ofType { name } } } } } } }`, nil, &data)
	var names []string
	for _, f := range data.Type.Fields {
		names = append(names, f.Name)
	}
	if len(names) == 0 || strings.Contains(strings.ToLower(strings.Join(names, " ")), "hash") {
		t.Fatalf("DirectoryToken fields = %v; want some, and no hash", names)
	}
}

func TestIntrospectionOff(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite").Client, "sqlite3", Config{Introspection: false})
	a.fails(a.platform, `{ __schema { types { name } } }`, nil, "INTROSPECTION_DISABLED", "")
	a.fails(a.platform, `{ ...Q } fragment Q on Query { __type(name: "User") { name } }`, nil, "INTROSPECTION_DISABLED", "")
	a.ok(a.platform, `{ users { __typename totalCount } }`, nil, nil)
}

// TestGraphQLGet: a GraphQL GET runs the query, authenticated. (A browser
// opening /graphql gets the portal's explorer: cmd/directory's routes.)
func TestGraphQLGet(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite").Client, "sqlite3", Config{Introspection: true})
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"?query="+strings.ReplaceAll("{ users { totalCount } }", " ", "%20"), nil)
	req.Header.Set("Authorization", "Bearer "+a.platform)
	r := a.send(req)
	var data struct{ Users struct{ TotalCount int } }
	if r.status != http.StatusOK || json.Unmarshal(r.Data, &data) != nil {
		t.Fatalf("GraphQL GET: %s", r.raw)
	}
}

// manyIDs returns n fresh ids.
func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	return ids
}

// TestComplexityKeepsGqlgenCosts: the memoised calculator prices ordinary
// operations exactly as gqlgen's own (which re-walks every spread), so the
// complexity limit means what it meant; it only adds introspection fields,
// which gqlgen leaves out, and, of fragments on different object types
// (an object is of one), counts the dearest where gqlgen adds them all
// (less: what the others cost).
func TestComplexityKeepsGqlgenCosts(t *testing.T) {
	es := pagedSchema{generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}})}
	cases := []struct {
		query string
		vars  map[string]any
		less  int
	}{
		{`{ users { totalCount } }`, nil, 0},
		{`{ users(first: 100) { edges { node { id userName groups(first: 10) { edges { node { displayName } } } } } } }`, nil, 0},
		{`query($n: Int) { groups(last: $n) { edges { cursor node { members(first: 5) { totalCount } } } } }`, map[string]any{"n": 40}, 0},
		{`{ users(first: 3) { ...U } groups(first: 2) { ...G } }
		  fragment U on UserConnection { edges { node { ...N } } }
		  fragment G on GroupConnection { edges { node { id members(first: 4) { ...U } } } }
		  fragment N on User { id displayName }`, nil, 0},
		{query: `query($id: ID!) { node(id: $id) { id ... on User { userName groups(first: 7) { totalCount } } ... on Group { displayName } } }`,
			vars: map[string]any{"id": "x"}, less: 1},
		{query: `query($id: ID!) { node(id: $id) { id ...G ... on User { userName } ... on Group { id } } }
		  fragment G on Group { displayName members(first: 3) { totalCount } }`, vars: map[string]any{"id": "x"}, less: 1},
		{`{ a: users { totalCount } b: users(first: 2) { pageInfo { hasNextPage } } __typename }`, nil, 0},
	}
	for _, c := range cases {
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), c.query, nil)
		if errs != nil {
			t.Fatalf("%s: %v", c.query, errs)
		}
		op := doc.Operations[0]
		want := complexity.Calculate(context.Background(), es, op, c.vars) - c.less
		w := shapeWalker{ctx: context.Background(), es: es, schema: es.Schema(), vars: c.vars, maxNames: 50, memo: map[string]*shape{}}
		if got := w.set(op.SelectionSet).cost; got != want || want < 2 {
			t.Errorf("complexity %d; gqlgen's %d\n%s", got, want, c.query)
		}
	}
}
