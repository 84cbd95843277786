package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/admin"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/graph/model"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
)

// The helpers of the mutations that package admin does not already
// provide. Each runs as the viewer in ctx: the privacy rules decide what it
// may touch, and what it may not see is NOT_FOUND.

// requireOrganization answers NOT_FOUND, about field, when the viewer
// cannot see organization id: writing into another organization is the
// same as writing into one that does not exist.
func requireOrganization(ctx context.Context, c *ent.Client, id uuid.UUID, field string) error {
	ok, err := c.Organization.Query().Where(organization.ID(id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("look up organization: %w", err)
	}
	if !ok {
		return &fault.Error{Code: fault.NotFound, Field: field, Message: "no such organization"}
	}
	return nil
}

// conflictOn names the field of a unique-constraint violation; other
// errors pass through.
func conflictOn(err error, field, format string, args ...any) error {
	if ent.IsConstraintError(err) {
		return &fault.Error{Code: fault.Conflict, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	return err
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// createOrganization creates an organization with its external id, if
// given, in one transaction.
func createOrganization(ctx context.Context, c *ent.Client, in model.CreateOrganizationInput) (*ent.Organization, error) {
	var org *ent.Organization
	err := store.WithTx(ctx, c, func(tx *ent.Tx) error {
		o, err := admin.CreateOrganization(ctx, tx.Client(), in.Name, deref(in.Slug))
		if err != nil {
			return err
		}
		if in.ExternalID != nil {
			o, err = tx.Organization.UpdateOne(o).SetExternalID(*in.ExternalID).Save(ctx)
			if err != nil {
				return conflictOn(err, "externalID", "%q is taken", *in.ExternalID)
			}
		}
		org = o
		return nil
	})
	if err != nil {
		return nil, inputError("input", err)
	}
	return store.Release(ctx, org), nil
}

// updateOrganization applies the fields set in in.
func updateOrganization(ctx context.Context, c *ent.Client, id uuid.UUID, in model.UpdateOrganizationInput) (*ent.Organization, error) {
	u := c.Organization.UpdateOneID(id).SetNillableName(in.Name).SetNillableSlug(in.Slug)
	ext, setExt := in.ExternalID.ValueOK()
	switch {
	case setExt && ext == nil:
		u.ClearExternalID()
	case setExt:
		u.SetExternalID(*ext)
	}
	o, err := u.Save(ctx)
	if err == nil {
		return o, nil
	}
	// Slug and external id are the unique columns: name the one that
	// collided when only one of them changed.
	switch newExt := setExt && ext != nil; {
	case in.Slug != nil && !newExt:
		err = conflictOn(err, "slug", "%q is taken", *in.Slug)
	case in.Slug == nil && newExt:
		err = conflictOn(err, "externalID", "%q is taken", *ext)
	}
	return nil, inputError("input", err)
}

// rotateDirectoryToken adds a token to a directory and returns it once,
// with the stored token's prefix and times.
func rotateDirectoryToken(ctx context.Context, c *ent.Client, dirID uuid.UUID, expiresAt *time.Time, now time.Time) (*model.RotateDirectoryTokenPayload, error) {
	if expiresAt != nil && !expiresAt.After(now) {
		return nil, fault.FieldErrorf("expiresAt", "must be in the future")
	}
	plain, err := admin.RotateDirectoryToken(ctx, c, dirID, expiresAt)
	if err != nil {
		return nil, err
	}
	tok, err := c.DirectoryToken.Query().Where(directorytoken.Hash(secret.Hash(plain))).
		WithDirectory().Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the new token: %w", err)
	}
	return &model.RotateDirectoryTokenPayload{Directory: tok.Edges.Directory, Token: tok, BearerToken: plain}, nil
}

// directoryStatus is what the admin sees of a directory's state.
func directoryStatus(d *ent.Directory) model.DirectoryStatus {
	switch {
	case !d.Enabled:
		return model.DirectoryStatusDisabled
	case d.LastSyncedAt == nil:
		return model.DirectoryStatusPending
	}
	return model.DirectoryStatusActive
}
