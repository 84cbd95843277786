package domain

// The webhook delivery state machine's writes: claiming due deliveries,
// recording an attempt (the delivery's next state and the endpoint's
// failure record and circuit breaker), and pruning finished deliveries.
// Package webhook's documentation lists the states and transitions and
// which of these operations performs each; package webhook sends the
// requests and calls these, each one transaction.

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/webhookattempt"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/ent/webhookendpoint"
)

// WebhookDeliveryPolicy is what the delivery state machine's transitions
// follow: the delivery worker's settings (webhook.Config holds them and
// their defaults). Every field must be set.
type WebhookDeliveryPolicy struct {
	// Lease is how long a claimed delivery stays out of other workers'
	// reach.
	Lease time.Duration
	// PerEndpoint is how many deliveries to one endpoint may be in flight
	// at once, over every worker (1 while its breaker is half-open).
	PerEndpoint int
	// Schedule is the wait after each failed attempt; after the last, the
	// delivery has failed.
	Schedule []time.Duration
	// Jitter spreads a wait of Schedule.
	Jitter func(time.Duration) time.Duration
	// BreakerThreshold is how many consecutive failed attempts open an
	// endpoint's circuit breaker.
	BreakerThreshold int
	// BreakerBackoff is how long the breaker stays open when it opens;
	// each further failure while half-open doubles it, up to
	// BreakerMaxBackoff.
	BreakerBackoff    time.Duration
	BreakerMaxBackoff time.Duration
	// DisableAfter disables an endpoint whose attempts have failed, with
	// no success between, for this long.
	DisableAfter time.Duration
}

// ClaimedDelivery is a delivery a worker has claimed, with what sending
// it needs.
type ClaimedDelivery struct {
	// Delivery is the delivery as claimed: its AttemptCount counts the
	// attempt being made.
	Delivery *ent.WebhookDelivery
	// Endpoint is where it goes.
	Endpoint *ent.WebhookEndpoint
	// Event is what it carries; nil when the event is no longer kept.
	Event *ent.Event
}

// WebhookAttemptOutcome is what came of one attempt of a claimed
// delivery, as RecordWebhookAttempt stores it.
type WebhookAttemptOutcome struct {
	// Claim is the delivery the attempt was of, as it was claimed.
	Claim ClaimedDelivery
	// At is when the attempt was made.
	At time.Time
	// Status is the response's status; nil when there was no response.
	Status *int
	// Latency is how long the request took.
	Latency time.Duration
	// Body is what is kept of the response's body.
	Body string
	// Error is why the attempt failed; empty when it succeeded. Stored as
	// given: the caller bounds its length.
	Error string
	// Succeeded: a 2xx response.
	Succeeded bool
}

// RecordedWebhookAttempt is what recording an attempt did beyond storing
// it, for the worker's log.
type RecordedWebhookAttempt struct {
	// Failed: the delivery has failed (its schedule spent, or its event
	// no longer kept).
	Failed bool
	// BreakerOpened is the endpoint when this failure set its breaker
	// open; nil otherwise.
	BreakerOpened *ent.WebhookEndpoint
	// Disabled: this failure disabled the endpoint, for DisableReason.
	Disabled      bool
	DisableReason string
	// Next is, after a success, the next delivery of the same subject to
	// the same endpoint when it is due, leased to the caller in the same
	// transaction: send it at once. A subject's deliveries go one at a
	// time, in order; chaining them spares each a claim of its own.
	Next *ClaimedDelivery
}

