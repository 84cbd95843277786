package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store/storetest"
	"github.com/acme/directory/webhook"
)

// BenchmarkDeliveryLag measures how long a change takes to reach a
// healthy receiver: from the event's time to the delivery's arrival, with
// the worker's default poll interval, one change every 10 ms. It reports
// the p50 and p99 lag.
//
//	go test -run '^$' -bench DeliveryLag -benchtime 200x ./webhook/
func BenchmarkDeliveryLag(b *testing.B) {
	for _, db := range storetest.Dialects {
		b.Run(db, func(b *testing.B) {
			st := storetest.Open(b, db)
			var mu sync.Mutex
			var lags []time.Duration
			arrived := make(chan struct{}, 1<<16)
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var p webhook.Payload
				if json.Unmarshal(body, &p) == nil {
					mu.Lock()
					lags = append(lags, time.Since(p.Timestamp))
					mu.Unlock()
				}
				w.WriteHeader(http.StatusNoContent)
				arrived <- struct{}{}
			}))
			defer rcv.Close()
			svc := domain.New(st.Client, st.Dialect, loopbackTargets)
			ctx := access.PlatformContext(context.Background())
			org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Lag " + db})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.CreateWebhookEndpoint(ctx, domain.NewWebhookEndpoint{OrganizationID: org.ID, URL: rcv.URL}); err != nil {
				b.Fatal(err)
			}
			wctx, stop := context.WithCancel(ctx)
			defer stop()
			w := webhook.New(svc, st.Dialect, webhook.Config{AllowPrivate: true})
			go w.Run(wctx)
			n := 0
			for i := 0; b.Loop(); i++ {
				if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: fmt.Sprintf("r%d", i), Name: "R"}); err != nil {
					b.Fatal(err)
				}
				n++
				time.Sleep(10 * time.Millisecond)
			}
			for range n {
				select {
				case <-arrived:
				case <-time.After(30 * time.Second):
					b.Fatalf("%d of %d deliveries arrived", len(lags), n)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			slices.Sort(lags)
			b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkDeadEndpointLag measures another organization's delivery lag
// (from the commit to the arrival) while one organization's endpoint
// never answers with 10,000 deliveries queued for it, against the lag
// with nothing queued, measured in the same run. It reports both p50s,
// the worst of each, and their ratios (issue 15's target: within 2×).
//
//	go test -run '^$' -bench DeadEndpointLag -benchtime 1x ./webhook/
func BenchmarkDeadEndpointLag(b *testing.B) {
	for _, db := range storetest.Dialects {
		b.Run(db, func(b *testing.B) {
			for b.Loop() {
				idle, busy := deadEndpointLag(b, db, 10000, 20)
				b.ReportMetric(ms(pct(idle, 50)), "idle-p50-ms")
				b.ReportMetric(ms(pct(busy, 50)), "dead-p50-ms")
				b.ReportMetric(ms(slices.Max(idle)), "idle-max-ms")
				b.ReportMetric(ms(slices.Max(busy)), "dead-max-ms")
				b.ReportMetric(float64(pct(busy, 50))/float64(pct(idle, 50)), "p50-ratio")
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct is the p-th percentile of ds.
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// deadEndpointLag runs a worker with the defaults on a fresh database of
// dialect db: n changes of organization C, each waited for, then queued
// deliveries to organization A's endpoint that never answers (written as
// events, directly), then n changes of C again. It returns C's lags.
func deadEndpointLag(b *testing.B, db string, queued, n int) (idle, busy []time.Duration) {
	st := storetest.Open(b, db)
	block := make(chan struct{})
	var held atomic.Int32
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held.Add(1)
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer dead.Close()
	defer close(block)
	arrived := make(chan time.Time, 1)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
		arrived <- time.Now()
	}))
	defer rcv.Close()
	svc := domain.New(st.Client, st.Dialect, loopbackTargets)
	ctx := access.PlatformContext(context.Background())
	orgA, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Dead A " + db})
	if err != nil {
		b.Fatal(err)
	}
	orgC, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Victim C " + db})
	if err != nil {
		b.Fatal(err)
	}
	epA, err := svc.CreateWebhookEndpoint(ctx, domain.NewWebhookEndpoint{OrganizationID: orgA.ID, URL: dead.URL})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateWebhookEndpoint(ctx, domain.NewWebhookEndpoint{OrganizationID: orgC.ID, URL: rcv.URL,
		EventTypes: []string{events.TypeRoleCreated}}); err != nil {
		b.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	w := webhook.New(svc, st.Dialect, webhook.Config{AllowPrivate: true})
	done := make(chan struct{})
	go func() { w.Run(wctx); close(done) }()
	defer func() { stop(); <-done }()
	change := func(key string) time.Duration {
		start := time.Now()
		if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: orgC.ID, Key: key, Name: key}); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-arrived:
			return at.Sub(start)
		case <-time.After(60 * time.Second):
			b.Fatalf("C's delivery of %s did not arrive within a minute", key)
			return 0
		}
	}
	change("warm-up") // the worker's first pass
	for i := range n {
		idle = append(idle, change(fmt.Sprintf("idle%d", i)))
	}
	// The queue: events of A's distinct subjects, so each delivery is due
	// at once (none waits for an earlier one of its subject).
	for start := 0; start < queued; start += 500 {
		rows := make([]*ent.EventCreate, 0, 500)
		for i := start; i < min(start+500, queued); i++ {
			rows = append(rows, st.Client.Event.Create().SetOrganizationID(orgA.ID).SetType(events.TypeRoleCreated).
				SetSubjectID(uuid.New()).SetData(map[string]any{"key": fmt.Sprintf("a%d", i)}))
		}
		if err := st.Client.Event.CreateBulk(rows...).Exec(domain.Seeding(ctx)); err != nil { // bulk fixtures: no operation writes an event alone
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := st.Client.WebhookDelivery.Query().Where(webhookdelivery.EndpointID(epA.Endpoint.ID)).Count(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n >= queued && held.Load() > 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries queued, %d held, after 2 minutes", n, queued, held.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := range n {
		busy = append(busy, change(fmt.Sprintf("busy%d", i)))
	}
	return idle, busy
}

// BenchmarkDeliveryThroughput measures how many deliveries a second one
// worker makes to one healthy endpoint: b.N events (roles, each its own
// subject) are written first, then the worker drains them.
//
//	go test -run '^$' -bench DeliveryThroughput -benchtime 2000x ./webhook/
func BenchmarkDeliveryThroughput(b *testing.B) {
	for _, db := range storetest.Dialects {
		b.Run(db, func(b *testing.B) {
			st := storetest.Open(b, db)
			var got atomic.Int64
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				got.Add(1)
				w.WriteHeader(http.StatusNoContent)
			}))
			defer rcv.Close()
			svc := domain.New(st.Client, st.Dialect, loopbackTargets)
			ctx := access.PlatformContext(context.Background())
			org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Throughput " + db})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.CreateWebhookEndpoint(ctx, domain.NewWebhookEndpoint{OrganizationID: org.ID, URL: rcv.URL}); err != nil {
				b.Fatal(err)
			}
			for i := range b.N {
				if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: fmt.Sprintf("t%d", i), Name: "T"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			wctx, stop := context.WithCancel(ctx)
			defer stop()
			go webhook.New(svc, st.Dialect, webhook.Config{AllowPrivate: true}).Run(wctx)
			for got.Load() < int64(b.N) {
				if time.Since(start) > 5*time.Minute {
					b.Fatalf("%d of %d deliveries in 5 minutes", got.Load(), b.N)
				}
				time.Sleep(5 * time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}
