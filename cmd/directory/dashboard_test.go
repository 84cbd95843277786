package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestMetricsToken: with --metrics-token, /metrics refuses a scrape
// without it (and logs nothing of the token) and serves one with it; every
// route label has one form, the path alone.
func TestMetricsToken(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	srv := httptest.NewServer(routes(st, &config{metricsToken: "s3cret-metrics"}, nil, nil))
	t.Cleanup(srv.Close)
	scrape := func(auth string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, auth := range []string{"", "Bearer wrong", "s3cret-metrics", "Basic s3cret-metrics"} {
		if code, _ := scrape(auth); code != http.StatusUnauthorized {
			t.Errorf("scrape with %q: %d; want 401", auth, code)
		}
	}
	http.Get(srv.URL + "/healthz")
	http.Get(srv.URL + "/graphql")
	// A request is recorded once its handler returned: scrape until the
	// health check shows.
	code, body := scrape("Bearer s3cret-metrics")
	for deadline := time.Now().Add(10 * time.Second); code == http.StatusOK &&
		!strings.Contains(body, `route="/healthz"`) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		code, body = scrape("Bearer s3cret-metrics")
	}
	if code != http.StatusOK {
		t.Fatalf("scrape with the token: %d", code)
	}
	routes := regexp.MustCompile(`route="([^"]*)"`).FindAllStringSubmatch(body, -1)
	if len(routes) == 0 {
		t.Fatal("no route labels")
	}
	for _, r := range routes {
		if !strings.HasPrefix(r[1], "/") && r[1] != "unmatched" {
			t.Errorf("route label %q is not a path", r[1])
		}
	}
	if !strings.Contains(body, `route="/healthz"`) || !strings.Contains(body, `route="/metrics"`) {
		t.Errorf("routes: %v", routes)
	}
}

// TestGrafanaDashboard: the dashboard in deploy/grafana parses, and every
// metric its queries use is one the server exports.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/directory.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	if d.Title == "" || len(d.Panels) < 8 {
		t.Fatalf("dashboard %q has %d panels", d.Title, len(d.Panels))
	}

	// What the server exports, after a SCIM request of each kind.
	st := storetest.Open(t, "sqlite")
	srv, _, base, token := scimEnv(t, st)
	req, _ := http.NewRequest(http.MethodGet, base+"/Users", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	// The middleware records a request once its handler returned, which
	// may be after the client read the response: scrape until it shows.
	var b []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(b), `directory_scim_operations_total{`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	exported := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]`).FindAllStringSubmatch(string(b), -1) {
		exported[m[1]] = true
	}
	metric := regexp.MustCompile(`\b((?:directory|go|process)_[a-zA-Z0-9_]+)`)
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			names := metric.FindAllString(q.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: %q uses no metric of the server", p.Title, q.Expr)
			}
			for _, n := range names {
				if !exported[n] {
					t.Errorf("panel %q uses %s, which /metrics does not export", p.Title, n)
				}
			}
		}
	}
}

// TestWebhookQueueMetrics: /metrics shows the webhook queue as the
// database holds it: deliveries waiting, the oldest one's age, endpoints
// disabled.
func TestWebhookQueueMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := httptest.NewServer(routes(st, &config{}, nil, nil))
		t.Cleanup(srv.Close)
		scrape := func() string {
			res, err := http.Get(srv.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return string(b)
		}
		body := scrape()
		for _, want := range []string{"directory_webhook_deliveries_pending 0", "directory_webhook_oldest_pending_age_seconds 0",
			"directory_webhook_endpoints_disabled 0", "directory_webhook_queue_up 1"} {
			if !strings.Contains(body, want+"\n") {
				t.Errorf("empty queue: /metrics lacks %q", want)
			}
		}
		ctx := access.PlatformContext(context.Background())
		svc := domain.New(st.Client, st.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		hook, err := svc.CreateWebhookEndpoint(ctx, domain.NewWebhookEndpoint{OrganizationID: org.ID, URL: "https://hooks.example.com/in"})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"a", "b", "c"} {
			if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: k, Name: k}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.DispatchWebhookEvents(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond)
		off := false
		if _, err := svc.UpdateWebhookEndpoint(ctx, hook.Endpoint.ID, domain.WebhookEndpointChange{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		body = scrape()
		if n := metricValue(t, body, "\ndirectory_webhook_deliveries_pending"); n != 3 {
			t.Errorf("pending deliveries: %v; want 3", n)
		}
		if age := metricValue(t, body, "\ndirectory_webhook_oldest_pending_age_seconds"); age < 1 || age > 60 {
			t.Errorf("oldest pending age: %vs", age)
		}
		if n := metricValue(t, body, "\ndirectory_webhook_endpoints_disabled"); n != 1 {
			t.Errorf("disabled endpoints: %v; want 1", n)
		}
	})
}
