//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/simulate"
)

// Sizes and timings: small enough for the whole test to stay well under
// 10 minutes on two cores.
const (
	users, groups  = 500, 10
	simConcurrency = 8
	drain          = 1500 * time.Millisecond
	webhookWait    = 90 * time.Second // for redelivery after the kill (the lease)
	churnFor       = 30 * time.Second // the faults take about 20 s of it
)

// window is a span of the run during which a fault was under way.
type window struct {
	name       string
	start, end time.Time
}

func (w window) holds(t time.Time) bool { return !t.Before(w.start) && !t.After(w.end) }

func TestCluster(t *testing.T) {
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	t.Logf("built %s in %v", bin, time.Since(began).Round(time.Millisecond))

	// PostgreSQL, and PgBouncer in transaction pooling mode in front of it.
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	t.Cleanup(func() { pg.Stop() })
	direct, err := pg.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bouncer, err := pgtest.StartPgBouncer(direct, "transaction")
	if err != nil {
		t.Fatalf("pgbouncer: %v", err)
	}
	t.Cleanup(func() { bouncer.Close() })
	pooled := bouncer.DSN(direct)

	// Three replicas, started at once on the empty database.
	var replicas []*replica
	for i := range 3 {
		replicas = append(replicas, &replica{name: fmt.Sprintf("r%d", i+1), port: freePort(t), bin: bin, dir: dir})
	}
	lb := startHAProxy(t, dir, replicas)
	for _, r := range replicas {
		r.args = []string{"--database-url", pooled, "--listen-database-url", direct,
			"--public-url", lb.url(), "--webhook-allow-private", "--webhook-poll", "250ms",
			"--graphql-rate-limit", "-1", "--shutdown-drain", drain.String(), "--shutdown-grace", "10s"}
		t.Cleanup(r.stop)
	}
	failed := true
	t.Cleanup(func() {
		if failed {
			for _, r := range replicas {
				t.Logf("--- %s log tail:\n%s", r.name, r.logTail())
			}
			b, _ := os.ReadFile(bouncer.LogPath())
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			t.Logf("--- pgbouncer log tail:\n%s", b)
		}
	})
	for _, r := range replicas {
		if err := r.start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range replicas {
		if err := r.ready(60 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	keyRE := regexp.MustCompile(`dk_[A-Za-z0-9_-]{43}`)
	var key string
	created := 0
	for _, r := range replicas {
		switch b := r.banner(); {
		case strings.Contains(b, "This server created the platform API key"):
			created++
			key = keyRE.FindString(b)
		case !strings.Contains(b, "this server did not create an API key"):
			t.Errorf("%s printed no banner about the platform key:\n%s", r.name, b)
		}
	}
	if created != 1 || key == "" {
		t.Fatalf("%d of 3 replicas started at once created a platform key; want exactly 1", created)
	}
	for _, r := range replicas {
		if err := lb.waitState(ctx, r.name, "UP", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}

	// The organization, its webhook endpoint and a JumpCloud directory.
	reqs := &requestLog{}
	httpc := func(kind string, conns int) *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = conns
		return &http.Client{Transport: &recording{kind: kind, log: reqs, next: tr}, Timeout: 30 * time.Second}
	}
	admin := &gqlClient{url: lb.url(), key: key, http: &http.Client{Timeout: 30 * time.Second}}
	var org struct {
		CreateOrganization struct{ ID string } `json:"createOrganization"`
	}
	if err := admin.do(ctx, `mutation { createOrganization(input: {name: "Cluster"}) { id } }`, nil, &org); err != nil {
		t.Fatal(err)
	}
	orgID := org.CreateOrganization.ID
	hooks := &receiver{}
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)
	var wh struct {
		WebhookEndpointCreate struct {
			WebhookEndpoint *struct{ ID string } `json:"webhookEndpoint"`
			UserErrors      []struct{ Message string }
		} `json:"webhookEndpointCreate"`
	}
	if err := admin.do(ctx, `mutation($org: ID!, $url: String!) { webhookEndpointCreate(input: {organizationID: $org, url: $url}) {
		webhookEndpoint { id } userErrors { message } } }`, map[string]any{"org": orgID, "url": hookSrv.URL + "/hooks"}, &wh); err != nil || wh.WebhookEndpointCreate.WebhookEndpoint == nil {
		t.Fatalf("webhookEndpointCreate: %v %+v", err, wh)
	}
	before, err := allEvents(ctx, admin, orgID)
	if err != nil {
		t.Fatal(err)
	}
	var dirRes struct {
		CreateDirectory struct {
			ScimEndpoint string `json:"scimEndpoint"`
			BearerToken  string `json:"bearerToken"`
		} `json:"createDirectory"`
	}
	if err := admin.do(ctx, `mutation($org: ID!) { createDirectory(input: {organizationID: $org, provider: JUMPCLOUD}) { scimEndpoint bearerToken } }`,
		map[string]any{"org": orgID}, &dirRes); err != nil {
		t.Fatal(err)
	}

	// Consumers: two subscribers, a GraphQL reader, the webhook receiver.
	consumeCtx, stopConsumers := context.WithCancel(ctx)
	defer stopConsumers()
	var consumers sync.WaitGroup
	subs := []*subscriber{
		{name: "subscriber A", url: lb.url(), key: key, org: orgID},
		{name: "subscriber B", url: lb.url(), key: key, org: orgID},
	}
	for _, s := range subs {
		consumers.Go(func() { s.run(consumeCtx) })
	}
	reader := &gqlClient{url: lb.url(), key: key, http: httpc("graphql_read", 2)}
	consumers.Go(func() {
		for consumeCtx.Err() == nil {
			start := time.Now()
			err := reader.do(consumeCtx, `query($id: ID!) { node(id: $id) { ... on Organization { users(first: 20) { edges { node { id userName } } } } } }`,
				map[string]any{"id": orgID}, nil)
			if err != nil && consumeCtx.Err() == nil && !strings.Contains(err.Error(), "graphql: status") {
				// An error in a 200 answer (the status is logged already).
				reqs.add(request{kind: "graphql_error", method: http.MethodPost, start: start, end: time.Now()})
			}
			select {
			case <-consumeCtx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	})

	// The provisioning simulator: the initial sync, then churn while the
	// faults happen.
	sim, err := simulate.New(simulate.Config{URL: dirRes.CreateDirectory.ScimEndpoint, Token: dirRes.CreateDirectory.BearerToken,
		Users: users, Groups: groups, Concurrency: simConcurrency, Seed: 18, HTTPClient: httpc("scim", simConcurrency)})
	if err != nil {
		t.Fatal(err)
	}
	syncStart := time.Now()
	if err := sim.Sync(ctx); err != nil {
		t.Fatalf("initial sync: %v", err)
	}
	syncEnd := time.Now()
	// Churn runs for a set time, not until cancelled: the simulator stops
	// between changes, so that its model knows the outcome of each.
	churnDone := make(chan struct{})
	churnStart := time.Now()
	go func() { defer close(churnDone); sim.Churn(ctx, churnFor) }()

	var windows []window
	fault := func(name string, f func() error) {
		w := window{name: name, start: time.Now()}
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w.end = time.Now()
		windows = append(windows, w)
		t.Logf("%s: %v", name, w.end.Sub(w.start).Round(time.Millisecond))
		time.Sleep(2 * time.Second) // traffic between faults
	}
	time.Sleep(3 * time.Second)
	// (a) kill -9 one replica, then start it again.
	fault("kill -9 r2 and restart", func() error {
		if err := replicas[1].signal(syscall.SIGKILL, 10*time.Second); err != nil {
			return err
		}
		time.Sleep(time.Second)
		if err := replicas[1].start(); err != nil {
			return err
		}
		if err := replicas[1].ready(30 * time.Second); err != nil {
			return err
		}
		return lb.waitState(ctx, "r2", "UP", 10*time.Second)
	})
	// (b) the rolling restart: SIGTERM, wait, start, back in rotation.
	fault("rolling restart", func() error {
		for _, r := range replicas {
			if err := r.signal(syscall.SIGTERM, 30*time.Second); err != nil {
				return err
			}
			if err := r.start(); err != nil {
				return err
			}
			if err := r.ready(30 * time.Second); err != nil {
				return err
			}
			if err := lb.waitState(ctx, r.name, "UP", 10*time.Second); err != nil {
				return err
			}
		}
		return nil
	})
	// (c) restart PgBouncer (safe shutdown: transactions in flight finish).
	fault("pgbouncer restart", func() error {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := bouncer.Shutdown(sctx); err != nil {
			return err
		}
		return bouncer.Start()
	})
	<-churnDone
	churnEnd := time.Now()

	// Quiet: wait for the consumers to catch up with every event.
	final, err := allEvents(ctx, admin, orgID)
	if err != nil {
		t.Fatal(err)
	}
	for {
		time.Sleep(time.Second)
		again, err := allEvents(ctx, admin, orgID)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) == len(final) {
			break
		}
		final = again
	}
	caughtUp := func(d time.Duration, ok func() bool) bool {
		deadline := time.Now().Add(d)
		for !ok() {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(200 * time.Millisecond)
		}
		return true
	}
	if !caughtUp(30*time.Second, func() bool { return subs[0].count() >= len(final) && subs[1].count() >= len(final) }) {
		t.Errorf("subscribers got %d and %d of %d events within 30 s", subs[0].count(), subs[1].count(), len(final))
	}
	wantHooks := final[len(before):]
	webhooksInTime := caughtUp(webhookWait, func() bool { return hooks.distinct() >= len(wantHooks) })
	stopConsumers()
	consumers.Wait()

	// Check: every acknowledged SCIM write is in the database.
	verifyErr := sim.Verify(ctx)
	all := reqs.all()
	ambiguous := 0 // writes whose outcome the client could not know
	for _, r := range all {
		if r.kind == "scim" && r.method != http.MethodGet && (r.status == 0 || r.status >= 500) {
			ambiguous++
		}
	}
	if verifyErr != nil {
		if ambiguous == 0 {
			t.Errorf("acknowledged SCIM writes missing or different: %v", verifyErr)
		} else {
			t.Logf("the model differs from the database, with %d writes of unknown outcome (no response or 5xx) during faults; the differences: %v", ambiguous, verifyErr)
		}
	}

	// Check: each subscriber got every event exactly once, in order.
	index := map[string]int{}
	for i, e := range final {
		index[e.Cursor] = i
	}
	for _, s := range subs {
		seen := map[string]int{}
		for _, g := range s.got {
			seen[g.Cursor]++
		}
		dups, unknown := 0, 0
		for c, n := range seen {
			dups += n - 1
			if _, ok := index[c]; !ok {
				unknown++
			}
		}
		inOrder := len(s.got) == len(final)
		for i := 0; inOrder && i < len(final); i++ {
			inOrder = s.got[i].Cursor == final[i].Cursor
		}
		if dups > 0 || unknown > 0 || !inOrder {
			t.Errorf("%s: %d events for %d in the database, %d duplicates, %d unknown, in order and gap-free: %v",
				s.name, len(s.got), len(final), dups, unknown, inOrder)
		}
	}

	// Check: webhooks at least once, duplicates only under one webhook-id,
	// in order per subject.
	ids := map[string]map[string]bool{}
	firstAt := map[string]time.Time{}
	for _, g := range hooks.got {
		if ids[g.Cursor] == nil {
			ids[g.Cursor] = map[string]bool{}
			firstAt[g.Cursor] = g.at
		}
		ids[g.Cursor][g.webhookID] = true
	}
	hookMissing, hookDups, mixedIDs := 0, len(hooks.got)-len(ids), 0
	for _, e := range wantHooks {
		if ids[e.Cursor] == nil {
			hookMissing++
		}
	}
	for _, set := range ids {
		if len(set) > 1 {
			mixedIDs++
		}
	}
	if mixedIDs > 0 {
		t.Errorf("webhooks: %d events delivered under more than one webhook-id", mixedIDs)
	}
	outOfOrder := 0
	lastBySubject := map[string]int{}
	byFirst := append([]received(nil), hooks.got...)
	slices.SortStableFunc(byFirst, func(a, b received) int { return a.at.Compare(b.at) })
	done := map[string]bool{}
	for _, g := range byFirst {
		if done[g.Cursor] {
			continue
		}
		done[g.Cursor] = true
		i, ok := index[g.Cursor]
		if !ok {
			continue
		}
		if last, ok := lastBySubject[g.SubjectID]; ok && i < last {
			outOfOrder++
		}
		lastBySubject[g.SubjectID] = max(lastBySubject[g.SubjectID], i)
	}
	// Lease timing is another change's work (webhook leases): what it
	// costs here is reported, not failed.
	if hookMissing > 0 || !webhooksInTime {
		t.Logf("REPORTED, NOT FAILED (webhook lease timing): %d of %d events not delivered within %v of the end", hookMissing, len(wantHooks), webhookWait)
	}
	if outOfOrder > 0 {
		t.Logf("REPORTED, NOT FAILED (webhook lease timing): %d deliveries arrived before an earlier event of their subject", outOfOrder)
	}

	// Check: no request failed during the rolling restart; count the rest.
	failedIn := map[string]int{}
	var rolling window
	for _, w := range windows {
		if w.name == "rolling restart" {
			rolling = w
		}
	}
	for _, r := range all {
		if r.status != 0 && r.status < 400 {
			continue
		}
		named := "outside faults"
		for _, w := range windows {
			if w.holds(r.start) || w.holds(r.end) {
				named = w.name
			}
		}
		failedIn[named]++
	}
	if failedIn["rolling restart"] > 0 {
		t.Errorf("%d requests failed (no response, 4xx or 5xx) during the rolling restart", failedIn["rolling restart"])
	}
	// A replica stopping with SIGTERM closes its WebSockets with a close
	// frame; only the SIGKILL and PgBouncer may break one.
	for _, s := range subs {
		for _, d := range s.disconnects {
			if rolling.holds(d.at) && d.code != 1000 && d.code != 1001 {
				t.Errorf("%s: connection ended during the rolling restart without a close frame (code %d): %v", s.name, d.code, d.err)
			}
		}
	}

	// The table.
	lat := func(kind string, from, to time.Time) (n int, p50, p99 time.Duration) {
		var ds []time.Duration
		for _, r := range all {
			if r.kind == kind && !r.start.Before(from) && !r.start.After(to) {
				ds = append(ds, r.end.Sub(r.start))
			}
		}
		p50, p99 = percentiles(ds)
		return len(ds), p50, p99
	}
	writes := func(from, to time.Time) int {
		n := 0
		for _, r := range all {
			if r.kind == "scim" && r.method != http.MethodGet && r.status >= 200 && r.status < 300 && !r.start.Before(from) && !r.start.After(to) {
				n++
			}
		}
		return n
	}
	lag := func(got []received) (n int, p50, p99 time.Duration) {
		var ds []time.Duration
		seen := map[string]bool{}
		for _, g := range got {
			if seen[g.Cursor] || g.CreatedAt.IsZero() {
				continue
			}
			seen[g.Cursor] = true
			ds = append(ds, g.at.Sub(g.CreatedAt))
		}
		p50, p99 = percentiles(ds)
		return len(ds), p50, p99
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "what\tcount\tp50\tp99\t")
	row := func(name string, n int, p50, p99 time.Duration) {
		fmt.Fprintf(tw, "%s\t%d\t%v\t%v\t\n", name, n, p50.Round(100*time.Microsecond), p99.Round(100*time.Microsecond))
	}
	n, p50, p99 := lat("scim", syncStart, syncEnd)
	row("SCIM requests, initial sync", n, p50, p99)
	n, p50, p99 = lat("scim", churnStart, churnEnd)
	row("SCIM requests, churn under faults", n, p50, p99)
	n, p50, p99 = lat("scim", rolling.start, rolling.end)
	row("SCIM requests, rolling restart", n, p50, p99)
	n, p50, p99 = lat("graphql_read", began, time.Now())
	row("GraphQL reads", n, p50, p99)
	for _, s := range subs {
		n, p50, p99 = lag(s.got)
		row(s.name+" delivery lag", n, p50, p99)
	}
	n, p50, p99 = lag(hooks.got)
	row("webhook delivery lag (first receipt)", n, p50, p99)
	tw.Flush()
	syncWrites, churnWrites := writes(syncStart, syncEnd), writes(churnStart, churnEnd)
	fmt.Fprintf(&b, "\nwrites/s through the cluster: initial sync %.0f (%d in %v), churn under faults %.0f (%d in %v)\n",
		float64(syncWrites)/syncEnd.Sub(syncStart).Seconds(), syncWrites, syncEnd.Sub(syncStart).Round(time.Millisecond),
		float64(churnWrites)/churnEnd.Sub(churnStart).Seconds(), churnWrites, churnEnd.Sub(churnStart).Round(time.Millisecond))
	fmt.Fprintf(&b, "events: %d in the database (%d before the directory); subscribers got %d and %d (reconnects %d and %d, close codes %v and %v)\n",
		len(final), len(before), subs[0].count(), subs[1].count(), subs[0].connects-1, subs[1].connects-1, subs[0].closeCodes, subs[1].closeCodes)
	fmt.Fprintf(&b, "webhooks: %d deliveries of %d distinct events (%d expected): %d missing, %d duplicates (same webhook-id), %d under another webhook-id, %d out of order per subject\n",
		len(hooks.got), len(ids), len(wantHooks), hookMissing, hookDups, mixedIDs, outOfOrder)
	fmt.Fprintf(&b, "failed requests (no response, 4xx or 5xx): %v; SCIM writes of unknown outcome: %d; acknowledged writes verified: %v\n",
		failedIn, ambiguous, verifyErr == nil)
	for _, w := range windows {
		fmt.Fprintf(&b, "fault %-24s %v\n", w.name+":", w.end.Sub(w.start).Round(time.Millisecond))
	}
	for _, e := range replicaErrors(replicas, 6) {
		fmt.Fprintf(&b, "replica log error: %s\n", e)
	}
	fmt.Fprintf(&b, "total %v\n", time.Since(began).Round(time.Second))
	fmt.Fprint(os.Stdout, "\n"+b.String())
	failed = t.Failed()
}

// replicaErrors returns the most frequent errors the replicas logged, with
// their counts.
func replicaErrors(replicas []*replica, n int) []string {
	counts := map[string]int{}
	errRE := regexp.MustCompile(`level=ERROR msg="([^"]*)".* err="(.*)"$`)
	idRE := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|:\d{4,5}\b`)
	for _, r := range replicas {
		b, _ := os.ReadFile(filepath.Join(r.dir, r.name+".log"))
		for _, line := range strings.Split(string(b), "\n") {
			if m := errRE.FindStringSubmatch(line); m != nil {
				counts[idRE.ReplaceAllString(m[1]+": "+m[2], "…")]++
			}
		}
	}
	var out []string
	for e, c := range counts {
		out = append(out, fmt.Sprintf("%5d× %s", c, e))
	}
	slices.Sort(out)
	slices.Reverse(out)
	if len(out) > n {
		out = out[:n]
	}
	return out
}
