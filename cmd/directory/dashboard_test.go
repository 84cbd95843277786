package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/acme/directory/store/storetest"
)

// TestMetricsToken: with --metrics-token, /metrics refuses a scrape
// without it (and logs nothing of the token) and serves one with it; every
// route label has one form, the path alone.
func TestMetricsToken(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	srv := httptest.NewServer(routes(st, &config{metricsToken: "s3cret-metrics"}, nil))
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
	code, body := scrape("Bearer s3cret-metrics")
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
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
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
