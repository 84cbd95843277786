package domain

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/grouprole"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// GroupFields are the stored attributes of a group, keyed by ent field
// name (group.Field...), members aside. They are always the whole
// resource: on an update, a string field given as "" is cleared.
type GroupFields map[string]any

// Group reads one group of a directory.
func (s *Service) Group(ctx context.Context, dirID, id uuid.UUID) (*ent.Group, error) {
	return groupOf(ctx, s.db(ctx), dirID, id, false)
}

// CreateGroup creates a group in a directory with its members, or takes
// over the group of the same displayName (compared without regard to
// case): JumpCloud links an application's groups by name, and two
// concurrent creations of one name make one group.
func (s *Service) CreateGroup(ctx context.Context, dirID uuid.UUID, f GroupFields, members []MemberChange) (*ent.Group, error) {
	name, _ := f[group.FieldDisplayName].(string)
	if strings.TrimSpace(name) == "" {
		return nil, fault.FieldErrorf("displayName", "is required")
	}
	var g *ent.Group
	create := func(ctx context.Context, tx *opTx) (err error) {
		g, err = s.createGroup(ctx, tx, dirID, name, f, members)
		return err
	}
	err := s.inTx(ctx, create)
	if fault.Is(err, fault.Conflict) && !inCallersTx(ctx) {
		// A concurrent creation of the same name committed first: take
		// its group over.
		err = s.inTx(ctx, create)
	}
	if err != nil {
		return nil, wrap("create group", err)
	}
	return store.Release(ctx, g), nil
}

func (s *Service) createGroup(ctx context.Context, tx *opTx, dirID uuid.UUID, name string, f GroupFields, members []MemberChange) (*ent.Group, error) {
	q := tx.Group.Query().Where(group.DirectoryID(dirID), group.DisplayNameKey(schematype.FoldKey(name)))
	if s.rowLocks {
		q.ForUpdate()
	}
	existing, err := q.Only(ctx)
	var g *ent.Group
	switch {
	case ent.IsNotFound(err):
		org, err := organizationOf(ctx, tx.Client, dirID)
		if err != nil {
			return nil, err
		}
		c := tx.Group.Create().SetOrganizationID(org).SetDirectoryID(dirID)
		if err := setFields(c.Mutation(), f, false); err != nil {
			return nil, err
		}
		if g, err = c.Save(ctx); err != nil {
			return nil, groupConflict(err)
		}
		if err := record(ctx, tx, groupEvent(g, events.GroupCreated{Group: events.GroupOf(g)}, nil)); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		u := tx.Group.UpdateOne(existing)
		if err := setFields(u.Mutation(), f, true); err != nil {
			return nil, err
		}
		if g, err = u.Save(ctx); err != nil {
			return nil, groupConflict(err)
		}
		if err := groupChanged(ctx, tx, existing, g); err != nil {
			return nil, err
		}
	}
	return g, s.changeMembers(ctx, tx, g, members)
}

// UpdateGroup replaces a group with what next computes from it, members
// included, in one transaction with the row locked, after guard accepts its
// version. The group's version moves also when only members change.
// Updates of one group that arrive together share a transaction (group
// commit, batch.go); each still sees the group as the ones before it left
// it, and gets its own version and result.
func (s *Service) UpdateGroup(ctx context.Context, dirID, id uuid.UUID, guard Guard,
	next func(*ent.Group) (GroupFields, []MemberChange, error)) (*ent.Group, error) {
	var g *ent.Group
	var err error
	if inCallersTx(ctx) {
		g, err = s.updateGroupTx(ctx, dirID, id, guard, next)
	} else {
		g, err = s.updateGroupBatched(ctx, &groupUpdate{dirID: dirID, id: id, guard: guard, next: next})
	}
	if err != nil {
		return nil, wrap("update group", err)
	}
	return g, nil
}

// updateGroupTx is UpdateGroup in a transaction of its own (or the
// caller's).
func (s *Service) updateGroupTx(ctx context.Context, dirID, id uuid.UUID, guard Guard,
	next func(*ent.Group) (GroupFields, []MemberChange, error)) (*ent.Group, error) {
	var g *ent.Group
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		cur, err := s.lockedGroup(ctx, tx, dirID, id, guard)
		if err != nil {
			return err
		}
		f, members, err := next(cur)
		if err != nil {
			return err
		}
		g, err = s.updateLockedGroup(ctx, tx, cur, f, members)
		return err
	})
	if err != nil {
		return nil, err
	}
	return store.Release(ctx, g), nil
}

// updateLockedGroup writes the fields f and the member changes of the
// locked group cur, with their events.
func (s *Service) updateLockedGroup(ctx context.Context, tx *opTx, cur *ent.Group, f GroupFields, members []MemberChange) (*ent.Group, error) {
	upd := tx.Group.UpdateOne(cur)
	if err := setFields(upd.Mutation(), f, true); err != nil {
		return nil, err
	}
	g, err := upd.Save(ctx)
	if err != nil {
		return nil, groupConflict(err)
	}
	if err := groupChanged(ctx, tx, cur, g); err != nil {
		return nil, err
	}
	return g, s.changeMembers(ctx, tx, g, members)
}

// DeleteGroup deletes a group with its memberships and role mappings.
func (s *Service) DeleteGroup(ctx context.Context, dirID, id uuid.UUID, guard Guard) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		g, err := s.lockedGroup(ctx, tx, dirID, id, guard)
		if err != nil {
			return err
		}
		var watch *roleWatch
		if mapped, err := tx.GroupRole.Query().Where(grouprole.GroupID(g.ID)).Exist(ctx); err != nil {
			return err
		} else if mapped {
			if watch, err = watchMembers(ctx, tx, g.ID); err != nil {
				return err
			}
		}
		if err := tx.Group.DeleteOne(g).Exec(ctx); err != nil {
			return err
		}
		if err := record(ctx, tx, groupEvent(g, events.GroupDeleted{Group: events.GroupOf(g)}, nil)); err != nil {
			return err
		}
		return watch.record(ctx, tx)
	})
	return wrap("delete group", err)
}

// lockedGroup reads a group for a change, locked, and checks its version.
func (s *Service) lockedGroup(ctx context.Context, tx *opTx, dirID, id uuid.UUID, guard Guard) (*ent.Group, error) {
	g, err := groupOf(ctx, tx.Client, dirID, id, s.rowLocks)
	if err != nil {
		return nil, err
	}
	if guard != nil {
		if err := guard(g.Version); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// groupOf reads a group of a directory, locked when lock is set.
func groupOf(ctx context.Context, c *ent.Client, dirID, id uuid.UUID, lock bool) (*ent.Group, error) {
	q := c.Group.Query().Where(group.ID(id), group.DirectoryID(dirID))
	if lock {
		q.ForUpdate()
	}
	g, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.Errorf(fault.NotFound, "no group with id %s", id)
	}
	return g, err
}

// groupConflict names a unique violation of a group write: the folded
// displayName is unique per directory.
func groupConflict(err error) error {
	return conflictOn(err, "displayName", "another group of the directory has this displayName")
}
