// Package roles computes users' effective roles: the roles mapped to the
// groups they are in, or their organization's default role; a deactivated
// user has none. It is the one
// definition both the GraphQL API and the event outbox use.
package roles

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/group"
	"github.com/acme/directory/ent/grouprole"
	"github.com/acme/directory/ent/membership"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/ent/predicate"
	entrole "github.com/acme/directory/ent/role"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/store"
)

// maxInList bounds the ids of one IN (...) list, below SQLite's and
// PostgreSQL's parameter limits.
const maxInList = 5000

// Effective computes the effective roles of each user: the roles
// mapped to any group the user is in or, when none of those groups maps a
// role, the user's organization's default role (none if it has no
// default). A deactivated user (active false) has no effective roles: an
// application that trusts them must not grant access to someone the
// customer has offboarded. It is the one definition of effective roles;
// resolvers and anything that must notice a change of them call it.
//
// It runs as the viewer in ctx, in at most five statements for up to
// maxInList users and their groups: for users given with active false, a
// re-read of that column (they may have been loaded without it);
// memberships, group-role mappings, their roles, and, for users left
// without a role, their organizations' default roles. Each user's roles are
// ordered by key; users without any are absent from the map.
func Effective(ctx context.Context, c *ent.Client, users []*ent.User) (map[uuid.UUID][]*ent.Role, error) {
	users, err := activeOnly(ctx, c, users)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return map[uuid.UUID][]*ent.Role{}, nil
	}
	out, err := mappedRoles(ctx, c, users)
	if err != nil {
		return nil, err
	}
	var roleless []*ent.User
	for _, u := range users {
		if len(out[u.ID]) == 0 {
			roleless = append(roleless, u)
		}
	}
	if err := addDefaultRoles(ctx, c, roleless, out); err != nil {
		return nil, err
	}
	for _, roles := range out {
		slices.SortFunc(roles, func(a, b *ent.Role) int { return cmp.Compare(a.Key, b.Key) })
	}
	return out, nil
}

// OfNewUser is Effective for a user just created, or about to be, and so in
// no group yet: its organization's default role when it is active, in one
// statement. Only u's OrganizationID and Active are read.
func OfNewUser(ctx context.Context, c *ent.Client, u *ent.User) ([]*ent.Role, error) {
	out := map[uuid.UUID][]*ent.Role{}
	if !u.Active {
		return nil, nil
	}
	if err := addDefaultRoles(ctx, c, []*ent.User{u}, out); err != nil {
		return nil, err
	}
	return out[u.ID], nil
}

// mappedRoles returns the roles each user gets through its groups.
func mappedRoles(ctx context.Context, c *ent.Client, users []*ent.User) (map[uuid.UUID][]*ent.Role, error) {
	groupsOf := map[uuid.UUID][]uuid.UUID{} // user -> groups
	var groups []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for ids := range slices.Chunk(userIDs(users), maxInList) {
		ms, err := c.Membership.Query().Where(membership.UserIDIn(ids...)).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("effective roles: memberships: %w", err)
		}
		for _, m := range ms {
			groupsOf[m.UserID] = append(groupsOf[m.UserID], m.GroupID)
			if !seen[m.GroupID] {
				seen[m.GroupID] = true
				groups = append(groups, m.GroupID)
			}
		}
	}
	rolesOf := map[uuid.UUID][]*ent.Role{} // group -> roles
	for ids := range slices.Chunk(groups, maxInList) {
		grs, err := c.GroupRole.Query().Where(grouprole.GroupIDIn(ids...)).WithRole().All(ctx)
		if err != nil {
			return nil, fmt.Errorf("effective roles: group mappings: %w", err)
		}
		for _, gr := range grs {
			if gr.Edges.Role != nil {
				rolesOf[gr.GroupID] = append(rolesOf[gr.GroupID], gr.Edges.Role)
			}
		}
	}
	out := make(map[uuid.UUID][]*ent.Role, len(users))
	for u, gs := range groupsOf {
		out[u] = unionRoles(gs, rolesOf)
	}
	return out, nil
}

