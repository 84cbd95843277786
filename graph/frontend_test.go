package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestCursorNamesItsOrder: a cursor pages on under the orderBy it came
// with, and is refused (BAD_USER_INPUT on after or before) under another
// one, where it would have selected the wrong users.
func TestCursorNamesItsOrder(t *testing.T) {
	const page = `query($n: Int!, $after: Cursor, $before: Cursor, $order: UserOrder) {
		users(first: $n, after: $after, before: $before, orderBy: $order) {
			edges { node { userName } cursor } pageInfo { endCursor } } }`
	type pageData struct {
		Users struct {
			Edges []struct {
				Node   struct{ UserName string }
				Cursor string
			}
			PageInfo struct{ EndCursor string }
		}
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Cursors"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := domain.New(s.Client, s.Dialect).CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "okta"})
		if err != nil {
			t.Fatal(err)
		}
		seedDirectory(t, s.Client, dir.Directory, []string{"a", "b", "c", "d"}, nil)
		a := newAPI(t, s.Client, s.Dialect, Config{})
		byName := map[string]any{"field": "USER_NAME"}
		byNameDesc := map[string]any{"field": "USER_NAME", "direction": "DESC"}
		byCreated := map[string]any{"field": "CREATED_AT"}

		var first pageData
		a.ok(a.platform, page, map[string]any{"n": 2, "order": byName}, &first)
		end := first.Users.PageInfo.EndCursor
		if len(first.Users.Edges) != 2 || first.Users.Edges[1].Cursor != end {
			t.Fatalf("first page %+v", first)
		}
		t.Run("same order pages on", func(t *testing.T) {
			var next pageData
			// The direction spelled out is the same order as its default.
			a.with(t).ok(a.platform, page, map[string]any{"n": 2, "after": end,
				"order": map[string]any{"field": "USER_NAME", "direction": "ASC"}}, &next)
			var names []string
			for _, e := range next.Users.Edges {
				names = append(names, e.Node.UserName)
			}
			if strings.Join(names, ",") != "c,d" {
				t.Fatalf("second page %v; want c,d", names)
			}
		})
		for _, tc := range []struct {
			name  string
			arg   string
			order any
		}{
			{"another field", "after", byCreated},
			{"another direction", "after", byNameDesc},
			{"the default order", "after", nil},
			{"before, another field", "before", byCreated},
		} {
			t.Run(tc.name, func(t *testing.T) {
				vars := map[string]any{"n": 2, tc.arg: end}
				if tc.order != nil {
					vars["order"] = tc.order
				}
				a.with(t).fails(a.platform, page, vars, "BAD_USER_INPUT", tc.arg)
			})
		}
		t.Run("a cursor of the default order, under an orderBy", func(t *testing.T) {
			var def pageData
			a.with(t).ok(a.platform, page, map[string]any{"n": 1}, &def)
			a.with(t).fails(a.platform, page, map[string]any{"n": 1, "after": def.Users.PageInfo.EndCursor,
				"order": byName}, "BAD_USER_INPUT", "after")
		})
	})
}

