package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/egress"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/events"
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
	// Observe, when set, is told of each attempt's outcome ("succeeded",
	// "retrying", "failed") and, for a success, the lag from its event's
	// commit (the server's metrics).
	Observe func(outcome string, lag time.Duration)
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
	cfg    Config
	rules  domain.WebhookDeliveryPolicy // cfg's, as the domain's operations take them
	policy egress.Policy
	http   *http.Client

	mu     sync.Mutex
	leased map[uuid.UUID]struct{} // deliveries this worker is sending: their leases are extended
}

// New returns a worker over svc's database. dia, the ent dialect svc was
// made with, is no longer read: the domain's operations, which do every
// write of the delivery state machine, use svc's own.
func New(svc *domain.Service, dia string, cfg Config) *Worker {
	cfg = cfg.withDefaults()
	pol := egress.Policy{AllowPrivate: cfg.AllowPrivate, Resolver: cfg.Resolver, Own: cfg.OwnAddrs}
	rules := domain.WebhookDeliveryPolicy{Lease: cfg.Lease, PerEndpoint: cfg.PerEndpoint, Schedule: cfg.Schedule,
		Jitter: cfg.Jitter, BreakerThreshold: cfg.BreakerThreshold, BreakerBackoff: cfg.BreakerBackoff,
		BreakerMaxBackoff: cfg.BreakerMaxBackoff, DisableAfter: cfg.DisableAfter}
	return &Worker{svc: svc, cfg: cfg, rules: rules, policy: pol,
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
						slog.ErrorContext(ctx, "webhook: record attempt failed", "delivery", j.Delivery.ID, "err", err)
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
// lease runs out and another worker sends it). After a success the
// record leases the subject's next delivery to this endpoint when it is
// due, and deliver sends that one at once, in the same slot: a subject's
// deliveries go one at a time, and a queue of them (a group's members
// added in a sync) needs no claim each.
func (w *Worker) deliver(ctx context.Context, j job) error {
	for {
		next, err := w.deliverOne(ctx, j)
		if err != nil || next == nil {
			return err
		}
		j = *next
	}
}

// deliverOne sends j and records it; it returns the delivery leased next.
func (w *Worker) deliverOne(ctx context.Context, j job) (*job, error) {
	w.mu.Lock()
	w.leased[j.Delivery.ID] = struct{}{}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.leased, j.Delivery.ID)
		w.mu.Unlock()
	}()
	o := w.send(ctx, j)
	if ctx.Err() != nil {
		return nil, ctx.Err()
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
type job = domain.ClaimedDelivery

// claim takes up to limit due deliveries and leases them for Lease
// (domain.Service.ClaimWebhookDeliveries: at most PerEndpoint in flight
// per endpoint, rotated between organizations and endpoints).
func (w *Worker) claim(ctx context.Context, limit int) ([]job, error) {
	jobs, err := w.svc.ClaimWebhookDeliveries(ctx, w.rules, w.cfg.Now(), limit)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return jobs, nil
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
	if j.Event == nil {
		o.err = "the event is no longer kept"
		return o
	}
	body, err := json.Marshal(PayloadOf(j.Event))
	if err != nil {
		o.err = "encode payload: " + err.Error()
		return o
	}
	id, ts := domain.WebhookEventID(j.Event.ID), now.Unix()
	sig, err := Sign(id, ts, body, secrets(j.Endpoint, now)...)
	if err != nil {
		o.err = err.Error()
		return o
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.Endpoint.URL, bytes.NewReader(body))
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

// record stores an attempt and moves its delivery on, and the endpoint's
// failure record, circuit breaker and enabled with it
// (domain.Service.RecordWebhookAttempt), and logs what came of it: a
// delivery failed, a breaker opened, an endpoint disabled.
func (w *Worker) record(ctx context.Context, j job, o outcome) (*job, error) {
	errText := clip(o.err, errorKeep)
	res, err := w.svc.RecordWebhookAttempt(ctx, w.rules, domain.WebhookAttemptOutcome{Claim: j, At: o.at,
		Status: o.status, Latency: o.latency, Body: o.body, Error: errText, Succeeded: o.ok})
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if w.cfg.Observe != nil {
		outcome, lag := "retrying", time.Duration(0)
		switch {
		case o.ok:
			outcome = "succeeded"
			if j.Event != nil {
				lag = o.at.Sub(j.Event.CreatedAt)
			}
		case res.Failed:
			outcome = "failed"
		}
		w.cfg.Observe(outcome, lag)
	}
	if res.Failed {
		slog.WarnContext(ctx, "webhook: delivery failed", "delivery", j.Delivery.ID, "endpoint", j.Endpoint.ID,
			"organization", j.Delivery.OrganizationID, "event", domain.WebhookEventID(j.Delivery.EventID),
			"attempts", j.Delivery.AttemptCount, "err", errText)
	}
	if opened := res.BreakerOpened; opened != nil {
		slog.WarnContext(ctx, "webhook: endpoint circuit breaker open", "endpoint", opened.ID,
			"organization", opened.OrganizationID, "consecutive_failures", opened.ConsecutiveFailures,
			"until", opened.BreakerOpenUntil.UTC().Format(time.RFC3339), "err", errText)
	}
	if res.Disabled {
		slog.WarnContext(ctx, "webhook: endpoint disabled", "endpoint", j.Endpoint.ID,
			"organization", j.Endpoint.OrganizationID, "reason", res.DisableReason)
	}
	return res.Next, nil
}

// prune deletes finished deliveries (with their attempts) older than the
// retention (domain.Service.PruneWebhookDeliveries).
func (w *Worker) prune(ctx context.Context) error {
	if _, err := w.svc.PruneWebhookDeliveries(ctx, w.cfg.Now().Add(-w.cfg.Retention)); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// platform is ctx as the platform: the worker serves every organization.
func platform(ctx context.Context) context.Context { return access.PlatformContext(ctx) }
