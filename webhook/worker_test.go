package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/egress"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/webhookattempt"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/events"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
	"github.com/acme/directory/webhook"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// loopbackTargets lets endpoints point at the tests' receivers on
// 127.0.0.1.
var loopbackTargets = domain.WebhookTargets(egress.Policy{AllowPrivate: true})

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at now, in microseconds (what PostgreSQL keeps).
func newClock() *clock { return &clock{t: time.Now().Truncate(time.Microsecond)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
	status int
	p      webhook.Payload
}

// receiver is an endpoint on 127.0.0.1 that records every request and
// answers with the status fail gives (0: 204).
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []received
	fail func(n int) int // n: requests so far, this one included
	body string          // the body of failing answers
}

func newReceiver(t *testing.T, fail func(n int) int) *receiver {
	r := &receiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := http.StatusNoContent
		if r.fail != nil {
			if s := r.fail(len(r.got) + 1); s != 0 {
				status = s
			}
		}
		rec := received{header: req.Header.Clone(), body: body, status: status}
		if err := json.Unmarshal(body, &rec.p); err != nil {
			t.Errorf("delivery body is not JSON: %v\n%s", err, body)
		}
		r.got = append(r.got, rec)
		r.mu.Unlock()
		w.WriteHeader(status)
		if status >= 300 {
			io.WriteString(w, r.body)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// accepted is the requests answered 2xx, in arrival order.
func (r *receiver) accepted() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.status < 300 {
			out = append(out, g)
		}
	}
	return out
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// fixture is an organization with an endpoint pointing at a receiver.
type fixture struct {
	svc    *domain.Service
	client *ent.Client
	ctx    context.Context // the platform
	org    *ent.Organization
	ep     *ent.WebhookEndpoint
	secret string
}

func newFixture(t *testing.T, s *store.Store, url string, types ...string) *fixture {
	t.Helper()
	return newOrgFixture(t, s, "Acme", url, types...)
}

// newOrgFixture is newFixture with the organization's name.
func newOrgFixture(t *testing.T, s *store.Store, name, url string, types ...string) *fixture {
	t.Helper()
	svc := domain.New(s.Client, s.Dialect, loopbackTargets)
	ctx := access.PlatformContext(context.Background())
	org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	// An event before the endpoint exists: not delivered.
	if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: "before", Name: "Before"}); err != nil {
		t.Fatal(err)
	}
	is, err := svc.CreateWebhookEndpoint(ctx, domain.NewWebhookEndpoint{OrganizationID: org.ID, URL: url, EventTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, client: s.Client, ctx: ctx, org: org, ep: is.Endpoint, secret: is.Secret}
}

