package scim_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// recorder is a driver that counts the statements sent through it and
// keeps the last queries with their arguments, for EXPLAIN.
type recorder struct {
	dialect.Driver
	n       atomic.Int64
	mu      sync.Mutex
	queries []recorded
}

type recorded struct {
	query string
	args  []any
}

func (d *recorder) note(query string, args any) {
	d.n.Add(1)
	a, _ := args.([]any)
	d.mu.Lock()
	d.queries = append(d.queries, recorded{query, a})
	d.mu.Unlock()
}

func (d *recorder) Exec(ctx context.Context, query string, args, v any) error {
	d.note(query, args)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *recorder) Query(ctx context.Context, query string, args, v any) error {
	d.note(query, args)
	return d.Driver.Query(ctx, query, args, v)
}

func (d *recorder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d.note(query, args)
	return d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

func (d *recorder) Tx(ctx context.Context) (dialect.Tx, error) {
	d.n.Add(1) // BEGIN; its statements are counted by the debug wrapper below
	return dialect.DebugWithContext(d.Driver, func(_ context.Context, v ...any) {
		d.n.Add(1)
		d.mu.Lock()
		d.queries = append(d.queries, recorded{query: fmt.Sprint(v...)})
		d.mu.Unlock()
	}).Tx(ctx)
}

func (d *recorder) reset() {
	d.n.Store(0)
	d.mu.Lock()
	d.queries = nil
	d.mu.Unlock()
}

// countedEnv serves e's directory from a second handler whose statements
// rec sees, with a request log written through the same counted client
// only when the test flushes it (the server writes it in the background).
func countedEnv(t *testing.T, st *store.Store) (*env, *recorder) {
	e, rec, _ := countedLoggedEnv(t, st)
	return e, rec
}

// countedLoggedEnv is countedEnv with its request log.
func countedLoggedEnv(t *testing.T, st *store.Store) (*env, *recorder, *domain.RequestLog) {
	rec := &recorder{Driver: entsql.OpenDB(st.Dialect, st.DB)}
	counted := &store.Store{DB: st.DB, Dialect: st.Dialect, Client: ent.NewClient(ent.Driver(rec))}
	e := newEnv(t, st, "generic")
	log := domain.New(counted.Client, st.Dialect).NewRequestLog(domain.RequestLogConfig{Interval: time.Hour})
	srv := httptest.NewServer(scim.NewHandler(counted, scim.Options{Requests: log}))
	t.Cleanup(srv.Close)
	e.base = srv.URL + strings.TrimPrefix(e.base, e.srv.URL)
	return e, rec, log
}

// TestStatementsPerRequest guards the round trips of the hot requests,
// once the credential is cached (authentication then costs none). Every
// request is logged to the directory's request log, which costs a request
// no statement: the log is written afterwards, all of it in one INSERT.
func TestStatementsPerRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, rec, log := countedLoggedEnv(t, st)
		ids := seedUsers(t, e, 300)
		g := e.must(201, "POST", "/Groups", groupBody("Big", ids[:200]...))
		mapped := e.must(201, "POST", "/Groups", groupBody("Mapped", ids[200:210]...))
		mapRole(t, st, e, id(mapped))
		e.must(200, "GET", "/Users/"+ids[0], nil) // warms the credential cache

		cases := []struct {
			name, method, path string
			body               any
			max                int64
		}{
			// The user joined with its groups: one statement (userread.go).
			{"GET user by id", "GET", "/Users/" + ids[7], nil, 1},
			{"GET user in a group", "GET", "/Users/" + ids[205], nil, 1},
			{"filter userName eq", "GET", `/Users?filter=userName+eq+"USER000042@example.com"`, nil, 1},
			{"list 50", "GET", "/Users?count=50", nil, 3},
			{"list 50 deep", "GET", "/Users?startIndex=251&count=50", nil, 3},
			{"GET group with 200 members", "GET", "/Groups/" + id(g), nil, 2},
			// BEGIN (counted twice: the driver's and the debug log's),
			// group FOR UPDATE, version bump and its re-read, the insert
			// returning who joined, the group's role keys, the joined
			// users, their events, COMMIT: none of them reads the 200
			// members, and the response does not send them. (The NOTIFY
			// is the events table's trigger: no statement.)
			{"PATCH add one member", "PATCH", "/Groups/" + id(g), patchBody(op("add", "members", memberValues(ids[250:251]))), 10},
			// With a role mapped, one statement more: the joined users'
			// mapped keys and the default role (roles.Through).
			{"PATCH add one member, role mapped", "PATCH", "/Groups/" + id(mapped), patchBody(op("add", "members", memberValues(ids[251:252]))), 11},
			// BEGIN (twice), the userName look-up, the default role, the
			// insert, its event, COMMIT.
			{"POST user", "POST", "/Users", userBody("new.user@example.com", "New", "User"), 7},
			// BEGIN (twice), the user FOR UPDATE, the update and its
			// re-read, the user's effective roles (memberships, mappings,
			// default role), the events (user.deactivated,
			// user.roles_changed), COMMIT.
			{"PATCH active=false", "PATCH", "/Users/" + ids[252], patchBody(op("replace", "active", false)), 10},
			// BEGIN (twice), the user FOR UPDATE, the update and its
			// re-read, its event (user.updated), COMMIT, then the user's
			// groups for the answer: a change that leaves the user's
			// display (displayName, else userName) alone writes no
			// membership.
			{"PATCH title of a member", "PATCH", "/Users/" + ids[10], patchBody(op("replace", "title", "Engineer")), 8},
			// The same and one UPDATE of the user's memberships, which
			// keep its display (issue 17), however many groups it is in.
			{"PATCH displayName of a member", "PATCH", "/Users/" + ids[11], patchBody(op("replace", "displayName", "Eleven")), 9},
		}
		for _, c := range cases {
			rec.reset()
			want := 200
			switch {
			case c.method == "POST":
				want = 201
			case c.method == "PATCH" && strings.HasPrefix(c.path, "/Groups/"):
				want = 204 // nothing asked back: no body (RFC 7644 §3.5.2)
			}
			e.must(want, c.method, c.path, c.body)
			if got := rec.n.Load(); got > c.max {
				rec.mu.Lock()
				t.Errorf("%s: %d statements; want at most %d:\n%v", c.name, got, c.max, rec.queries)
				rec.mu.Unlock()
			} else {
				t.Logf("%s: %d statements", c.name, got)
				if testing.Verbose() {
					rec.mu.Lock()
					for _, q := range rec.queries {
						t.Logf("  %.160s", q.query)
					}
					rec.mu.Unlock()
				}
			}
		}
		// The log's write, afterwards: BEGIN (counted twice), one INSERT of
		// every entry, COMMIT.
		rec.reset()
		if err := log.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, logged := rec.n.Load(), log.Written(); got > 4 || logged < uint64(len(cases)) {
			t.Errorf("the request log wrote %d entries in %d statements; want at least %d in at most 4", logged, got, len(cases))
		}
	})
}

