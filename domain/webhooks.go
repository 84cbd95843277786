package domain

// Webhook endpoints: where an organization's events are delivered, signed
// the Standard Webhooks way. The operations here manage endpoints and
// their secrets, queue resends, move the dispatch cursor and disable a
// failing endpoint; package webhook sends the deliveries.
//
// The delivery state machine's other writes (claim, record an attempt
// with its back-off, breaker and disable, prune) are in deliveries.go;
// package webhook's documentation lists the states and transitions and
// which operation performs each.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/egress"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/predicate"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/ent/webhookendpoint"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
)

// EventWebhookEndpointDisabled is written when the delivery worker
// disables an endpoint that kept failing. Its subject is the endpoint.
const EventWebhookEndpointDisabled = "webhook.endpoint_disabled"

// WebhookSecretPrefix starts every webhook signing secret; the rest is the
// standard base64 of the key's bytes (Standard Webhooks).
const WebhookSecretPrefix = "whsec_"

// webhookSecretBytes is the size of a signing key: 256 bits.
const webhookSecretBytes = 32

// DefaultSecretOverlap is how long a rotated-out secret keeps signing
// when the rotation names no overlap.
const DefaultSecretOverlap = 24 * time.Hour

// MaxSecretOverlap bounds the overlap of a rotation.
const MaxSecretOverlap = 30 * 24 * time.Hour

// dispatchPage is how many events one dispatch step reads per endpoint.
const dispatchPage = 1000

// NewWebhookSecret returns a fresh signing secret: whsec_ and the base64
// of 32 random bytes.
func NewWebhookSecret() string {
	var b [webhookSecretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("domain: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// WebhookEventTypes is what an endpoint may subscribe to: the catalogue
// and the webhook events.
func WebhookEventTypes() []string {
	return events.Types()
}

// NewWebhookEndpoint is what creating a webhook endpoint takes.
type NewWebhookEndpoint struct {
	OrganizationID uuid.UUID
	URL            string
	Description    string
	EventTypes     []string // empty: every event
	Disabled       bool
}

// WebhookEndpointChange is an update of an endpoint; nil fields stay.
type WebhookEndpointChange struct {
	URL         *string
	Description *string
	EventTypes  *[]string // an empty list: every event
	Enabled     *bool
}

// IssuedWebhookSecret is an endpoint with the one view of its new secret.
type IssuedWebhookSecret struct {
	Endpoint *ent.WebhookEndpoint
	Secret   string // shown once; stored to sign, never shown again
}

// CreateWebhookEndpoint creates an endpoint with a fresh secret. It
// receives the events written after it is created.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, in NewWebhookEndpoint) (*IssuedWebhookSecret, error) {
	u, err := s.checkWebhookURL(ctx, in.URL)
	if err != nil {
		return nil, err
	}
	types, err := checkEventTypes(in.EventTypes)
	if err != nil {
		return nil, err
	}
	sec := NewWebhookSecret()
	var ep *ent.WebhookEndpoint
	err = s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		if err := requireOrganization(ctx, tx.Client, in.OrganizationID, "organizationID"); err != nil {
			return err
		}
		cur, err := lastEvent(ctx, tx, in.OrganizationID)
		if err != nil {
			return err
		}
		ep, err = tx.WebhookEndpoint.Create().SetOrganizationID(in.OrganizationID).SetURL(u).
			SetDescription(strings.TrimSpace(in.Description)).SetEventTypes(types).
			SetEnabled(!in.Disabled).SetSecret(sec).
			SetLastEventTxid(cur.TxID).SetLastEventID(cur.ID).Save(ctx)
		return err
	})
	if err != nil {
		return nil, wrap("create webhook endpoint", err)
	}
	return &IssuedWebhookSecret{Endpoint: releaseEndpoint(ctx, ep), Secret: sec}, nil
}

// lastEvent is the cursor of the organization's newest visible event:
// where a new endpoint's deliveries start.
func lastEvent(ctx context.Context, tx *opTx, org uuid.UUID) (events.Cursor, error) {
	e, err := tx.Event.Query().Where(event.OrganizationID(org)).
		Order(ent.Desc(event.FieldTxid), ent.Desc(event.FieldID)).First(ctx)
	switch {
	case ent.IsNotFound(err):
		return events.Cursor{}, nil
	case err != nil:
		return events.Cursor{}, fmt.Errorf("last event: %w", err)
	}
	return events.Of(e), nil
}

