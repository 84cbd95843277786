package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/egress"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/webhookattempt"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/ent/webhookendpoint"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
)

// DefaultSchedule is the wait after each failed attempt: nine retries
// over about 34 hours, then the delivery has failed.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 12 * time.Hour,
}

// The defaults of Config.
const (
	DefaultPollInterval      = time.Second
	DefaultTimeout           = 10 * time.Second
	DefaultDisableAfter      = 72 * time.Hour
	DefaultBatch             = 100
	DefaultConcurrency       = 16
	DefaultPerEndpoint       = 8
	DefaultLease             = 6 * time.Second
	DefaultBreakerThreshold  = 5
	DefaultBreakerBackoff    = 30 * time.Second
	DefaultBreakerMaxBackoff = 15 * time.Minute
)

// dispatchRetries and dispatchRetryWait: how often, and how soon, a
// commit's organizations are dispatched again when their events were not
// readable yet (Run).
const (
	dispatchRetries   = 5
	dispatchRetryWait = 20 * time.Millisecond
)

// responseKeep is how much of a response body an attempt keeps.
const responseKeep = 1024

// errorKeep is how much of an error an attempt keeps.
const errorKeep = 1000

// pruneEvery is how often finished deliveries past the retention go.
const pruneEvery = time.Hour

// Config configures a Worker; zero fields take the defaults.
type Config struct {
	// PollInterval is the pause between rounds that found nothing to do.
	PollInterval time.Duration
	// Schedule is the wait after each failed attempt; after the last, the
	// delivery has failed. Each wait is jittered by ±20%.
	Schedule []time.Duration
	// DisableAfter disables an endpoint whose attempts have failed, with no
	// success between, for this long.
	DisableAfter time.Duration
	// Timeout bounds one request, connection to last byte.
	Timeout time.Duration
	// ConnectTimeout bounds establishing the connection; 0:
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// AllowPrivate lets deliveries reach loopback and private addresses
	// (tests, or receivers on the operator's own network). Link-local
	// (cloud metadata), documentation, reserved, multicast and the rest
	// of package egress's table, and the host's own non-loopback
	// addresses, stay refused.
	AllowPrivate bool
	// Batch is how many deliveries one Round claims at most.
	Batch int
	// Concurrency is how many requests one worker sends at once.
	Concurrency int
	// PerEndpoint is how many deliveries to one endpoint may be in flight
	// at once, over every worker: a slow endpoint holds at most this many
	// of a worker's Concurrency.
	PerEndpoint int
	// Lease is how long a claimed delivery stays out of other workers'
	// reach without news of its worker: the worker extends it every
	// Lease/3 while the request runs, so a delivery whose worker died is
	// claimed again within a Lease.
	Lease time.Duration
	// BreakerThreshold is how many consecutive failed attempts open an
	// endpoint's circuit breaker: none of its deliveries is claimed until
	// the back-off ends, then one at a time until one succeeds.
	BreakerThreshold int
	// BreakerBackoff is how long the breaker stays open when it opens;
	// each further failure while half-open doubles it, up to
	// BreakerMaxBackoff.
	BreakerBackoff    time.Duration
	BreakerMaxBackoff time.Duration
	// Retention is how long finished deliveries (and their attempts) are
	// kept; 0: as long as events (events.DefaultRetention).
	Retention time.Duration
	// Now is the clock (tests inject one); nil: time.Now.
	Now func() time.Time
	// Jitter spreads a wait; nil: uniformly within ±20%.
	Jitter func(time.Duration) time.Duration
	// Resolver resolves endpoint host names; nil: the system's.
	Resolver *net.Resolver
	// OwnAddrs lists the host's own addresses; nil: egress.OwnAddrs.
	OwnAddrs func() []netip.Addr
}