// TestDeepPagesAndTotals: keyset paging under startIndex returns exactly
// the rows offset paging would, and totals follow creations and deletions.
func TestDeepPagesAndTotals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "generic")
		other := newEnv(t, st, "generic")
		ids := seedUsers(t, e, 230)
		seedUsers(t, other, 40)
		for _, start := range []int{1, 2, 50, 199, 229, 230, 231, 400} {
			r := e.must(200, "GET", fmt.Sprintf("/Users?startIndex=%d&count=25", start), nil)
			if total(r) != 230 {
				t.Fatalf("startIndex %d: totalResults %d; want 230", start, total(r))
			}
			res, _ := r.body["Resources"].([]any)
			lo, hi := min(start-1, 230), min(start-1+25, 230)
			if len(res) != hi-lo {
				t.Fatalf("startIndex %d: %d resources; want %d", start, len(res), hi-lo)
			}
			for i, x := range res {
				if got := x.(map[string]any)["id"]; got != ids[lo+i] {
					t.Fatalf("startIndex %d: resource %d is %v; want %s", start, i, got, ids[lo+i])
				}
			}
		}
		e.must(204, "DELETE", "/Users/"+ids[3], nil)
		e.must(201, "POST", "/Users", userBody("new@example.com", "N", "N"))
		r := e.must(200, "GET", "/Users?startIndex=4&count=1", nil)
		if total(r) != 230 || r.body["Resources"].([]any)[0].(map[string]any)["id"] != ids[4] {
			t.Fatalf("after a delete and a create: %s", r.raw)
		}
		if n := total(e.must(200, "GET", "/Users?count=0", nil)); n != 230 {
			t.Fatalf("count=0: totalResults %d", n)
		}
		if n := total(e.must(200, "GET", `/Users?filter=userName+sw+"user0001"&count=5`, nil)); n != 100 {
			t.Fatalf("filtered total %d; want 100", n)
		}
	})
}

