package graph

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestSearchFinds: users(where: {query:}) finds a part of the userName,
// a name or any email without regard to case, on both databases, with the
// trigram pre-test of the emails on PostgreSQL; wildcards and JSON's
// escaped characters are matched as themselves.
func TestSearchFinds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		org := newSeededOrg(t, s.Client, s.Dialect, "Find", 30)
		ctx := access.PlatformContext(context.Background())
		s.Client.User.Create().SetOrganizationID(org.org).SetDirectoryID(org.dir).SetUserName("odd").
			SetEmails([]schematype.MultiValue{{Value: `Quote"Back\slash_100%@Odd.Example`}}).ExecX(domain.Seeding(ctx)) // a fixture
		cases := []struct {
			query string
			want  int
		}{
			{"user0007", 1},
			{"USER0007@FIND", 1},
			{"alias12@", 1},       // a non-primary email
			{"ALIAS2", 11},        // alias2, alias20..29
			{"given1", 11},        // Given1, Given10..19
			{"family29", 1},       // familyName
			{"person 3", 1},       // displayName
			{"other.example", 30}, // every user's second email
			{`quote"back`, 1},
			{`back\slash`, 1},
			{"slash_100%", 1},
			{"r_0", 0}, // _ is no wildcard
			{"%", 1},   // nor is %
			{"nobody", 0},
			// A full name: each word in the given or the family name, in
			// any order and case.
			{"Given7 Family7", 1},
			{"family12 GIVEN12", 1},
			{"given1 family2", 0}, // Given1x and Family2x are never one user
			{"given7 nobody", 0},
		}
		for _, c := range cases {
			var data struct{ Users struct{ TotalCount int } }
			a.ok(org.key, `query($q: String) { users(where: {query: $q}) { totalCount } }`,
				map[string]any{"q": c.query}, &data)
			if data.Users.TotalCount != c.want {
				t.Errorf("query %q: %d users; want %d", c.query, data.Users.TotalCount, c.want)
			}
		}
	})
}

// argsRecorder is an ent driver that keeps the queries it runs with their
// arguments, for EXPLAIN.
type argsRecorder struct {
	dialect.Driver
	mu      sync.Mutex
	queries []recordedQuery
}

type recordedQuery struct {
	query string
	args  []any
}

// Query implements dialect.Driver.
func (r *argsRecorder) Query(ctx context.Context, query string, args, v any) error {
	a, _ := args.([]any)
	r.mu.Lock()
	r.queries = append(r.queries, recordedQuery{query, a})
	r.mu.Unlock()
	return r.Driver.Query(ctx, query, args, v)
}

// during returns the queries recorded while f runs.
func (r *argsRecorder) during(f func()) []recordedQuery {
	r.mu.Lock()
	r.queries = nil
	r.mu.Unlock()
	f()
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.queries)
}

// QueryContext implements the raw queries of ent's execquery feature.
func (r *argsRecorder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

// TestSearchUsesTrigramIndexes: on PostgreSQL, with fresh statistics, a
// search of 10,000 users reads the trigram indexes (a bitmap over the
// user_*_trgm indexes), never the whole users table.
func TestSearchUsesTrigramIndexes(t *testing.T) {
	s := storetest.Open(t, "postgres")
	rec := &argsRecorder{Driver: entsql.OpenDB(s.Dialect, s.DB)}
	a := newAPI(t, ent.NewClient(ent.Driver(rec)), s.Dialect, Config{})
	org := newSeededOrg(t, s.Client, s.Dialect, "Plan", 10_000)
	newSeededOrg(t, s.Client, s.Dialect, "Other", 2_000)
	ctx := context.Background()
	if _, err := s.DB.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`{ users(where: {query: "user0042"}) { totalCount } }`,
		`{ users(first: 10, where: {query: "alias777"}) { edges { node { id } } } }`,
		`{ users(where: {or: [{query: "given123"}, {query: "family9876"}]}) { totalCount } }`,
		`{ users(where: {query: "family123 given123"}) { totalCount } }`, // a full name
	} {
		qs := rec.during(func() { a.ok(org.key, q, nil, nil) })
		explained := 0
		for _, rq := range qs {
			if !strings.Contains(rq.query, "ILIKE") {
				continue
			}
			explained++
			nodes := planNodes(t, s, rq)
			var trgm []string
			for _, n := range nodes {
				if rel, _ := n["Relation Name"].(string); n["Node Type"] == "Seq Scan" && rel == "users" {
					t.Errorf("%s: sequential scan of users\nquery: %s", q, rq.query)
				}
				if idx, _ := n["Index Name"].(string); strings.HasSuffix(idx, "_trgm") {
					trgm = append(trgm, idx)
				}
			}
			if len(trgm) < 6 {
				t.Errorf("%s: trigram indexes used: %v; want the six of the search\nquery: %s", q, trgm, rq.query)
			}
		}
		if explained == 0 {
			t.Fatalf("%s: no search statement ran", q)
		}
	}
}

// planNodes returns every node of the JSON plan of q.
func planNodes(t *testing.T, s *store.Store, q recordedQuery) []map[string]any {
	t.Helper()
	var raw string
	if err := s.DB.QueryRowContext(context.Background(), "EXPLAIN (FORMAT JSON) "+q.query, q.args...).Scan(&raw); err != nil {
		t.Fatalf("explain %s: %v", q.query, err)
	}
	var doc []map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		out = append(out, n)
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				walk(m)
			}
		}
	}
	walk(doc[0]["Plan"].(map[string]any))
	if testing.Verbose() {
		fmt.Println(raw)
	}
	return out
}
