package graph

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// counter is an ent driver that records the SQL statements it runs, in
// transactions too.
type counter struct {
	dialect.Driver
	mu    sync.Mutex
	stmts []string
}

// countingClient returns an ent client over s's database whose statements
// are recorded.
func countingClient(s *store.Store) (*ent.Client, *counter) {
	c := &counter{Driver: entsql.OpenDB(s.Dialect, s.DB)}
	return ent.NewClient(ent.Driver(c)), c
}

func (c *counter) record(query string) {
	c.mu.Lock()
	c.stmts = append(c.stmts, query)
	c.mu.Unlock()
}

// Exec implements dialect.Driver.
func (c *counter) Exec(ctx context.Context, query string, args, v any) error {
	c.record(query)
	return c.Driver.Exec(ctx, query, args, v)
}

// Query implements dialect.Driver.
func (c *counter) Query(ctx context.Context, query string, args, v any) error {
	c.record(query)
	return c.Driver.Query(ctx, query, args, v)
}

// Tx implements dialect.Driver.
func (c *counter) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := c.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, c: c}, nil
}

type countingTx struct {
	dialect.Tx
	c *counter
}

// ExecContext passes ent's ExecContext through (savepoints, the outbox).
func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.c.record(query)
	return t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, query, args...)
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.c.record(query)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.c.record(query)
	return t.Tx.Query(ctx, query, args, v)
}

// take returns the statements recorded since the last take.
func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.stmts
	c.stmts = nil
	return out
}

// usersWithGroupsAndRoles is the query issue 4 wants cheap: a page of
// users with their groups, the groups' roles, and the users' effective
// roles.
const usersWithGroupsAndRoles = `query($n: Int!) {
	users(first: $n, orderBy: {field: USER_NAME}) {
		totalCount
		pageInfo { hasNextPage endCursor }
		edges { node {
			id userName displayName primaryEmail active title department
			emails { value type primary }
			groups(first: 10) { totalCount edges { node { id displayName roles { key } } } }
			roles { key name }
		} }
	}
}`

// seedOrganization makes an organization whose directory holds n users,
// each in three of twelve groups mapped to six roles, every tenth user in
// no group (so it gets the default role). It returns an org_read key.
func seedOrganization(tb testing.TB, c *ent.Client, dia string, n int) string {
	tb.Helper()
	ctx := domain.Seeding(access.PlatformContext(context.Background())) // bulk fixtures, written directly
	svc := domain.New(c, dia)
	org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Bench " + fmt.Sprint(n)})
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "jumpcloud"})
	if err != nil {
		tb.Fatal(err)
	}
	d := dir.Directory
	roles := make([]*ent.Role, 6)
	for i := range roles {
		roles[i] = c.Role.Create().SetOrganizationID(org.ID).SetKey(fmt.Sprintf("role-%d", i)).
			SetName(fmt.Sprintf("Role %d", i)).SaveX(ctx)
	}
	c.Organization.UpdateOne(org).SetDefaultRoleID(roles[0].ID).ExecX(ctx)
	groups := make([]*ent.Group, 12)
	for i := range groups {
		groups[i] = c.Group.Create().SetOrganizationID(org.ID).SetDirectoryID(d.ID).
			SetDisplayName(fmt.Sprintf("Group %02d", i)).SaveX(ctx)
		c.GroupRole.Create().SetOrganizationID(org.ID).SetGroupID(groups[i].ID).SetRoleID(roles[i%6].ID).ExecX(ctx)
	}
	users := make([]*ent.UserCreate, n)
	for i := range users {
		name := fmt.Sprintf("user%04d@bench.test", i)
		users[i] = c.User.Create().SetOrganizationID(org.ID).SetDirectoryID(d.ID).SetUserName(name).
			SetDisplayName(name).SetPrimaryEmail(name).SetTitle("Engineer").SetDepartment("R&D")
	}
	created := c.User.CreateBulk(users...).SaveX(ctx)
	var ms []*ent.MembershipCreate
	for i, u := range created {
		if i%10 == 0 {
			continue
		}
		for k := range 3 {
			ms = append(ms, c.Membership.Create().SetOrganizationID(org.ID).
				SetGroupID(groups[(i+k)%len(groups)].ID).SetUserID(u.ID).SetDisplay(domain.MemberDisplay(u)))
		}
	}
	c.Membership.CreateBulk(ms...).ExecX(ctx)
	return newOrgKey(tb, c, access.OrgRead, org.ID)
}

// TestStatementsPerPage proves the users-with-groups-and-roles query has
// no N+1: a page of 100 users runs exactly the statements of a page of 10.
func TestStatementsPerPage(t *testing.T) {
	const maxStatements = 10 // 1 key look-up, 5 entgql eager loads, 4 effective roles
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		client, count := countingClient(s)
		key := seedOrganization(t, client, s.Dialect, 100)
		a := newAPI(t, client, s.Dialect, Config{})
		a.ok(key, usersWithGroupsAndRoles, map[string]any{"n": 1}, nil) // records the key's first use
		count.take()

		perPage := map[int][]string{}
		for _, n := range []int{10, 100} {
			var data struct {
				Users struct {
					Edges []struct {
						Node struct{ Roles []struct{ Key string } }
					}
				}
			}
			a.ok(key, usersWithGroupsAndRoles, map[string]any{"n": n}, &data)
			perPage[n] = count.take()
			if len(data.Users.Edges) != n {
				t.Fatalf("page of %d: %d users", n, len(data.Users.Edges))
			}
			for i, e := range data.Users.Edges {
				if len(e.Node.Roles) == 0 {
					t.Fatalf("page of %d: user %d has no roles", n, i)
				}
			}
		}
		if len(perPage[10]) != len(perPage[100]) || len(perPage[100]) > maxStatements {
			t.Fatalf("statements: %d for 10 users, %d for 100; want the same, at most %d\n%s",
				len(perPage[10]), len(perPage[100]), maxStatements, strings.Join(perPage[100], "\n"))
		}
		t.Logf("%d statements for a page of 100 users:\n%s", len(perPage[100]), strings.Join(perPage[100], "\n"))
	})
}

// BenchmarkUsersWithGroupsAndRoles runs the 100-user query through the
// whole handler (authentication, limits, execution) on SQLite, with the
// rate limit off (the page costs about 9,000 points, the default budget
// regains 50,000 a second).
func BenchmarkUsersWithGroupsAndRoles(b *testing.B) {
	s := storetest.Open(b, "sqlite")
	client, count := countingClient(s)
	key := seedOrganization(b, client, s.Dialect, 100)
	h := NewHandler(domain.New(client, s.Dialect), Config{RateLimitPerSecond: -1})
	body := fmt.Sprintf(`{"query": %q, "variables": {"n": 100}}`, usersWithGroupsAndRoles)
	serve := func() {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
	serve()
	count.take()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(count.take()))/float64(b.N), "statements/op")
}