// TestDeferNotAdvertised: the served schema has no @defer and none of
// gqlgen's code-generation directives, and a query using @defer is refused
// up front rather than left waiting for a part that never comes.
func TestDeferNotAdvertised(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite").Client, "sqlite3", Config{Introspection: true})
	var data struct {
		Schema struct{ Directives []struct{ Name string } } `json:"__schema"`
	}
	a.ok(a.platform, `{ __schema { directives { name } } }`, nil, &data)
	var names []string
	for _, d := range data.Schema.Directives {
		names = append(names, d.Name)
	}
	for _, hidden := range hiddenDirectives {
		for _, n := range names {
			if n == hidden {
				t.Fatalf("introspection shows @%s: %v", hidden, names)
			}
		}
	}
	if !strings.Contains(strings.Join(names, ","), "deprecated") {
		t.Fatalf("directives %v; want the standard ones", names)
	}
	r := a.do(a.platform, `{ viewer { ... @defer { scope } } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "defer") {
		t.Fatalf("a query with @defer: %s; want it refused", r.raw)
	}
}

// TestViewer: the caller's scope and organization.
func TestViewer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Viewer"})
		if err != nil {
			t.Fatal(err)
		}
		a := newAPI(t, s.Client, s.Dialect, Config{})
		const q = `{ viewer { scope organization { id slug } } }`
		type viewer struct {
			Viewer struct {
				Scope        string
				Organization *struct{ ID, Slug string }
			}
		}
		var p viewer
		a.ok(a.platform, q, nil, &p)
		if p.Viewer.Scope != "PLATFORM" || p.Viewer.Organization != nil {
			t.Fatalf("platform viewer %+v", p.Viewer)
		}
		var o viewer
		a.ok(newOrgKey(t, s.Client, access.OrgRead, org.ID), q, nil, &o)
		if o.Viewer.Scope != "ORG_READ" || o.Viewer.Organization == nil || o.Viewer.Organization.ID != org.ID.String() {
			t.Fatalf("org_read viewer %+v; want organization %s", o.Viewer, org.ID)
		}
	})
}

// TestRateLimit: each operation's cost comes off its key's budget, shown
// in extensions.cost and the RateLimit headers; once spent, the key gets
// 429 with Retry-After, while another key is unaffected.
func TestRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Budget"})
		if err != nil {
			t.Fatal(err)
		}
		// A budget of 10 points that comes back at one point every 100 s.
		a := newAPI(t, s.Client, s.Dialect, Config{MaxComplexity: 10, RateLimitBurst: 10, RateLimitPerSecond: 0.01})
		const q = `{ viewer { scope organization { id name } } }` // 5 fields
		post := func(key string) (*http.Response, map[string]any) {
			t.Helper()
			body, _ := json.Marshal(map[string]any{"query": q})
			req, _ := http.NewRequest(http.MethodPost, a.srv.URL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			res, err := a.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			return res, out
		}
		res, out := post(a.platform)
		cost, _ := out["extensions"].(map[string]any)["cost"].(map[string]any)
		if res.StatusCode != http.StatusOK || cost["requestedQueryCost"] != 5.0 || cost["remaining"] != 5.0 || cost["limit"] != 10.0 {
			t.Fatalf("first: status %d, extensions %v; want 200, cost 5, remaining 5 of 10", res.StatusCode, out["extensions"])
		}
		if res.Header.Get("RateLimit-Limit") != "10" || res.Header.Get("RateLimit-Remaining") != "5" || res.Header.Get("RateLimit-Reset") == "" {
			t.Fatalf("headers %v", res.Header)
		}
		if res, _ := post(a.platform); res.StatusCode != http.StatusOK || res.Header.Get("RateLimit-Remaining") != "0" {
			t.Fatalf("second: status %d remaining %q; want 200, 0", res.StatusCode, res.Header.Get("RateLimit-Remaining"))
		}
		res, out = post(a.platform)
		errs, _ := out["errors"].([]any)
		if res.StatusCode != http.StatusTooManyRequests || len(errs) != 1 || out["data"] != nil {
			t.Fatalf("third: status %d, %v; want 429 and one error", res.StatusCode, out)
		}
		if code := errs[0].(map[string]any)["extensions"].(map[string]any)["code"]; code != codeRateLimited {
			t.Fatalf("code %v; want %s", code, codeRateLimited)
		}
		if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 400 || ra > 500 {
			t.Fatalf("Retry-After %q; want about 500 s (5 points at 0.01 a second)", res.Header.Get("Retry-After"))
		}
		if res, _ := post(newOrgKey(t, s.Client, access.OrgRead, org.ID)); res.StatusCode != http.StatusOK {
			t.Fatalf("another key: status %d; want 200, its own budget", res.StatusCode)
		}
	})
}

// TestPersistedQueries: a query's hash alone is refused until the server
// has seen the query with it; then the hash alone runs it, over POST and
// GET.
func TestPersistedQueries(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite").Client, "sqlite3", Config{})
	const q = `{ viewer { scope } }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	send := func(query string) result {
		body, _ := json.Marshal(map[string]any{"query": query, "extensions": ext})
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.platform)
		return a.send(req)
	}
	if r := send(""); len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" {
		t.Fatalf("unknown hash: %s; want PersistedQueryNotFound", r.raw)
	}
	if r := send(q); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "PLATFORM") {
		t.Fatalf("query with its hash: %s", r.raw)
	}
	if r := send(""); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "PLATFORM") {
		t.Fatalf("hash alone: %s", r.raw)
	}
	extJSON, _ := json.Marshal(ext)
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"?extensions="+url.QueryEscape(string(extJSON)), nil)
	req.Header.Set("Authorization", "Bearer "+a.platform)
	if r := a.send(req); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "PLATFORM") {
		t.Fatalf("hash alone over GET: %s", r.raw)
	}
}

