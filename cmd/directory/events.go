package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/acme/directory/access"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/events"
)

// eventRecord is an event as events tail --output json prints it, one
// JSON object a line.
type eventRecord struct {
	Cursor       string          `json:"cursor"`
	Type         string          `json:"type"`
	CreatedAt    time.Time       `json:"createdAt"`
	Organization uuid.UUID       `json:"organizationID"`
	Directory    *uuid.UUID      `json:"directoryID,omitempty"`
	Subject      uuid.UUID       `json:"subjectID"`
	ActorType    string          `json:"actorType"`
	ActorID      *uuid.UUID      `json:"actorID,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
	Previous     json.RawMessage `json:"previous,omitempty"`
}

// eventsCmd is "directory events tail": an organization's events printed
// as they commit, one line each (time, type, subject, cursor), until
// interrupted. It reads through package events as the platform, woken by
// its own broker, like a subscription: --after resumes from a printed
// cursor with no gap (--after "" starts from the oldest event kept);
// without it, only the events that commit from now on.
func (a *cli) eventsCmd() *cobra.Command {
	tail := leaf("tail", "print an organization's events as they commit, until interrupted", nil)
	org := idFlag(tail, "org", "organization id")
	var types []string
	valid := domain.WebhookEventTypes()
	tail.Flags().Var(&enumListValue{v: &types, allowed: valid}, "types", "only these event types, comma-separated (e.g. user.created,user.deleted)")
	completeFrom(tail, "types", valid)
	after := tail.Flags().String("after", "", `print the events after this cursor ("": from the oldest kept; omitted: new events only)`)
	format := outputFlag(tail)
	tail.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		s, err := a.cfg.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		pctx := access.PlatformContext(ctx)
		var from events.Cursor
		if cmd.Flags().Changed("after") {
			from, err = events.ParseCursor(*after)
		} else {
			from, err = events.Latest(pctx, s.Client, *org)
		}
		if err != nil {
			return explain(err)
		}
		bctx, stop := context.WithCancel(ctx)
		defer stop()
		b := broker.New(s, broker.Config{DatabaseURL: a.cfg.databaseURL})
		go func() {
			if err := b.Run(bctx); err != nil {
				slog.WarnContext(bctx, "events tail: no wake-ups, polling", "err", err)
			}
		}()
		enc := json.NewEncoder(a.out)
		err = b.Tail(pctx, s.Client, *org, from, events.Filter{Types: types}, func(e *ent.Event) error {
			if *format == outputJSON {
				return enc.Encode(eventOf(e))
			}
			_, err := fmt.Fprintf(a.out, "%s  %-20s  %s  %s\n", e.CreatedAt.UTC().Format(time.RFC3339Nano), e.Type, e.SubjectID, events.Of(e))
			return err
		})
		// Interrupted: the statement it cancelled may report that in its
		// own words (PostgreSQL's 57014), not as ctx's error.
		if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil
		}
		return explain(err)
	}
	return noun("events", "an organization's events", tail)
}

// eventOf is the printed form of an event.
func eventOf(e *ent.Event) eventRecord {
	r := eventRecord{Cursor: events.Of(e).String(), Type: e.Type, CreatedAt: e.CreatedAt.UTC(),
		Organization: e.OrganizationID, Directory: e.DirectoryID, Subject: e.SubjectID, ActorType: string(e.ActorType), ActorID: e.ActorID}
	if e.Data != nil {
		r.Data, _ = json.Marshal(e.Data)
	}
	if e.Previous != nil {
		r.Previous, _ = json.Marshal(e.Previous)
	}
	return r
}
