package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
)

// preparedOn lists the texts of the statements prepared on conn.
func preparedOn(t *testing.T, conn *sql.Conn) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), `SELECT statement FROM pg_prepared_statements ORDER BY statement`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var texts []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return texts
}

// sum runs "SELECT $1::int + n" on conn with ctx and checks the answer.
func sum(t *testing.T, ctx context.Context, conn *sql.Conn, n, arg int) {
	t.Helper()
	var got int
	if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT $1::int + %d", n), arg).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != arg+n {
		t.Fatalf("SELECT %d + %d = %d", arg, n, got)
	}
}

// TestPreparedOnDirectConnections shows which statements a connection
// prepares: on a direct connection, those marked store.Prepared, each once
// however often it runs, at most 32 texts (the rest run unprepared, with
// the same answers); unmarked statements never; and through PgBouncer in
// transaction pooling mode none, marked or not (the mark is ignored there,
// where a named statement would be on one server connection only).
func TestPreparedOnDirectConnections(t *testing.T) {
	open := func(t *testing.T, cfg store.Config) *sql.Conn {
		s, err := store.OpenConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		conn, err := s.DB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	marked := store.Prepared(context.Background())

	t.Run("direct", func(t *testing.T) {
		conn := open(t, store.Config{DatabaseURL: pgtest.New(t)})
		for i := range 3 {
			sum(t, context.Background(), conn, 0, i)
			sum(t, marked, conn, 1, i)
		}
		if got := preparedOn(t, conn); len(got) != 1 || got[0] != "SELECT $1::int + 1" {
			t.Fatalf("prepared after 3 runs of a marked and an unmarked statement: %q; want the marked one once", got)
		}
		for n := 2; n <= 40; n++ {
			sum(t, marked, conn, n, n)
		}
		if got := preparedOn(t, conn); len(got) != 32 {
			t.Fatalf("%d statements prepared after 40 marked texts; want the cap, 32", len(got))
		}
	})

	t.Run("pooled", func(t *testing.T) {
		pooled, direct := pgtest.NewPooled(t)
		conn := open(t, store.Config{DatabaseURL: pooled, DirectURL: direct})
		for i := range 3 {
			sum(t, marked, conn, 1, i)
		}
		if got := preparedOn(t, conn); len(got) != 0 {
			t.Fatalf("prepared through PgBouncer: %q; want none", got)
		}
	})
}
