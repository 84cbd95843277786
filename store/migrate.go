package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
)

// migrations holds one folder of versioned SQL files per dialect, each with
// its atlas.sum, written by `make migration name=...` (./store/migrationgen)
// and never edited after they land.
//
//go:embed migrations
var migrations embed.FS

// lockID is the PostgreSQL advisory lock that serialises replicas starting
// at the same time.
const lockID = 7_344_211_042

// revisionsTable records the applied migrations: atlas's revision record,
// one row per version, with the checksum of the file as it was applied.
const revisionsTable = "atlas_schema_revisions"

// legacyTable is where the runner before atlas's recorded applied versions
// ("<version>_<name>"); a database that has it adopts those versions once.
const legacyTable = "schema_migrations"

// ErrMigrationChanged is the error (wrapped) when a migration file that the
// database has applied is no longer the file that was applied.
var ErrMigrationChanged = errors.New("an applied migration was changed")

// Migrate applies, in order, every migration of the dialect that the
// database has not applied yet, each in its own transaction, with atlas's
// executor. The folder must match its atlas.sum, and every migration the
// database has applied must still have the checksum it had then: an edited
// migration is refused, never silently skipped or re-run. On PostgreSQL an
// advisory lock serialises replicas that start at once.
func Migrate(ctx context.Context, db *sql.DB, dia string) error {
	dir, err := embeddedDir(dia)
	if err != nil {
		return err
	}
	return migrateDir(ctx, db, dia, dir, nil)
}

// Pending lists the migrations ("<version>_<name>") the database has not
// applied yet. It checks the folder and the applied checksums as Migrate
// does.
func Pending(ctx context.Context, db *sql.DB, dia string) ([]string, error) {
	dir, err := embeddedDir(dia)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: pending: %w", err)
	}
	defer conn.Close()
	files, err := pending(ctx, conn, dia, dir, false)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = strings.TrimSuffix(f.Name(), ".sql")
	}
	return out, nil
}

// embeddedDir is the dialect's migration folder as an atlas directory.
func embeddedDir(dia string) (migrate.Dir, error) {
	return dirFromFS(migrations, "migrations/"+folderOf(dia))
}

// dirFromFS copies the folder root of fsys (its .sql files and atlas.sum)
// into an in-memory atlas directory.
func dirFromFS(fsys fs.FS, root string) (migrate.Dir, error) {
	entries, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations %s: %w", root, err)
	}
	dir := &migrate.MemDir{}
	for _, e := range entries {
		if e.IsDir() || (path.Ext(e.Name()) != ".sql" && e.Name() != migrate.HashFileName) {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(root, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, fmt.Errorf("store: load migration %s: %w", e.Name(), err)
		}
	}
	return dir, nil
}

func folderOf(dia string) string {
	if dia == dialect.Postgres {
		return "postgres"
	}
	return "sqlite"
}

// migrateDir applies the pending migrations of dir, then runs then (when
// not nil) on the same session, under the same lock.
func migrateDir(ctx context.Context, db *sql.DB, dia string, dir migrate.Dir, then func(context.Context, *sql.Conn) error) error {
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
	files, err := pending(ctx, conn, dia, dir, true)
	if err != nil {
		return err
	}
	for _, f := range files {
		start := time.Now()
		applied, err := applyFile(ctx, conn, dia, dir, f)
		if err != nil {
			return err
		}
		if !applied {
			continue
		}
		slog.InfoContext(ctx, "applied migration", "version", strings.TrimSuffix(f.Name(), ".sql"),
			"dialect", dia, "took", time.Since(start).Round(time.Millisecond))
	}
	if then != nil {
		return then(ctx, conn)
	}
	return nil
}

