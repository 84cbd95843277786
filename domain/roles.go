package domain

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/grouprole"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/ent/role"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// NewRole is what creating a role takes.
type NewRole struct {
	OrganizationID uuid.UUID
	Key            string // the stable identifier the application checks
	Name           string
	Description    *string
}

// CreateRole creates a role of an organization.
func (s *Service) CreateRole(ctx context.Context, in NewRole) (*ent.Role, error) {
	if err := requireOrganization(ctx, s.db(ctx), in.OrganizationID, "organizationID"); err != nil {
		return nil, err
	}
	var r *ent.Role
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) (err error) {
		r, err = tx.Role.Create().SetOrganizationID(in.OrganizationID).
			SetKey(in.Key).SetName(in.Name).SetNillableDescription(in.Description).Save(ctx)
		if err != nil {
			return conflictOn(err, "key", "the organization already has a role with this key")
		}
		return record(ctx, tx, roleEvent(r, events.RoleCreated{Role: events.RoleOf(r)}, nil))
	})
	if err != nil {
		return nil, wrap("create role", conflictOn(err, "key", "the organization already has a role with this key"))
	}
	return r.Unwrap(), nil
}

// RoleChange is what updating a role takes; nil fields stay as they are.
type RoleChange struct {
	Key, Name   *string
	Description Nullable[string]
}

// UpdateRole changes a role's key, name or description.
func (s *Service) UpdateRole(ctx context.Context, id uuid.UUID, in RoleChange) (*ent.Role, error) {
	var r *ent.Role
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		was, err := tx.Role.Get(ctx, id)
		if err != nil {
			return notFoundOn(err, "id", "no such role")
		}
		u := tx.Role.UpdateOne(was).SetNillableKey(in.Key).SetNillableName(in.Name)
		switch d := in.Description; {
		case d.Set && d.Value == nil:
			u.ClearDescription()
		case d.Set:
			u.SetDescription(*d.Value)
		}
		if r, err = u.Save(ctx); err != nil {
			return conflictOn(notFoundOn(err, "id", "no such role"), "key", "the organization already has a role with this key")
		}
		is := events.RoleUpdated{Role: events.RoleOf(r)}
		prev, err := previousOf(events.RoleUpdated{Role: events.RoleOf(was)}, is)
		if err != nil || prev == nil {
			return err
		}
		return record(ctx, tx, roleEvent(r, is, prev))
	})
	if err != nil {
		err = notFoundOn(err, "id", "no such role")
		return nil, wrap("update role", conflictOn(err, "key", "the organization already has a role with this key"))
	}
	return r.Unwrap(), nil
}

// DeleteRole deletes a role and its group mappings; an organization whose
// default role it was has none afterwards.
func (s *Service) DeleteRole(ctx context.Context, id uuid.UUID) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		r, err := tx.Role.Get(ctx, id)
		if err != nil {
			return notFoundOn(err, "id", "no such role")
		}
		// Who held it: everyone relying on the default, or the members of
		// the groups that map it.
		var watch *roleWatch
		isDefault, err := tx.Organization.Query().Where(organization.ID(r.OrganizationID), organization.DefaultRoleID(r.ID)).Exist(ctx)
		if err != nil {
			return err
		}
		if isDefault {
			watch, err = watchOrganization(ctx, tx, r.OrganizationID)
		} else {
			var groups []uuid.UUID
			if groups, err = tx.GroupRole.Query().Where(grouprole.RoleID(r.ID)).QueryGroup().IDs(ctx); err == nil {
				watch, err = watchMembers(ctx, tx, groups...)
			}
		}
		if err != nil {
			return err
		}
		if err := tx.Role.DeleteOne(r).Exec(ctx); err != nil {
			return notFoundOn(err, "id", "no such role")
		}
		if err := record(ctx, tx, roleEvent(r, events.RoleDeleted{Role: events.RoleOf(r)}, nil)); err != nil {
			return err
		}
		return watch.record(ctx, tx)
	})
	return wrap("delete role", err)
}

// SetDefaultRole sets, or with a nil roleID clears, the role of an
// organization's users who are in no group mapped to a role.
func (s *Service) SetDefaultRole(ctx context.Context, orgID uuid.UUID, roleID *uuid.UUID) (*ent.Organization, error) {
	var org *ent.Organization
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		was, err := tx.Organization.Get(ctx, orgID)
		if err != nil {
			return notFoundOn(err, "organizationID", "no such organization")
		}
		var watch *roleWatch
		if !sameID(was.DefaultRoleID, roleID) {
			if watch, err = watchOrganization(ctx, tx, orgID); err != nil {
				return err
			}
		}
		u := tx.Organization.UpdateOneID(orgID)
		if roleID == nil {
			u.ClearDefaultRoleID()
		} else {
			if _, err := rolesOf(ctx, tx, orgID, []uuid.UUID{*roleID}, func(int) string { return "roleID" }); err != nil {
				return err
			}
			u.SetDefaultRoleID(*roleID)
		}
		org, err = u.Save(ctx)
		if err != nil {
			return notFoundOn(err, "organizationID", "no such organization")
		}
		return watch.record(ctx, tx)
	})
	if err != nil {
		return nil, wrap("set default role", err)
	}
	return store.Release(ctx, org), nil
}

