package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// The hostile-input suite of issue 8 for GraphQL: each request below once
// stalled the server, exhausted it or failed with an internal error. Each
// must now be refused with a coded error, and quickly.

// refusalBound is how long a refusal may take: generous, so that a loaded
// machine passes, yet far below what the attacks once cost (seconds to
// minutes of CPU).
const refusalBound = 2 * time.Second

// within POSTs body with key and fails the test unless the server answers
// within refusalBound.
func (a *api) within(key string, body []byte) result {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), refusalBound)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.srv.URL, bytes.NewReader(body))
	if err != nil {
		a.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := a.srv.Client().Do(req)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		a.t.Fatalf("no answer within %v", refusalBound)
	}
	if err != nil {
		a.t.Fatalf("send: %v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatalf("read response: %v", err)
	}
	out := result{status: res.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &out); err != nil {
		a.t.Fatalf("status %d, response is not JSON: %v\n%.2000s", res.StatusCode, err, raw)
	}
	return out
}

// refused runs query with vars within refusalBound and checks the first
// error's code (and field, when not empty).
func (a *api) refused(key, query string, vars map[string]any, code, field string) result {
	a.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		a.t.Fatalf("encode: %v", err)
	}
	return a.refusedBody(key, body, code, field)
}

// refusedBody is refused for a raw request body.
func (a *api) refusedBody(key string, body []byte, code, field string) result {
	a.t.Helper()
	r := a.within(key, body)
	if len(r.Errors) == 0 {
		a.t.Fatalf("no error; want %s\nresponse: %.2000s", code, r.raw)
	}
	e := r.Errors[0]
	if e.Extensions.Code != code || (field != "" && e.Extensions.Field != field) {
		a.t.Fatalf("error %.300q code %q field %q; want code %q field %q", e.Message, e.Extensions.Code,
			e.Extensions.Field, code, field)
	}
	if len(r.raw) > 4096 {
		a.t.Fatalf("refusal is %d bytes long: %.500s...", len(r.raw), r.raw)
	}
	return r
}

// nestedFragments is issue 8's query of fragments that each spread the
// one before twice: levels deep, 2^levels fields once expanded.
func nestedFragments(levels int, on, root, leaf string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{ %s }\nfragment F0 on %s { %s }\n", strings.ReplaceAll(root, "$", fmt.Sprintf("...F%d", levels)), on, leaf)
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d }\n", i, on, i-1, i-1)
	}
	return b.String()
}

// repeated is "{" + n copies of format (given the copy's number) + "}".
func repeated(n int, format string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if strings.Contains(format, "%") {
			fmt.Fprintf(&b, format, i)
		} else {
			b.WriteString(format)
		}
	}
	b.WriteString("}")
	return b.String()
}

func TestHostileOperations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{Introspection: true})
		introspect := `__schema { types { name fields { name type { name ofType { name } } } } }`
		cases := []struct {
			name, query string
			code        string
		}{
			// 1. Fragment spreads are priced once per fragment, not walked
			// 2^26 times.
			{"nested fragment spreads", nestedFragments(26, "Query", "$", "users { totalCount }"), "COMPLEXITY_LIMIT_EXCEEDED"},
			{"nested fragment spreads under a connection",
				nestedFragments(26, "UserConnection", "users { $ }", "totalCount"), "COMPLEXITY_LIMIT_EXCEEDED"},
			{"nested fragment spreads of __typename", nestedFragments(26, "Query", "$", "__typename"), "COMPLEXITY_LIMIT_EXCEEDED"},
			// 2. Root fields and aliases are counted.
			{"5,000 aliased root fields", repeated(5000, " a%d: users { totalCount }"), "GRAPHQL_PARSE_FAILED"},
			{"51 aliased root fields", repeated(51, " a%d: users { totalCount }"), "COMPLEXITY_LIMIT_EXCEEDED"},
			{"101 nested aliases", "{ groups(first: 1) { edges { node " +
				repeated(101, " a%d: members { totalCount }") + " } } }", "COMPLEXITY_LIMIT_EXCEEDED"},
			{"aliases multiplied by fragments", "{ groups(first: 1) { edges { node { ...F9 } } } }\n" +
				nestedFragments(9, "Group", "", "a: members { totalCount }")[len("{  }\n"):], "COMPLEXITY_LIMIT_EXCEEDED"},
			// 3. The parser stops at the token limit; one name repeated
			// by the thousand is refused before validation compares them.
			{"20,000 __typename", "{" + strings.Repeat(" __typename", 20000) + "}", "GRAPHQL_PARSE_FAILED"},
			{"2,000 __typename", "{" + strings.Repeat(" __typename", 2000) + "}", "COMPLEXITY_LIMIT_EXCEEDED"},
			{"2,000 __typename through fragments", "{ ...A ...B }" +
				" fragment A on Query {" + strings.Repeat(" __typename", 1000) + "}" +
				" fragment B on Query {" + strings.Repeat(" __typename", 1000) + "}", "COMPLEXITY_LIMIT_EXCEEDED"},
			{"2,000 identical root fields", repeated(2000, " users { totalCount }"), "COMPLEXITY_LIMIT_EXCEEDED"},
			// 4. Introspection counts.
			{"3,000 aliased __schema", repeated(3000, " s%d: "+introspect), "GRAPHQL_PARSE_FAILED"},
			{"6 aliased __schema", repeated(6, " s%d: "+introspect), "COMPLEXITY_LIMIT_EXCEEDED"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a.with(t).refused(a.platform, c.query, nil, c.code, "")
			})
		}

		// What sits at the limits still runs.
		a.ok(a.platform, repeated(50, " a%d: users { totalCount }"), nil, nil)
		a.ok(a.platform, repeated(5, " s%d: "+introspect), nil, nil)
		a.ok(a.platform, "{"+strings.Repeat(" __typename", 100)+"}", nil, nil)
		a.ok(a.platform, nestedFragments(6, "Query", "$", "a: users { totalCount } __typename"), nil, nil)
	})
}

