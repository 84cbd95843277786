package graph

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// seededOrg is an organization with one directory of seeded users and an
// org_read key.
type seededOrg struct {
	org, dir uuid.UUID
	key      string
}

// newSeededOrg creates an organization with a directory of n users (bulk
// inserted: user0000@name.example ... with given and family names) and an
// org_read key.
func newSeededOrg(t testing.TB, c *ent.Client, dia, name string, n int) seededOrg {
	t.Helper()
	ctx := access.PlatformContext(context.Background())
	svc := domain.New(c, dia)
	org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: schematype.ProviderOkta})
	if err != nil {
		t.Fatal(err)
	}
	for from := 0; from < n; from += 1000 {
		var bulk []*ent.UserCreate
		for i := from; i < min(n, from+1000); i++ {
			un := fmt.Sprintf("user%04d@%s.example", i, strings.ToLower(name))
			bulk = append(bulk, c.User.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.Directory.ID).
				SetUserName(un).SetPrimaryEmail(un).SetGivenName(fmt.Sprintf("Given%d", i)).
				SetFamilyName(fmt.Sprintf("Family%d", i)).SetDisplayName(fmt.Sprintf("Person %d", i)).
				SetEmails([]schematype.MultiValue{{Value: un, Primary: true}, {Value: fmt.Sprintf("alias%d@other.example", i)}}))
		}
		if err := c.User.CreateBulk(bulk...).Exec(domain.Seeding(ctx)); err != nil { // bulk fixtures
			t.Fatalf("seed users: %v", err)
		}
	}
	return seededOrg{org: org.ID, dir: dir.Directory.ID, key: newOrgKey(t, c, access.OrgRead, org.ID)}
}

// costOf runs query with key and returns extensions.cost.requestedQueryCost.
func (a *api) costOf(key, query string, vars map[string]any) int {
	a.t.Helper()
	r := a.do(key, query, vars)
	if len(r.Errors) > 0 {
		a.t.Fatalf("errors: %s", r.raw)
	}
	var ext struct {
		Extensions struct {
			Cost struct{ RequestedQueryCost int }
		}
	}
	if err := json.Unmarshal([]byte(r.raw), &ext); err != nil {
		a.t.Fatal(err)
	}
	return ext.Extensions.Cost.RequestedQueryCost
}

// costBomb is issue 15's operation: n aliases of users(where: {or: [4
// searches]}) { totalCount }.
func costBomb(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, ` a%d: users(where: {or: [{query: "ab%d"} {query: "@"} {query: "user%d"} {query: "x.y"}]}) { totalCount }`, i, i, i)
	}
	b.WriteString("}")
	return b.String()
}