// roles makes n roles and updates each of them updates times: each role
// is a subject with 1+updates events.
func (f *fixture) roles(t *testing.T, n, updates int) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	for i := range n {
		r, err := f.svc.CreateRole(f.ctx, domain.NewRole{OrganizationID: f.org.ID, Key: fmt.Sprintf("r%d", i), Name: "R"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	for u := range updates {
		for _, id := range ids {
			name := fmt.Sprintf("R %d", u)
			if _, err := f.svc.UpdateRole(f.ctx, id, domain.RoleChange{Name: &name}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

// eventIDs is the ids of the organization's events of subjects, in order.
func (f *fixture) eventIDs(t *testing.T, subjects []uuid.UUID) []int64 {
	t.Helper()
	evs, err := f.client.Event.Query().Where(event.OrganizationID(f.org.ID), event.SubjectIDIn(subjects...)).
		Order(ent.Asc(event.FieldTxid), ent.Asc(event.FieldID)).All(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

// checkDelivered fails t unless the accepted requests are each event of
// want once, in event order per subject, each signed with secret (and its
// timestamp within the tolerance of now, when now is set).
func checkDelivered(t *testing.T, got []received, want []int64, secret string) {
	t.Helper()
	seen := map[string]int{}
	last := map[uuid.UUID]int64{}
	for _, g := range got {
		if !verify(secret, g.header, g.body) {
			t.Errorf("delivery %s: signature %q does not verify", g.header.Get("webhook-id"), g.header.Get("webhook-signature"))
		}
		id := g.header.Get("webhook-id")
		if id != g.p.ID {
			t.Errorf("webhook-id %q, body id %q", id, g.p.ID)
		}
		seen[id]++
		n, err := strconv.ParseInt(strings.TrimPrefix(id, "evt_"), 10, 64)
		if err != nil {
			t.Fatalf("webhook-id %q", id)
		}
		if n <= last[g.p.SubjectID] {
			t.Errorf("subject %s: event %d delivered after %d", g.p.SubjectID, n, last[g.p.SubjectID])
		}
		last[g.p.SubjectID] = n
	}
	for _, id := range want {
		if c := seen[domain.WebhookEventID(id)]; c != 1 {
			t.Errorf("event %d accepted %d times; want once", id, c)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d deliveries accepted; want %d", len(got), len(want))
	}
}

// quick is a worker configuration for tests: a settable clock, no jitter,
// loopback allowed.
func quick(c *clock, schedule ...time.Duration) webhook.Config {
	return webhook.Config{Now: c.Now, Jitter: func(d time.Duration) time.Duration { return d },
		AllowPrivate: true, Schedule: schedule, Timeout: 5 * time.Second}
}

func TestDeliversInOrderPerSubject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, nil)
		f := newFixture(t, s, rcv.srv.URL)
		subjects := f.roles(t, 3, 3)
		c := newClock()
		w := webhook.New(f.svc, s.Dialect, quick(c, time.Second))
		for range 10 {
			if _, err := w.Round(f.ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := rcv.accepted()
		checkDelivered(t, got, f.eventIDs(t, subjects), f.secret)
		i := slices.IndexFunc(got, func(g received) bool { return g.p.Type == events.TypeRoleCreated && g.p.Data["key"] == "r0" })
		if i < 0 {
			t.Fatal("role.created of r0 not delivered")
		}
		p := got[i].p
		if p.OrganizationID != f.org.ID || p.Type != events.TypeRoleCreated || p.Data["key"] != "r0" ||
			p.Cursor == "" || p.ActorType != domain.ActorSystem || p.Timestamp.IsZero() {
			t.Errorf("first payload %+v", p)
		}
		if ts, _ := strconv.ParseInt(got[i].header.Get("webhook-timestamp"), 10, 64); ts != c.Now().Unix() {
			t.Errorf("webhook-timestamp %d; want the clock's %d", ts, c.Now().Unix())
		}
	})
}

func TestReceiverDownThenBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := newClock()
		down := c.Now().Add(2 * time.Minute)
		rcv := newReceiver(t, func(int) int {
			if c.Now().Before(down) {
				return http.StatusServiceUnavailable
			}
			return 0
		})
		f := newFixture(t, s, rcv.srv.URL)
		subjects := f.roles(t, 4, 2)
		w := webhook.New(f.svc, s.Dialect, quick(c, 5*time.Second, 10*time.Second, 20*time.Second, 40*time.Second, 80*time.Second))
		for range 80 {
			if _, err := w.Round(f.ctx); err != nil {
				t.Fatal(err)
			}
			c.Add(5 * time.Second)
		}
		if len(rcv.all()) == len(rcv.accepted()) {
			t.Fatal("the receiver refused nothing: the test tests nothing")
		}
		checkDelivered(t, rcv.accepted(), f.eventIDs(t, subjects), f.secret)
		// While down, only the first event of each subject was tried.
		for _, g := range rcv.all() {
			if g.status < 300 {
				continue
			}
			if !verify(f.secret, g.header, g.body) {
				t.Errorf("refused delivery %s is not signed", g.p.ID)
			}
		}
		pending, err := f.client.WebhookDelivery.Query().Where(webhookdelivery.StatusNEQ(webhookdelivery.StatusSucceeded)).Count(f.ctx)
		if err != nil || pending != 0 {
			t.Fatalf("%d deliveries not succeeded (%v)", pending, err)
		}
	})
}

func TestRetriesBackOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, func(int) int { return http.StatusInternalServerError })
		rcv.body = strings.Repeat("é", 3000) // 6000 bytes
		f := newFixture(t, s, rcv.srv.URL, events.TypeRoleCreated)
		schedule := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second}
		c := newClock()
		cfg := quick(c, schedule...)
		cfg.DisableAfter = time.Hour
		w := webhook.New(f.svc, s.Dialect, cfg)
		f.roles(t, 1, 0)
		delivery := func() *ent.WebhookDelivery {
			d, err := f.client.WebhookDelivery.Query().Only(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		round := func(wantSent int) {
			t.Helper()
			n, err := w.Round(f.ctx)
			if err != nil || n != wantSent {
				t.Fatalf("round sent %d (%v); want %d", n, err, wantSent)
			}
		}
		start := c.Now()
		round(1)
		for i, wait := range schedule {
			d := delivery()
			if d.Status != webhookdelivery.StatusPending || d.AttemptCount != i+1 || !d.NextAttemptAt.Equal(c.Now().Add(wait)) {
				t.Fatalf("after attempt %d: %s, %d attempts, next at +%s; want pending, next at +%s",
					i+1, d.Status, d.AttemptCount, d.NextAttemptAt.Sub(c.Now()), wait)
			}
			c.Add(wait - time.Second)
			round(0) // not yet due
			c.Add(time.Second)
			round(1)
		}
		d := delivery()
		if d.Status != webhookdelivery.StatusFailed || d.AttemptCount != len(schedule)+1 ||
			d.LastResponseStatus == nil || *d.LastResponseStatus != 500 {
			t.Fatalf("after the schedule: %+v; want failed after %d attempts", d, len(schedule)+1)
		}
		atts, err := f.client.WebhookAttempt.Query().Where(webhookattempt.DeliveryID(d.ID)).
			Order(ent.Asc(webhookattempt.FieldNumber)).All(f.ctx)
		if err != nil || len(atts) != len(schedule)+1 {
			t.Fatalf("%d attempts recorded (%v); want %d", len(atts), err, len(schedule)+1)
		}
		for i, a := range atts {
			// The receiver is on loopback (a private target, reached only
			// with AllowPrivate): the status is kept, its body is not.
			if a.Number != i+1 || a.Succeeded || a.ResponseStatus == nil || *a.ResponseStatus != 500 ||
				a.Error != "response status 500" || a.ResponseBody != "" {
				t.Errorf("attempt %d: %+v", i+1, a)
			}
		}
		if len(rcv.all()) != len(schedule)+1 {
			t.Fatalf("receiver got %d requests; want %d", len(rcv.all()), len(schedule)+1)
		}
		// The endpoint has been failing since the first attempt (it is
		// disabled once that is DisableAfter ago: TestFailingEndpointIsDisabled).
		ep, err := f.client.WebhookEndpoint.Get(f.ctx, f.ep.ID)
		if err != nil || ep.FailingSince == nil || !ep.FailingSince.Equal(start) || !ep.Enabled {
			t.Fatalf("endpoint %+v (%v); want enabled, failing since the first attempt", ep, err)
		}
	})
}

func TestFailingEndpointIsDisabled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, func(int) int { return http.StatusBadGateway })
		f := newFixture(t, s, rcv.srv.URL)
		c := newClock()
		cfg := quick(c, time.Minute)
		cfg.DisableAfter = 3 * time.Minute
		w := webhook.New(f.svc, s.Dialect, cfg)
		mk := func(key string) {
			if _, err := f.svc.CreateRole(f.ctx, domain.NewRole{OrganizationID: f.org.ID, Key: key, Name: key}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 8 {
			mk(fmt.Sprintf("k%d", i))
			if _, err := w.Round(f.ctx); err != nil {
				t.Fatal(err)
			}
			c.Add(time.Minute)
		}
		ep, err := f.client.WebhookEndpoint.Get(f.ctx, f.ep.ID)
		if err != nil || ep.Enabled {
			t.Fatalf("endpoint still enabled (%v) after failing for %s", err, 8*time.Minute)
		}
		evs, err := f.client.Event.Query().Where(event.Type(events.TypeWebhookEndpointDisabled)).All(f.ctx)
		if err != nil || len(evs) != 1 || evs[0].SubjectID != f.ep.ID || evs[0].OrganizationID != f.org.ID ||
			evs[0].Data["url"] != rcv.srv.URL || evs[0].Data["enabled"] != false || evs[0].Data["reason"] == nil {
			t.Fatalf("endpoint_disabled events: %+v (%v)", evs, err)
		}
		if _, leaked := evs[0].Data["secret"]; leaked {
			t.Fatal("the event carries the secret")
		}
		// Disabled: nothing more is sent.
		n := len(rcv.all())
		mk("after")
		c.Add(time.Hour)
		if sent, err := w.Round(f.ctx); err != nil || sent != 0 || len(rcv.all()) != n {
			t.Fatalf("a disabled endpoint got deliveries: %d (%v)", sent, err)
		}
		// Enabled again: it resumes where it stopped, failure record cleared.
		on := true
		ep, err = f.svc.UpdateWebhookEndpoint(f.ctx, f.ep.ID, domain.WebhookEndpointChange{Enabled: &on})
		if err != nil || ep.FailingSince != nil || !ep.Enabled {
			t.Fatalf("re-enable: %+v, %v", ep, err)
		}
		rcv.mu.Lock()
		rcv.fail = nil
		rcv.mu.Unlock()
		for range 6 { // at most PerEndpoint (2) a round
			if _, err := w.Round(f.ctx); err != nil {
				t.Fatal(err)
			}
			c.Add(time.Minute)
		}
		ids := map[string]bool{}
		for _, g := range rcv.accepted() {
			ids[g.p.Type+" "+fmt.Sprint(g.p.Data["key"])] = true
		}
		if !ids[events.TypeRoleCreated+" after"] || !ids[events.TypeRoleCreated+" k7"] || ids[events.TypeRoleCreated+" k0"] {
			t.Fatalf("after re-enabling, accepted %v; want k7 (pending), after (written while disabled), not k0 (given up)", ids)
		}
	})
}

