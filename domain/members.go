package domain

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/user"
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

// memberChunk bounds the rows of one set-based statement: 2,000 rows of
// four columns stay under SQLite's 32,766 and PostgreSQL's 65,535 bound
// parameters.
const memberChunk = 2000

// changeMembers runs member changes in order, each as a few set-based
// statements whatever the number of members.
func (s *Service) changeMembers(ctx context.Context, tx *opTx, g *ent.Group, changes []MemberChange) error {
	if len(changes) == 0 {
		return nil
	}
	watch, err := watchGroupMembers(ctx, tx, g, changes)
	if err != nil {
		return fmt.Errorf("group members: %w", err)
	}
	for _, ch := range changes {
		var err error
		switch ch.Op {
		case AddMembers:
			err = s.addMembers(ctx, tx, g, ch.IDs)
		case RemoveMembers:
			err = removeMembers(ctx, tx, g.ID, ch.IDs)
		case ReplaceMembers:
			if _, err = tx.Membership.Delete().Where(membership.GroupID(g.ID)).Exec(ctx); err == nil {
				err = s.addMembers(ctx, tx, g, ch.IDs)
			}
		default:
			err = fmt.Errorf("unknown member operation %q", ch.Op)
		}
		if err != nil {
			return fmt.Errorf("group members %s: %w", ch.Op, err)
		}
	}
	return watch.record(ctx, tx)
}

// addMembers inserts the memberships of the ids that are users of the
// group's directory; existing memberships are left alone. On PostgreSQL the
// users are read FOR SHARE: a user deleted meanwhile is skipped like an
// unknown one, and one read cannot be deleted before the insert.
func (s *Service) addMembers(ctx context.Context, tx *opTx, g *ent.Group, ids []uuid.UUID) error {
	for chunk := range slices.Chunk(ids, memberChunk) {
		q := tx.User.Query().Where(user.DirectoryID(g.DirectoryID), user.IDIn(chunk...))
		if s.rowLocks {
			q.ForShare()
		}
		known, err := q.IDs(ctx)
		if err != nil {
			return err
		}
		if len(known) == 0 {
			continue
		}
		rows := make([]*ent.MembershipCreate, len(known))
		for i, id := range known {
			rows[i] = tx.Membership.Create().SetOrganizationID(g.OrganizationID).SetGroupID(g.ID).SetUserID(id)
		}
		err = tx.Membership.CreateBulk(rows...).
			OnConflictColumns(membership.FieldGroupID, membership.FieldUserID).DoNothing().Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}

// removeMembers deletes the memberships of the ids.
func removeMembers(ctx context.Context, tx *opTx, group uuid.UUID, ids []uuid.UUID) error {
	for chunk := range slices.Chunk(ids, memberChunk) {
		_, err := tx.Membership.Delete().
			Where(membership.GroupID(group), membership.UserIDIn(chunk...)).Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}
