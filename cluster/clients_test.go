//go:build cluster

package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// request is one HTTP request a client sent.
type request struct {
	kind       string
	method     string
	start, end time.Time
	status     int // 0: no response
}

// requestLog records every request of the clients that use it.
type requestLog struct {
	mu   sync.Mutex
	reqs []request
}

func (l *requestLog) add(r request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
}

func (l *requestLog) all() []request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]request(nil), l.reqs...)
}

// recording is a RoundTripper that logs each request under kind.
type recording struct {
	kind string
	log  *requestLog
	next http.RoundTripper
}

func (rt *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := rt.next.RoundTrip(req)
	r := request{kind: rt.kind, method: req.Method, start: start, end: time.Now()}
	if err == nil {
		r.status = res.StatusCode
	}
	if req.Context().Err() == nil {
		rt.log.add(r)
	}
	return res, err
}

// gqlClient sends GraphQL requests over HTTP with an API key.
type gqlClient struct {
	url, key string
	http     *http.Client
}

// do sends one operation and decodes data into out; GraphQL errors are
// errors.
func (c *gqlClient) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("graphql: status %d: %.300s", res.StatusCode, b)
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("graphql: decode: %w", err)
	}
	if len(env.Errors) > 0 {
		return fmt.Errorf("graphql: %s", env.Errors[0].Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Data, out)
}

// event is what the checks need of an event.
type event struct {
	Cursor    string    `json:"cursor"`
	Type      string    `json:"type"`
	SubjectID string    `json:"subjectID"`
	CreatedAt time.Time `json:"createdAt"`
}

// allEvents pages through the organization's events, oldest first.
func allEvents(ctx context.Context, c *gqlClient, org string) ([]event, error) {
	var out []event
	after := ""
	for {
		var page struct {
			Events struct {
				Edges []struct {
					Node event `json:"node"`
				} `json:"edges"`
				PageInfo struct {
					EndCursor   string `json:"endCursor"`
					HasNextPage bool   `json:"hasNextPage"`
				} `json:"pageInfo"`
			} `json:"events"`
		}
		err := c.do(ctx, `query($org: ID!, $after: Cursor) { events(organizationID: $org, after: $after, first: 100) {
			edges { node { cursor type subjectID createdAt } } pageInfo { endCursor hasNextPage } } }`,
			map[string]any{"org": org, "after": after}, &page)
		if err != nil {
			return nil, err
		}
		for _, e := range page.Events.Edges {
			out = append(out, e.Node)
		}
		if !page.Events.PageInfo.HasNextPage || len(page.Events.Edges) == 0 {
			return out, nil
		}
		after = page.Events.PageInfo.EndCursor
	}
}

// received is one event as a consumer got it.
type received struct {
	event
	webhookID string
	at        time.Time
}

// subscriber follows an organization's events over WebSocket
// (graphql-transport-ws), reconnecting after every disconnection and
// resuming after the last cursor it got.
type subscriber struct {
	name, url, key, org string

	mu          sync.Mutex
	got         []received
	connects    int
	closeCodes  map[int]int
	disconnects []disconnect
	lastCursor  string
	lastErr     error
	dialRetries int
}

// run follows the events until ctx ends.
func (s *subscriber) run(ctx context.Context) {
	s.closeCodes = map[int]int{}
	for ctx.Err() == nil {
		err := s.session(ctx)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		s.lastErr = err
		code := int(websocket.CloseStatus(err))
		s.closeCodes[code]++
		s.disconnects = append(s.disconnects, disconnect{at: time.Now(), code: code, err: err})
		s.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
}

// session is one connection: init, subscribe after the last cursor, read.
func (s *subscriber) session(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	ws, _, err := websocket.Dial(dctx, strings.Replace(s.url, "http://", "ws://", 1)+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	cancel()
	if err != nil {
		s.mu.Lock()
		s.dialRetries++
		s.mu.Unlock()
		return err
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	if err := wsjson.Write(ctx, ws, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + s.key}}); err != nil {
		return err
	}
	var ack struct {
		Type string `json:"type"`
	}
	if err := wsjson.Read(ctx, ws, &ack); err != nil {
		return err
	}
	if ack.Type != "connection_ack" {
		return fmt.Errorf("%s: got %q, want connection_ack", s.name, ack.Type)
	}
	s.mu.Lock()
	s.connects++
	after := s.lastCursor
	s.mu.Unlock()
	err = wsjson.Write(ctx, ws, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($org: ID!, $after: Cursor) { events(organizationID: $org, after: $after) { cursor type subjectID createdAt } }`,
		"variables": map[string]any{"org": s.org, "after": after},
	}})
	if err != nil {
		return err
	}
	for {
		var m struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := wsjson.Read(ctx, ws, &m); err != nil {
			return err
		}
		switch m.Type {
		case "ping":
			if err := wsjson.Write(ctx, ws, map[string]any{"type": "pong"}); err != nil {
				return err
			}
		case "next":
			var p struct {
				Data struct {
					Events event `json:"events"`
				} `json:"data"`
				Errors []json.RawMessage `json:"errors"`
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				return err
			}
			if len(p.Errors) > 0 {
				return fmt.Errorf("%s: subscription error %s", s.name, p.Errors[0])
			}
			s.mu.Lock()
			s.got = append(s.got, received{event: p.Data.Events, at: time.Now()})
			s.lastCursor = p.Data.Events.Cursor
			s.mu.Unlock()
		case "error", "complete":
			return fmt.Errorf("%s: %s %s", s.name, m.Type, m.Payload)
		}
	}
}

// disconnect is one end of a subscriber's connection: its close code (-1:
// none, the connection just broke).
type disconnect struct {
	at   time.Time
	code int
	err  error
}

// count is how many events the subscriber got.
func (s *subscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// receiver is the webhook endpoint: it records every delivery and answers
// 204.
type receiver struct {
	mu  sync.Mutex
	got []received
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var e struct {
		Cursor    string    `json:"cursor"`
		Type      string    `json:"type"`
		SubjectID string    `json:"subjectID"`
		Timestamp time.Time `json:"timestamp"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, received{event: event{Cursor: e.Cursor, Type: e.Type, SubjectID: e.SubjectID, CreatedAt: e.Timestamp},
		webhookID: r.Header.Get("webhook-id"), at: time.Now()})
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// distinct is how many distinct events the receiver got.
func (rc *receiver) distinct() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	seen := map[string]bool{}
	for _, g := range rc.got {
		seen[g.Cursor] = true
	}
	return len(seen)
}

// percentiles returns the p50 and p99 of ds.
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) time.Duration {
		i := int(q*float64(len(ds))+0.5) - 1
		i = max(0, min(i, len(ds)-1))
		return ds[i]
	}
	return at(0.50), at(0.99)
}