// unionRoles is the roles of groups, each once.
func unionRoles(groups []uuid.UUID, rolesOf map[uuid.UUID][]*ent.Role) []*ent.Role {
	var roles []*ent.Role
	seen := map[uuid.UUID]bool{}
	for _, g := range groups {
		for _, r := range rolesOf[g] {
			if !seen[r.ID] {
				seen[r.ID] = true
				roles = append(roles, r)
			}
		}
	}
	return roles
}

// addDefaultRoles gives each of users its organization's default role, if
// it has one.
func addDefaultRoles(ctx context.Context, c *ent.Client, users []*ent.User, out map[uuid.UUID][]*ent.Role) error {
	if len(users) == 0 {
		return nil
	}
	orgOf, err := organizationsOf(ctx, c, users)
	if err != nil {
		return err
	}
	var orgIDs []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, o := range orgOf {
		if !seen[o] {
			seen[o] = true
			orgIDs = append(orgIDs, o)
		}
	}
	// A default role is a role of its own organization (setDefaultRole
	// checks it), so the role says which organization it is the default of.
	roles, err := c.Organization.Query().Where(organization.IDIn(orgIDs...)).QueryDefaultRole().All(ctx)
	if err != nil {
		return fmt.Errorf("effective roles: default roles: %w", err)
	}
	defaults := make(map[uuid.UUID]*ent.Role, len(roles))
	for _, r := range roles {
		defaults[r.OrganizationID] = r
	}
	for _, u := range users {
		if r := defaults[orgOf[u.ID]]; r != nil {
			out[u.ID] = []*ent.Role{r}
		}
	}
	return nil
}

// organizationsOf returns each user's organization, reading it for users
// loaded without their organization_id column.
func organizationsOf(ctx context.Context, c *ent.Client, users []*ent.User) (map[uuid.UUID]uuid.UUID, error) {
	out := make(map[uuid.UUID]uuid.UUID, len(users))
	var missing []uuid.UUID
	for _, u := range users {
		if u.OrganizationID == uuid.Nil {
			missing = append(missing, u.ID)
			continue
		}
		out[u.ID] = u.OrganizationID
	}
	for ids := range slices.Chunk(missing, maxInList) {
		loaded, err := c.User.Query().Where(user.IDIn(ids...)).
			Select(user.FieldID, user.FieldOrganizationID).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("effective roles: organizations of users: %w", err)
		}
		for _, u := range loaded {
			out[u.ID] = u.OrganizationID
		}
	}
	return out, nil
}

// activeOnly returns the active users of users. A user given with active
// false is read again (one statement per maxInList of them), since a query
// that selected only some columns leaves the field false; the re-read
// also fills its organization.
func activeOnly(ctx context.Context, c *ent.Client, users []*ent.User) ([]*ent.User, error) {
	out := make([]*ent.User, 0, len(users))
	var unsure []uuid.UUID
	for _, u := range users {
		if u.Active {
			out = append(out, u)
		} else {
			unsure = append(unsure, u.ID)
		}
	}
	for ids := range slices.Chunk(unsure, maxInList) {
		loaded, err := c.User.Query().Where(user.IDIn(ids...), user.Active(true)).
			Select(user.FieldID, user.FieldOrganizationID, user.FieldActive).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("effective roles: active users: %w", err)
		}
		out = append(out, loaded...)
	}
	return out, nil
}

