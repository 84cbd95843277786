package graph

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/grouprole"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// The writes of group-to-role mappings and default roles. A group and the
// roles mapped to it belong to one organization: the mapping row carries
// it explicitly (the tenant rules check it), and a role of another
// organization is refused even to a platform key.

// setGroupRoles makes roleIDs exactly the roles of group groupID, in one
// transaction.
func setGroupRoles(ctx context.Context, c *ent.Client, groupID uuid.UUID, roleIDs []uuid.UUID) (*ent.Group, error) {
	var g *ent.Group
	err := store.WithTx(ctx, c, func(tx *ent.Tx) error {
		var err error
		if g, err = tx.Group.Get(ctx, groupID); err != nil {
			return notFoundField(err, "groupID")
		}
		want, err := rolesOfOrganization(ctx, tx.Client(), g.OrganizationID, roleIDs, indexedField("roleIDs"))
		if err != nil {
			return err
		}
		have, err := tx.GroupRole.Query().Where(grouprole.GroupID(groupID)).All(ctx)
		if err != nil {
			return fmt.Errorf("read group roles: %w", err)
		}
		var drop []uuid.UUID
		for _, gr := range have {
			if !want[gr.RoleID] {
				drop = append(drop, gr.RoleID)
			}
			delete(want, gr.RoleID)
		}
		if len(drop) > 0 {
			if _, err := tx.GroupRole.Delete().
				Where(grouprole.GroupID(groupID), grouprole.RoleIDIn(drop...)).Exec(ctx); err != nil {
				return fmt.Errorf("unmap roles: %w", err)
			}
		}
		return mapRoles(ctx, tx.Client(), g, want)
	})
	if err != nil {
		return nil, err
	}
	return store.Release(ctx, g), nil
}

// assignRoleToGroup maps one role to a group; an existing mapping is kept.
func assignRoleToGroup(ctx context.Context, c *ent.Client, groupID, roleID uuid.UUID) (*ent.Group, error) {
	var g *ent.Group
	err := store.WithTx(ctx, c, func(tx *ent.Tx) error {
		var err error
		if g, err = tx.Group.Get(ctx, groupID); err != nil {
			return notFoundField(err, "groupID")
		}
		want, err := rolesOfOrganization(ctx, tx.Client(), g.OrganizationID, []uuid.UUID{roleID},
			func(int) string { return "roleID" })
		if err != nil {
			return err
		}
		mapped, err := tx.GroupRole.Query().
			Where(grouprole.GroupID(groupID), grouprole.RoleID(roleID)).Exist(ctx)
		if err != nil || mapped {
			return err
		}
		return mapRoles(ctx, tx.Client(), g, want)
	})
	if err != nil {
		return nil, err
	}
	return store.Release(ctx, g), nil
}

// unassignRoleFromGroup removes a role from a group, if mapped.
func unassignRoleFromGroup(ctx context.Context, c *ent.Client, groupID, roleID uuid.UUID) (*ent.Group, error) {
	g, err := c.Group.Get(ctx, groupID)
	if err != nil {
		return nil, notFoundField(err, "groupID")
	}
	_, err = c.GroupRole.Delete().Where(grouprole.GroupID(groupID), grouprole.RoleID(roleID)).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("unmap role: %w", err)
	}
	return g, nil
}

// mapRoles inserts one mapping row per role of roles for group g.
func mapRoles(ctx context.Context, c *ent.Client, g *ent.Group, roles map[uuid.UUID]bool) error {
	if len(roles) == 0 {
		return nil
	}
	creates := make([]*ent.GroupRoleCreate, 0, len(roles))
	for id := range roles {
		creates = append(creates, c.GroupRole.Create().
			SetOrganizationID(g.OrganizationID).SetGroupID(g.ID).SetRoleID(id))
	}
	if err := c.GroupRole.CreateBulk(creates...).Exec(ctx); err != nil {
		return fmt.Errorf("map roles: %w", err)
	}
	return nil
}

// rolesOfOrganization checks that every id is a role of organization org
// the viewer can see, and returns them as a set. An unknown role is
// NOT_FOUND, another organization's role BAD_USER_INPUT, both naming the
// argument field(i) of the offending ids[i].
func rolesOfOrganization(ctx context.Context, c *ent.Client, org uuid.UUID, ids []uuid.UUID, field func(i int) string) (map[uuid.UUID]bool, error) {
	if len(ids) == 0 {
		return map[uuid.UUID]bool{}, nil
	}
	roles, err := c.Role.Query().Where(role.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	orgOf := make(map[uuid.UUID]uuid.UUID, len(roles))
	for _, r := range roles {
		orgOf[r.ID] = r.OrganizationID
	}
	set := make(map[uuid.UUID]bool, len(ids))
	for i, id := range ids {
		o, ok := orgOf[id]
		switch {
		case !ok:
			return nil, &fault.Error{Code: fault.NotFound, Field: field(i), Message: "no such role"}
		case o != org:
			return nil, fault.FieldErrorf(field(i), "belongs to another organization than the group")
		}
		set[id] = true
	}
	return set, nil
}

// setDefaultRole sets, or with a nil roleID clears, the default role of an
// organization.
func setDefaultRole(ctx context.Context, c *ent.Client, orgID uuid.UUID, roleID *uuid.UUID) (*ent.Organization, error) {
	u := c.Organization.UpdateOneID(orgID)
	if roleID == nil {
		u.ClearDefaultRoleID()
	} else {
		r, err := c.Role.Get(ctx, *roleID)
		if err != nil {
			return nil, notFoundField(err, "roleID")
		}
		if r.OrganizationID != orgID {
			return nil, fault.FieldErrorf("roleID", "belongs to another organization")
		}
		u.SetDefaultRoleID(r.ID)
	}
	o, err := u.Save(ctx)
	if err != nil {
		return nil, notFoundField(err, "organizationID")
	}
	return o, nil
}

// notFoundField names the argument of a NOT_FOUND; other errors pass
// through.
func notFoundField(err error, field string) error {
	if ent.IsNotFound(err) {
		return &fault.Error{Code: fault.NotFound, Field: field, Message: "not found"}
	}
	return err
}

// indexedField names the elements of a list argument: name[i].
func indexedField(name string) func(i int) string {
	return func(i int) string { return fmt.Sprintf("%s[%d]", name, i) }
}
