package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/webhookattempt"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
	"github.com/acme/directory/webhook"
)

// hanging is an endpoint that accepts requests and never answers (until
// the test ends); it counts the requests it holds at once.
type hanging struct {
	srv          *httptest.Server
	got, now, hi atomic.Int32
}

func newHanging(t *testing.T) *hanging {
	h := &hanging{}
	block := make(chan struct{})
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.got.Add(1)
		n := h.now.Add(1)
		for {
			hi := h.hi.Load()
			if n <= hi || h.hi.CompareAndSwap(hi, n) {
				break
			}
		}
		defer h.now.Add(-1)
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(h.srv.Close)
	t.Cleanup(func() { close(block) }) // runs first: the server can close
	return h
}

// arrivals is a receiver that notes when each role's role.created
// delivery arrived, by the role's key.
type arrivals struct {
	srv *httptest.Server
	mu  sync.Mutex
	at  map[string]time.Time
}

func newArrivals(t *testing.T) *arrivals {
	a := &arrivals{at: map[string]time.Time{}}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		if err := decode(r, &p); err == nil && p.Type == events.TypeRoleCreated {
			a.mu.Lock()
			a.at[fmt.Sprint(p.Data["key"])] = time.Now()
			a.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// lag creates a role with key in f's organization and waits for its
// delivery: the time from the commit to its arrival.
func (a *arrivals) lag(t *testing.T, f *fixture, key string, within time.Duration) time.Duration {
	t.Helper()
	if _, err := f.svc.CreateRole(f.ctx, domain.NewRole{OrganizationID: f.org.ID, Key: key, Name: key}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for time.Since(start) < within {
		a.mu.Lock()
		at, ok := a.at[key]
		a.mu.Unlock()
		if ok {
			return at.Sub(start)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("the delivery of %s did not arrive within %s", key, within)
	return 0
}

// run starts w.Run and returns its stop, which waits for it to return.
func run(w *webhook.Worker, ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// TestHangingEndpointDoesNotDelayOthers: organization A's endpoint
// accepts and never answers, with 60 deliveries queued for it; another
// organization's deliveries arrive about as fast as when A is idle. A
// holds at most PerEndpoint requests at once.
func TestHangingEndpointDoesNotDelayOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		dead := newHanging(t)
		rcv := newArrivals(t)
		a := newOrgFixture(t, s, "Org A", dead.srv.URL)
		c := newOrgFixture(t, s, "Org C", rcv.srv.URL)
		w := webhook.New(c.svc, s.Dialect, webhook.Config{AllowPrivate: true, Timeout: 3 * time.Second,
			PollInterval: 200 * time.Millisecond})
		stop := run(w, c.ctx)
		defer stop()

		var idle []time.Duration
		for i := range 5 {
			idle = append(idle, rcv.lag(t, c, fmt.Sprintf("idle%d", i), 10*time.Second))
		}
		for i := range 60 {
			if _, err := a.svc.CreateRole(a.ctx, domain.NewRole{OrganizationID: a.org.ID, Key: fmt.Sprintf("a%d", i), Name: "A"}); err != nil {
				t.Fatal(err)
			}
		}
		for dead.got.Load() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		var busy []time.Duration
		for i := range 5 {
			busy = append(busy, rcv.lag(t, c, fmt.Sprintf("busy%d", i), 30*time.Second))
		}
		idleMax, busyMax := slices.Max(idle), slices.Max(busy)
		bound := 2*idleMax + time.Second
		t.Logf("other organization's delivery lag: idle max %s, with A hanging max %s (%.1f× idle); A held %d at once",
			idleMax, busyMax, float64(busyMax)/float64(idleMax), dead.hi.Load())
		if busyMax > bound {
			t.Errorf("with A's endpoint hanging, C's deliveries took up to %s (idle: %s); want within %s", busyMax, idleMax, bound)
		}
		if hi := dead.hi.Load(); hi > webhook.DefaultPerEndpoint {
			t.Errorf("the hanging endpoint held %d requests at once; want at most %d", hi, webhook.DefaultPerEndpoint)
		}
	})
}

// TestDeadEndpointIsBackedOff: an endpoint that fails every attempt
// opens its circuit breaker after BreakerThreshold failures: none of its
// deliveries is claimed until the back-off ends (other endpoints go on),
// then one at a time; once one succeeds the breaker closes.
func TestDeadEndpointIsBackedOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var alive atomic.Bool
		var tries atomic.Int32
		deadSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tries.Add(1)
			if alive.Load() {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			// Dead: the connection drops without an answer.
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}))
		t.Cleanup(deadSrv.Close)
		rcv := newReceiver(t, nil)
		a := newOrgFixture(t, s, "Org A", deadSrv.URL)
		other := newOrgFixture(t, s, "Org C", rcv.srv.URL)
		clk := newClock()
		cfg := quick(clk, time.Second, time.Second, time.Second, time.Second, time.Second, time.Second, time.Second, time.Second)
		cfg.BreakerThreshold, cfg.BreakerBackoff = 3, time.Minute
		cfg.PerEndpoint = 2 // two attempts a round: the counts below
		w := webhook.New(a.svc, s.Dialect, cfg)
		a.roles(t, 8, 0)
		round := func() int {
			t.Helper()
			n, err := w.Round(a.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		endpoint := func() (int, *time.Time) {
			t.Helper()
			ep, err := a.client.WebhookEndpoint.Get(a.ctx, a.ep.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ep.ConsecutiveFailures, ep.BreakerOpenUntil
		}
		round()
		clk.Add(time.Second)
		round()
		fails, until := endpoint()
		if fails != 4 || until == nil || !until.After(clk.Now()) || tries.Load() != 4 {
			t.Fatalf("after 4 failed attempts: %d failures, breaker open until %v (now %v), %d tries; want open",
				fails, until, clk.Now(), tries.Load())
		}
		// Open: its deliveries are due but not claimed; the other
		// organization's are.
		for i := range 5 {
			clk.Add(10 * time.Second)
			if _, err := other.svc.CreateRole(other.ctx, domain.NewRole{OrganizationID: other.org.ID, Key: fmt.Sprintf("o%d", i), Name: "O"}); err != nil {
				t.Fatal(err)
			}
			round()
			if !clk.Now().Before(*until) {
				break
			}
		}
		if n := tries.Load(); n != 4 {
			t.Fatalf("the dead endpoint got %d requests while its breaker was open; want none past the 4", n)
		}
		if len(rcv.accepted()) == 0 {
			t.Fatal("the other organization got nothing while A's breaker was open")
		}
		// Back-off over: one attempt (half-open), which fails: open longer.
		clk.Add(until.Sub(clk.Now()))
		round()
		fails, until2 := endpoint()
		if tries.Load() != 5 || fails != 5 || until2 == nil || !until2.After(clk.Now().Add(time.Minute)) {
			t.Fatalf("half-open: %d tries, %d failures, open until %v; want 1 more try and a longer back-off", tries.Load(), fails, until2)
		}
		// Back: the half-open attempt succeeds and the breaker closes;
		// then PerEndpoint at once again.
		alive.Store(true)
		clk.Add(until2.Sub(clk.Now()))
		if n := round(); n != 1 {
			t.Fatalf("half-open round sent %d; want 1", n)
		}
		if fails, until := endpoint(); fails != 0 || until != nil {
			t.Fatalf("after a success: %d failures, open until %v; want the breaker closed", fails, until)
		}
		clk.Add(time.Second)
		if n := round(); n != cfg.PerEndpoint {
			t.Fatalf("closed again: a round sent %d; want %d", n, cfg.PerEndpoint)
		}
		drain(t, w, a.ctx)
		left, err := a.client.WebhookDelivery.Query().Where(webhookdelivery.StatusNEQ(webhookdelivery.StatusSucceeded)).Count(a.ctx)
		if err != nil || left != 0 {
			t.Fatalf("%d deliveries not delivered after the endpoint came back (%v)", left, err)
		}
	})
}

// TestDeadWorkersDeliveryIsRetriedWithinSeconds: a worker claims a
// delivery and dies before sending it; another worker sends it once the
// short lease has run out, within seconds.
func TestDeadWorkersDeliveryIsRetriedWithinSeconds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, nil)
		f := newFixture(t, s, rcv.srv.URL)
		cfg := webhook.Config{AllowPrivate: true, PollInterval: 100 * time.Millisecond, Lease: 2 * time.Second}
		dies := webhook.New(f.svc, s.Dialect, cfg)
		if _, err := f.svc.DispatchWebhookEvents(f.ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		f.roles(t, 1, 0)
		if _, err := f.svc.DispatchWebhookEvents(f.ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		claimed := time.Now()
		if n, err := dies.ClaimOnly(f.ctx); err != nil || n != 1 {
			t.Fatalf("claim: %d, %v", n, err)
		}
		stop := run(webhook.New(f.svc, s.Dialect, cfg), f.ctx)
		defer stop()
		for len(rcv.accepted()) == 0 && time.Since(claimed) < 20*time.Second {
			time.Sleep(10 * time.Millisecond)
		}
		took := time.Since(claimed)
		t.Logf("a dead worker's delivery arrived %s after its claim (lease %s)", took, cfg.Lease)
		if len(rcv.accepted()) != 1 || took < cfg.Lease || took > cfg.Lease+3*time.Second {
			t.Fatalf("%d arrivals, %s after the dead claim; want 1, after the %s lease and within 3 s of its end",
				len(rcv.accepted()), took, cfg.Lease)
		}
	})
}

