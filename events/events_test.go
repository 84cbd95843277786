package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestCursor(t *testing.T) {
	for _, c := range []events.Cursor{{}, {TxID: 0, ID: 7}, {TxID: 1 << 40, ID: 1<<62 + 3}} {
		got, err := events.ParseCursor(c.String())
		if err != nil || got != c {
			t.Errorf("round trip of %+v: %+v, %v", c, got, err)
		}
	}
	if c, err := events.ParseCursor(""); err != nil || c != (events.Cursor{}) {
		t.Errorf(`"" = %+v, %v; want the zero cursor`, c, err)
	}
	for _, bad := range []string{"x", "ZTI6MTox", "ZTE6LTE6MQ", "bm9wZToxOjI", events.Cursor{ID: 1}.String() + "!"} {
		if _, err := events.ParseCursor(bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("%q: error %v; want Invalid", bad, err)
		}
	}
}

func TestPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		svc := domain.New(s.Client, s.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"old", "new"} {
			if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: k, Name: k}); err != nil {
				t.Fatal(err)
			}
		}
		evs, _, err := events.After(ctx, s.Client, org.ID, events.Cursor{}, events.Filter{}, 10)
		if err != nil || len(evs) != 2 {
			t.Fatalf("events %d, %v; want 2", len(evs), err)
		}
		// Backdate the first (events are immutable to ent: raw SQL).
		if _, err := s.DB.ExecContext(ctx, "UPDATE events SET created_at = $1 WHERE id = $2",
			time.Now().Add(-31*24*time.Hour), evs[0].ID); err != nil {
			t.Fatal(err)
		}
		n, err := svc.PruneEvents(ctx, 0)
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v; want 1", n, err)
		}
		left, err := s.Client.Event.Query().Where(event.OrganizationID(org.ID)).All(ctx)
		if err != nil || len(left) != 1 || left[0].ID != evs[1].ID {
			t.Fatalf("left %v, %v; want the newer event", left, err)
		}
	})
}

// TestBefore reads the events backwards in pages: newest first, every
// event once, the reverse of After's order, with the filters applied, and
// the newest event's cursor is where After follows on.
func TestBefore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		svc := domain.New(s.Client, s.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			if _, err := svc.CreateRole(ctx, domain.NewRole{OrganizationID: org.ID, Key: k, Name: k}); err != nil {
				t.Fatal(err)
			}
		}
		forward, _, err := events.After(ctx, s.Client, org.ID, events.Cursor{}, events.Filter{}, 100)
		if err != nil || len(forward) != 5 {
			t.Fatalf("events %d, %v; want the five roles'", len(forward), err)
		}
		var back []int64
		var bound *events.Cursor
		for pages := 0; ; pages++ {
			evs, more, err := events.Before(ctx, s.Client, org.ID, bound, events.Filter{}, 2)
			if err != nil || pages > len(forward) {
				t.Fatalf("page %d: %v", pages, err)
			}
			for _, e := range evs {
				back = append(back, e.ID)
			}
			if !more {
				break
			}
			c := events.Of(evs[len(evs)-1])
			bound = &c
		}
		if len(back) != len(forward) {
			t.Fatalf("read backwards %v; forwards %d events", back, len(forward))
		}
		for i, e := range forward {
			if back[len(back)-1-i] != e.ID {
				t.Fatalf("backwards %v is not the reverse of forwards at %d", back, i)
			}
		}
		newest, _, err := events.Before(ctx, s.Client, org.ID, nil, events.Filter{Types: []string{"role.created"}}, 1)
		if err != nil || len(newest) != 1 || newest[0].Data["key"] != "e" {
			t.Fatalf("the newest role.created: %v, %v; want role e's", newest, err)
		}
		if next, _, err := events.After(ctx, s.Client, org.ID, events.Of(newest[0]), events.Filter{}, 10); err != nil || len(next) != 0 {
			t.Errorf("after the newest event: %d events, %v; want none", len(next), err)
		}
		if none, more, err := events.Before(ctx, s.Client, org.ID, &events.Cursor{}, events.Filter{}, 10); err != nil || len(none) != 0 || more {
			t.Errorf("before the zero cursor: %d events (more %v), %v; want none", len(none), more, err)
		}
	})
}