func (c Config) withDefaults() Config {
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if len(c.Schedule) == 0 {
		c.Schedule = DefaultSchedule
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = DefaultDisableAfter
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.PerEndpoint <= 0 {
		c.PerEndpoint = DefaultPerEndpoint
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.BreakerThreshold <= 0 {
		c.BreakerThreshold = DefaultBreakerThreshold
	}
	if c.BreakerBackoff <= 0 {
		c.BreakerBackoff = DefaultBreakerBackoff
	}
	if c.BreakerMaxBackoff <= 0 {
		c.BreakerMaxBackoff = DefaultBreakerMaxBackoff
	}
	if c.Retention <= 0 {
		c.Retention = events.DefaultRetention
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Jitter == nil {
		c.Jitter = func(d time.Duration) time.Duration {
			return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
		}
	}
	return c
}

// ParseSchedule reads a schedule written as comma-separated durations
// ("5s,30s,2m").
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("webhook schedule: %q is not a positive duration", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// Worker sends webhook deliveries. Any number of workers, on any number
// of servers, may share a database.
type Worker struct {
	svc    *domain.Service
	client *ent.Client
	dia    string
	locks  bool // FOR UPDATE SKIP LOCKED (PostgreSQL)
	cfg    Config
	policy egress.Policy
	http   *http.Client

	mu     sync.Mutex
	leased map[uuid.UUID]struct{} // deliveries this worker is sending: their leases are extended
}

// New returns a worker over svc's database, which speaks the ent dialect
// dia.
func New(svc *domain.Service, dia string, cfg Config) *Worker {
	cfg = cfg.withDefaults()
	pol := egress.Policy{AllowPrivate: cfg.AllowPrivate, Resolver: cfg.Resolver, Own: cfg.OwnAddrs}
	return &Worker{svc: svc, client: svc.Client(), dia: dia, locks: dia == dialect.Postgres, cfg: cfg, policy: pol,
		http:   NewHTTPClient(ClientConfig{Timeout: cfg.Timeout, ConnectTimeout: cfg.ConnectTimeout, Policy: pol}),
		leased: map[uuid.UUID]struct{}{}}
}

// Run works until ctx ends. It keeps up to Concurrency requests in
// flight: whenever a slot is free it claims due deliveries for the free
// slots (at most PerEndpoint in flight per endpoint, rotated between
// endpoints and organizations), so a request that hangs holds its slot
// only, never the others. It dispatches new events of every endpoint at
// start and every PollInterval (events written through another server
// wait for the poll), and those of the organizations whose events this
// process commits at once. Failures are logged
// and retried at the next pass. When ctx ends, requests in flight are
// abandoned unrecorded: their leases run out within Lease and another
// worker sends them again.
func (w *Worker) Run(ctx context.Context) {
	ctx = platform(ctx)
	commits := make(chan struct{}, 1)
	freed := make(chan struct{}, 1)
	poke := func(c chan struct{}) {
		select {
		case c <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
	var committedMu sync.Mutex
	committed := map[uuid.UUID]struct{}{} // organizations with events since the last dispatch
	stop := domain.WatchCommits(func(orgs []uuid.UUID) {
		committedMu.Lock()
		for _, o := range orgs {
			committed[o] = struct{}{}
		}
		committedMu.Unlock()
		poke(commits)
	})
	defer stop()
	stopBeat := w.heartbeat(ctx)
	defer stopBeat()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, w.cfg.Concurrency)
	lastPrune := time.Time{}
	all := true // dispatch every endpoint: at start and on each poll
	// On PostgreSQL a committed event is read only once every transaction
	// older than it has ended: when a commit's dispatch found nothing, its
	// organizations are tried again shortly, a few times, rather than at
	// the next poll.
	retries := map[uuid.UUID]int{}
	for {
		committedMu.Lock()
		orgs := make([]uuid.UUID, 0, len(committed))
		for o := range committed {
			orgs = append(orgs, o)
		}
		clear(committed)
		committedMu.Unlock()
		var err error
		switch {
		case all:
			_, err = w.svc.DispatchWebhookEvents(ctx, w.cfg.Now())
			clear(retries)
		case len(orgs) > 0:
			var n int
			n, err = w.svc.DispatchWebhookEventsOf(ctx, w.cfg.Now(), orgs)
			if n > 0 || err != nil {
				for _, o := range orgs {
					delete(retries, o)
				}
				break
			}
			again := false
			for _, o := range orgs {
				if retries[o]++; retries[o] <= dispatchRetries {
					again = true
				} else {
					delete(retries, o)
				}
			}
			if again {
				time.AfterFunc(dispatchRetryWait, func() {
					committedMu.Lock()
					for _, o := range orgs {
						committed[o] = struct{}{}
					}
					committedMu.Unlock()
					poke(commits)
				})
			}
		}
		if err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "webhook: dispatch failed", "err", err)
		}
		free := cap(slots) - len(slots)
		claimed := 0
		if free > 0 {
			jobs, err := w.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				slog.ErrorContext(ctx, "webhook: claim failed", "err", err)
			}
			claimed = len(jobs)
			for _, j := range jobs {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() { <-slots; poke(freed) }()
					if err := w.deliver(ctx, j); err != nil && ctx.Err() == nil {
						slog.ErrorContext(ctx, "webhook: record attempt failed", "delivery", j.d.ID, "err", err)
					}
				})
			}
		}
		if now := w.cfg.Now(); now.Sub(lastPrune) >= pruneEvery {
			lastPrune = now
			if err := w.prune(ctx); err != nil && ctx.Err() == nil {
				slog.ErrorContext(ctx, "webhook: prune failed", "err", err)
			}
		}
		all = false
		if claimed > 0 && claimed == free {
			continue // there may be more; the slots are full now, so this waits below
		}
		select {
		case <-ctx.Done():
			return
		case <-commits:
		case <-freed:
		case <-time.After(w.cfg.PollInterval):
			all = true
		}
	}
}

