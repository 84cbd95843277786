package domain

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/roles"
	"github.com/acme/directory/store"
)

// MemberOp is what a MemberChange does.
type MemberOp string

// The member operations.
const (
	AddMembers     MemberOp = "add"     // add the users, keep the others
	RemoveMembers  MemberOp = "remove"  // remove the users, keep the others
	ReplaceMembers MemberOp = "replace" // make the users exactly the members
)

// MemberChange is one change of a group's members. Ids that are not users
// of the group's directory are skipped: one stale id must not fail a whole
// group push.
type MemberChange struct {
	Op  MemberOp
	IDs []uuid.UUID
}

// memberChunk bounds the ids of one set-based statement: well under
// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
const memberChunk = 5000

// Member changes are written set-based, and learn what they did from the
// database rather than by reading before and after: each INSERT or DELETE
// returns the users whose membership it made or ended (RETURNING, on both
// databases). Then, per roleChunk of those users, one read of the users and,
// when the group maps roles, one statement over memberships, mappings and
// the default role (roles.Through) give the events, written in one insert.
// Nothing reads the group's other members.

// changeMembers runs member changes in order, then records what they moved.
func (s *Service) changeMembers(ctx context.Context, tx *opTx, g *ent.Group, changes []MemberChange) error {
	if len(changes) == 0 {
		return nil
	}
	m := moves{}
	for _, ch := range changes {
		var err error
		switch ch.Op {
		case AddMembers:
			err = s.insertMembers(ctx, tx, g, ch.IDs, m)
		case RemoveMembers:
			err = deleteMembers(ctx, tx, g.ID, ch.IDs, m)
		case ReplaceMembers:
			if err = deleteAllMembers(ctx, tx, g.ID, m); err == nil {
				err = s.insertMembers(ctx, tx, g, ch.IDs, m)
			}
		default:
			err = fmt.Errorf("unknown member operation %q", ch.Op)
		}
		if err != nil {
			return fmt.Errorf("group members %s: %w", ch.Op, err)
		}
	}
	return recordMoves(ctx, tx, g, m)
}

// moves is what member changes did to each user's membership: whether it
// was a member before the first change that touched it, and is after the
// last. A user added and removed again has not moved.
type moves map[uuid.UUID]*[2]bool

func (m moves) note(id uuid.UUID, member bool) {
	if mv := m[id]; mv != nil {
		mv[1] = member
		return
	}
	m[id] = &[2]bool{!member, member}
}

// moved is the users whose membership differs after the changes, in id
// order (the order of their events).
func (m moves) moved() []uuid.UUID {
	var out []uuid.UUID
	for id, mv := range m {
		if mv[0] != mv[1] {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// memberDisplay is the SQL of a membership's display from its user's row
// (membership.display), as MemberDisplay computes it from an ent.User.
const memberDisplay = `COALESCE(NULLIF("display_name", ''), "user_name")`

// MemberDisplay is the display a user's memberships keep: its displayName,
// or its userName when that is empty. memberDisplay is the same in SQL.
func MemberDisplay(u *ent.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.UserName
}

// renameMemberships rewrites the display of the user's memberships when a
// change of its names moved it: one statement, none when it did not move.
func renameMemberships(ctx context.Context, tx *opTx, before, after *ent.User) error {
	display := MemberDisplay(after)
	if display == MemberDisplay(before) {
		return nil
	}
	b := store.NewArgs(tx.dialect)
	query := `UPDATE "memberships" SET "display" = ` + b.Add(display) + ` WHERE "user_id" = ` + b.Add(after.ID)
	if _, err := tx.ExecContext(ctx, query, b.List...); err != nil {
		return fmt.Errorf("rename memberships: %w", err)
	}
	return nil
}

// insertMembers inserts the memberships of the ids that are users of the
// group's directory, leaving existing ones alone, and notes those it made.
// On PostgreSQL the users are read FOR SHARE: a user deleted meanwhile is
// skipped like an unknown one, and one read cannot be deleted before the
// insert.
func (s *Service) insertMembers(ctx context.Context, tx *opTx, g *ent.Group, ids []uuid.UUID, m moves) error {
	lock := ""
	if s.rowLocks {
		lock = " FOR SHARE"
	}
	now := time.Now()
	for chunk := range slices.Chunk(ids, memberChunk) {
		b := store.NewArgs(tx.dialect)
		query := `INSERT INTO "memberships" ("organization_id", "group_id", "created_at", "user_id", "display") SELECT ` +
			b.Add(g.OrganizationID) + `, ` + b.Add(g.ID) + `, ` + b.Add(now) + `, "id", ` + memberDisplay + ` FROM "users" WHERE "directory_id" = ` +
			b.Add(g.DirectoryID) + ` AND "id" IN (` + b.IDs(chunk) + `)` + lock +
			` ON CONFLICT ("group_id", "user_id") DO NOTHING RETURNING "user_id"`
		if err := returnedUsers(ctx, tx, query, b.List, m, true); err != nil {
			return err
		}
	}
	return nil
}

// deleteAllMembers deletes every membership of the group and notes those
// it ended.
func deleteAllMembers(ctx context.Context, tx *opTx, group uuid.UUID, m moves) error {
	b := store.NewArgs(tx.dialect)
	query := `DELETE FROM "memberships" WHERE "group_id" = ` + b.Add(group) + ` RETURNING "user_id"`
	return returnedUsers(ctx, tx, query, b.List, m, false)
}

// deleteMembers deletes the memberships of the ids and notes those it
// ended.
func deleteMembers(ctx context.Context, tx *opTx, group uuid.UUID, ids []uuid.UUID, m moves) error {
	for chunk := range slices.Chunk(ids, memberChunk) {
		b := store.NewArgs(tx.dialect)
		query := `DELETE FROM "memberships" WHERE "group_id" = ` + b.Add(group) + ` AND "user_id" IN (` + b.IDs(chunk) + `) RETURNING "user_id"`
		if err := returnedUsers(ctx, tx, query, b.List, m, false); err != nil {
			return err
		}
	}
	return nil
}

// returnedUsers runs a membership write and notes the users it returns as
// now members or not.
func returnedUsers(ctx context.Context, tx *opTx, query string, args []any, m moves, member bool) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return err
		}
		m.note(id, member)
	}
	return rows.Err()
}

