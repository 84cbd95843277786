package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The figures of this process's own work, beside the database's
// (webhooks.go): what its webhook worker delivered and how late, and the
// WebSockets and subscriptions it holds open. Sum them over replicas.

// liveMetrics are registered by New.
type liveMetrics struct {
	deliveries  *prometheus.CounterVec
	deliveryLag prometheus.Histogram
}

func newLiveMetrics() liveMetrics {
	l := liveMetrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "directory_webhook_attempts_total",
			Help: "Webhook delivery attempts this process made, by outcome (succeeded; retrying: failed with attempts left; failed: the last attempt failed).",
		}, []string{"outcome"}),
		deliveryLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "directory_webhook_delivery_lag_seconds",
			Help:    "From an event's commit to its webhook delivery's success, for the deliveries this process made.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600},
		}),
	}
	for _, o := range []string{"succeeded", "retrying", "failed"} {
		l.deliveries.WithLabelValues(o) // exported at 0 before the first
	}
	return l
}

// WebhookAttempt counts one attempt of this process's webhook worker, by
// outcome ("succeeded", "retrying" or "failed"), and, for a success, the
// lag from its event's commit.
func (m *Metrics) WebhookAttempt(outcome string, lag time.Duration) {
	m.live.deliveries.WithLabelValues(outcome).Inc()
	if outcome == "succeeded" {
		m.live.deliveryLag.Observe(lag.Seconds())
	}
}

// WatchSockets registers the WebSockets and event subscriptions this
// process holds open, read at each scrape:
//
//	directory_graphql_websockets_open     GraphQL WebSockets open on this process
//	directory_graphql_subscriptions_open  event subscriptions running on them
func (m *Metrics) WatchSockets(sockets, subscriptions func() int) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "directory_graphql_websockets_open",
			Help: "GraphQL WebSockets open on this process.",
		}, func() float64 { return float64(sockets()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "directory_graphql_subscriptions_open",
			Help: "Event subscriptions running on this process's WebSockets.",
		}, func() float64 { return float64(subscriptions()) }),
	)
}
