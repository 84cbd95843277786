package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestSCIMOperation(t *testing.T) {
	for _, tc := range []struct{ pattern, method, want string }{
		{"/scim/v2/{dir}/Users", "GET", "list_users"},
		{"/scim/v2/{dir}/Users", "POST", "create_user"},
		{"/scim/v2/{dir}/Users/{id}", "GET", "get_user"},
		{"/scim/v2/{dir}/Users/{id}", "PUT", "replace_user"},
		{"/scim/v2/{dir}/Users/{id}", "PATCH", "patch_user"},
		{"/scim/v2/{dir}/Users/{id}", "DELETE", "delete_user"},
		{"/scim/v2/{dir}/Users/.search", "POST", "search_users"},
		{"/scim/v2/{dir}/Groups", "POST", "create_group"},
		{"/scim/v2/{dir}/Groups/{id}", "PATCH", "patch_group"},
		{"/scim/v2/{dir}/.search", "POST", "search"},
		{"/scim/v2/{dir}/ServiceProviderConfig", "GET", "discovery"},
		{"/scim/v2/{dir}/", "GET", ""},
		{"/scim/v2/{dir}/Users", "DELETE", ""},
		{"/graphql", "POST", ""},
		{"", "GET", ""},
	} {
		if got := scimOperation(tc.pattern, tc.method); got != tc.want {
			t.Errorf("scimOperation(%q, %s) = %q; want %q", tc.pattern, tc.method, got, tc.want)
		}
	}
}

// TestMiddleware: requests are counted by the pattern the inner mux
// matched, their status and statements; SCIM operations by directory,
// with the directory label bounded.
func TestMiddleware(t *testing.T) {
	m := New()
	inner := http.NewServeMux()
	inner.HandleFunc("/scim/v2/{dir}/Users/{id}", func(w http.ResponseWriter, r *http.Request) {
		for range 3 {
			count(r.Context()) // three statements
		}
		if r.PathValue("id") == "missing" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		io.WriteString(w, "{}")
	})
	inner.HandleFunc("/scim/v2/{dir}/Groups", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	outer := http.NewServeMux()
	outer.Handle("/scim/v2/", inner)
	outer.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewServer(m.Middleware(outer))
	defer srv.Close()
	get := func(path string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	get("/scim/v2/d1/Users/a")
	get("/scim/v2/d1/Users/b")
	get("/scim/v2/d1/Users/missing")
	get("/scim/v2/d2/Groups")
	get("/healthz")
	get("/nowhere")

	route := "/scim/v2/{dir}/Users/{id}"
	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"200 users", testutil.ToFloat64(m.requests.WithLabelValues(route, "GET", "200")), 2},
		{"404 users", testutil.ToFloat64(m.requests.WithLabelValues(route, "GET", "404")), 1},
		{"healthz", testutil.ToFloat64(m.requests.WithLabelValues("/healthz", "GET", "200")), 1},
		{"unmatched", testutil.ToFloat64(m.requests.WithLabelValues("unmatched", "GET", "404")), 1},
		{"scim ok", testutil.ToFloat64(m.scimOps.WithLabelValues("d1", "get_user", "ok")), 2},
		{"scim 404", testutil.ToFloat64(m.scimOps.WithLabelValues("d1", "get_user", "client_error")), 1},
		{"401 not a scim op", float64(testutil.CollectAndCount(m.scimOps)), 2},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v; want %v", tc.name, tc.got, tc.want)
		}
	}
	out, err := testutil.CollectAndLint(m.statements)
	if err != nil || len(out) > 0 {
		t.Errorf("statements histogram lint: %v %v", out, err)
	}
	body := scrape(t, m)
	for _, want := range []string{
		`directory_sql_statements_per_request_sum{method="GET",route="/scim/v2/{dir}/Users/{id}"} 9`,
		`directory_sql_statements_per_request_count{method="GET",route="/scim/v2/{dir}/Users/{id}"} 3`,
		`directory_http_request_duration_seconds_count{method="GET",route="/scim/v2/{dir}/Users/{id}",status="200"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestDirectoryLabelIsBounded(t *testing.T) {
	m := New()
	for i := range MaxDirectories {
		if got := m.directoryLabel(fmt.Sprint("d", i)); got != fmt.Sprint("d", i) {
			t.Fatalf("directory %d labelled %q", i, got)
		}
	}
	if got := m.directoryLabel("one-too-many"); got != "other" {
		t.Errorf("directory beyond the bound labelled %q; want other", got)
	}
	if got := m.directoryLabel("d7"); got != "d7" {
		t.Errorf("a known directory labelled %q after the bound", got)
	}
}

// TestCountStatements: queries, raw SQL and a transaction's BEGIN,
// statements and COMMIT are counted against the context, on both
// databases; the pool collector reports the pool.
func TestCountStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		st.Instrument(CountStatements)
		ctx, n := withCounter(access.PlatformContext(context.Background()))
		if _, err := st.Client.Organization.Query().Count(ctx); err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("one count query: %d statements", got)
		}
		rows, err := st.Client.QueryContext(ctx, "SELECT 1")
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if got := n.Load(); got != 2 {
			t.Errorf("after raw SQL: %d statements; want 2", got)
		}
		tx, err := st.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Organization.Create().SetName("Acme").SetSlug("acme").Save(domain.Seeding(ctx)); err != nil { // a fixture
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		// BEGIN, the INSERT (and whatever hooks read), COMMIT.
		if got := n.Load(); got < 5 {
			t.Errorf("after a transaction of one insert: %d statements; want at least 5", got)
		}
		if got, ok := StatementsIn(ctx); !ok || got != n.Load() {
			t.Errorf("StatementsIn = %d, %v", got, ok)
		}
		if _, ok := StatementsIn(context.Background()); ok {
			t.Error("StatementsIn counts outside a request")
		}

		m := New()
		if err := m.WatchDB(st.DB, st.Dialect); err != nil {
			t.Fatal(err)
		}
		if body := scrape(t, m); !strings.Contains(body, `go_sql_open_connections{db_name="`+st.Dialect+`"}`) {
			t.Errorf("no pool metrics in\n%s", grep(body, "go_sql"))
		}
	})
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d", rec.Code)
	}
	return rec.Body.String()
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestWatchRequestLog(t *testing.T) {
	m := New()
	written, dropped := uint64(7), uint64(2)
	m.WatchRequestLog(func() uint64 { return written }, func() uint64 { return dropped })
	want := `
# HELP directory_scim_request_log_dropped_total SCIM requests the request log dropped: its buffer was full, or their write failed.
# TYPE directory_scim_request_log_dropped_total counter
directory_scim_request_log_dropped_total 2
# HELP directory_scim_request_log_written_total SCIM requests written to the directories' request logs.
# TYPE directory_scim_request_log_written_total counter
directory_scim_request_log_written_total 7
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"directory_scim_request_log_dropped_total", "directory_scim_request_log_written_total"); err != nil {
		t.Fatal(err)
	}
}
