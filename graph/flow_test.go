package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

const (
	createOrgMutation = `mutation($name: String!) {
		createOrganization(input: {name: $name}) { id name slug }
	}`
	createDirectoryMutation = `mutation($org: ID!) {
		createDirectory(input: {organizationID: $org, provider: JUMPCLOUD}) {
			directory { id name provider status enabled }
			scimEndpoint
			bearerToken
		}
	}`
	createRoleMutation = `mutation($org: ID!, $key: String!) {
		createRole(input: {organizationID: $org, key: $key, name: $key}) { id key }
	}`
	createKeyMutation = `mutation($scope: APIKeyScope!, $org: ID) {
		createAPIKey(scope: $scope, organizationID: $org) { key apiKey { id scope prefix organizationID } }
	}`
	usersQuery = `{
		users(first: 50, orderBy: {field: USER_NAME}) {
			totalCount
			edges { node {
				id userName primaryEmail active
				groups(first: 10) { edges { node { displayName } } }
				roles { key }
			} }
		}
	}`
)

// userView is a user as usersQuery returns it.
type userView struct {
	ID           string `json:"id"`
	UserName     string `json:"userName"`
	PrimaryEmail string `json:"primaryEmail"`
	Active       bool   `json:"active"`
	Groups       struct {
		Edges []struct {
			Node struct {
				DisplayName string `json:"displayName"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"groups"`
	Roles []struct {
		Key string `json:"key"`
	} `json:"roles"`
}

func (u userView) groupNames() []string {
	var out []string
	for _, e := range u.Groups.Edges {
		out = append(out, e.Node.DisplayName)
	}
	return sorted(out)
}

func (u userView) roleKeys() []string {
	var out []string
	for _, r := range u.Roles {
		out = append(out, r.Key)
	}
	return out
}

type usersData struct {
	Users struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Node userView `json:"node"`
		} `json:"edges"`
	} `json:"users"`
}

// flow is the state the admin flow builds up.
type flow struct {
	*api
	acme, globex string // organization ids
	dirID        string
	roles        map[string]string // key -> id
	seed         seeded
	readKey      string // org_read of acme
	otherKey     string // org_read of globex
	otherAdmin   string // org_admin of globex
}

// TestAdminFlow is issue 4's scenario: a platform key sets up an
// organization with a JumpCloud directory and roles, the provider's users
// and groups arrive (seeded with ent here), groups are mapped to roles, and
// each key then sees exactly what its scope allows.
func TestAdminFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setUpFlow(t, s)
		t.Run("read key sees users with groups and effective roles", f.readUsers)
		t.Run("read key sees the directory", f.readDirectory)
		t.Run("pages follow cursors", f.pages)
		t.Run("other organization sees nothing", f.otherOrganization)
		t.Run("read key cannot mutate", f.readOnly)
		t.Run("authentication", f.authentication)
		t.Run("bad input names the field", f.badInput)
		t.Run("org admin stays in its organization", f.orgAdmin)
		t.Run("mutations of one operation see each other", f.sequential)
		t.Run("unmapping moves roles", f.unmap)
	})
}

