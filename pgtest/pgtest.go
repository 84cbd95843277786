// Package pgtest starts throwaway PostgreSQL servers for tests.
//
// The usual entry points are [New], which returns the DSN of a fresh, empty
// database on a server shared by the whole test binary, and [Main], which stops
// that server when the tests are done:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		db, err := sql.Open("postgres", pgtest.New(t))
//		...
//	}
//
// The server is started from the installed PostgreSQL binaries (initdb and
// postgres), looked up on PATH first and then in the usual distribution
// directories such as /usr/lib/postgresql/<version>/bin. It listens on
// 127.0.0.1 only, on a free port, with its data directory and Unix socket in a
// temporary directory that [Server.Stop] removes. Durability is switched off
// (fsync, synchronous_commit, full_page_writes) because the data is thrown
// away anyway.
//
// PostgreSQL refuses to run as root. When the test binary runs as root, initdb
// and postgres are run as the "postgres" OS user, which must exist.
//
// If the environment variable PGTEST_DSN is set to a postgres:// URL of an
// existing server on which the user may create databases, [New] creates its
// databases there instead of starting a server, and drops each one when its
// test ends.
//
// When no server is available, [New] skips the test, except when the
// environment variable CI is "true": tests under CI must never skip, so New
// fails the test instead.
//
// [NewPooled] also puts a PgBouncer of its own (transaction pooling) in
// front of the fresh database, and [StartPgBouncer] starts one in front of
// any server; both need the pgbouncer executable (Debian: the pgbouncer
// package).
//
// # Leftovers
//
// The postgres process runs in its own process group (so a Ctrl-C in the
// terminal does not bypass [Server.Stop]) and, on Linux, is started with a
// parent-death signal (SIGKILL), so it does not outlive a test binary that is
// killed or exits without calling Stop. The temporary directory of such a
// server is left behind in os.TempDir(), named pgtest-*.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
)

const (
	// readyTimeout bounds how long Start waits for the server to accept connections.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds how long Stop waits for a fast shutdown before killing the server.
	stopTimeout = 15 * time.Second
	// portAttempts is how often Start retries when the chosen port was taken in the meantime.
	portAttempts = 3
)

// Server is a running throwaway PostgreSQL server, started by [Start], or an
// existing server given by PGTEST_DSN (used by [New]).
//
// A Server is safe for concurrent use.
type Server struct {
	base  *url.URL // DSN of the maintenance database; DSN replaces its path
	admin *sql.DB  // connection pool to base, used to create databases

	// Set only for servers started by Start.
	dir     string        // temporary directory holding data, socket and log
	logPath string        // server log (postgres stderr)
	cmd     *exec.Cmd     // the postmaster
	exited  chan struct{} // closed when the postmaster has exited
	waitErr error         // result of cmd.Wait, valid once exited is closed

	seq      atomic.Uint64
	stopOnce sync.Once
	stopErr  error
}

// Start initialises a data directory in a new temporary directory and starts a
// PostgreSQL server on it, listening on 127.0.0.1 on a free port. It returns
// once the server accepts connections. The superuser is "postgres" and
// authentication is "trust".
//
// The caller must call [Server.Stop], which shuts the server down and removes
// the temporary directory.
func Start() (*Server, error) {
	bindir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	runAs, err := lookupRunUser()
	if err != nil {
		return nil, err
	}

	dir, err := makeTempDir(runAs)
	if err != nil {
		return nil, err
	}
	s := &Server{
		dir:     dir,
		logPath: filepath.Join(dir, "postgres.log"),
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()

	dataDir := filepath.Join(dir, "data")
	sockDir := filepath.Join(dir, "sock")
	if err := os.Mkdir(sockDir, 0o700); err != nil {
		return nil, fmt.Errorf("pgtest: create socket directory: %w", err)
	}
	if runAs != nil {
		if err := os.Chown(sockDir, runAs.uid, runAs.gid); err != nil {
			return nil, fmt.Errorf("pgtest: chown socket directory to %s: %w", runAs.name, err)
		}
	}

	if err := initdb(bindir, dir, dataDir, runAs); err != nil {
		return nil, err
	}

	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		err = s.launch(bindir, dataDir, sockDir, port, runAs)
		if err == nil {
			break
		}
		if attempt < portAttempts && errors.Is(err, errPortInUse) {
			continue
		}
		return nil, err
	}
	ok = true
	return s, nil
}

// osUser is the OS identity initdb and postgres run as; nil means the
// current user.
type osUser struct {
	name     string
	uid, gid int
}

// errPortInUse marks a start failure caused by the port being taken between
// choosing it and the server binding it.
var errPortInUse = errors.New("port already in use")

// initdb creates the data directory.
func initdb(bindir, dir, dataDir string, runAs *osUser) error {
	cmd := exec.Command(filepath.Join(bindir, "initdb"),
		"-D", dataDir,
		"-A", "trust",
		"-U", "postgres",
		"--no-sync",
		"-E", "UTF8",
		"--locale=C",
	)
	cmd.Dir = dir // the working directory must be accessible to runAs
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr(runAs)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	done, err := startLocked(cmd)
	if err != nil {
		return fmt.Errorf("pgtest: start initdb: %w", err)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, tail(out.Bytes()))
	}
	return nil
}

