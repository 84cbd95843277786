// Command migrationgen writes the next versioned migration of each dialect:
// it replays the existing migrations on an empty development database (an
// in-memory SQLite, a throwaway PostgreSQL) and diffs the result with the ent
// schema. Run it through `make migration name=add_something`.
//
// The generator is store.GenerateMigration: it keeps the hand-written
// trigram indexes (store.KeepHandIndexes) and, when a migration changes a
// table of the hand-written triggers declared in store/triggers.go, drops
// them before its statements and re-creates them after
// (store.KeepHandTriggers): SQLite's table rebuilds would lose them. A
// trigger or function written by hand into a migration is declared there
// too, or the store tests fail.
//
// A migration that needs SQL the generator cannot write (a data rewrite, a
// step the generator would do destructively) is edited or added by hand
// before it is committed; `go run ./store/migrationgen -rehash` then
// rewrites each dialect's atlas.sum, which store.Migrate verifies. A
// migration that has been committed is never edited again.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "modernc.org/sqlite"

	entmigrate "github.com/acme/directory/ent/migrate"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
)

func main() {
	name := flag.String("name", "", "name of the migration, e.g. add_webhooks")
	root := flag.String("dir", "store/migrations", "folder holding sqlite/ and postgres/")
	rehash := flag.Bool("rehash", false, "only rewrite each dialect's atlas.sum from its files")
	flag.Parse()
	if *rehash {
		for _, d := range []string{*root + "/sqlite", *root + "/postgres"} {
			if err := writeSum(d); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	if *name == "" {
		log.Fatal("migrationgen: -name is required")
	}
	ctx := context.Background()
	if err := diffSQLite(ctx, *root+"/sqlite", *name); err != nil {
		log.Fatal(err)
	}
	if err := diffPostgres(ctx, *root+"/postgres", *name); err != nil {
		log.Fatal(err)
	}
}

func diffSQLite(ctx context.Context, dir, name string) error {
	db, err := sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		return fmt.Errorf("open sqlite dev database: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	return diff(ctx, entsql.OpenDB(dialect.SQLite, db), dialect.SQLite, dir, name)
}

func diffPostgres(ctx context.Context, dir, name string) error {
	srv, err := pgtest.Start()
	if err != nil {
		return fmt.Errorf("start postgres dev database: %w", err)
	}
	defer srv.Stop()
	dsn, err := srv.CreateDatabase(ctx)
	if err != nil {
		return err
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("open postgres dev database: %w", err)
	}
	defer db.Close()
	return diff(ctx, entsql.OpenDB(dialect.Postgres, db), dialect.Postgres, dir, name)
}

func diff(ctx context.Context, drv *entsql.Driver, dia, dir, name string) error {
	d, err := migrate.NewLocalDir(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	return store.GenerateMigration(ctx, drv, dia, d, name, entmigrate.Tables...)
}

// writeSum rewrites the atlas.sum of the migration folder dir.
func writeSum(dir string) error {
	d, err := migrate.NewLocalDir(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	sum, err := d.Checksum()
	if err != nil {
		return fmt.Errorf("checksum %s: %w", dir, err)
	}
	if err := migrate.WriteSumFile(d, sum); err != nil {
		return fmt.Errorf("write %s/atlas.sum: %w", dir, err)
	}
	return nil
}
