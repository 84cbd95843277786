package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/apikey"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
)

// socketClient is a wsClient read by a goroutine of its own, so that
// waiting for a message does not close the connection (a coder/websocket
// read whose context ends does).
type socketClient struct {
	*wsClient
	msgs chan wsMsg
	err  chan error // the read error that ended the reader
}

// reading starts the reader of ws.
func reading(ws *wsClient) *socketClient {
	c := &socketClient{wsClient: ws, msgs: make(chan wsMsg, 100), err: make(chan error, 1)}
	go func() {
		for {
			_, b, err := ws.conn.Read(context.Background())
			if err != nil {
				c.err <- err
				return
			}
			var m wsMsg
			if json.Unmarshal(b, &m) != nil || m.Type == "ping" || m.Type == "pong" {
				continue
			}
			c.msgs <- m
		}
	}()
	return c
}

// next returns the next message, or fails after timeout or on a close.
func (c *socketClient) next(timeout time.Duration) wsMsg {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case err := <-c.err:
		c.t.Fatalf("socket ended: %v", err)
	case <-time.After(timeout):
		c.t.Fatalf("no message within %s", timeout)
	}
	return wsMsg{}
}

// answer returns the next message of operation id other than complete.
func (c *socketClient) answer(id string, timeout time.Duration) wsMsg {
	c.t.Helper()
	for {
		if m := c.next(timeout); m.ID == id && m.Type != "complete" {
			return m
		}
	}
}

// silent fails when a message or a close arrives within d.
func (c *socketClient) silent(d time.Duration) {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		c.t.Fatalf("unexpected %s %s %s", m.Type, m.ID, m.Payload)
	case err := <-c.err:
		c.t.Fatalf("socket ended: %v", err)
	case <-time.After(d):
	}
}

// closedWith waits for the server to close the socket and returns the
// close code, failing when it stays open for timeout. Messages before the
// close are skipped unless they carry events.
func (c *socketClient) closedWith(timeout time.Duration) websocket.StatusCode {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-c.msgs:
			if m.Type == "next" && !strings.Contains(string(m.Payload), `"errors"`) {
				c.t.Fatalf("an event before the close: %s", m.Payload)
			}
		case err := <-c.err:
			return closeCode(err)
		case <-deadline:
			c.t.Fatalf("socket still open after %s", timeout)
			return 0
		}
	}
}