// TestHeartbeatKeepsTheLease: a request that takes longer than the lease
// is not sent again by another worker: its worker extends the lease while
// it runs.
func TestHeartbeatKeepsTheLease(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			a, b := twoStores(t, dialect)
			var got atomic.Int32
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got.Add(1)
				time.Sleep(2500 * time.Millisecond)
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(slow.Close)
			f := newFixture(t, a, slow.URL)
			f.roles(t, 1, 0)
			cfg := webhook.Config{AllowPrivate: true, PollInterval: 50 * time.Millisecond, Lease: time.Second}
			var stops []func()
			for _, s := range []*store.Store{a, b} {
				stops = append(stops, run(webhook.New(domain.New(s.Client, s.Dialect), s.Dialect, cfg), f.ctx))
			}
			deadline := time.Now().Add(15 * time.Second)
			for time.Now().Before(deadline) {
				n, err := f.client.WebhookAttempt.Query().Where(webhookattempt.Succeeded(true)).Count(f.ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			for _, stop := range stops {
				stop()
			}
			if n := got.Load(); n != 1 {
				t.Fatalf("the slow endpoint got %d requests; want 1 (the lease held by heartbeats)", n)
			}
		})
	}
}

// decode reads a request's JSON body into v.
func decode(r *http.Request, v any) error {
	return json.NewDecoder(r.Body).Decode(v)
}