// UpdateWebhookEndpoint changes an endpoint. Enabling it again clears its
// failure record, and it resumes from where it stopped.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, id uuid.UUID, ch WebhookEndpointChange) (*ent.WebhookEndpoint, error) {
	var u string
	if ch.URL != nil { // before the transaction: it may resolve a name
		var err error
		if u, err = s.checkWebhookURL(ctx, *ch.URL); err != nil {
			return nil, err
		}
	}
	var ep *ent.WebhookEndpoint
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		was, err := tx.WebhookEndpoint.Get(ctx, id)
		if err != nil {
			return notFoundOn(err, "id", "no such webhook endpoint")
		}
		up := tx.WebhookEndpoint.UpdateOne(was)
		if ch.URL != nil {
			up.SetURL(u)
		}
		if ch.Description != nil {
			up.SetDescription(strings.TrimSpace(*ch.Description))
		}
		if ch.EventTypes != nil {
			types, err := checkEventTypes(*ch.EventTypes)
			if err != nil {
				return err
			}
			up.SetEventTypes(types)
		}
		if ch.Enabled != nil {
			up.SetEnabled(*ch.Enabled)
			if *ch.Enabled && !was.Enabled {
				up.ClearFailingSince().SetConsecutiveFailures(0).ClearBreakerOpenUntil()
			}
		}
		ep, err = up.Save(ctx)
		return err
	})
	if err != nil {
		return nil, wrap("update webhook endpoint", err)
	}
	return releaseEndpoint(ctx, ep), nil
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, id uuid.UUID) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		return notFoundOn(tx.WebhookEndpoint.DeleteOneID(id).Exec(ctx), "id", "no such webhook endpoint")
	})
	return wrap("delete webhook endpoint", err)
}

// RotateWebhookSecret gives an endpoint a new secret. The old one keeps
// signing beside it for overlap (0: not at all; negative: the default),
// so a receiver can switch over without refusing a delivery.
func (s *Service) RotateWebhookSecret(ctx context.Context, id uuid.UUID, overlap time.Duration) (*IssuedWebhookSecret, error) {
	if overlap < 0 {
		overlap = DefaultSecretOverlap
	}
	if overlap > MaxSecretOverlap {
		return nil, fault.FieldErrorf("overlap", "must be at most %s", MaxSecretOverlap)
	}
	sec := NewWebhookSecret()
	var ep *ent.WebhookEndpoint
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		was, err := tx.WebhookEndpoint.Get(ctx, id)
		if err != nil {
			return notFoundOn(err, "id", "no such webhook endpoint")
		}
		up := tx.WebhookEndpoint.UpdateOne(was).SetSecret(sec)
		if overlap > 0 {
			up.SetPreviousSecret(was.Secret).SetPreviousSecretExpiresAt(time.Now().Add(overlap))
		} else {
			up.ClearPreviousSecret().ClearPreviousSecretExpiresAt()
		}
		ep, err = up.Save(ctx)
		return err
	})
	if err != nil {
		return nil, wrap("rotate webhook secret", err)
	}
	return &IssuedWebhookSecret{Endpoint: releaseEndpoint(ctx, ep), Secret: sec}, nil
}

// WebhookEndpoints lists an organization's endpoints, oldest first.
func (s *Service) WebhookEndpoints(ctx context.Context, org uuid.UUID) ([]*ent.WebhookEndpoint, error) {
	eps, err := s.db(ctx).WebhookEndpoint.Query().Where(webhookendpoint.OrganizationID(org)).
		Order(ent.Asc(webhookendpoint.FieldCreatedAt), ent.Asc(webhookendpoint.FieldID)).All(ctx)
	return eps, wrap("list webhook endpoints", err)
}

// ParseWebhookEventID reads an event id as deliveries carry it
// (webhook-id "evt_123") or bare ("123").
func ParseWebhookEventID(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "evt_"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fault.FieldErrorf("eventID", "is not an event id (evt_123)")
	}
	return n, nil
}

// WebhookEventID is the webhook-id of an event: evt_ and its id.
func WebhookEventID(id int64) string { return "evt_" + strconv.FormatInt(id, 10) }

