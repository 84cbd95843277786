package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// The tests in this file replay, request by request, what the providers of
// PROVIDERS.md send, against the real HTTP handler, and check what is
// stored.

func TestJumpCloud(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "jumpcloud")

		// Activation lists users: an empty, valid ListResponse.
		list := e.must(200, "GET", "/Users", nil)
		if total(list) != 0 || list.body["Resources"] == nil {
			t.Fatalf("empty GET /Users = %s; want a ListResponse with totalResults 0 and Resources []", list.raw)
		}

		// Test Connection: create and delete a test user and group.
		tu := e.must(201, "POST", "/Users", userBody("jctest@example.com", "JC", "Test"))
		tg := e.must(201, "POST", "/Groups", groupBody("JC Test Group", id(tu)))
		e.must(204, "DELETE", "/Groups/"+id(tg), nil)
		e.must(204, "DELETE", "/Users/"+id(tu), nil)
		e.must(404, "GET", "/Users/"+id(tu), nil)

		// Look-up before create, then create.
		lookup := e.must(200, "GET", "/Users?filter="+url.QueryEscape(`userName eq "ada@example.com"`), nil)
		if total(lookup) != 0 {
			t.Fatalf("look-up of a new user found %d", total(lookup))
		}
		ada := e.must(201, "POST", "/Users", userBody("ada@example.com", "Ada", "Lovelace"))
		if loc := ada.header.Get("Location"); loc != e.base+"/Users/"+id(ada) {
			t.Errorf("Location = %q", loc)
		}
		if ada.header.Get("ETag") == "" {
			t.Errorf("POST /Users returned no ETag")
		}
		lookup = e.must(200, "GET", "/Users?filter="+url.QueryEscape(`userName eq "ADA@example.com"`), nil)
		if total(lookup) != 1 {
			t.Fatalf("case-insensitive look-up found %d users; want 1", total(lookup))
		}

		// Update: PUT and PATCH both work.
		put := userBody("ada@example.com", "Augusta Ada", "King")
		put["title"] = "Countess"
		e.must(200, "PUT", "/Users/"+id(ada), put)
		if u := e.user(id(ada)); u.GivenName != "Augusta Ada" || u.FamilyName != "King" || u.Title != "Countess" {
			t.Fatalf("after PUT: %q %q %q", u.GivenName, u.FamilyName, u.Title)
		}
		e.must(200, "PATCH", "/Users/"+id(ada), patchBody(op("replace", "name.familyName", "Lovelace")))
		if u := e.user(id(ada)); u.FamilyName != "Lovelace" || u.Title != "Countess" {
			t.Fatalf("after PATCH: family %q title %q", u.FamilyName, u.Title)
		}

		// Deactivate ("change to inactive").
		e.must(200, "PATCH", "/Users/"+id(ada), patchBody(op("replace", "active", false)))
		if e.user(id(ada)).Active {
			t.Fatalf("user still active after replace active=false")
		}

		// Groups: created with members, renamed, members added and removed.
		bob := e.must(201, "POST", "/Users", userBody("bob@example.com", "Bob", "Babbage"))
		cat := e.must(201, "POST", "/Users", userBody("cat@example.com", "Cat", "Hopper"))
		g := e.must(201, "POST", "/Groups", groupBody("YourApp Admins", id(ada), id(bob)))
		if !sameSet(e.memberIDs(id(g)), []string{id(ada), id(bob)}) {
			t.Fatalf("members after create = %v", e.memberIDs(id(g)))
		}
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("replace", "displayName", "YourApp Owners")))
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("add", "members", []any{map[string]any{"value": id(cat)}})))
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("remove", "members", []any{map[string]any{"value": id(bob)}})))
		if !sameSet(e.memberIDs(id(g)), []string{id(ada), id(cat)}) {
			t.Fatalf("members after add cat, remove bob = %v; want ada, cat", e.memberIDs(id(g)))
		}
		got := e.must(200, "GET", "/Groups/"+id(g), nil)
		if got.body["displayName"] != "YourApp Owners" {
			t.Fatalf("displayName after rename = %v", got.body["displayName"])
		}
		if ms, _ := got.body["members"].([]any); len(ms) != 2 {
			t.Fatalf("GET group members = %v; want 2", got.body["members"])
		}

		// A group of the same name is taken over, not duplicated.
		again := e.must(201, "POST", "/Groups", groupBody("yourapp owners", id(bob)))
		if id(again) != id(g) {
			t.Fatalf("POST of an existing group name made a new group %s", id(again))
		}

		// Disassociation: every member removed in one update; the group stays.
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("remove", "members",
			[]any{map[string]any{"value": id(ada)}, map[string]any{"value": id(cat)}, map[string]any{"value": id(bob)}})))
		if n := len(e.memberIDs(id(g))); n != 0 {
			t.Fatalf("members after disassociation = %d; want 0", n)
		}
		empty := e.must(200, "GET", "/Groups/"+id(g), nil)
		if ms, ok := empty.body["members"]; ok { // unassigned: omitted, as in lists
			t.Fatalf("empty group's members = %v; want none", ms)
		}

		// Delete the user and the group.
		e.must(204, "DELETE", "/Users/"+id(bob), nil)
		e.must(404, "GET", "/Users/"+id(bob), nil)
		e.must(204, "DELETE", "/Groups/"+id(g), nil)
		e.must(404, "GET", "/Groups/"+id(g), nil)
	})
}