// sendRaw writes one text message as it is.
func (c *wsClient) sendRaw(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// initWith sends connection_init with key.
func (c *wsClient) initWith(key string) {
	p, _ := json.Marshal(map[string]any{"Authorization": "Bearer " + key})
	c.send(wsMsg{Type: "connection_init", Payload: p})
}

// acked opens a socket to a's server and initialises it with key.
func acked(t *testing.T, a *api, key string) *socketClient {
	t.Helper()
	ws := reading(dialWS(t, a.srv.URL))
	ws.initWith(key)
	if m := ws.next(10 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v", m)
	}
	return ws
}

// TestSocketCredentialPerOperation: a socket's credential is checked for
// every operation and while its subscriptions run; a revoked key or a
// deleted organization closes it with 4403 within a second, and queries
// and mutations are refused on it (they go over HTTP).
func TestSocketCredentialPerOperation(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *store.Store, url string) {
		b := startBroker(t, s, broker.Config{DatabaseURL: url})
		a := newAPI(t, s.Client, s.Dialect, Config{Broker: b})
		svc := domain.New(s.Client, s.Dialect)
		pctx := access.PlatformContext(context.Background())
		org, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		issue := func(scope access.Scope) *domain.IssuedAPIKey {
			k, err := svc.CreateAPIKey(pctx, domain.NewAPIKey{Scope: scope, OrganizationID: &org.ID, Name: string(scope)})
			if err != nil {
				t.Fatal(err)
			}
			return k
		}

		t.Run("mutations and queries are refused on a socket", func(t *testing.T) {
			admin := issue(access.OrgAdmin)
			ws := acked(t, a, admin.Key)
			p, _ := json.Marshal(map[string]any{"query": `mutation($org: ID!) { apiKeyCreate(input: {organizationID: $org, name: "minted", scope: ORG_ADMIN}) { key } }`,
				"variables": map[string]any{"org": org.ID}})
			ws.send(wsMsg{ID: "m", Type: "subscribe", Payload: p})
			if m := ws.answer("m", 10*time.Second); !strings.Contains(string(m.Payload), codeBadRequest) {
				t.Fatalf("mutation on a socket: %+v; want an error %s", m, codeBadRequest)
			}
			if n := s.Client.APIKey.Query().Where(apikey.Name("minted")).CountX(pctx); n != 0 {
				t.Fatalf("a mutation sent on a socket created %d keys", n)
			}
			p, _ = json.Marshal(map[string]any{"query": `{ organizations { totalCount } }`})
			ws.send(wsMsg{ID: "q", Type: "subscribe", Payload: p})
			if m := ws.answer("q", 10*time.Second); !strings.Contains(string(m.Payload), codeBadRequest) {
				t.Fatalf("query on a socket: %+v; want an error %s", m, codeBadRequest)
			}
		})

		t.Run("a revoked key ends its subscriptions with 4403", func(t *testing.T) {
			read := issue(access.OrgRead)
			ws := acked(t, a, read.Key)
			ws.subscribe("events", map[string]any{"org": org.ID})
			ws.silent(300 * time.Millisecond)
			start := time.Now()
			if err := svc.RevokeAPIKey(pctx, read.APIKey.ID); err != nil {
				t.Fatal(err)
			}
			if code := ws.closedWith(5 * time.Second); code != wsCloseForbidden {
				t.Fatalf("close code %d, want %d", code, wsCloseForbidden)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("socket closed %s after the revocation, want within 1 s", d)
			}
		})

		t.Run("a revoked key cannot start an operation", func(t *testing.T) {
			read := issue(access.OrgRead)
			ws := acked(t, a, read.Key)
			if err := svc.RevokeAPIKey(pctx, read.APIKey.ID); err != nil {
				t.Fatal(err)
			}
			ws.subscribe("late", map[string]any{"org": org.ID})
			if code := ws.closedWith(5 * time.Second); code != wsCloseForbidden {
				t.Fatalf("close code %d, want %d", code, wsCloseForbidden)
			}
		})

		t.Run("a deleted organization ends its subscriptions with 4403", func(t *testing.T) {
			doomed, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: "Doomed"})
			if err != nil {
				t.Fatal(err)
			}
			key := newOrgKey(t, s.Client, access.OrgRead, doomed.ID)
			ws := acked(t, a, key)
			ws.subscribe("events", map[string]any{"org": doomed.ID})
			ws.silent(300 * time.Millisecond)
			if err := svc.DeleteOrganization(pctx, doomed.ID); err != nil {
				t.Fatal(err)
			}
			if code := ws.closedWith(5 * time.Second); code != wsCloseForbidden {
				t.Fatalf("close code %d, want %d", code, wsCloseForbidden)
			}
		})
	})
}