// ResendWebhookEvent queues one event of the endpoint's organization for
// delivery again (whatever types the endpoint subscribes to), now; a
// delivery of it already pending is left as it is.
func (s *Service) ResendWebhookEvent(ctx context.Context, endpointID uuid.UUID, eventID int64) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		ep, err := tx.WebhookEndpoint.Get(ctx, endpointID)
		if err != nil {
			return notFoundOn(err, "endpointID", "no such webhook endpoint")
		}
		e, err := tx.Event.Query().Where(event.ID(eventID), event.OrganizationID(ep.OrganizationID)).Only(ctx)
		if err != nil {
			return notFoundOn(err, "eventID", "no such event (or it is older than the retention)")
		}
		return requeue(ctx, tx, ep, []*ent.Event{e})
	})
	return wrap("resend webhook event", err)
}

// ResendWebhookEvents queues again every event since a time that the
// endpoint subscribes to, and returns how many.
func (s *Service) ResendWebhookEvents(ctx context.Context, endpointID uuid.UUID, since time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		ep, err := tx.WebhookEndpoint.Get(ctx, endpointID)
		if err != nil {
			return notFoundOn(err, "endpointID", "no such webhook endpoint")
		}
		cur := events.Cursor{}
		for {
			evs, more, err := events.After(ctx, tx.Client, ep.OrganizationID, cur,
				events.Filter{Types: ep.EventTypes, Since: &since}, dispatchPage)
			if err != nil {
				return err
			}
			if err := requeue(ctx, tx, ep, evs); err != nil {
				return err
			}
			n += len(evs)
			if !more {
				return nil
			}
			cur = events.Of(evs[len(evs)-1])
		}
	})
	return n, wrap("resend webhook events", err)
}

// requeue makes the deliveries of evs to ep pending and due now: finished
// ones start their schedule again, missing ones are created.
func requeue(ctx context.Context, tx *opTx, ep *ent.WebhookEndpoint, evs []*ent.Event) error {
	if len(evs) == 0 {
		return nil
	}
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	now := time.Now()
	_, err := tx.WebhookDelivery.Update().Where(webhookdelivery.EndpointID(ep.ID),
		webhookdelivery.EventIDIn(ids...), webhookdelivery.StatusNEQ(webhookdelivery.StatusPending)).
		SetStatus(webhookdelivery.StatusPending).SetAttemptCount(0).SetNextAttemptAt(now).
		ClearDeliveredAt().Save(ctx)
	if err != nil {
		return fmt.Errorf("requeue deliveries: %w", err)
	}
	return enqueue(ctx, tx, ep, evs, now)
}

// enqueue creates the missing deliveries of evs to ep, due at due.
func enqueue(ctx context.Context, tx *opTx, ep *ent.WebhookEndpoint, evs []*ent.Event, due time.Time) error {
	for chunk := range slices.Chunk(evs, eventChunk) {
		rows := make([]*ent.WebhookDeliveryCreate, len(chunk))
		for i, e := range chunk {
			rows[i] = tx.WebhookDelivery.Create().SetOrganizationID(ep.OrganizationID).SetEndpointID(ep.ID).
				SetEventID(e.ID).SetEventTxid(e.Txid).SetEventType(e.Type).SetSubjectID(e.SubjectID).
				SetNextAttemptAt(due)
		}
		err := tx.WebhookDelivery.CreateBulk(rows...).
			OnConflictColumns(webhookdelivery.FieldEndpointID, webhookdelivery.FieldEventID).DoNothing().Exec(ctx)
		if err != nil {
			return fmt.Errorf("queue %d deliveries: %w", len(rows), err)
		}
	}
	return nil
}

// DispatchWebhookEvents fans the events written since each enabled
// endpoint's cursor out to deliveries (those of the types it subscribes
// to), moving the cursor in the same transaction, and returns how many
// deliveries it queued. Each endpoint is one transaction; on PostgreSQL
// its row is locked with SKIP LOCKED, so servers dispatching at once
// share the endpoints rather than wait for each other. The deliveries are
// due at now. Run it as the platform.
func (s *Service) DispatchWebhookEvents(ctx context.Context, now time.Time) (int, error) {
	return s.dispatch(ctx, now, webhookendpoint.Enabled(true))
}

// DispatchWebhookEventsOf is DispatchWebhookEvents for the endpoints of
// some organizations only: those whose commits woke the worker, so that
// one organization's long backlog is not read again for another's
// change.
func (s *Service) DispatchWebhookEventsOf(ctx context.Context, now time.Time, orgs []uuid.UUID) (int, error) {
	if len(orgs) == 0 {
		return 0, nil
	}
	return s.dispatch(ctx, now, webhookendpoint.Enabled(true), webhookendpoint.OrganizationIDIn(orgs...))
}

