package simulate_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/simulate"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// endpoint serves the real SCIM handler for a new JumpCloud directory and
// returns its SCIM base URL and token.
func endpoint(t *testing.T, st *store.Store) (dirID, url, token string) {
	t.Helper()
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
	mux := http.NewServeMux()
	mux.Handle(domain.SCIMPath, scim.NewHandler(st, scim.Options{}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return d.Directory.ID.String(), srv.URL + domain.SCIMPath + d.Directory.ID.String(), d.BearerToken
}

// TestSimulation runs a small sync and two seconds of churn on each
// database: no request fails, every kind of change happens, and the
// directory ends as the simulator says it left it, read back both over
// SCIM (Verify) and straight from the database.
func TestSimulation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		_, url, token := endpoint(t, st)
		var progress strings.Builder
		sim, err := simulate.New(simulate.Config{URL: url, Token: token, Users: 50, Groups: 5,
			Concurrency: 4, Duration: 2 * time.Second, Seed: 7, BatchSize: 8, Progress: &progress})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		rep, err := sim.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		rep.Print(&out)
		t.Logf("report:\n%s", out.String())
		if rep.Failures() != 0 {
			t.Fatalf("%d requests failed:\n%s", rep.Failures(), out.String())
		}
		for op, want := range map[string]int{"lookup_user": 50, "create_user": 50, "lookup_group": 5, "create_group": 5,
			"patch_add_members": 5 * 2} { // 10 members per group in batches of 8
			if got := rep.Op(op).Count; got != want {
				t.Errorf("%s sent %d times; want %d", op, got, want)
			}
		}
		for _, op := range []string{"put_user", "patch_user", "deactivate_user", "rename_user", "rename_group",
			"patch_add_member", "disassociate_group"} {
			if rep.Op(op).Count == 0 {
				t.Errorf("churn never ran %s in 2s", op)
			}
			if s := rep.Op(op); s.Count > 0 && (s.P50 <= 0 || s.P99 < s.P50) {
				t.Errorf("%s latencies p50 %v p99 %v", op, s.P50, s.P99)
			}
		}
		if rep.Sync <= 0 || rep.Churn < 2*time.Second {
			t.Errorf("sync took %v, churn %v", rep.Sync, rep.Churn)
		}
		if err := sim.Verify(ctx); err != nil {
			t.Fatal(err)
		}

		// The database agrees, counted without SCIM.
		pctx := access.PlatformContext(ctx)
		if n := st.Client.User.Query().CountX(pctx); n != 50 {
			t.Errorf("database holds %d users; want 50", n)
		}
		if n := st.Client.User.Query().Where(user.Active(true)).CountX(pctx); n != sim.ActiveUsers() {
			t.Errorf("database holds %d active users; the simulator left %d", n, sim.ActiveUsers())
		}
		if n := st.Client.Group.Query().CountX(pctx); n != 5 {
			t.Errorf("database holds %d groups; want 5", n)
		}
		total := 0
		for j := range 5 {
			total += sim.MemberCount(j)
		}
		if n := st.Client.Membership.Query().CountX(pctx); n != total {
			t.Errorf("database holds %d memberships; the simulator left %d", n, total)
		}
		if !strings.Contains(progress.String(), "requests") {
			t.Errorf("no progress line written: %q", progress.String())
		}
	})
}

// TestVerifyNoticesDrift: a change made behind the simulator's back is
// reported, so Verify can fail.
func TestVerifyNoticesDrift(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	_, url, token := endpoint(t, st)
	sim, err := simulate.New(simulate.Config{URL: url, Token: token, Users: 6, Groups: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := sim.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sim.Verify(ctx); err != nil {
		t.Fatalf("fresh sync: %v", err)
	}
	pctx := domain.Seeding(access.PlatformContext(ctx)) // a change behind the operations' back, on purpose
	st.Client.Membership.Delete().Where(membership.HasUserWith(user.UserNameContains("u000000"))).ExecX(pctx)
	err = sim.Verify(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 members missing") {
		t.Fatalf("Verify after removing a membership behind its back: %v", err)
	}
}

// TestSyncAdoptsExistingUsers: a second sync with the same seed finds every
// user by its userName and creates nothing.
func TestSyncAdoptsExistingUsers(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	_, url, token := endpoint(t, st)
	cfg := simulate.Config{URL: url, Token: token, Users: 10, Groups: 2, Seed: 3}
	if _, err := simulate.Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	rep, err := simulate.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Op("create_user").Count != 0 || rep.Op("put_user").Count != 10 || rep.Failures() != 0 {
		t.Fatalf("second sync: create_user %d put_user %d failures %d; want 0, 10, 0",
			rep.Op("create_user").Count, rep.Op("put_user").Count, rep.Failures())
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []simulate.Config{
		{Token: "t", Users: 1},
		{URL: "http://x", Users: 1},
		{URL: "http://x", Token: "t", Users: 0},
	} {
		if _, err := simulate.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{ms(5), 0.99, 5 * time.Millisecond},
		{ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10 * time.Millisecond},
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.5, 5 * time.Millisecond},
	} {
		if got := simulate.Percentile(tc.in, tc.q); got != tc.want {
			t.Errorf("Percentile(%v, %v) = %v; want %v", tc.in, tc.q, got, tc.want)
		}
	}
}