// Round dispatches new events to deliveries, then claims the due
// deliveries (at most Batch, PerEndpoint per endpoint), sends them,
// Concurrency at a time, and records the outcomes. It returns how many it
// sent. Run does the same without waiting for a whole round; Round is for
// tests and one-off passes.
func (w *Worker) Round(ctx context.Context) (int, error) {
	ctx = platform(ctx)
	if _, err := w.svc.DispatchWebhookEvents(ctx, w.cfg.Now()); err != nil {
		return 0, err
	}
	jobs, err := w.claim(ctx, w.cfg.Batch)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	stopBeat := w.heartbeat(ctx)
	defer stopBeat()
	sem := make(chan struct{}, w.cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := w.deliver(ctx, j); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return len(jobs), fmt.Errorf("webhook: record %d outcomes: %w", len(errs), errs[0])
	}
	return len(jobs), nil
}

// deliver sends one claimed delivery, its lease extended meanwhile, and
// records the outcome, unless ctx ended (the worker is stopping: the
// lease runs out and another worker sends it).
func (w *Worker) deliver(ctx context.Context, j job) error {
	w.mu.Lock()
	w.leased[j.d.ID] = struct{}{}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.leased, j.d.ID)
		w.mu.Unlock()
	}()
	o := w.send(ctx, j)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return w.record(ctx, j, o)
}