// TestHTTPSemantics: the schema at <endpoint>/schema.graphql, the
// GraphQL-over-HTTP status codes and the CORS allow-list.
func TestHTTPSemantics(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite").Client, "sqlite3",
		Config{Introspection: true, CORSOrigins: []string{"https://admin.example.com"}})
	do := func(method, path, contentType, body string, header map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Bearer "+a.platform)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := a.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	t.Run("schema", func(t *testing.T) {
		res, sdl := do(http.MethodGet, "/schema.graphql", "", "", nil)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/graphql") {
			t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, want := range []string{"type Query", "roleCreate(", "userErrors: [UserError!]!",
			`@specifiedBy(url: "https://datatracker.ietf.org/doc/html/rfc3339")`, `"""`} {
			if !strings.Contains(sdl, want) {
				t.Errorf("schema lacks %q", want)
			}
		}
		for _, unwanted := range []string{"@goModel", "@goField", "directive @defer"} {
			if strings.Contains(sdl, unwanted) {
				t.Errorf("schema shows %q", unwanted)
			}
		}
	})
	t.Run("mutation over GET", func(t *testing.T) {
		q := url.QueryEscape(`mutation { apiKeyRevoke(input: {id: "00000000-0000-0000-0000-000000000000"}) { deletedID } }`)
		res, body := do(http.MethodGet, "/?query="+q, "", "", nil)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
			t.Fatalf("status %d, Allow %q: %s; want 405, POST", res.StatusCode, res.Header.Get("Allow"), body)
		}
	})
	t.Run("query over GET", func(t *testing.T) {
		res, body := do(http.MethodGet, "/?query="+url.QueryEscape(`{ viewer { scope } }`), "", "", nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "PLATFORM") {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
	})
	for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded"} {
		t.Run("content type "+ct, func(t *testing.T) {
			res, body := do(http.MethodPost, "/", ct, `{"query":"{ viewer { scope } }"}`, nil)
			if res.StatusCode != http.StatusUnsupportedMediaType {
				t.Fatalf("status %d: %s; want 415", res.StatusCode, body)
			}
		})
	}
	t.Run("json with a charset", func(t *testing.T) {
		res, body := do(http.MethodPost, "/", "application/json; charset=utf-8", `{"query":"{ viewer { scope } }"}`, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
	})
	t.Run("CORS", func(t *testing.T) {
		const q = `{"query":"{ viewer { scope } }"}`
		res, _ := do(http.MethodPost, "/", "application/json", q, map[string]string{"Origin": "https://admin.example.com"})
		if res.Header.Get("Access-Control-Allow-Origin") != "https://admin.example.com" {
			t.Fatalf("allowed origin: headers %v", res.Header)
		}
		res, _ = do(http.MethodPost, "/", "application/json", q, map[string]string{"Origin": "https://evil.example"})
		if res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("other origin got Access-Control-Allow-Origin %q", res.Header.Get("Access-Control-Allow-Origin"))
		}
		pre := map[string]string{"Origin": "https://admin.example.com", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization, content-type"}
		res, _ = do(http.MethodOptions, "/", "", "", pre)
		if res.StatusCode != http.StatusNoContent || !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Fatalf("preflight: status %d, headers %v", res.StatusCode, res.Header)
		}
		pre["Origin"] = "https://evil.example"
		if res, _ = do(http.MethodOptions, "/", "", "", pre); res.StatusCode != http.StatusForbidden {
			t.Fatalf("preflight of another origin: status %d; want 403", res.StatusCode)
		}
	})
}
