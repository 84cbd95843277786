//go:build linux || darwin || freebsd || netbsd || openbsd

package store

import (
	"net"
	"testing"
	"time"
)

// TestIdleConnAlive: an idle connection is alive until its peer closes it
// or sends something (a pooler's error before it closes).
func TestIdleConnAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pair := func() (client, server net.Conn) {
		accepted := make(chan net.Conn, 1)
		go func() { c, _ := ln.Accept(); accepted <- c }()
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return client, <-accepted
	}
	c, s := pair()
	if !idleConnAlive(c) {
		t.Fatal("an open idle connection is reported dead")
	}
	s.Close()
	time.Sleep(50 * time.Millisecond)
	if idleConnAlive(c) {
		t.Fatal("a connection its peer closed is reported alive")
	}
	c.Close()
	c, s = pair()
	defer c.Close()
	defer s.Close()
	s.Write([]byte("E"))
	time.Sleep(50 * time.Millisecond)
	if idleConnAlive(c) {
		t.Fatal("an idle connection with unread bytes is reported alive")
	}
	// The check reads nothing.
	buf := make([]byte, 1)
	if n, err := c.Read(buf); n != 1 || buf[0] != 'E' || err != nil {
		t.Fatalf("read after the check = %q, %v", buf[:n], err)
	}
}