func setUpFlow(t *testing.T, s *store.Store) *flow {
	f := &flow{api: newAPI(t, s.Client, s.Dialect, Config{Introspection: true}), roles: map[string]string{}}
	var org struct{ CreateOrganization struct{ ID, Slug string } }
	f.ok(f.platform, createOrgMutation, map[string]any{"name": "Acme, Inc."}, &org)
	if org.CreateOrganization.Slug != "acme-inc" {
		t.Fatalf("slug = %q; want acme-inc", org.CreateOrganization.Slug)
	}
	f.acme = org.CreateOrganization.ID
	f.ok(f.platform, createOrgMutation, map[string]any{"name": "Globex"}, &org)
	f.globex = org.CreateOrganization.ID

	var dir struct {
		CreateDirectory struct {
			Directory struct {
				ID, Name, Provider, Status string
				Enabled                    bool
			}
			ScimEndpoint, BearerToken string
		}
	}
	f.ok(f.platform, createDirectoryMutation, map[string]any{"org": f.acme}, &dir)
	d := dir.CreateDirectory
	f.dirID = d.Directory.ID
	if want := testPublicURL + "/scim/v2/" + f.dirID; d.ScimEndpoint != want {
		t.Fatalf("scimEndpoint = %q; want %q", d.ScimEndpoint, want)
	}
	if !strings.HasPrefix(d.BearerToken, "scim_") || d.Directory.Provider != "JUMPCLOUD" ||
		d.Directory.Name != "JumpCloud" || d.Directory.Status != "PENDING" || !d.Directory.Enabled {
		t.Fatalf("created directory = %+v", d)
	}

	for _, key := range []string{"admin", "member", "viewer"} {
		var role struct{ CreateRole struct{ ID, Key string } }
		f.ok(f.platform, createRoleMutation, map[string]any{"org": f.acme, "key": key}, &role)
		f.roles[key] = role.CreateRole.ID
	}

	ctx := access.PlatformContext(context.Background())
	dirEnt := s.Client.Directory.GetX(ctx, uuidOf(t, f.dirID))
	f.seed = seedDirectory(t, s.Client, dirEnt,
		[]string{"ada@acme.test", "bob@acme.test", "cy@acme.test", "dee@acme.test"},
		map[string][]string{
			"Admins":      {"ada@acme.test"},
			"Engineers":   {"ada@acme.test", "bob@acme.test"},
			"Contractors": {"cy@acme.test"},
		})

	s.Client.User.UpdateOne(f.seed.users["ada@acme.test"]).
		SetGivenName("Ada").SetFamilyName("Lovelace").SetTitle("Countess").
		SetEmails([]schematype.MultiValue{{Value: "ada@acme.test", Type: "work", Primary: true}}).
		SetPhoneNumbers([]schematype.MultiValue{{Value: "+44 20 0000", Type: "mobile"}}).
		SetAddresses([]schematype.Address{{Locality: "London", Country: "GB", Type: "home"}}).
		SetEmployeeNumber("1815").SetDepartment("Analytics").SetManagerID("babbage").
		ExecX(domain.Seeding(ctx)) // a fixture, written directly

	f.ok(f.platform, `mutation($g: ID!, $r: [ID!]!) { setGroupRoles(groupID: $g, roleIDs: $r) { id roles { key } } }`,
		map[string]any{"g": f.seed.groups["Admins"].ID, "r": []string{f.roles["admin"], f.roles["member"]}}, nil)
	f.ok(f.platform, `mutation($g: ID!, $r: ID!) { assignRoleToGroup(groupID: $g, roleID: $r) { id } }`,
		map[string]any{"g": f.seed.groups["Engineers"].ID, "r": f.roles["member"]}, nil)
	var def struct {
		SetDefaultRole struct{ DefaultRole struct{ Key string } }
	}
	f.ok(f.platform, `mutation($o: ID!, $r: ID) { setDefaultRole(organizationID: $o, roleID: $r) { defaultRole { key } } }`,
		map[string]any{"o": f.acme, "r": f.roles["viewer"]}, &def)
	if def.SetDefaultRole.DefaultRole.Key != "viewer" {
		t.Fatalf("default role = %+v; want viewer", def)
	}

	f.readKey = f.createKey(access.OrgRead, f.acme)
	f.otherKey = f.createKey(access.OrgRead, f.globex)
	f.otherAdmin = f.createKey(access.OrgAdmin, f.globex)
	return f
}

// createKey creates an organization key through the API.
func (f *flow) createKey(scope access.Scope, org string) string {
	f.t.Helper()
	var k struct {
		CreateAPIKey struct {
			Key    string
			APIKey struct{ Scope, Prefix, OrganizationID string }
		}
	}
	// The stored, lower-case scope is the deprecated spelling: still read,
	// answered in upper case.
	f.ok(f.platform, createKeyMutation, map[string]any{"scope": string(scope), "org": org}, &k)
	got := k.CreateAPIKey
	if !strings.HasPrefix(got.Key, got.APIKey.Prefix) || got.APIKey.Scope != scope.GQL() || got.APIKey.OrganizationID != org {
		f.t.Fatalf("created key = %+v", got)
	}
	return got.Key
}

