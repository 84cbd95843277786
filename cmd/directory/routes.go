package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/acme/directory/auth"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/graph"
	"github.com/acme/directory/scim"
	"github.com/acme/directory/store"
)

// routes is the whole HTTP surface of the server.
func routes(s *store.Store, c *config, b *broker.Broker) http.Handler {
	mux := http.NewServeMux()
	// One authenticator for both edges: one clock, one last-use throttle.
	a := auth.New(s.Client, auth.Config{})
	mux.Handle(domain.SCIMPath, scim.NewHandler(s, scim.Options{PublicURL: c.base(), Auth: a}))
	mux.Handle("/graphql", graph.NewHandler(domain.New(s.Client, s.Dialect),
		graph.Config{PublicURL: c.base(), Introspection: c.graphqlIntrospection, Auth: a, Broker: b}))
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
	return mux
}
