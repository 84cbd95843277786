package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestMemberChangesAreSetBased counts the SQL statements of member PATCHes:
// adding 5,000 members costs about as many statements as adding 5, because
// members are inserted and deleted in chunks, never one by one.
func TestMemberChangesAreSetBased(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var statements atomic.Int64
		counted := &store.Store{DB: st.DB, Dialect: st.Dialect, Client: ent.NewClient(ent.Driver(
			dialect.DebugWithContext(entsql.OpenDB(st.Dialect, st.DB), func(context.Context, ...any) {
				statements.Add(1)
			})))}
		e := newEnv(t, st, "generic")
		srv := httptest.NewServer(scim.NewHandler(counted, scim.Options{}))
		t.Cleanup(srv.Close)
		e.base = srv.URL + strings.TrimPrefix(e.base, e.srv.URL)

		ids := seedUsers(t, e, 5000)
		cost := func(members []string) int64 {
			g := e.must(201, "POST", "/Groups", groupBody("G"+uuid.NewString()))
			statements.Store(0)
			e.must(200, "PATCH", "/Groups/"+id(g)+"?excludedAttributes=members",
				patchBody(op("add", "members", memberValues(members))))
			add := statements.Load()
			if n := len(e.memberIDs(id(g))); n != len(members) {
				t.Fatalf("group has %d members; want %d", n, len(members))
			}
			statements.Store(0)
			e.must(200, "PATCH", "/Groups/"+id(g)+"?excludedAttributes=members",
				patchBody(op("remove", "members", memberValues(members))))
			return add + statements.Load()
		}
		few, many := cost(ids[:5]), cost(ids)
		t.Logf("statements: add+remove 5 members = %d, 5,000 members = %d", few, many)
		if many > few+10 {
			t.Fatalf("5,000 members took %d statements, 5 took %d: member changes are not set-based", many, few)
		}
	})
}

// TestUnknownMembersAreSkipped: one stale or foreign id does not fail a
// whole group push.
func TestUnknownMembersAreSkipped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "okta")
		other := newEnv(t, st, "okta")
		u := e.must(201, "POST", "/Users", userBody("u@example.com", "U", "U"))
		foreign := other.must(201, "POST", "/Users", userBody("f@example.com", "F", "F"))
		g := e.must(201, "POST", "/Groups", groupBody("Mixed", id(u), uuid.NewString(), "not-a-uuid", id(foreign)))
		if got := e.memberIDs(id(g)); len(got) != 1 || got[0] != id(u) {
			t.Fatalf("members = %v; want only %s", got, id(u))
		}
		e.must(204, "PATCH", "/Groups/"+id(g), patchBody(op("add", "members", memberValues([]string{uuid.NewString(), id(foreign)}))))
		if got := e.memberIDs(id(g)); len(got) != 1 {
			t.Fatalf("members after adding unknown ids = %v", got)
		}
	})
}

// TestUserNameConflicts: changing a userName to one that is taken is a 409.
func TestUserNameConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		e.must(201, "POST", "/Users", userBody("taken@example.com", "T", "T"))
		u := e.must(201, "POST", "/Users", userBody("free@example.com", "F", "F"))
		if r := e.do("PUT", "/Users/"+id(u), userBody("TAKEN@example.com", "F", "F")); r.status != 409 || r.body["scimType"] != "uniqueness" {
			t.Fatalf("PUT to a taken userName: %d %s", r.status, r.raw)
		}
		if r := e.do("PATCH", "/Users/"+id(u), patchBody(op("replace", "userName", "taken@example.com"))); r.status != 409 {
			t.Fatalf("PATCH to a taken userName: %d %s", r.status, r.raw)
		}
		if got := e.user(id(u)).UserName; got != "free@example.com" {
			t.Fatalf("userName = %q after refused changes", got)
		}
	})
}

// TestPatchGroupAnswer: RFC 7644 §3.5.2 — a PATCH answers 204 No Content
// (with the new ETag) when the client asks for nothing back, and a 200
// with the group as asked otherwise: members included when they are
// asked for or not excluded.
func TestPatchGroupAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		a := id(e.must(201, "POST", "/Users", userBody("a@example.com", "A", "A")))
		b := id(e.must(201, "POST", "/Users", userBody("b@example.com", "B", "B")))
		g := id(e.must(201, "POST", "/Groups", groupBody("Team", a)))
		add := patchBody(op("add", "members", memberValues([]string{b})))

		r := e.must(204, "PATCH", "/Groups/"+g, add)
		if r.raw != "" || r.header.Get("ETag") == "" {
			t.Fatalf("204: body %q, ETag %q", r.raw, r.header.Get("ETag"))
		}
		r = e.must(200, "PATCH", "/Groups/"+g+"?attributes=members", patchBody(op("replace", "displayName", "Team 2")))
		if ms, _ := r.body["members"].([]any); len(ms) != 2 {
			t.Fatalf("attributes=members: %d members in %s", len(ms), r.raw)
		}
		r = e.must(200, "PATCH", "/Groups/"+g+"?excludedAttributes=members", patchBody(op("replace", "displayName", "Team 3")))
		if _, has := r.body["members"]; has || r.body["displayName"] != "Team 3" {
			t.Fatalf("excludedAttributes=members: %s", r.raw)
		}
	})
}

