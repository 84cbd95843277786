package domain

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/ent/user"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/roles"
	"github.com/acme/directory/store"
)

// UserFields are the stored attributes of a user, keyed by ent field name
// (user.Field...), each of the Go type of its field. They are always the
// whole resource: on an update, a string field given as "" is cleared.
type UserFields map[string]any

// Guard checks the version of the row an update or delete is about to
// change (a SCIM If-Match); nil accepts any version.
type Guard func(version int) error

// User reads one user of a directory.
func (s *Service) User(ctx context.Context, dirID, id uuid.UUID) (*ent.User, error) {
	return userOf(ctx, s.db(ctx), dirID, id, false)
}

// ProvisionUser creates a user in a directory, or takes over the user of
// the same userName when a provider provisions it again: one deactivated
// earlier (Okta re-assignment) or one with the same externalId (a retry).
// An active user of that userName with another externalId is a Conflict.
// created reports whether a new user was made. New users of a directory
// provisioned together share a transaction (group commit, provision.go).
func (s *Service) ProvisionUser(ctx context.Context, dirID uuid.UUID, f UserFields) (*ent.User, bool, error) {
	userName, _ := f[user.FieldUserName].(string)
	if strings.TrimSpace(userName) == "" {
		return nil, false, fault.FieldErrorf("userName", "is required")
	}
	if inCallersTx(ctx) {
		return s.provisionAlone(ctx, dirID, userName, f)
	}
	p := &provisioning{dirID: dirID, userName: userName, f: f}
	s.provisionBatched(ctx, p)
	if p.err != nil {
		return nil, false, wrap("provision user", p.err)
	}
	return p.u, p.created, nil
}

// provisionAlone is ProvisionUser in a transaction of its own (or the
// caller's).
func (s *Service) provisionAlone(ctx context.Context, dirID uuid.UUID, userName string, f UserFields) (u *ent.User, created bool, err error) {
	provision := func(ctx context.Context, tx *opTx) error {
		u, created, err = s.provisionUser(ctx, tx, dirID, userName, f)
		return err
	}
	err = s.inTx(ctx, provision)
	if fault.Is(err, fault.Conflict) && !inCallersTx(ctx) {
		// Two identical provisioning requests raced: both found no user,
		// one inserted. Run again: this time the user is there to take
		// over, or the conflict is real.
		err = s.inTx(ctx, provision)
	}
	if err != nil {
		return nil, false, wrap("provision user", err)
	}
	return store.Release(ctx, u), created, nil
}

func (s *Service) provisionUser(ctx context.Context, tx *opTx, dirID uuid.UUID, userName string, f UserFields) (*ent.User, bool, error) {
	q := tx.User.Query().Where(user.DirectoryID(dirID), user.UserNameKey(schematype.FoldKey(userName)))
	existing, err := s.lock(q).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		org, err := organizationOf(ctx, tx.Client, dirID)
		if err != nil {
			return nil, false, err
		}
		c := tx.User.Create().SetOrganizationID(org).SetDirectoryID(dirID)
		if err := setFields(c.Mutation(), f, false); err != nil {
			return nil, false, err
		}
		// The new user's roles are read before its insert: on PostgreSQL
		// the insert's trigger locks the directory's row (its user_total)
		// until the commit, so what follows it is what every concurrent
		// provisioning of the directory waits for.
		var eff []*ent.Role
		if !outboxOff(ctx) {
			active, set := c.Mutation().Active()
			if !set {
				active = user.DefaultActive
			}
			if eff, err = roles.OfNewUser(ctx, tx.Client, &ent.User{OrganizationID: org, Active: active}); err != nil {
				return nil, false, err
			}
		}
		u, err := c.Save(ctx)
		if err != nil {
			return nil, false, userConflict(err)
		}
		return u, true, userCreated(ctx, tx, u, eff)
	case err != nil:
		return nil, false, err
	case existing.Active && !sameExternalID(existing.ExternalID, f[user.FieldExternalID]):
		return nil, false, fault.Errorf(fault.Conflict, "a user with userName %s already exists", existing.UserName)
	}
	upd := tx.User.UpdateOne(existing)
	if err := setFields(upd.Mutation(), f, true); err != nil {
		return nil, false, err
	}
	u, err := upd.Save(ctx)
	if err != nil {
		return nil, false, userConflict(err)
	}
	if err := renameMemberships(ctx, tx, existing, u); err != nil {
		return nil, false, err
	}
	return u, false, userChanged(ctx, tx, existing, u)
}

