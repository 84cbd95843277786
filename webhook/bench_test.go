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
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
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
