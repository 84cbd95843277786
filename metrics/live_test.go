package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/acme/directory/metrics"
)

// TestLiveFigures: the webhook worker's attempts by outcome, the lag of
// its successes, and the sockets and subscriptions open, as /metrics
// shows them.
func TestLiveFigures(t *testing.T) {
	m := metrics.New()
	sockets, subs := 3, 5
	m.WatchSockets(func() int { return sockets }, func() int { return subs })
	m.WebhookAttempt("succeeded", 40*time.Millisecond)
	m.WebhookAttempt("succeeded", 2*time.Second)
	m.WebhookAttempt("retrying", 0)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`directory_webhook_attempts_total{outcome="succeeded"} 2`,
		`directory_webhook_attempts_total{outcome="retrying"} 1`,
		`directory_webhook_attempts_total{outcome="failed"} 0`,
		`directory_webhook_delivery_lag_seconds_count 2`,
		`directory_webhook_delivery_lag_seconds_bucket{le="0.05"} 1`,
		`directory_graphql_websockets_open 3`,
		`directory_graphql_subscriptions_open 5`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
