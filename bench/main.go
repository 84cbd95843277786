// Command bench is `make bench`: it runs the directory binary on SQLite (a
// temporary folder) and on a PostgreSQL it starts itself, seeds each with
// the provisioning simulator (the initial-sync figure) and with direct
// inserts, drives the hot requests with an in-process load generator at 1
// and 16 clients, measures baselines on the same database in the same run
// (a bare net/http handler running GET by id's single-row select; its
// write twin, a bare handler inserting a user and its event in one
// statement; and a raw insert loop, the database's own ceiling), and
// writes one Markdown table and a PNG chart under bench/results/.
//
//	go run ./bench -bin bin/directory          full run (1,000 and 100,000 users; reads at 1,000,000)
//	BENCH_QUICK=1 go run ./bench -bin ...      1,000 users, short runs (CI)
//
// Environment: BENCH_QUICK=1, BENCH_DBS=sqlite,postgres (which databases),
// BENCH_DURATION=2s (per measurement), BENCH_OUT=bench/results,
// BENCH_HOSTILE=0 (skip the hostile-callers phase), BENCH_HOSTILE_USERS=40000
// (the users of the hostile phase's large fixture: its group holds them
// all; default 40,000, 10,000 with BENCH_QUICK). For a quick look at a few
// rows while working on them: BENCH_ROWS=get_user,bare_get (the row ids
// of results.go; only those rows run, no initial sync unless "sync" is
// named) and BENCH_SIZES=1000,100000 (the fixtures' users).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/simulate"
	"github.com/acme/directory/store"
)

// plan is what one run measures.
type plan struct {
	quick      bool
	dbs        []string
	sizes      []int         // users per fixture
	dur        time.Duration // per rate measurement
	clients    []int
	syncUsers  int
	syncGroups int
	out        string
	bin        string
	// hostileUsers are the users (and the largest group's members) of the
	// fixture the cost bomb and the never-reading clients attack.
	hostileUsers int
	// only, when set, are the rows to run (BENCH_ROWS); nil runs them all.
	only map[string]bool
}

// runs reports whether the plan measures row.
func (p plan) runs(row string) bool { return p.only == nil || p.only[row] }

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := plan{dbs: []string{"sqlite", "postgres"}, clients: []int{1, 16}, out: "bench/results"}
	flag.StringVar(&p.bin, "bin", "bin/directory", "the directory binary to measure")
	flag.Parse()
	p.quick = os.Getenv("BENCH_QUICK") == "1" || os.Getenv("BENCH_QUICK") == "true"
	if p.quick {
		p.sizes, p.dur, p.syncUsers, p.syncGroups = []int{1000}, 400*time.Millisecond, 1000, 10
	} else {
		p.sizes, p.dur, p.syncUsers, p.syncGroups = []int{1000, 100000, millionUsers}, 1500*time.Millisecond, 10000, 50
	}
	p.hostileUsers = 40000
	if p.quick {
		p.hostileUsers = 10000
	}
	if v := os.Getenv("BENCH_HOSTILE_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "bench: BENCH_HOSTILE_USERS: want a positive number")
			os.Exit(2)
		}
		p.hostileUsers = n
	}
	if v := os.Getenv("BENCH_ROWS"); v != "" {
		p.only = map[string]bool{}
		for _, r := range strings.Split(v, ",") {
			if _, ok := rows[r]; !ok {
				fmt.Fprintf(os.Stderr, "bench: BENCH_ROWS: no row %q\n", r)
				os.Exit(2)
			}
			p.only[r] = true
		}
	}
	if v := os.Getenv("BENCH_SIZES"); v != "" {
		p.sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 {
				fmt.Fprintln(os.Stderr, "bench: BENCH_SIZES: want positive numbers")
				os.Exit(2)
			}
			p.sizes = append(p.sizes, n)
		}
	}
	if v := os.Getenv("BENCH_DBS"); v != "" {
		p.dbs = strings.Split(v, ",")
	}
	if v := os.Getenv("BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: BENCH_DURATION:", err)
			os.Exit(2)
		}
		p.dur = d
	}
	if v := os.Getenv("BENCH_OUT"); v != "" {
		p.out = v
	}
	if err := run(ctx, p); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, p plan) error {
	bin, err := filepath.Abs(p.bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("no server binary (run make build first): %w", err)
	}
	res := newResults(p)
	started := time.Now()
	for _, db := range p.dbs {
		t0 := time.Now()
		if err := runDB(ctx, p, bin, db, res); err != nil {
			return fmt.Errorf("%s: %w", db, err)
		}
		fmt.Fprintf(os.Stderr, "bench: %s done in %s\n", db, time.Since(t0).Round(time.Second))
	}
	res.total = time.Since(started)
	table := res.markdown()
	fmt.Println(table)
	if probe, rss, fails := res.hostileWorst(); len(res.hostile) > 0 {
		fmt.Fprintf(os.Stderr, "bench: under every hostile caller: worst probe %s, %d probes failed, largest RSS %s\n",
			fmtDur(probe), fails, mib(rss))
	}
	if err := os.MkdirAll(p.out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.out, "latest.md"), []byte(table), 0o644); err != nil {
		return err
	}
	png, err := res.chart()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.out, "latest.png"), png, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s and %s in %s\n", filepath.Join(p.out, "latest.md"),
		filepath.Join(p.out, "latest.png"), res.total.Round(time.Second))
	if res.failures > 0 {
		return fmt.Errorf("%d measurement(s) had failed requests (see the table)", res.failures)
	}
	return nil
}

