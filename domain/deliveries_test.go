package domain_test

import (
	"testing"
	"time"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/ent/webhookattempt"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestWebhookDeliveryStateMachine walks one delivery through the domain's
// operations: claimed, a stale outcome ignored, waiting, claimed again,
// failed with its endpoint's breaker open and the endpoint disabled, then
// pruned.
func TestWebhookDeliveryStateMachine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := newTenant(t, s, "Acme")
		is, err := a.svc.CreateWebhookEndpoint(a.admin, domain.NewWebhookEndpoint{OrganizationID: a.org.ID,
			URL: "https://app.example/hooks"})
		if err != nil {
			t.Fatal(err)
		}
		ep := is.Endpoint
		if _, err := a.svc.CreateRole(a.admin, domain.NewRole{OrganizationID: a.org.ID, Key: "r", Name: "R"}); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if n, err := a.svc.DispatchWebhookEvents(a.platform, now); err != nil || n != 1 {
			t.Fatalf("dispatch: %d, %v", n, err)
		}
		p := domain.WebhookDeliveryPolicy{Lease: 10 * time.Second, PerEndpoint: 2, Schedule: []time.Duration{time.Minute},
			Jitter: func(d time.Duration) time.Duration { return d }, BreakerThreshold: 2,
			BreakerBackoff: 30 * time.Second, BreakerMaxBackoff: 15 * time.Minute, DisableAfter: time.Hour}

		cs, err := a.svc.ClaimWebhookDeliveries(a.platform, p, now, 10)
		if err != nil || len(cs) != 1 {
			t.Fatalf("claim: %d, %v", len(cs), err)
		}
		c := cs[0]
		if c.Delivery.AttemptCount != 1 || c.Endpoint == nil || c.Endpoint.ID != ep.ID || c.Event == nil ||
			c.Event.ID != c.Delivery.EventID {
			t.Fatalf("claimed %+v", c)
		}
		if again, err := a.svc.ClaimWebhookDeliveries(a.platform, p, now, 10); err != nil || len(again) != 0 {
			t.Fatalf("claim while leased: %d, %v", len(again), err)
		}

		// An outcome of an older claim leaves the delivery as it is.
		stale := c
		d0 := *c.Delivery
		d0.AttemptCount = 0
		stale.Delivery = &d0
		if _, err := a.svc.RecordWebhookAttempt(a.platform, p, domain.WebhookAttemptOutcome{Claim: stale, At: now,
			Succeeded: true}); err != nil {
			t.Fatal(err)
		}
		d, err := a.client.WebhookDelivery.Get(a.platform, c.Delivery.ID)
		if err != nil || d.Status != webhookdelivery.StatusPending || d.LeaseExpiresAt == nil {
			t.Fatalf("after a stale outcome: %+v, %v", d, err)
		}

		// A failure with schedule left: waiting.
		st := 500
		res, err := a.svc.RecordWebhookAttempt(a.platform, p, domain.WebhookAttemptOutcome{Claim: c, At: now,
			Status: &st, Error: "response status 500"})
		if err != nil || res.Failed || res.BreakerOpened != nil || res.Disabled {
			t.Fatalf("first failure: %+v, %v", res, err)
		}
		d, err = a.client.WebhookDelivery.Get(a.platform, c.Delivery.ID)
		if err != nil || d.Status != webhookdelivery.StatusPending || d.LeaseExpiresAt != nil ||
			!near(d.NextAttemptAt, now.Add(time.Minute)) || d.LastResponseStatus == nil || *d.LastResponseStatus != 500 {
			t.Fatalf("waiting: %+v, %v", d, err)
		}
		if cs, err := a.svc.ClaimWebhookDeliveries(a.platform, p, now.Add(time.Second), 10); err != nil || len(cs) != 0 {
			t.Fatalf("claim while waiting: %d, %v", len(cs), err)
		}

		// Claimed again; a failure with the schedule spent: failed, the
		// breaker open, and (failing for an hour) the endpoint disabled.
		cs, err = a.svc.ClaimWebhookDeliveries(a.platform, p, now.Add(time.Minute), 10)
		if err != nil || len(cs) != 1 || cs[0].Delivery.AttemptCount != 2 {
			t.Fatalf("claim again: %+v, %v", cs, err)
		}
		at := now.Add(2 * time.Hour)
		res, err = a.svc.RecordWebhookAttempt(a.platform, p, domain.WebhookAttemptOutcome{Claim: cs[0], At: at,
			Error: "dial tcp: connection refused"})
		if err != nil || !res.Failed || res.BreakerOpened == nil || !res.Disabled {
			t.Fatalf("last failure: %+v, %v", res, err)
		}
		if !near(*res.BreakerOpened.BreakerOpenUntil, at.Add(30*time.Second)) {
			t.Fatalf("breaker open until %v; want %v", res.BreakerOpened.BreakerOpenUntil, at.Add(30*time.Second))
		}
		d, err = a.client.WebhookDelivery.Get(a.platform, c.Delivery.ID)
		if err != nil || d.Status != webhookdelivery.StatusFailed || d.LastResponseStatus != nil {
			t.Fatalf("failed: %+v, %v", d, err)
		}
		e, err := a.client.WebhookEndpoint.Get(a.platform, ep.ID)
		if err != nil || e.Enabled || e.ConsecutiveFailures != 2 {
			t.Fatalf("endpoint %+v, %v", e, err)
		}
		last, err := a.client.Event.Query().Order(ent.Desc(event.FieldID)).First(a.platform)
		if err != nil || last.Type != events.TypeWebhookEndpointDisabled || last.SubjectID != ep.ID {
			t.Fatalf("last event %+v (%v)", last, err)
		}
		if n, err := a.client.WebhookAttempt.Query().Where(webhookattempt.DeliveryID(d.ID)).Count(a.platform); err != nil || n != 3 {
			t.Fatalf("%d attempts (%v); want 3", n, err)
		}

		// Pruned once past the retention, with its attempts.
		if n, err := a.svc.PruneWebhookDeliveries(a.platform, d.UpdatedAt); err != nil || n != 0 {
			t.Fatalf("prune before its time: %d, %v", n, err)
		}
		if n, err := a.svc.PruneWebhookDeliveries(a.platform, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("prune: %d, %v", n, err)
		}
		if n, err := a.client.WebhookAttempt.Query().Where(webhookattempt.DeliveryID(d.ID)).Count(a.platform); err != nil || n != 0 {
			t.Fatalf("%d attempts left (%v)", n, err)
		}
	})
}

// near reports whether a time read back from the database is t, within
// the database's precision.
func near(got, t time.Time) bool { return got.Sub(t).Abs() < time.Millisecond }
