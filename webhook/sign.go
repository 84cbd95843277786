// Package webhook delivers an organization's events to its webhook
// endpoints the Standard Webhooks way (https://www.standardwebhooks.com):
// each request carries webhook-id (the event's id, the same on every
// retry), webhook-timestamp (unix seconds) and webhook-signature
// ("v1,<base64 HMAC-SHA256 of id.timestamp.body>", one per secret that
// signs, space-separated).
//
// A Worker dispatches (moves each endpoint's cursor over the events
// outbox, package events, and queues deliveries), claims due deliveries,
// sends them through a dialer that refuses every range of package
// egress's table and the host's own addresses at connect time (before any
// packet leaves), records each attempt, and retries failures on a
// schedule with jitter. A delivery waits while an earlier delivery of its
// subject to its endpoint is pending, so a receiver gets each subject's
// events in order. All state is in the database: any number of workers,
// on any number of servers, may run.
//
// The worker decides when and sends (signing, timeouts, the heartbeat,
// concurrency); every write of the state machine below is an operation
// of package domain, one transaction each, named beside the transition
// it performs. The worker passes its Config's settings to them as a
// domain.WebhookDeliveryPolicy.
//
// # Fairness
//
// A worker keeps up to Concurrency requests in flight and claims again
// whenever one ends; it never waits for a whole batch. A claim takes at
// most PerEndpoint deliveries in flight per endpoint (counting every
// worker's leases) and rotates: every organization's first pick before
// any organization's second, every endpoint's first before its second
// (ROW_NUMBER per endpoint, then per organization). So an endpoint that
// hangs holds PerEndpoint slots for at most Timeout each, a dead host
// fails within ConnectTimeout, and an endpoint that keeps failing is cut
// off by its circuit breaker without holding any slot.
//
// # A delivery's states
//
// The columns of webhook_deliveries that carry the state are status,
// next_attempt_at, lease_expires_at and attempt_count. Each transition
// names, in brackets, the domain.Service operation that performs it:
//
//	queued    status=pending, lease none, next_attempt_at=now
//	          (dispatch; a resend makes a finished delivery queued again)
//	          [DispatchWebhookEvents, DispatchWebhookEventsOf;
//	          ResendWebhookEvent, ResendWebhookEvents]
//	due       queued or waiting, next_attempt_at <= now, no earlier
//	          pending delivery of its subject to its endpoint, the
//	          endpoint enabled and its breaker not open
//	leased    due -> claimed: attempt_count+1, lease_expires_at =
//	          now+Lease, extended every Lease/3 by its worker's heartbeat
//	          while the request runs (FOR UPDATE SKIP LOCKED on PostgreSQL:
//	          one claimer per row) [ClaimWebhookDeliveries; the
//	          heartbeat: ExtendWebhookLeases]
//	expired   leased whose lease passed (its worker died or stopped):
//	          due again at once, claimed by any worker; the dead
//	          attempt counts as one attempt [ClaimWebhookDeliveries]
//	succeeded leased -> 2xx: delivered_at set, lease cleared (final)
//	          [RecordWebhookAttempt]
//	waiting   leased -> failure (no answer, refused address, non-2xx,
//	          redirect) with schedule left: next_attempt_at = now +
//	          Schedule[attempt_count-1] ±jitter, lease cleared
//	          [RecordWebhookAttempt]
//	failed    leased -> failure with the schedule spent, or its event
//	          no longer kept (final; the subject's next deliveries go on)
//	          [RecordWebhookAttempt]
//	pruned    succeeded or failed, unchanged for Retention: deleted
//	          with its attempts [PruneWebhookDeliveries]
//
// An attempt's outcome is recorded only if the delivery is still the
// worker's (pending with the attempt_count it claimed), so an attempt that
// outlived its lease cannot overwrite a newer one's. RecordWebhookAttempt
// writes the attempt row, the delivery's next state and the endpoint's
// failure record below in one transaction.
//
// # An endpoint's circuit breaker
//
// webhook_endpoints.consecutive_failures counts failed attempts since the
// last success; breaker_open_until is set when it reaches
// BreakerThreshold:
//
//	closed     consecutive_failures < BreakerThreshold: up to PerEndpoint
//	           in flight
//	open       breaker_open_until > now: none of its deliveries is claimed
//	half-open  breaker_open_until <= now, failures >= threshold: one
//	           delivery in flight at a time
//	open again half-open -> failure: breaker_open_until = now +
//	           BreakerBackoff·2^(failures-threshold), at most
//	           BreakerMaxBackoff
//	closed     any success: failures 0, breaker_open_until cleared
//
// Each of these moves is RecordWebhookAttempt's; ClaimWebhookDeliveries
// reads the breaker (none while open, one in flight while half-open).
//
// Separately, failing_since marks the first failure since the last
// success; an endpoint still failing DisableAfter later is disabled (a
// webhook.endpoint_disabled event) in the same transaction as the
// attempt that found it so (RecordWebhookAttempt, through what
// DisableWebhookEndpoint does), and enabling it again clears its failure
// record and breaker (UpdateWebhookEndpoint).
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acme/directory/domain"
)

// The headers of a delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Key is the HMAC key of a secret: the base64 after "whsec_".
func Key(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, domain.WebhookSecretPrefix)
	if !ok {
		return nil, errors.New("webhook: secret does not start with " + domain.WebhookSecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook: secret is not base64: %w", err)
	}
	return key, nil
}

// signature is the base64 HMAC-SHA256 of "id.timestamp.body" under key.
func signature(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the webhook-signature header of a message: "v1,<sig>" for
// each secret, space-separated.
func Sign(id string, ts int64, body []byte, secrets ...string) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := Key(s)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, "v1,"+signature(key, id, ts, body))
	}
	return strings.Join(sigs, " "), nil
}

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Verify checks a delivery the way a receiver should: a timestamp within
// tolerance of now, and one v1 signature of the headers matching secret.
// It is here for Go receivers and tests; the README shows the same in a
// few lines.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := Key(secret)
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return errors.New("webhook: bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp out of tolerance")
	}
	want := signature(key, h.Get(HeaderID), ts, body)
	for _, sig := range strings.Fields(h.Get(HeaderSignature)) {
		if v, ok := strings.CutPrefix(sig, "v1,"); ok && subtle.ConstantTimeCompare([]byte(v), []byte(want)) == 1 {
			return nil
		}
	}
	return errors.New("webhook: no matching signature")
}