// TestCostFollowsSQL: a where argument that reads every user costs in
// proportion to the organization's users, so issue 15's cost bomb (once
// 100 points for 11 s of SQL) is refused before any SQL runs, while one
// search is charged what it reads.
func TestCostFollowsSQL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newAPI(t, s.Client, s.Dialect, Config{})
		big := newSeededOrg(t, s.Client, s.Dialect, "Big", 10_000)
		small := newSeededOrg(t, s.Client, s.Dialect, "Small", 10)

		const count = `query($w: UserWhereInput) { users(where: $w) { totalCount } }`
		plain := a.costOf(big.key, count, map[string]any{"w": map[string]any{"active": true}})
		if plain > 10 {
			t.Fatalf("an indexed count costs %d", plain)
		}
		short := a.costOf(big.key, count, map[string]any{"w": map[string]any{"query": "ab"}})
		if short < 10_000/DefaultScanRowsPerPoint {
			t.Fatalf("a search of 10,000 users costs %d; want at least %d", short, 10_000/DefaultScanRowsPerPoint)
		}
		if c := a.costOf(small.key, count, map[string]any{"w": map[string]any{"query": "ab"}}); c > 10 {
			t.Fatalf("a search of 10 users costs %d", c)
		}
		contains := a.costOf(big.key, count, map[string]any{"w": map[string]any{"displayNameContainsFold": "person 1"}})
		if contains < 10_000/DefaultScanRowsPerPoint {
			t.Fatalf("a substring test of 10,000 users costs %d", contains)
		}
		indexed := a.costOf(big.key, count, map[string]any{"w": map[string]any{"query": "user0042"}})
		switch s.Dialect {
		case dialect.Postgres: // the trigram indexes serve it
			if indexed >= short || indexed < 10_000/DefaultScanRowsPerPoint/indexedScanDivisor {
				t.Fatalf("an indexed search costs %d; a scanning one %d", indexed, short)
			}
		default:
			if indexed != short {
				t.Fatalf("a search costs %d and %d", indexed, short)
			}
		}

		start := time.Now()
		r := a.refused(big.key, costBomb(50), nil, "COMPLEXITY_LIMIT_EXCEEDED", "")
		if !strings.Contains(r.Errors[0].Message, "read every user") {
			t.Fatalf("message %q does not name the scans", r.Errors[0].Message)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("the refusal took %v", d)
		}
		// The same operation over 10 users is cheap and runs.
		a.ok(small.key, costBomb(50), nil, nil)
	})
}

// gate is an ent driver whose queries that search (LIKE) wait while it is
// closed, so a test can hold operations in the database.
type gate struct {
	dialect.Driver
	mu      sync.Mutex
	open    chan struct{}
	waiting int
}

// Query implements dialect.Driver.
func (g *gate) Query(ctx context.Context, query string, args, v any) error {
	if strings.Contains(query, "LIKE") {
		g.mu.Lock()
		open := g.open
		g.waiting++
		g.mu.Unlock()
		select {
		case <-open:
		case <-ctx.Done():
		}
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
	}
	return g.Driver.Query(ctx, query, args, v)
}

// QueryContext implements the raw queries of ent's execquery feature.
func (g *gate) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return g.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

// waiters is how many searches wait at the gate.
func (g *gate) waiters() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// TestExpensiveConcurrencyPerOrganization: with one slot per organization,
// a second search of organization A is refused (429, Retry-After,
// RATE_LIMITED) while A's first is in the database, and organization B's
// search runs beside it; cheap operations of A are not held.
func TestExpensiveConcurrencyPerOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		g := &gate{Driver: entsql.OpenDB(s.Dialect, s.DB), open: make(chan struct{})}
		client := ent.NewClient(ent.Driver(g))
		a := newAPI(t, client, s.Dialect, Config{ExpensiveConcurrency: 1, ExpensiveWait: 300 * time.Millisecond})
		orgA := newSeededOrg(t, s.Client, s.Dialect, "OrgA", 20)
		orgB := newSeededOrg(t, s.Client, s.Dialect, "OrgB", 20)
		const search = `{ users(where: {query: "user00"}) { totalCount } }`

		type outcome struct {
			r   posted
			err error
		}
		run := func(key string) chan outcome {
			ch := make(chan outcome, 1)
			go func() {
				r, err := post(a, key, search)
				ch <- outcome{r, err}
			}()
			return ch
		}
		waitFor := func(n int) {
			t.Helper()
			for deadline := time.Now().Add(5 * time.Second); g.waiters() < n; {
				if time.Now().After(deadline) {
					t.Fatalf("%d searches at the gate; want %d", g.waiters(), n)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		a1 := run(orgA.key)
		waitFor(1)
		b1 := run(orgB.key)
		waitFor(2) // B's search runs while A's holds A's slot

		start := time.Now()
		a2, err := post(a, orgA.key, search)
		if err != nil {
			t.Fatal(err)
		}
		if a2.status != http.StatusTooManyRequests || a2.retryAfter == "" || len(a2.Errors) == 0 ||
			a2.Errors[0].Extensions.Code != codeRateLimited {
			t.Fatalf("A's second search: status %d, Retry-After %q: %s", a2.status, a2.retryAfter, a2.raw)
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
			t.Fatalf("refused after %v; want after the 300 ms wait", d)
		}
		var viewer struct{ Viewer struct{ Scope string } }
		a.ok(orgA.key, `{ viewer { scope } }`, nil, &viewer) // cheap: not held

		close(g.open)
		for name, ch := range map[string]chan outcome{"A's first": a1, "B's": b1} {
			o := <-ch
			if o.err != nil || o.r.status != http.StatusOK || len(o.r.Errors) > 0 {
				t.Fatalf("%s search: %v %d %s", name, o.err, o.r.status, o.r.raw)
			}
		}
		a.ok(orgA.key, search, nil, nil) // the slot is free again
	})
}