// TestIntrospectionPriced: introspection fields count in the complexity
// limit like any other.
func TestIntrospectionPriced(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite").Client, "sqlite3", Config{Introspection: true, MaxComplexity: 15})
	a.ok(a.platform, `{ __schema { queryType { name } } }`, nil, nil)
	big := `{ __schema { types { name kind description fields { name description args { name type { name } }
		type { name kind ofType { name kind ofType { name kind } } } } } } }`
	r := a.refused(a.platform, big, nil, "COMPLEXITY_LIMIT_EXCEEDED", "")
	if !strings.Contains(r.Errors[0].Message, "complexity") {
		t.Fatalf("message %q does not name the complexity", r.Errors[0].Message)
	}
}

// TestIntrospectionForReadOnlyKeys: the operator may refuse introspection
// to keys that cannot write.
func TestIntrospectionForReadOnlyKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		readKey := newOrgKey(t, s.Client, access.OrgRead, org.ID)
		adminKey := newOrgKey(t, s.Client, access.OrgAdmin, org.ID)
		const q = `{ __type(name: "User") { name } }`
		const spread = `{ ...Q } fragment Q on Query { __schema { queryType { name } } }`

		on := newAPI(t, s.Client, s.Dialect, Config{Introspection: true})
		on.ok(readKey, q, nil, nil)

		off := newAPI(t, s.Client, s.Dialect, Config{Introspection: true, NoReadOnlyIntrospection: true})
		off.refused(readKey, q, nil, "INTROSPECTION_DISABLED", "")
		off.refused(readKey, spread, nil, "INTROSPECTION_DISABLED", "")
		off.ok(readKey, `{ users { __typename totalCount } }`, nil, nil)
		off.ok(adminKey, q, nil, nil)
		off.ok(off.platform, spread, nil, nil)
	})
}

