// Package webhook delivers an organization's events to its webhook
// endpoints the Standard Webhooks way (https://www.standardwebhooks.com):
// each request carries webhook-id (the event's id, the same on every
// retry), webhook-timestamp (unix seconds) and webhook-signature
// ("v1,<base64 HMAC-SHA256 of id.timestamp.body>", one per secret that
// signs, space-separated).
//
// A Worker dispatches (moves each endpoint's cursor over the events
// outbox, package events, and queues deliveries), claims due deliveries
// (FOR UPDATE SKIP LOCKED on PostgreSQL, so workers on several servers
// never send one attempt twice), sends them through a dialer that refuses
// private, loopback and link-local addresses at connect time, records
// each attempt, and retries failures on a schedule with jitter. A
// delivery waits while an earlier delivery of its subject to its
// endpoint is pending, so a receiver gets each subject's events in order.
// All state is in the database: any number of workers may run.
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