// TestSocketProtocol: graphql-transport-ws's close codes for what breaks
// the protocol, and the server's connection closed in each case.
func TestSocketProtocol(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *store.Store, url string) {
		a := newAPI(t, s.Client, s.Dialect, Config{SocketInitTimeout: 300 * time.Millisecond})
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(access.PlatformContext(context.Background()),
			domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		key := newOrgKey(t, s.Client, access.OrgRead, org.ID)
		tests := []struct {
			name string
			send func(ws *socketClient)
			want websocket.StatusCode
		}{
			{"connection_init never sent", func(*socketClient) {}, wsCloseInitTimeout},
			{"connection_init with a string payload", func(ws *socketClient) {
				ws.sendRaw(`{"type":"connection_init","payload":"x"}`)
			}, wsCloseBadRequest},
			{"not JSON", func(ws *socketClient) { ws.sendRaw(`x`) }, wsCloseBadRequest},
			{"an unknown message type", func(ws *socketClient) {
				ws.initWith(key)
				ws.sendRaw(`{"type":"bogus"}`)
			}, wsCloseBadRequest},
			{"subscribe before connection_init", func(ws *socketClient) {
				ws.subscribe("1", map[string]any{"org": org.ID})
			}, wsCloseUnauthorized},
			{"a wrong key", func(ws *socketClient) {
				ws.sendRaw(`{"type":"connection_init","payload":{"Authorization":"Bearer dk_wrong"}}`)
			}, wsCloseForbidden},
			{"connection_init twice", func(ws *socketClient) {
				ws.initWith(key)
				ws.initWith(key)
			}, wsCloseTooMany},
			{"a subscription id in use", func(ws *socketClient) {
				ws.initWith(key)
				ws.subscribe("1", map[string]any{"org": org.ID})
				ws.subscribe("1", map[string]any{"org": org.ID})
			}, wsCloseDuplicateID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ws := reading(dialWS(t, a.srv.URL))
				tt.send(ws)
				if code := ws.closedWith(5 * time.Second); code != tt.want {
					t.Fatalf("close code %d, want %d", code, tt.want)
				}
			})
		}

		t.Run("an id may be used again once its subscription completed", func(t *testing.T) {
			ws := acked(t, a, key)
			ws.subscribe("1", map[string]any{"org": org.ID})
			ws.silent(200 * time.Millisecond)
			ws.send(wsMsg{ID: "1", Type: "complete"})
			if m := ws.next(5 * time.Second); m.Type != "complete" || m.ID != "1" {
				t.Fatalf("after complete: %+v, want the server's complete", m)
			}
			ws.subscribe("1", map[string]any{"org": org.ID})
			ws.silent(500 * time.Millisecond) // neither closed nor an error
		})
	})
}

