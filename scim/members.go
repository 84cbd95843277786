package scim

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/scim/patch"
)

// memberChunk bounds the rows of one set-based statement: 2,000 rows of
// four columns stay under SQLite's 32,766 and PostgreSQL's 65,535 bound
// parameters.
const memberChunk = 2000

// applyMemberChanges runs PATCH member changes in order, each as a few
// set-based statements whatever the number of members. Unknown or foreign
// member ids are skipped: one stale id must not fail a whole group push.
func applyMemberChanges(ctx context.Context, tx *ent.Client, group uuid.UUID, changes []patch.MemberChange) error {
	for _, ch := range changes {
		ids := parseIDs(ch.IDs)
		var err error
		switch ch.Kind {
		case "add":
			err = addMembers(ctx, tx, group, ids)
		case "remove":
			err = removeMembers(ctx, tx, group, ids)
		case "replace":
			if _, err = tx.Membership.Delete().Where(membership.GroupID(group)).Exec(ctx); err == nil {
				err = addMembers(ctx, tx, group, ids)
			}
		default:
			err = fmt.Errorf("unknown member change %q", ch.Kind)
		}
		if err != nil {
			return fmt.Errorf("group members %s: %w", ch.Kind, err)
		}
	}
	return nil
}

// parseIDs keeps the values that are UUIDs, once each; anything else
// cannot be a member of this server and is skipped.
func parseIDs(values []string) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(values))
	ids := make([]uuid.UUID, 0, len(values))
	for _, v := range values {
		if id, err := uuid.Parse(v); err == nil && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// addMembers inserts the memberships of the ids that are users of the
// request's directory; existing memberships are left alone.
func addMembers(ctx context.Context, tx *ent.Client, group uuid.UUID, ids []uuid.UUID) error {
	v := access.FromContext(ctx)
	for chunk := range slices.Chunk(ids, memberChunk) {
		known, err := tx.User.Query().
			Where(user.DirectoryID(v.DirectoryID), user.IDIn(chunk...)).IDs(ctx)
		if err != nil {
			return err
		}
		if len(known) == 0 {
			continue
		}
		rows := make([]*ent.MembershipCreate, len(known))
		for i, id := range known {
			rows[i] = tx.Membership.Create().SetOrganizationID(v.OrganizationID).SetGroupID(group).SetUserID(id)
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
func removeMembers(ctx context.Context, tx *ent.Client, group uuid.UUID, ids []uuid.UUID) error {
	for chunk := range slices.Chunk(ids, memberChunk) {
		_, err := tx.Membership.Delete().
			Where(membership.GroupID(group), membership.UserIDIn(chunk...)).Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}
