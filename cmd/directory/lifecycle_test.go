package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/acme/directory/access"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
)

// TestBootstrapOnce starts several servers' set-up at once on one empty
// PostgreSQL database (queries through PgBouncer, migrations on a direct
// session): exactly one platform key is made, and every server says
// whether it made it or where keys are managed.
func TestBootstrapOnce(t *testing.T) {
	pooled, direct := pgtest.NewPooled(t)
	const replicas = 5
	outs := make([]bytes.Buffer, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			c := config{databaseURL: pooled, listenDatabaseURL: direct, addr: "127.0.0.1:8080"}
			s, err := c.openWith(context.Background(), func(ctx context.Context, s *store.Store) error {
				return bootstrap(ctx, s, &c, &outs[i])
			})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	created := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		switch out := outs[i].String(); {
		case strings.Contains(out, "This server created the platform API key") && regexp.MustCompile(`dk_[A-Za-z0-9_-]{43}`).MatchString(out):
			created++
		case strings.Contains(out, "this server did not create an API key") && strings.Contains(out, "directory apikey list"):
		default:
			t.Errorf("replica %d printed neither banner:\n%s", i, out)
		}
	}
	s, err := store.Open(context.Background(), direct, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.Client.APIKey.Query().Count(access.PlatformContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || created != 1 {
		t.Fatalf("%d keys in the database, %d banners of a created key; want 1 and 1", n, created)
	}
}

// TestServeDrains stops a server as SIGTERM does: /healthz fails at once
// while the server still serves, then it stops, and an open WebSocket is
// closed with a close frame, not dropped.
func TestServeDrains(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--data-dir", t.TempDir(), "--shutdown-drain", "1s"}, &out)
	}()
	waitFor(t, "http://"+addr+"/healthz")
	key := regexp.MustCompile(`dk_[A-Za-z0-9_-]{43}`).FindString(strings.Join(out.lines(), "\n"))

	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	ws, _, err := websocket.Dial(wctx, "ws://"+addr+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := wsjson.Write(wctx, ws, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + key}}); err != nil {
		t.Fatal(err)
	}
	var ack map[string]any
	if err := wsjson.Read(wctx, ws, &ack); err != nil || ack["type"] != "connection_ack" {
		t.Fatalf("connection_init: %v %v", ack, err)
	}
	closed := make(chan error, 1)
	go func() {
		for {
			var m map[string]any
			if err := wsjson.Read(wctx, ws, &m); err != nil {
				closed <- err
				return
			}
		}
	}()

	stopped := time.Now()
	cancel() // as SIGTERM does
	// Draining: the health check fails, everything else is still served.
	deadline := time.Now().Add(900 * time.Millisecond)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("/healthz while draining: %v", err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still %d while draining", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if body := waitFor(t, "http://"+addr+"/readyz"); body != "ready\n" {
		t.Fatalf("/readyz while draining = %q", body)
	}
	select {
	case err := <-closed:
		t.Fatalf("WebSocket closed during the drain: %v", err)
	default:
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if took := time.Since(stopped); took < time.Second {
		t.Fatalf("stopped %v after the signal; want the 1s drain first", took)
	}
	err = <-closed
	if code := websocket.CloseStatus(err); code != websocket.StatusGoingAway {
		t.Fatalf("WebSocket ended with %v (code %d); want 1001 Going Away", err, code)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still accepting connections after the shutdown")
	}
}