// ClaimWebhookDeliveries takes up to limit due deliveries and leases them
// for p.Lease, in one transaction: each gets attempt_count+1,
// lease_expires_at now+p.Lease and last_attempt_at now, so no other
// worker takes them until the lease ends. A delivery is due when it is
// pending, its next attempt time has come, no lease on it runs, no
// earlier delivery of its subject to its endpoint is pending, and its
// endpoint is enabled with its circuit breaker closed (or half-open).
// Each endpoint gets at most p.PerEndpoint deliveries in flight, counting
// those other workers hold (1 while its breaker is half-open), and the
// picks rotate: every organization's first pick before any
// organization's second, and within an organization every endpoint's
// first before any endpoint's second.
//
// It works in two steps, each cheap however long one endpoint's queue:
// endpoints (candidateWebhookEndpoints), then each chosen endpoint's
// first due deliveries through the index on (endpoint_id, status,
// next_attempt_at). On PostgreSQL the endpoint's row and then the
// deliveries are locked with SKIP LOCKED, so workers claiming at once
// take different endpoints and rows, and the in-flight count read under
// the endpoint's lock is exact. Run it as the platform.
func (s *Service) ClaimWebhookDeliveries(ctx context.Context, p WebhookDeliveryPolicy, now time.Time, limit int) ([]ClaimedDelivery, error) {
	var jobs []ClaimedDelivery
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		eps, err := s.candidateWebhookEndpoints(ctx, tx, p, now, limit)
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
			if picked[i], err = s.pickDeliveries(ctx, tx, p, e.id, allot[i], now); err != nil {
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
			AddAttemptCount(1).SetLeaseExpiresAt(now.Add(p.Lease)).SetLastAttemptAt(now).Exec(ctx)
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
			jobs = append(jobs, ClaimedDelivery{Delivery: d, Endpoint: epOf[d.EndpointID], Event: evOf[d.EventID]})
		}
		return nil
	})
	if err != nil {
		return nil, wrap("claim webhook deliveries", err)
	}
	return jobs, nil
}

// pickDeliveries takes up to n of an endpoint's due deliveries, oldest
// first, within its room re-read under its lock (PostgreSQL: FOR UPDATE
// SKIP LOCKED on the endpoint, then on the deliveries; an endpoint
// another worker is claiming from is skipped).
func (s *Service) pickDeliveries(ctx context.Context, tx *opTx, p WebhookDeliveryPolicy, ep uuid.UUID, n int, now time.Time) ([]*ent.WebhookDelivery, error) {
	if n <= 0 {
		return nil, nil
	}
	if s.rowLocks {
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
		n = min(n, p.capacity(e.ConsecutiveFailures)-busy)
		if n <= 0 || !e.Enabled || (e.BreakerOpenUntil != nil && e.BreakerOpenUntil.After(now)) {
			return nil, nil
		}
	}
	ids, err := s.firstDueDeliveries(ctx, tx, ep, n, now, pickWindow)
	if err == nil && len(ids) < n {
		// Fewer than asked among the oldest: the rest of the window may
		// wait behind earlier deliveries of their subjects. Look at
		// every due delivery (cheap when few are due, which is when this
		// happens, but for a subject with a long retry ahead).
		ids, err = s.firstDueDeliveries(ctx, tx, ep, n, now, 0)
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
	if s.rowLocks {
		q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
	}
	ds, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("due deliveries of endpoint %s: %w", ep, err)
	}
	return ds, nil
}

// pickWindow is how many of an endpoint's oldest due deliveries
// pickDeliveries looks at first for ones no earlier delivery of their
// subject holds back: the cost of a claim stays bounded however long the
// queue.
const pickWindow = 64

// firstDueSQL is an endpoint's first due deliveries, oldest first, that
// no pending delivery of their subject precedes in event order, among its
// {window} oldest due ones. {name} marks a parameter (bindSQL).
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

// firstDueDeliveries runs firstDueSQL; window 0 looks at every due
// delivery.
func (s *Service) firstDueDeliveries(ctx context.Context, tx *opTx, ep uuid.UUID, n int, now time.Time, window int) ([]uuid.UUID, error) {
	if window <= 0 {
		window = math.MaxInt32
	}
	query, args, err := s.bindSQL(firstDueSQL, map[string]any{"ep": ep, "now": now, "window": window, "n": n})
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
func (p WebhookDeliveryPolicy) capacity(failures int) int {
	if failures >= p.BreakerThreshold {
		return 1
	}
	return p.PerEndpoint
}

// backoff is how long the breaker stays open after the given number of
// consecutive failures: BreakerBackoff at the threshold, doubling with
// each failure beyond, at most BreakerMaxBackoff.
func (p WebhookDeliveryPolicy) backoff(failures int) time.Duration {
	d := p.BreakerBackoff
	for range failures - p.BreakerThreshold {
		if d >= p.BreakerMaxBackoff {
			break
		}
		d *= 2
	}
	return min(d, p.BreakerMaxBackoff)
}

// candidateEndpoint is an endpoint with due deliveries and room for more
// in flight.
type candidateEndpoint struct {
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
// turn. {name} marks a parameter (candidateWebhookEndpoints binds them).
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

// bindSQL replaces each {name} in query with the dialect's placeholder
// and appends values[name] to the arguments. {index NAME} becomes
// SQLite's INDEXED BY NAME and nothing on PostgreSQL: SQLite, without
// statistics, would rather walk the index on (status, next_attempt_at)
// through every endpoint's queue; PostgreSQL's planner finds the right
// index unaided.
func (s *Service) bindSQL(query string, values map[string]any) (string, []any, error) {
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
			if s.dialect != dialect.Postgres {
				out.WriteString("INDEXED BY " + name)
			}
			query = query[j+1:]
			continue
		}
		v, ok := values[query[i+1:j]]
		if !ok {
			return "", nil, fmt.Errorf("no value for %s", query[i:j+1])
		}
		args = append(args, v)
		out.WriteString(query[:i])
		if s.dialect == dialect.Postgres {
			out.WriteString("$" + strconv.Itoa(len(args)))
		} else {
			out.WriteString("?")
		}
		query = query[j+1:]
	}
}

