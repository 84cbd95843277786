package store

import (
	"context"
	"fmt"

	"ariga.io/atlas/sql/migrate"
	entsql "entgo.io/ent/dialect/sql"
	entschema "entgo.io/ent/dialect/sql/schema"
)

// GenerateMigration writes into dir the next versioned migration of the
// dialect dia, named name, and rewrites dir's atlas.sum: the changes that
// bring the schema the migrations of dir build, replayed on dev (an empty
// development database of the dialect), to tables (the ent schema,
// ent/migrate.Tables). Nothing is written when there is nothing to change.
//
// It is the migration generator (store/migrationgen, `make migration`):
// columns and indexes the ent schema lost are dropped, except the
// hand-written indexes (KeepHandIndexes), and a migration that changes a
// table of the hand-written triggers re-creates them (KeepHandTriggers).
func GenerateMigration(ctx context.Context, dev *entsql.Driver, dia string, dir migrate.Dir, name string, tables ...*entschema.Table) error {
	m, err := entschema.NewMigrate(dev,
		entschema.WithDir(dir),
		entschema.WithMigrationMode(entschema.ModeReplay),
		entschema.WithDialect(dia),
		entschema.WithFormatter(KeepHandTriggers(dia, migrate.DefaultFormatter)),
		entschema.WithDropColumn(true),
		entschema.WithDropIndex(true),
		entschema.WithDiffHook(KeepHandIndexes),
	)
	if err != nil {
		return fmt.Errorf("store: generate %s migration: %w", dia, err)
	}
	if err := m.NamedDiff(ctx, name, tables...); err != nil {
		return fmt.Errorf("store: generate %s migration: diff: %w", dia, err)
	}
	return nil
}