func (f *flow) readUsers(t *testing.T) {
	var data usersData
	f.ok(f.readKey, usersQuery, nil, &data)
	want := map[string]struct{ groups, roles []string }{
		"ada@acme.test": {[]string{"Admins", "Engineers"}, []string{"admin", "member"}},
		"bob@acme.test": {[]string{"Engineers"}, []string{"member"}},
		"cy@acme.test":  {[]string{"Contractors"}, []string{"viewer"}}, // unmapped group: default
		"dee@acme.test": {nil, []string{"viewer"}},                     // no group: default
	}
	if data.Users.TotalCount != len(want) || len(data.Users.Edges) != len(want) {
		t.Fatalf("users: totalCount %d, %d edges; want %d", data.Users.TotalCount, len(data.Users.Edges), len(want))
	}
	for _, e := range data.Users.Edges {
		u := e.Node
		w, ok := want[u.UserName]
		if !ok {
			t.Fatalf("unexpected user %q", u.UserName)
		}
		if got := u.groupNames(); !slices.Equal(got, w.groups) {
			t.Errorf("%s groups = %v; want %v", u.UserName, got, w.groups)
		}
		if got := u.roleKeys(); !slices.Equal(got, w.roles) {
			t.Errorf("%s roles = %v; want %v", u.UserName, got, w.roles)
		}
		if u.PrimaryEmail != u.UserName || !u.Active {
			t.Errorf("%s: primaryEmail %q active %v", u.UserName, u.PrimaryEmail, u.Active)
		}
	}

	var node struct {
		Node struct {
			UserName string
			Roles    []struct{ Key string }
		}
	}
	f.ok(f.readKey, `query($id: ID!) { node(id: $id) { ... on User { userName roles { key } } } }`,
		map[string]any{"id": f.seed.users["bob@acme.test"].ID}, &node)
	if node.Node.UserName != "bob@acme.test" || len(node.Node.Roles) != 1 || node.Node.Roles[0].Key != "member" {
		t.Fatalf("node(bob) = %+v", node.Node)
	}

	var ada struct{ Node map[string]any }
	f.ok(f.readKey, `query($id: ID!) { node(id: $id) { ... on User {
		givenName familyName title employeeNumber department managerID
		emails { value type primary } phoneNumbers { value type primary }
		addresses { locality country type primary } } } }`,
		map[string]any{"id": f.seed.users["ada@acme.test"].ID}, &ada)
	got, _ := json.Marshal(ada.Node)
	wantAda := `{"addresses":[{"country":"GB","locality":"London","primary":false,"type":"home"}],` +
		`"department":"Analytics","emails":[{"primary":true,"type":"work","value":"ada@acme.test"}],` +
		`"employeeNumber":"1815","familyName":"Lovelace","givenName":"Ada","managerID":"babbage",` +
		`"phoneNumbers":[{"primary":false,"type":"mobile","value":"+44 20 0000"}],"title":"Countess"}`
	if string(got) != wantAda {
		t.Fatalf("ada's attributes =\n%s\nwant\n%s", got, wantAda)
	}

	var groups struct {
		Groups struct {
			Edges []struct {
				Node struct {
					DisplayName string
					Members     struct{ TotalCount int }
					Roles       []struct{ Key string }
				}
			}
		}
	}
	f.ok(f.readKey, `{ groups(first: 10, orderBy: {field: DISPLAY_NAME}) { edges { node {
		displayName members { totalCount } roles { key } } } } }`, nil, &groups)
	byGroup := map[string]string{}
	for _, e := range groups.Groups.Edges {
		var keys []string
		for _, r := range e.Node.Roles {
			keys = append(keys, r.Key)
		}
		byGroup[e.Node.DisplayName] = fmt.Sprintf("%s/%d", strings.Join(sorted(keys), ","), e.Node.Members.TotalCount)
	}
	wantGroups := map[string]string{"Admins": "admin,member/1", "Engineers": "member/2", "Contractors": "/1"}
	if !maps.Equal(byGroup, wantGroups) {
		t.Fatalf("groups (roles/members) = %v; want %v", byGroup, wantGroups)
	}

	var role struct {
		Node struct {
			Groups []struct{ DisplayName string }
		}
	}
	f.ok(f.readKey, `query($id: ID!) { node(id: $id) { ... on Role { groups { displayName } } } }`,
		map[string]any{"id": f.roles["member"]}, &role)
	if len(role.Node.Groups) != 2 {
		t.Fatalf("groups of role member = %+v; want Admins and Engineers", role.Node.Groups)
	}
}

