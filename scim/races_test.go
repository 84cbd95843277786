package scim_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// The races a provider's retries and parallel pushes start. Each runs on
// both databases; PostgreSQL is where writers really overlap.

// concurrently sends n requests at once and returns their responses.
func concurrently(e *env, n int, req func(i int) (method, path string, body any)) []response {
	out := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			method, path, body := req(i)
			out[i] = e.do(method, path, body)
		})
	}
	wg.Wait()
	return out
}

// TestConcurrentGroupCreation: twenty POSTs of one displayName (in any
// letter case) make one group, and every response names it.
func TestConcurrentGroupCreation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "jumpcloud")
		rs := concurrently(e, 20, func(i int) (string, string, any) {
			name := "Engineering"
			if i%2 == 1 {
				name = strings.ToUpper(name)
			}
			return "POST", "/Groups", groupBody(name)
		})
		for i, r := range rs {
			if r.status != 201 || id(r) != id(rs[0]) {
				t.Fatalf("POST %d: status %d, group %q; want 201 and group %q\n%s", i, r.status, id(r), id(rs[0]), r.raw)
			}
		}
		ctx := access.PlatformContext(context.Background())
		if n := st.Client.Group.Query().Where(group.DirectoryID(e.dir.ID)).CountX(ctx); n != 1 {
			t.Fatalf("%d groups; want 1", n)
		}
	})
}

// TestConcurrentReprovisioning: ten identical provisioning retries of one
// external user all succeed, with that one user.
func TestConcurrentReprovisioning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "okta")
		body := userBody("retry@example.com", "Re", "Try")
		body["externalId"] = "okta-00u1"
		rs := concurrently(e, 10, func(int) (string, string, any) { return "POST", "/Users", body })
		for i, r := range rs {
			if r.status != 201 || id(r) != id(rs[0]) {
				t.Fatalf("POST %d: status %d, user %q; want 201 and user %q\n%s", i, r.status, id(r), id(rs[0]), r.raw)
			}
		}
	})
}

// TestMembersVanishingDuringAdd: users deleted while a PATCH adds them to a
// group are skipped like unknown ids; the PATCH never fails for them.
func TestMembersVanishingDuringAdd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		for try := range 10 {
			e := newEnv(t, st, "okta") // a directory a try: seedUsers' names repeat
			g := e.must(201, "POST", "/Groups", groupBody(fmt.Sprint("G", try)))
			ids := seedUsers(t, e, 40)
			rs := concurrently(e, 1+len(ids)/2, func(i int) (string, string, any) {
				if i == 0 {
					return "PATCH", "/Groups/" + id(g) + "?excludedAttributes=members",
						patchBody(op("add", "members", memberValues(ids)))
				}
				return "DELETE", "/Users/" + ids[2*i-1], nil
			})
			if rs[0].status != 200 {
				t.Fatalf("try %d: PATCH status %d; want 200\n%s", try, rs[0].status, rs[0].raw)
			}
			for _, r := range rs[1:] {
				if r.status != 204 {
					t.Fatalf("try %d: DELETE status %d; want 204\n%s", try, r.status, r.raw)
				}
			}
		}
	})
}