// dispatch runs dispatchEndpoint on each endpoint that matches ps.
func (s *Service) dispatch(ctx context.Context, now time.Time, ps ...predicate.WebhookEndpoint) (int, error) {
	ids, err := s.client.WebhookEndpoint.Query().Where(ps...).IDs(ctx)
	if err != nil {
		return 0, wrap("list webhook endpoints", err)
	}
	total := 0
	for _, id := range ids {
		n, err := s.dispatchEndpoint(ctx, id, now)
		if err != nil {
			return total, wrap("dispatch webhook events", err)
		}
		total += n
	}
	return total, nil
}

// dispatchEndpoint moves one endpoint's cursor over the events written
// since, up to a few pages.
func (s *Service) dispatchEndpoint(ctx context.Context, id uuid.UUID, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		q := tx.WebhookEndpoint.Query().Where(webhookendpoint.ID(id), webhookendpoint.Enabled(true))
		if s.rowLocks {
			q.ForUpdate(sql.WithLockAction(sql.SkipLocked))
		}
		ep, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return nil // disabled, deleted, or another server has it
		}
		if err != nil {
			return err
		}
		cur := events.Cursor{TxID: ep.LastEventTxid, ID: ep.LastEventID}
		start := cur
		for range 5 {
			evs, more, err := events.After(ctx, tx.Client, ep.OrganizationID, cur, events.Filter{}, dispatchPage)
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				break
			}
			var want []*ent.Event
			for _, e := range evs {
				if takes(ep, e) {
					want = append(want, e)
				}
			}
			if err := enqueue(ctx, tx, ep, want, now); err != nil {
				return err
			}
			n += len(want)
			cur = events.Of(evs[len(evs)-1])
			if !more {
				break
			}
		}
		if cur == start {
			return nil
		}
		return tx.WebhookEndpoint.UpdateOne(ep).SetLastEventTxid(cur.TxID).SetLastEventID(cur.ID).Exec(ctx)
	})
	return n, err
}

// takes reports whether dispatch delivers e to ep: an event of a type ep
// subscribes to (every type when it names none), except a webhook.test,
// which only its own endpoint gets (TestWebhookEndpoint queued it there).
func takes(ep *ent.WebhookEndpoint, e *ent.Event) bool {
	if e.Type == events.TypeWebhookTest {
		return e.SubjectID == ep.ID
	}
	return len(ep.EventTypes) == 0 || slices.Contains(ep.EventTypes, e.Type)
}

// TestWebhookEndpoint writes a webhook.test event about an endpoint and
// queues its delivery to that endpoint, due now (a disabled endpoint gets
// it when enabled again): the admin's way to check a receiver. It returns
// the event's webhook-id (evt_...), whose delivery and attempts the
// endpoint's deliveries show.
func (s *Service) TestWebhookEndpoint(ctx context.Context, id uuid.UUID) (string, error) {
	var webhookID string
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		ep, err := tx.WebhookEndpoint.Get(ctx, id)
		if err != nil {
			return notFoundOn(err, "id", "no such webhook endpoint")
		}
		p := events.WebhookTest{WebhookEndpoint: events.WebhookEndpointOf(ep)}
		if err := record(ctx, tx, change{org: ep.OrganizationID, subject: ep.ID, payload: p}); err != nil {
			return err
		}
		// The event just written: the newest of its subject and type that
		// this transaction wrote (on SQLite, writers take turns).
		q := tx.Event.Query().Where(event.OrganizationID(ep.OrganizationID), event.SubjectID(ep.ID),
			event.Type(events.TypeWebhookTest))
		if tx.dialect == dialect.Postgres {
			q.Where(func(s *sql.Selector) {
				s.Where(sql.ExprP(s.C(event.FieldTxid) + " = pg_current_xact_id()::text::bigint"))
			})
		}
		e, err := q.Order(ent.Desc(event.FieldID)).First(ctx)
		if err != nil {
			return fmt.Errorf("read the test event: %w", err)
		}
		webhookID = WebhookEventID(e.ID)
		return enqueue(ctx, tx, ep, []*ent.Event{e}, time.Now())
	})
	return webhookID, wrap("test webhook endpoint", err)
}

// DisableWebhookEndpoint disables an endpoint that kept failing and
// writes webhook.endpoint_disabled (data: the endpoint and the reason). An
// endpoint already disabled (or not found) is left alone; it reports
// whether it acted.
func (s *Service) DisableWebhookEndpoint(ctx context.Context, id uuid.UUID, reason string) (bool, error) {
	acted := false
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		var err error
		acted, err = disableEndpoint(ctx, tx, id, reason)
		return err
	})
	return acted, wrap("disable webhook endpoint", err)
}

