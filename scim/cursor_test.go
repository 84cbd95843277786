package scim_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// cursorPages walks a cursor-paged list from path (which has its other
// parameters) forward, and returns the ids in the order served and the
// responses.
func cursorPages(t *testing.T, e *env, path string) ([]string, []response) {
	t.Helper()
	var ids []string
	var pages []response
	cursor := ""
	for range 100 {
		r := e.must(http.StatusOK, "GET", path+"&cursor="+url.QueryEscape(cursor), nil)
		pages = append(pages, r)
		res, _ := r.body["Resources"].([]any)
		for _, x := range res {
			ids = append(ids, x.(map[string]any)["id"].(string))
		}
		next, ok := r.body["nextCursor"].(string)
		if !ok {
			return ids, pages
		}
		cursor = next
	}
	t.Fatal("100 pages and still a nextCursor")
	return nil, nil
}

// TestCursorPaging: RFC 9865's cursor paging, forward and back, stable
// while the directory changes, and its errors.
func TestCursorPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		ids := seedUsers(t, e, 50)

		t.Run("forward through every page", func(t *testing.T) {
			got, pages := cursorPages(t, e, "/Users?count=7")
			if !slices.Equal(got, ids) {
				t.Fatalf("cursor pages served %d ids, want the %d in id order", len(got), len(ids))
			}
			if len(pages) != 8 {
				t.Fatalf("%d pages of 7 for 50 users, want 8", len(pages))
			}
			for i, p := range pages {
				if _, has := p.body["startIndex"]; has {
					t.Errorf("page %d has startIndex under cursor paging", i)
				}
				if total(p) != 50 {
					t.Errorf("page %d: totalResults %d", i, total(p))
				}
				_, prev := p.body["previousCursor"]
				if prev != (i > 0) {
					t.Errorf("page %d: previousCursor present %v", i, prev)
				}
			}
		})

		t.Run("back from the last page", func(t *testing.T) {
			_, pages := cursorPages(t, e, "/Users?count=7")
			var back []string
			p := pages[len(pages)-1]
			for {
				prev, ok := p.body["previousCursor"].(string)
				if !ok {
					break
				}
				p = e.must(http.StatusOK, "GET", "/Users?count=7&cursor="+prev, nil)
				var page []string
				for _, x := range p.body["Resources"].([]any) {
					page = append(page, x.(map[string]any)["id"].(string))
				}
				back = append(page, back...)
			}
			if want := ids[:len(ids)-1]; !slices.Equal(back, want) {
				t.Fatalf("walking back served %d ids, want the %d before the last page's", len(back), len(want))
			}
		})

		t.Run("the directory changes between pages", func(t *testing.T) {
			first := e.must(http.StatusOK, "GET", "/Users?count=10&cursor", nil)
			next := first.body["nextCursor"].(string)
			// A user of the next page goes, a new one comes (ids are
			// time-ordered: it comes last).
			e.must(http.StatusNoContent, "DELETE", "/Users/"+ids[12], nil)
			added := id(e.must(http.StatusCreated, "POST", "/Users", userBody("late@example.com", "L", "L")))
			var rest []string
			cursor := next
			for cursor != "" {
				r := e.must(http.StatusOK, "GET", "/Users?count=10&cursor="+cursor, nil)
				for _, x := range r.body["Resources"].([]any) {
					rest = append(rest, x.(map[string]any)["id"].(string))
				}
				cursor, _ = r.body["nextCursor"].(string)
			}
			want := append(append(slices.Clone(ids[10:12]), ids[13:]...), added)
			if !slices.Equal(rest, want) {
				t.Fatalf("after a delete and a create the pages served %v\nwant %v", rest, want)
			}
		})

		t.Run("filtered, sorted, and by search", func(t *testing.T) {
			got, _ := cursorPages(t, e, "/Users?count=4&filter="+url.QueryEscape(`userName sw "user00001"`))
			// user000010 to user000019, but user000012, deleted above.
			if len(got) != 9 {
				t.Fatalf("filtered cursor pages served %d users, want 9", len(got))
			}
			sorted, _ := cursorPages(t, e, "/Users?count=6&sortBy=userName&sortOrder=descending")
			if len(sorted) != total(e.must(200, "GET", "/Users?count=0", nil)) || slices.Contains(sorted[1:], sorted[0]) {
				t.Fatalf("sorted cursor pages served %d users", len(sorted))
			}
			r := e.must(http.StatusOK, "POST", "/Users/.search", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
				"cursor":  "", "count": 5,
			})
			if _, ok := r.body["nextCursor"].(string); !ok || len(r.body["Resources"].([]any)) != 5 {
				t.Fatalf(".search with an empty cursor: %s", r.raw)
			}
		})

		t.Run("errors", func(t *testing.T) {
			other := newEnv(t, st, "generic")
			seedUsers(t, other, 5)
			foreign := other.must(http.StatusOK, "GET", "/Users?count=2&cursor", nil).body["nextCursor"].(string)
			mine := e.must(http.StatusOK, "GET", "/Users?count=2&cursor", nil).body["nextCursor"].(string)
			raw, _ := base64.RawURLEncoding.DecodeString(mine)
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("cursor %s: %v", raw, err)
			}
			doc["t"] = time.Now().Add(-2 * time.Hour).Unix()
			raw, _ = json.Marshal(doc)
			expired := base64.RawURLEncoding.EncodeToString(raw)
			for _, c := range []struct {
				name, path, scimType string
			}{
				{"not a cursor", "/Users?cursor=xyz", "invalidCursor"},
				{"another directory's", "/Users?count=2&cursor=" + foreign, "invalidCursor"},
				{"another query's", "/Users?count=2&filter=active+eq+true&cursor=" + mine, "invalidCursor"},
				{"expired", "/Users?count=2&cursor=" + expired, "expiredCursor"},
				{"with startIndex", "/Users?startIndex=3&cursor", "invalidValue"},
				{"count 0", "/Users?count=0&cursor", "invalidCount"},
				{"count over the largest page", fmt.Sprintf("/Users?count=%d&cursor", 5000), "invalidCount"},
			} {
				r := e.do("GET", c.path, nil)
				if r.status != http.StatusBadRequest || r.body["scimType"] != c.scimType {
					t.Errorf("%s: %d %v, want 400 %s\n%s", c.name, r.status, r.body["scimType"], c.scimType, r.raw)
				}
			}
			r := e.do("POST", "/.search", map[string]any{
				"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "cursor": "",
			})
			if r.status != http.StatusBadRequest || r.body["scimType"] != "invalidValue" {
				t.Errorf("root .search with a cursor: %d %s", r.status, r.raw)
			}
		})

		t.Run("advertised", func(t *testing.T) {
			p, _ := e.must(http.StatusOK, "GET", "/ServiceProviderConfig", nil).body["pagination"].(map[string]any)
			if p["cursor"] != true || p["index"] != true || p["defaultPaginationMethod"] != "index" ||
				p["cursorTimeout"] == nil || p["maxPageSize"] == nil {
				t.Fatalf("pagination block: %v", p)
			}
		})
	})
}
