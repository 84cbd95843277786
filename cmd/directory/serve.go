package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
	"github.com/acme/directory/webhook"
)

// shutdownGrace is how long in-flight requests get after SIGTERM.
const shutdownGrace = 15 * time.Second

// pruneInterval is how often events older than the retention are deleted.
const pruneInterval = time.Hour

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
	s, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := bootstrap(ctx, s, &c, out); err != nil {
		return err
	}
	recordPublicURL(ctx, s, c.base())
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("serve: listen: %w", err)
	}
	b := broker.New(s, broker.Config{DatabaseURL: c.databaseURL})
	brokerCtx, stopBroker := context.WithCancel(ctx)
	defer stopBroker()
	go func() {
		if err := b.Run(brokerCtx); err != nil {
			slog.ErrorContext(brokerCtx, "events broker stopped: subscriptions poll", "err", err)
		}
	}()
	srv := c.http.server(routes(s, &c, b))
	slog.InfoContext(ctx, "serving", "addr", ln.Addr().String(), "public_url", c.base(), "database", s.Dialect)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	pruneCtx, stopPruning := context.WithCancel(access.PlatformContext(ctx))
	defer stopPruning()
	go events.RunPruner(pruneCtx, s.Client, c.eventRetention, pruneInterval)
	go webhook.New(domain.New(s.Client, s.Dialect), s.Dialect, webhook.Config{
		PollInterval: c.webhook.poll, Schedule: schedule, DisableAfter: c.webhook.disableAfter,
		Timeout: c.webhook.timeout, AllowPrivate: c.webhook.allowPrivate, Retention: c.eventRetention,
	}).Run(pruneCtx)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	slog.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// bootstrap makes the first platform API key when the database has none,
// and prints it once with the URLs a new user needs.
func bootstrap(ctx context.Context, s *store.Store, c *config, out io.Writer) error {
	pctx := access.PlatformContext(ctx)
	n, err := s.Client.APIKey.Query().Count(pctx)
	if err != nil {
		return fmt.Errorf("bootstrap: count API keys: %w", err)
	}
	if n > 0 {
		return nil
	}
	k, err := domain.New(s.Client, s.Dialect).CreateAPIKey(pctx, domain.NewAPIKey{Scope: access.Platform, Name: "bootstrap"})
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	printBanner(out, k.Key, c)
	return nil
}
