// Package store opens the database behind the service: an embedded SQLite
// file by default, PostgreSQL when given a postgres:// URL. Both get the same
// schema from the versioned migrations in migrations/.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq" // registers "postgres"
	"modernc.org/sqlite"  // registers "sqlite"

	"github.com/acme/directory/ent"
	_ "github.com/acme/directory/ent/runtime" // hooks and privacy policies
	"github.com/acme/directory/ent/schema/schematype"
)

// Pool sizes. SQLite runs in the process: every connection is a file
// handle and a page cache, and a new one re-runs its PRAGMAs and re-reads
// the schema, so the pool is bounded (a burst of concurrent reads queues
// instead of opening thousands) and keeps what it opened. WAL lets the
// readers run beside the one writer, and the writers queue in the process
// (serialDriver), not in SQLite's busy handler.
const (
	SQLiteMaxConns   = 16
	PostgresMaxConns = 32
)

// SQLiteLower is the SQL function, registered with the SQLite driver, that
// lower-cases text as schematype.FoldKey does: all of Unicode, where
// SQLite's lower() folds ASCII letters only.
const SQLiteLower = "unicode_lower"

// PostgresFoldCollation is the collation PostgreSQL's lower() is given so
// that it folds all of Unicode whatever the database's locale (lower() of
// a database created with LC_CTYPE=C folds ASCII only). It is ICU's root
// locale; Connect refuses a server without it.
const PostgresFoldCollation = "und-x-icu"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(SQLiteLower, 1, unicodeLower)
}

// unicodeLower implements SQLiteLower: text and blobs are folded, NULL and
// numbers are returned as they are.
func unicodeLower(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case string:
		return schematype.FoldKey(v), nil
	case []byte:
		return schematype.FoldKey(string(v)), nil
	default:
		return v, nil
	}
}

// Store is an open database with its ent client.
type Store struct {
	Client  *ent.Client
	DB      *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	// driver is what Client sends its statements through (see Instrument).
	driver dialect.Driver
	// DirectURL is the PostgreSQL URL of a direct session (for LISTEN):
	// Config.DirectURL, or the URL queries go through when it is empty.
	DirectURL string
	// stopOptimize ends the periodic statistics refresh (SQLite).
	stopOptimize func()
	// databaseURL is the URL queries go through (PostgreSQL).
	databaseURL string
	// jitSet: a connection string sets jit itself (the operator's choice
	// stands).
	jitSet bool
	// dialer dials the PostgreSQL connections (see trackingDialer).
	dialer *trackingDialer
}

// OptimizeInterval is how often a SQLite store refreshes the planner's
// statistics (PRAGMA optimize) while it is open; it also does so when it
// opens and when it closes.
const OptimizeInterval = time.Hour

// Close closes the database. A SQLite store first refreshes its
// statistics, as SQLite advises before a long-lived connection closes.
func (s *Store) Close() error {
	if s.stopOptimize != nil {
		s.stopOptimize()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Optimize(ctx); err != nil {
			slog.Warn("store: refresh statistics at close", "err", err)
		}
	}
	err := s.Client.Close()
	if s.dialer != nil && !s.dialer.wait(closeWait) {
		slog.Warn("store: connections (cancel requests) still open at close", "waited", closeWait)
	}
	return err
}

// closeWait bounds how long Close waits for lib/pq's cancel requests in
// flight (lib/pq gives each 10 seconds).
const closeWait = 3 * time.Second

// Optimize refreshes the query planner's statistics where they are stale
// (SQLite's PRAGMA optimize, its analysis bounded by analysis_limit so it
// costs milliseconds). PostgreSQL's autovacuum keeps its own: there it
// does nothing.
func (s *Store) Optimize(ctx context.Context) error {
	if s.Dialect != dialect.SQLite {
		return nil
	}
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: optimize: %w", err)
	}
	defer conn.Close()
	// 0x10002: look at every table, not only those this connection used.
	for _, q := range []string{"PRAGMA analysis_limit=1000", "PRAGMA optimize=0x10002"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: %s: %w", q, err)
		}
	}
	return nil
}

// keepOptimized refreshes a SQLite store's statistics every
// OptimizeInterval until stopped.
func (s *Store) keepOptimized() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stopOptimize = sync.OnceFunc(func() { cancel(); <-done })
	go func() {
		defer close(done)
		t := time.NewTicker(OptimizeInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.Optimize(ctx); err != nil && ctx.Err() == nil {
					slog.Warn("store: refresh statistics", "err", err)
				}
			}
		}
	}()
}

