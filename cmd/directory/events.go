package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/broker"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/events"
)

// eventsTail is "directory events tail": an organization's events printed
// as they commit, one line each (time, type, subject, cursor), until
// interrupted. It reads through package events as the platform, woken by
// its own broker, like a subscription: --after resumes from a printed
// cursor with no gap (--after "" starts from the oldest event kept);
// without it, only the events that commit from now on.
func eventsTail(ctx context.Context, args []string, out io.Writer) error {
	a := newAdmin("events tail")
	org := a.id("org", "organization id")
	types := a.fs.String("types", "", "only these types, comma-separated (e.g. user.created,user.deleted)")
	after := a.fs.String("after", "", `print the events after this cursor ("": from the oldest kept; default: new events only)`)
	if err := parse(a.fs, args); err != nil {
		return err
	}
	orgID, err := org()
	if err != nil {
		return err
	}
	var f events.Filter
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			f.Types = append(f.Types, t)
		}
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	pctx := access.PlatformContext(ctx)
	var from events.Cursor
	if flagSet(a.fs, "after") {
		from, err = events.ParseCursor(*after)
	} else {
		from, err = events.Latest(pctx, s.Client, orgID)
	}
	if err != nil {
		return explain(err)
	}
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	b := broker.New(s, broker.Config{DatabaseURL: a.databaseURL})
	go func() {
		if err := b.Run(bctx); err != nil {
			slog.WarnContext(bctx, "events tail: no wake-ups, polling", "err", err)
		}
	}()
	err = b.Tail(pctx, s.Client, orgID, from, f, func(e *ent.Event) error {
		_, err := fmt.Fprintf(out, "%s  %-20s  %s  %s\n", e.CreatedAt.UTC().Format(time.RFC3339Nano), e.Type, e.SubjectID, events.Of(e))
		return err
	})
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return explain(err)
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
