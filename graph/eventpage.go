package graph

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/graph/model"
)

// eventsLimit is a page's size: the argument (named arg) bounded by the
// page size, which is also its default.
func (r *queryResolver) eventsLimit(arg string, n *int) (int, error) {
	limit := r.cfg.MaxPageSize
	if n != nil {
		if *n < 0 {
			return 0, fault.FieldErrorf(arg, "must not be negative")
		}
		limit = min(limit, *n)
	}
	return limit, nil
}

// eventsBefore is the events query read backwards: the newest events
// before the cursor (the newest of all without one), given oldest first
// as every page is.
func (r *queryResolver) eventsBefore(ctx context.Context, org uuid.UUID, before *string, last *int, f events.Filter) (*model.EventConnection, error) {
	var bound *events.Cursor
	if deref(before) != "" {
		c, err := events.ParseCursor(*before)
		if err != nil {
			return nil, fault.FieldErrorf("before", "is not an events cursor")
		}
		bound = &c
	}
	limit, err := r.eventsLimit("last", last)
	if err != nil {
		return nil, err
	}
	// An empty page starts where it was asked to, and reads on from the
	// start: nothing matching precedes it.
	start := events.Cursor{}.String()
	if bound != nil {
		start = bound.String()
	}
	out := &model.EventConnection{Edges: []*model.EventEdge{},
		PageInfo: &model.EventPageInfo{StartCursor: start, EndCursor: events.Cursor{}.String()}}
	if limit == 0 {
		return out, nil
	}
	evs, more, err := events.Before(ctx, r.client, org, bound, f, limit)
	if err != nil {
		return nil, err
	}
	slices.Reverse(evs)
	out.Edges = eventEdges(evs)
	if len(evs) > 0 {
		out.PageInfo.StartCursor = out.Edges[0].Cursor
		out.PageInfo.EndCursor = out.Edges[len(evs)-1].Cursor
	}
	out.PageInfo.HasPreviousPage = more
	return out, nil
}

// eventEdges are the edges of evs, in their order.
func eventEdges(evs []*ent.Event) []*model.EventEdge {
	out := make([]*model.EventEdge, len(evs))
	for i, e := range evs {
		out[i] = &model.EventEdge{Cursor: events.Of(e).String(), Node: e}
	}
	return out
}
