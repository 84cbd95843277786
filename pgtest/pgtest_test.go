package pgtest_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/acme/directory/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestNew(t *testing.T) {
	dsn1 := pgtest.New(t)
	dsn2 := pgtest.New(t)
	if dsn1 == dsn2 {
		t.Fatalf("New returned the same DSN twice: %s", dsn1)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db1 := open(t, dsn1)
	db2 := open(t, dsn2)

	var name1, name2 string
	if err := db1.QueryRowContext(ctx, "SELECT current_database()").Scan(&name1); err != nil {
		t.Fatal(err)
	}
	if err := db2.QueryRowContext(ctx, "SELECT current_database()").Scan(&name2); err != nil {
		t.Fatal(err)
	}
	if name1 == name2 {
		t.Fatalf("both DSNs point to database %q", name1)
	}

	if _, err := db1.ExecContext(ctx, "CREATE TABLE widgets (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if n := countTables(ctx, t, db1, "widgets"); n != 1 {
		t.Fatalf("table widgets: found %d in the database it was created in, want 1", n)
	}
	if n := countTables(ctx, t, db2, "widgets"); n != 0 {
		t.Fatalf("table widgets created in %s is visible in %s", name1, name2)
	}

	var version string
	if err := db1.QueryRowContext(ctx, "SHOW server_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version == "" || version[0] < '0' || version[0] > '9' {
		t.Fatalf("server_version = %q, want a leading digit", version)
	}
	t.Logf("server_version %s; databases %s and %s", version, name1, name2)
}

func TestStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second server")
	}
	start := time.Now()
	s, err := pgtest.Start()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot start PostgreSQL: %v", err)
		}
		t.Skipf("cannot start PostgreSQL: %v", err)
	}
	t.Logf("Start took %v", time.Since(start))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn, err := s.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := open(t, dsn)
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	// Stop must work with a session still open (fast shutdown).
	start = time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %v", time.Since(start))
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("server still answers after Stop")
	}
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countTables(ctx context.Context, t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var n int
	err := db.QueryRowContext(ctx,
		"SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1", name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
