package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/events"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

const eventsSubscription = `subscription($org: ID!, $after: String, $types: [String!]) {
	events(organizationID: $org, after: $after, types: $types) { cursor type subjectID organizationID }
}`

// eachDatabase is storetest.Each, also giving the PostgreSQL URL (empty on
// SQLite) that a broker's listener needs.
func eachDatabase(t *testing.T, f func(t *testing.T, s *store.Store, url string)) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) {
			if d == "sqlite" {
				f(t, storetest.Open(t, d), "")
				return
			}
			url := pgtest.New(t)
			f(t, openStore(t, url), url)
		})
	}
}

// openStore opens (and migrates) the database at url, closed with the test.
func openStore(t testing.TB, url string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url, "")
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// startBroker runs a broker over s until the test ends.
func startBroker(t testing.TB, s *store.Store, cfg broker.Config) *broker.Broker {
	t.Helper()
	b := broker.New(s, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("broker: %v", err)
		}
	})
	return b
}

// wsMsg is one graphql-transport-ws message.
type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient speaks graphql-transport-ws by hand.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

// dialWS opens a WebSocket to the GraphQL endpoint at srvURL.
func dialWS(t testing.TB, srvURL string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srvURL, "http"),
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if got := conn.Subprotocol(); got != "graphql-transport-ws" {
		t.Fatalf("subprotocol = %q", got)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return &wsClient{t: t, conn: conn}
}

func (c *wsClient) send(m wsMsg) {
	c.t.Helper()
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write %s: %v", m.Type, err)
	}
}

// read returns the next message other than ping (answered) and pong.
func (c *wsClient) read(timeout time.Duration) (wsMsg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		_, b, err := c.conn.Read(ctx)
		if err != nil {
			return wsMsg{}, err
		}
		var m wsMsg
		if err := json.Unmarshal(b, &m); err != nil {
			return wsMsg{}, fmt.Errorf("message %s: %w", b, err)
		}
		switch m.Type {
		case "ping":
			c.send(wsMsg{Type: "pong"})
		case "pong":
		default:
			return m, nil
		}
	}
}

// init sends connection_init with payload and returns the answer.
func (c *wsClient) init(payload map[string]any) (wsMsg, error) {
	p, _ := json.Marshal(payload)
	c.send(wsMsg{Type: "connection_init", Payload: p})
	return c.read(10 * time.Second)
}

// subscribe starts subscription id.
func (c *wsClient) subscribe(id string, vars map[string]any) {
	p, _ := json.Marshal(map[string]any{"query": eventsSubscription, "variables": vars})
	c.send(wsMsg{ID: id, Type: "subscribe", Payload: p})
}

// subEvent is one event a subscription delivered.
type subEvent struct {
	Cursor         string `json:"cursor"`
	Type           string `json:"type"`
	SubjectID      string `json:"subjectID"`
	OrganizationID string `json:"organizationID"`
}

// collect reads until each subscription in want has delivered its number
// of events, and fails on anything else (an error, a complete, a timeout).
func (c *wsClient) collect(want map[string]int, timeout time.Duration) map[string][]subEvent {
	c.t.Helper()
	got := map[string][]subEvent{}
	deadline := time.Now().Add(timeout)
	done := func() bool {
		for id, n := range want {
			if len(got[id]) < n {
				return false
			}
		}
		return true
	}
	for !done() {
		m, err := c.read(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("after %v of %v events: %v", counts(got), want, err)
		}
		if m.Type != "next" {
			c.t.Fatalf("got %s %s, want next", m.Type, m.Payload)
		}
		var p struct {
			Data struct {
				Events subEvent `json:"events"`
			} `json:"data"`
			Errors json.RawMessage `json:"errors"`
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || p.Errors != nil {
			c.t.Fatalf("next %s: %v", m.Payload, err)
		}
		if _, ok := want[m.ID]; !ok {
			c.t.Fatalf("event for unknown subscription %q", m.ID)
		}
		got[m.ID] = append(got[m.ID], p.Data.Events)
	}
	return got
}

func counts(got map[string][]subEvent) map[string]int {
	out := map[string]int{}
	for id, evs := range got {
		out[id] = len(evs)
	}
	return out
}

// quiet fails when a message arrives within d.
func (c *wsClient) quiet(d time.Duration) {
	c.t.Helper()
	m, err := c.read(d)
	if err == nil {
		c.t.Fatalf("unexpected %s %s %s", m.Type, m.ID, m.Payload)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		c.t.Fatalf("read: %v", err)
	}
}

// closeCode is the WebSocket close status of a read error, or -1.
func closeCode(err error) websocket.StatusCode { return websocket.CloseStatus(err) }

// cursors are the cursors of evs.
func cursors(evs []subEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Cursor
	}
	return out
}

