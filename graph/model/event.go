package model

// The events as GraphQL shows them. Each event type is an object of its
// own (generated, with its payload, from events/payloads.go by
// graph/eventschema: events_gen.go), implementing the Event interface;
// each object is the stored row, whose columns are the fields every type
// shares, and decodes the row's JSON into the declared payload only when a
// client selects it. EventOf is the one place a stored event becomes its
// object.

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
)

// Event is an event of any type: the GraphQL interface Event.
type Event interface {
	// Row is the stored event.
	Row() *ent.Event
}

// StoredEvent is a stored event: the fields every event object shares.
type StoredEvent struct{ *ent.Event }

// Row is the stored event.
func (e StoredEvent) Row() *ent.Event { return e.Event }

// Cursor is the event's position.
func (e StoredEvent) Cursor() EventCursor { return EventCursor{events.Of(e.Event)} }

// Kind is the event's type as the EventType enum.
func (e StoredEvent) Kind() EventType { return EventType(e.Type) }

// EventOf is e as the object of its type. A type the catalogue does not
// declare (none is written) is an error.
func EventOf(e *ent.Event) (Event, error) {
	mk, ok := eventObjects[e.Type]
	if !ok {
		return nil, fmt.Errorf("event %d has the undeclared type %q", e.ID, e.Type)
	}
	return mk(StoredEvent{e}), nil
}

// decode is stored JSON (as ent read it) as the declared type P.
func decode[P any](stored map[string]any) (*P, error) {
	raw, err := json.Marshal(stored)
	if err != nil {
		return nil, fmt.Errorf("encode stored event: %w", err)
	}
	var p P
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("decode stored event as %T: %w", p, err)
	}
	return &p, nil
}

// decodeSet is decode of stored JSON that may be unset: nil then.
func decodeSet[P any](stored map[string]any) (*P, error) {
	if stored == nil {
		return nil, nil
	}
	return decode[P](stored)
}

// changesOf is the before of an update, B, from its stored previous values
// (events.Changes): the fields present, and their names as changed.
func changesOf[B any, PB interface {
	*B
	setChanged([]string)
}](previous map[string]any) (*B, error) {
	b, err := decodeSet[B](previous)
	if b != nil {
		PB(b).setChanged(slices.Sorted(maps.Keys(previous)))
	}
	return b, err
}

// EventType is an event type: in Go its dotted name (user.created), in
// GraphQL the EventType enum's value (USER_CREATED, events.Upper).
type EventType string

// MarshalGQL writes the enum value.
func (t EventType) MarshalGQL(w io.Writer) {
	io.WriteString(w, strconv.Quote(events.Upper(string(t))))
}

// UnmarshalGQL reads an enum value; one that names no type of the
// catalogue is the caller's mistake.
func (t *EventType) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	for _, typ := range events.Types() {
		if events.Upper(typ) == s {
			*t = EventType(typ)
			return nil
		}
	}
	return fault.Errorf(fault.Invalid, "%q is not an EventType", truncate(s, 64))
}

// EventCursor is an events cursor as the Cursor scalar: the same text as
// events.Cursor.String, so cursors handed out as strings before still work.
type EventCursor struct{ events.Cursor }

// MarshalGQL writes the cursor's text.
func (c EventCursor) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(c.String())) }

// UnmarshalGQL reads an events cursor; "" is before the oldest event.
func (c *EventCursor) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fault.Errorf(fault.Invalid, "not a cursor of this API")
	}
	cur, err := events.ParseCursor(s)
	c.Cursor = cur
	return err
}

// EventEdge is an event and its cursor.
type EventEdge struct {
	Cursor EventCursor
	Node   Event
}

// EventPageInfo is where a page of events ends.
type EventPageInfo struct {
	HasNextPage     bool
	EndCursor       EventCursor
	HasPreviousPage bool
	StartCursor     EventCursor
}

// EventConnection is a page of events.
type EventConnection struct {
	Edges    []*EventEdge
	PageInfo *EventPageInfo
}
