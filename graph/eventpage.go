package graph

import (
	"context"
	"slices"

	"entgo.io/contrib/entgql"
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
func (r *queryResolver) eventsBefore(ctx context.Context, org uuid.UUID, before *entgql.Cursor[uuid.UUID], last *int, f events.Filter) (*model.EventConnection, error) {
	var bound *events.Cursor
	if before != nil {
		c, err := model.EventsCursor(before, "before")
		if err != nil {
			return nil, err
		}
		if c != (events.Cursor{}) {
			bound = &c
		}
	}
	limit, err := r.eventsLimit("last", last)
	if err != nil {
		return nil, err
	}
	// An empty page starts where it was asked to, and reads on from the
	// start: nothing matching precedes it.
	start := model.EventCursor{}
	if bound != nil {
		start = model.EventCursor{Cursor: *bound}
	}
	out := &model.EventConnection{Edges: []*model.EventEdge{},
		PageInfo: &model.EventPageInfo{StartCursor: start, EndCursor: model.EventCursor{}}}
	if limit == 0 {
		return out, nil
	}
	evs, more, err := events.Before(ctx, r.client, org, bound, f, limit)
	if err != nil {
		return nil, err
	}
	slices.Reverse(evs)
	if out.Edges, err = eventEdges(evs); err != nil {
		return nil, err
	}
	if len(evs) > 0 {
		out.PageInfo.StartCursor = out.Edges[0].Cursor
		out.PageInfo.EndCursor = out.Edges[len(evs)-1].Cursor
	}
	out.PageInfo.HasPreviousPage = more
	return out, nil
}

// eventEdges are the edges of evs, in their order, each event as the
// object of its type.
func eventEdges(evs []*ent.Event) ([]*model.EventEdge, error) {
	out := make([]*model.EventEdge, len(evs))
	for i, e := range evs {
		node, err := model.EventOf(e)
		if err != nil {
			return nil, err
		}
		out[i] = &model.EventEdge{Cursor: model.EventCursor{Cursor: events.Of(e)}, Node: node}
	}
	return out, nil
}
