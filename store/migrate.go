package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"

	"entgo.io/ent/dialect"
)

// migrations holds one folder of versioned SQL files per dialect, written by
// `make migration name=...` (./store/migrationgen) and never edited after
// they land.
//
//go:embed migrations
var migrations embed.FS

// lockID is the PostgreSQL advisory lock that serialises replicas starting
// at the same time.
const lockID = 7_344_211_042

// Migrate applies, in order, every migration file of the dialect that the
// database has not recorded yet, each in its own transaction.
func Migrate(ctx context.Context, db *sql.DB, dia string) error {
	files, err := migrationFiles(dia)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if dia == dialect.Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID)
	}
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return err
	}
	for _, f := range files {
		version := strings.TrimSuffix(path.Base(f), ".sql")
		if applied[version] {
			continue
		}
		if err := apply(ctx, conn, dia, f, version); err != nil {
			return err
		}
		slog.InfoContext(ctx, "applied migration", "version", version, "dialect", dia)
	}
	return nil
}

// Pending lists the migrations the database has not applied yet.
func Pending(ctx context.Context, db *sql.DB, dia string) ([]string, error) {
	files, err := migrationFiles(dia)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: pending: %w", err)
	}
	defer conn.Close()
	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	var pending []string
	for _, f := range files {
		if v := strings.TrimSuffix(path.Base(f), ".sql"); !applied[v] {
			pending = append(pending, v)
		}
	}
	return pending, nil
}

func migrationFiles(dia string) ([]string, error) {
	dir := "migrations/" + folderOf(dia)
	files, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("store: no migrations for dialect %q", dia)
	}
	sort.Strings(files)
	return files, nil
}

func folderOf(dia string) string {
	if dia == dialect.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// appliedVersions reads the versions recorded in schema_migrations,
// creating the table on first use.
func appliedVersions(ctx context.Context, conn *sql.Conn) (map[string]bool, error) {
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version VARCHAR(255) PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read applied migrations: %w", err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: read applied migrations: %w", err)
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

// apply runs one migration file and records it, atomically: PostgreSQL and
// SQLite both have transactional DDL.
func apply(ctx context.Context, conn *sql.Conn, dia, file, version string) error {
	body, err := migrations.ReadFile(file)
	if err != nil {
		return fmt.Errorf("store: read %s: %w", file, err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", version, err)
	}
	defer tx.Rollback()
	for _, stmt := range statements(string(body)) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("store: migrate %s: %w\n%s", version, err, stmt)
		}
	}
	record := "INSERT INTO schema_migrations (version) VALUES (?)"
	if dia == dialect.Postgres {
		record = "INSERT INTO schema_migrations (version) VALUES ($1)"
	}
	if _, err := tx.ExecContext(ctx, record, version); err != nil {
		return fmt.Errorf("store: record migration %s: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit migration %s: %w", version, err)
	}
	return nil
}

// statements splits a migration file into statements. The files are written
// by the generator, one statement per line-terminated ";", with "--"
// comments; no statement holds a ";" inside a string.
func statements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
