package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/acme/directory/store"
)

// The public URL serve runs with is recorded in the database, so that the
// commands print the URLs the server answers on (the SCIM endpoint an
// admin pastes into an identity provider, a portal link) without the
// operator exporting DIRECTORY_PUBLIC_URL in every shell.
//
// It lives in a one-row-per-name table of its own, directory_settings,
// created on first use with CREATE TABLE IF NOT EXISTS: it belongs to the
// command line, not to the data model (no ent entity, no tenant, no
// events), and needs no migration of the ent schema. Every statement runs
// in a transaction, as a transaction-pooling PgBouncer requires.

// settingsTable is the table of recorded settings.
const settingsTable = "directory_settings"

// settingPublicURL names the public URL serve last started with.
const settingPublicURL = "public_url"

// recordPublicURL stores the public URL serve runs with. A failure is
// logged, not fatal: the commands then fall back to the environment.
func recordPublicURL(ctx context.Context, s *store.Store, url string) {
	if err := putSetting(ctx, s, settingPublicURL, url); err != nil {
		slog.WarnContext(ctx, "public URL not recorded for the command line", "err", err)
	}
}

// putSetting writes one setting. Replicas starting together may race to
// create the table (PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe
// against a concurrent one): the loser tries again, finding it.
func putSetting(ctx context.Context, s *store.Store, name, value string) (err error) {
	for range 3 {
		if err = putSettingOnce(ctx, s, name, value); err == nil {
			return nil
		}
	}
	return err
}

// putSettingOnce is one attempt of putSetting.
func putSettingOnce(ctx context.Context, s *store.Store, name, value string) error {
	return inTx(ctx, s.DB, func(tx *sql.Tx) error {
		ok, err := tableExists(ctx, tx, s.Dialect, settingsTable)
		if err != nil {
			return fmt.Errorf("look for %s: %w", settingsTable, err)
		}
		if !ok {
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+settingsTable+
				` (name VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
				return fmt.Errorf("create %s: %w", settingsTable, err)
			}
		}
		q := `INSERT INTO ` + settingsTable + ` (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`
		if s.Dialect == dialect.Postgres {
			q = strings.NewReplacer("?, ?", "$1, $2").Replace(q)
		}
		if _, err := tx.ExecContext(ctx, q, name, value); err != nil {
			return fmt.Errorf("record setting %s: %w", name, err)
		}
		return nil
	})
}

// getSetting reads one setting; "" when it was never recorded.
func getSetting(ctx context.Context, s *store.Store, name string) (string, error) {
	var v string
	err := inTx(ctx, s.DB, func(tx *sql.Tx) error {
		if ok, err := tableExists(ctx, tx, s.Dialect, settingsTable); err != nil || !ok {
			return err
		}
		q := `SELECT value FROM ` + settingsTable + ` WHERE name = ?`
		if s.Dialect == dialect.Postgres {
			q = strings.Replace(q, "?", "$1", 1)
		}
		err := tx.QueryRowContext(ctx, q, name).Scan(&v)
		if err == sql.ErrNoRows {
			return nil
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// tableExists reports whether the database has the table.
func tableExists(ctx context.Context, tx *sql.Tx, dia, table string) (bool, error) {
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if dia == dialect.Postgres {
		q = `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1`
	}
	var n int
	if err := tx.QueryRowContext(ctx, q, table).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// inTx runs f in a transaction of db, committed when f succeeds.
func inTx(ctx context.Context, db *sql.DB, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// publicURL is the base of the URLs a command prints: --public-url (or
// DIRECTORY_PUBLIC_URL) when set, else the one serve last started with on
// this database, else what serve would derive from DIRECTORY_ADDR.
func (a *cli) publicURL(ctx context.Context, s *store.Store) string {
	if a.cfg.publicURL != "" {
		return strings.TrimRight(a.cfg.publicURL, "/")
	}
	v, err := getSetting(ctx, s, settingPublicURL)
	if err != nil {
		slog.WarnContext(ctx, "the public URL serve recorded is unreadable", "err", err)
	}
	if v != "" {
		return v
	}
	c := config{addr: envOr("DIRECTORY_ADDR", ":8080")}
	return c.base()
}
