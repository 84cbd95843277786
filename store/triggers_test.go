package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	atlas "ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	entmigrate "github.com/acme/directory/ent/migrate"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestGeneratedMigrationKeepsTriggers generates, with the generator's own
// code (store.GenerateMigration), "the next migration" for an ent schema
// changed so that SQLite rebuilds tables, applies it to a database holding
// users and groups, and checks that the directories' totals are still
// right and still follow inserts and deletes. Without KeepHandTriggers the
// users and groups rebuild loses the triggers (the totals stop moving) and
// the directories rebuild fails ("error in trigger ...: no such table").
func TestGeneratedMigrationKeepsTriggers(t *testing.T) {
	cases := []struct {
		name string
		// nullable is the ent schema change: these columns (table → column)
		// become nullable, which SQLite's planner does by a table rebuild.
		nullable map[string]string
		// keep: the migration must drop and re-create the triggers.
		keep bool
	}{
		{name: "users and groups rebuilt", nullable: map[string]string{"users": "version", "groups": "version"}, keep: true},
		{name: "directories rebuilt", nullable: map[string]string{"directories": "enabled"}, keep: true},
		{name: "another table rebuilt", nullable: map[string]string{"roles": "name"}, keep: false},
	}
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					ctx := context.Background()
					s := connect(t, d) // the database the migration is applied to
					dir := embeddedDir(t, s.Dialect)
					before, err := dir.Files()
					if err != nil {
						t.Fatal(err)
					}
					tables := withNullable(t, entmigrate.Tables, tc.nullable)
					if err := store.GenerateMigration(ctx, devDriver(t, s.Dialect), s.Dialect, dir, "next", tables...); err != nil {
						t.Fatalf("generate: %v", err)
					}
					files, err := dir.Files()
					if err != nil {
						t.Fatal(err)
					}
					if len(files) != len(before)+1 {
						t.Fatalf("%d migrations after generating; want %d", len(files), len(before)+1)
					}
					next := files[len(files)-1]
					text := string(next.Bytes())
					stmts := statements(t, s.Dialect, text)
					// The case tests what it says: SQLite rebuilds the tables,
					// PostgreSQL alters them.
					for table := range tc.nullable {
						want := "DROP TABLE `" + table + "`"
						if s.Dialect == dialect.Postgres {
							want = `ALTER TABLE "` + table + `"`
						}
						if !slices.ContainsFunc(stmts, func(st string) bool { return st == want || strings.HasPrefix(st, want+" ") }) {
							t.Fatalf("the generated migration has no %s:\n%s", want, text)
						}
					}
					h := store.HandTriggers(s.Dialect)
					drops, creates := h.DropStatements(), h.CreateStatements()
					switch {
					case tc.keep && (len(stmts) < len(drops)+len(creates) ||
						!slices.Equal(stmts[:len(drops)], drops) || !slices.Equal(stmts[len(stmts)-len(creates):], creates)):
						t.Fatalf("the generated migration does not start by dropping the triggers and end by re-creating them:\n%s", text)
					case !tc.keep && strings.Contains(strings.ToUpper(text), "TRIGGER"):
						t.Fatalf("the generated migration names triggers, though it changes none of their tables:\n%s", text)
					}

					// A database at the current migrations, with rows.
					if err := store.Migrate(ctx, s.DB, s.Dialect); err != nil {
						t.Fatalf("migrate: %v", err)
					}
					pctx := domain.Seeding(access.PlatformContext(ctx)) // fixtures, written directly
					c := s.Client
					org := c.Organization.Create().SetName("Acme").SetSlug("acme").SaveX(pctx)
					directory := c.Directory.Create().SetOrganizationID(org.ID).SetName("A").SetProvider("okta").SaveX(pctx)
					addUsers := func(names ...string) {
						for _, n := range names {
							c.User.Create().SetOrganizationID(org.ID).SetDirectoryID(directory.ID).SetUserName(n).ExecX(pctx)
						}
					}
					addGroups := func(names ...string) []*ent.Group {
						var out []*ent.Group
						for _, n := range names {
							out = append(out, c.Group.Create().SetOrganizationID(org.ID).SetDirectoryID(directory.ID).SetDisplayName(n).SaveX(pctx))
						}
						return out
					}
					check := func(when string, users, groups int) {
						t.Helper()
						got := c.Directory.GetX(pctx, directory.ID)
						if got.UserTotal != users || got.GroupTotal != groups {
							t.Fatalf("%s: totals users %d groups %d; want %d %d", when, got.UserTotal, got.GroupTotal, users, groups)
						}
					}
					addUsers("u1", "u2", "u3")
					groups := addGroups("G1", "G2")
					check("before the migration", 3, 2)

					if err := store.MigrateDir(ctx, s.DB, s.Dialect, dir); err != nil {
						t.Fatalf("apply the generated migration: %v\n%s", err, text)
					}
					check("after the migration", 3, 2)
					addUsers("u4")
					groups = append(groups, addGroups("G3")...)
					check("after inserts", 4, 3)
					c.User.Delete().Where(user.UserNameIn("u1", "u2")).ExecX(pctx)
					c.Group.DeleteOne(groups[0]).ExecX(pctx)
					check("after deletes", 2, 2)
					if got, want := slices.Sorted(maps.Keys(catalog(t, s.DB, s.Dialect))), declared(h); !slices.Equal(got, want) {
						t.Fatalf("hand-written objects after the migration: %q; want %q", got, want)
					}
				})
			}
		})
	}
}

