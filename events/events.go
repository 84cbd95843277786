// Package events reads the event outbox that package domain writes in the
// same transaction as each change. It is what every way out reads through:
// the GraphQL events connection today, and subscriptions and webhook
// delivery (which should call After with their own cursor).
//
// # Order without gaps
//
// Events are ordered by (txid, id) and a Cursor is that pair. On
// PostgreSQL, txid is the id of the writing transaction
// (pg_current_xact_id(), filled by the column's default) and id a sequence
// value handed out at insert time, which is not commit order: a reader that
// saw id 101 could later see 100 commit. So After returns only events whose
// transaction is older than the oldest transaction still running
// (txid < pg_snapshot_xmin(pg_current_snapshot()), in the same statement):
// every such transaction has finished, so nothing can commit behind a
// cursor any reader was given, and a transaction's events appear all at
// once. The price is latency, not loss: while a long transaction runs,
// later commits wait for it to end before they are returned. On SQLite
// writers run one at a time, txid is 0, and id order is commit order.
package events

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/event"
	"github.com/acme/directory/fault"
)

// DefaultRetention is how long events are kept when nothing else is
// configured.
const DefaultRetention = 30 * 24 * time.Hour

// MaxLimit bounds one page of After.
const MaxLimit = 1000

// Cursor is a position in the event order: the zero Cursor is before the
// first event.
type Cursor struct {
	TxID int64 // the writing transaction (0 on SQLite)
	ID   int64
}

// Of is the cursor just after e.
func Of(e *ent.Event) Cursor { return Cursor{TxID: e.Txid, ID: e.ID} }

// String is the cursor's opaque form, as clients see it.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("e1:%d:%d", c.TxID, c.ID)))
}

// ParseCursor reads a cursor's opaque form; "" is the zero cursor. A
// garbled cursor is fault.Invalid about field "after".
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	bad := fault.FieldErrorf("after", "is not an events cursor")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "e1" {
		return Cursor{}, bad
	}
	tx, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || tx < 0 || id < 0 {
		return Cursor{}, bad
	}
	return Cursor{TxID: tx, ID: id}, nil
}

// Filter narrows what After and Before return; zero fields filter nothing.
type Filter struct {
	Types       []string
	DirectoryID *uuid.UUID
	SubjectID   *uuid.UUID
	Since       *time.Time // created at or after
	Until       *time.Time // created before
}

// After returns, in order, up to limit (at most MaxLimit) events of
// organization org after cursor that match f, and whether more matching
// events follow them now. It runs as the viewer in ctx: the privacy rules
// of the data layer return nothing of another organization. Page on with
// Of(last event); when nothing is returned, ask again later with the same
// cursor.
//
// Subscriptions and webhook workers should read through this function
// (with a platform context and their own stored cursor), so they get the
// same gap-free order.
func After(ctx context.Context, c *ent.Client, org uuid.UUID, cursor Cursor, f Filter, limit int) ([]*ent.Event, bool, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	q := c.Event.Query().Where(event.OrganizationID(org), after(cursor), settled())
	f.apply(q)
	evs, err := q.Order(ent.Asc(event.FieldTxid), ent.Asc(event.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("read events: %w", err)
	}
	if len(evs) > limit {
		return evs[:limit], true, nil
	}
	return evs, false, nil
}

// Before returns up to limit (at most MaxLimit) events of organization org
// that match f and sort before bound (every readable one when bound is
// nil), newest first, and whether older matching events precede them. It
// is After read backwards, for a person who wants the latest first: the
// same order and the same readable set (on PostgreSQL, only settled
// transactions), so the newest event's cursor may be handed to After or a
// subscription to follow on with no gap.
func Before(ctx context.Context, c *ent.Client, org uuid.UUID, bound *Cursor, f Filter, limit int) ([]*ent.Event, bool, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	q := c.Event.Query().Where(event.OrganizationID(org), settled())
	if bound != nil {
		q.Where(before(*bound))
	}
	f.apply(q)
	evs, err := q.Order(ent.Desc(event.FieldTxid), ent.Desc(event.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("read events backwards: %w", err)
	}
	if len(evs) > limit {
		return evs[:limit], true, nil
	}
	return evs, false, nil
}

// apply narrows q to the events f matches.
func (f Filter) apply(q *ent.EventQuery) {
	if len(f.Types) > 0 {
		q.Where(event.TypeIn(f.Types...))
	}
	if f.DirectoryID != nil {
		q.Where(event.DirectoryID(*f.DirectoryID))
	}
	if f.SubjectID != nil {
		q.Where(event.SubjectID(*f.SubjectID))
	}
	if f.Since != nil {
		q.Where(event.CreatedAtGTE(*f.Since))
	}
	if f.Until != nil {
		q.Where(event.CreatedAtLT(*f.Until))
	}
}

// Latest is the cursor of organization org's newest readable event (the
// zero Cursor when it has none), read as the viewer in ctx: After(Latest)
// returns only the events that become readable after it was taken, since
// every event not yet readable then sorts after it.
func Latest(ctx context.Context, c *ent.Client, org uuid.UUID) (Cursor, error) {
	e, err := c.Event.Query().Where(event.OrganizationID(org), settled()).
		Order(ent.Desc(event.FieldTxid), ent.Desc(event.FieldID)).First(ctx)
	switch {
	case ent.IsNotFound(err):
		return Cursor{}, nil
	case err != nil:
		return Cursor{}, fmt.Errorf("read latest event: %w", err)
	}
	return Of(e), nil
}

// after is (txid, id) > cursor.
func after(c Cursor) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.Or(
			sql.GT(s.C(event.FieldTxid), c.TxID),
			sql.And(sql.EQ(s.C(event.FieldTxid), c.TxID), sql.GT(s.C(event.FieldID), c.ID)),
		))
	}
}

// before is (txid, id) < cursor.
func before(c Cursor) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.Or(
			sql.LT(s.C(event.FieldTxid), c.TxID),
			sql.And(sql.EQ(s.C(event.FieldTxid), c.TxID), sql.LT(s.C(event.FieldID), c.ID)),
		))
	}
}

// settled keeps, on PostgreSQL, the events of transactions older than
// every transaction still running: their set can no longer grow.
func settled() func(*sql.Selector) {
	return func(s *sql.Selector) {
		if s.Dialect() == dialect.Postgres {
			s.Where(sql.ExprP(s.C(event.FieldTxid) + " < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
		}
	}
}
