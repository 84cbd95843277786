package graph

import (
	"context"
	"slices"
	"strings"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestUserPagePlan: a page of an organization's users, in the default
// order, reads that page from an index in order, on both databases. (It
// used to read every user of the organization and sort them: 13 times
// slower at 100,000 users than at 1,000 on SQLite.)
func TestUserPagePlan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rec := &argsRecorder{Driver: entsql.OpenDB(s.Dialect, s.DB)}
		a := newAPI(t, ent.NewClient(ent.Driver(rec)), s.Dialect, Config{})
		org := newSeededOrg(t, s.Client, s.Dialect, "Plan", 3_000)
		newSeededOrg(t, s.Client, s.Dialect, "Other", 1_000)
		if _, err := s.DB.ExecContext(context.Background(), "ANALYZE"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`{ users(first: 100) { edges { node { userName groups(first: 10) { edges { node { displayName } } } roles { key } } } } }`,
			`{ users(first: 50, where: {active: true}) { edges { node { id userName } } } }`,
		} {
			rec.mu.Lock()
			rec.queries = nil
			rec.mu.Unlock()
			a.ok(org.key, q, nil, nil)
			rec.mu.Lock()
			qs := slices.Clone(rec.queries)
			rec.mu.Unlock()
			i := slices.IndexFunc(qs, func(rq recordedQuery) bool {
				return strings.Contains(rq.query, "FROM `users`") || strings.Contains(rq.query, `FROM "users"`)
			})
			if i < 0 {
				t.Fatalf("%s: no statement read users", q)
			}
			page := qs[i]
			for _, step := range planSteps(t, s, page) {
				if strings.Contains(step, "TEMP B-TREE FOR ORDER BY") || strings.HasPrefix(step, "Sort") ||
					strings.HasPrefix(step, "Seq Scan") || strings.HasPrefix(step, "SCAN ") {
					t.Errorf("%s: the page's plan has %q\nquery: %s\nplan: %v", q, step, page.query, planSteps(t, s, page))
				}
			}
		}
	})
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