// TestListQueriesUseIndexes runs EXPLAIN on the statements of list
// requests, first page and deep, after the statistics are fresh: they read
// the (directory_id, ...) indexes and never sort or scan a whole table.
// Another directory's users are written first, so their ids come before
// the listed directory's: a plan that walks the primary key in id order
// and filters on the directory passes all of them before the page's first
// row (PostgreSQL chose that plan; at 1,000,000 users after 100,000 of
// other directories a first page took 0.13x of its time at 1,000 users).
func TestListQueriesUseIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, rec := countedEnv(t, st)
		other := newEnv(t, st, "generic")
		seedUsers(t, other, 3000)
		seedUsers(t, e, 6000)
		seedGroups(t, other, 1500)
		seedGroups(t, e, 3000)
		analyze(t, st)
		e.must(200, "GET", "/Users?count=1", nil) // warms the credential cache
		// A cursor 2,000 users in (RFC 9865): its page reads from the index.
		deep := ""
		for range 2 {
			r := e.must(200, "GET", "/Users?count=1000&cursor="+deep, nil)
			deep = r.body["nextCursor"].(string)
		}
		back := e.must(200, "GET", "/Users?count=50&cursor="+deep, nil).body["previousCursor"].(string)
		for _, path := range []string{
			"/Users?count=50", "/Users?startIndex=2900&count=50",
			"/Users?sortBy=meta.created&count=50", "/Users?sortBy=meta.lastModified&sortOrder=descending&count=50",
			"/Users?count=50&cursor=" + deep, "/Users?count=50&cursor=" + back,
			"/Groups?count=50&excludedAttributes=members", "/Groups?startIndex=1400&count=50&excludedAttributes=members",
			"/Groups?count=50&cursor&excludedAttributes=members",
			// Filtered: the matches, found by the (directory_id,
			// user_name_key) index, may be sorted.
			"/Users?count=50&filter=" + url.QueryEscape(`userName sw "user0001"`),
			"/Users?count=50&cursor&filter=" + url.QueryEscape(`userName sw "user0001"`),
			"/Groups?count=50&excludedAttributes=members&filter=" + url.QueryEscape(`displayName sw "group 0001"`),
		} {
			rec.reset()
			e.must(200, "GET", path, nil)
			rec.mu.Lock()
			qs := rec.queries
			rec.mu.Unlock()
			explained := 0
			for _, q := range qs {
				if !strings.Contains(q.query, `FROM "users"`) && !strings.Contains(q.query, "FROM `users`") &&
					!strings.Contains(q.query, `FROM "groups"`) && !strings.Contains(q.query, "FROM `groups`") {
					continue
				}
				explained++
				plan := explain(t, st, q)
				if bad := badPlan(st.Dialect, plan, strings.Contains(path, "filter=")); bad != "" {
					t.Errorf("%s: %s\nquery: %s\nplan: %s", path, bad, q.query, plan)
				}
			}
			if explained == 0 {
				t.Errorf("%s: no statement read users or groups", path)
			}
		}
	})
}

// seedGroups inserts n groups without members into the env's directory.
func seedGroups(t *testing.T, e *env, n int) {
	t.Helper()
	ctx := domain.Seeding(access.PlatformContext(context.Background())) // bulk fixtures, written directly
	for start := 0; start < n; start += 2000 {
		batch := make([]*ent.GroupCreate, 0, 2000)
		for i := start; i < min(n, start+2000); i++ {
			batch = append(batch, e.store.Client.Group.Create().
				SetOrganizationID(e.org.ID).SetDirectoryID(e.dir.ID).SetDisplayName(fmt.Sprintf("group %06d", i)))
		}
		e.store.Client.Group.CreateBulk(batch...).ExecX(ctx)
	}
}

func explain(t *testing.T, st *store.Store, q recorded) string {
	t.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	if st.Dialect == dialect.Postgres {
		prefix = "EXPLAIN (FORMAT JSON) "
	}
	rows, err := st.DB.QueryContext(context.Background(), prefix+q.query, q.args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q.query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprint(&out, v, " ")
		}
		out.WriteString("\n")
	}
	return out.String()
}

// badPlan names what is wrong with a plan: a full scan of users or groups,
// a sort of the page (unless sorted, the plan of a filtered list, may
// sort its matches), or (PostgreSQL) a read of users or groups that
// filters on the directory instead of finding its rows in an index: a walk
// of the primary key past other directories' rows.
func badPlan(dia, plan string, sorted bool) string {
	if dia == dialect.Postgres {
		return firstBadNode(plan, func(n map[string]any) string {
			rel, _ := n["Relation Name"].(string)
			switch n["Node Type"] {
			case "Seq Scan":
				if rel == "users" || rel == "groups" {
					return "sequential scan of " + rel
				}
			case "Sort":
				if !sorted {
					return "sort"
				}
			}
			filter, _ := n["Filter"].(string)
			cond, _ := n["Index Cond"].(string)
			if (rel == "users" || rel == "groups") && strings.Contains(filter, "directory_id") &&
				!strings.Contains(cond, "directory_id") {
				return fmt.Sprintf("%s read by %v, filtered on the directory", rel, n["Index Name"])
			}
			return ""
		})
	}
	switch {
	case strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") && !sorted:
		return "sort"
	case strings.Contains(plan, "SCAN users") && !strings.Contains(plan, "SCAN users USING"),
		strings.Contains(plan, "SCAN groups") && !strings.Contains(plan, "SCAN groups USING"):
		return "full scan"
	}
	return ""
}

