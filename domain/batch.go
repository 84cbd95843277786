package domain

// Group commit of group updates. A provider pushing membership changes
// sends many small PATCHes to the same group at once (Okta and Entra send
// one per user assignment), and each must hold the group's row lock while
// it writes, so on their own they would queue behind each other's round
// trips. Instead, the updates of one group that arrive while one is being
// written wait, and are then written together, in one transaction: one
// lock, one version bump, one INSERT and one DELETE of memberships, one
// read of the users, one insert of the events, one commit. Each update
// keeps its own result: its own version (in arrival order), its own
// If-Match check, its own events, its own error.
//
// The first update of a group writes alone, at once; updates that arrive
// meanwhile queue, and when it commits the oldest of them writes the queue
// (at most batchMax) as one batch, and so on until none waits: one client
// pays nothing, sixteen share their round trips. Updates are batched only
// with updates of the same group by the same credential (the viewer and
// the events' actor are the batch's), outside a caller's transaction. If a
// batch's transaction fails, its updates are written again one by one, so
// one bad update fails alone.

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/events"
	"github.com/acme/directory/store"
)

// groupUpdate is one UpdateGroup call and, once written, its result.
type groupUpdate struct {
	dirID uuid.UUID
	id    uuid.UUID
	guard Guard
	next  func(*ent.Group) (GroupFields, []MemberChange, error)
	// effect is the caller's tally: a batch tallies each update's share
	// into its own.
	effect *Effect
	g      *ent.Group
	err    error
}

func (u *groupUpdate) fail(err error) { u.g, u.err = nil, err }

// groupKey is the key of updates that may share a transaction: of one
// group, by one credential.
type groupKey struct {
	group, dir uuid.UUID
	actor      actorKey
}

// updateGroupBatched writes u with the updates of its group that arrive
// while the group is being written.
func (s *Service) updateGroupBatched(ctx context.Context, u *groupUpdate) (*ent.Group, error) {
	u.effect = effectOf(ctx)
	s.groupUpdates.do(ctx, groupKey{group: u.id, dir: u.dirID, actor: actorOf(ctx)}, u, s.writeGroupUpdates)
	return u.g, u.err
}

// writeGroupUpdates writes batch in one transaction and sets each update's
// result; if the transaction fails, each update is written on its own.
func (s *Service) writeGroupUpdates(batch []*queued[*groupUpdate]) {
	alone := func(q *queued[*groupUpdate]) {
		u := q.w
		u.g, u.err = s.updateGroupTx(q.ctx, u.dirID, u.id, u.guard, u.next)
	}
	if len(batch) == 1 {
		alone(batch[0])
		return
	}
	ctx, cancel := batchContext(batch)
	defer cancel()
	updates := make([]*groupUpdate, len(batch))
	for i, q := range batch {
		updates[i] = q.w
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error { return s.applyBatch(ctx, tx, updates) })
	for _, q := range batch {
		if err != nil {
			q.w.effect.reset()
			alone(q)
		} else if q.w.g != nil {
			q.w.g = store.Release(q.ctx, q.w.g)
		}
	}
}

// applyBatch writes the updates of batch in order, in tx, into results.
// Consecutive updates that only add or remove members, of users no other
// of them names, are written together (pending); any other update is
// written as UpdateGroup writes it alone, after what is pending.
func (s *Service) applyBatch(ctx context.Context, tx *opTx, batch []*groupUpdate) error {
	cur, err := s.lockedGroup(ctx, tx, batch[0].dirID, batch[0].id, nil)
	if err != nil {
		return err
	}
	p := &pendingMembers{}
	for i, u := range batch {
		// What the update sees: the group as the updates before it left it.
		seen := *cur
		seen.Version += len(p.updates)
		if u.guard != nil {
			if err := u.guard(seen.Version); err != nil {
				u.err = err
				continue
			}
		}
		f, members, err := u.next(&seen)
		if err != nil {
			u.err = err
			continue
		}
		simple, err := onlyMembers(ctx, tx, cur, f, members)
		if err != nil {
			return err
		}
		if simple && p.fits(members) {
			p.add(i, members)
			continue
		}
		if cur, err = s.flush(ctx, tx, cur, p, batch); err != nil {
			return err
		}
		if simple {
			p.add(i, members)
			continue
		}
		g, err := s.updateLockedGroup(context.WithValue(ctx, effectKey{}, u.effect), tx, cur, f, members)
		if err != nil {
			return err
		}
		cur, u.g = g, g
	}
	_, err = s.flush(ctx, tx, cur, p, batch)
	return err
}

