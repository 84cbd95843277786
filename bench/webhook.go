package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/domain"
	"github.com/acme/directory/egress"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/webhookdelivery"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
)

// deadWebhookName is the hostile row of issue 15: one organization's
// endpoint never answers with 10,000 deliveries queued for it, while
// another organization's delivery lag is measured against its lag with
// nothing queued, in the same run (target: within 2×).
const deadWebhookName = "Webhooks: a dead endpoint (never answers) with 10,000 queued deliveries; another organization's delivery lag"

// deadWebhookQueue is how many deliveries the dead endpoint has queued.
const deadWebhookQueue = 10000

// deadWebhook runs that row against the live server (which must allow
// loopback webhook targets): endpoints and the queue are written straight
// into the database (dbURL, dataDir), the victim's changes go through the
// server's SCIM API, so its worker wakes on their commits. The prober
// asks /healthz and probeURL meanwhile, as for every hostile row.
func deadWebhook(ctx context.Context, p plan, srv *server, db, dbURL, dataDir, probeURL, probeToken string) (hostileResult, error) {
	out := hostileResult{db: db, name: deadWebhookName, outcomes: map[string]int{}}
	n := 20
	if p.quick {
		n = 10
	}
	// The dead endpoint accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return out, fmt.Errorf("bench: dead endpoint: %w", err)
	}
	var connMu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connMu.Lock()
			conns = append(conns, c)
			connMu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		connMu.Lock()
		for _, c := range conns {
			c.Close()
		}
		connMu.Unlock()
	}()
	held := func() int { connMu.Lock(); defer connMu.Unlock(); return len(conns) }
	// The victim's receiver notes each user.created's arrival.
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var pl struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		if json.Unmarshal(body, &pl) == nil && pl.Type == events.TypeUserCreated {
			mu.Lock()
			arrived[fmt.Sprint(pl.Data["userName"])] = time.Now()
			mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	st, err := store.Open(ctx, dbURL, dataDir)
	if err != nil {
		return out, err
	}
	defer st.Close()
	pctx := accessCtx(ctx)
	svc := domain.New(st.Client, st.Dialect, domain.WebhookTargets(egress.Policy{AllowPrivate: true}))
	_, victimDir, victimToken, _, err := newOrg(pctx, svc, "Bench webhook victim")
	if err != nil {
		return out, err
	}
	victim, err := st.Client.Directory.Get(pctx, victimDir)
	if err != nil {
		return out, fmt.Errorf("bench: victim directory: %w", err)
	}
	if _, err := svc.CreateWebhookEndpoint(pctx, domain.NewWebhookEndpoint{OrganizationID: victim.OrganizationID,
		URL: rcv.URL, EventTypes: []string{events.TypeUserCreated}}); err != nil {
		return out, fmt.Errorf("bench: victim endpoint: %w", err)
	}
	deadOrg, err := svc.CreateOrganization(pctx, domain.NewOrganization{Name: "Bench webhook dead"})
	if err != nil {
		return out, fmt.Errorf("bench: dead organization: %w", err)
	}
	deadEP, err := svc.CreateWebhookEndpoint(pctx, domain.NewWebhookEndpoint{OrganizationID: deadOrg.ID,
		URL: "http://" + ln.Addr().String() + "/hooks"})
	if err != nil {
		return out, fmt.Errorf("bench: dead endpoint: %w", err)
	}

	hc := &http.Client{Timeout: 30 * time.Second}
	usersURL := srv.url + domain.SCIMPath + victimDir.String() + "/Users"
	lag := func(name string) (time.Duration, error) {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"active":true}`, name)
		start := time.Now()
		if s := send(ctx, hc, http.MethodPost, usersURL, victimToken, "application/scim+json", body); s != "201" {
			return 0, fmt.Errorf("bench: victim SCIM create: %s", s)
		}
		for time.Since(start) < time.Minute {
			mu.Lock()
			at, ok := arrived[name]
			mu.Unlock()
			if ok {
				return at.Sub(start), nil
			}
			time.Sleep(time.Millisecond)
		}
		return 0, fmt.Errorf("bench: the victim's delivery of %s did not arrive within a minute", name)
	}
	measure := func(phase string) ([]time.Duration, error) {
		var ds []time.Duration
		for i := range n {
			d, err := lag(fmt.Sprintf("wh-%s-%d@bench.example", phase, i))
			if err != nil {
				return nil, err
			}
			ds = append(ds, d)
			time.Sleep(100 * time.Millisecond) // spread over a second or two: the prober's ticks
		}
		return ds, nil
	}
	if _, err := lag("wh-warm-up@bench.example"); err != nil {
		return out, err
	}
	idle, err := measure("idle")
	if err != nil {
		return out, err
	}

	// The queue: events of distinct subjects of the dead organization,
	// inserted directly (domain.Seeding, the load tool's escape hatch: no
	// operation writes an event alone); the server's worker dispatches them at its next
	// poll, each delivery due at once.
	for start := 0; start < deadWebhookQueue; start += 500 {
		rows := make([]*ent.EventCreate, 0, 500)
		for i := start; i < min(start+500, deadWebhookQueue); i++ {
			rows = append(rows, st.Client.Event.Create().SetOrganizationID(deadOrg.ID).SetType(events.TypeRoleCreated).
				SetSubjectID(uuid.New()).SetData(map[string]any{"key": fmt.Sprintf("dead%d", i)}))
		}
		if err := st.Client.Event.CreateBulk(rows...).Exec(domain.Seeding(pctx)); err != nil {
			return out, fmt.Errorf("bench: queue events: %w", err)
		}
	}
	for deadline := time.Now().Add(time.Minute); ; {
		queued, err := st.Client.WebhookDelivery.Query().
			Where(webhookdelivery.EndpointID(deadEP.Endpoint.ID)).Count(pctx)
		if err != nil {
			return out, fmt.Errorf("bench: count queued deliveries: %w", err)
		}
		if queued >= deadWebhookQueue && held() > 0 {
			break
		}
		if time.Now().After(deadline) {
			return out, fmt.Errorf("bench: %d deliveries queued, %d connections to the dead endpoint after a minute", queued, held())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The victim again, with the prober running.
	pctx2, stopProbe := context.WithCancel(ctx)
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		probeUntil(pctx2, srv, probeURL, probeToken, &out, true)
	}()
	busy, err := measure("busy")
	stopProbe()
	<-probeDone
	if err != nil {
		return out, err
	}
	ip50, bp50 := median(idle), median(busy)
	ratio := float64(bp50) / float64(ip50)
	verdict := "within 2× of idle"
	if ratio > 2 {
		verdict = "over 2× of idle"
	}
	out.outcomes[fmt.Sprintf("victim lag p50 %s vs %s idle (%.2f×, %s), worst %s vs %s idle; %s connections held by the dead endpoint",
		fmtDur(bp50), fmtDur(ip50), ratio, verdict, fmtDur(slices.Max(busy)), fmtDur(slices.Max(idle)),
		strings.TrimSpace(fmt.Sprint(held())))] = n
	progress("%s: webhooks: victim lag p50 %s with a dead endpoint (%d queued) vs %s idle: %.2f×",
		db, fmtDur(bp50), deadWebhookQueue, fmtDur(ip50), ratio)
	return out, nil
}

// median is the middle of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