// heartbeat extends the leases of the deliveries this worker is sending,
// every Lease/3, until the returned stop is called.
func (w *Worker) heartbeat(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(w.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			w.mu.Lock()
			ids := make([]uuid.UUID, 0, len(w.leased))
			for id := range w.leased {
				ids = append(ids, id)
			}
			w.mu.Unlock()
			if len(ids) == 0 {
				continue
			}
			now := w.cfg.Now()
			if _, err := w.svc.ExtendWebhookLeases(ctx, ids, now, now.Add(w.cfg.Lease)); err != nil && ctx.Err() == nil {
				slog.ErrorContext(ctx, "webhook: extend leases failed", "deliveries", len(ids), "err", err)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// job is a claimed delivery with what sending it needs.
type job struct {
	d  *ent.WebhookDelivery
	ep *ent.WebhookEndpoint
	ev *ent.Event // nil when the event is no longer kept
}

// claim takes up to limit due deliveries and leases them for Lease: their
// lease is set, in the claiming transaction, so no other worker takes
// them until it ends. A delivery is due when it is pending, its next
// attempt time has come, no lease on it runs, no earlier delivery of its
// subject to its endpoint is pending, and its endpoint is enabled with
// its circuit breaker closed (or half-open). Each endpoint gets at most
// PerEndpoint deliveries in flight, counting those other workers hold (1
// while its breaker is half-open), and the picks rotate: every
// organization's first pick before any organization's second, and within
// an organization every endpoint's first before any endpoint's second.
//
// It works in two steps, each cheap however long one endpoint's queue:
// endpoints (candidateEndpoints), then each chosen endpoint's first due
// deliveries through the index on (endpoint_id, status, next_attempt_at).
// On PostgreSQL the endpoint's row and then the deliveries are locked with
// SKIP LOCKED, so workers claiming at once take different endpoints and
// rows, and the in-flight count read under the endpoint's lock is exact.
func (w *Worker) claim(ctx context.Context, limit int) ([]job, error) {
	now := w.cfg.Now()
	var jobs []job
	err := store.WithTx(ctx, w.client, func(tx *ent.Tx) error {
		eps, err := w.candidateEndpoints(ctx, tx, now, limit)
		if err != nil || len(eps) == 0 {
			return err
		}
		// Allot the limit round-robin: one each in the endpoints' order,
		// then a second each, up to each endpoint's room.
		allot := make([]int, len(eps))
		for left, round := limit, 1; left > 0; round++ {
			gave := false
			for i, e := range eps {
				if left > 0 && e.room >= round {
					allot[i]++
					left--
					gave = true
				}
			}
			if !gave {
				break
			}
		}
		picked := make([][]*ent.WebhookDelivery, len(eps))
		for i, e := range eps {
			if picked[i], err = w.pick(ctx, tx, e.id, allot[i], now); err != nil {
				return err
			}
		}
		var ds []*ent.WebhookDelivery
		for round := 0; ; round++ { // the rotation: first picks, then second picks
			more := false
			for _, p := range picked {
				if round < len(p) {
					ds, more = append(ds, p[round]), true
				}
			}
			if !more {
				break
			}
		}
		if len(ds) == 0 {
			return nil
		}
		leased := make([]uuid.UUID, len(ds))
		epIDs := make([]uuid.UUID, 0, len(ds))
		evIDs := make([]int64, len(ds))
		for i, d := range ds {
			leased[i], evIDs[i] = d.ID, d.EventID
			epIDs = append(epIDs, d.EndpointID)
		}
		err = tx.WebhookDelivery.Update().Where(webhookdelivery.IDIn(leased...)).
			AddAttemptCount(1).SetLeaseExpiresAt(now.Add(w.cfg.Lease)).SetLastAttemptAt(now).Exec(ctx)
		if err != nil {
			return fmt.Errorf("lease deliveries: %w", err)
		}
		epRows, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.IDIn(epIDs...)).All(ctx)
		if err != nil {
			return fmt.Errorf("endpoints of deliveries: %w", err)
		}
		evs, err := tx.Event.Query().Where(event.IDIn(evIDs...)).All(ctx)
		if err != nil {
			return fmt.Errorf("events of deliveries: %w", err)
		}
		epOf := map[uuid.UUID]*ent.WebhookEndpoint{}
		for _, ep := range epRows {
			epOf[ep.ID] = ep.Unwrap()
		}
		evOf := map[int64]*ent.Event{}
		for _, e := range evs {
			evOf[e.ID] = e.Unwrap()
		}
		for _, d := range ds {
			d = d.Unwrap()
			d.AttemptCount++
			jobs = append(jobs, job{d: d, ep: epOf[d.EndpointID], ev: evOf[d.EventID]})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("webhook: claim deliveries: %w", err)
	}
	return jobs, nil
}

// pick takes up to n of an endpoint's due deliveries, oldest first, within
// its room re-read under its lock (PostgreSQL: FOR UPDATE SKIP LOCKED on
// the endpoint, then on the deliveries; an endpoint another worker is
// claiming from is skipped).
func (w *Worker) pick(ctx context.Context, tx *ent.Tx, ep uuid.UUID, n int, now time.Time) ([]*ent.WebhookDelivery, error) {
	if n <= 0 {
		return nil, nil
	}
	if w.locks {
		ids, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.ID(ep)).
			ForUpdate(sql.WithLockAction(sql.SkipLocked)).IDs(ctx)
		if err != nil {
			return nil, fmt.Errorf("lock endpoint: %w", err)
		}
		if len(ids) == 0 {
			return nil, nil
		}
		e, err := tx.WebhookEndpoint.Get(ctx, ep)
		if err != nil {
			return nil, fmt.Errorf("read endpoint: %w", err)
		}
		busy, err := tx.WebhookDelivery.Query().Where(webhookdelivery.EndpointID(ep),
			webhookdelivery.StatusEQ(webhookdelivery.StatusPending), webhookdelivery.LeaseExpiresAtGT(now)).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count deliveries in flight: %w", err)
		}
		n = min(n, w.capacity(e.ConsecutiveFailures)-busy)
		if n <= 0 || !e.Enabled || (e.BreakerOpenUntil != nil && e.BreakerOpenUntil.After(now)) {
			return nil, nil
		}
	}
	ids, err := w.firstDue(ctx, tx, ep, n, now, pickWindow)
	if err == nil && len(ids) < n {
		// Fewer than asked among the oldest: the rest of the window may
		// wait behind earlier deliveries of their subjects. Look at
		// every due delivery (cheap when few are due, which is when this
		// happens, but for a subject with a long retry ahead).
		ids, err = w.firstDue(ctx, tx, ep, n, now, 0)
	}
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	q := tx.WebhookDelivery.Query().Where(
		webhookdelivery.IDIn(ids...),
		webhookdelivery.StatusEQ(webhookdelivery.StatusPending),
		webhookdelivery.NextAttemptAtLTE(now),
		webhookdelivery.Or(webhookdelivery.LeaseExpiresAtIsNil(), webhookdelivery.LeaseExpiresAtLTE(now)),
	).Order(ent.Asc(webhookdelivery.FieldNextAttemptAt), ent.Asc(webhookdelivery.FieldEventTxid),
		ent.Asc(webhookdelivery.FieldEventID))
	if w.locks {
		q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
	}
	ds, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("due deliveries of endpoint %s: %w", ep, err)
	}
	return ds, nil
}

// pickWindow is how many of an endpoint's oldest due deliveries pick
// looks at first for ones no earlier delivery of their subject holds
// back: the cost of a claim stays bounded however long the queue.
const pickWindow = 64

// firstDueSQL is an endpoint's first due deliveries, oldest first, that
// no pending delivery of their subject precedes in event order, among its
// {window} oldest due ones. {name} marks a parameter (bind).
const firstDueSQL = `
SELECT d.id FROM (
  SELECT id, subject_id, event_txid, event_id, next_attempt_at FROM webhook_deliveries {index webhookdelivery_endpoint_id_status_next_attempt_at}
  WHERE endpoint_id = {ep} AND status = 'pending' AND next_attempt_at <= {now}
    AND (lease_expires_at IS NULL OR lease_expires_at <= {now})
  ORDER BY next_attempt_at, event_txid, event_id
  LIMIT {window}
) d
WHERE NOT EXISTS (
  SELECT 1 FROM webhook_deliveries p
  WHERE p.endpoint_id = {ep} AND p.subject_id = d.subject_id AND p.status = 'pending'
    AND (p.event_txid < d.event_txid OR (p.event_txid = d.event_txid AND p.event_id < d.event_id)))
ORDER BY d.next_attempt_at, d.event_txid, d.event_id
LIMIT {n}`

// firstDue runs firstDueSQL; window 0 looks at every due delivery.
func (w *Worker) firstDue(ctx context.Context, tx *ent.Tx, ep uuid.UUID, n int, now time.Time, window int) ([]uuid.UUID, error) {
	if window <= 0 {
		window = math.MaxInt32
	}
	query, args, err := w.bind(firstDueSQL, map[string]any{"ep": ep, "now": now, "window": window, "n": n})
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("due deliveries of endpoint %s: %w", ep, err)
	}
	defer rows.Close()
	var ids []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due deliveries of endpoint %s: %w", ep, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due deliveries of endpoint %s: %w", ep, err)
	}
	return ids, nil
}