// pending returns the files still to apply, after checking the folder
// against its atlas.sum and every applied revision against its file. With
// adopt, versions recorded by the former runner become revisions first.
func pending(ctx context.Context, conn *sql.Conn, dia string, dir migrate.Dir, adopt bool) ([]migrate.File, error) {
	if err := migrate.Validate(dir); err != nil {
		return nil, fmt.Errorf("store: the %s migrations do not match their atlas.sum "+
			"(a migration was edited, added or removed by hand; see store/migrationgen): %w", dia, err)
	}
	rrw := &revisions{q: conn, dialect: dia}
	if err := rrw.init(ctx); err != nil {
		return nil, err
	}
	legacy, err := rrw.legacy(ctx, dir)
	if err != nil {
		return nil, err
	}
	if adopt {
		for _, r := range legacy {
			if err := rrw.WriteRevision(ctx, r); err != nil {
				return nil, fmt.Errorf("store: adopt migration %s: %w", r.Version, err)
			}
		}
	} else {
		rrw.adopted = legacy
	}
	if err := checkApplied(ctx, rrw, dir); err != nil {
		return nil, err
	}
	drv, err := openDriver(conn, dia)
	if err != nil {
		return nil, err
	}
	ex, err := migrate.NewExecutor(drv, dir, rrw, migrate.WithAllowDirty(true))
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	files, err := ex.Pending(ctx)
	if errors.Is(err, migrate.ErrNoPendingFiles) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: pending migrations: %w", err)
	}
	return files, nil
}

// checkApplied refuses a folder in which a migration the database applied
// now has another checksum than when it was applied.
func checkApplied(ctx context.Context, rrw *revisions, dir migrate.Dir) error {
	revs, err := rrw.ReadRevisions(ctx)
	if err != nil {
		return err
	}
	sums, err := dir.Checksum()
	if err != nil {
		return fmt.Errorf("store: migration checksums: %w", err)
	}
	files, err := dir.Files()
	if err != nil {
		return fmt.Errorf("store: migration files: %w", err)
	}
	byVersion := make(map[string]migrate.File, len(files))
	for _, f := range files {
		byVersion[f.Version()] = f
	}
	for _, r := range revs {
		f, ok := byVersion[r.Version]
		if !ok || r.Hash == "" {
			continue
		}
		sum, err := sums.SumByName(f.Name())
		if err != nil {
			return fmt.Errorf("store: checksum of %s: %w", f.Name(), err)
		}
		if sum != r.Hash {
			return fmt.Errorf("store: migration %s was changed after the database applied it "+
				"(checksum %s, applied as %s): restore it and put the change in a new migration: %w",
				f.Name(), sum, r.Hash, ErrMigrationChanged)
		}
	}
	return nil
}

// applyFile applies one migration and records its revision in one
// transaction. On SQLite foreign keys are off during the transaction (the
// generator rebuilds tables to alter them, and SQLite can turn them off only
// outside a transaction), and checked before it commits. A file that
// another process applied since pending was read (SQLite has no advisory
// lock; its write transactions queue) is skipped: applied is false.
func applyFile(ctx context.Context, conn *sql.Conn, dia string, dir migrate.Dir, f migrate.File) (applied bool, err error) {
	if dia != dialect.Postgres {
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
			return false, fmt.Errorf("store: migrate %s: %w", f.Name(), err)
		}
		defer func() {
			if _, ferr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = on"); ferr != nil {
				err = errors.Join(err, fmt.Errorf("store: foreign keys back on: %w", ferr))
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", f.Name(), err)
	}
	defer tx.Rollback()
	drv, err := openDriver(tx, dia)
	if err != nil {
		return false, err
	}
	rrw := &revisions{q: tx, dialect: dia}
	switch r, err := rrw.ReadRevision(ctx, f.Version()); {
	case err == nil && r.Applied == r.Total:
		return false, nil
	case err != nil && !errors.Is(err, migrate.ErrRevisionNotExist):
		return false, err
	}
	ex, err := migrate.NewExecutor(drv, dir, rrw, migrate.WithAllowDirty(true))
	if err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", f.Name(), err)
	}
	if err := ex.Execute(ctx, f); err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", f.Name(), err)
	}
	if dia != dialect.Postgres {
		if err := foreignKeyCheck(ctx, tx); err != nil {
			return false, fmt.Errorf("store: migrate %s: %w", f.Name(), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: commit migration %s: %w", f.Name(), err)
	}
	return true, nil
}

// foreignKeyCheck fails when a SQLite migration left a dangling reference.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		return errors.New("foreign key check: the migration leaves rows referring to missing rows")
	}
	return rows.Err()
}