// runDB measures one database from empty to the end.
func runDB(ctx context.Context, p plan, bin, db string, res *results) error {
	work, err := os.MkdirTemp("", "bench-"+db+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var dbURL, dataDir string
	var dbArgs []string
	switch db {
	case "sqlite":
		dataDir = filepath.Join(work, "data")
		dbArgs = []string{"--data-dir", dataDir}
	case "postgres":
		pg, err := pgtest.Start()
		if err != nil {
			return err
		}
		defer pg.Stop()
		if dbURL, err = pg.CreateDatabase(ctx); err != nil {
			return err
		}
		dbArgs = []string{"--database-url", dbURL}
	default:
		return fmt.Errorf("unknown database %q (sqlite, postgres)", db)
	}

	// Seed by direct inserts before the server starts.
	progress("%s: seeding %v users by direct inserts", db, p.sizes)
	st, err := store.Open(ctx, dbURL, dataDir)
	if err != nil {
		return err
	}
	// The baselines' own connection pool to the same database; it also
	// seeds the million users.
	raw, err := openRaw(dbURL, dataDir)
	if err != nil {
		st.Close()
		return err
	}
	defer raw.Close()
	var fixtures []*fixture
	for _, n := range p.sizes {
		var via *sql.DB
		if n >= millionUsers {
			via = raw
		}
		t0 := time.Now()
		f, err := seed(ctx, st, n, via)
		progress("%s: seeded %d users in %s", db, n, time.Since(t0).Round(time.Second))
		if err != nil {
			st.Close()
			return err
		}
		fixtures = append(fixtures, f)
	}
	var large *fixture
	if os.Getenv("BENCH_HOSTILE") != "0" {
		progress("%s: seeding the hostile phase's %d users and %d-member group", db, p.hostileUsers, p.hostileUsers)
		if large, err = seed(ctx, st, p.hostileUsers, nil); err != nil {
			st.Close()
			return err
		}
	}
	_, syncDir, syncToken, _, err := newOrg(accessCtx(ctx), domain.New(st.Client, st.Dialect), "Bench sync")
	if err == nil {
		err = analyze(ctx, st)
	}
	st.Close()
	if err != nil {
		return err
	}

	srv, err := startServer(ctx, bin, work, dbArgs...)
	if err != nil {
		return err
	}
	defer srv.stop()
	hc := simulate.NewHTTPClient(32)

	// The initial sync, through the simulator.
	if p.runs(rowSync) {
		progress("%s: initial sync of %d users and %d groups through the simulator", db, p.syncUsers, p.syncGroups)
		rep, err := simulate.Run(ctx, simulate.Config{URL: srv.url + domain.SCIMPath + syncDir.String(), Token: syncToken,
			Users: p.syncUsers, Groups: p.syncGroups, Concurrency: 8, Seed: 1, HTTPClient: hc})
		if err != nil {
			return err
		}
		res.put(rowSync, 0, db, 1, measurement{requests: rep.Requests(), errors: rep.Failures(), elapsed: rep.Sync,
			p50: rep.Op("create_user").P50, p99: rep.Op("create_user").P99, once: true})
	}

	bare, bareURL, err := serveBare(raw, db == "postgres")
	if err != nil {
		return err
	}
	defer bare.Close()

	for _, f := range fixtures {
		if err := measureFixture(ctx, p, hc, srv, db, f, bareURL, res); err != nil {
			return err
		}
		rss, peak := srv.memory()
		res.memory[memKey{db, f.users}] = [2]int64{rss, peak}
	}
	if os.Getenv("BENCH_HOSTILE") != "0" {
		probeURL := srv.url + domain.SCIMPath + syncDir.String() + "/Users?count=1"
		hostile(ctx, p, srv, db, fixtures[0], large, probeURL, syncToken, res)
		progress("%s: hostile: %s", db, deadWebhookName)
		h, err := deadWebhook(ctx, p, srv, db, dbURL, dataDir, probeURL, syncToken)
		if err != nil {
			return err
		}
		res.hostile = append(res.hostile, h)
	}
	for i, c := range p.clients {
		if !p.runs(rowRawInsert) {
			break
		}
		table := fmt.Sprintf("bench_raw_%d", i)
		if err := createScratch(ctx, raw, table); err != nil {
			return err
		}
		progress("%s: ceiling: raw insert loop, %d clients", db, c)
		res.put(rowRawInsert, 0, db, c, insertLoop(ctx, raw, db == "postgres", table, c, p.dur))
	}
	return ctx.Err()
}

// measureFixture runs every request kind against one fixture.
func measureFixture(ctx context.Context, p plan, hc *http.Client, srv *server, db string, f *fixture, bareURL string, res *results) error {
	base := srv.url + domain.SCIMPath + f.dirID.String()
	scim := func(method, path string, body any) (*http.Request, error) {
		var b []byte
		if body != nil {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return nil, err
			}
		}
		req, err := http.NewRequest(method, base+path, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+f.token)
		if body != nil {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		return req, nil
	}
	rnd := func(w, i int) int { return int(uint64(w*7919+i*104729+1) * 2654435761 % uint64(f.users)) }
	deep := max(1, f.users*9/10)
	const gql = `{ users(first: 100) { edges { node { userName groups(first: 10) { edges { node { displayName } } } roles { key } } } } }`
	gqlBody, _ := json.Marshal(map[string]any{"query": gql})

	var postedMu sync.Mutex
	var posted []string
	var seq int64
	var seqMu sync.Mutex
	next := func() int64 { seqMu.Lock(); defer seqMu.Unlock(); seq++; return seq }

	var deepCursor string // set before the rows run
	type kind struct {
		row    string
		mk     request
		onBody func([]byte) error
	}
	kinds := []kind{
		{rowBareGet, func(w, i int) (*http.Request, error) {
			return http.NewRequest("GET", fmt.Sprintf("%s/organizations/%s/directories/%s/users/%s", bareURL, f.orgID, f.dirID, f.userIDs[rnd(w, i)]), nil)
		}, nil},
		{rowBareNarrow, func(w, i int) (*http.Request, error) {
			return http.NewRequest("GET", bareURL+"/users/"+f.userIDs[rnd(w, i)].String(), nil)
		}, nil},
		{rowGetUser, func(w, i int) (*http.Request, error) {
			return scim("GET", "/Users/"+f.userIDs[rnd(w, i)].String(), nil)
		}, nil},
		{rowFilter, func(w, i int) (*http.Request, error) {
			q := url.Values{"filter": {fmt.Sprintf("userName eq %q", f.userNames[rnd(w, i)])}}
			return scim("GET", "/Users?"+q.Encode(), nil)
		}, nil},
		{rowListFirst, func(w, i int) (*http.Request, error) { return scim("GET", "/Users?count=50", nil) }, nil},
		{rowListDeep, func(w, i int) (*http.Request, error) {
			return scim("GET", fmt.Sprintf("/Users?startIndex=%d&count=50", deep), nil)
		}, nil},
		{rowCursorFirst, func(w, i int) (*http.Request, error) { return scim("GET", "/Users?count=50&cursor=", nil) }, nil},
		{rowCursorDeep, func(w, i int) (*http.Request, error) {
			return scim("GET", "/Users?count=50&cursor="+url.QueryEscape(deepCursor), nil)
		}, nil},
		{rowGetGroup, func(w, i int) (*http.Request, error) { return scim("GET", "/Groups/"+f.group1000.String(), nil) }, nil},
		{rowGraphQL, func(w, i int) (*http.Request, error) {
			req, err := http.NewRequest("POST", srv.url+"/graphql", bytes.NewReader(gqlBody))
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+f.readKey)
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		}, graphqlErrors},
		{rowBareWrite, func(w, i int) (*http.Request, error) {
			name := fmt.Sprintf("bare-%d-%d@bench.example", f.users, next())
			b, err := json.Marshal(map[string]any{"userName": name, "givenName": "Bare", "familyName": "User"})
			if err != nil {
				return nil, err
			}
			req, err := http.NewRequest("POST", fmt.Sprintf("%s/organizations/%s/directories/%s/users", bareURL, f.orgID, f.dirID), bytes.NewReader(b))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		}, nil},
		{rowPost, func(w, i int) (*http.Request, error) {
			name := fmt.Sprintf("post-%d-%d@bench.example", f.users, next())
			return scim("POST", "/Users", map[string]any{"schemas": []string{userSchema}, "userName": name,
				"name": map[string]any{"givenName": "Posted", "familyName": "User"}, "active": true})
		}, func(b []byte) error {
			var r struct{ ID string }
			if err := json.Unmarshal(b, &r); err != nil || r.ID == "" {
				return fmt.Errorf("POST /Users answered no id: %s", truncate(string(b), 200))
			}
			postedMu.Lock()
			posted = append(posted, r.ID)
			postedMu.Unlock()
			return nil
		}},
		{rowPut, func(w, i int) (*http.Request, error) {
			k := rnd(w, i)
			return scim("PUT", "/Users/"+f.userIDs[k].String(), map[string]any{"schemas": []string{userSchema},
				"userName": f.userNames[k], "name": map[string]any{"givenName": "Bench", "familyName": fmt.Sprint("User", k)},
				"title": fmt.Sprint("Title ", i), "active": true})
		}, nil},
		{rowDeactivate, func(w, i int) (*http.Request, error) {
			return scim("PATCH", "/Users/"+f.userIDs[rnd(w, i)].String(), patchOp(map[string]any{"op": "replace", "path": "active", "value": false}))
		}, nil},
		{rowAddMember, func(w, i int) (*http.Request, error) {
			// Users made by the POST run are in no group: each request adds
			// one of them (once they run out, re-adding is a no-op).
			postedMu.Lock()
			var id string
			if len(posted) > 0 {
				id = posted[(w*100003+i)%len(posted)]
			}
			postedMu.Unlock()
			if id == "" {
				return nil, errors.New("no users from the POST run to add")
			}
			return scim("PATCH", "/Groups/"+f.group1000.String(), patchOp(map[string]any{"op": "add", "path": "members",
				"value": []any{map[string]any{"value": id}}}))
		}, nil},
	}
	if p.runs(rowCursorDeep) {
		var err error
		if deepCursor, err = cursorAt(ctx, hc, scim, deep-1); err != nil {
			return err
		}
	}
	million := f.users >= millionUsers
	for _, k := range kinds {
		if !p.runs(k.row) || million && !readRows[k.row] {
			continue
		}
		for _, c := range p.clients {
			progress("%s %d users: %s, %d clients", db, f.users, rows[k.row].label, c)
			cpu0 := srv.cpu()
			m := load(ctx, hc, c, p.dur, k.mk, k.onBody)
			if used := srv.cpu() - cpu0; m.requests > 0 {
				progress("  %s/s, server CPU %s a request", comma(int(m.rate())), fmtDur(used/time.Duration(m.requests)))
			}
			res.put(k.row, f.users, db, c, m)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}

	// Single large operations, timed once.
	if !p.runs(rowAdd10k) || !p.runs(rowEmpty50k) || million {
		return nil
	}
	vals := make([]any, f.size10k)
	for i := range vals {
		vals[i] = map[string]any{"value": f.userIDs[i].String()}
	}
	progress("%s %d users: PATCH adding %d members", db, f.users, f.size10k)
	req, err := scim("PATCH", "/Groups/"+f.group10k.String(), patchOp(map[string]any{"op": "add", "path": "members", "value": vals}))
	if err != nil {
		return err
	}
	res.put(rowAdd10k, f.users, db, 1, once(ctx, hc, req))
	vals = make([]any, f.size50k)
	for i := range vals {
		vals[i] = map[string]any{"value": f.userIDs[i].String()}
	}
	progress("%s %d users: PATCH emptying a %d-member group", db, f.users, f.size50k)
	req, err = scim("PATCH", "/Groups/"+f.group50k.String(), patchOp(map[string]any{"op": "remove", "path": "members", "value": vals}))
	if err != nil {
		return err
	}
	res.put(rowEmpty50k, f.users, db, 1, once(ctx, hc, req))
	return nil
}

const userSchema = "urn:ietf:params:scim:schemas:core:2.0:User"

// analyze refreshes the planner's statistics after the seeding, as
// PostgreSQL's autovacuum and the server's periodic PRAGMA optimize would
// have by the time a directory loaded in bulk is read: measured right
// after the load, the first rows ran while autovacuum had not yet seen
// the new rows, and their figures depended on when it did.
func analyze(ctx context.Context, st *store.Store) error {
	if st.Dialect != "postgres" {
		return st.Optimize(ctx)
	}
	if _, err := st.DB.ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("bench: analyze: %w", err)
	}
	return nil
}

