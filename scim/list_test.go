package scim_test

import (
	"net/url"
	"testing"

	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		names := []string{"carol@example.com", "alice@example.com", "bob@example.com"}
		ids := map[string]string{}
		for _, n := range names {
			ids[n] = id(e.must(201, "POST", "/Users", userBody(n, n[:1], "X")))
		}
		e.must(201, "POST", "/Groups", groupBody("Readers", ids["alice@example.com"]))

		userNames := func(r response) []string {
			var out []string
			res, _ := r.body["Resources"].([]any)
			for _, x := range res {
				out = append(out, x.(map[string]any)["userName"].(string))
			}
			return out
		}

		sorted := e.must(200, "GET", "/Users?sortBy=userName&sortOrder=descending", nil)
		if got := userNames(sorted); len(got) != 3 || got[0] != "carol@example.com" || got[2] != "alice@example.com" {
			t.Fatalf("sortBy userName descending = %v", got)
		}
		page := e.must(200, "GET", "/Users?sortBy=userName&startIndex=2&count=1", nil)
		if got := userNames(page); total(page) != 3 || len(got) != 1 || got[0] != "bob@example.com" ||
			page.body["startIndex"] != float64(2) || page.body["itemsPerPage"] != float64(1) {
			t.Fatalf("page 2 of 1: %s", page.raw)
		}
		zero := e.must(200, "GET", "/Users?count=0", nil)
		if res, _ := zero.body["Resources"].([]any); total(zero) != 3 || len(res) != 0 {
			t.Fatalf("count=0: %s; want totalResults 3 and no resources", zero.raw)
		}
		beyond := e.must(200, "GET", "/Users?startIndex=10", nil)
		if res, _ := beyond.body["Resources"].([]any); total(beyond) != 3 || len(res) != 0 {
			t.Fatalf("startIndex past the end: %s", beyond.raw)
		}

		proj := e.must(200, "GET", "/Users?attributes=userName,name.givenName&filter="+url.QueryEscape(`userName sw "alice"`), nil)
		res, _ := proj.body["Resources"].([]any)
		if len(res) != 1 {
			t.Fatalf("projection list: %s", proj.raw)
		}
		doc := res[0].(map[string]any)
		name, _ := doc["name"].(map[string]any)
		if doc["id"] == nil || doc["userName"] == nil || doc["emails"] != nil || doc["groups"] != nil ||
			name["givenName"] == nil || name["familyName"] != nil {
			t.Fatalf("attributes=userName,name.givenName returned %v", doc)
		}
		full := e.must(200, "GET", "/Users/"+ids["alice@example.com"], nil)
		if gs, _ := full.body["groups"].([]any); len(gs) != 1 {
			t.Fatalf("user's groups = %v; want Readers", full.body["groups"])
		}
		excl := e.must(200, "GET", "/Users/"+ids["alice@example.com"]+"?excludedAttributes=emails,groups", nil)
		if excl.body["emails"] != nil || excl.body["groups"] != nil || excl.body["userName"] == nil {
			t.Fatalf("excludedAttributes=emails,groups returned %s", excl.raw)
		}

		search := e.must(200, "POST", "/Users/.search", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"filter":  `emails.value co "@example.com"`, "sortBy": "userName", "count": 2,
		})
		if got := userNames(search); total(search) != 3 || len(got) != 2 || got[0] != "alice@example.com" {
			t.Fatalf("POST /Users/.search: %s", search.raw)
		}
		root := e.must(200, "POST", "/.search", map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"startIndex": 3, "count": 2,
		})
		rootRes, _ := root.body["Resources"].([]any)
		if total(root) != 4 || len(rootRes) != 2 || rootRes[1].(map[string]any)["displayName"] != "Readers" {
			t.Fatalf("root search, page across users and groups: %s", root.raw)
		}
		byName := e.must(200, "POST", "/.search", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"filter":  `userName eq "bob@example.com" or displayName eq "readers"`,
		})
		if total(byName) != 2 {
			t.Fatalf("root search for a user or a group by their own attributes: %s", byName.raw)
		}
		groups := e.must(200, "GET", "/Groups?filter="+url.QueryEscape(`members eq "`+ids["alice@example.com"]+`"`), nil)
		if total(groups) != 1 {
			t.Fatalf("groups with member alice: %s", groups.raw)
		}
	})
}

func TestDiscovery(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	e := newEnv(t, st, "generic")
	cfg := e.must(200, "GET", "/ServiceProviderConfig", nil)
	for _, k := range []string{"patch", "bulk", "filter", "changePassword", "sort", "etag", "authenticationSchemes"} {
		if cfg.body[k] == nil {
			t.Errorf("ServiceProviderConfig lacks %s", k)
		}
	}
	if f, _ := cfg.body["filter"].(map[string]any); f["maxResults"] != float64(1000) {
		t.Errorf("filter.maxResults = %v; want 1000", cfg.body["filter"])
	}
	rts := e.must(200, "GET", "/ResourceTypes", nil)
	if total(rts) != 2 {
		t.Fatalf("ResourceTypes: %s", rts.raw)
	}
	user := e.must(200, "GET", "/ResourceTypes/User", nil)
	if user.body["endpoint"] != "/Users" || user.body["schema"] != "urn:ietf:params:scim:schemas:core:2.0:User" {
		t.Fatalf("ResourceTypes/User: %s", user.raw)
	}
	schemas := e.must(200, "GET", "/Schemas", nil)
	if total(schemas) != 3 {
		t.Fatalf("Schemas: %s", schemas.raw)
	}
	us := e.must(200, "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil)
	attrs, _ := us.body["attributes"].([]any)
	found := false
	for _, a := range attrs {
		m := a.(map[string]any)
		if m["name"] == "userName" {
			found = m["uniqueness"] == "server" && m["caseExact"] == false && m["required"] == true
		}
	}
	if !found {
		t.Fatalf("User schema's userName is not described as required, server-unique and case-insensitive")
	}
	e.must(404, "GET", "/Schemas/urn:nope", nil)
}