// TestGroupMembersPlan: the members of a group are read from the group's
// memberships alone, by their primary key's index in its order: each
// membership keeps its user's display, so no users are read (issue 17;
// a look-up of each member's user was most of a group GET, and with fresh
// statistics PostgreSQL had preferred hashing the directory's users).
func TestGroupMembersPlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e, rec := countedEnv(t, st)
		ids := seedUsers(t, e, 3000)
		g := e.must(201, "POST", "/Groups", groupBody("Big", ids[2000:]...))
		e.must(201, "POST", "/Groups", groupBody("Other", ids[:2000]...))
		analyze(t, st)
		e.must(200, "GET", "/Users?count=1", nil) // warms the credential cache
		rec.reset()
		r := e.must(200, "GET", "/Groups/"+id(g), nil)
		if n := len(r.body["members"].([]any)); n != 1000 {
			t.Fatalf("%d members; want 1000", n)
		}
		rec.mu.Lock()
		qs := rec.queries
		rec.mu.Unlock()
		explained := 0
		for _, q := range qs {
			if !strings.Contains(q.query, "memberships") {
				continue
			}
			explained++
			plan := explain(t, st, q)
			if bad := memberPagePlan(st.Dialect, plan); bad != "" {
				t.Errorf("the member read %s\nquery: %s\nplan: %s", bad, q.query, plan)
			}
		}
		if explained == 0 {
			t.Fatal("no member read ran")
		}
	})
}

// mapRole maps a new role to group g of e's directory, and makes another
// the organization's default.
func mapRole(t *testing.T, st *store.Store, e *env, g string) {
	t.Helper()
	ctx := access.PlatformContext(context.Background())
	svc := domain.New(st.Client, st.Dialect)
	r, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: e.org.ID, Key: "admin", Name: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	def, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: e.org.ID, Key: "viewer", Name: "Viewer"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetDefaultRole(ctx, e.org.ID, &def.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetGroupRoles(ctx, uuid.MustParse(g), []uuid.UUID{r.ID}); err != nil {
		t.Fatal(err)
	}
}

// memberPagePlan names what is wrong with the plan of a page of members:
// it reads a table other than memberships, does not read the group's
// memberships from an index in key order, or sorts them.
func memberPagePlan(dia, plan string) string {
	if dia != dialect.Postgres {
		// The page's subquery (a co-routine, p) searches the primary key;
		// the aggregate scans p. Nothing else is read or sorted.
		searched := false
		for _, line := range strings.Split(strings.TrimSpace(plan), "\n") {
			switch {
			case strings.Contains(line, "SEARCH memberships USING INDEX sqlite_autoindex_memberships_1 (group_id=?"),
				strings.Contains(line, "SEARCH memberships USING COVERING INDEX sqlite_autoindex_memberships_1 (group_id=?"):
				searched = true
			case strings.HasSuffix(strings.TrimSpace(line), "CO-ROUTINE p"), strings.HasSuffix(strings.TrimSpace(line), "SCAN p"):
			default:
				return "does more than search the memberships' primary key by group: " + line
			}
		}
		if !searched {
			return "does not search the memberships' primary key by group"
		}
		return ""
	}
	return firstBadNode(plan, func(n map[string]any) string {
		if rel, ok := n["Relation Name"].(string); ok {
			cond, _ := n["Index Cond"].(string)
			switch {
			case rel != "memberships":
				return "reads " + rel
			case n["Index Name"] != "memberships_pkey" || !strings.Contains(cond, "group_id ="):
				return fmt.Sprintf("reads memberships by %v (%s), not by group on the primary key", n["Index Name"], cond)
			}
		}
		if n["Node Type"] == "Sort" {
			return "sorts"
		}
		return ""
	})
}

// firstBadNode walks the nodes of plan, PostgreSQL's EXPLAIN (FORMAT
// JSON), parents first, and returns the first complaint of bad about one,
// or "" when it has none.
func firstBadNode(plan string, bad func(node map[string]any) string) string {
	var doc []map[string]any
	if err := json.Unmarshal([]byte(plan), &doc); err != nil || len(doc) == 0 {
		return fmt.Sprintf("has an unreadable plan (%v): %.200s", err, plan)
	}
	var walk func(n map[string]any) string
	walk = func(n map[string]any) string {
		if complaint := bad(n); complaint != "" {
			return complaint
		}
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				if complaint := walk(m); complaint != "" {
					return complaint
				}
			}
		}
		return ""
	}
	root, _ := doc[0]["Plan"].(map[string]any)
	return walk(root)
}
