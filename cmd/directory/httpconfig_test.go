package main

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestHTTPConfigFlags(t *testing.T) {
	var h httpConfig
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	h.flags(fs)
	if err := fs.Parse([]string{"--scim-body-timeout", "5s", "--scim-max-filter-clauses", "50", "--http-idle-timeout", "1m", "--scim-member-reads-per-directory", "3"}); err != nil {
		t.Fatal(err)
	}
	if h.scim.BodyTimeout != 5*time.Second || h.scim.MaxFilterClauses != 50 || h.idleTimeout != time.Minute ||
		h.scim.MemberReadsPerDirectory != 3 {
		t.Errorf("parsed %+v", h)
	}
	if h.scim.RequestTimeout <= 0 || h.scim.MaxBodyBytes <= 0 || h.readHeaderTimeout <= 0 {
		t.Errorf("defaults missing: %+v", h)
	}
}

// TestServerCutsSlowHeaders: a client that sends its headers a byte at a
// time is disconnected after the read-header timeout, and an idle
// kept-alive connection after the idle timeout.
func TestServerCutsSlowHeaders(t *testing.T) {
	h := httpConfig{readHeaderTimeout: 300 * time.Millisecond, idleTimeout: 300 * time.Millisecond}
	srv := h.server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	for name, send := range map[string]string{
		"slow headers": "GET / HTTP/1.1\r\nHost: x\r\n",
		"idle":         "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, send)
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			start := time.Now()
			if _, err := io.ReadAll(c); err != nil {
				t.Fatalf("connection not closed by the server after %v: %v", time.Since(start), err)
			}
		})
	}
}