// SetGroupRoles makes roleIDs exactly the roles mapped to a group.
func (s *Service) SetGroupRoles(ctx context.Context, groupID uuid.UUID, roleIDs []uuid.UUID) (*ent.Group, error) {
	return s.changeGroupRoles(ctx, groupID, func(ctx context.Context, tx *opTx, g *ent.Group) error {
		want, err := rolesOf(ctx, tx, g.OrganizationID, roleIDs, func(i int) string { return fmt.Sprintf("roleIDs[%d]", i) })
		if err != nil {
			return err
		}
		drop := tx.GroupRole.Delete().Where(grouprole.GroupID(groupID))
		if len(want) > 0 {
			drop.Where(grouprole.RoleIDNotIn(want...))
		}
		if _, err := drop.Exec(ctx); err != nil {
			return fmt.Errorf("unmap roles: %w", err)
		}
		return mapRoles(ctx, tx, g, want)
	})
}

// AssignRoleToGroup maps one more role to a group; an existing mapping is
// kept.
func (s *Service) AssignRoleToGroup(ctx context.Context, groupID, roleID uuid.UUID) (*ent.Group, error) {
	return s.changeGroupRoles(ctx, groupID, func(ctx context.Context, tx *opTx, g *ent.Group) error {
		want, err := rolesOf(ctx, tx, g.OrganizationID, []uuid.UUID{roleID}, func(int) string { return "roleID" })
		if err != nil {
			return err
		}
		return mapRoles(ctx, tx, g, want)
	})
}

// UnassignRoleFromGroup removes a role from a group, if mapped.
func (s *Service) UnassignRoleFromGroup(ctx context.Context, groupID, roleID uuid.UUID) (*ent.Group, error) {
	return s.changeGroupRoles(ctx, groupID, func(ctx context.Context, tx *opTx, _ *ent.Group) error {
		_, err := tx.GroupRole.Delete().Where(grouprole.GroupID(groupID), grouprole.RoleID(roleID)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("unmap role: %w", err)
		}
		return nil
	})
}

// changeGroupRoles runs change on a group's mappings in one transaction.
func (s *Service) changeGroupRoles(ctx context.Context, groupID uuid.UUID, change func(ctx context.Context, tx *opTx, g *ent.Group) error) (*ent.Group, error) {
	var g *ent.Group
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		var err error
		if g, err = tx.Group.Get(ctx, groupID); err != nil {
			return notFoundOn(err, "groupID", "no such group")
		}
		before, err := groupRoleKeys(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		watch, err := watchMembers(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		if err := change(ctx, tx, g); err != nil {
			return err
		}
		after, err := groupRoleKeys(ctx, tx, g.ID)
		if err != nil || slices.Equal(before, after) {
			return err
		}
		p := events.GroupRolesChanged{Group: events.GroupOf(g), Roles: nonNil(after)}
		if err := record(ctx, tx, groupEvent(g, p, events.Roles{Roles: nonNil(before)})); err != nil {
			return err
		}
		return watch.record(ctx, tx)
	})
	if err != nil {
		return nil, wrap("map group roles", err)
	}
	return store.Release(ctx, g), nil
}

// mapRoles inserts a mapping of each role of roles to group g; mappings
// that exist are left alone.
func mapRoles(ctx context.Context, tx *opTx, g *ent.Group, roles []uuid.UUID) error {
	if len(roles) == 0 {
		return nil
	}
	creates := make([]*ent.GroupRoleCreate, len(roles))
	for i, id := range roles {
		creates[i] = tx.GroupRole.Create().SetOrganizationID(g.OrganizationID).SetGroupID(g.ID).SetRoleID(id)
	}
	err := tx.GroupRole.CreateBulk(creates...).
		OnConflictColumns(grouprole.FieldGroupID, grouprole.FieldRoleID).DoNothing().Exec(ctx)
	if err != nil {
		return fmt.Errorf("map roles: %w", err)
	}
	return nil
}

// rolesOf checks that every id is a role of organization org the viewer
// can see and returns them once each. An unknown role is NotFound, another
// organization's role Invalid, both naming field(i) of the offending ids[i].
func rolesOf(ctx context.Context, tx *opTx, org uuid.UUID, ids []uuid.UUID, field func(i int) string) ([]uuid.UUID, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	roles, err := tx.Role.Query().Where(role.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	orgOf := make(map[uuid.UUID]uuid.UUID, len(roles))
	for _, r := range roles {
		orgOf[r.ID] = r.OrganizationID
	}
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for i, id := range ids {
		o, ok := orgOf[id]
		switch {
		case !ok:
			return nil, &fault.Error{Code: fault.NotFound, Field: field(i), Message: "no such role"}
		case o != org:
			return nil, fault.FieldErrorf(field(i), "belongs to another organization than the group")
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// Roles lists the roles of an organization, by key.
func (s *Service) Roles(ctx context.Context, orgID uuid.UUID) ([]*ent.Role, error) {
	rs, err := s.db(ctx).Role.Query().Where(role.OrganizationID(orgID)).Order(ent.Asc(role.FieldKey)).All(ctx)
	return rs, wrap("list roles", err)
}

// sameID reports whether two optional ids are equal.
func sameID(a, b *uuid.UUID) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