func TestOkta(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "okta")
		e.must(200, "GET", "/Users?startIndex=1&count=2", nil)
		e.must(200, "GET", "/Groups?startIndex=1&count=100", nil)

		u := e.must(201, "POST", "/Users", userBody("grace@example.com", "Grace", "Hopper"))
		// Path-less deactivation.
		e.must(200, "PATCH", "/Users/"+id(u), patchBody(op("replace", "", map[string]any{"active": false})))
		// Deactivated users are still returned.
		got := e.must(200, "GET", "/Users/"+id(u), nil)
		if got.body["active"] != false {
			t.Fatalf("active = %v after deactivation", got.body["active"])
		}
		// Re-assignment POSTs the user again: re-activated, same id, no 409.
		again := e.must(201, "POST", "/Users", userBody("Grace@Example.com", "Grace", "Hopper"))
		if id(again) != id(u) || again.body["active"] != true {
			t.Fatalf("re-POST of a deactivated user: id %s active %v; want %s true", id(again), again.body["active"], id(u))
		}
		// A real conflict: the userName exists and is active.
		other := userBody("grace@example.com", "Other", "Person")
		other["externalId"] = "okta-other"
		conflict := e.must(409, "POST", "/Users", other)
		if conflict.body["scimType"] != "uniqueness" {
			t.Fatalf("409 scimType = %v; want uniqueness", conflict.body["scimType"])
		}
		// Full PUT updates.
		put := userBody("grace@example.com", "Grace B.", "Hopper")
		put["active"] = true
		e.must(200, "PUT", "/Users/"+id(u), put)

		// Group push.
		a := e.must(201, "POST", "/Users", userBody("a@example.com", "A", "A"))
		b := e.must(201, "POST", "/Users", userBody("b@example.com", "B", "B"))
		g := e.must(201, "POST", "/Groups", groupBody("Engineering"))
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("add", "members",
			[]any{map[string]any{"value": id(a)}, map[string]any{"value": id(b)}, map[string]any{"value": id(u)}})))
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("remove", fmt.Sprintf(`members[value eq "%s"]`, id(a)), nil)))
		if !sameSet(e.memberIDs(id(g)), []string{id(b), id(u)}) {
			t.Fatalf("members after filtered remove = %v", e.memberIDs(id(g)))
		}
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("replace", "displayName", "Eng")))
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("replace", "members", []any{})))
		if n := len(e.memberIDs(id(g))); n != 0 {
			t.Fatalf("members after replace [] = %d; want 0", n)
		}
		if got := e.must(200, "GET", "/Groups/"+id(g), nil); got.body["displayName"] != "Eng" {
			t.Fatalf("renamed group = %v", got.body["displayName"])
		}
	})
}