func TestHostileBodies(t *testing.T) {
	a := newAPI(t, storetest.Open(t, "sqlite").Client, "sqlite3", Config{})

	// Over the limit: 413 without reading it all, and nothing echoed.
	huge := []byte(`{"query": "{ users { totalCount } }", "variables": {"x": "` + strings.Repeat("A", 2<<20) + `"}}`)
	r := a.refusedBody(a.platform, huge, "PAYLOAD_TOO_LARGE", "")
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d; want 413", r.status)
	}

	// A smaller configured limit holds too, also without a Content-Length.
	small := newAPI(t, a.client, "sqlite3", Config{MaxBodyBytes: 1000})
	body := []byte(`{"query": "{ users { totalCount } }", "variables": {"x": "` + strings.Repeat("A", 1000) + `"}}`)
	req, _ := http.NewRequest(http.MethodPost, small.srv.URL, io.MultiReader(bytes.NewReader(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+small.platform)
	if r := small.send(req); r.status != http.StatusRequestEntityTooLarge || len(r.Errors) == 0 ||
		r.Errors[0].Extensions.Code != "PAYLOAD_TOO_LARGE" {
		t.Fatalf("chunked body over the limit: status %d %.500s", r.status, r.raw)
	}
	small.ok(small.platform, `{ users { totalCount } }`, nil, nil)

	// Invalid JSON under the limit: refused, not echoed.
	invalid := []byte(`{"query": "` + strings.Repeat("B", 500_000))
	r = a.refusedBody(a.platform, invalid, "BAD_REQUEST", "")
	if r.status != http.StatusBadRequest || strings.Contains(r.raw, "BBBB") {
		t.Fatalf("invalid body: status %d, %.500s", r.status, r.raw)
	}
	// A long token is not echoed in full either.
	r = a.refused(a.platform, "{ "+strings.Repeat("c", 200_000)+" }", nil, "GRAPHQL_VALIDATION_FAILED", "")
	if strings.Contains(r.raw, strings.Repeat("c", 2000)) {
		t.Fatalf("long token echoed: %.500s", r.raw)
	}
}

// TestDeadline: every request runs under the configured deadline, which
// reaches the data layer, and the caller is told TIMEOUT.
func TestDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var stall atomic.Bool
		var sawDeadline atomic.Int64
		s.Client.User.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
			return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
				if d, ok := ctx.Deadline(); ok {
					sawDeadline.Store(int64(time.Until(d)))
				}
				if stall.Load() {
					<-ctx.Done()
				}
				return next.Query(ctx, q)
			})
		}))
		a := newAPI(t, s.Client, s.Dialect, Config{})
		a.ok(a.platform, `{ users { totalCount } }`, nil, nil)
		if d := time.Duration(sawDeadline.Load()); d < 25*time.Second || d > 30*time.Second {
			t.Fatalf("deadline seen by the data layer: %v; want about the default 30s", d)
		}

		short := newAPI(t, s.Client, s.Dialect, Config{Timeout: 300 * time.Millisecond})
		stall.Store(true)
		short.refused(short.platform, `{ users { totalCount } }`, nil, "TIMEOUT", "")
		stall.Store(false)

		if s.Dialect != "postgres" {
			return
		}
		// On PostgreSQL, a statement waiting on a lock is cancelled at the
		// deadline rather than left behind.
		ctx := context.Background()
		tx, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "LOCK TABLE users IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		short.refused(short.platform, `{ users { totalCount } }`, nil, "TIMEOUT", "")
		waiting := -1
		for range 20 {
			err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
				AND query ILIKE '%FROM "users"%'`).Scan(&waiting)
			if err != nil {
				t.Fatal(err)
			}
			if waiting == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if waiting != 0 {
			t.Fatalf("%d statements still waiting after the deadline", waiting)
		}
	})
}

// TestHostileWhere: where inputs are bounded before any SQL, on both
// databases, inline and through variables; what sits at the bounds runs.
func TestHostileWhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		const q = `query($w: UserWhereInput) { users(where: $w) { totalCount } }`
		branches := func(n int) []any {
			out := make([]any, n)
			for i := range out {
				out[i] = map[string]any{"userName": fmt.Sprintf("u%d", i)}
			}
			return out
		}
		values := func(n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprintf("u%d", i)
			}
			return out
		}
		cases := []struct {
			name  string
			where map[string]any
			field string
		}{
			{"20,000 or branches", map[string]any{"or": branches(20000)}, "$w"},
			{"300,000 empty objects", map[string]any{"or": empties(300_000)}, "$w"},
			{"1,001 objects", map[string]any{"or": branches(1001)}, "$w"},
			{"201 predicates", map[string]any{"or": branches(200)}, "where"},
			{"deep not", deepNot(300), "where"},
			{"100,000 values in one list", map[string]any{"userNameIn": values(100_000)}, "where.userNameIn"},
			{"1,001 values in one list", map[string]any{"userNameIn": values(1001)}, "where.userNameIn"},
			{"1,001 values in two lists", map[string]any{"userNameIn": values(600),
				"and": []any{map[string]any{"displayNameNotIn": values(401)}}}, "where.userNameIn"},
			{"100 KB string", map[string]any{"userNameContains": strings.Repeat("x", 100_000)}, "where.userNameContains"},
			{"nested long string", map[string]any{"not": map[string]any{"hasGroupsWith": []any{
				map[string]any{"displayNameEqualFold": strings.Repeat("é", 2049)}}}}, "where.not.hasGroupsWith[0].displayNameEqualFold"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a.with(t).refused(a.platform, q, map[string]any{"w": c.where}, "BAD_USER_INPUT", c.field)
			})
		}
		t.Run("inline", func(t *testing.T) {
			a := a.with(t)
			a.refused(a.platform, `{ users(where: {userNameContains: "`+strings.Repeat("y", 5000)+`"}) { totalCount } }`,
				nil, "BAD_USER_INPUT", "where.userNameContains")
			var ors strings.Builder
			for i := range 300 {
				fmt.Fprintf(&ors, `{userName: "u%d"} `, i)
			}
			a.refused(a.platform, `{ groups(first: 1) { edges { node { members(where: {or: [`+ors.String()+`]}) { totalCount } } } } }`,
				nil, "BAD_USER_INPUT", "where")
		})
		t.Run("5 MB string", func(t *testing.T) {
			a.with(t).refused(a.platform, q, map[string]any{"w": map[string]any{
				"userNameContains": strings.Repeat("x", 5<<20)}}, "PAYLOAD_TOO_LARGE", "")
		})
		t.Run("at the bounds", func(t *testing.T) {
			a := a.with(t)
			for _, w := range []map[string]any{
				{"or": branches(199)},
				{"userNameIn": values(1000)},
				{"userNameContains": strings.Repeat("x", 4096)},
				{"userNameContainsFold": strings.Repeat("é", 2048)},
				deepNot(199),
			} {
				var data struct{ Users struct{ TotalCount int } }
				a.ok(a.platform, q, map[string]any{"w": w}, &data)
			}
		})
	})
}

// deepNot is {not: {not: ... {userName: "x"}}}, n levels.
func deepNot(n int) map[string]any {
	w := map[string]any{"userName": "x"}
	for range n {
		w = map[string]any{"not": w}
	}
	return w
}

// empties is n empty input objects.
func empties(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{}
	}
	return out
}
