package scim_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestMemberDisplayFollowsUsers: each membership keeps its user's display
// (issue 17), so GET /Groups/{id}, a list of groups and the members past
// the first page must show what the users are now: their displayName, or
// their userName without one, after members join by POST, PATCH add and
// PUT, and after the users' names change by PATCH, PUT and a provisioning
// request that takes a user over.
func TestMemberDisplayFollowsUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		named := func(userName, display, externalID string) map[string]any {
			b := userBody(userName, "Given", "Family")
			if display != "" {
				b["displayName"] = display
			}
			if externalID != "" {
				b["externalId"] = externalID
			}
			return b
		}
		// 1,000 others first: ids are UUIDv7, so ann, bob and cat sort
		// after them and are read from the second page of members.
		filler := seedUsers(t, e, 1000)
		ann := id(e.must(201, "POST", "/Users", named("ann@example.com", "Ann Lee", "")))
		bob := id(e.must(201, "POST", "/Users", named("bob@example.com", "", "")))
		cat := id(e.must(201, "POST", "/Users", named("cat@example.com", "Cat", "cat-1")))
		g := id(e.must(201, "POST", "/Groups", groupBody("Team", append([]string{ann}, filler...)...)))
		check := func(when string, want map[string]string) {
			t.Helper()
			get := e.must(200, "GET", "/Groups/"+g, nil).body
			list := e.must(200, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Team"`), nil).body
			for name, doc := range map[string]map[string]any{"get": get, "list": list["Resources"].([]any)[0].(map[string]any)} {
				got := map[string]string{}
				for _, x := range doc["members"].([]any) {
					m := x.(map[string]any)
					if d, _ := m["display"].(string); want[m["value"].(string)] != "" {
						got[m["value"].(string)] = d
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s, %s: displays %v; want %v", when, name, got, want)
				}
			}
		}
		check("created with a member", map[string]string{ann: "Ann Lee"})

		e.must(204, "PATCH", "/Groups/"+g, patchBody(op("add", "members", memberValues([]string{bob}))))
		check("bob added", map[string]string{ann: "Ann Lee", bob: "bob@example.com"})

		e.must(200, "PATCH", "/Users/"+ann, patchBody(op("replace", "displayName", "Ann Smith")))
		check("ann's displayName changed", map[string]string{ann: "Ann Smith", bob: "bob@example.com"})

		e.must(200, "PUT", "/Users/"+bob, named("robert@example.com", "", ""))
		check("bob's userName changed", map[string]string{ann: "Ann Smith", bob: "robert@example.com"})

		e.must(200, "PATCH", "/Users/"+ann, patchBody(op("remove", "displayName", nil)))
		check("ann's displayName removed", map[string]string{ann: "ann@example.com", bob: "robert@example.com"})

		e.must(200, "PATCH", "/Users/"+ann, patchBody(op("replace", "userName", "anne@example.com")))
		check("ann's userName changed", map[string]string{ann: "anne@example.com", bob: "robert@example.com"})

		put := groupBody("Team", append([]string{bob, cat}, filler...)...)
		e.must(200, "PUT", "/Groups/"+g, put)
		check("members replaced", map[string]string{bob: "robert@example.com", cat: "Cat"})

		// Provisioning cat again (same userName and externalId) takes it over.
		e.must(201, "POST", "/Users", named("cat@example.com", "Catherine", "cat-1"))
		check("cat taken over", map[string]string{bob: "robert@example.com", cat: "Catherine"})

		e.must(200, "PUT", "/Users/"+bob, named("robert@example.com", "Robert", ""))
		check("bob given a displayName", map[string]string{bob: "Robert", cat: "Catherine"})
	})
}
