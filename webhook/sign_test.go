package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/webhook"
)

// verify is an independent receiver's check, as the README shows it: one
// of the space-separated v1 signatures is the base64 HMAC-SHA256 of
// "id.timestamp.body" keyed with the base64-decoded secret after whsec_.
func verify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

func TestSignVector(t *testing.T) {
	// The Standard Webhooks reference vector; the expected value was
	// computed independently with
	//   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' |
	//     openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of base64-decoded key> -binary | base64
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = 1614265330
		body   = `{"test": 2432232314}`
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	got, err := webhook.Sign(id, ts, []byte(body), secret)
	if err != nil || got != want {
		t.Fatalf("Sign = %q, %v; want %q", got, err, want)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.Itoa(ts))
	h.Set("webhook-signature", got)
	if !verify(secret, h, []byte(body)) {
		t.Fatal("the independent verifier refuses the signature")
	}
	if err := webhook.Verify(secret, h, []byte(body), time.Unix(ts, 0), webhook.DefaultTolerance); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if verify(secret, h, []byte(body+" ")) {
		t.Fatal("a changed body verifies")
	}
	if err := webhook.Verify(secret, h, []byte(body), time.Unix(ts, 0).Add(time.Hour), webhook.DefaultTolerance); err == nil {
		t.Fatal("Verify accepts an old timestamp")
	}
}

func TestSignTwoSecrets(t *testing.T) {
	a, b := domain.NewWebhookSecret(), domain.NewWebhookSecret()
	key, err := webhook.Key(a)
	if err != nil || len(key) < 24 {
		t.Fatalf("key of %q: %d bytes, %v; want 24 or more", a, len(key), err)
	}
	sig, err := webhook.Sign("evt_1", 1700000000, []byte("{}"), a, b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(sig)); n != 2 {
		t.Fatalf("signature %q has %d parts; want 2", sig, n)
	}
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	h.Set("webhook-timestamp", "1700000000")
	h.Set("webhook-signature", sig)
	for _, s := range []string{a, b} {
		if !verify(s, h, []byte("{}")) {
			t.Fatalf("secret %s does not verify %q", s[:10], sig)
		}
	}
	if verify(domain.NewWebhookSecret(), h, []byte("{}")) {
		t.Fatal("a third secret verifies")
	}
	if _, err := webhook.Sign("x", 1, nil, "nope"); err == nil {
		t.Fatal("a secret without whsec_ signs")
	}
}