// capacity is how many deliveries an endpoint with this many consecutive
// failures may have in flight: PerEndpoint, 1 while half-open.
func (w *Worker) capacity(failures int) int {
	if failures >= w.cfg.BreakerThreshold {
		return 1
	}
	return w.cfg.PerEndpoint
}

// candidate is an endpoint with due deliveries and room for more in
// flight.
type candidate struct {
	id   uuid.UUID
	room int
}

// candidateEndpointsSQL lists the endpoints that may be sent to now, in
// rotation: enabled, breaker closed or half-open, a pending delivery due
// (its oldest next_attempt_at: the first entry of the index on
// (endpoint_id, status, next_attempt_at), not a scan), and room: fewer in flight (leases running, counted
// once per endpoint by the grouped join on the lease index) than they may
// have. They are ranked per organization by their oldest due delivery
// (org_rank) and ordered by that rank: one endpoint per organization in
// turn. {name} marks a parameter (candidateEndpoints binds them).
const candidateEndpointsSQL = `
SELECT x.id, x.room FROM (
  SELECT e.id, e.first_due,
    (CASE WHEN e.consecutive_failures >= {threshold} THEN 1 ELSE {per} END) - COALESCE(f.n, 0) AS room,
    ROW_NUMBER() OVER (PARTITION BY e.organization_id ORDER BY e.first_due, e.id) AS org_rank
  FROM (
    SELECT w.id, w.organization_id, w.consecutive_failures,
      (SELECT d.next_attempt_at FROM webhook_deliveries d {index webhookdelivery_endpoint_id_status_next_attempt_at}
        WHERE d.endpoint_id = w.id AND d.status = 'pending'
        ORDER BY d.next_attempt_at LIMIT 1) AS first_due
    FROM webhook_endpoints w
    WHERE w.enabled AND (w.breaker_open_until IS NULL OR w.breaker_open_until <= {now})
  ) e
  LEFT JOIN (
    SELECT endpoint_id, COUNT(*) AS n FROM webhook_deliveries {index webhookdelivery_lease_expires_at}
    WHERE lease_expires_at > {now} AND status = 'pending' GROUP BY endpoint_id
  ) f ON f.endpoint_id = e.id
  WHERE e.first_due <= {now}
) x WHERE x.room > 0
ORDER BY x.org_rank, x.first_due, x.id
LIMIT {limit}`