// makeRoles creates n roles of org named prefix-0.. through the domain.
func makeRoles(t testing.TB, svc *domain.Service, org uuid.UUID, prefix string, n int) {
	ctx := access.PlatformContext(context.Background())
	for i := range n {
		key := fmt.Sprintf("%s-%d", prefix, i)
		if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org, Key: key, Name: key}); err != nil {
			t.Errorf("create role %s: %v", key, err)
			return
		}
	}
}

// allAfter is every readable event of org after from, as cursors.
func allAfter(t testing.TB, s *store.Store, org uuid.UUID, from events.Cursor, types ...string) []string {
	t.Helper()
	evs, _, err := events.After(access.PlatformContext(context.Background()), s.Client, org, from, events.Filter{Types: types}, events.MaxLimit)
	if err != nil {
		t.Fatalf("events after: %v", err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = events.Of(e).String()
	}
	return out
}

func TestEventsSubscription(t *testing.T) {
	eachDatabase(t, func(t *testing.T, s *store.Store, url string) {
		// A minute's poll: only wake-ups can deliver within the test's time.
		b := startBroker(t, s, broker.Config{DatabaseURL: url, Poll: time.Minute})
		a := newAPI(t, s.Client, s.Dialect, Config{Broker: b})
		svc := domain.New(s.Client, s.Dialect)
		pctx := access.PlatformContext(context.Background())
		org, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		readKey := newOrgKey(t, s.Client, access.OrgRead, org.ID)
		otherKey := newOrgKey(t, s.Client, access.OrgRead, other.ID)

		makeRoles(t, svc, org.ID, "backlog", 5)
		backlog := allAfter(t, s, org.ID, events.Cursor{})
		if len(backlog) != 5 {
			t.Fatalf("backlog = %d events, want 5", len(backlog))
		}
		from, err := events.ParseCursor(backlog[1])
		if err != nil {
			t.Fatal(err)
		}

		t.Run("backlog then live, in order, each once", func(t *testing.T) {
			ws := dialWS(t, a.srv.URL)
			if m, err := ws.init(map[string]any{"Authorization": "Bearer " + readKey}); err != nil || m.Type != "connection_ack" {
				t.Fatalf("connection_init: %+v, %v", m, err)
			}
			ws.subscribe("all", map[string]any{"org": org.ID, "after": from.String()})
			ws.subscribe("deleted", map[string]any{"org": org.ID, "after": from.String(), "types": []string{events.TypeRoleDeleted}})
			// Writers commit while the backlog is read and after it.
			const writers, each = 4, 8
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					makeRoles(t, svc, org.ID, fmt.Sprintf("live%d", w), each)
				}()
			}
			got := ws.collect(map[string]int{"all": 3 + writers*each}, 30*time.Second)
			wg.Wait()
			if want := allAfter(t, s, org.ID, from); !slices.Equal(cursors(got["all"]), want) {
				t.Errorf("subscription delivered\n%v\nthe events are\n%v", cursors(got["all"]), want)
			}
			for _, e := range got["all"] {
				if e.Type != events.TypeRoleCreated || e.OrganizationID != org.ID.String() {
					t.Errorf("event %+v", e)
				}
			}
			// Only role.deleted reaches the filtered subscription.
			r, err := s.Client.Role.Query().First(pctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.DeleteRole(pctx, r.ID); err != nil {
				t.Fatal(err)
			}
			got = ws.collect(map[string]int{"all": 1, "deleted": 1}, 10*time.Second)
			if e := got["deleted"][0]; e.Type != events.TypeRoleDeleted || e.SubjectID != r.ID.String() || e != got["all"][0] {
				t.Errorf("deleted: %+v, all: %+v", e, got["all"][0])
			}
			ws.quiet(300 * time.Millisecond)
		})

		t.Run("resume from the last cursor", func(t *testing.T) {
			all := allAfter(t, s, org.ID, events.Cursor{})
			ws := dialWS(t, a.srv.URL)
			if m, err := ws.init(map[string]any{"authorization": "Bearer " + readKey}); err != nil || m.Type != "connection_ack" {
				t.Fatalf("connection_init (lower-case key): %+v, %v", m, err)
			}
			ws.subscribe("1", map[string]any{"org": org.ID, "after": all[len(all)-3]})
			got := ws.collect(map[string]int{"1": 2}, 10*time.Second)
			if !slices.Equal(cursors(got["1"]), all[len(all)-2:]) {
				t.Errorf("resumed with %v, want %v", cursors(got["1"]), all[len(all)-2:])
			}
			ws.quiet(300 * time.Millisecond)
		})

		t.Run("keys refused in connection_init", func(t *testing.T) {
			for name, payload := range map[string]map[string]any{
				"none":   {},
				"bogus":  {"Authorization": "Bearer dk_bogus"},
				"scheme": {"Authorization": readKey},
			} {
				ws := dialWS(t, a.srv.URL)
				m, err := ws.init(payload)
				if err == nil {
					t.Errorf("%s: got %s, want the connection closed", name, m.Type)
					continue
				}
				if code := closeCode(err); code != 4403 {
					t.Errorf("%s: closed with %d (%v), want 4403", name, code, err)
				}
			}
		})

		t.Run("another organization's key sees nothing", func(t *testing.T) {
			ws := dialWS(t, a.srv.URL)
			if m, err := ws.init(map[string]any{"Authorization": "Bearer " + otherKey}); err != nil || m.Type != "connection_ack" {
				t.Fatalf("connection_init: %+v, %v", m, err)
			}
			ws.subscribe("1", map[string]any{"org": org.ID, "after": ""})
			m, err := ws.read(10 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type != "error" && !(m.Type == "next" && strings.Contains(string(m.Payload), "NOT_FOUND")) {
				t.Fatalf("got %s %s, want an error", m.Type, m.Payload)
			}
			if !strings.Contains(string(m.Payload), "NOT_FOUND") {
				t.Errorf("error %s, want NOT_FOUND", m.Payload)
			}
			makeRoles(t, svc, org.ID, "unseen", 1)
			for {
				m, err := ws.read(500 * time.Millisecond)
				if err != nil {
					break
				}
				if m.Type == "next" && strings.Contains(string(m.Payload), "cursor") {
					t.Fatalf("another organization's key got %s", m.Payload)
				}
			}
		})
	})
}

// TestEventsSubscriptionAcrossServers: two servers on one PostgreSQL
// database, each with its own connections and listener; a subscriber on
// one sees what is written through the other.
func TestEventsSubscriptionAcrossServers(t *testing.T) {
	url := pgtest.New(t)
	s1, s2 := openStore(t, url), openStore(t, url)
	// Only the database's notifications may wake server 1 (the two share
	// this process), and its readers poll once a minute.
	b1 := startBroker(t, s1, broker.Config{DatabaseURL: url, Poll: time.Minute, IgnoreLocalCommits: true})
	a1 := newAPI(t, s1.Client, s1.Dialect, Config{Broker: b1})
	svc2 := domain.New(s2.Client, s2.Dialect)
	startBroker(t, s2, broker.Config{DatabaseURL: url, Poll: time.Minute})
	pctx := access.PlatformContext(context.Background())
	org, err := svc2.CreateOrganization(pctx, domain.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	key := newOrgKey(t, s2.Client, access.OrgRead, org.ID)

	ws := dialWS(t, a1.srv.URL)
	if m, err := ws.init(map[string]any{"Authorization": "Bearer " + key}); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v, %v", m, err)
	}
	ws.subscribe("1", map[string]any{"org": org.ID, "after": events.Cursor{}.String()})
	// The first batch may come with the backlog; the next ones only through
	// the notifications.
	for i := range 3 {
		makeRoles(t, svc2, org.ID, fmt.Sprintf("batch%d", i), 2)
		got := ws.collect(map[string]int{"1": 2}, 10*time.Second)
		for _, e := range got["1"] {
			if e.Type != events.TypeRoleCreated {
				t.Errorf("event %+v", e)
			}
		}
	}
	if all := allAfter(t, s1, org.ID, events.Cursor{}); len(all) != 6 {
		t.Errorf("%d events written, want 6", len(all))
	}
}