func TestEntraID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "entra")
		body := userBody("Alan@Contoso.com", "Alan", "Turing")
		body["externalId"] = "e-1"
		body["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}
		body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{
			"department": "Research", "employeeNumber": "42", "manager": map[string]any{"value": "m-7"}}
		u := e.must(201, "POST", "/Users", body)
		if d := e.user(id(u)); d.Department != "Research" || d.EmployeeNumber != "42" || d.ManagerID != "m-7" {
			t.Fatalf("enterprise extension not stored: %+v", d)
		}

		for _, f := range []string{
			`userName eq "alan@contoso.com"`,
			`externalId eq "e-1"`,
			`emails[type eq "work"].value eq "alan@contoso.com"`,
		} {
			r := e.must(200, "GET", "/Users?filter="+url.QueryEscape(f), nil)
			if total(r) != 1 {
				t.Errorf("filter %s matched %d; want 1", f, total(r))
			}
		}

		e.must(200, "PATCH", "/Users/"+id(u), patchBody(
			op("Replace", "", map[string]any{
				"name.givenName": "Alan M.",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Mathematics",
			}),
			op("Add", "title", "Fellow"),
		))
		d := e.user(id(u))
		if d.GivenName != "Alan M." || d.Department != "Mathematics" || d.Title != "Fellow" {
			t.Fatalf("after dotted/URN path-less replace: given %q dept %q title %q", d.GivenName, d.Department, d.Title)
		}
		if d.FamilyName != "Turing" {
			t.Fatalf("path-less replace of name.givenName lost familyName: %q", d.FamilyName)
		}

		e.must(200, "PATCH", "/Users/"+id(u), patchBody(op("Replace", "active", "False")))
		if e.user(id(u)).Active {
			t.Fatalf(`"active": "False" did not deactivate`)
		}
		e.must(200, "PATCH", "/Users/"+id(u), patchBody(op("Add", "active", "True")))
		v := e.user(id(u)).Version
		e.must(200, "PATCH", "/Users/"+id(u), patchBody(op("Replace", "active", true)))
		if u2 := e.user(id(u)); !u2.Active || u2.Version != v {
			t.Fatalf("periodic active=true no-op: active %v, version %d; want true, %d (unchanged)", u2.Active, u2.Version, v)
		}

		m := e.must(201, "POST", "/Users", userBody("m@contoso.com", "M", "M"))
		g := e.must(201, "POST", "/Groups", groupBody("Contoso Sales", id(u), id(m)))
		found := e.must(200, "GET", "/Groups?excludedAttributes=members&filter="+url.QueryEscape(`displayName eq "contoso sales"`), nil)
		res, _ := found.body["Resources"].([]any)
		if total(found) != 1 || len(res) != 1 {
			t.Fatalf("group look-up by displayName = %s", found.raw)
		}
		if _, has := res[0].(map[string]any)["members"]; has {
			t.Fatalf("excludedAttributes=members still returned members")
		}
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("Remove", "members", []any{map[string]any{"value": id(m)}})))
		if !sameSet(e.memberIDs(id(g)), []string{id(u)}) {
			t.Fatalf("Entra removal by value: members = %v; want only %s", e.memberIDs(id(g)), id(u))
		}
	})
}

func TestOneLoginAndPing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "onelogin")
		cfg := e.must(200, "GET", "/ServiceProviderConfig", nil)
		if p, _ := cfg.body["patch"].(map[string]any); p["supported"] != true {
			t.Fatalf("ServiceProviderConfig patch = %v", cfg.body["patch"])
		}
		u := e.must(201, "POST", "/Users", userBody("ol@example.com", "One", "Login"))
		e.must(200, "PATCH", "/Users/"+id(u), patchBody(op("replace", "active", false)))
		if e.user(id(u)).Active {
			t.Fatalf("OneLogin deprovisioning left the user active")
		}
		g := e.must(201, "POST", "/Groups", groupBody("Ping Group", id(u)))
		e.must(http.StatusNoContent, "PATCH", "/Groups/"+id(g), patchBody(op("replace", "members", []any{})))
		if n := len(e.memberIDs(id(g))); n != 0 {
			t.Fatalf("Ping clear: %d members left", n)
		}
		e.must(http.StatusOK, "GET", "/Groups/"+id(g), nil)
	})
}
