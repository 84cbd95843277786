package pgtest

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// TestStartPortTaken checks that Start retries with another port when the
// one it picked is taken before postgres binds it, and that waiting for the
// server does not hang on a port that accepts connections but never answers.
func TestStartPortTaken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	if _, err := findBinDir(); err != nil {
		t.Skip(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port

	orig := freePort
	defer func() { freePort = orig }()
	calls := 0
	freePort = func() (int, error) {
		calls++
		if calls == 1 {
			return taken, nil
		}
		return orig()
	}

	start := time.Now()
	s, err := Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Stop()
	if calls != 2 {
		t.Errorf("freePort called %d times, want 2", calls)
	}
	if s.base.Port() == strconv.Itoa(taken) {
		t.Errorf("server on port %s", s.base.Port())
	}
	t.Logf("Start with one retry took %v", time.Since(start))
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}
