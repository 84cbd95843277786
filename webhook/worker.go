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
	DefaultPollInterval = time.Second
	DefaultTimeout      = 10 * time.Second
	DefaultDisableAfter = 72 * time.Hour
	DefaultBatch        = 100
	DefaultConcurrency  = 8
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
	// AllowPrivate lets deliveries reach loopback and private addresses
	// (tests, or receivers on the operator's own network). Link-local
	// (cloud metadata), multicast and unspecified addresses stay refused.
	AllowPrivate bool
	// Batch is how many deliveries one round claims at most.
	Batch int
	// Concurrency is how many requests one worker sends at once.
	Concurrency int
	// Retention is how long finished deliveries (and their attempts) are
	// kept; 0: as long as events (events.DefaultRetention).
	Retention time.Duration
	// Now is the clock (tests inject one); nil: time.Now.
	Now func() time.Time
	// Jitter spreads a wait; nil: uniformly within ±20%.
	Jitter func(time.Duration) time.Duration
	// Resolver resolves endpoint host names; nil: the system's.
	Resolver *net.Resolver
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
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
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
	locks  bool // FOR UPDATE SKIP LOCKED (PostgreSQL)
	cfg    Config
	http   *http.Client
}

// New returns a worker over svc's database, which speaks the ent dialect
// dia.
func New(svc *domain.Service, dia string, cfg Config) *Worker {
	cfg = cfg.withDefaults()
	return &Worker{svc: svc, client: svc.Client(), locks: dia == dialect.Postgres, cfg: cfg,
		http: HTTPClient(cfg.Timeout, cfg.AllowPrivate, cfg.Resolver)}
}

// Run works until ctx ends: a round, and, when it sent nothing, a pause
// that a commit of events in this process ends early (events written
// through another server wait for the poll). Failures are logged and
// retried at the next round.
func (w *Worker) Run(ctx context.Context) {
	ctx = platform(ctx)
	wake := make(chan struct{}, 1)
	stop := domain.WatchCommits(func([]uuid.UUID) {
		select {
		case wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	})
	defer stop()
	lastPrune := time.Time{}
	for {
		n, err := w.Round(ctx)
		if err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "webhook: round failed", "err", err)
		}
		if now := w.cfg.Now(); now.Sub(lastPrune) >= pruneEvery {
			lastPrune = now
			if err := w.prune(ctx); err != nil && ctx.Err() == nil {
				slog.ErrorContext(ctx, "webhook: prune failed", "err", err)
			}
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(w.cfg.PollInterval):
		}
	}
}

