package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/acme/directory/domain"
)

// The hostile-callers phase (issue 8's "done when"): each attack of one
// tenant runs for a while against the live server, while a prober asks
// /healthz and another tenant's user list every 100 ms. The table records
// how the attack was answered, the prober's worst latencies and the
// server's largest resident memory during the attack.

// attack is one hostile caller, run by workers at once until ctx ends.
type attack struct {
	name    string
	workers int
	run     func(ctx context.Context) string // one attempt; returns its outcome ("400", "413", "closed", ...)
}

// hostileResult is what one attack did to the server.
type hostileResult struct {
	db, name       string
	outcomes       map[string]int
	health, tenant time.Duration // the prober's worst latency
	probeFails     int
	peakRSS        int64
}

// hostile runs the attacks on fixture f (and large, whose group holds all
// its users), probing the other tenant at probeURL with probeToken. The
// first row is the baseline: the probes with no attack.
func hostile(ctx context.Context, p plan, srv *server, db string, f, large *fixture, probeURL, probeToken string, res *results) {
	dur := 3 * time.Second
	if p.quick {
		dur = 1500 * time.Millisecond
	}
	for _, a := range append(attacks(srv, f, large), socketAttacks(srv, f)...) {
		progress("%s: hostile: %s (%d at once, %s)", db, a.name, a.workers, dur)
		res.hostile = append(res.hostile, runAttack(ctx, srv, db, a, dur, probeURL, probeToken))
	}
}

func runAttack(ctx context.Context, srv *server, db string, a attack, dur time.Duration, probeURL, probeToken string) hostileResult {
	out := hostileResult{db: db, name: a.name, outcomes: map[string]int{}}
	actx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range a.workers {
		wg.Go(func() {
			for actx.Err() == nil {
				o := a.run(actx)
				mu.Lock()
				out.outcomes[o]++
				mu.Unlock()
			}
		})
	}
	probeUntil(actx, srv, probeURL, probeToken, &out, false)
	wg.Wait()
	return out
}

// probeUntil asks /healthz and another tenant's probeURL every 100 ms
// (at once too, when now) until ctx ends, and keeps in out the worst
// latencies, the failures and the server's largest resident memory.
func probeUntil(ctx context.Context, srv *server, probeURL, probeToken string, out *hostileResult, now bool) {
	probe := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for first := true; ctx.Err() == nil; first = false {
		if !first || !now {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		if d, ok := timed(probe, srv.url+"/healthz", ""); !ok {
			out.probeFails++
		} else {
			out.health = max(out.health, d)
		}
		if d, ok := timed(probe, probeURL, probeToken); !ok {
			out.probeFails++
		} else {
			out.tenant = max(out.tenant, d)
		}
		if rss, _ := srv.memory(); rss > out.peakRSS {
			out.peakRSS = rss
		}
	}
}

// timed GETs u and reports how long a 200 took.
func timed(hc *http.Client, u, token string) (time.Duration, bool) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	res, err := hc.Do(req)
	if err != nil {
		return 0, false
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return time.Since(start), res.StatusCode == http.StatusOK
}

// attacks are issue 8's and issue 15's hostile inputs, as one tenant
// would send them; the first is none, the probes' baseline.
func attacks(srv *server, f, large *fixture) []attack {
	hc := &http.Client{Timeout: 10 * time.Second}
	scimBase := srv.url + domain.SCIMPath + f.dirID.String()
	gqlAs := func(key, query string) func(ctx context.Context) string {
		body, _ := json.Marshal(map[string]any{"query": query})
		return func(ctx context.Context) string {
			return sendGraphQL(ctx, hc, srv.url+"/graphql", key, string(body))
		}
	}
	gql := func(query string) func(ctx context.Context) string { return gqlAs(f.readKey, query) }
	scimGet := func(path string) func(ctx context.Context) string {
		return func(ctx context.Context) string {
			return send(ctx, hc, http.MethodGet, scimBase+path, f.token, "", "")
		}
	}
	var frags strings.Builder
	frags.WriteString("query { ...F25 } fragment F0 on Query { __typename users(first: 1) { totalCount } } ")
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&frags, "fragment F%d on Query { ...F%d ...F%d } ", i, i-1, i-1)
	}
	var aliases, schemas strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&aliases, "a%d: users { totalCount } ", i)
	}
	for i := range 3000 {
		fmt.Fprintf(&schemas, "s%d: __schema { types { name fields { name } } } ", i)
	}
	ors := make([]string, 20000)
	for i := range ors {
		ors[i] = fmt.Sprintf(`{userName: "u%d"}`, i)
	}
	co := make([]string, 300)
	for i := range co {
		co[i] = fmt.Sprintf(`emails[value co "x%s"]`, strings.Repeat("y", 20))
	}
	or := make([]string, 1000)
	for i := range or {
		or[i] = fmt.Sprintf(`userName eq "u%d"`, i)
	}
	var bomb strings.Builder
	bomb.WriteString("{")
	for i := range 50 {
		fmt.Fprintf(&bomb, ` a%d: users(where: {or: [{query: "b%d"} {query: "u00%d"} {query: "bench"} {query: "@"}]}) { totalCount }`,
			i, i, i)
	}
	bomb.WriteString("}")
	largeBase := srv.url + domain.SCIMPath + large.dirID.String()
	return []attack{
		{"none: the probes alone (baseline)", 0, nil},
		{"GraphQL: 26 levels of nested fragment spreads", 8, gql(frags.String())},
		{"GraphQL: 5,000 aliased root fields", 8, gql("{ " + aliases.String() + "}")},
		{"GraphQL: 20,000 `__typename` (220 KB)", 8, gql("{" + strings.Repeat(" __typename", 20000) + "}")},
		{"GraphQL: 3,000 aliased `__schema`", 8, gql("{ " + schemas.String() + "}")},
		{"GraphQL: `where` with 20,000 `or` branches", 8, gql("{ users(first: 1, where: {or: [" + strings.Join(ors, ",") + "]}) { totalCount } }")},
		{"SCIM: `and` of 300 `emails[value co …]`", 8, scimGet("/Users?filter=" + url.QueryEscape(strings.Join(co, " and ")))},
		{"SCIM: `or` of 1,000 clauses", 8, scimGet("/Users?filter=" + url.QueryEscape(strings.Join(or, " or ")))},
		{"HTTP: slow bodies, one byte every 2 s", 200, slowBody(srv, scimBase, f.token)},
		{fmt.Sprintf("GraphQL: cost bomb, 50 aliases of `users(where: {or: [4 × query]})` over %s users", comma(large.users)),
			8, gqlAs(large.readKey, bomb.String())},
		{fmt.Sprintf("HTTP: clients that never read a %s-member group", comma(large.size50k)), 40, neverRead(srv, largeBase, large)},
	}
}

