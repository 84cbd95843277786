package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"entgo.io/ent/dialect/sql/schema"

	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestMigrationsMatchSchema fails when the ent schema changed without a new
// migration: after all migrations, ent finds nothing left to change (the
// hand-written indexes aside, as in the generator).
func TestMigrationsMatchSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var buf bytes.Buffer
		if err := s.Client.Schema.WriteTo(context.Background(), &buf,
			schema.WithDropColumn(true), schema.WithDropIndex(true), schema.WithDiffHook(store.KeepHandIndexes)); err != nil {
			t.Fatalf("diff schema: %v", err)
		}
		if out := stripTx(buf.String()); out != "" {
			t.Fatalf("migrations are behind the ent schema; run `make migration name=...`:\n%s", out)
		}
	})
}

// TestMigrateIsIdempotent applies the migrations a second time: nothing is
// pending and nothing fails.
func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := store.Migrate(ctx, s.DB, s.Dialect); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		pending, err := store.Pending(ctx, s.DB, s.Dialect)
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending = %v, %v; want none", pending, err)
		}
	})
}

// stripTx drops the BEGIN/COMMIT lines WriteTo wraps even an empty plan in.
func stripTx(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		switch strings.TrimSpace(l) {
		case "", "BEGIN;", "COMMIT;":
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