// Config says where a store's database is and what to do once it is
// migrated.
type Config struct {
	// DatabaseURL is what queries go through: a postgres:// URL (a
	// PostgreSQL server, or a pooler in front of it such as PgBouncer in
	// transaction pooling mode), a file: URL of a SQLite file, or empty for
	// the SQLite file directory.db under DataDir.
	DatabaseURL string
	// DirectURL is a direct session to the same PostgreSQL database, for
	// what needs a session of its own: the migrations' advisory lock and
	// (in package broker) LISTEN. Empty: DatabaseURL, which must then be
	// direct too. Unused on SQLite.
	DirectURL string
	// DataDir is the folder of the embedded SQLite database.
	DataDir string
	// Setup, when set, runs once the migrations are applied, still under
	// their lock: replicas starting at once run it one after the other
	// (the first platform key is made there).
	Setup func(ctx context.Context, s *Store) error
}

// Open connects to databaseURL, or, when it is empty, to the SQLite file
// directory.db under dataDir (created if missing), and applies pending
// migrations.
func Open(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	return OpenConfig(ctx, Config{DatabaseURL: databaseURL, DataDir: dataDir})
}

// OpenConfig connects to the database of cfg and applies pending
// migrations (on PostgreSQL through cfg.DirectURL, under an advisory lock),
// then runs cfg.Setup under the same lock.
func OpenConfig(ctx context.Context, cfg Config) (*Store, error) {
	s, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, cfg.Setup); err != nil {
		s.Close()
		return nil, err
	}
	// Statistics for what is already there (a restart, a restored file):
	// without them SQLite may pick an index that does not serve the order.
	if err := s.Optimize(ctx); err != nil {
		slog.Warn("store: refresh statistics at open", "err", err)
	}
	return s, nil
}

// migrate applies the pending migrations and then runs setup, if any, under
// the migrations' lock. On PostgreSQL it works on a session of
// s.DirectURL: an advisory lock belongs to a session, which a
// transaction-pooling proxy does not keep between transactions.
func (s *Store) migrate(ctx context.Context, setup func(context.Context, *Store) error) error {
	var then func(context.Context, *sql.Conn) error
	if setup != nil || s.Dialect == dialect.Postgres {
		then = func(ctx context.Context, conn *sql.Conn) error {
			if s.Dialect == dialect.Postgres && !s.jitSet {
				defaultJITOff(ctx, conn)
			}
			if setup == nil {
				return nil
			}
			return setup(ctx, s)
		}
	}
	dir, err := embeddedDir(s.Dialect)
	if err != nil {
		return err
	}
	db := s.DB
	if s.Dialect == dialect.Postgres && s.DirectURL != s.databaseURL {
		direct, err := sql.Open("postgres", s.DirectURL)
		if err != nil {
			return fmt.Errorf("store: open the direct session: %w", err)
		}
		defer direct.Close()
		direct.SetMaxOpenConns(1)
		db = direct
	}
	return migrateDir(ctx, db, s.Dialect, dir, then)
}

// defaultJITOff makes jit=off the default of the database's new sessions
// (ALTER DATABASE, or, for a role that does not own the database, ALTER
// ROLE CURRENT_USER IN DATABASE): sessions opened through a pooler do not
// get the connection string's options (PostgresDSN). It only warns when
// neither is allowed.
func defaultJITOff(ctx context.Context, conn *sql.Conn) {
	var set bool
	err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s
		JOIN pg_database d ON d.oid = s.setdatabase
		WHERE d.datname = current_database() AND s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = current_user))
		AND 'jit=off' = ANY (s.setconfig))`).Scan(&set)
	if err != nil {
		slog.WarnContext(ctx, "store: look up the database's jit default", "err", err)
		return
	}
	if set {
		return
	}
	var errs []error
	for _, stmt := range []string{
		`DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET jit = off', current_database()); END$$`,
		`DO $$BEGIN EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET jit = off', current_database()); END$$`,
	} {
		_, err := conn.ExecContext(ctx, stmt)
		if err == nil {
			slog.InfoContext(ctx, "store: jit is now off by default for the database's new sessions")
			return
		}
		errs = append(errs, err)
	}
	slog.WarnContext(ctx, "store: cannot turn jit off for the database's sessions; "+
		"sessions through a pooler keep PostgreSQL's JIT compiler, which can spend seconds on large filter queries: "+
		"have the database's owner run ALTER DATABASE <name> SET jit = off", "err", errors.Join(errs...))
}

// Connect is Open without the migrations.
func Connect(ctx context.Context, databaseURL, dataDir string) (*Store, error) {
	return connect(ctx, Config{DatabaseURL: databaseURL, DataDir: dataDir})
}