// launch starts the postmaster on port and waits until it accepts connections.
// On failure the postmaster is gone when launch returns.
func (s *Server) launch(bindir, dataDir, sockDir string, port int, runAs *osUser) error {
	logf, err := os.Create(s.logPath)
	if err != nil {
		return fmt.Errorf("pgtest: create server log: %w", err)
	}
	defer logf.Close() // the child has its own copy of the descriptor

	cmd := exec.Command(filepath.Join(bindir, "postgres"),
		"-D", dataDir,
		"-h", "127.0.0.1",
		"-p", strconv.Itoa(port),
		"-k", sockDir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	)
	cmd.Dir = s.dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr(runAs)
	cmd.Stdout = logf
	cmd.Stderr = logf

	done, err := startLocked(cmd)
	if err != nil {
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = <-done
		close(s.exited)
	}()

	s.base = &url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	admin, err := s.waitReady()
	if err != nil {
		s.kill()
		logTail := s.logTail()
		if bytes.Contains(logTail, []byte("Address already in use")) {
			err = fmt.Errorf("%w: %w", err, errPortInUse)
		}
		return fmt.Errorf("%w\nserver log tail:\n%s", err, logTail)
	}
	s.admin = admin
	return nil
}

// waitReady polls the server with SELECT 1 until it answers, the postmaster
// exits or readyTimeout passes. It returns the connection pool it used.
func (s *Server) waitReady() (*sql.DB, error) {
	db, err := sql.Open("postgres", withConnectTimeout(s.base, 5))
	if err != nil {
		return nil, fmt.Errorf("pgtest: open connection: %w", err)
	}
	db.SetMaxOpenConns(4)
	deadline := time.Now().Add(readyTimeout)
	for {
		// Ping in the background so that a postmaster exiting during an
		// attempt (say, the port was taken) is noticed at once.
		res := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var one int
			res <- db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		}()
		select {
		case err = <-res:
		case <-s.exited:
			err = errors.New("no answer yet")
		}
		if err == nil {
			return db, nil
		}
		select {
		case <-s.exited:
			db.Close()
			return nil, fmt.Errorf("pgtest: postgres exited during startup (%v): %w", s.waitErr, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			db.Close()
			return nil, fmt.Errorf("pgtest: postgres not accepting connections after %v: %w", readyTimeout, err)
		}
	}
}

// kill kills the postmaster and everything in its process group and waits for it to exit.
func (s *Server) kill() {
	killGroup(s.cmd.Process)
	<-s.exited
}

// logTail returns the last lines of the server log.
func (s *Server) logTail() []byte {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return []byte(fmt.Sprintf("(cannot read log: %v)", err))
	}
	return tail(b)
}

// tail returns at most the last 30 lines and 4 KiB of b.
func tail(b []byte) []byte {
	const maxBytes, maxLines = 4096, 30
	b = bytes.TrimRight(b, "\n")
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return bytes.Join(lines, []byte("\n"))
}

// Stop shuts the server down (fast shutdown: SIGINT, which terminates open
// sessions; SIGKILL if it has not exited after a while) and removes its
// temporary directory. For a server given by PGTEST_DSN it only closes the
// connection pool. Stop is idempotent; later calls return the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	var errs []error
	if s.admin != nil {
		s.admin.Close()
	}
	if s.cmd == nil {
		return nil // external server
	}
	select {
	case <-s.exited:
		errs = append(errs, fmt.Errorf("pgtest: postgres had already exited (%v); server log:\n%s", s.waitErr, s.logTail()))
	default:
		if err := interrupt(s.cmd.Process); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: signal postgres: %w", err))
		}
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			errs = append(errs, fmt.Errorf("pgtest: postgres did not shut down within %v, killed it", stopTimeout))
		}
	}
	// Also reaps any backend left over after a kill or a crash.
	killGroup(s.cmd.Process)
	<-s.exited
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: remove temporary directory: %w", err))
	}
	return errors.Join(errs...)
}

// DSN returns the URL of database db on the server, for example
// postgres://postgres@127.0.0.1:PORT/db?sslmode=disable. It does not check
// that the database exists.
func (s *Server) DSN(db string) string {
	u := *s.base
	u.Path = "/" + db
	u.RawPath = ""
	return u.String()
}

// CreateDatabase creates a new, empty database with a unique name and returns
// its DSN.
func (s *Server) CreateDatabase(ctx context.Context) (dsn string, err error) {
	name, err := s.createDatabase(ctx)
	if err != nil {
		return "", err
	}
	return s.DSN(name), nil
}

func (s *Server) createDatabase(ctx context.Context) (string, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("pgtest: random database name: %w", err)
	}
	// Random part: several test binaries may share one PGTEST_DSN server.
	name := fmt.Sprintf("pgtest_%s_%d", hex.EncodeToString(rnd[:]), s.seq.Add(1))
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return name, nil
}