func (f *flow) pages(t *testing.T) {
	const q = `query($after: Cursor) { users(first: 3, after: $after, orderBy: {field: USER_NAME, direction: DESC}) {
		totalCount pageInfo { hasNextPage endCursor } edges { node { userName } } } }`
	type page struct {
		Users struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct{ Node struct{ UserName string } }
		}
	}
	var names []string
	var after any
	for range 3 {
		var p page
		f.ok(f.readKey, q, map[string]any{"after": after}, &p)
		for _, e := range p.Users.Edges {
			names = append(names, e.Node.UserName)
		}
		if !p.Users.PageInfo.HasNextPage {
			break
		}
		after = p.Users.PageInfo.EndCursor
	}
	want := []string{"dee@acme.test", "cy@acme.test", "bob@acme.test", "ada@acme.test"}
	if !slices.Equal(names, want) {
		t.Fatalf("users page by page = %v; want %v", names, want)
	}
}

func (f *flow) readDirectory(t *testing.T) {
	var data struct {
		Directories struct {
			Edges []struct {
				Node struct {
					ID, Provider, Status, ScimEndpoint string
					UserCount, GroupCount              int
					LastSyncedAt                       *string
					Tokens                             []map[string]any
				}
			}
		}
	}
	f.ok(f.readKey, `{ directories(first: 10) { edges { node {
		id provider status scimEndpoint userCount groupCount lastSyncedAt
		tokens { id prefix createdAt expiresAt lastUsedAt } } } } }`, nil, &data)
	if len(data.Directories.Edges) != 1 {
		t.Fatalf("directories = %+v; want the one of acme", data)
	}
	d := data.Directories.Edges[0].Node
	if d.ID != f.dirID || d.UserCount != 4 || d.GroupCount != 3 || d.Status != "PENDING" ||
		d.ScimEndpoint != testPublicURL+"/scim/v2/"+f.dirID || len(d.Tokens) != 1 {
		t.Fatalf("directory = %+v", d)
	}
	if p, _ := d.Tokens[0]["prefix"].(string); !strings.HasPrefix(p, "scim_") {
		t.Fatalf("token prefix = %v", d.Tokens[0]["prefix"])
	}
}