// candidateWebhookEndpoints runs candidateEndpointsSQL: up to limit
// endpoints with their room, in the order they should be served.
func (s *Service) candidateWebhookEndpoints(ctx context.Context, tx *opTx, p WebhookDeliveryPolicy, now time.Time, limit int) ([]candidateEndpoint, error) {
	query, args, err := s.bindSQL(candidateEndpointsSQL, map[string]any{"threshold": p.BreakerThreshold,
		"per": p.PerEndpoint, "now": now, "limit": limit})
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("candidate endpoints: %w", err)
	}
	defer rows.Close()
	var out []candidateEndpoint
	for rows.Next() {
		var c candidateEndpoint
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

// RecordWebhookAttempt stores an attempt and moves its delivery on, in
// one transaction: succeeded, waiting for the schedule's wait
// (p.Schedule[attempt_count-1], jittered), or failed when the schedule
// is spent or the event is no longer kept; its lease ends. The delivery
// moves only if it is still the claim the attempt was of (pending with
// the attempt_count it was claimed with), so an attempt that outlived its
// lease cannot overwrite a newer one's; the attempt row and the
// endpoint's failure record are written either way.
//
// The endpoint's failure record moves with it: a success closes its
// circuit breaker and clears its failures; a failure counts one more
// consecutive failure, at p.BreakerThreshold and beyond opens the breaker
// for the back-off, and marks failing_since at the first failure. An
// endpoint failing for p.DisableAfter or longer is disabled, with a
// webhook.endpoint_disabled event (as DisableWebhookEndpoint). Run it as
// the platform.
func (s *Service) RecordWebhookAttempt(ctx context.Context, p WebhookDeliveryPolicy, o WebhookAttemptOutcome) (RecordedWebhookAttempt, error) {
	d, epID := o.Claim.Delivery, o.Claim.Endpoint.ID
	var res RecordedWebhookAttempt
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		res = RecordedWebhookAttempt{}
		n, err := tx.WebhookAttempt.Query().Where(webhookattempt.DeliveryID(d.ID)).Count(ctx)
		if err != nil {
			return fmt.Errorf("count attempts: %w", err)
		}
		err = tx.WebhookAttempt.Create().SetOrganizationID(d.OrganizationID).SetDeliveryID(d.ID).
			SetNumber(n + 1).SetCreatedAt(o.At).SetSucceeded(o.Succeeded).SetNillableResponseStatus(o.Status).
			SetLatencyMs(o.Latency.Milliseconds()).SetResponseBody(o.Body).SetError(o.Error).Exec(ctx)
		if err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		up := tx.WebhookDelivery.Update().Where(webhookdelivery.ID(d.ID),
			webhookdelivery.StatusEQ(webhookdelivery.StatusPending), webhookdelivery.AttemptCount(d.AttemptCount)).
			SetNillableLastResponseStatus(o.Status).SetLastError(o.Error).ClearLeaseExpiresAt()
		if o.Status == nil {
			up.ClearLastResponseStatus()
		}
		switch {
		case o.Succeeded:
			up.SetStatus(webhookdelivery.StatusSucceeded).SetDeliveredAt(o.At)
		case o.Claim.Event == nil || d.AttemptCount > len(p.Schedule):
			up.SetStatus(webhookdelivery.StatusFailed)
			res.Failed = true
		default:
			up.SetNextAttemptAt(o.At.Add(p.Jitter(p.Schedule[d.AttemptCount-1])))
		}
		moved, err := up.Save(ctx)
		if err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if o.Succeeded {
			err := tx.WebhookEndpoint.Update().Where(webhookendpoint.ID(epID), webhookendpoint.Or(
				webhookendpoint.FailingSinceNotNil(), webhookendpoint.ConsecutiveFailuresGT(0),
				webhookendpoint.BreakerOpenUntilNotNil())).
				ClearFailingSince().SetConsecutiveFailures(0).ClearBreakerOpenUntil().Exec(ctx)
			if err != nil {
				return fmt.Errorf("update endpoint: %w", err)
			}
			if moved == 1 {
				res.Next, err = s.leaseNextOfSubject(ctx, tx, p, o.Claim, o.At)
			}
			return err
		}
		ep, err := tx.WebhookEndpoint.UpdateOneID(epID).AddConsecutiveFailures(1).Save(ctx)
		if ent.IsNotFound(err) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("count endpoint failure: %w", err)
		}
		disable, since := false, time.Time{}
		epUp := tx.WebhookEndpoint.UpdateOneID(epID)
		if ep.ConsecutiveFailures >= p.BreakerThreshold {
			epUp.SetBreakerOpenUntil(o.At.Add(p.backoff(ep.ConsecutiveFailures)))
		}
		switch {
		case ep.FailingSince == nil:
			epUp.SetFailingSince(o.At)
		case o.At.Sub(*ep.FailingSince) >= p.DisableAfter:
			disable, since = true, *ep.FailingSince
		}
		if len(epUp.Mutation().Fields()) > 0 {
			if ep, err = epUp.Save(ctx); err != nil {
				return fmt.Errorf("update endpoint: %w", err)
			}
			if ep.BreakerOpenUntil != nil {
				res.BreakerOpened = ep.Unwrap()
			}
		}
		if disable {
			reason := "every attempt has failed since " + since.UTC().Format(time.RFC3339)
			acted, err := disableEndpoint(ctx, tx, epID, reason)
			if err != nil {
				return err
			}
			res.Disabled, res.DisableReason = acted, reason
		}
		return nil
	})
	if err != nil {
		return RecordedWebhookAttempt{}, wrap("record webhook attempt", err)
	}
	return res, nil
}

