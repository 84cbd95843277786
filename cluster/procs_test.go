//go:build cluster

package cluster

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lookExecutable finds name on PATH or in the sbin folders.
func lookExecutable(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Fatalf("%s is not installed (Debian: apt-get install %s; .ci/run installs it)", name, name)
	return ""
}

// buildBinary builds the directory binary once into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "directory")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/directory")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the binary: %v\n%s", err, out)
	}
	return bin
}

// replica is one `directory serve` process, restartable on its port.
type replica struct {
	name string
	port int
	bin  string
	args []string
	dir  string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	starts  int
	out     *bytes.Buffer // stdout of the latest start (the banner)
}

// start starts the process; ready waits for its /healthz.
func (r *replica) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts++
	logf, err := os.OpenFile(filepath.Join(r.dir, r.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "\n----- start %d at %s\n", r.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(r.bin, append([]string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(r.port)}, r.args...)...)
	r.out = &bytes.Buffer{}
	cmd.Stdout = r.out
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", r.name, err)
	}
	r.cmd = cmd
	exited := make(chan struct{})
	r.exited = exited
	go func() {
		err := cmd.Wait()
		logf.Close()
		r.mu.Lock()
		r.waitErr = err
		r.mu.Unlock()
		close(exited)
	}()
	return nil
}

// ready waits until the replica's /healthz answers 200.
func (r *replica) ready(d time.Duration) error {
	deadline := time.Now().Add(d)
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", r.port)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-r.exited:
			return fmt.Errorf("%s exited while starting: %v", r.name, r.waitErr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy after %v: %v", r.name, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signal sends sig and waits up to d for the process to exit.
func (r *replica) signal(sig syscall.Signal, d time.Duration) error {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", r.name, err)
	}
	select {
	case <-exited:
		if sig == syscall.SIGTERM {
			r.mu.Lock()
			err := r.waitErr
			r.mu.Unlock()
			if err != nil {
				return fmt.Errorf("%s exited after SIGTERM with %v", r.name, err)
			}
		}
		return nil
	case <-time.After(d):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		return fmt.Errorf("%s did not exit within %v of %v", r.name, d, sig)
	}
}

// stop kills the replica if it runs.
func (r *replica) stop() {
	r.mu.Lock()
	cmd, exited := r.cmd, r.exited
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
	default:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

// banner is what the replica's latest start printed on stdout.
func (r *replica) banner() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// logTail is the end of the replica's log.
func (r *replica) logTail() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, r.name+".log"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// haproxy is HAProxy in front of the replicas, with a stats page.
type haproxy struct {
	port, statsPort int
	cmd             *exec.Cmd
	exited          chan struct{}
}

// startHAProxy writes the configuration into dir and starts HAProxy: round
// robin over the replicas, health check GET /healthz every 200 ms (down
// after 2 failures, up after 2 successes), a refused connection retried on
// another replica, WebSockets tunnelled.
func startHAProxy(t *testing.T, dir string, replicas []*replica) *haproxy {
	t.Helper()
	bin := lookExecutable(t, "haproxy")
	h := &haproxy{port: freePort(t), statsPort: freePort(t)}
	var servers strings.Builder
	for _, r := range replicas {
		fmt.Fprintf(&servers, "    server %s 127.0.0.1:%d check\n", r.name, r.port)
	}
	cfg := fmt.Sprintf(`global
    maxconn 4000

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout http-keep-alive 10s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option http-buffer-request

frontend directory
    bind 127.0.0.1:%d
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 200ms fastinter 200ms downinter 200ms fall 2 rise 2
%s
listen stats
    bind 127.0.0.1:%d
    stats enable
    stats uri /stats
`, h.port, servers.String(), h.statsPort)
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "haproxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	h.cmd = exec.Command(bin, "-db", "-f", path)
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := h.cmd.Start(); err != nil {
		t.Fatalf("start haproxy: %v", err)
	}
	h.exited = make(chan struct{})
	go func() { h.cmd.Wait(); logf.Close(); close(h.exited) }()
	t.Cleanup(func() {
		_ = h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	return h
}

// url is the balancer's base URL.
func (h *haproxy) url() string { return fmt.Sprintf("http://127.0.0.1:%d", h.port) }

// states returns each replica's state as HAProxy sees it (UP, DOWN, ...).
func (h *haproxy) states() (map[string]string, error) {
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/stats;csv", h.statsPort))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	r := csv.NewReader(res.Body)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, row := range rows {
		if len(row) > 17 && row[0] == "replicas" && row[1] != "BACKEND" && row[1] != "FRONTEND" {
			out[row[1]] = row[17]
		}
	}
	return out, nil
}

// waitState waits until HAProxy sees replica name in state (a prefix:
// "UP" matches "UP 1/2" too).
func (h *haproxy) waitState(ctx context.Context, name, state string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		st, err := h.states()
		if err == nil && strings.HasPrefix(st[name], state) && !strings.Contains(st[name], "/") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("haproxy: %s is %q after %v, want %s (%v)", name, st[name], d, state, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