// Round dispatches new events to deliveries, then claims the due
// deliveries, sends them and records the outcomes. It returns how many it
// sent.
func (w *Worker) Round(ctx context.Context) (int, error) {
	ctx = platform(ctx)
	if _, err := w.svc.DispatchWebhookEvents(ctx, w.cfg.Now()); err != nil {
		return 0, err
	}
	jobs, err := w.claim(ctx)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, w.cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := w.record(ctx, j, w.send(ctx, j)); err != nil {
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

// job is a claimed delivery with what sending it needs.
type job struct {
	d  *ent.WebhookDelivery
	ep *ent.WebhookEndpoint
	ev *ent.Event // nil when the event is no longer kept
}

// lease is how long a claimed delivery stays out of other workers' reach:
// if its worker dies, another sends it after this.
func (w *Worker) lease() time.Duration { return w.cfg.Timeout + time.Minute }

// claim takes the due deliveries whose subject has no earlier delivery
// pending to the same endpoint, and leases them: their next attempt moves
// past the lease, in the claiming transaction, so no other worker takes
// them. On PostgreSQL the read locks its rows with SKIP LOCKED, so
// workers claiming at once take different rows.
func (w *Worker) claim(ctx context.Context) ([]job, error) {
	now := w.cfg.Now()
	var jobs []job
	err := store.WithTx(ctx, w.client, func(tx *ent.Tx) error {
		q := tx.WebhookDelivery.Query().Where(
			webhookdelivery.StatusEQ(webhookdelivery.StatusPending),
			webhookdelivery.NextAttemptAtLTE(now),
			webhookdelivery.HasEndpointWith(webhookendpoint.Enabled(true)),
			firstOfSubject(),
		).Order(ent.Asc(webhookdelivery.FieldNextAttemptAt), ent.Asc(webhookdelivery.FieldEventTxid),
			ent.Asc(webhookdelivery.FieldEventID)).Limit(w.cfg.Batch)
		if w.locks {
			q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
		}
		ds, err := q.All(ctx)
		if err != nil || len(ds) == 0 {
			return err
		}
		ids := make([]uuid.UUID, len(ds))
		epIDs := make([]uuid.UUID, 0, len(ds))
		evIDs := make([]int64, len(ds))
		for i, d := range ds {
			ids[i], evIDs[i] = d.ID, d.EventID
			epIDs = append(epIDs, d.EndpointID)
		}
		err = tx.WebhookDelivery.Update().Where(webhookdelivery.IDIn(ids...)).
			AddAttemptCount(1).SetNextAttemptAt(now.Add(w.lease())).SetLastAttemptAt(now).Exec(ctx)
		if err != nil {
			return fmt.Errorf("lease deliveries: %w", err)
		}
		eps, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.IDIn(epIDs...)).All(ctx)
		if err != nil {
			return fmt.Errorf("endpoints of deliveries: %w", err)
		}
		evs, err := tx.Event.Query().Where(event.IDIn(evIDs...)).All(ctx)
		if err != nil {
			return fmt.Errorf("events of deliveries: %w", err)
		}
		epOf := map[uuid.UUID]*ent.WebhookEndpoint{}
		for _, ep := range eps {
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

// firstOfSubject keeps the deliveries with no pending delivery of the
// same subject to the same endpoint before them in event order.
func firstOfSubject() func(*sql.Selector) {
	return func(s *sql.Selector) {
		p := sql.Table(webhookdelivery.Table).As("prior")
		earlier := sql.Select(p.C(webhookdelivery.FieldID)).From(p).Where(sql.And(
			sql.ColumnsEQ(p.C(webhookdelivery.FieldEndpointID), s.C(webhookdelivery.FieldEndpointID)),
			sql.ColumnsEQ(p.C(webhookdelivery.FieldSubjectID), s.C(webhookdelivery.FieldSubjectID)),
			sql.EQ(p.C(webhookdelivery.FieldStatus), webhookdelivery.StatusPending),
			sql.Or(
				sql.ColumnsLT(p.C(webhookdelivery.FieldEventTxid), s.C(webhookdelivery.FieldEventTxid)),
				sql.And(
					sql.ColumnsEQ(p.C(webhookdelivery.FieldEventTxid), s.C(webhookdelivery.FieldEventTxid)),
					sql.ColumnsLT(p.C(webhookdelivery.FieldEventID), s.C(webhookdelivery.FieldEventID)),
				),
			),
		))
		s.Where(sql.Not(sql.Exists(earlier)))
	}
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
	body    string
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
	o.body = clip(string(raw), responseKeep)
	o.ok = res.StatusCode >= 200 && res.StatusCode < 300
	if !o.ok {
		o.err = "response status " + strconv.Itoa(res.StatusCode)
	}
	return o
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
// and the endpoint's failure record with it. An endpoint failing for
// longer than DisableAfter is disabled, with an event.
func (w *Worker) record(ctx context.Context, j job, o outcome) error {
	disable := false
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
			SetNillableLastResponseStatus(o.status).SetLastError(clip(o.err, errorKeep))
		if o.status == nil {
			up.ClearLastResponseStatus()
		}
		epUp := tx.WebhookEndpoint.Update().Where(webhookendpoint.ID(j.ep.ID))
		switch {
		case o.ok:
			up.SetStatus(webhookdelivery.StatusSucceeded).SetDeliveredAt(o.at)
			epUp.Where(webhookendpoint.FailingSinceNotNil()).ClearFailingSince()
		case j.ev == nil || j.d.AttemptCount > len(w.cfg.Schedule):
			up.SetStatus(webhookdelivery.StatusFailed)
		default:
			up.SetNextAttemptAt(o.at.Add(w.cfg.Jitter(w.cfg.Schedule[j.d.AttemptCount-1])))
		}
		if !o.ok {
			switch {
			case j.ep.FailingSince == nil:
				epUp.Where(webhookendpoint.FailingSinceIsNil()).SetFailingSince(o.at)
			case o.at.Sub(*j.ep.FailingSince) >= w.cfg.DisableAfter:
				disable = true
			}
		}
		if err := up.Exec(ctx); err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if len(epUp.Mutation().Fields()) > 0 || len(epUp.Mutation().ClearedFields()) > 0 {
			if err := epUp.Exec(ctx); err != nil {
				return fmt.Errorf("update endpoint: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if disable {
		reason := fmt.Sprintf("every attempt has failed since %s", j.ep.FailingSince.UTC().Format(time.RFC3339))
		acted, err := w.svc.DisableWebhookEndpoint(ctx, j.ep.ID, reason)
		if err != nil {
			return err
		}
		if acted {
			slog.WarnContext(ctx, "webhook: endpoint disabled", "endpoint", j.ep.ID, "reason", reason)
		}
	}
	return nil
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
