package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// connect opens a fresh, empty database of the dialect without migrating it.
func connect(t *testing.T, dia string) *store.Store {
	t.Helper()
	var url, dir string
	if dia == "postgres" {
		url = pgtest.New(t)
	} else {
		dir = t.TempDir()
	}
	s, err := store.Connect(context.Background(), url, dir)
	if err != nil {
		t.Fatalf("connect %s: %v", dia, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eachDialect runs f once per dialect on a fresh, empty database.
func eachDialect(t *testing.T, f func(t *testing.T, s *store.Store)) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) { f(t, connect(t, d)) })
	}
}

// withSum returns files with its atlas.sum recomputed, as if the edit had
// been rehashed.
func withSum(t *testing.T, files fstest.MapFS) fstest.MapFS {
	t.Helper()
	dir := &migrate.MemDir{}
	for name, f := range files {
		if name != migrate.HashFileName {
			if err := dir.WriteFile(name, f.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	sum, err := dir.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	b, err := sum.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	files[migrate.HashFileName] = &fstest.MapFile{Data: b}
	return files
}

// sqlNames returns the names of the migrations of files, in order.
func sqlNames(files fstest.MapFS) []string {
	var names []string
	for name := range files {
		if strings.HasSuffix(name, ".sql") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// TestEditedMigrationIsRefused applies the migrations, then runs a copy of
// the folder in which an applied migration was edited: refused, whether or
// not its atlas.sum was rewritten.
func TestEditedMigrationIsRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		files := store.MigrationFiles(s.Dialect)
		if err := store.MigrateFS(ctx, s.DB, s.Dialect, files); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		edited := store.MigrationFiles(s.Dialect)
		name := sqlNames(edited)[0]
		edited[name] = &fstest.MapFile{Data: append(append([]byte{}, edited[name].Data...),
			"\nCREATE TABLE sneaky (id integer);\n"...)}

		err := store.MigrateFS(ctx, s.DB, s.Dialect, edited)
		if !errors.Is(err, migrate.ErrChecksumMismatch) || !strings.Contains(err.Error(), "atlas.sum") {
			t.Errorf("edited file, stale atlas.sum: err = %v; want a checksum mismatch naming atlas.sum", err)
		}
		err = store.MigrateFS(ctx, s.DB, s.Dialect, withSum(t, edited))
		if !errors.Is(err, store.ErrMigrationChanged) || !strings.Contains(err.Error(), name) {
			t.Errorf("edited file, rewritten atlas.sum: err = %v; want ErrMigrationChanged naming %s", err, name)
		}
		if err := store.MigrateFS(ctx, s.DB, s.Dialect, files); err != nil {
			t.Errorf("the unchanged folder again: %v", err)
		}
	})
}

// TestUpgradeFromTheFormerRunner starts from a database the former runner
// migrated to the first version (recorded in schema_migrations), holding
// groups whose names differ only in case: the new runner adopts the
// recorded version, applies the rest, and keeps every group.
func TestUpgradeFromTheFormerRunner(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		all := store.MigrationFiles(s.Dialect)
		names := sqlNames(all)
		initial := withSum(t, fstest.MapFS{names[0]: all[names[0]]})
		if err := store.MigrateFS(ctx, s.DB, s.Dialect, initial); err != nil {
			t.Fatalf("migrate to the first version: %v", err)
		}
		for _, stmt := range []string{
			"DROP TABLE atlas_schema_revisions",
			"CREATE TABLE schema_migrations (version VARCHAR(255) PRIMARY KEY)",
			"INSERT INTO schema_migrations (version) VALUES ('" + strings.TrimSuffix(names[0], ".sql") + "')",
		} {
			if _, err := s.DB.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		pctx := domain.Seeding(access.PlatformContext(ctx)) // rows of a former schema, written directly
		c := s.Client
		org := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(pctx)
		// The directory is written with the first version's columns: the
		// current client would name columns added since.
		dir := &ent.Directory{ID: uuid.New()}
		insertDir := "INSERT INTO directories (id, created_at, updated_at, name, provider, enabled, organization_id) VALUES (?, ?, ?, ?, ?, ?, ?)"
		if s.Dialect == dialect.Postgres {
			insertDir = "INSERT INTO directories (id, created_at, updated_at, name, provider, enabled, organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7)"
		}
		now := time.Now().UTC()
		if _, err := s.DB.ExecContext(ctx, insertDir, dir.ID, now, now, "Okta", string(schematype.ProviderOkta), true, org.ID); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Admins", "ADMINS", "admins", "Staff"} {
			c.Group.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.ID).SetDisplayName(name).ExecX(pctx)
		}

		if err := store.Migrate(ctx, s.DB, s.Dialect); err != nil {
			t.Fatalf("migrate a database of the former runner: %v", err)
		}
		if p, err := store.Pending(ctx, s.DB, s.Dialect); err != nil || len(p) != 0 {
			t.Fatalf("pending = %v, %v; want none", p, err)
		}
		groups := c.Group.Query().Order(group.ByCreatedAt(), group.ByID()).AllX(pctx)
		if len(groups) != 4 {
			t.Fatalf("%d groups after the migration; want all 4", len(groups))
		}
		keys := map[string]bool{}
		for _, g := range groups {
			keys[g.DisplayNameKey] = true
		}
		if len(keys) != 4 || !keys["admins"] || !keys["staff"] {
			t.Fatalf("group keys = %v; want admins, staff and two suffixed duplicates", keys)
		}
		if got := c.Group.Query().Where(group.DisplayNameKey("admins")).OnlyX(pctx).DisplayName; got != "Admins" {
			t.Fatalf("the group keeping the name is %q; want the oldest, Admins", got)
		}
	})
}

