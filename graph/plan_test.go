package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestUserPagePlan: a page of an organization's users, in the default
// order, reads that page from an index in order, on both databases, and
// its users' groups and roles by their ids. (It
// used to read every user of the organization and sort them: 13 times
// slower at 100,000 users than at 1,000 on SQLite.) Another
// organization's users are written first, so their ids come before the
// page's: PostgreSQL once walked the primary key from its start past all
// of them (0.13x at 1,000,000 users of the page at 1,000).
func TestUserPagePlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rec := &argsRecorder{Driver: entsql.OpenDB(s.Dialect, s.DB)}
		a := newAPI(t, ent.NewClient(ent.Driver(rec)), s.Dialect, Config{})
		other := newSeededOrg(t, s.Client, s.Dialect, "Other", 1_000)
		org := newSeededOrg(t, s.Client, s.Dialect, "Plan", 3_000)
		seedGroups(t, s.Client, other, 10)
		seedGroups(t, s.Client, org, 40)
		if _, err := s.DB.ExecContext(context.Background(), "ANALYZE"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`{ users(first: 100) { edges { node { userName groups(first: 10) { edges { node { displayName } } } roles { key } } } } }`,
			`{ users(first: 50, where: {active: true}) { edges { node { id userName } } } }`,
			`{ users(last: 50) { edges { node { id } } } }`,
			`{ organization(slug: "plan") { users(first: 50) { edges { node { id } } } } }`,
		} {
			qs := rec.during(func() { a.ok(org.key, q, nil, nil) })
			i := slices.IndexFunc(qs, func(rq recordedQuery) bool {
				return strings.Contains(rq.query, "FROM `users`") || strings.Contains(rq.query, `FROM "users"`)
			})
			if i < 0 {
				t.Fatalf("%s: no statement read users", q)
			}
			page := qs[i]
			if s.Dialect == "postgres" {
				for _, n := range planNodes(t, s, page) {
					filter, _ := n["Filter"].(string)
					cond, _ := n["Index Cond"].(string)
					if n["Relation Name"] == "users" && strings.Contains(filter, "organization_id") &&
						!strings.Contains(cond, "organization_id") {
						t.Errorf("%s: the page reads users by %v, filtered on the organization\nquery: %s", q, n["Index Name"], page.query)
					}
				}
			}
			for _, step := range planSteps(t, s, page) {
				if strings.Contains(step, "TEMP B-TREE FOR ORDER BY") || strings.HasPrefix(step, "Sort") ||
					strings.HasPrefix(step, "Seq Scan") || strings.HasPrefix(step, "SCAN ") {
					t.Errorf("%s: the page's plan has %q\nquery: %s\nplan: %v", q, step, page.query, planSteps(t, s, page))
				}
			}
			// The page's other statements (each user's groups, the
			// memberships behind the effective roles) read memberships
			// by the page's user ids: none reads all the users or
			// memberships. (A few dozen groups may be hashed whole.)
			for _, rq := range qs {
				for _, step := range planSteps(t, s, rq) {
					for _, table := range []string{"users", "memberships"} {
						if step == "Seq Scan on "+table || step == "SCAN "+table && !strings.Contains(rq.query, "AS `"+table+"`") {
							t.Errorf("%s: a statement reads all of %s\nquery: %s\nplan: %v", q, table, rq.query, planSteps(t, s, rq))
						}
					}
				}
			}
		}
	})
}