func TestRotationSignsWithBoth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, nil)
		f := newFixture(t, s, rcv.srv.URL)
		c := newClock()
		w := webhook.New(f.svc, s.Dialect, quick(c, time.Second))
		old := f.secret
		is, err := f.svc.RotateWebhookSecret(f.ctx, f.ep.ID, time.Hour)
		if err != nil || is.Secret == old || !strings.HasPrefix(is.Secret, "whsec_") {
			t.Fatalf("rotate: %v, %v", is, err)
		}
		send := func(key string) received {
			t.Helper()
			if _, err := f.svc.CreateRole(f.ctx, domain.NewRole{OrganizationID: f.org.ID, Key: key, Name: key}); err != nil {
				t.Fatal(err)
			}
			if n, err := w.Round(f.ctx); err != nil || n != 1 {
				t.Fatalf("round: %d, %v", n, err)
			}
			all := rcv.all()
			return all[len(all)-1]
		}
		g := send("during")
		if n := len(strings.Fields(g.header.Get("webhook-signature"))); n != 2 || !verify(old, g.header, g.body) || !verify(is.Secret, g.header, g.body) {
			t.Fatalf("during the overlap: %d signatures %q; want both secrets", n, g.header.Get("webhook-signature"))
		}
		c.Add(time.Hour + time.Second)
		g = send("after")
		if n := len(strings.Fields(g.header.Get("webhook-signature"))); n != 1 || verify(old, g.header, g.body) || !verify(is.Secret, g.header, g.body) {
			t.Fatalf("after the overlap: %d signatures; want only the new secret's", n)
		}
		again, err := f.svc.RotateWebhookSecret(f.ctx, f.ep.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		g = send("no-overlap")
		if verify(is.Secret, g.header, g.body) || !verify(again.Secret, g.header, g.body) {
			t.Fatal("a rotation without overlap still signs with the old secret")
		}
	})
}