// TestReplicasMigrateAtOnce starts several migrations of one fresh database
// together: the advisory lock (PostgreSQL) or the write lock (SQLite)
// serialises them and every one succeeds.
func TestReplicasMigrateAtOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = store.Migrate(ctx, s.DB, s.Dialect) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		}
	})
}

// TestSQLiteTimesBecomeUTCText writes times in the former text form (Go's
// time.String()) before the rewrite migration, then migrates: they are
// sortable UTC text, and ent reads them as the same instants.
func TestSQLiteTimesBecomeUTCText(t *testing.T) {
	s := connect(t, "sqlite")
	ctx := context.Background()
	all := store.MigrationFiles(s.Dialect)
	before := fstest.MapFS{}
	for _, name := range sqlNames(all) {
		if strings.HasSuffix(name, "_sqlite_utc_times.sql") {
			break
		}
		before[name] = all[name]
	}
	if err := store.MigrateFS(ctx, s.DB, s.Dialect, withSum(t, before)); err != nil {
		t.Fatalf("migrate to before the rewrite: %v", err)
	}
	_, err := s.DB.ExecContext(ctx, "INSERT INTO organizations (id, created_at, updated_at, name, slug) VALUES "+
		"('0190c6d6-0000-7000-8000-000000000001', '2024-03-05 12:00:00.25 +0200 CEST m=+0.000000001', '2024-03-05 09:00:00 -0300 -03', 'Acme', 'acme'), "+
		"('0190c6d6-0000-7000-8000-000000000002', '2024-03-05 10:00:00.1+00:00', '2023-12-31 23:30:00.123456789 -0100 -01', 'Globex', 'globex')")
	if err != nil {
		t.Fatalf("insert former times: %v", err)
	}
	if err := store.Migrate(ctx, s.DB, s.Dialect); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	rows, err := s.DB.QueryContext(ctx, "SELECT CAST(created_at AS TEXT), CAST(updated_at AS TEXT) FROM organizations ORDER BY slug")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var c, u string
		if err := rows.Scan(&c, &u); err != nil {
			t.Fatal(err)
		}
		got = append(got, c, u)
	}
	want := []string{
		"2024-03-05 10:00:00.25+00:00", "2024-03-05 12:00:00+00:00",
		"2024-03-05 10:00:00.1+00:00", "2024-01-01 00:30:00.123456789+00:00",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("times after the migration = %q; want %q", got, want)
	}
	org := s.Client.Organization.Query().Where(organization.Slug("acme")).OnlyX(access.PlatformContext(ctx))
	if w := time.Date(2024, 3, 5, 10, 0, 0, 250_000_000, time.UTC); !org.CreatedAt.Equal(w) {
		t.Fatalf("created_at read back as %v; want %v", org.CreatedAt, w)
	}
}

// TestMembershipDisplayIsBackfilled writes memberships before migration
// membership_display, of users with a displayName, without one and with an
// empty one, then migrates: each membership keeps its user's displayName,
// or its userName when that is empty.
func TestMembershipDisplayIsBackfilled(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		all := store.MigrationFiles(s.Dialect)
		before := fstest.MapFS{}
		for _, name := range sqlNames(all) {
			if strings.HasSuffix(name, "_membership_display.sql") {
				break
			}
			before[name] = all[name]
		}
		if err := store.MigrateFS(ctx, s.DB, s.Dialect, withSum(t, before)); err != nil {
			t.Fatalf("migrate to before membership_display: %v", err)
		}
		svc := domain.New(s.Client, s.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		dir, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: schematype.Provider("generic")})
		if err != nil {
			t.Fatal(err)
		}
		seed := domain.Seeding(ctx) // fixtures of the former schema, written directly
		newUser := func(userName string) *ent.UserCreate {
			return s.Client.User.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.Directory.ID).SetUserName(userName)
		}
		users := []*ent.User{
			newUser("ann@example.com").SetDisplayName("Ann Lee").SaveX(seed),
			newUser("bob@example.com").SaveX(seed),
			newUser("cat@example.com").SetDisplayName("").SaveX(seed),
		}
		g := s.Client.Group.Create().SetOrganizationID(org.ID).SetDirectoryID(dir.Directory.ID).SetDisplayName("Team").SaveX(seed)
		want := map[uuid.UUID]string{users[0].ID: "Ann Lee", users[1].ID: "bob@example.com", users[2].ID: "cat@example.com"}
		for _, u := range users {
			b := store.NewArgs(s.Dialect)
			query := `INSERT INTO "memberships" ("created_at", "organization_id", "group_id", "user_id") VALUES (` +
				b.Add(time.Now()) + `, ` + b.Add(org.ID) + `, ` + b.Add(g.ID) + `, ` + b.Add(u.ID) + `)`
			if _, err := s.DB.ExecContext(ctx, query, b.List...); err != nil {
				t.Fatalf("insert a membership of the former schema: %v", err)
			}
		}
		if err := store.Migrate(ctx, s.DB, s.Dialect); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		got := map[uuid.UUID]string{}
		for _, m := range s.Client.Membership.Query().AllX(ctx) {
			got[m.UserID] = m.Display
		}
		if !maps.Equal(got, want) {
			t.Fatalf("displays after the migration = %v; want %v", got, want)
		}
	})
}
