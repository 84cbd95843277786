package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/apikey"
	"github.com/acme/directory/metrics"
	"github.com/acme/directory/store"
	"github.com/acme/directory/webhook"
)

// pruneInterval is how often events, and SCIM requests, older than their
// retention are deleted.
const pruneInterval = time.Hour

// workerStopWait bounds how long a stopping server waits for its webhook
// worker and event pruner to return once told to stop.
const workerStopWait = 5 * time.Second

// serve runs the HTTP server with the configuration c (its flags are
// registered by serveCmd) until ctx ends.
func serve(ctx context.Context, c config, out io.Writer) error {
	schedule, err := webhook.ParseSchedule(c.webhook.schedule)
	if err != nil {
		return err
	}
	if c.databaseURL == "" { // restore refuses a data folder a server holds
		unlock, err := lockDataDir(c.dataDir, false)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		defer unlock()
	}
	// The first platform key is made under the migrations' lock: of
	// replicas starting at once, exactly one makes it.
	s, err := c.openWith(ctx, func(ctx context.Context, s *store.Store) error {
		return bootstrap(ctx, s, &c, out)
	})
	if err != nil {
		return err
	}
	defer s.Close()
	recordPublicURL(ctx, s, c.base())
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("serve: listen: %w", err)
	}
	b := broker.New(s, broker.Config{DatabaseURL: s.DirectURL})
	brokerCtx, stopBroker := context.WithCancel(ctx)
	defer stopBroker()
	go func() {
		if err := b.Run(brokerCtx); err != nil {
			slog.ErrorContext(brokerCtx, "events broker stopped: subscriptions poll", "err", err)
		}
	}()
	lc := newLifecycle()
	srv := c.http.server(lc.handler(routes(s, &c, b, lc)))
	slog.InfoContext(ctx, "serving", "addr", ln.Addr().String(), "public_url", c.base(), "database", s.Dialect)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	workCtx, stopWork := context.WithCancel(access.PlatformContext(context.WithoutCancel(ctx)))
	defer stopWork()
	var work sync.WaitGroup
	work.Go(func() { domain.New(s.Client, s.Dialect).RunEventPruner(workCtx, c.eventRetention, pruneInterval) })
	work.Go(func() { domain.New(s.Client, s.Dialect).RunRequestPruner(workCtx, c.requestRetention, pruneInterval) })
	// The request log writes its last entries once the requests are done.
	work.Go(func() { lc.requests.Run(workCtx) })
	work.Go(func() {
		webhook.New(domain.New(s.Client, s.Dialect), s.Dialect, webhook.Config{
			PollInterval: c.webhook.poll, Schedule: schedule, DisableAfter: c.webhook.disableAfter,
			Timeout: c.webhook.timeout, AllowPrivate: c.webhook.allowPrivate, Retention: c.eventRetention,
			Observe: lc.metrics.WebhookAttempt,
		}).Run(workCtx)
	})
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	err = lc.shutdown(srv, c.http.drain, positive(c.http.shutdownGrace, defaultShutdownGrace))
	// The background work stops after the requests: a request in flight
	// may still have woken the webhook worker.
	stopWork()
	if !waitGroupFor(&work, workerStopWait) {
		slog.Warn("shutdown: webhook worker or event pruner still running; leaving them", "waited", workerStopWait)
	}
	return err
}

// lifecycle is a server's graceful stop: /healthz fails while it drains,
// then the listener closes, in-flight requests finish, and its WebSockets
// are closed.
type lifecycle struct {
	draining atomic.Bool
	// sockets is the context every WebSocket's request runs under (besides
	// its own); closeSockets cancels it.
	sockets      context.Context
	closeSockets context.CancelFunc
	upgraded     sync.WaitGroup
	// goingAway closes the GraphQL WebSockets with 1001 Going Away
	// (graph.Handler.CloseSockets), before their contexts end.
	goingAway func()
	// metrics are the server's figures (routes sets them).
	metrics *metrics.Metrics
	// requests is the SCIM request log (routes sets it), which serve runs.
	requests *domain.RequestLog
}

func newLifecycle() *lifecycle {
	l := &lifecycle{}
	l.sockets, l.closeSockets = context.WithCancel(context.Background())
	return l
}

// handler answers /healthz with 503 once the server drains, and ties each
// WebSocket to the lifecycle so that shutdown can end it.
func (l *lifecycle) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.draining.Load() && r.URL.Path == "/healthz" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "draining\n")
			return
		}
		if isWebSocket(r) {
			l.upgraded.Add(1)
			defer l.upgraded.Done()
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(l.sockets, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// isWebSocket reports whether r asks to upgrade to a WebSocket.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// shutdown stops srv gracefully: /healthz fails for drain (the load
// balancer's health check takes the server out meanwhile, and it goes on
// serving what still comes), then the listener closes and the requests in
// flight get grace to finish while the WebSockets are closed (their
// subscribers resume elsewhere with their cursors).
//
// The GraphQL sockets are closed with 1001 Going Away first (their
// clients reconnect to another replica and resume from their cursors);
// then every upgraded request's context ends.
func (l *lifecycle) shutdown(srv *http.Server, drain, grace time.Duration) error {
	l.draining.Store(true)
	slog.Info("shutting down: draining (health check failing)", "drain", drain, "grace", grace)
	time.Sleep(drain)
	slog.Info("shutting down: closing the listener and WebSockets, finishing requests in flight")
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if l.goingAway != nil {
		l.goingAway()
	}
	l.closeSockets()
	err := srv.Shutdown(ctx)
	sockets := make(chan struct{})
	go func() { l.upgraded.Wait(); close(sockets) }()
	select {
	case <-sockets:
	case <-ctx.Done():
		slog.Warn("shutting down: WebSockets still open after the grace; closing them", "grace", grace)
		srv.Close()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	slog.Info("shut down")
	return nil
}

// waitGroupFor waits for wg up to d and reports whether it finished.
func waitGroupFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// bootstrap makes the first platform API key when the database has none,
// and prints it once with the URLs a new user needs. It runs under the
// migrations' lock (store.Config.Setup), so of several servers starting at
// once on one database exactly one makes the key; each prints whether it
// made it or where the existing keys are managed.
func bootstrap(ctx context.Context, s *store.Store, c *config, out io.Writer) error {
	pctx := access.PlatformContext(ctx)
	base := c.base()
	first, err := s.Client.APIKey.Query().Order(ent.Asc(apikey.FieldCreatedAt)).First(pctx)
	switch {
	case err == nil:
		fmt.Fprintf(out, `
Directory: this server did not create an API key: the database has keys
already (the first, %s... %q, created %s). Keys are managed with
"directory apikey list|create|revoke" or the GraphQL API at %s/graphql.

`, first.Prefix, first.Name, first.CreatedAt.UTC().Format(time.RFC3339), base)
		return nil
	case !ent.IsNotFound(err):
		return fmt.Errorf("bootstrap: look up API keys: %w", err)
	}
	k, err := domain.New(s.Client, s.Dialect).CreateAPIKey(pctx, domain.NewAPIKey{Scope: access.Platform, Name: "bootstrap"})
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	printBanner(out, k.Key, c)
	return nil
}