// leaseNextOfSubject leases, to the worker whose delivery c just
// succeeded, the next delivery of c's subject to c's endpoint, in event
// order, when it is due and not leased and the endpoint is still enabled;
// nil otherwise. It runs in the record's transaction. The row is locked
// (waiting, never skipping: skipping a locked row could take a later one
// out of order); no claim takes it meanwhile, since c's delivery was
// pending before it.
func (s *Service) leaseNextOfSubject(ctx context.Context, tx *opTx, p WebhookDeliveryPolicy, c ClaimedDelivery, at time.Time) (*ClaimedDelivery, error) {
	q := tx.WebhookDelivery.Query().Where(
		webhookdelivery.EndpointID(c.Endpoint.ID), webhookdelivery.SubjectID(c.Delivery.SubjectID),
		webhookdelivery.StatusEQ(webhookdelivery.StatusPending),
	).Order(ent.Asc(webhookdelivery.FieldEventTxid), ent.Asc(webhookdelivery.FieldEventID))
	if s.rowLocks {
		q.ForUpdate()
	}
	next, err := q.First(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("next delivery of the subject: %w", err)
	case next.NextAttemptAt.After(at) || next.LeaseExpiresAt != nil && next.LeaseExpiresAt.After(at):
		return nil, nil // waiting for a retry, or someone's already
	}
	ep, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.ID(c.Endpoint.ID), webhookendpoint.Enabled(true)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("endpoint of the next delivery: %w", err)
	}
	next, err = tx.WebhookDelivery.UpdateOne(next).AddAttemptCount(1).
		SetLeaseExpiresAt(at.Add(p.Lease)).SetLastAttemptAt(at).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease the next delivery of the subject: %w", err)
	}
	ev, err := tx.Event.Get(ctx, next.EventID)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("event of the next delivery: %w", err)
	}
	out := &ClaimedDelivery{Delivery: next.Unwrap(), Endpoint: ep.Unwrap()}
	if ev != nil {
		out.Event = ev.Unwrap()
	}
	return out, nil
}

// PruneWebhookDeliveries deletes the finished deliveries (succeeded or
// failed, with their attempts) last changed before before, in one
// statement, and returns how many. Run it as the platform.
func (s *Service) PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) (err error) {
		n, err = tx.WebhookDelivery.Delete().Where(
			webhookdelivery.StatusNEQ(webhookdelivery.StatusPending),
			webhookdelivery.UpdatedAtLT(before)).Exec(ctx)
		return err
	})
	return n, wrap("prune webhook deliveries", err)
}