// cursorAt returns the RFC 9865 cursor whose next page starts after the
// first pos users (in id order), walking there by pages of up to 1,000
// that carry only ids.
func cursorAt(ctx context.Context, hc *http.Client, scim func(method, path string, body any) (*http.Request, error), pos int) (string, error) {
	cursor := ""
	for done := 0; done < pos; {
		n := min(1000, pos-done)
		req, err := scim("GET", fmt.Sprintf("/Users?attributes=id&count=%d&cursor=%s", n, url.QueryEscape(cursor)), nil)
		if err != nil {
			return "", err
		}
		res, err := hc.Do(req.WithContext(ctx))
		if err != nil {
			return "", fmt.Errorf("bench: walk to the deep cursor: %w", err)
		}
		var page struct{ NextCursor string }
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || page.NextCursor == "" {
			return "", fmt.Errorf("bench: walk to the deep cursor: status %d at %d: %v", res.StatusCode, done, err)
		}
		cursor, done = page.NextCursor, done+n
	}
	return cursor, nil
}

func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

// graphqlErrors fails a GraphQL answer that carries errors (they come
// with status 200) or no users.
func graphqlErrors(b []byte) error {
	var r struct {
		Errors []struct{ Message string }
		Data   struct {
			Users struct{ Edges []json.RawMessage }
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("graphql: %w", err)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("graphql: %s", r.Errors[0].Message)
	}
	if len(r.Data.Users.Edges) == 0 {
		return errors.New("graphql: no users")
	}
	return nil
}

// openRaw opens a plain connection pool on the database, sized like the
// server's, for the baselines.
func openRaw(dbURL, dataDir string) (*sql.DB, error) {
	driver, dsn := "postgres", dbURL
	if dbURL == "" {
		driver, dsn = "sqlite", store.SQLiteDSN(store.SQLiteFile(dataDir))
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("bench: open baseline pool: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	return db, nil
}

// serveBare serves the bare handlers on a free local port: GET
// /organizations/{org}/directories/{dir}/users/{id} (bareHandler), GET
// /users/{id} (bareNarrowHandler) and POST
// /organizations/{org}/directories/{dir}/users (bareWriteHandler).
func serveBare(db *sql.DB, postgres bool) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("bench: bare handlers: %w", err)
	}
	get, err := bareHandler(db, postgres)
	if err != nil {
		ln.Close()
		return nil, "", err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /organizations/{org}/directories/{dir}/users/{id}", get)
	mux.Handle("GET /users/{id}", bareNarrowHandler(db, postgres))
	mux.Handle("POST /organizations/{org}/directories/{dir}/users", bareWriteHandler(db, postgres))
	s := &http.Server{Handler: mux}
	go s.Serve(ln)
	return s, "http://" + ln.Addr().String(), nil
}

// progress reports a step on stderr.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// machine describes where the run happened.
func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if model == "" {
		model = runtime.GOARCH
	}
	return fmt.Sprintf("%s, %d CPUs, %s/%s, %s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func accessCtx(ctx context.Context) context.Context { return access.PlatformContext(ctx) }
