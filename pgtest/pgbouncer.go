package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// PgBouncer is a running PgBouncer (started by [StartPgBouncer]) in front
// of one PostgreSQL server, on 127.0.0.1 and a port of its own, in the pool
// mode it was started with. Every database of the server is reachable
// through it under its own name; clients are not authenticated (trust).
//
// Like the PostgreSQL server, it runs as the "postgres" OS user when the
// test binary runs as root (PgBouncer refuses root), in its own process
// group, with a parent-death signal on Linux.
type PgBouncer struct {
	dir    string
	bin    string
	port   int
	target *url.URL
	runAs  *osUser

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// PgBouncerBinary returns the path of the pgbouncer executable: on PATH,
// else in /usr/sbin (Debian's package puts it there).
func PgBouncerBinary() (string, error) {
	return findExecutable("pgbouncer", "Debian/Ubuntu: apt-get install pgbouncer")
}

// findExecutable looks name up on PATH, then in /usr/sbin and /usr/local/sbin.
func findExecutable(name, hint string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("pgtest: %s not found on PATH or in /usr/sbin (%s)", name, hint)
}

// StartPgBouncer starts PgBouncer in front of the server that serverDSN
// (any database's URL on it) points to, with the pool mode poolMode
// ("transaction", "session" or "statement"). Its server connections use
// serverDSN's user and password. The caller must call [PgBouncer.Stop].
func StartPgBouncer(serverDSN, poolMode string) (*PgBouncer, error) {
	bin, err := PgBouncerBinary()
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(serverDSN)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("pgtest: pgbouncer target %q is not a postgres:// URL with a host", serverDSN)
	}
	runAs, err := lookupRunUser()
	if err != nil {
		return nil, err
	}
	dir, err := makeTempDir(runAs)
	if err != nil {
		return nil, err
	}
	b := &PgBouncer{dir: dir, bin: bin, target: target, runAs: runAs}
	for attempt := 1; ; attempt++ {
		if b.port, err = freePort(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err = b.writeConfig(poolMode); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		err = b.Start()
		if err == nil {
			return b, nil
		}
		if attempt >= portAttempts || !errors.Is(err, errPortInUse) {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// writeConfig writes pgbouncer.ini and the user list into b.dir.
func (b *PgBouncer) writeConfig(poolMode string) error {
	host, port, err := net.SplitHostPort(b.target.Host)
	if err != nil {
		host, port = b.target.Host, "5432"
	}
	user := b.target.User.Username()
	if user == "" {
		user = "postgres"
	}
	conn := fmt.Sprintf("host=%s port=%s user=%s", host, port, user)
	if pw, ok := b.target.User.Password(); ok {
		conn += " password=" + pw
	}
	ini := fmt.Sprintf(`[databases]
* = %s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
pidfile = %s
logfile = %s
auth_type = trust
auth_file = %s
pool_mode = %s
max_client_conn = 1000
default_pool_size = 20
min_pool_size = 0
reserve_pool_size = 5
server_reset_query =
ignore_startup_parameters = extra_float_digits
server_login_retry = 1
`, conn, b.port, filepath.Join(b.dir, "pgbouncer.pid"), b.LogPath(), filepath.Join(b.dir, "userlist.txt"), poolMode)
	users := fmt.Sprintf("%q \"\"\n", user)
	for name, body := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": users} {
		p := filepath.Join(b.dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			return fmt.Errorf("pgtest: write %s: %w", name, err)
		}
		if b.runAs != nil {
			if err := os.Chown(p, b.runAs.uid, b.runAs.gid); err != nil {
				return fmt.Errorf("pgtest: chown %s: %w", name, err)
			}
		}
	}
	return nil
}

// LogPath is PgBouncer's log file.
func (b *PgBouncer) LogPath() string { return filepath.Join(b.dir, "pgbouncer.log") }

// Port is the port PgBouncer listens on.
func (b *PgBouncer) Port() int { return b.port }

// DSN returns dsn (a URL of a database on the server behind PgBouncer)
// with its host and port replaced by PgBouncer's.
func (b *PgBouncer) DSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port))
	return u.String()
}

// Start starts PgBouncer (again, after [PgBouncer.Stop] or a crash) on its
// port and waits until it accepts connections.
func (b *PgBouncer) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		select {
		case <-b.exited:
		default:
			return errors.New("pgtest: pgbouncer is already running")
		}
	}
	os.Remove(filepath.Join(b.dir, "pgbouncer.pid"))
	cmd := exec.Command(b.bin, filepath.Join(b.dir, "pgbouncer.ini"))
	cmd.Dir = b.dir
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr(b.runAs)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	done, err := startLocked(cmd)
	if err != nil {
		return fmt.Errorf("pgtest: start pgbouncer: %w", err)
	}
	b.cmd = cmd
	exited := make(chan struct{})
	b.exited = exited
	go func() {
		b.waitErr = <-done
		close(exited)
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port))
	deadline := time.Now().Add(readyTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			logTail, _ := os.ReadFile(b.LogPath())
			err := fmt.Errorf("pgtest: pgbouncer exited during startup (%v):\n%s%s", b.waitErr, tail(out.Bytes()), tail(logTail))
			if bytes.Contains(logTail, []byte("Address already in use")) || bytes.Contains(out.Bytes(), []byte("Address already in use")) {
				err = fmt.Errorf("%w: %w", err, errPortInUse)
			}
			return err
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			killGroup(cmd.Process)
			<-exited
			return fmt.Errorf("pgtest: pgbouncer not accepting connections after %v", readyTimeout)
		}
	}
}

// Stop shuts PgBouncer down at once (SIGTERM: PgBouncer's immediate
// shutdown, which drops its client connections) and waits for it to exit.
// [PgBouncer.Start] starts it again on the same port.
func (b *PgBouncer) Stop() error {
	return b.stop(sigTerm)
}

// Shutdown shuts PgBouncer down safely (SIGINT: it waits for the
// transactions in flight, then exits) and waits for it to exit.
func (b *PgBouncer) Shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- b.stop(sigInt) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return b.Stop()
	}
}

// stop signals PgBouncer and waits for it, killing it after stopTimeout.
func (b *PgBouncer) stop(sig os.Signal) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return nil
	}
	select {
	case <-b.exited:
		return nil
	default:
	}
	_ = b.cmd.Process.Signal(sig)
	select {
	case <-b.exited:
	case <-time.After(stopTimeout):
		killGroup(b.cmd.Process)
		<-b.exited
		return fmt.Errorf("pgtest: pgbouncer did not stop within %v, killed it", stopTimeout)
	}
	return nil
}

// Close stops PgBouncer and removes its directory.
func (b *PgBouncer) Close() error {
	err := b.Stop()
	return errors.Join(err, os.RemoveAll(b.dir))
}

// NewPooled returns two URLs of one fresh, empty database on the shared
// server (see [New]): pooled goes through a PgBouncer of its own in
// transaction pooling mode, stopped when the test ends, and direct reaches
// the server itself. When PgBouncer is not installed it skips the test, or
// fails it when CI is "true".
func NewPooled(t testing.TB) (pooled, direct string) {
	t.Helper()
	direct = New(t)
	b, err := StartPgBouncer(direct, "transaction")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: PgBouncer is not available (CI=true, so not skipping): %v", err)
		}
		t.Skipf("pgtest: PgBouncer is not available, skipping: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Logf("%v", err)
		}
	})
	return b.DSN(direct), direct
}