// connect opens the database of cfg.
func connect(ctx context.Context, cfg Config) (*Store, error) {
	directURL := cfg.DirectURL
	if directURL == "" {
		directURL = cfg.DatabaseURL
	}
	// Only a connection string that is also the direct session's takes
	// options: a pooler refuses them (PgBouncer: "unsupported startup
	// parameter: options").
	dsnOf := PostgresDSN
	if directURL != cfg.DatabaseURL {
		dsnOf = func(u string) string { return u }
	}
	driverName, dsn, dia, err := resolve(cfg.DatabaseURL, cfg.DataDir, dsnOf)
	if err != nil {
		return nil, err
	}
	var (
		db     *sql.DB
		dialer *trackingDialer
	)
	if dia == dialect.Postgres {
		c, err := newPGConnector(dsn, directURL == cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		db = sql.OpenDB(c)
		dialer = c.dialer
	} else {
		// sql.Open makes no connection: it names the registered driver,
		// whose connections the connector wraps (stmtcache.go).
		named, err := sql.Open(driverName, dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", dia, err)
		}
		drv := named.Driver()
		named.Close()
		db = sql.OpenDB(&sqliteConnector{dsn: dsn, drv: drv})
	}
	if dia == dialect.Postgres {
		db.SetMaxOpenConns(PostgresMaxConns)
		db.SetMaxIdleConns(PostgresMaxConns / 2)
	} else {
		db.SetMaxOpenConns(SQLiteMaxConns)
		db.SetMaxIdleConns(SQLiteMaxConns)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dia, err)
	}
	if dia == dialect.Postgres {
		if err := checkFoldCollation(pingCtx, db); err != nil {
			db.Close()
			return nil, err
		}
	}
	var drv dialect.Driver = entsql.OpenDB(dia, db)
	if dia == dialect.SQLite {
		drv = serialize(drv)
	}
	s := &Store{Client: ent.NewClient(ent.Driver(drv)), DB: db, Dialect: dia, driver: drv, dialer: dialer}
	if dia == dialect.Postgres {
		s.DirectURL, s.databaseURL = directURL, cfg.DatabaseURL
		s.jitSet = setsJIT(cfg.DatabaseURL) || setsJIT(directURL)
	}
	if dia == dialect.SQLite {
		s.keepOptimized()
	}
	return s, nil
}

// IsPostgresURL reports whether databaseURL names PostgreSQL (a
// postgres:// or postgresql:// URL); anything else is SQLite.
func IsPostgresURL(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// SQLiteFile is the embedded database's file under a data folder.
func SQLiteFile(dataDir string) string { return filepath.Join(dataDir, "directory.db") }

// resolve turns the configuration into a database/sql driver name, DSN and
// ent dialect.
func resolve(databaseURL, dataDir string, dsnOf func(string) string) (driver, dsn, dia string, err error) {
	switch {
	case IsPostgresURL(databaseURL):
		return "postgres", dsnOf(databaseURL), dialect.Postgres, nil
	case databaseURL == "":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return "", "", "", fmt.Errorf("store: create data directory: %w", err)
		}
		return "sqlite", SQLiteDSN(SQLiteFile(dataDir)), dialect.SQLite, nil
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

// PostgresDSN is the connection URL the service opens PostgreSQL with: the
// given one, with PostgreSQL's JIT compiler turned off for its sessions
// ("options=-c jit=off", added to options the URL already sets) unless the
// URL sets jit itself. JIT pays off for long analytic queries; here it
// spent seconds compiling generated filter queries that run in
// milliseconds. A URL that does not parse is returned as it is (opening it
// reports the error).
func PostgresDSN(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL
	}
	q := u.Query()
	opts := q.Get("options")
	if q.Has("jit") || strings.Contains(opts, "jit") {
		return databaseURL
	}
	if opts == "" {
		opts = os.Getenv("PGOPTIONS") // the URL's options would replace them
	}
	q.Set("options", strings.TrimSpace(opts+" -c jit=off"))
	u.RawQuery = q.Encode()
	return u.String()
}

// setsJIT reports whether a connection string sets jit itself.
func setsJIT(databaseURL string) bool {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return false
	}
	q := u.Query()
	return q.Has("jit") || strings.Contains(q.Get("options"), "jit")
}

// checkFoldCollation makes sure PostgresFoldCollation exists: case-
// insensitive SCIM filters use it, and without it they would fail one by
// one rather than at start.
func checkFoldCollation(ctx context.Context, db *sql.DB) error {
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_collation WHERE collname = $1", PostgresFoldCollation).Scan(&n)
	if err != nil {
		return fmt.Errorf("store: look up collation %s: %w", PostgresFoldCollation, err)
	}
	if n == 0 {
		return fmt.Errorf("store: PostgreSQL has no collation %q (a server built without ICU): "+
			"case-insensitive SCIM filters need it to fold text outside ASCII", PostgresFoldCollation)
	}
	return nil
}
