package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"log/slog"
	"net/http"
	"time"

	"entgo.io/ent/dialect"

	"github.com/acme/directory/auth"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/egress"
	"github.com/acme/directory/graph"
	"github.com/acme/directory/metrics"
	"github.com/acme/directory/portal"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
)

// routes is the whole HTTP surface of the server. Every request is
// measured; /metrics serves the figures in the Prometheus format.
func routes(s *store.Store, c *config, b *broker.Broker, lc *lifecycle) http.Handler {
	m := metrics.New()
	s.Instrument(metrics.CountStatements)
	if err := m.WatchDB(s.DB, s.Dialect); err != nil {
		slog.Warn("metrics: database pool not watched", "err", err)
	}
	m.WatchWebhooks(s.Client)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsAuth(c.metricsToken, m.Handler()))
	// One authenticator for both edges: one clock, one last-use throttle.
	svc := domain.New(s.Client, s.Dialect, domain.WebhookTargets(egress.Policy{AllowPrivate: c.webhook.allowPrivate}))
	a := auth.New(svc, auth.Config{Announce: s.Dialect == dialect.Postgres})
	// Another server's revocation holds here at once.
	b.OnCredentialsChanged(a.Invalidate)
	so := c.http.scim // limits and timeouts (httpconfig.go)
	so.PublicURL, so.Auth = c.base(), a
	if lc != nil { // a server: serve runs the request log
		so.Requests = svc.NewRequestLog(domain.RequestLogConfig{})
		lc.requests = so.Requests
		m.WatchRequestLog(so.Requests.Written, so.Requests.Dropped)
	}
	mux.Handle(domain.SCIMPath, scim.NewHandler(s, so))
	gc := c.graphQL(a, b)
	gql := graph.NewHandler(svc, gc)
	m.WatchSockets(gql.OpenSockets, gql.OpenSubscriptions)
	if lc != nil {
		lc.goingAway = gql.CloseSockets // a stopping server's sockets end with 1001
		lc.metrics = m                  // the webhook worker's figures
	}
	// A browser opening /graphql gets the portal's embedded explorer.
	mux.Handle("/graphql", portal.Explorer(gql, gc.Introspection))
	mux.Handle("GET /graphql/schema.graphql", gql) // the SDL, for code generators
	// The Admin Portal, and / leads there.
	ph := portal.Handler(a)
	mux.Handle(portal.Path, ph)
	mux.Handle(portal.Path+"/", ph)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, portal.Path+"/", http.StatusFound)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.DB.PingContext(ctx); err != nil {
			slog.WarnContext(ctx, "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "database unavailable\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	return withRequestID(m.Middleware(mux))
}

// metricsAuth guards /metrics with a bearer token when one is configured
// (--metrics-token): its labels name directories, and its figures say
// much about the tenants' activity.
func metricsAuth(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := secret.Bearer(r.Header.Get("Authorization"))
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			slog.WarnContext(r.Context(), "metrics scrape refused", "remote", r.RemoteAddr, "reason", metricsRefusal(ok))
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "a valid metrics token is required: Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// metricsRefusal is the reason class of a refused scrape.
func metricsRefusal(hadBearer bool) string {
	if hadBearer {
		return "refused"
	}
	return "missing"
}