func TestRefusedAddressIsAFailedAttempt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, nil)
		f := newFixture(t, s, rcv.srv.URL)
		c := newClock()
		cfg := quick(c, time.Second)
		cfg.AllowPrivate = false
		w := webhook.New(f.svc, s.Dialect, cfg)
		f.roles(t, 1, 0)
		if _, err := w.Round(f.ctx); err != nil {
			t.Fatal(err)
		}
		if len(rcv.all()) != 0 {
			t.Fatal("the receiver on 127.0.0.1 was reached without AllowPrivate")
		}
		a, err := f.client.WebhookAttempt.Query().Only(f.ctx)
		if err != nil || a.Succeeded || a.ResponseStatus != nil || !strings.Contains(a.Error, "not allowed") {
			t.Fatalf("attempt %+v (%v); want a refused connection", a, err)
		}
	})
}

func TestResend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, nil)
		f := newFixture(t, s, rcv.srv.URL)
		c := newClock()
		c.Add(time.Minute) // resends are due at the real clock's now
		w := webhook.New(f.svc, s.Dialect, quick(c, time.Second))
		subjects := f.roles(t, 2, 1)
		drain(t, w, f.ctx)
		ids := f.eventIDs(t, subjects)
		if len(rcv.accepted()) != len(ids) {
			t.Fatalf("%d accepted; want %d", len(rcv.accepted()), len(ids))
		}
		if err := f.svc.ResendWebhookEvent(f.ctx, f.ep.ID, ids[1]); err != nil {
			t.Fatal(err)
		}
		drain(t, w, f.ctx)
		all := rcv.accepted()
		if len(all) != len(ids)+1 || all[len(all)-1].p.ID != domain.WebhookEventID(ids[1]) {
			t.Fatalf("after resending %d: %d accepted", ids[1], len(all))
		}
		// Everything since a time: the "before" role too, which was
		// written before the endpoint existed.
		n, err := f.svc.ResendWebhookEvents(f.ctx, f.ep.ID, time.Now().Add(-time.Hour))
		if err != nil || n != len(ids)+1 {
			t.Fatalf("resend since: %d, %v; want %d", n, err, len(ids)+1)
		}
		drain(t, w, f.ctx)
		if got := len(rcv.accepted()); got != 2*len(ids)+2 {
			t.Fatalf("%d accepted after resending all; want %d", got, 2*len(ids)+2)
		}
		if err := f.svc.ResendWebhookEvent(f.ctx, f.ep.ID, 1<<40); err == nil {
			t.Fatal("resending an unknown event succeeded")
		}
	})
}