// bind replaces each {name} in query with the dialect's placeholder and
// appends values[name] to the arguments. {index NAME} becomes SQLite's
// INDEXED BY NAME and nothing on PostgreSQL: SQLite, without statistics,
// would rather walk the index on (status, next_attempt_at) through every
// endpoint's queue; PostgreSQL's planner finds the right index unaided.
func (w *Worker) bind(query string, values map[string]any) (string, []any, error) {
	var out strings.Builder
	var args []any
	for {
		i := strings.IndexByte(query, '{')
		if i < 0 {
			out.WriteString(query)
			return out.String(), args, nil
		}
		j := strings.IndexByte(query[i:], '}') + i
		if name, ok := strings.CutPrefix(query[i+1:j], "index "); ok {
			out.WriteString(query[:i])
			if w.dia != dialect.Postgres {
				out.WriteString("INDEXED BY " + name)
			}
			query = query[j+1:]
			continue
		}
		v, ok := values[query[i+1:j]]
		if !ok {
			return "", nil, fmt.Errorf("webhook: no value for %s", query[i:j+1])
		}
		args = append(args, v)
		out.WriteString(query[:i])
		if w.dia == dialect.Postgres {
			out.WriteString("$" + strconv.Itoa(len(args)))
		} else {
			out.WriteString("?")
		}
		query = query[j+1:]
	}
}

