package store_test

import (
	"context"
	"database/sql"
	"net/url"

	"sync"
	"testing"
	"time"

	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestSQLitePoolIsBounded holds many connections at once: a burst of
// concurrent reads (5,000 aliased GraphQL fields once opened one each)
// must queue for at most store.SQLiteMaxConns connections.
func TestSQLitePoolIsBounded(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	if got := s.DB.Stats().MaxOpenConnections; got != store.SQLiteMaxConns {
		t.Errorf("MaxOpenConnections = %d; want %d", got, store.SQLiteMaxConns)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var (
		mu    sync.Mutex
		conns []*sql.Conn
		wg    sync.WaitGroup
	)
	for range 4 * store.SQLiteMaxConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.DB.Conn(ctx) // blocks once the pool is full
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	<-ctx.Done()
	mu.Lock()
	open := s.DB.Stats().OpenConnections
	held := len(conns)
	for _, c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	if open > store.SQLiteMaxConns || held > store.SQLiteMaxConns {
		t.Errorf("%d connections open, %d held at once; want at most %d", open, held, store.SQLiteMaxConns)
	}
	// Released connections stay idle for reuse (a new SQLite connection
	// re-runs its PRAGMAs and re-reads the schema).
	if idle := s.DB.Stats().Idle; idle < 2 {
		t.Errorf("%d idle connections kept; want more than database/sql's default of 2", idle)
	}
}

// TestUnicodeLower checks the case folding SCIM filters use outside ASCII
// agrees on both databases: SQLite's lower() folds ASCII only, and
// PostgreSQL's follows the database's locale unless given a collation.
func TestUnicodeLower(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		q := "SELECT " + store.SQLiteLower + "(?)"
		if s.Dialect != "sqlite3" {
			q = `SELECT lower($1 COLLATE "` + store.PostgresFoldCollation + `")`
		}
		for in, want := range map[string]string{"ÉMILE@X.COM": "émile@x.com", "ΣΟΦΊΑ": "σοφία", "abc": "abc", "": ""} {
			var got string
			if err := s.DB.QueryRow(q, in).Scan(&got); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if got != want {
				t.Errorf("fold(%q) = %q; want %q", in, got, want)
			}
		}
	})
}

// TestPostgresJITIsOff: PostgreSQL's JIT compiler spent 18 s on a large
// generated filter query that runs in 17 ms without it.
func TestPostgresJITIsOff(t *testing.T) {
	s := storetest.Open(t, "postgres")
	var jit string
	if err := s.DB.QueryRow("SHOW jit").Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Errorf("jit = %q for the service's sessions; want off", jit)
	}
}

func TestPostgresDSN(t *testing.T) {
	for _, tc := range []struct{ in, options string }{
		{"postgres://u:p@h/db?sslmode=disable", "-c jit=off"},
		{"postgres://u:p@h/db", "-c jit=off"},
		{"postgres://u:p@h/db?options=-c%20work_mem%3D64MB", "-c work_mem=64MB -c jit=off"},
		{"postgres://u:p@h/db?options=-c%20jit%3Don", "-c jit=on"}, // the operator's choice stands
		{"postgres://u:p@h/db?jit=on", ""},
	} {
		u, err := url.Parse(store.PostgresDSN(tc.in))
		if err != nil {
			t.Fatalf("PostgresDSN(%q): %v", tc.in, err)
		}
		if got := u.Query().Get("options"); got != tc.options {
			t.Errorf("PostgresDSN(%q) options = %q; want %q", tc.in, got, tc.options)
		}
		if in, _ := url.Parse(tc.in); in.Query().Get("sslmode") != u.Query().Get("sslmode") || in.Host != u.Host {
			t.Errorf("PostgresDSN(%q) = %q changed other parts", tc.in, u)
		}
	}
}

// TestPostgresCancelStopsStatement: a cancelled request context must stop
// its statement on the server, not only in the client.
func TestPostgresCancelStopsStatement(t *testing.T) {
	s := storetest.Open(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.DB.ExecContext(ctx, "SELECT pg_sleep(30)")
	if err == nil {
		t.Fatal("pg_sleep(30) under a 300 ms deadline succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cancelled statement returned after %v", d)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		var n int
		if err := s.DB.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statements still running on the server after the cancel", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
