package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatementCache: a connection prepares each statement text once and
// runs it again; a text run again while its rows are open (a nested
// query) runs on a statement of its own, with the right rows; scripts are
// not kept; the cache is bounded.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	named, err := sql.Open("sqlite", SQLiteDSN(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	connector := &sqliteConnector{dsn: SQLiteDSN(filepath.Join(t.TempDir(), "c.db")), drv: named.Driver()}
	named.Close()
	dc, err := connector.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := dc.(*cachingConn)
	defer c.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := c.ExecContext(ctx, q, namedValues(args)); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
	for i := range 3 {
		exec("INSERT INTO t (id, name) VALUES (?, ?)", i, fmt.Sprint("n", i))
	}
	const q = "SELECT name FROM t WHERE id >= ? ORDER BY id"
	first := func(rows driver.Rows) string {
		t.Helper()
		v := make([]driver.Value, 1)
		if err := rows.Next(v); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(v[0])
	}

	outer, err := c.QueryContext(ctx, q, namedValues([]any{0}))
	if err != nil {
		t.Fatal(err)
	}
	cached := c.stmts[q]
	if cached == nil || !cached.busy {
		t.Fatalf("the query's statement is not kept busy: %+v", cached)
	}
	inner, err := c.QueryContext(ctx, q, namedValues([]any{2})) // nested: same text, rows open
	if err != nil {
		t.Fatal(err)
	}
	if got := first(inner); got != "n2" {
		t.Fatalf("nested query read %q; want n2", got)
	}
	inner.Close()
	if got := first(outer); got != "n0" {
		t.Fatalf("outer query read %q after the nested one; want n0", got)
	}
	if got := first(outer); got != "n1" {
		t.Fatalf("outer query's second row %q; want n1", got)
	}
	outer.Close()
	if cached.busy {
		t.Fatal("the statement is still busy after its rows closed")
	}
	again, err := c.QueryContext(ctx, q, namedValues([]any{1}))
	if err != nil {
		t.Fatal(err)
	}
	if c.stmts[q] != cached || first(again) != "n1" {
		t.Fatal("the text was prepared again, or ran with stale arguments")
	}
	again.Close()

	// A script is run, not kept.
	exec("UPDATE t SET name = 'x' WHERE id = 0; UPDATE t SET name = 'y' WHERE id = 1")
	for text := range c.stmts {
		if strings.Contains(text, ";") {
			t.Fatalf("a script was cached: %q", text)
		}
	}
	rows, err := c.QueryContext(ctx, q, namedValues([]any{0}))
	if err != nil {
		t.Fatal(err)
	}
	if got := first(rows); got != "x" {
		t.Fatalf("after the script: %q; want x", got)
	}
	if got := first(rows); got != "y" {
		t.Fatalf("after the script: %q; want y", got)
	}
	rows.Close()

	// Bounded.
	for i := range cachedStmts + 50 {
		r, err := c.QueryContext(ctx, fmt.Sprintf("SELECT %d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	if len(c.stmts) > cachedStmts || len(c.order) != len(c.stmts) {
		t.Fatalf("%d statements kept (%d in order); want at most %d", len(c.stmts), len(c.order), cachedStmts)
	}
}

// namedValues turns arguments into driver.NamedValues.
func namedValues(args []any) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		if n, ok := a.(int); ok {
			a = int64(n)
		}
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}