// openDriver is atlas's driver of the dialect over a connection or a
// transaction.
func openDriver(q schema.ExecQuerier, dia string) (migrate.Driver, error) {
	open := sqlite.Open
	if dia == dialect.Postgres {
		open = postgres.Open
	}
	drv, err := open(q)
	if err != nil {
		return nil, fmt.Errorf("store: open migration driver: %w", err)
	}
	return drv, nil
}

// querier is a connection or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// revisions keeps atlas's revision records in revisionsTable: atlas's
// migrate.RevisionReadWriter over plain SQL.
type revisions struct {
	q       querier
	dialect string
	// adopted are the former runner's versions, seen as revisions by a
	// read-only check before Migrate has recorded them.
	adopted []*migrate.Revision
}

var _ migrate.RevisionReadWriter = (*revisions)(nil)

// init creates the revisions table if it is missing.
func (r *revisions) init(ctx context.Context) error {
	_, err := r.q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+revisionsTable+` (
		version VARCHAR(255) PRIMARY KEY,
		description TEXT NOT NULL,
		type INTEGER NOT NULL,
		applied INTEGER NOT NULL,
		total INTEGER NOT NULL,
		executed_at VARCHAR(64) NOT NULL,
		execution_time BIGINT NOT NULL,
		error TEXT NOT NULL,
		error_stmt TEXT NOT NULL,
		hash TEXT NOT NULL,
		partial_hashes TEXT NOT NULL,
		operator_version TEXT NOT NULL)`)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", revisionsTable, err)
	}
	return nil
}

// legacy returns, when the revisions table is empty, the versions the
// former runner recorded in schema_migrations as executed revisions with
// the checksums of today's files (that runner kept none).
func (r *revisions) legacy(ctx context.Context, dir migrate.Dir) ([]*migrate.Revision, error) {
	var n int
	if err := r.scanOne(ctx, "SELECT COUNT(*) FROM "+revisionsTable, &n); err != nil {
		return nil, fmt.Errorf("store: count revisions: %w", err)
	}
	if n > 0 {
		return nil, nil
	}
	exists := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + legacyTable + "'"
	if r.dialect == dialect.Postgres {
		exists = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '" + legacyTable + "'"
	}
	if err := r.scanOne(ctx, exists, &n); err != nil {
		return nil, fmt.Errorf("store: look for %s: %w", legacyTable, err)
	}
	if n == 0 {
		return nil, nil
	}
	rows, err := r.q.QueryContext(ctx, "SELECT version FROM "+legacyTable+" ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", legacyTable, err)
	}
	defer rows.Close()
	recorded := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: read %s: %w", legacyTable, err)
		}
		recorded[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read %s: %w", legacyTable, err)
	}
	files, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("store: migration files: %w", err)
	}
	sums, err := dir.Checksum()
	if err != nil {
		return nil, fmt.Errorf("store: migration checksums: %w", err)
	}
	var out []*migrate.Revision
	for _, f := range files {
		if !recorded[strings.TrimSuffix(f.Name(), ".sql")] {
			continue
		}
		sum, err := sums.SumByName(f.Name())
		if err != nil {
			return nil, fmt.Errorf("store: checksum of %s: %w", f.Name(), err)
		}
		stmts, err := f.Stmts()
		if err != nil {
			return nil, fmt.Errorf("store: statements of %s: %w", f.Name(), err)
		}
		out = append(out, &migrate.Revision{
			Version: f.Version(), Description: f.Desc(), Type: migrate.RevisionTypeExecute,
			Applied: len(stmts), Total: len(stmts), ExecutedAt: time.Now(), Hash: sum,
			OperatorVersion: "adopted from " + legacyTable,
		})
	}
	return out, nil
}