// candidateEndpoints runs candidateEndpointsSQL: up to limit endpoints
// with their room, in the order they should be served.
func (w *Worker) candidateEndpoints(ctx context.Context, tx *ent.Tx, now time.Time, limit int) ([]candidate, error) {
	query, args, err := w.bind(candidateEndpointsSQL, map[string]any{"threshold": w.cfg.BreakerThreshold,
		"per": w.cfg.PerEndpoint, "now": now, "limit": limit})
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("candidate endpoints: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.room); err != nil {
			return nil, fmt.Errorf("candidate endpoints: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("candidate endpoints: %w", err)
	}
	return out, nil
}

// Payload is the JSON body of a delivery: the event as the GraphQL API
// shows it, with its webhook id and cursor.
type Payload struct {
	ID             string         `json:"id"` // the webhook-id: evt_<event id>
	Type           string         `json:"type"`
	Timestamp      time.Time      `json:"timestamp"` // when the change was made
	OrganizationID uuid.UUID      `json:"organizationID"`
	DirectoryID    *uuid.UUID     `json:"directoryID"`
	SubjectID      uuid.UUID      `json:"subjectID"`
	ActorType      string         `json:"actorType"`
	ActorID        *uuid.UUID     `json:"actorID"`
	Data           map[string]any `json:"data"`
	Previous       map[string]any `json:"previous,omitempty"`
	Cursor         string         `json:"cursor"` // events(after:) resumes after this event
}

// PayloadOf is the body of the delivery of e.
func PayloadOf(e *ent.Event) Payload {
	return Payload{ID: domain.WebhookEventID(e.ID), Type: e.Type, Timestamp: e.CreatedAt.UTC(),
		OrganizationID: e.OrganizationID, DirectoryID: e.DirectoryID, SubjectID: e.SubjectID,
		ActorType: e.ActorType, ActorID: e.ActorID, Data: e.Data, Previous: e.Previous,
		Cursor: events.Of(e).String()}
}

// outcome is what came of one attempt.
type outcome struct {
	at      time.Time
	status  *int
	latency time.Duration
	body    string // empty when the target was private: see send
	err     string
	ok      bool
}

// secrets is what signs a delivery now: the endpoint's secret, and the
// previous one while its overlap lasts.
func secrets(ep *ent.WebhookEndpoint, now time.Time) []string {
	out := []string{ep.Secret}
	if ep.PreviousSecret != nil && ep.PreviousSecretExpiresAt != nil && now.Before(*ep.PreviousSecretExpiresAt) {
		out = append(out, *ep.PreviousSecret)
	}
	return out
}

// send makes one attempt of a job.
func (w *Worker) send(ctx context.Context, j job) outcome {
	now := w.cfg.Now()
	o := outcome{at: now}
	if j.ev == nil {
		o.err = "the event is no longer kept"
		return o
	}
	body, err := json.Marshal(PayloadOf(j.ev))
	if err != nil {
		o.err = "encode payload: " + err.Error()
		return o
	}
	id, ts := domain.WebhookEventID(j.ev.ID), now.Unix()
	sig, err := Sign(id, ts, body, secrets(j.ep, now)...)
	if err != nil {
		o.err = err.Error()
		return o
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.ep.URL, bytes.NewReader(body))
	if err != nil {
		o.err = "build request: " + err.Error()
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "directory-webhooks/1")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, sig)
	// The address the request went to: a private one (reached only
	// because AllowPrivate) keeps its status but not its body, so the
	// delivery log cannot be used to read the operator's own network.
	var remote net.Addr
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(ci httptrace.GotConnInfo) { remote = ci.Conn.RemoteAddr() },
	}))
	start := time.Now()
	res, err := w.http.Do(req)
	if err != nil {
		o.latency = time.Since(start)
		o.err = err.Error()
		return o
	}
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	o.latency = time.Since(start)
	o.status = &res.StatusCode
	if public(remote) {
		o.body = clip(string(raw), responseKeep)
	}
	o.ok = res.StatusCode >= 200 && res.StatusCode < 300
	if !o.ok {
		o.err = "response status " + strconv.Itoa(res.StatusCode)
	}
	return o
}

// public reports whether a connection's remote address is one the table
// allows without AllowPrivate: only then is a response body kept.
func public(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	return ok && egress.Check(ip.Unmap(), false) == nil
}

