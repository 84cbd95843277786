package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestAdminFlow is DESIGN.md's flow end to end, through both protocols of
// the real server: an admin sets up an organization and a JumpCloud
// directory over GraphQL, JumpCloud provisions over SCIM with the returned
// token, the admin maps groups to roles, and the organization's read-only
// key sees each user's groups and effective roles; another organization's
// key sees none of it.
func TestAdminFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := httptest.NewServer(routes(st, &config{publicURL: "http://directory.test"}, nil, nil))
		t.Cleanup(srv.Close)
		issued, err := domain.New(st.Client, st.Dialect).CreateAPIKey(access.PlatformContext(context.Background()),
			domain.NewAPIKey{Scope: access.Platform, Name: "test"})
		if err != nil {
			t.Fatal(err)
		}
		platform := &gqlClient{t: t, url: srv.URL + "/graphql", key: issued.Key}

		org := platform.must(`mutation { createOrganization(input: {name: "Acme"}) { id } }`, nil)["createOrganization"].(map[string]any)["id"].(string)
		dir := platform.must(`mutation($org: ID!) { createDirectory(input: {organizationID: $org, provider: JUMPCLOUD}) {
			directory { id } scimEndpoint bearerToken } }`, map[string]any{"org": org})["createDirectory"].(map[string]any)
		endpoint, token := dir["scimEndpoint"].(string), dir["bearerToken"].(string)
		if !strings.HasPrefix(endpoint, "http://directory.test/scim/v2/") || !strings.HasPrefix(token, "scim_") {
			t.Fatalf("createDirectory returned endpoint %q token %q", endpoint, token)
		}

		// JumpCloud provisions through the endpoint (rebased on the test server).
		jc := &scimClient{t: t, base: srv.URL + strings.TrimPrefix(endpoint, "http://directory.test"), token: token}
		ada := jc.post("/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.test","name":{"givenName":"Ada","familyName":"Lovelace"}}`)
		bob := jc.post("/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@acme.test"}`)
		cat := jc.post("/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cat@acme.test"}`)
		admins := jc.post("/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"YourApp Admins","members":[{"value":%q}]}`, ada))
		users := jc.post("/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"YourApp Users","members":[{"value":%q},{"value":%q}]}`, ada, bob))

		role := func(key string) string {
			return platform.must(`mutation($org: ID!, $key: String!) { createRole(input: {organizationID: $org, key: $key, name: $key}) { id } }`,
				map[string]any{"org": org, "key": key})["createRole"].(map[string]any)["id"].(string)
		}
		adminRole, memberRole, viewerRole := role("admin"), role("member"), role("viewer")
		platform.must(`mutation($g: ID!, $r: [ID!]!) { setGroupRoles(groupID: $g, roleIDs: $r) { id } }`, map[string]any{"g": admins, "r": []string{adminRole}})
		platform.must(`mutation($g: ID!, $r: ID!) { assignRoleToGroup(groupID: $g, roleID: $r) { id } }`, map[string]any{"g": users, "r": memberRole})
		platform.must(`mutation($o: ID!, $r: ID) { setDefaultRole(organizationID: $o, roleID: $r) { id } }`, map[string]any{"o": org, "r": viewerRole})

		readKey := platform.must(`mutation($o: ID) { createAPIKey(scope: ORG_READ, organizationID: $o) { key } }`,
			map[string]any{"o": org})["createAPIKey"].(map[string]any)["key"].(string)
		reader := &gqlClient{t: t, url: srv.URL + "/graphql", key: readKey}
		want := map[string]string{
			"ada@acme.test": "groups=YourApp Admins,YourApp Users roles=admin,member",
			"bob@acme.test": "groups=YourApp Users roles=member",
			"cat@acme.test": "groups= roles=viewer",
		}
		if got := userRoles(reader); !equalMaps(got, want) {
			t.Fatalf("the read key sees\n%v\nwant\n%v", got, want)
		}
		if errs := reader.errors(`mutation { createOrganization(input: {name: "X"}) { id } }`, nil); errs != "FORBIDDEN" {
			t.Fatalf("read key mutation: %s; want FORBIDDEN", errs)
		}

		// JumpCloud disassociates the admins group: members removed, group kept.
		jc.patch("/Groups/"+admins, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"remove","path":"members","value":[{"value":%q}]}]}`, ada))
		want["ada@acme.test"] = "groups=YourApp Users roles=member"
		if got := userRoles(reader); !equalMaps(got, want) {
			t.Fatalf("after disassociation the read key sees\n%v\nwant\n%v", got, want)
		}

		// Another organization's key sees none of it.
		other := platform.must(`mutation { createOrganization(input: {name: "Globex"}) { id } }`, nil)["createOrganization"].(map[string]any)["id"].(string)
		otherKey := platform.must(`mutation($o: ID) { createAPIKey(scope: org_read, # the deprecated spelling still works
			organizationID: $o) { key } }`,
			map[string]any{"o": other})["createAPIKey"].(map[string]any)["key"].(string)
		outsider := &gqlClient{t: t, url: srv.URL + "/graphql", key: otherKey}
		if got := userRoles(outsider); len(got) != 0 {
			t.Fatalf("another organization's key sees users %v", got)
		}
		for _, id := range []string{ada, cat, admins, org, adminRole} {
			data, _ := outsider.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			code := outsider.errors(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			if data["node"] != nil || (code != "" && code != "NOT_FOUND") {
				t.Fatalf("another organization's key reads node %s: %v (error code %q)", id, data["node"], code)
			}
		}
	})
}

// userRoles maps each visible user to its groups and effective roles.
func userRoles(c *gqlClient) map[string]string {
	data := c.must(`{ users(first: 50) { edges { node { userName
		groups(first: 20) { edges { node { displayName } } } roles { key } } } } }`, nil)
	out := map[string]string{}
	for _, e := range data["users"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		var groups, roles []string
		for _, g := range n["groups"].(map[string]any)["edges"].([]any) {
			groups = append(groups, g.(map[string]any)["node"].(map[string]any)["displayName"].(string))
		}
		for _, r := range n["roles"].([]any) {
			roles = append(roles, r.(map[string]any)["key"].(string))
		}
		sort.Strings(groups)
		sort.Strings(roles)
		out[n["userName"].(string)] = "groups=" + strings.Join(groups, ",") + " roles=" + strings.Join(roles, ",")
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// gqlClient posts GraphQL requests with an API key.
type gqlClient struct {
	t        *testing.T
	url, key string
}

func (c *gqlClient) do(query string, vars map[string]any) (map[string]any, []any) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("graphql: %v", err)
	}
	defer res.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		c.t.Fatalf("graphql response (status %d): %v", res.StatusCode, err)
	}
	return out.Data, out.Errors
}

func (c *gqlClient) must(query string, vars map[string]any) map[string]any {
	c.t.Helper()
	data, errs := c.do(query, vars)
	if len(errs) > 0 {
		c.t.Fatalf("graphql errors: %v\nquery: %s", errs, query)
	}
	return data
}

// errors returns the extensions.code of the first error, or "".
func (c *gqlClient) errors(query string, vars map[string]any) string {
	c.t.Helper()
	_, errs := c.do(query, vars)
	if len(errs) == 0 {
		return ""
	}
	ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
	code, _ := ext["code"].(string)
	return code
}

// scimClient is an identity provider with its directory's token.
type scimClient struct {
	t           *testing.T
	base, token string
}

func (c *scimClient) send(method, path, body string, want int) map[string]any {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("scim %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != want {
		c.t.Fatalf("scim %s %s: status %d; want %d: %v", method, path, res.StatusCode, want, out)
	}
	return out
}

func (c *scimClient) post(path, body string) string {
	c.t.Helper()
	return c.send("POST", path, body, http.StatusCreated)["id"].(string)
}

// patch sends a PATCH that asks for nothing back: 204 No Content.
func (c *scimClient) patch(path, body string) {
	c.t.Helper()
	c.send("PATCH", path, body, http.StatusNoContent)
}