func (f *flow) otherOrganization(t *testing.T) {
	ids := []any{f.seed.users["ada@acme.test"].ID, f.seed.groups["Admins"].ID, f.roles["admin"], f.dirID, f.acme}
	for _, id := range ids {
		f.fails(f.otherKey, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, "NOT_FOUND", "")
	}
	r := f.do(f.otherKey, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
	var nodes struct{ Nodes []any }
	if err := json.Unmarshal(r.Data, &nodes); err != nil || len(nodes.Nodes) != len(ids) || len(r.Errors) != len(ids) {
		t.Fatalf("nodes(acme's ids) as globex = %s", r.raw)
	}
	for i, n := range nodes.Nodes {
		if n != nil || r.Errors[i].Extensions.Code != "NOT_FOUND" {
			t.Fatalf("nodes[%d] = %v, error %+v; want null and NOT_FOUND", i, n, r.Errors[i])
		}
	}
	var conns struct {
		Users, Groups, Roles, Directories struct{ TotalCount int }
		Organizations                     struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	f.ok(f.otherKey, `{ users { totalCount } groups { totalCount } roles { totalCount }
		directories { totalCount } organizations(first: 10) { edges { node { id } } } }`, nil, &conns)
	if conns.Users.TotalCount+conns.Groups.TotalCount+conns.Roles.TotalCount+conns.Directories.TotalCount != 0 ||
		len(conns.Organizations.Edges) != 1 || conns.Organizations.Edges[0].Node.ID != f.globex {
		t.Fatalf("globex's view = %+v; want only itself", conns)
	}
}

func (f *flow) readOnly(t *testing.T) {
	mutations := []struct {
		query string
		vars  map[string]any
	}{
		{createRoleMutation, map[string]any{"org": f.acme, "key": "sneaky"}},
		{`mutation($id: ID!) { disableDirectory(id: $id) { id } }`, map[string]any{"id": f.dirID}},
		{`mutation($g: ID!) { setGroupRoles(groupID: $g, roleIDs: []) { id } }`, map[string]any{"g": f.seed.groups["Admins"].ID}},
		{createKeyMutation, map[string]any{"scope": "ORG_ADMIN", "org": f.acme}},
	}
	for _, m := range mutations {
		f.fails(f.readKey, m.query, m.vars, "FORBIDDEN", "")
	}
	f.fails(f.readKey, `{ apiKeys { id } }`, nil, "FORBIDDEN", "")
	var dirs struct {
		Directories struct {
			Edges []struct{ Node struct{ Enabled bool } }
		}
	}
	f.ok(f.platform, `{ directories(first: 10) { edges { node { enabled } } } }`, nil, &dirs)
	if !dirs.Directories.Edges[0].Node.Enabled {
		t.Fatalf("a read-only key disabled the directory")
	}
}

func (f *flow) authentication(t *testing.T) {
	for _, key := range []string{"", "dk_nope", "dk_" + strings.Repeat("A", 43), "scim_" + strings.Repeat("A", 43)} {
		r := f.fails(key, `{ users { totalCount } }`, nil, "UNAUTHENTICATED", "")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("key %q: status %d; want 401", key, r.status)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL, strings.NewReader(`{"query":"{ users { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic "+f.platform)
	if r := f.send(req); r.status != http.StatusUnauthorized {
		t.Fatalf("Basic scheme: status %d; want 401", r.status)
	}
}

func (f *flow) badInput(t *testing.T) {
	cases := []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"malformed id", `{ node(id: "not-a-uuid") { id } }`, nil, "BAD_USER_INPUT", "id"},
		{"malformed id in input", `mutation { createRole(input: {organizationID: "x", key: "k", name: "K"}) { id } }`, nil,
			"BAD_USER_INPUT", "input.organizationID"},
		{"garbled cursor", `{ users(first: 2, after: "garbage") { edges { cursor } } }`, nil, "BAD_USER_INPUT", "after"},
		{"empty organization name", createOrgMutation, map[string]any{"name": " "}, "BAD_USER_INPUT", "input.name"},
		{"bad slug", `mutation { createOrganization(input: {name: "X", slug: "Not A Slug"}) { id } }`, nil,
			"BAD_USER_INPUT", "input.slug"},
		{"bad role key", createRoleMutation, map[string]any{"org": f.acme, "key": "Bad Key!"}, "BAD_USER_INPUT", "input.key"},
		{"taken role key", createRoleMutation, map[string]any{"org": f.acme, "key": "admin"}, "CONFLICT", "input.key"},
		{"taken slug", `mutation { createOrganization(input: {name: "Acme, Inc."}) { id } }`, nil, "CONFLICT", "input.slug"},
		{"unknown organization", createDirectoryMutation, map[string]any{"org": "00000000-0000-7000-8000-000000000000"},
			"NOT_FOUND", "input.organizationID"},
		{"platform key with an organization", createKeyMutation, map[string]any{"scope": "PLATFORM", "org": f.acme},
			"BAD_USER_INPUT", "organizationID"},
		{"organization key without one", createKeyMutation, map[string]any{"scope": "ORG_READ"},
			"BAD_USER_INPUT", "organizationID"},
		{"role of another organization", `mutation($g: ID!, $r: [ID!]!) { setGroupRoles(groupID: $g, roleIDs: $r) { id } }`,
			map[string]any{"g": f.seed.groups["Admins"].ID, "r": []string{f.roles["admin"], f.otherRole(t)}},
			"BAD_USER_INPUT", "roleIDs[1]"},
		{"token expiring in the past", `mutation($d: ID!) { rotateDirectoryToken(directoryID: $d, expiresAt: "2001-01-01T00:00:00Z") { bearerToken } }`,
			map[string]any{"d": f.dirID}, "BAD_USER_INPUT", "expiresAt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.with(t).fails(f.platform, c.query, c.vars, c.code, c.field)
		})
	}
}

// otherRole creates (once) a role of globex.
func (f *flow) otherRole(t *testing.T) string {
	if id, ok := f.roles["globex:admin"]; ok {
		return id
	}
	var role struct{ CreateRole struct{ ID string } }
	f.ok(f.platform, createRoleMutation, map[string]any{"org": f.globex, "key": "admin"}, &role)
	f.roles["globex:admin"] = role.CreateRole.ID
	return role.CreateRole.ID
}

func (f *flow) orgAdmin(t *testing.T) {
	f.fails(f.otherAdmin, createRoleMutation, map[string]any{"org": f.acme, "key": "intruder"}, "NOT_FOUND", "input.organizationID")
	f.fails(f.otherAdmin, `mutation($id: ID!) { updateRole(id: $id, input: {name: "pwned"}) { id } }`,
		map[string]any{"id": f.roles["admin"]}, "NOT_FOUND", "")
	f.fails(f.otherAdmin, `mutation($id: ID!) { disableDirectory(id: $id) { id } }`, map[string]any{"id": f.dirID}, "NOT_FOUND", "")
	f.fails(f.otherAdmin, `mutation($o: ID!) { setDefaultRole(organizationID: $o, roleID: null) { id } }`,
		map[string]any{"o": f.acme}, "NOT_FOUND", "")
	f.fails(f.otherAdmin, `mutation { createOrganization(input: {name: "Mine"}) { id } }`, nil, "FORBIDDEN", "")
	f.fails(f.otherAdmin, createKeyMutation, map[string]any{"scope": "PLATFORM"}, "FORBIDDEN", "")

	var role struct{ CreateRole struct{ Key string } }
	f.ok(f.otherAdmin, createRoleMutation, map[string]any{"org": f.globex, "key": "editor"}, &role)
	var keys struct {
		APIKeys []struct{ OrganizationID *string }
	}
	f.ok(f.otherAdmin, `{ apiKeys { organizationID } }`, nil, &keys)
	for _, k := range keys.APIKeys {
		if k.OrganizationID == nil || *k.OrganizationID != f.globex {
			t.Fatalf("globex's admin lists a key of %v", k.OrganizationID)
		}
	}
	var name struct{ Node struct{ Name string } }
	f.ok(f.platform, `query($id: ID!) { node(id: $id) { ... on Role { name } } }`, map[string]any{"id": f.roles["admin"]}, &name)
	if name.Node.Name != "admin" {
		t.Fatalf("acme's role renamed to %q by another organization's admin", name.Node.Name)
	}
}

// sequential maps Engineers to admin, then back to member, in one
// operation: each payload shows the roles as of its own mutation.
func (f *flow) sequential(t *testing.T) {
	var data map[string]struct {
		Members struct {
			Edges []struct{ Node userView }
		}
	}
	f.ok(f.platform, `mutation($g: ID!, $admin: ID!, $member: ID!) {
		first: setGroupRoles(groupID: $g, roleIDs: [$admin]) { ...Members }
		second: setGroupRoles(groupID: $g, roleIDs: [$member]) { ...Members }
	}
	fragment Members on Group {
		members(first: 10, where: {userName: "bob@acme.test"}) { edges { node { userName roles { key } } } }
	}`, map[string]any{"g": f.seed.groups["Engineers"].ID, "admin": f.roles["admin"], "member": f.roles["member"]}, &data)
	for alias, want := range map[string]string{"first": "admin", "second": "member"} {
		edges := data[alias].Members.Edges
		if len(edges) != 1 || !slices.Equal(edges[0].Node.roleKeys(), []string{want}) {
			t.Errorf("%s: bob = %+v; want roles [%s]", alias, edges, want)
		}
	}
}

// unmap removes the roles of Admins: ada keeps member through Engineers;
// emptying Engineers' roles sends bob to the default role.
func (f *flow) unmap(t *testing.T) {
	f.ok(f.platform, `mutation($g: ID!, $r: ID!) { unassignRoleFromGroup(groupID: $g, roleID: $r) { id } }`,
		map[string]any{"g": f.seed.groups["Admins"].ID, "r": f.roles["admin"]}, nil)
	var g struct {
		SetGroupRoles struct{ Roles []struct{ Key string } }
	}
	f.ok(f.platform, `mutation($g: ID!) { setGroupRoles(groupID: $g, roleIDs: []) { roles { key } } }`,
		map[string]any{"g": f.seed.groups["Engineers"].ID}, &g)
	if len(g.SetGroupRoles.Roles) != 0 {
		t.Fatalf("Engineers' roles after setGroupRoles([]) = %+v", g.SetGroupRoles.Roles)
	}
	var data usersData
	f.ok(f.readKey, usersQuery, nil, &data)
	want := map[string][]string{"ada@acme.test": {"member"}, "bob@acme.test": {"viewer"}}
	for _, e := range data.Users.Edges {
		if w, ok := want[e.Node.UserName]; ok && !slices.Equal(e.Node.roleKeys(), w) {
			t.Errorf("%s roles = %v; want %v", e.Node.UserName, e.Node.roleKeys(), w)
		}
	}
}

// uuidOf parses an id the API returned.
func uuidOf(t testing.TB, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}