// posted is a response with its Retry-After header.
type posted struct {
	result
	retryAfter string
}

// post sends query with key from any goroutine (no t.Fatal), giving up
// after 10 s.
func post(a *api, key, query string) (posted, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.srv.URL, bytes.NewReader(body))
	if err != nil {
		return posted{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := a.srv.Client().Do(req)
	if err != nil {
		return posted{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return posted{}, err
	}
	out := posted{result: result{status: res.StatusCode, raw: string(raw)}, retryAfter: res.Header.Get("Retry-After")}
	return out, json.Unmarshal(raw, &out.result)
}

// TestScanCounting: which where tests count as scans, and which a trigram
// index serves on PostgreSQL.
func TestScanCounting(t *testing.T) {
	cases := []struct {
		name          string
		where         map[string]any
		full, indexed int // on PostgreSQL
		sqliteFull    int
	}{
		{"equality", map[string]any{"userName": "a", "active": true}, 0, 0, 0},
		{"in list", map[string]any{"userNameIn": []any{"a", "b"}}, 0, 0, 0},
		{"short search", map[string]any{"query": "ab"}, 1, 0, 1},
		{"blank search", map[string]any{"query": "  "}, 0, 0, 0},
		{"search with a trigram", map[string]any{"query": "user0042"}, 0, 1, 1},
		{"search with a quote", map[string]any{"query": `abc"def`}, 1, 0, 1},
		{"substring and prefix", map[string]any{"and": []any{
			map[string]any{"displayNameContains": "x"}, map[string]any{"givenNameHasPrefix": "y"}}}, 2, 0, 2},
		{"case-folded equality", map[string]any{"familyNameEqualFold": "x"}, 1, 0, 1},
		{"or of equalities", map[string]any{"or": []any{map[string]any{"userName": "a"}, map[string]any{"displayName": "b"}}}, 1, 0, 1},
		{"or of four searches", map[string]any{"or": []any{map[string]any{"query": "ab"}, map[string]any{"query": "@"},
			map[string]any{"query": "user1"}, map[string]any{"query": "x.y"}}}, 3, 1, 4},
		{"not", map[string]any{"not": map[string]any{"userName": "a"}}, 1, 0, 1},
		{"not of a search", map[string]any{"not": map[string]any{"query": "user0042"}}, 1, 0, 1},
		{"through an edge", map[string]any{"hasGroupsWith": []any{map[string]any{"displayNameContainsFold": "eng"}}}, 1, 0, 1},
	}
	pg, lite := &scanPricer{postgres: true, rowsPerPoint: 10}, &scanPricer{rowsPerPoint: 10}
	for _, c := range cases {
		if f, i := pg.countScans(c.where); f != c.full || i != c.indexed {
			t.Errorf("%s on PostgreSQL: %d full, %d indexed; want %d, %d", c.name, f, i, c.full, c.indexed)
		}
		if f, i := lite.countScans(c.where); f != c.sqliteFull || i != 0 {
			t.Errorf("%s on SQLite: %d full, %d indexed; want %d, 0", c.name, f, i, c.sqliteFull)
		}
	}
}
