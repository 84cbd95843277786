// Package store opens the database behind the service: an embedded SQLite
// file by default, PostgreSQL when given a postgres:// URL. Both get the same
// schema from the versioned migrations in migrations/.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"  // registers "postgres"
	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/acme/directory/ent"
	_ "github.com/acme/directory/ent/runtime" // hooks and privacy policies
)

// Store is an open database with its ent client.
type Store struct {
	Client  *ent.Client
	DB      *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	// driver is what Client sends its statements through (see Instrument).
	driver dialect.Driver
}

// Close closes the database.
func (s *Store) Close() error { return s.Client.Close() }

// Open connects to databaseURL, or, when it is empty, to the SQLite file
// directory.db under dataDir (created if missing), and applies pending
// migrations.
func Open(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	s, err := Connect(ctx, databaseURL, dataDir)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, s.DB, s.Dialect); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Connect is Open without the migrations.
func Connect(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	driver, dsn, dia, err := resolve(databaseURL, dataDir)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dia, err)
	}
	if dia == dialect.Postgres {
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(16)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dia, err)
	}
	drv := entsql.OpenDB(dia, db)
	return &Store{Client: ent.NewClient(ent.Driver(drv)), DB: db, Dialect: dia, driver: drv}, nil
}

// resolve turns the configuration into a database/sql driver name, DSN and
// ent dialect.
func resolve(databaseURL, dataDir string) (driver, dsn, dia string, err error) {
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return "postgres", databaseURL, dialect.Postgres, nil
	case databaseURL == "":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return "", "", "", fmt.Errorf("store: create data directory: %w", err)
		}
		return "sqlite", SQLiteDSN(filepath.Join(dataDir, "directory.db")), dialect.SQLite, nil
	case strings.HasPrefix(databaseURL, "file:"), strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "file:")
		path, _, _ = strings.Cut(path, "?")
		return "sqlite", SQLiteDSN(path), dialect.SQLite, nil
	}
	u, _ := url.Parse(databaseURL)
	scheme := "?"
	if u != nil {
		scheme = u.Scheme
	}
	return "", "", "", fmt.Errorf("store: unsupported DATABASE_URL scheme %q (want postgres:// or file:)", scheme)
}

// SQLiteDSN is the modernc DSN for a SQLite file: foreign keys on (ent's
// cascades need them), WAL so readers never wait for the writer, a busy
// timeout and immediate write transactions so concurrent writers queue
// instead of failing, and times written in UTC as
// "2006-01-02 15:04:05.999999999+00:00", so their text sorts and compares
// as the instants do (package scim/where relies on it).
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate" +
		"&_time_format=sqlite&_timezone=UTC"
}
