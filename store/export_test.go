package store

import (
	"context"
	"database/sql"
	"io/fs"
	"testing/fstest"

	"ariga.io/atlas/sql/migrate"
)

// MigrationFiles returns a copy of the dialect's embedded migration folder.
func MigrationFiles(dia string) fstest.MapFS {
	out := fstest.MapFS{}
	root := "migrations/" + folderOf(dia)
	entries, _ := fs.ReadDir(migrations, root)
	for _, e := range entries {
		b, _ := fs.ReadFile(migrations, root+"/"+e.Name())
		out[e.Name()] = &fstest.MapFile{Data: b}
	}
	return out
}

// MigrateFS applies the migrations of the folder fsys.
func MigrateFS(ctx context.Context, db *sql.DB, dia string, fsys fs.FS) error {
	dir, err := dirFromFS(fsys, ".")
	if err != nil {
		return err
	}
	return migrateDir(ctx, db, dia, dir, nil)
}

// MigrateDir applies the migrations of the atlas directory dir.
func MigrateDir(ctx context.Context, db *sql.DB, dia string, dir migrate.Dir) error {
	return migrateDir(ctx, db, dia, dir, nil)
}
