package domain

import (
	"context"
	"log/slog"
	"time"

	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/events"
)

// PruneEvents deletes the events created before now minus retention
// (zero or less: events.DefaultRetention), every organization's as far as
// the viewer in ctx may (run it as the platform), in one statement, and
// returns how many.
func (s *Service) PruneEvents(ctx context.Context, retention time.Duration) (int, error) {
	if retention <= 0 {
		retention = events.DefaultRetention
	}
	before := time.Now().Add(-retention)
	var n int
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) (err error) {
		n, err = tx.Event.Delete().Where(event.CreatedAtLT(before)).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, wrap("prune events", err)
	}
	return n, nil
}

// RunEventPruner prunes events older than retention (PruneEvents) at once
// and then every interval (zero or less: an hour), until ctx ends;
// failures are logged and retried at the next tick. ctx should carry a
// platform viewer.
func (s *Service) RunEventPruner(ctx context.Context, retention, interval time.Duration) {
	runPruner(ctx, "events", retention, interval, s.PruneEvents)
}

// RunRequestPruner prunes the SCIM request log (PruneRequests) as
// RunEventPruner prunes events.
func (s *Service) RunRequestPruner(ctx context.Context, retention, interval time.Duration) {
	runPruner(ctx, "request log", retention, interval, s.PruneRequests)
}

// runPruner calls prune at once and then every interval (zero or less: an
// hour) until ctx ends, logging what it pruned as what.
func runPruner(ctx context.Context, what string, retention, interval time.Duration, prune func(context.Context, time.Duration) (int, error)) {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := prune(ctx, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.ErrorContext(ctx, what+": prune failed", "err", err)
		case n > 0:
			slog.InfoContext(ctx, what+": pruned", "count", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