// send makes one request and names its outcome: the status, or what
// went wrong.
func send(ctx context.Context, hc *http.Client, method, u, token, contentType, body string) string {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return "error"
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "unfinished"
		}
		return "error"
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	return fmt.Sprint(res.StatusCode)
}

// sendGraphQL POSTs a GraphQL request and names its outcome: the status
// and, when the response has errors, the first one's code (a refusal
// answered 200 is told from a success).
func sendGraphQL(ctx context.Context, hc *http.Client, u, key, body string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return "error"
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "unfinished"
		}
		return "error"
	}
	defer res.Body.Close()
	var out struct {
		Errors []struct {
			Extensions struct{ Code string } `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&out); err != nil || len(out.Errors) == 0 {
		return fmt.Sprint(res.StatusCode)
	}
	return fmt.Sprintf("%d %s", res.StatusCode, out.Errors[0].Extensions.Code)
}

// slowBody sends a PATCH whose body trickles in, one byte every two
// seconds, until the server gives up on it (or the attack ends).
func slowBody(srv *server, scimBase, token string) func(ctx context.Context) string {
	return func(ctx context.Context) string {
		u, _ := url.Parse(scimBase + "/Users/00000000-0000-7000-8000-000000000000")
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return "error"
		}
		defer c.Close()
		fmt.Fprintf(c, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/scim+json\r\nContent-Length: 100000\r\n\r\n{",
			u.Path, u.Host, token)
		status := make(chan string, 1)
		go func() {
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				status <- "closed"
				return
			}
			f := strings.Fields(line)
			if len(f) >= 2 {
				status <- f[1]
				return
			}
			status <- "closed"
		}()
		for {
			select {
			case s := <-status:
				return s
			case <-ctx.Done():
				return "held to the end"
			case <-time.After(2 * time.Second):
				c.Write([]byte(" "))
			}
		}
	}
}

// neverRead asks for the largest group and reads nothing of the answer
// until the server closes the connection (or the attack ends).
func neverRead(srv *server, scimBase string, f *fixture) func(ctx context.Context) string {
	return func(ctx context.Context) string {
		u, _ := url.Parse(scimBase + "/Groups/" + f.group50k.String())
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return "error"
		}
		defer c.Close()
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", u.Path, u.Host, f.token)
		<-ctx.Done()
		return "held to the end"
	}
}

// hostileMarkdown renders the hostile phase.
func (r *results) hostileMarkdown() string {
	if len(r.hostile) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n## Hostile callers\n\nEach attack runs from one tenant while a prober asks `/healthz` and another " +
		"tenant's `GET /Users?count=1` every 100 ms: the prober's worst latency, and the server's largest resident memory " +
		"during the attack.\n\n| attack | database | answers | worst `/healthz` | worst other tenant's GET | probes failed | largest RSS |\n|---|---|---|---|---|---:|---|\n")
	for _, h := range r.hostile {
		var outs []string
		for o, n := range h.outcomes {
			outs = append(outs, fmt.Sprintf("%s ×%s", o, comma(n)))
		}
		sort.Strings(outs)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s |\n", h.name, dbTitle[h.db], strings.Join(outs, ", "),
			fmtDur(h.health), fmtDur(h.tenant), h.probeFails, mib(h.peakRSS))
	}
	return b.String()
}

// hostileWorst is the worst probe latency and memory over every attack.
func (r *results) hostileWorst() (probe time.Duration, rss int64, fails int) {
	for _, h := range r.hostile {
		probe = slices.Max([]time.Duration{probe, h.health, h.tenant})
		rss = max(rss, h.peakRSS)
		fails += h.probeFails
	}
	return probe, rss, fails
}
