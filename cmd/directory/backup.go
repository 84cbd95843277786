package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/directory/store"
)

// Backups. SQLite: "backup" writes an online, consistent copy of the
// database with VACUUM INTO through the server's own driver (one read
// transaction: a snapshot, while the server keeps writing), and "restore"
// puts a copy in place only when no server holds the data folder (see
// lock_unix.go). PostgreSQL: pg_dump and pg_restore do it; the commands
// run them when they are installed, and say how otherwise.

func (a *cli) backupCmd() *cobra.Command {
	var to string
	cmd := leaf("backup", "write an online, consistent copy of the database to a file (SQLite; PostgreSQL: pg_dump)", func(cmd *cobra.Command) error {
		if store.IsPostgresURL(a.cfg.databaseURL) {
			return pgDump(cmd.Context(), a.cfg.databaseURL, to, a.out)
		}
		return backupSQLite(cmd.Context(), a.cfg, to, a.out)
	})
	cmd.Flags().StringVar(&to, "to", "", "the file to write (must not exist)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func (a *cli) restoreCmd() *cobra.Command {
	var from string
	cmd := leaf("restore", "replace the database with a backup; refused while a server runs on it", func(cmd *cobra.Command) error {
		if store.IsPostgresURL(a.cfg.databaseURL) {
			return pgRestore(cmd.Context(), a.cfg.databaseURL, from, a.out)
		}
		return restoreSQLite(cmd.Context(), a.cfg, from, a.out)
	})
	cmd.Flags().StringVar(&from, "from", "", "the backup file (written by directory backup)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// backupSQLite copies the database to the file to, through a temporary
// file beside it, renamed once complete.
func backupSQLite(ctx context.Context, c config, to string, out io.Writer) error {
	if c.databaseURL != "" {
		return fmt.Errorf("backup: DATABASE_URL %q: backup handles the SQLite database of --data-dir, and postgres:// URLs with pg_dump", c.databaseURL)
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s exists: choose a new file", to)
	}
	if _, err := os.Stat(store.SQLiteFile(c.dataDir)); err != nil {
		return fmt.Errorf("backup: no database at %s: %w", store.SQLiteFile(c.dataDir), err)
	}
	s, err := store.Connect(ctx, "", c.dataDir)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer s.Close()
	tmp := to + ".partial"
	os.Remove(tmp)
	start := time.Now()
	if _, err := s.DB.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: VACUUM INTO %s: %w", tmp, err)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, to); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	st, _ := os.Stat(to)
	var size int64
	if st != nil {
		size = st.Size()
	}
	fmt.Fprintf(out, "backup written to %s (%d bytes, %s)\n", to, size, time.Since(start).Round(time.Millisecond))
	return nil
}

// restoreSQLite puts the backup from in place of the data folder's
// database. It holds the folder's lock throughout, so it is refused while
// a server runs there and a server cannot start meanwhile. The database
// it replaces is kept beside it, renamed.
func restoreSQLite(ctx context.Context, c config, from string, out io.Writer) error {
	if c.databaseURL != "" {
		return fmt.Errorf("restore: DATABASE_URL %q: restore handles the SQLite database of --data-dir, and postgres:// URLs with pg_restore", c.databaseURL)
	}
	if err := checkSQLiteBackup(ctx, from); err != nil {
		return err
	}
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	unlock, err := lockDataDir(c.dataDir, true)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer unlock()
	dst := store.SQLiteFile(c.dataDir)
	tmp := dst + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	kept := ""
	if _, err := os.Stat(dst); err == nil {
		kept = dst + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		// The WAL and shared-memory files go with the file they belong to.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dst+suffix, kept+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("restore: keep the current database: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// Migrations the backup predates, applied now.
	s, err := store.Open(ctx, "", c.dataDir)
	if err != nil {
		return fmt.Errorf("restore: open the restored database: %w", err)
	}
	s.Close()
	fmt.Fprintf(out, "restored %s into %s\n", from, dst)
	if kept != "" {
		fmt.Fprintf(out, "the database it replaced is kept as %s\n", kept)
	}
	return nil
}

// checkSQLiteBackup refuses a file that is not a sound SQLite database.
func checkSQLiteBackup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("restore: open %s: %w", path, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return fmt.Errorf("restore: %s is not a SQLite database: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("restore: %s is damaged: %s", path, res)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'organizations'").Scan(&n); err != nil || n == 0 {
		return fmt.Errorf("restore: %s is not a Directory database (no organizations table)", path)
	}
	return nil
}

// copyFile copies src to dst (created) and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		return err
	}
	if err := o.Sync(); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}

// syncFile flushes a written file to disk.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// pgTool finds a PostgreSQL client program: on the PATH, else in Debian's
// versioned folders.
func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(ms) > 0 {
		return ms[len(ms)-1], nil
	}
	return "", fmt.Errorf("%s not found", name)
}

// pgDumpHint is how to back up PostgreSQL without this command.
const pgDumpHint = `back up PostgreSQL with pg_dump (Debian package postgresql-client):
    pg_dump --format=custom --file=directory.dump "$DATABASE_URL"`

// pgDump writes a custom-format dump of the database with pg_dump.
func pgDump(ctx context.Context, databaseURL, to string, out io.Writer) error {
	bin, err := pgTool("pg_dump")
	if err != nil {
		return fmt.Errorf("backup: %w; %s", err, pgDumpHint)
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("backup: %s exists: choose a new file", to)
	}
	dbURL, env := pgConn(databaseURL)
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--file="+to, "--dbname="+dbURL)
	cmd.Stdout, cmd.Stderr, cmd.Env = out, os.Stderr, env
	if err := cmd.Run(); err != nil {
		os.Remove(to)
		return fmt.Errorf("backup: pg_dump: %w", err)
	}
	fmt.Fprintf(out, "backup written to %s (pg_dump, custom format)\n", to)
	return nil
}

// pgRestore restores a pg_dump file into the database with pg_restore.
// The database must be empty (a new one: createdb): a running server's
// database has tables, so it is refused, and nothing is overwritten.
func pgRestore(ctx context.Context, databaseURL, from string, out io.Writer) error {
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	bin, err := pgTool("pg_restore")
	if err != nil {
		return fmt.Errorf(`restore: %w; restore PostgreSQL with pg_restore into a new, empty database:
    pg_restore --no-owner --exit-on-error --dbname="$DATABASE_URL" directory.dump`, err)
	}
	db, err := sql.Open("postgres", databaseURL)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()`).Scan(&n)
	db.Close()
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("restore: the database has %d tables: restore into a new, empty database (createdb), then point the servers at it", n)
	}
	dbURL, env := pgConn(databaseURL)
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--exit-on-error", "--single-transaction", "--dbname="+dbURL, from)
	cmd.Stdout, cmd.Stderr, cmd.Env = out, os.Stderr, env
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("restore: pg_restore: %w", err)
	}
	fmt.Fprintf(out, "restored %s (pg_restore)\n", from)
	return nil
}

// pgConn splits the password out of a PostgreSQL URL for a client program:
// the URL without it (the program's arguments are visible to every local
// user) and the environment with PGPASSWORD set.
func pgConn(databaseURL string) (string, []string) {
	env := os.Environ()
	u, err := url.Parse(databaseURL)
	if err != nil || u.User == nil {
		return databaseURL, env
	}
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	return u.String(), env
}
