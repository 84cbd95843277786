package graph

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/ent/schema/tableid"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// tenant is one organization's nodes, by GraphQL type name.
type tenant struct {
	org   *ent.Organization
	nodes map[string]uuid.UUID // User, Group, Role, Directory, Organization, DirectoryToken
	old   map[string]uuid.UUID // User, Group: ids made before ids carried their table
}

// seedTenant makes an organization with one node of each type, and a user
// and a group with untagged (version 7) ids.
func seedTenant(t *testing.T, c *ent.Client, dia, name string) tenant {
	t.Helper()
	ctx := access.PlatformContext(context.Background())
	org, err := domain.New(c, dia).CreateOrganization(ctx, domain.NewOrganization{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	nd, err := domain.New(c, dia).CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "okta"})
	if err != nil {
		t.Fatal(err)
	}
	dir := nd.Directory
	toks := dir.QueryTokens().AllX(ctx)
	if len(toks) != 1 {
		t.Fatalf("directory has %d tokens", len(toks))
	}
	tok := toks[0]
	ctx = domain.Seeding(ctx) // fixtures, written directly: old ids no operation makes
	u := c.User.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.ID).SetUserName("u@" + name).SaveX(ctx)
	g := c.Group.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.ID).SetDisplayName("G " + name).SaveX(ctx)
	r := c.Role.Create().SetOrganizationID(org.ID).SetKey("r").SetName("R").SaveX(ctx)
	v7 := func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	ou := c.User.Create().SetID(v7()).SetOrganizationID(org.ID).SetDirectoryID(dir.ID).SetUserName("old@" + name).SaveX(ctx)
	og := c.Group.Create().SetID(v7()).SetOrganizationID(org.ID).SetDirectoryID(dir.ID).SetDisplayName("Old " + name).SaveX(ctx)
	return tenant{
		org: org,
		nodes: map[string]uuid.UUID{
			"User": u.ID, "Group": g.ID, "Role": r.ID, "Directory": dir.ID,
			"Organization": org.ID, "DirectoryToken": tok.ID,
		},
		old: map[string]uuid.UUID{"User": ou.ID, "Group": og.ID},
	}
}

// TestNodeIDsNameTheirTable checks that ent makes every node type's ids
// with the tag of its table, and that every node type has a tag.
func TestNodeIDsNameTheirTable(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	a := seedTenant(t, s.Client, s.Dialect, "Tags")
	tables := map[string]string{
		"User": user.Table, "Group": group.Table, "Role": role.Table, "Directory": directory.Table,
		"Organization": organization.Table, "DirectoryToken": directorytoken.Table,
	}
	tagged := map[string]bool{}
	for _, table := range nodeTags {
		tagged[table] = true
	}
	for _, nt := range nodeTables {
		if !tagged[nt.name] {
			t.Errorf("node table %s has no tag in nodeTags", nt.name)
		}
	}
	for typ, id := range a.nodes {
		tag, ok := tableid.Of(id)
		if !ok {
			t.Errorf("%s id %s carries no table", typ, id)
			continue
		}
		if got := nodeTags[tag]; got != tables[typ] {
			t.Errorf("%s id %s has tag %d, which names table %q; want %q", typ, id, tag, got, tables[typ])
		}
	}
}