// TestSocketLimits: the caps on sockets and subscriptions, and the rate
// limit charged for a subscription as for a query.
func TestSocketLimits(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *store.Store, url string) {
		pctx := access.PlatformContext(context.Background())
		org, err := domain.New(s.Client, s.Dialect).CreateOrganization(pctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("subscriptions per key", func(t *testing.T) {
			a := newAPI(t, s.Client, s.Dialect, Config{MaxSubscriptionsPerKey: 3})
			key := newOrgKey(t, s.Client, access.OrgRead, org.ID)
			ws := acked(t, a, key)
			other := acked(t, a, key) // the cap is the key's, on all its sockets
			for i := range 3 {
				ws.subscribe(fmt.Sprint(i), map[string]any{"org": org.ID})
			}
			ws.silent(300 * time.Millisecond)
			other.subscribe("over", map[string]any{"org": org.ID})
			if m := other.answer("over", 5*time.Second); !strings.Contains(string(m.Payload), codeRateLimited) {
				t.Fatalf("a 4th subscription: %+v; want an error %s", m, codeRateLimited)
			}
			ws.send(wsMsg{ID: "0", Type: "complete"})
			time.Sleep(200 * time.Millisecond)
			other.subscribe("now", map[string]any{"org": org.ID})
			other.quiet(300 * time.Millisecond) // admitted once one ended
		})

		t.Run("sockets per key", func(t *testing.T) {
			a := newAPI(t, s.Client, s.Dialect, Config{MaxSocketsPerKey: 2})
			key := newOrgKey(t, s.Client, access.OrgRead, org.ID)
			acked(t, a, key)
			acked(t, a, key)
			ws := reading(dialWS(t, a.srv.URL))
			ws.initWith(key)
			if code := ws.closedWith(5 * time.Second); code != wsCloseTooMany {
				t.Fatalf("a 3rd socket of one key: close %d, want %d", code, wsCloseTooMany)
			}
		})

		t.Run("sockets awaiting connection_init per address", func(t *testing.T) {
			a := newAPI(t, s.Client, s.Dialect, Config{MaxPendingSocketsPerAddress: 2})
			dialWS(t, a.srv.URL)
			dialWS(t, a.srv.URL)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.srv.URL, "http"),
				&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
			if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("a 3rd socket awaiting connection_init: %v, %+v; want 429", err, resp)
			}
		})

		t.Run("a subscription is charged to the rate limit", func(t *testing.T) {
			a := newAPI(t, s.Client, s.Dialect, Config{RateLimitPerSecond: 0.001, RateLimitBurst: 1, MaxComplexity: 100})
			key := newOrgKey(t, s.Client, access.OrgRead, org.ID)
			ws := acked(t, a, key)
			for i := range 50 {
				ws.subscribe(fmt.Sprint(i), map[string]any{"org": org.ID})
			}
			for {
				if m := ws.next(5 * time.Second); strings.Contains(string(m.Payload), codeRateLimited) {
					return
				}
			}
		})

		t.Run("a key's operations are read at its pace", func(t *testing.T) {
			a := newAPI(t, s.Client, s.Dialect, Config{})
			ws := acked(t, a, newOrgKey(t, s.Client, access.OrgRead, org.ID))
			// Queries are refused on a socket, each with an answer: a
			// count of answers is a count of operations read.
			p, _ := json.Marshal(map[string]any{"query": `{ organizations { totalCount } }`})
			const sent = socketOpsBurst + 3*socketOpsPerSecond
			for i := range sent {
				ws.send(wsMsg{ID: fmt.Sprint(i), Type: "subscribe", Payload: p})
			}
			answered, deadline := 0, time.After(time.Second)
			for done := false; !done; {
				select {
				case m := <-ws.msgs:
					if m.Type != "complete" {
						answered++
					}
				case err := <-ws.err:
					t.Fatalf("socket ended: %v", err)
				case <-deadline:
					done = true
				}
			}
			if answered >= sent || answered < socketOpsBurst {
				t.Fatalf("%d of %d operations answered within a second, want the burst (%d) and about %d a second more",
					answered, sent, socketOpsBurst, socketOpsPerSecond)
			}
		})

		t.Run("a socket without a subscription closes when idle", func(t *testing.T) {
			a := newAPI(t, s.Client, s.Dialect, Config{SocketIdleTimeout: 500 * time.Millisecond})
			ws := acked(t, a, newOrgKey(t, s.Client, access.OrgRead, org.ID))
			if code := ws.closedWith(5 * time.Second); code != wsCloseNormal {
				t.Fatalf("idle socket: close %d, want %d", code, wsCloseNormal)
			}
		})
	})
}

// TestSubscriptionPace: a key's subscriptions read one at a time and at
// most at the key's pace, whatever their backlog; another key is not held.
func TestSubscriptionPace(t *testing.T) {
	ss := newSocketSet(Config{SubscriptionEventsPerSecond: 100}.withDefaults())
	ctx := context.Background()
	gate, release, err := ss.subscribe(uuid.UUID{1})
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	done, err := gate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A second read of the same key waits for the first to finish.
	second := make(chan time.Time, 1)
	go func() {
		d, err := gate(ctx)
		if err != nil {
			t.Error(err)
		}
		second <- time.Now()
		d(0)
	}()
	select {
	case <-second:
		t.Fatal("two reads of one key at once")
	case <-time.After(100 * time.Millisecond):
	}
	// Another key reads meanwhile.
	otherGate, otherRelease, err := ss.subscribe(uuid.UUID{2})
	if err != nil {
		t.Fatal(err)
	}
	defer otherRelease()
	od, err := otherGate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	od(0)
	// The first read took 250 events: 100 of budget, 150 owed at 100 a
	// second, so the next read waits about 1.5 s.
	finished := time.Now()
	done(250)
	if waited := (<-second).Sub(finished); waited < 1300*time.Millisecond {
		t.Fatalf("the read after 250 events at 100 a second waited %s, want about 1.5 s", waited)
	}
}