func userIDs(users []*ent.User) []uuid.UUID {
	ids := make([]uuid.UUID, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids
}

// Holders is the users who hold role as an effective role, as a query
// predicate: active users in a group mapped to it, and active users in no
// group mapped to any role when it is their organization's default role.
// It says in SQL what Effective computes, so "who has role R?" pages and
// counts in the database; a test keeps the two in agreement.
func Holders(role uuid.UUID) predicate.User { return holders(entrole.ID(role)) }

// HoldersOfKey is Holders of the role with key in each user's own
// organization (group-role mappings and default roles never cross
// organizations, so the key names one role per organization).
func HoldersOfKey(key string) predicate.User { return holders(entrole.Key(key)) }

// holders is Holders of the roles that is selects.
func holders(is predicate.Role) predicate.User {
	return user.And(user.Active(true), user.Or(
		user.HasGroupsWith(group.HasRolesWith(is)),
		user.And(
			user.HasOrganizationWith(organization.HasDefaultRoleWith(is)),
			user.Not(user.HasGroupsWith(group.HasRoles())),
		),
	))
}

// Held is the roles one user's groups map, as Through read them: what
// Effective gives the user (an active one) now, and what it would give
// without, or with, one group's roles.
type Held struct {
	// elsewhere holds each key a group maps: true when a group other
	// than Through's except maps it.
	elsewhere map[string]bool
	def       string // the organization's default role key, "" if none
}

// Keys is the user's effective role keys now, by key.
func (h Held) Keys() []string {
	return h.effective(func(bool) bool { return true }, nil)
}

// Without is the effective role keys without the group Through excepted.
func (h Held) Without() []string {
	return h.effective(func(elsewhere bool) bool { return elsewhere }, nil)
}

// With is the effective role keys if the user's groups also mapped extra.
func (h Held) With(extra []string) []string {
	return h.effective(func(bool) bool { return true }, extra)
}

// effective applies Effective's rule to the mapped keys keep selects and
// extra: those keys, or else the default role.
func (h Held) effective(keep func(elsewhere bool) bool, extra []string) []string {
	var keys []string
	for k, elsewhere := range h.elsewhere {
		if keep(elsewhere) {
			keys = append(keys, k)
		}
	}
	for _, k := range extra {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 && h.def != "" {
		return []string{h.def}
	}
	slices.Sort(keys)
	return keys
}

// Mapped is what Through read, by user.
type Mapped struct {
	byUser map[uuid.UUID]map[string]bool
	def    string
}

// Of is the roles user's groups map.
func (m *Mapped) Of(user uuid.UUID) Held { return Held{elsewhere: m.byUser[user], def: m.def} }

// Through reads, in one statement, the role keys that the groups of users
// (active users of organization org) map, each with whether a group other
// than except maps it, and the organization's default role: enough to tell,
// set-based, how joining or leaving except moves their effective roles
// (Held). It applies Effective's rule; up to maxInList users.
// dia is the database's ent dialect: it decides the placeholders.
func Through(ctx context.Context, c *ent.Client, dia string, org, except uuid.UUID, users []uuid.UUID) (*Mapped, error) {
	if len(users) > maxInList {
		return nil, fmt.Errorf("effective roles: %d users in one statement; at most %d", len(users), maxInList)
	}
	a := store.NewArgs(dia)
	query := `SELECT m."user_id", r."key", MAX(CASE WHEN m."group_id" = ` + a.Add(except) + ` THEN 0 ELSE 1 END) ` +
		`FROM "memberships" m JOIN "group_roles" gr ON gr."group_id" = m."group_id" JOIN "roles" r ON r."id" = gr."role_id" ` +
		`WHERE m."user_id" IN (` + a.IDs(users) + `) GROUP BY m."user_id", r."key" ` +
		`UNION ALL SELECT NULL, r."key", 0 FROM "organizations" o JOIN "roles" r ON r."id" = o."default_role_id" WHERE o."id" = ` + a.Add(org)
	rows, err := c.QueryContext(ctx, query, a.List...)
	if err != nil {
		return nil, fmt.Errorf("effective roles: mapped keys: %w", err)
	}
	defer rows.Close()
	out := &Mapped{byUser: map[uuid.UUID]map[string]bool{}}
	for rows.Next() {
		var (
			u         uuid.NullUUID
			key       string
			elsewhere int
		)
		if err := rows.Scan(&u, &key, &elsewhere); err != nil {
			return nil, fmt.Errorf("effective roles: mapped keys: %w", err)
		}
		if !u.Valid {
			out.def = key
			continue
		}
		if out.byUser[u.UUID] == nil {
			out.byUser[u.UUID] = map[string]bool{}
		}
		out.byUser[u.UUID][key] = elsewhere == 1
	}
	return out, rows.Err()
}