// TestNodeInOneStatement checks that node(id:) loads a node in one
// statement, and nodes(ids:) in one per type asked, on both databases;
// that another organization's ids are still not found; and that ids made
// before they carried their table still resolve.
func TestNodeInOneStatement(t *testing.T) {
	const nodeQuery = `query($id: ID!) { node(id: $id) { id __typename } }`
	const nodesQuery = `query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		client, count := countingClient(s)
		a, b := seedTenant(t, client, s.Dialect, "Acme"), seedTenant(t, client, s.Dialect, "Globex")
		api := newAPI(t, client, s.Dialect, Config{})
		key := newOrgKey(t, client, access.OrgAdmin, a.org.ID)

		// Authentication runs statements of its own: measure them on a
		// query that reads nothing, and count only what comes on top.
		api.ok(key, `{ __typename }`, nil, nil) // the key's first use
		count.take()
		api.ok(key, `{ __typename }`, nil, nil)
		auth := len(count.take())
		statements := func(t *testing.T, f func()) []string {
			t.Helper()
			count.take()
			f()
			got := count.take()
			if len(got) < auth {
				t.Fatalf("%d statements, fewer than authentication's %d", len(got), auth)
			}
			return got[auth:]
		}

		for typ, id := range a.nodes {
			t.Run("node "+typ, func(t *testing.T) {
				var data struct {
					Node struct {
						ID       string
						Typename string `json:"__typename"`
					}
				}
				stmts := statements(t, func() { api.with(t).ok(key, nodeQuery, map[string]any{"id": id}, &data) })
				if data.Node.Typename != typ {
					t.Fatalf("node(%s) is a %q; want %s", id, data.Node.Typename, typ)
				}
				if len(stmts) != 1 {
					t.Fatalf("node(%s): %d statements; want 1:\n%s", typ, len(stmts), strings.Join(stmts, "\n"))
				}
			})
			t.Run("node of another organization "+typ, func(t *testing.T) {
				var r result
				stmts := statements(t, func() {
					r = api.with(t).fails(key, nodeQuery, map[string]any{"id": b.nodes[typ]}, "NOT_FOUND", "")
				})
				if pluckNull(t, r.Data, "node") != true {
					t.Fatalf("another organization's %s: data %s", typ, r.Data)
				}
				if len(stmts) != 1 {
					t.Fatalf("another organization's %s: %d statements; want 1", typ, len(stmts))
				}
			})
		}

		t.Run("nodes of a mix", func(t *testing.T) {
			ids := []uuid.UUID{a.nodes["User"], a.nodes["Group"], a.nodes["Role"], a.nodes["Directory"],
				a.nodes["Organization"], a.nodes["User"], a.nodes["Group"]}
			var data struct {
				Nodes []struct {
					ID       string
					Typename string `json:"__typename"`
				}
			}
			stmts := statements(t, func() { api.with(t).ok(key, nodesQuery, map[string]any{"ids": ids}, &data) })
			var got []string
			for _, n := range data.Nodes {
				got = append(got, n.Typename)
			}
			want := []string{"User", "Group", "Role", "Directory", "Organization", "User", "Group"}
			if !slices.Equal(got, want) {
				t.Fatalf("nodes are %v; want %v", got, want)
			}
			if len(stmts) != 5 {
				t.Fatalf("nodes of 5 types: %d statements; want 5:\n%s", len(stmts), strings.Join(stmts, "\n"))
			}
		})

		t.Run("nodes with another organization's", func(t *testing.T) {
			ids := []uuid.UUID{a.nodes["User"], b.nodes["User"], b.nodes["Role"]}
			r := api.with(t).do(key, nodesQuery, map[string]any{"ids": ids})
			var data struct {
				Nodes []*struct{ ID string }
			}
			if err := json.Unmarshal(r.Data, &data); err != nil {
				t.Fatal(err)
			}
			if len(data.Nodes) != 3 || data.Nodes[0] == nil || data.Nodes[1] != nil || data.Nodes[2] != nil {
				t.Fatalf("nodes: %s; want acme's user, then null twice", r.Data)
			}
			if len(r.Errors) != 2 || r.Errors[0].Extensions.Code != "NOT_FOUND" || r.Errors[1].Extensions.Code != "NOT_FOUND" {
				t.Fatalf("errors: %+v; want NOT_FOUND twice", r.Errors)
			}
		})

		t.Run("untagged ids", func(t *testing.T) {
			for typ, id := range a.old {
				var data struct {
					Node struct {
						ID       string
						Typename string `json:"__typename"`
					}
				}
				api.with(t).ok(key, nodeQuery, map[string]any{"id": id}, &data)
				if data.Node.Typename != typ || data.Node.ID != id.String() {
					t.Fatalf("node(%s) = %+v; want the %s", id, data.Node, typ)
				}
				api.with(t).fails(key, nodeQuery, map[string]any{"id": b.old[typ]}, "NOT_FOUND", "")
			}
			var data struct {
				Nodes []struct {
					ID       string
					Typename string `json:"__typename"`
				}
			}
			api.with(t).ok(key, nodesQuery, map[string]any{"ids": []uuid.UUID{a.old["User"], a.nodes["Role"], a.old["Group"]}}, &data)
			if len(data.Nodes) != 3 || data.Nodes[0].Typename != "User" || data.Nodes[1].Typename != "Role" || data.Nodes[2].Typename != "Group" {
				t.Fatalf("nodes of old and new ids: %+v", data.Nodes)
			}
		})

		t.Run("tagged id of no node type", func(t *testing.T) {
			api.with(t).fails(key, nodeQuery, map[string]any{"id": tableid.New(tableid.APIKey)}, "NOT_FOUND", "")
		})
	})
}

// pluckNull reports whether the member k of a JSON object is null.
func pluckNull(t *testing.T, data json.RawMessage, k string) bool {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return string(m[k]) == "null"
}
