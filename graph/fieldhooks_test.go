package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestFieldHooksTable: every field of the served schema has its set of
// hooks, and the set is what each hook acts on: observeResults on fields
// that can answer users, checkCursorOrder on connections paged by cursor
// (not the events'), emptyAsNull on nullable Strings.
func TestFieldHooksTable(t *testing.T) {
	s := servedSchema()
	h := newFieldHooks(s)
	n := 0
	for _, typ := range s.Types {
		for _, def := range typ.Fields {
			n++
			if _, ok := h.sets[def]; !ok {
				t.Errorf("%s.%s: not in the table", typ.Name, def.Name)
			}
		}
	}
	if len(h.sets) != n {
		t.Errorf("table of %d fields; the schema has %d", len(h.sets), n)
	}
	want := map[string]hookSet{
		"Query.users":            hookObserve | hookCursor,
		"Query.node":             hookObserve, // Node: User is one
		"Query.nodes":            hookObserve,
		"Query.groups":           hookCursor,
		"Query.events":           0, // events cursors are the events connection's
		"Group.members":          hookObserve | hookCursor,
		"UserEdge.node":          hookObserve,
		"UserConnection.edges":   0,
		"User.groups":            hookCursor,
		"User.roles":             0,
		"User.id":                0,
		"User.userName":          0, // String!
		"User.displayName":       hookNull,
		"User.title":             hookNull,
		"User.active":            0,
		"Group.displayName":      0,
		"Role.description":       hookNull,
		"Directory.organization": 0,
	}
	for name, set := range want {
		typ, field, _ := strings.Cut(name, ".")
		def := s.Types[typ].Fields.ForName(field)
		if def == nil {
			t.Errorf("%s: no such field", name)
			continue
		}
		if got := h.sets[def]; got != set {
			t.Errorf("%s: hooks %03b; want %03b", name, got, set)
		}
	}
}

// panicking is an ent driver whose queries panic once armed, as a bug
// in a resolver would.
type panicking struct {
	dialect.Driver
	armed atomic.Bool
	match string
}

// Query implements dialect.Driver.
func (p *panicking) Query(ctx context.Context, query string, args, v any) error {
	if p.armed.Load() && strings.Contains(query, p.match) {
		panic(fmt.Sprintf("query %.40s", query))
	}
	return p.Driver.Query(ctx, query, args, v)
}

// TestResolverPanicIsFieldError: a field whose resolver panics (users'
// roles, read through the group mappings) is answered as an internal error
// at its path, null, and the rest of the answer stands: each field is
// resolved in line (graph/gqlgen), not on a goroutine of its own whose
// panic would end the process.
func TestResolverPanicIsFieldError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		drv := &panicking{Driver: entsql.OpenDB(s.Dialect, s.DB), match: "group_roles"}
		client := ent.NewClient(ent.Driver(drv))
		key := seedOrganization(t, client, s.Dialect, 3)
		a := newAPI(t, client, s.Dialect, Config{})
		drv.armed.Store(true)
		var data struct {
			Users struct {
				TotalCount int
				Edges      []struct {
					Node *struct{ UserName string }
				}
			}
		}
		r := a.do(key, `{ users(first: 3, orderBy: {field: USER_NAME}) {
			totalCount edges { node { userName roles { key } } } } }`, nil)
		if r.status != http.StatusOK || len(r.Errors) == 0 {
			t.Fatalf("status %d: %s; want 200 with errors", r.status, r.raw)
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatalf("decode data: %v\n%s", err, r.Data)
		}
		for _, e := range r.Errors {
			if e.Extensions.Code != codeInternal || len(e.Path) != 5 || e.Path[4] != "roles" {
				t.Errorf("error %+v; want %s at users.edges.N.node.roles", e, codeInternal)
			}
		}
		if data.Users.TotalCount != 3 || len(data.Users.Edges) != 3 {
			t.Fatalf("users %+v; want the count and three edges to stand", data.Users)
		}
		for i, e := range data.Users.Edges {
			if e.Node != nil { // roles is non-null: its null reaches the node
				t.Errorf("edge %d: node %+v; want null", i, e.Node)
			}
		}
		// The server goes on answering.
		drv.armed.Store(false)
		a.ok(key, `{ users(first: 1) { edges { node { roles { key } } } } }`, nil, nil)
	})
}