// disableEndpoint is DisableWebhookEndpoint within tx (also
// RecordWebhookAttempt's, when an endpoint has failed for too long).
func disableEndpoint(ctx context.Context, tx *opTx, id uuid.UUID, reason string) (bool, error) {
	// Only the update that turns it off writes the event, however many
	// workers decide at once.
	n, err := tx.WebhookEndpoint.Update().
		Where(webhookendpoint.ID(id), webhookendpoint.Enabled(true)).SetEnabled(false).Save(ctx)
	if err != nil || n == 0 {
		return false, err
	}
	ep, err := tx.WebhookEndpoint.Get(ctx, id)
	if err != nil {
		return false, err
	}
	p := events.WebhookEndpointDisabled{WebhookEndpoint: events.WebhookEndpointOf(ep), Reason: reason}
	err = record(ctx, tx, change{org: ep.OrganizationID, subject: ep.ID, payload: p})
	return err == nil, err
}

// ExtendWebhookLeases moves the lease of deliveries a worker is still
// sending to until: the worker's heartbeat. A lease that has already run
// out (at now) is not revived, since another worker may have claimed the
// delivery; it returns how many leases it extended. Run it as the
// platform.
func (s *Service) ExtendWebhookLeases(ctx context.Context, ids []uuid.UUID, now, until time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		var err error
		n, err = tx.WebhookDelivery.Update().Where(webhookdelivery.IDIn(ids...),
			webhookdelivery.StatusEQ(webhookdelivery.StatusPending), webhookdelivery.LeaseExpiresAtGT(now)).
			SetLeaseExpiresAt(until).Save(ctx)
		return err
	})
	return n, wrap("extend webhook leases", err)
}

// checkWebhookURL accepts an absolute http or https URL without
// credentials whose host the webhook target policy allows: a literal
// address by itself, a name by every address it resolves to now. A name
// that does not resolve (yet) is accepted; the worker checks every
// connection's address again when it is dialled, whatever DNS says then.
func (s *Service) checkWebhookURL(ctx context.Context, raw string) (string, error) {
	u, err := parseWebhookURL(raw)
	if err != nil {
		return "", err
	}
	host := u.Hostname()
	if ip, perr := netip.ParseAddr(host); perr == nil {
		if err := s.webhookTargets.Check(ip); err != nil {
			return "", fault.FieldErrorf("url", "points at a refused address: %s", refusal(err))
		}
		return u.String(), nil
	}
	// A name that does not resolve now passes: the dialer decides.
	if err := s.webhookTargets.CheckHost(ctx, host); errors.Is(err, egress.ErrForbiddenAddress) {
		return "", fault.FieldErrorf("url", "points at a refused address: %s resolves to %s", host, refusal(err))
	}
	return u.String(), nil
}

// refusal is the reason in a policy's error: what the address is.
func refusal(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, egress.ErrForbiddenAddress.Error()+": "); i >= 0 {
		return msg[i+len(egress.ErrForbiddenAddress.Error())+2:]
	}
	return msg
}

// parseWebhookURL accepts an absolute http or https URL without
// credentials.
func parseWebhookURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	switch {
	case err != nil, u.Host == "", u.Hostname() == "", u.Scheme != "https" && u.Scheme != "http":
		return nil, fault.FieldErrorf("url", "must be an absolute http or https URL")
	case u.User != nil:
		return nil, fault.FieldErrorf("url", "must not carry credentials")
	case len(raw) > 2048:
		return nil, fault.FieldErrorf("url", "must be at most 2048 characters")
	}
	return u, nil
}

// checkEventTypes accepts known types, each once, sorted.
func checkEventTypes(types []string) ([]string, error) {
	known := WebhookEventTypes()
	out := make([]string, 0, len(types))
	for _, t := range types {
		if !slices.Contains(known, t) {
			return nil, fault.FieldErrorf("eventTypes", "%q is not an event type", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out, nil
}

// releaseEndpoint unbinds an endpoint from a transaction that is over.
func releaseEndpoint(ctx context.Context, ep *ent.WebhookEndpoint) *ent.WebhookEndpoint {
	if inCallersTx(ctx) {
		return ep
	}
	return ep.Unwrap()
}