func (r *revisions) scanOne(ctx context.Context, query string, dst any) error {
	rows, err := r.q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dst); err != nil {
		return err
	}
	return rows.Close()
}

// Ident names the revisions table, so atlas does not count it as schema.
func (r *revisions) Ident() *migrate.TableIdent {
	return &migrate.TableIdent{Name: revisionsTable}
}

const revisionColumns = "version, description, type, applied, total, executed_at, execution_time, " +
	"error, error_stmt, hash, partial_hashes, operator_version"

// ReadRevisions returns every revision, ordered by version.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	revs, err := r.read(ctx, "SELECT "+revisionColumns+" FROM "+revisionsTable+" ORDER BY version")
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return r.adopted, nil
	}
	return revs, nil
}

// ReadRevision returns the revision of version, or migrate.ErrRevisionNotExist.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*migrate.Revision, error) {
	revs, err := r.read(ctx, "SELECT "+revisionColumns+" FROM "+revisionsTable+" WHERE version = "+r.ph(1), version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, migrate.ErrRevisionNotExist
	}
	return revs[0], nil
}

// WriteRevision inserts or replaces the revision.
func (r *revisions) WriteRevision(ctx context.Context, rev *migrate.Revision) error {
	partial, err := json.Marshal(rev.PartialHashes)
	if err != nil {
		return fmt.Errorf("store: encode revision %s: %w", rev.Version, err)
	}
	if err := r.DeleteRevision(ctx, rev.Version); err != nil {
		return err
	}
	phs := make([]string, 12)
	for i := range phs {
		phs[i] = r.ph(i + 1)
	}
	_, err = r.q.ExecContext(ctx, "INSERT INTO "+revisionsTable+" ("+revisionColumns+") VALUES ("+strings.Join(phs, ", ")+")",
		rev.Version, rev.Description, int64(rev.Type), rev.Applied, rev.Total,
		rev.ExecutedAt.UTC().Format(time.RFC3339Nano), int64(rev.ExecutionTime),
		rev.Error, rev.ErrorStmt, rev.Hash, string(partial), rev.OperatorVersion)
	if err != nil {
		return fmt.Errorf("store: write revision %s: %w", rev.Version, err)
	}
	return nil
}

// DeleteRevision deletes the revision of version.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	if _, err := r.q.ExecContext(ctx, "DELETE FROM "+revisionsTable+" WHERE version = "+r.ph(1), version); err != nil {
		return fmt.Errorf("store: delete revision %s: %w", version, err)
	}
	return nil
}

func (r *revisions) read(ctx context.Context, query string, args ...any) ([]*migrate.Revision, error) {
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read revisions: %w", err)
	}
	defer rows.Close()
	var out []*migrate.Revision
	for rows.Next() {
		var (
			rev              migrate.Revision
			typ, took        int64
			executed, hashes string
		)
		if err := rows.Scan(&rev.Version, &rev.Description, &typ, &rev.Applied, &rev.Total, &executed,
			&took, &rev.Error, &rev.ErrorStmt, &rev.Hash, &hashes, &rev.OperatorVersion); err != nil {
			return nil, fmt.Errorf("store: read revisions: %w", err)
		}
		rev.Type = migrate.RevisionType(typ)
		rev.ExecutionTime = time.Duration(took)
		if rev.ExecutedAt, err = time.Parse(time.RFC3339Nano, executed); err != nil {
			return nil, fmt.Errorf("store: revision %s: executed_at: %w", rev.Version, err)
		}
		if err := json.Unmarshal([]byte(hashes), &rev.PartialHashes); err != nil {
			return nil, fmt.Errorf("store: revision %s: partial hashes: %w", rev.Version, err)
		}
		out = append(out, &rev)
	}
	return out, rows.Err()
}

// ph is the n-th (from 1) query placeholder of the dialect.
func (r *revisions) ph(n int) string {
	if r.dialect == dialect.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}