// TestRevocationAcrossServers: two servers on one PostgreSQL database. A
// key revoked, a token revoked or a directory disabled through one stops
// working on the other within a second — its open sockets closed with
// 4403 — though the other's credential cache would trust them for
// seconds more.
func TestRevocationAcrossServers(t *testing.T) {
	url := pgtest.New(t)
	s1, s2 := openStore(t, url), openStore(t, url)
	// Server 1 serves; only the database's notifications reach it.
	b1 := startBroker(t, s1, broker.Config{DatabaseURL: url, IgnoreLocalCommits: true})
	auth1 := auth.New(domain.New(s1.Client, s1.Dialect), auth.Config{Announce: true, CacheTTL: time.Minute})
	b1.OnCredentialsChanged(auth1.Invalidate)
	api1 := newAPI(t, s1.Client, s1.Dialect, Config{Broker: b1, Auth: auth1})
	// Server 2 makes the changes.
	auth.New(domain.New(s2.Client, s2.Dialect), auth.Config{Announce: true})
	svc2 := domain.New(s2.Client, s2.Dialect)
	pctx := access.PlatformContext(context.Background())
	org, err := svc2.CreateOrganization(pctx, domain.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	within := func(what string, refused func() bool) {
		t.Helper()
		start := time.Now()
		for !refused() {
			if time.Since(start) > time.Second {
				t.Fatalf("%s: still accepted on the other server after 1 s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	t.Run("a revoked key", func(t *testing.T) {
		k, err := svc2.CreateAPIKey(pctx, domain.NewAPIKey{Scope: access.OrgRead, OrganizationID: &org.ID, Name: "app"})
		if err != nil {
			t.Fatal(err)
		}
		ws := acked(t, api1, k.Key)
		ws.subscribe("events", map[string]any{"org": org.ID})
		ws.silent(300 * time.Millisecond)
		if r := api1.do(k.Key, `{ organizations { totalCount } }`, nil); r.status != http.StatusOK {
			t.Fatalf("before the revocation: %d %s", r.status, r.raw)
		}
		start := time.Now()
		if err := svc2.RevokeAPIKey(pctx, k.APIKey.ID); err != nil {
			t.Fatal(err)
		}
		within("the key over HTTP", func() bool {
			return api1.do(k.Key, `{ organizations { totalCount } }`, nil).status == http.StatusUnauthorized
		})
		if code := ws.closedWith(5 * time.Second); code != wsCloseForbidden {
			t.Fatalf("close code %d, want %d", code, wsCloseForbidden)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("socket closed %s after the revocation on the other server, want within 1 s", d)
		}
	})

	t.Run("a revoked token and a disabled directory", func(t *testing.T) {
		issued, err := svc2.CreateDirectory(pctx, domain.NewDirectory{OrganizationID: org.ID, Provider: "jumpcloud"})
		if err != nil {
			t.Fatal(err)
		}
		dir := issued.Directory.ID
		accepted := func(token string) bool {
			_, err := auth1.DirectoryToken(context.Background(), dir, "Bearer "+token)
			return err == nil
		}
		if !accepted(issued.BearerToken) {
			t.Fatal("a new directory's token refused")
		}
		rotated, err := svc2.RotateDirectoryToken(pctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !accepted(rotated.BearerToken) {
			t.Fatal("the rotated token refused")
		}
		if err := svc2.RevokeDirectoryToken(pctx, issued.Token.ID); err != nil {
			t.Fatal(err)
		}
		within("a revoked token", func() bool { return !accepted(issued.BearerToken) })
		if _, err := svc2.SetDirectoryEnabled(pctx, dir, false); err != nil {
			t.Fatal(err)
		}
		within("a disabled directory's token", func() bool { return !accepted(rotated.BearerToken) })
	})
}