// recordMoves records group.user_added and group.user_removed for the
// users whose membership moved, and user.roles_changed for those whose
// effective roles moved with it.
func recordMoves(ctx context.Context, tx *opTx, g *ent.Group, m moves) error {
	return recordMovesBy(ctx, tx, g, m, func(uuid.UUID) *ent.Group { return g })
}

// recordMovesBy is recordMoves where the group a user's events show is
// at(user): the group as the update that moved the user left it (group
// commit, batch.go). Events are in the order of those groups' versions,
// then of user ids.
func recordMovesBy(ctx context.Context, tx *opTx, g *ent.Group, m moves, at func(uuid.UUID) *ent.Group) error {
	moved := m.moved()
	if len(moved) == 0 || outboxOff(ctx) {
		return nil
	}
	byUpdate(moved, at)
	groupKeys, err := groupRoleKeys(ctx, tx, g.ID)
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(moved, roleChunk) {
		q := tx.User.Query().Where(user.IDIn(chunk...))
		if len(groupKeys) == 0 {
			// Only membership events: the columns of their user summary.
			q.Select(user.FieldID, user.FieldOrganizationID, user.FieldDirectoryID, user.FieldUserName,
				user.FieldExternalID, user.FieldDisplayName, user.FieldPrimaryEmail, user.FieldActive)
		}
		us, err := q.All(ctx)
		if err != nil {
			return fmt.Errorf("moved members: %w", err)
		}
		order := make(map[uuid.UUID]int, len(chunk))
		for i, id := range chunk {
			order[id] = i
		}
		slices.SortFunc(us, func(a, b *ent.User) int { return order[a.ID] - order[b.ID] })
		evs := make([]change, 0, len(us))
		for _, u := range us {
			evs = append(evs, memberEvent(m[u.ID][1], at(u.ID), u))
		}
		if len(groupKeys) > 0 {
			rc, err := rolesMoved(ctx, tx, g, groupKeys, us, m)
			if err != nil {
				return err
			}
			evs = append(evs, rc...)
		}
		if err := record(ctx, tx, evs...); err != nil {
			return err
		}
	}
	return nil
}

// rolesMoved is user.roles_changed for the active users of us whose
// effective roles moved when they joined or left g, which maps groupKeys:
// one statement (roles.Through) gives the keys their groups map now,
// each with whether a group other than g maps it.
func rolesMoved(ctx context.Context, tx *opTx, g *ent.Group, groupKeys []string, us []*ent.User, m moves) ([]change, error) {
	var active []uuid.UUID
	for _, u := range us {
		if u.Active {
			active = append(active, u.ID)
		}
	}
	if len(active) == 0 {
		return nil, nil
	}
	through, err := roles.Through(ctx, tx.Client, tx.dialect, g.OrganizationID, g.ID, active)
	if err != nil {
		return nil, err
	}
	var out []change
	for _, u := range us {
		if !u.Active {
			continue
		}
		t := through.Of(u.ID)
		now := t.Keys()
		before := t.Without()
		if !m[u.ID][1] { // left g: what it had then is what it has now, and g's keys
			before = t.With(groupKeys)
		}
		if !slices.Equal(before, now) {
			out = append(out, rolesChanged(u, before, now))
		}
	}
	return out, nil
}