// clip makes s storable: valid UTF-8 without NUL bytes, at most n bytes.
func clip(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// record stores an attempt and moves its delivery on: succeeded, due
// again after the schedule's wait, or failed when the schedule is spent;
// its lease ends. The endpoint's failure record moves with it: a success
// closes its circuit breaker and clears its failures; a failure counts
// one more consecutive failure, and at BreakerThreshold opens the breaker
// for the back-off. An endpoint failing for longer than DisableAfter is
// disabled, with an event.
func (w *Worker) record(ctx context.Context, j job, o outcome) error {
	disable, since := false, time.Time{}
	var opened *ent.WebhookEndpoint
	err := store.WithTx(ctx, w.client, func(tx *ent.Tx) error {
		n, err := tx.WebhookAttempt.Query().Where(webhookattempt.DeliveryID(j.d.ID)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count attempts: %w", err)
		}
		err = tx.WebhookAttempt.Create().SetOrganizationID(j.d.OrganizationID).SetDeliveryID(j.d.ID).
			SetNumber(n + 1).SetCreatedAt(o.at).SetSucceeded(o.ok).SetNillableResponseStatus(o.status).
			SetLatencyMs(o.latency.Milliseconds()).SetResponseBody(o.body).SetError(clip(o.err, errorKeep)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		up := tx.WebhookDelivery.Update().Where(webhookdelivery.ID(j.d.ID),
			webhookdelivery.StatusEQ(webhookdelivery.StatusPending), webhookdelivery.AttemptCount(j.d.AttemptCount)).
			SetNillableLastResponseStatus(o.status).SetLastError(clip(o.err, errorKeep)).ClearLeaseExpiresAt()
		if o.status == nil {
			up.ClearLastResponseStatus()
		}
		failed := false
		switch {
		case o.ok:
			up.SetStatus(webhookdelivery.StatusSucceeded).SetDeliveredAt(o.at)
		case j.ev == nil || j.d.AttemptCount > len(w.cfg.Schedule):
			up.SetStatus(webhookdelivery.StatusFailed)
			failed = true
		default:
			up.SetNextAttemptAt(o.at.Add(w.cfg.Jitter(w.cfg.Schedule[j.d.AttemptCount-1])))
		}
		if err := up.Exec(ctx); err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if failed {
			slog.WarnContext(ctx, "webhook: delivery failed", "delivery", j.d.ID, "endpoint", j.ep.ID,
				"organization", j.d.OrganizationID, "event", domain.WebhookEventID(j.d.EventID),
				"attempts", j.d.AttemptCount, "err", clip(o.err, errorKeep))
		}
		if o.ok {
			err := tx.WebhookEndpoint.Update().Where(webhookendpoint.ID(j.ep.ID), webhookendpoint.Or(
				webhookendpoint.FailingSinceNotNil(), webhookendpoint.ConsecutiveFailuresGT(0),
				webhookendpoint.BreakerOpenUntilNotNil())).
				ClearFailingSince().SetConsecutiveFailures(0).ClearBreakerOpenUntil().Exec(ctx)
			if err != nil {
				return fmt.Errorf("update endpoint: %w", err)
			}
			return nil
		}
		ep, err := tx.WebhookEndpoint.UpdateOneID(j.ep.ID).AddConsecutiveFailures(1).Save(ctx)
		if ent.IsNotFound(err) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("count endpoint failure: %w", err)
		}
		epUp := tx.WebhookEndpoint.UpdateOneID(j.ep.ID)
		if ep.ConsecutiveFailures >= w.cfg.BreakerThreshold {
			epUp.SetBreakerOpenUntil(o.at.Add(w.backoff(ep.ConsecutiveFailures)))
		}
		switch {
		case ep.FailingSince == nil:
			epUp.SetFailingSince(o.at)
		case o.at.Sub(*ep.FailingSince) >= w.cfg.DisableAfter:
			disable, since = true, *ep.FailingSince
		}
		if len(epUp.Mutation().Fields()) == 0 {
			return nil
		}
		if ep, err = epUp.Save(ctx); err != nil {
			return fmt.Errorf("update endpoint: %w", err)
		}
		if ep.BreakerOpenUntil != nil {
			opened = ep.Unwrap()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if opened != nil {
		slog.WarnContext(ctx, "webhook: endpoint circuit breaker open", "endpoint", opened.ID,
			"organization", opened.OrganizationID, "consecutive_failures", opened.ConsecutiveFailures,
			"until", opened.BreakerOpenUntil.UTC().Format(time.RFC3339), "err", clip(o.err, errorKeep))
	}
	if disable {
		reason := "every attempt has failed since " + since.UTC().Format(time.RFC3339)
		acted, err := w.svc.DisableWebhookEndpoint(ctx, j.ep.ID, reason)
		if err != nil {
			return err
		}
		if acted {
			slog.WarnContext(ctx, "webhook: endpoint disabled", "endpoint", j.ep.ID,
				"organization", j.ep.OrganizationID, "reason", reason)
		}
	}
	return nil
}

// backoff is how long the breaker stays open after the given number of
// consecutive failures: BreakerBackoff at the threshold, doubling with
// each failure beyond, at most BreakerMaxBackoff.
func (w *Worker) backoff(failures int) time.Duration {
	d := w.cfg.BreakerBackoff
	for range failures - w.cfg.BreakerThreshold {
		if d >= w.cfg.BreakerMaxBackoff {
			break
		}
		d *= 2
	}
	return min(d, w.cfg.BreakerMaxBackoff)
}

// prune deletes finished deliveries (with their attempts) older than the
// retention.
func (w *Worker) prune(ctx context.Context) error {
	_, err := w.client.WebhookDelivery.Delete().Where(
		webhookdelivery.StatusNEQ(webhookdelivery.StatusPending),
		webhookdelivery.UpdatedAtLT(w.cfg.Now().Add(-w.cfg.Retention))).Exec(ctx)
	if err != nil {
		return fmt.Errorf("prune deliveries: %w", err)
	}
	return nil
}

// platform is ctx as the platform: the worker serves every organization.
func platform(ctx context.Context) context.Context { return access.PlatformContext(ctx) }