// dropDatabase drops database name, disconnecting its sessions where the
// server supports that (PostgreSQL 13 and later).
func (s *Server) dropDatabase(ctx context.Context, name string) error {
	q := "DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name)
	if _, err := s.admin.ExecContext(ctx, q+" WITH (FORCE)"); err != nil {
		if _, err2 := s.admin.ExecContext(ctx, q); err2 != nil {
			return fmt.Errorf("pgtest: drop database %s: %w", name, errors.Join(err, err2))
		}
	}
	return nil
}

// connect returns a Server for the existing server at dsn, given by PGTEST_DSN.
func connect(dsn string) (*Server, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, fmt.Errorf("pgtest: PGTEST_DSN must be a postgres:// URL with a host, got %q", dsn)
	}
	db, err := sql.Open("postgres", withConnectTimeout(u, 10))
	if err != nil {
		return nil, fmt.Errorf("pgtest: open PGTEST_DSN: %w", err)
	}
	db.SetMaxOpenConns(4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("pgtest: connect to PGTEST_DSN server %s: %w", u.Redacted(), err)
	}
	return &Server{base: u, admin: db}, nil
}

// The server shared by the test binary, started lazily by New.
var shared struct {
	mu      sync.Mutex
	started bool
	srv     *Server
	err     error
}

// sharedServer returns the shared server, starting it (or connecting to
// PGTEST_DSN) on first use. A failure is remembered and returned again.
func sharedServer() (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		if dsn := os.Getenv("PGTEST_DSN"); dsn != "" {
			shared.srv, shared.err = connect(dsn)
		} else {
			shared.srv, shared.err = Start()
		}
	}
	return shared.srv, shared.err
}

// New returns the DSN of a fresh, empty database on a server shared by the
// whole test binary, started on first use (see [Start]) or given by the
// environment variable PGTEST_DSN. Use [Main] in TestMain to stop the shared
// server at the end.
//
// When PostgreSQL cannot be started or reached, New skips the test with the
// reason, or fails it if the environment variable CI is "true" (tests under CI
// must never skip). Databases on a PGTEST_DSN server are dropped when the test
// ends; databases on a started server go away with the server.
func New(t testing.TB) string {
	t.Helper()
	s, err := sharedServer()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: PostgreSQL is not available (CI=true, so not skipping): %v", err)
		}
		t.Skipf("pgtest: PostgreSQL is not available, skipping: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name, err := s.createDatabase(ctx)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if s.cmd == nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.dropDatabase(ctx, name); err != nil {
				t.Logf("%v", err)
			}
		})
	}
	return s.DSN(name)
}

// Main runs the tests and then stops the shared server if [New] started one,
// and exits with the tests' exit code. Use it as
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// A failure to stop the server is reported on standard error and turns a
// passing run into a failing one.
func Main(m *testing.M) {
	code := m.Run()
	shared.mu.Lock()
	srv := shared.srv
	shared.mu.Unlock()
	if srv != nil {
		if err := srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping the shared server: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// startLocked starts cmd from a goroutine locked to its OS thread, which then
// stays in cmd.Wait until the command exits; the returned channel receives
// Wait's result. On Linux the parent-death signal fires when the thread that
// started the child exits, not the process, so that thread must outlive the
// child: the Go runtime only ends threads whose goroutine exits while locked.
func startLocked(cmd *exec.Cmd) (<-chan error, error) {
	started := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return done, nil
}

// withConnectTimeout returns u with connect_timeout set to seconds unless it
// already has one. lib/pq does not apply the context to the startup
// handshake, so without it a connection to a port that accepts but never
// answers would hang forever.
func withConnectTimeout(u *url.URL, seconds int) string {
	v := *u
	q := v.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", strconv.Itoa(seconds))
	}
	v.RawQuery = q.Encode()
	return v.String()
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago. It is
// a variable so tests can simulate the port being taken meanwhile.
var freePort = func() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	return port, nil
}

// childEnv is the environment for initdb and postgres: ours, minus the PG*
// variables that could redirect them, with a fixed locale.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// makeTempDir creates the temporary directory, owned by runAs if not nil, in
// os.TempDir() or, if runAs cannot reach that, in /tmp.
func makeTempDir(runAs *osUser) (string, error) {
	bases := []string{os.TempDir()}
	if runAs != nil && !reachable(bases[0], runAs) {
		bases = []string{"/tmp", "/var/tmp"}
	}
	var errs []error
	for _, base := range bases {
		if runAs != nil && !reachable(base, runAs) {
			errs = append(errs, fmt.Errorf("%s is not accessible to user %s", base, runAs.name))
			continue
		}
		dir, err := os.MkdirTemp(base, "pgtest-")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if runAs != nil {
			if err := os.Chown(dir, runAs.uid, runAs.gid); err != nil {
				os.RemoveAll(dir)
				return "", fmt.Errorf("pgtest: chown temporary directory to %s: %w", runAs.name, err)
			}
		}
		return dir, nil
	}
	return "", fmt.Errorf("pgtest: create temporary directory: %w", errors.Join(errs...))
}