func TestTwoWorkersDeliverOnce(t *testing.T) {
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			a, b := twoStores(t, dialect)
			rcv := newReceiver(t, nil)
			f := newFixture(t, a, rcv.srv.URL)
			subjects := f.roles(t, 20, 4)
			want := f.eventIDs(t, subjects)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, s := range []*store.Store{a, b} {
				cfg := webhook.Config{AllowPrivate: true, PollInterval: 5 * time.Millisecond, Batch: 7, Concurrency: 4}
				w := webhook.New(domain.New(s.Client, s.Dialect), s.Dialect, cfg)
				wg.Go(func() { w.Run(ctx) })
			}
			deadline := time.Now().Add(30 * time.Second)
			for len(rcv.accepted()) < len(want) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond) // a duplicate would arrive now
			cancel()
			wg.Wait()
			checkDelivered(t, rcv.all(), want, f.secret)
		})
	}
}

// twoStores opens one fresh database twice, as two servers would.
func twoStores(t *testing.T, dialect string) (*store.Store, *store.Store) {
	t.Helper()
	var url, dir string
	if dialect == "postgres" {
		url = pgtest.New(t)
	} else {
		dir = t.TempDir()
	}
	open := func() *store.Store {
		s, err := store.Open(context.Background(), url, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return open(), open()
}

// drain runs rounds until one sends nothing (a subject's next event goes
// in the round after its previous one).
func drain(t *testing.T, w *webhook.Worker, ctx context.Context) {
	t.Helper()
	for range 100 {
		n, err := w.Round(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("rounds keep sending")
}

// TestSubjectQueueIsChained: a subject's queued deliveries go back to back
// in one slot — each success leases the next in the same transaction — so
// one round delivers a subject's whole queue, in order, where a claim each
// would take a round each.
func TestSubjectQueueIsChained(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		rcv := newReceiver(t, nil)
		f := newFixture(t, s, rcv.srv.URL)
		subjects := f.roles(t, 2, 6) // two roles, each created and updated 6 times
		c := newClock()
		w := webhook.New(f.svc, s.Dialect, quick(c, time.Second))
		if _, err := w.Round(f.ctx); err != nil {
			t.Fatal(err)
		}
		got := rcv.accepted()
		if want := f.eventIDs(t, subjects); len(got) != len(want) {
			t.Fatalf("one round delivered %d of the %d queued deliveries of two subjects", len(got), len(want))
		}
		checkDelivered(t, got, f.eventIDs(t, subjects), f.secret)
	})
}