// scan splits a migration file of the dialect into statements, as atlas's
// executor does (a SQLite trigger's BEGIN ... END, PostgreSQL's $$ bodies).
func scan(dia, file string) ([]*migrate.Stmt, error) {
	if dia == dialect.Postgres {
		return (*postgres.Driver)(nil).ScanStmts(file)
	}
	return (*sqlite.Driver)(nil).ScanStmts(file)
}

// statements are the statements of a migration file of the dialect,
// without their comments and final semicolons.
func statements(t *testing.T, dia, file string) []string {
	t.Helper()
	stmts, err := scan(dia, file)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(stmts))
	for i, st := range stmts {
		out[i] = strings.TrimSuffix(strings.TrimSpace(leadingComments.ReplaceAllString(st.Text, "")), ";")
	}
	return out
}

// embeddedDir is a writable copy of the dialect's migration folder.
func embeddedDir(t *testing.T, dia string) *migrate.MemDir {
	t.Helper()
	dir := &migrate.MemDir{}
	for name, f := range store.MigrationFiles(dia) {
		if err := dir.WriteFile(name, f.Data); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// devDriver is an empty development database of the dialect for the
// generator to replay the migrations on, as store/migrationgen uses.
func devDriver(t *testing.T, dia string) *entsql.Driver {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	if dia == dialect.Postgres {
		db, err = sql.Open("postgres", pgtest.New(t))
	} else {
		db, err = sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
		db.SetMaxOpenConns(1) // one connection: one in-memory database
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return entsql.OpenDB(dia, db)
}

// withNullable returns tables with the named columns (table → column) made
// nullable, in copies: the ent schema itself is left as it is.
func withNullable(t *testing.T, tables []*entschema.Table, nullable map[string]string) []*entschema.Table {
	t.Helper()
	out := slices.Clone(tables)
	for i, et := range out {
		col, ok := nullable[et.Name]
		if !ok {
			continue
		}
		// NewTable, not a copy of *et: a table keeps a private column map
		// the migration engine fills, which a copy would share.
		nt := entschema.NewTable(et.Name)
		nt.Schema, nt.Indexes, nt.PrimaryKey, nt.ForeignKeys = et.Schema, et.Indexes, et.PrimaryKey, et.ForeignKeys
		nt.Annotation, nt.Comment, nt.View, nt.Pos = et.Annotation, et.Comment, et.View, et.Pos
		nt.Columns = slices.Clone(et.Columns)
		found := false
		for j, c := range nt.Columns {
			if c.Name == col {
				cc := *c
				cc.Nullable = true
				nt.Columns[j], found = &cc, true
			}
		}
		if !found || column(et, col).Nullable {
			t.Fatalf("%s.%s is not a NOT NULL column of the ent schema", et.Name, col)
		}
		out[i] = nt
	}
	return out
}

// column is the column named col of table et.
func column(et *entschema.Table, col string) *entschema.Column {
	for _, c := range et.Columns {
		if c.Name == col {
			return c
		}
	}
	return nil
}

// declared lists the hand-written objects of h as catalog names.
func declared(h store.HandObjects) []string {
	var out []string
	for _, f := range h.Functions {
		out = append(out, "function "+f.Name)
	}
	for _, tr := range h.Triggers {
		out = append(out, "trigger "+tr.Name+" on "+tr.Table)
	}
	slices.Sort(out)
	return out
}

// catalog returns the triggers and functions of the database ("trigger
// <name> on <table>", "function <name>") with their definitions as the
// database gives them back (the functions of extensions aside).
func catalog(t *testing.T, db *sql.DB, dia string) map[string]string {
	t.Helper()
	queries := []string{"SELECT 'trigger ' || name || ' on ' || tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"}
	if dia == dialect.Postgres {
		queries = []string{
			`SELECT 'trigger ' || t.tgname || ' on ' || c.relname, pg_get_triggerdef(t.oid)
			FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE NOT t.tgisinternal AND n.nspname = current_schema()`,
			`SELECT 'function ' || p.proname, pg_get_functiondef(p.oid)
			FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d
				WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
		}
	}
	out := map[string]string{}
	for _, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("read the catalog: %v", err)
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				t.Fatal(err)
			}
			out[name] = def
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestHandTriggersMatchDatabase: the triggers and functions the migrations
// leave in the database are exactly those store/triggers.go declares, with
// the same definitions: dropping and re-creating them from the declaration
// changes nothing the catalog shows.
func TestHandTriggersMatchDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := store.HandTriggers(s.Dialect)
		migrated := catalog(t, s.DB, s.Dialect)
		if got, want := slices.Sorted(maps.Keys(migrated)), declared(h); !slices.Equal(got, want) {
			t.Fatalf("the migrations leave %q; store/triggers.go declares %q", got, want)
		}
		tx, err := s.DB.Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, stmt := range append(h.DropStatements(), h.CreateStatements()...) {
			if _, err := tx.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		recreated := catalog(t, s.DB, s.Dialect)
		for name, def := range migrated {
			if recreated[name] != def {
				t.Errorf("%s as the migrations define it:\n%s\nas store/triggers.go does:\n%s", name, def, recreated[name])
			}
		}
	})
}

var (
	// createObject and dropObject find the triggers and functions a
	// migration statement creates or drops.
	createObject = regexp.MustCompile("(?is)^CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TEMP\\s+|TEMPORARY\\s+)?(?:CONSTRAINT\\s+)?(TRIGGER|FUNCTION)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?[`\"]?(\\w+)")
	dropObject   = regexp.MustCompile("(?is)^DROP\\s+(TRIGGER|FUNCTION)\\s+(?:IF\\s+EXISTS\\s+)?[`\"]?(\\w+)")
	// leadingComments are the comment lines a statement may start with.
	leadingComments = regexp.MustCompile(`^(?:\s*--[^\n]*\n)*\s*`)
)

// migratedObjects replays the CREATE and DROP TRIGGER and FUNCTION
// statements of the migration files, in order, and returns the triggers and
// functions left ("trigger <name>", "function <name>").
func migratedObjects(t *testing.T, dia string, files fstest.MapFS) []string {
	t.Helper()
	left := map[string]bool{}
	for _, name := range sqlNames(files) {
		stmts, err := scan(dia, string(files[name].Data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, st := range stmts {
			text := leadingComments.ReplaceAllString(st.Text, "")
			if m := createObject.FindStringSubmatch(text); m != nil {
				left[strings.ToLower(m[1])+" "+m[2]] = true
			} else if m := dropObject.FindStringSubmatch(text); m != nil {
				delete(left, strings.ToLower(m[1])+" "+m[2])
			}
		}
	}
	return slices.Sorted(maps.Keys(left))
}

// TestHandTriggersAreDeclared scans the migration files: every trigger and
// function they create (and do not drop again) is declared in
// store/triggers.go, and every declared one is created by a migration. A
// trigger written by hand into a migration and not declared there would be
// lost by the next generated migration.
func TestHandTriggersAreDeclared(t *testing.T) {
	sneaky := "CREATE TRIGGER `sneaky` AFTER UPDATE ON `users` BEGIN SELECT 1; END;\n"
	dropped := "DROP TRIGGER IF EXISTS `users_total_insert`;\n"
	for _, dia := range []string{dialect.SQLite, dialect.Postgres} {
		h := store.HandTriggers(dia)
		var want []string
		for _, f := range h.Functions {
			want = append(want, "function "+f.Name)
		}
		for _, tr := range h.Triggers {
			want = append(want, "trigger "+tr.Name)
		}
		slices.Sort(want)
		cases := []struct {
			name  string
			extra string // a migration added after the committed ones
			want  []string
		}{
			{name: "the migrations", want: want},
			{name: "an undeclared trigger", extra: "-- By hand.\n" + sneaky,
				want: slices.Sorted(slices.Values(append(slices.Clone(want), "trigger sneaky")))},
			{name: "a declared trigger dropped", extra: dropped,
				want: slices.DeleteFunc(slices.Clone(want), func(s string) bool { return s == "trigger users_total_insert" })},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%s", dia, tc.name), func(t *testing.T) {
				files := store.MigrationFiles(dia)
				if tc.extra != "" {
					files["99991231000000_extra.sql"] = &fstest.MapFile{Data: []byte(tc.extra)}
				}
				got := migratedObjects(t, dia, files)
				if tc.extra == "" && !slices.Equal(got, want) {
					t.Fatalf("the migrations create %q; store/triggers.go declares %q: declare every "+
						"trigger and function written by hand into a migration there", got, want)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("triggers and functions the migrations leave: %q; want %q", got, tc.want)
				}
			})
		}
	}
}

// TestKeepHandTriggers feeds the generator's formatter plans of atlas's
// shape: a plan whose statements name a table of the triggers gets their
// drops first and their re-creation last, any other plan is left as it
// is, and a plan dropping such a table is refused.
func TestKeepHandTriggers(t *testing.T) {
	for _, dia := range []string{dialect.SQLite, dialect.Postgres} {
		q := func(name string) string { return "`" + name + "`" }
		if dia == dialect.Postgres {
			q = func(name string) string { return `"` + name + `"` }
		}
		change := func(cmd string, src atlas.Change) *migrate.Change {
			return &migrate.Change{Cmd: cmd, Source: src}
		}
		users := atlas.NewTable("users")
		cases := []struct {
			name    string
			changes []*migrate.Change
			keep    bool
			err     bool
		}{
			{name: "rebuild of users", keep: true, changes: []*migrate.Change{
				change("CREATE TABLE "+q("new_users")+" ("+q("id")+" uuid NOT NULL)", &atlas.ModifyTable{T: users}),
				change("INSERT INTO "+q("new_users")+" ("+q("id")+") SELECT "+q("id")+" FROM "+q("users"), &atlas.ModifyTable{T: users}),
				change("DROP TABLE "+q("users"), &atlas.ModifyTable{T: users}),
				change("ALTER TABLE "+q("new_users")+" RENAME TO "+q("users"), &atlas.ModifyTable{T: users}),
			}},
			{name: "index on directories", keep: true, changes: []*migrate.Change{
				change("CREATE INDEX "+q("d")+" ON "+q("directories")+" ("+q("name")+")", nil),
			}},
			{name: "index on group_users", changes: []*migrate.Change{
				change("CREATE INDEX "+q("g")+" ON "+q("group_users")+" ("+q("user_id")+")", nil),
			}},
			{name: "users dropped and created", keep: true, changes: []*migrate.Change{
				change("DROP TABLE "+q("users"), &atlas.DropTable{T: users}),
				change("CREATE TABLE "+q("users")+" ("+q("id")+" uuid NOT NULL)", &atlas.AddTable{T: users}),
			}},
			{name: "users dropped", err: true, changes: []*migrate.Change{
				change("DROP TABLE "+q("users"), &atlas.DropTable{T: users}),
			}},
		}
		for _, tc := range cases {
			t.Run(dia+"/"+tc.name, func(t *testing.T) {
				var cmds []string
				for _, c := range tc.changes {
					cmds = append(cmds, c.Cmd)
				}
				h := store.HandTriggers(dia)
				want := cmds
				if tc.keep {
					want = slices.Concat(h.DropStatements(), cmds, h.CreateStatements())
				}
				files, err := store.KeepHandTriggers(dia, migrate.DefaultFormatter).Format(
					&migrate.Plan{Version: "1", Name: "next", Changes: tc.changes})
				if tc.err {
					if err == nil || !strings.Contains(err.Error(), `"users"`) {
						t.Fatalf("err = %v; want a refusal naming users", err)
					}
					return
				}
				if err != nil || len(files) != 1 {
					t.Fatalf("format: %d files, %v", len(files), err)
				}
				if got := statements(t, dia, string(files[0].Bytes())); !slices.Equal(got, want) {
					t.Fatalf("statements:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}
	}
}
