package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// scimEnv is the real server with one JumpCloud directory.
func scimEnv(t *testing.T, st *store.Store) (srv *httptest.Server, dirID, base, token string) {
	t.Helper()
	srv = httptest.NewServer(routes(st, &config{}, nil, nil))
	t.Cleanup(srv.Close)
	ctx := access.PlatformContext(context.Background())
	svc := domain.New(st.Client, st.Dialect)
	org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, domain.NewDirectory{OrganizationID: org.ID, Provider: schematype.Provider("jumpcloud")})
	if err != nil {
		t.Fatal(err)
	}
	dirID = d.Directory.ID.String()
	return srv, dirID, srv.URL + domain.SCIMPath + dirID, d.BearerToken
}

// TestMetricsEndpoint: after a few SCIM requests, /metrics holds their
// counts by route and status, their statements, the SCIM operations of the
// directory and the database pool.
func TestMetricsEndpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv, dirID, base, token := scimEnv(t, st)
		send := func(method, url, body string, want int) {
			t.Helper()
			req, _ := http.NewRequest(method, url, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/scim+json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != want {
				t.Fatalf("%s %s: %d; want %d", method, url, res.StatusCode, want)
			}
		}
		send("POST", base+"/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@acme.test"}`, 201)
		send("GET", base+"/Users?filter=userName%20eq%20%22ada@acme.test%22", "", 200)
		send("GET", base+"/Users?filter=userName%20eq%20%22bob@acme.test%22", "", 200)
		send("GET", base+"/Users/01a233f4-6c75-8997-8404-4e68c124b516", "", 404)
		send("GET", srv.URL+"/healthz", "", 200)

		res, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		io.Copy(&b, res.Body)
		res.Body.Close()
		body := b.String()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("/metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, want := range []string{
			`directory_http_requests_total{method="POST",route="/scim/v2/{dir}/Users",status="201"} 1`,
			`directory_http_requests_total{method="GET",route="/scim/v2/{dir}/Users",status="200"} 2`,
			`directory_http_requests_total{method="GET",route="/scim/v2/{dir}/Users/{id}",status="404"} 1`,
			`directory_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
			`directory_http_request_duration_seconds_count{method="GET",route="/scim/v2/{dir}/Users",status="200"} 2`,
			`directory_sql_statements_per_request_count{method="POST",route="/scim/v2/{dir}/Users"} 1`,
			fmt.Sprintf(`directory_scim_operations_total{directory=%q,operation="create_user",outcome="ok"} 1`, dirID),
			fmt.Sprintf(`directory_scim_operations_total{directory=%q,operation="list_users",outcome="ok"} 2`, dirID),
			fmt.Sprintf(`directory_scim_operations_total{directory=%q,operation="get_user",outcome="client_error"} 1`, dirID),
			fmt.Sprintf(`go_sql_max_open_connections{db_name=%q}`, st.Dialect),
			`process_resident_memory_bytes`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		// A create is a transaction of several statements; a health check
		// touches no database.
		if n := metricValue(t, body, `directory_sql_statements_per_request_sum{method="POST",route="/scim/v2/{dir}/Users"}`); n < 3 || n > 60 {
			t.Errorf("POST /Users made %v statements; want a plausible 3..60", n)
		}
		if n := metricValue(t, body, `directory_sql_statements_per_request_sum{method="GET",route="/healthz"}`); n != 0 {
			t.Errorf("GET /healthz made %v statements; want 0", n)
		}
		if n := metricValue(t, body, `directory_http_request_duration_seconds_sum{method="POST",route="/scim/v2/{dir}/Users",status="201"}`); n <= 0 || n > 30 {
			t.Errorf("POST /Users took %vs in total", n)
		}
	})
}

// metricValue reads the value of one series line.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(series) + ` (\S+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no series %s", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("series %s: %v", series, err)
	}
	return v
}

// TestSimulateCommand: `directory simulate` provisions through the real
// server, verifies, and reports every operation.
func TestSimulateCommand(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	_, _, base, token := scimEnv(t, st)
	var out bytes.Buffer
	err := run(context.Background(), []string{"simulate", "--url", base, "--token", token,
		"--users", "12", "--groups", "3", "--concurrency", "2", "--duration", "300ms", "--seed", "9"}, &out)
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, out.String())
	}
	for _, want := range []string{"initial sync: 12 users, 3 groups", "create_user", "lookup_user", "failed 0", "verified"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("simulate printed no %q:\n%s", want, out.String())
		}
	}
	if err := run(context.Background(), []string{"simulate", "--url", base, "--token", "scim_wrong", "--users", "1", "--duration", "0s"}, &out); err == nil {
		t.Error("simulate with a wrong token succeeded")
	}
}