// TestGroupPagePlan: a page of an organization's groups reads that page
// from the (organization_id, id) index in order, on both databases, though
// another organization's groups come before them in id order.
func TestGroupPagePlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rec := &argsRecorder{Driver: entsql.OpenDB(s.Dialect, s.DB)}
		a := newAPI(t, ent.NewClient(ent.Driver(rec)), s.Dialect, Config{})
		other := newSeededOrg(t, s.Client, s.Dialect, "Other", 0)
		org := newSeededOrg(t, s.Client, s.Dialect, "Plan", 0)
		bulkGroups(t, s.Client, other, 1_000)
		bulkGroups(t, s.Client, org, 3_000)
		if _, err := s.DB.ExecContext(context.Background(), "ANALYZE"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`{ groups(first: 50) { edges { node { id displayName } } } }`,
			`{ groups(last: 50) { edges { node { id } } } }`,
		} {
			qs := rec.during(func() { a.ok(org.key, q, nil, nil) })
			i := slices.IndexFunc(qs, func(rq recordedQuery) bool {
				return strings.Contains(rq.query, "FROM `groups`") || strings.Contains(rq.query, `FROM "groups"`)
			})
			if i < 0 {
				t.Fatalf("%s: no statement read groups", q)
			}
			for _, step := range planSteps(t, s, qs[i]) {
				if strings.Contains(step, "TEMP B-TREE FOR ORDER BY") || strings.HasPrefix(step, "Sort") ||
					strings.HasPrefix(step, "Seq Scan") || strings.HasPrefix(step, "SCAN ") {
					t.Errorf("%s: the page's plan has %q\nquery: %s", q, step, qs[i].query)
				}
			}
			if s.Dialect == "postgres" {
				for _, n := range planNodes(t, s, qs[i]) {
					filter, _ := n["Filter"].(string)
					cond, _ := n["Index Cond"].(string)
					if strings.Contains(filter, "organization_id") && !strings.Contains(cond, "organization_id") {
						t.Errorf("%s: the page reads groups by %v, filtered on the organization\nquery: %s", q, n["Index Name"], qs[i].query)
					}
				}
			}
		}
	})
}

// bulkGroups makes n groups without members in o's directory.
func bulkGroups(t *testing.T, c *ent.Client, o seededOrg, n int) {
	t.Helper()
	ctx := domain.Seeding(access.PlatformContext(context.Background())) // bulk fixtures
	for from := 0; from < n; from += 1000 {
		var bulk []*ent.GroupCreate
		for i := from; i < min(n, from+1000); i++ {
			bulk = append(bulk, c.Group.Create().SetOrganizationID(o.org).SetDirectoryID(o.dir).
				SetDisplayName(fmt.Sprintf("Bulk %d", i)))
		}
		c.Group.CreateBulk(bulk...).ExecX(ctx)
	}
}

// seedGroups makes n groups in o's directory and puts each of its users
// in two of them.
func seedGroups(t *testing.T, c *ent.Client, o seededOrg, n int) {
	t.Helper()
	ctx := domain.Seeding(access.PlatformContext(context.Background())) // bulk fixtures
	var gs []*ent.Group
	for i := range n {
		gs = append(gs, c.Group.Create().SetOrganizationID(o.org).SetDirectoryID(o.dir).
			SetDisplayName(fmt.Sprintf("Group %d", i)).SaveX(ctx))
	}
	users := c.User.Query().Where(user.DirectoryID(o.dir)).AllX(ctx)
	for from := 0; from < len(users); from += 500 {
		var bulk []*ent.MembershipCreate
		for i, u := range users[from:min(len(users), from+500)] {
			for _, g := range []*ent.Group{gs[(from+i)%n], gs[(from+i+1)%n]} {
				bulk = append(bulk, c.Membership.Create().SetOrganizationID(o.org).SetGroupID(g.ID).SetUserID(u.ID).SetDisplay(domain.MemberDisplay(u)))
			}
		}
		c.Membership.CreateBulk(bulk...).ExecX(ctx)
	}
}

// planSteps is the plan of q, one step a line: SQLite's EXPLAIN QUERY
// PLAN details, or PostgreSQL's node types with their relation.
func planSteps(t *testing.T, s *store.Store, q recordedQuery) []string {
	t.Helper()
	if s.Dialect == "postgres" {
		var out []string
		for _, n := range planNodes(t, s, q) {
			step, _ := n["Node Type"].(string)
			if rel, ok := n["Relation Name"].(string); ok {
				step += " on " + rel
			}
			out = append(out, step)
		}
		return out
	}
	rows, err := s.DB.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q.query, q.args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q.query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return out
}