// onlyMembers reports whether an update leaves the group's fields as they
// are and only adds or removes members.
func onlyMembers(ctx context.Context, tx *opTx, cur *ent.Group, f GroupFields, members []MemberChange) (bool, error) {
	for _, ch := range members {
		if ch.Op != AddMembers && ch.Op != RemoveMembers {
			return false, nil
		}
	}
	m := tx.Group.UpdateOne(cur).Mutation()
	if err := setFields(m, f, true); err != nil {
		return false, nil // the update's own path reports it
	}
	for _, name := range m.Fields() {
		v, _ := m.Field(name)
		old, err := m.OldField(ctx, name)
		if err != nil {
			return false, fmt.Errorf("group field %s: %w", name, err)
		}
		if !reflect.DeepEqual(v, old) {
			return false, nil
		}
	}
	for _, name := range m.ClearedFields() {
		if old, err := m.OldField(ctx, name); err != nil || !reflect.ValueOf(old).IsZero() {
			return false, err
		}
	}
	return true, nil
}

// pendingMembers are updates that only add or remove members, written
// together by flush: each user is named by at most one of them.
type pendingMembers struct {
	updates []int                  // their indexes in the batch, in order
	adds    []uuid.UUID            // users to add, each once
	removes []uuid.UUID            // users to remove, each once
	by      map[uuid.UUID]int      // the update (position in updates) that names each user
	seen    map[uuid.UUID]MemberOp // what names each user
}

// fits reports whether members names no user that a pending update
// names with the other operation (an add and a remove do not commute).
func (p *pendingMembers) fits(members []MemberChange) bool {
	for _, ch := range members {
		for _, id := range ch.IDs {
			if op, ok := p.seen[id]; ok && op != ch.Op {
				return false
			}
		}
	}
	return true
}

func (p *pendingMembers) add(i int, members []MemberChange) {
	if p.by == nil {
		p.by, p.seen = map[uuid.UUID]int{}, map[uuid.UUID]MemberOp{}
	}
	pos := len(p.updates)
	p.updates = append(p.updates, i)
	for _, ch := range members {
		for _, id := range ch.IDs {
			if _, ok := p.seen[id]; ok {
				continue // the first update that names it takes its event
			}
			p.seen[id], p.by[id] = ch.Op, pos
			if ch.Op == AddMembers {
				p.adds = append(p.adds, id)
			} else {
				p.removes = append(p.removes, id)
			}
		}
	}
}

// flush writes the pending updates: one version bump for all of them, one
// INSERT and one DELETE of memberships, and the events of each update with
// the group at its own version. It returns the group after them.
func (s *Service) flush(ctx context.Context, tx *opTx, cur *ent.Group, p *pendingMembers, batch []*groupUpdate) (*ent.Group, error) {
	if len(p.updates) == 0 {
		return cur, nil
	}
	g, err := tx.Group.UpdateOne(cur).AddVersion(len(p.updates) - 1).Save(ctx)
	if err != nil {
		return nil, err
	}
	m := moves{}
	if err := s.insertMembers(ctx, tx, g, p.adds, m); err != nil {
		return nil, fmt.Errorf("group members add: %w", err)
	}
	if err := deleteMembers(ctx, tx, g.ID, p.removes, m); err != nil {
		return nil, fmt.Errorf("group members remove: %w", err)
	}
	// The group as each update left it: versions in order.
	first := g.Version - len(p.updates) + 1
	at := func(pos int) *ent.Group {
		v := *g
		v.Version = first + pos
		return &v
	}
	if err := recordMovesBy(ctx, tx, g, m, func(id uuid.UUID) *ent.Group { return at(p.by[id]) }); err != nil {
		return nil, err
	}
	for pos, i := range p.updates {
		batch[i].g = at(pos)
	}
	for _, id := range m.moved() {
		typ := events.TypeGroupUserRemoved
		if m[id][1] {
			typ = events.TypeGroupUserAdded
		}
		batch[p.updates[p.by[id]]].effect.add(typ, 1)
	}
	*p = pendingMembers{}
	return g, nil
}

// byUpdate orders the moved users by the update that moved them, then id.
func byUpdate(ids []uuid.UUID, of func(uuid.UUID) *ent.Group) {
	slices.SortStableFunc(ids, func(a, b uuid.UUID) int {
		if va, vb := of(a).Version, of(b).Version; va != vb {
			return va - vb
		}
		return bytes.Compare(a[:], b[:])
	})
}
