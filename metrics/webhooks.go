package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/ent/webhookendpoint"
)

// webhookQueryTimeout bounds the queries of one scrape.
const webhookQueryTimeout = 2 * time.Second

// webhookCollector reads the webhook queue from the database at each
// scrape: deliveries waiting and failed, the age of the oldest waiting
// one, endpoints failing and disabled. The figures are the database's, so
// every replica reports the same: aggregate them with max(), not sum().
type webhookCollector struct {
	client   *ent.Client
	pending  *prometheus.Desc
	failed   *prometheus.Desc
	oldest   *prometheus.Desc
	failing  *prometheus.Desc
	disabled *prometheus.Desc
	up       *prometheus.Desc
}

// WatchWebhooks registers the webhook queue's figures, read through
// client at each scrape (a few indexed counts, bounded by a timeout):
//
//	directory_webhook_deliveries_pending            deliveries waiting to be sent or retried
//	directory_webhook_deliveries_failed             deliveries that ran out of attempts (kept as long as events)
//	directory_webhook_oldest_pending_age_seconds    how long the oldest waiting delivery has waited (0: none)
//	directory_webhook_endpoints_failing             enabled endpoints whose attempts all fail
//	directory_webhook_endpoints_disabled            endpoints disabled (by an admin, or after failing too long)
//	directory_webhook_queue_up                      1 when the figures above could be read
func (m *Metrics) WatchWebhooks(client *ent.Client) {
	g := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	m.reg.MustRegister(&webhookCollector{
		client:   client,
		pending:  g("directory_webhook_deliveries_pending", "Webhook deliveries waiting to be sent or retried (the queue), in the database."),
		failed:   g("directory_webhook_deliveries_failed", "Webhook deliveries that ran out of attempts, kept as long as events."),
		oldest:   g("directory_webhook_oldest_pending_age_seconds", "Age of the oldest webhook delivery still waiting (0 when none waits)."),
		failing:  g("directory_webhook_endpoints_failing", "Enabled webhook endpoints whose attempts all fail."),
		disabled: g("directory_webhook_endpoints_disabled", "Webhook endpoints disabled, by an admin or after failing too long."),
		up:       g("directory_webhook_queue_up", "1 when the webhook queue's figures could be read at this scrape."),
	})
}

// Describe implements prometheus.Collector.
func (c *webhookCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pending, c.failed, c.oldest, c.failing, c.disabled, c.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *webhookCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(access.PlatformContext(context.Background()), webhookQueryTimeout)
	defer cancel()
	up := 1.0
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	count := func(d *prometheus.Desc, n int, err error) {
		if err != nil {
			up = 0
			slog.WarnContext(ctx, "metrics: webhook queue unreadable", "err", err)
			return
		}
		gauge(d, float64(n))
	}
	dq := c.client.WebhookDelivery.Query
	n, err := dq().Where(webhookdelivery.StatusEQ(webhookdelivery.StatusPending)).Count(ctx)
	count(c.pending, n, err)
	n, err = dq().Where(webhookdelivery.StatusEQ(webhookdelivery.StatusFailed)).Count(ctx)
	count(c.failed, n, err)
	oldest, err := dq().Where(webhookdelivery.StatusEQ(webhookdelivery.StatusPending)).
		Order(ent.Asc(webhookdelivery.FieldCreatedAt)).First(ctx)
	switch {
	case ent.IsNotFound(err):
		gauge(c.oldest, 0)
	case err != nil:
		count(c.oldest, 0, err)
	default:
		gauge(c.oldest, time.Since(oldest.CreatedAt).Seconds())
	}
	eq := c.client.WebhookEndpoint.Query
	n, err = eq().Where(webhookendpoint.Enabled(true), webhookendpoint.FailingSinceNotNil()).Count(ctx)
	count(c.failing, n, err)
	n, err = eq().Where(webhookendpoint.Enabled(false)).Count(ctx)
	count(c.disabled, n, err)
	gauge(c.up, up)
}