// TestConcurrentMemberPatchesShareTransactions: PATCHes adding members to
// one group, sent at once as a provider's assignments are, are written in
// fewer transactions than requests (group commit), each answered as if
// alone: 204 with its own ETag.
func TestConcurrentMemberPatchesShareTransactions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, rec := countedEnv(t, st)
		ids := seedUsers(t, e, 32)
		g := id(e.must(201, "POST", "/Groups", groupBody("Everyone")))
		e.must(200, "GET", "/Users/"+ids[0], nil) // warms the credential cache
		begins := func() int {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			n := 0
			for _, q := range rec.queries {
				if strings.HasSuffix(q.query, "started") {
					n++
				}
			}
			return n
		}
		rec.reset()
		var wg sync.WaitGroup
		etags := make(chan string, len(ids))
		for _, u := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.do("PATCH", "/Groups/"+g, patchBody(op("add", "members", memberValues([]string{u}))))
				if r.status != 204 {
					t.Errorf("PATCH: %d %s", r.status, r.raw)
				}
				etags <- r.header.Get("ETag")
			}()
		}
		wg.Wait()
		close(etags)
		seen := map[string]bool{}
		for tag := range etags {
			if seen[tag] {
				t.Errorf("ETag %s answered twice", tag)
			}
			seen[tag] = true
		}
		if n := len(e.memberIDs(g)); n != len(ids) {
			t.Fatalf("%d members; want %d", n, len(ids))
		}
		txs := begins()
		t.Logf("%d PATCHes in %d transactions", len(ids), txs)
		if txs >= len(ids) {
			t.Fatalf("%d PATCHes took %d transactions: none shared one", len(ids), txs)
		}
	})
}

// TestGroupListStreamsMembers: a page of groups carries each group's
// members as a GET of the group does (all of them, over several member
// pages, in user id order; no "members" for a group without any), read a
// member page at a time per group rather than all the page's groups'
// members in one statement; a root .search streams them too.
func TestGroupListStreamsMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, rec := countedEnv(t, st)
		ids := seedUsers(t, e, 2600)
		big := e.must(201, "POST", "/Groups", groupBody("Big", ids[:2500]...))
		e.must(201, "POST", "/Groups", groupBody("Empty"))
		small := e.must(201, "POST", "/Groups", groupBody("Small", ids[2500:2510]...))
		want := map[string][]any{}
		for _, g := range []response{big, small} {
			want[id(g)] = e.must(200, "GET", "/Groups/"+id(g), nil).body["members"].([]any)
		}
		if len(want[id(big)]) != 2500 {
			t.Fatalf("GET of the big group: %d members", len(want[id(big)]))
		}
		check := func(name string, resources []any, groups int) {
			t.Helper()
			seen := 0
			for _, x := range resources {
				doc := x.(map[string]any)
				if doc["displayName"] == nil {
					continue // a user of the root search
				}
				seen++
				got, has := doc["members"].([]any)
				if w := want[doc["id"].(string)]; !reflect.DeepEqual(got, w) || has != (w != nil) {
					t.Errorf("%s: group %v has %d members (present %v); want %d", name, doc["displayName"], len(got), has, len(w))
				}
			}
			if seen != groups {
				t.Errorf("%s: %d groups; want %d", name, seen, groups)
			}
		}
		rec.reset()
		list := e.must(200, "GET", "/Groups?count=10", nil)
		check("list", list.body["Resources"].([]any), 3)
		if total(list) != 3 || list.body["itemsPerPage"].(float64) != 3 {
			t.Errorf("list: %s", list.raw[:min(len(list.raw), 200)])
		}
		rec.mu.Lock()
		for _, q := range rec.queries {
			if strings.Contains(q.query, "memberships") && !strings.Contains(strings.ToUpper(q.query), "LIMIT") {
				t.Errorf("a member read without a page limit: %s", q.query)
			}
		}
		rec.mu.Unlock()
		search := e.must(200, "POST", "/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"startIndex": 2599, "count": 5})
		check("root search", search.body["Resources"].([]any), 3)
		none := e.must(200, "GET", "/Groups?excludedAttributes=members", nil)
		for _, x := range none.body["Resources"].([]any) {
			if _, has := x.(map[string]any)["members"]; has {
				t.Errorf("excludedAttributes=members: %v has members", x.(map[string]any)["displayName"])
			}
		}
	})
}

// TestGroupBodyIsWholeOrStreamed: a group document that fits in the
// server's hold (256 KB) is sent whole with its Content-Length; a larger
// one streams (chunked, no length), and both read back complete.
func TestGroupBodyIsWholeOrStreamed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		ids := seedUsers(t, e, 2500)
		for _, c := range []struct {
			members int
			whole   bool
		}{{0, true}, {1000, true}, {2500, false}} {
			g := e.must(201, "POST", "/Groups", groupBody(fmt.Sprint("G", c.members), ids[:c.members]...))
			res, err := e.srv.Client().Do(e.request(t, "GET", "/Groups/"+id(g), nil))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("%d members: %v", c.members, err)
			}
			if got, _ := doc["members"].([]any); len(got) != c.members {
				t.Errorf("%d members: read %d", c.members, len(got))
			}
			if whole := res.ContentLength == int64(len(raw)); whole != c.whole || (!whole && res.ContentLength != -1) {
				t.Errorf("%d members (%d bytes): Content-Length %d, chunked %v; want whole %v",
					c.members, len(raw), res.ContentLength, res.TransferEncoding, c.whole)
			}
		}
	})
}
