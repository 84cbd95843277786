// Package storetest gives tests a fresh, migrated database of each dialect:
// a SQLite file in a temporary folder and a database on a throwaway
// PostgreSQL server (package pgtest). Test binaries that use PostgreSQL stop
// the server with
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package storetest

import (
	"context"
	"testing"

	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
)

// Dialects are the subtest names Each runs, one per database.
var Dialects = []string{"sqlite", "postgres"}

// Each runs f as one subtest per dialect, named "sqlite" and "postgres",
// each with its own fresh database.
func Each(t *testing.T, f func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) { f(t, Open(t, d)) })
	}
}

// Open returns a fresh, migrated store of the named dialect, closed when the
// test ends.
func Open(t testing.TB, dialect string) *store.Store {
	t.Helper()
	var url, dir string
	switch dialect {
	case "sqlite":
		dir = t.TempDir()
	case "postgres":
		url = pgtest.New(t)
	default:
		t.Fatalf("storetest: unknown dialect %q", dialect)
	}
	s, err := store.Open(context.Background(), url, dir)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