// sameExternalID reports whether a provisioning request names the user
// that exists: both carry the same, non-empty externalId.
func sameExternalID(stored string, sent any) bool {
	s, _ := sent.(string)
	return stored != "" && stored == s
}

// UpdateUser replaces a user with the fields next computes from it, in one
// transaction with the row locked, after guard accepts its version. next
// returning nil fields means nothing changes: no write, no new version.
func (s *Service) UpdateUser(ctx context.Context, dirID, id uuid.UUID, guard Guard, next func(*ent.User) (UserFields, error)) (*ent.User, error) {
	var u *ent.User
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		cur, err := s.lockedUser(ctx, tx, dirID, id, guard)
		if err != nil {
			return err
		}
		f, err := next(cur)
		if err != nil || f == nil {
			u = cur
			return err
		}
		upd := tx.User.UpdateOne(cur)
		if err := setFields(upd.Mutation(), f, true); err != nil {
			return err
		}
		u, err = upd.Save(ctx)
		if err != nil {
			return userConflict(err)
		}
		if err := renameMemberships(ctx, tx, cur, u); err != nil {
			return err
		}
		return userChanged(ctx, tx, cur, u)
	})
	if err != nil {
		return nil, wrap("update user", err)
	}
	return store.Release(ctx, u), nil
}

// DeleteUser deletes a user and its memberships.
func (s *Service) DeleteUser(ctx context.Context, dirID, id uuid.UUID, guard Guard) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		u, err := s.lockedUser(ctx, tx, dirID, id, guard)
		if err != nil {
			return err
		}
		if err := userDeleted(ctx, tx, u); err != nil {
			return err
		}
		return tx.User.DeleteOne(u).Exec(ctx)
	})
	return wrap("delete user", err)
}

// lockedUser reads a user for a change, locked, and checks its version.
func (s *Service) lockedUser(ctx context.Context, tx *opTx, dirID, id uuid.UUID, guard Guard) (*ent.User, error) {
	u, err := userOf(ctx, tx.Client, dirID, id, s.rowLocks)
	if err != nil {
		return nil, err
	}
	if guard != nil {
		if err := guard(u.Version); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// userOf reads a user of a directory, locked when lock is set.
func userOf(ctx context.Context, c *ent.Client, dirID, id uuid.UUID, lock bool) (*ent.User, error) {
	q := c.User.Query().Where(user.ID(id), user.DirectoryID(dirID))
	if lock {
		q.ForUpdate()
	}
	u, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.Errorf(fault.NotFound, "no user with id %s", id)
	}
	return u, err
}

// userConflict names a unique violation of a user write: the folded
// userName is the one unique key a provider controls.
func userConflict(err error) error {
	return conflictOn(err, "userName", "another user of the directory has this userName")
}

// lock adds FOR UPDATE where the database needs row locks.
func (s *Service) lock(q *ent.UserQuery) *ent.UserQuery {
	if s.rowLocks {
		q.ForUpdate()
	}
	return q
}

// setFields writes fields into a create or update mutation: "" clears an
// optional string field of an update and leaves a create's unset.
func setFields(m ent.Mutation, fields map[string]any, update bool) error {
	for name, v := range fields {
		if s, ok := v.(string); ok && s == "" {
			if update {
				if err := m.ClearField(name); err != nil {
					return fault.FieldErrorf(name, "is required")
				}
			}
			continue
		}
		if err := m.SetField(name, v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}

// organizationOf is the organization of a directory the viewer can see.
func organizationOf(ctx context.Context, c *ent.Client, dirID uuid.UUID) (uuid.UUID, error) {
	if v := viewerDirectory(ctx); v != nil && v.DirectoryID == dirID {
		return v.OrganizationID, nil // the directory's own token: no read needed
	}
	d, err := c.Directory.Get(ctx, dirID)
	if err != nil {
		return uuid.Nil, notFoundOn(err, "directoryID", "no such directory")
	}
	return d.OrganizationID, nil
}
