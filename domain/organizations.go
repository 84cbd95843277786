package domain

import (
	"context"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/organization"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/store"
)

// nonSlug matches the runs of characters a slug cannot hold.
var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// Slugify derives an organization slug from its name: "Acme, Inc." ->
// "acme-inc".
func Slugify(name string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// NewOrganization is what creating an organization takes.
type NewOrganization struct {
	Name       string
	Slug       string  // empty: derived from Name
	ExternalID *string // the application's own id for it
}

// CreateOrganization creates an organization (platform viewers only: the
// privacy rules refuse others).
func (s *Service) CreateOrganization(ctx context.Context, in NewOrganization) (*ent.Organization, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, fault.FieldErrorf("name", "must not be empty")
	}
	slug := in.Slug
	if slug == "" {
		slug = Slugify(name)
	}
	var org *ent.Organization
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) (err error) {
		org, err = tx.Organization.Create().SetName(name).SetSlug(slug).
			SetNillableExternalID(in.ExternalID).Save(ctx)
		return orgConflict(err, &slug, in.ExternalID) // inside: the transaction classifies what it returns
	})
	if err != nil {
		return nil, wrap("create organization", err)
	}
	return store.Release(ctx, org), nil
}

// OrganizationChange is what updating an organization takes; nil fields
// stay as they are.
type OrganizationChange struct {
	Name       *string
	Slug       *string
	ExternalID Nullable[string]
}

// UpdateOrganization changes an organization's name, slug or external id.
func (s *Service) UpdateOrganization(ctx context.Context, id uuid.UUID, in OrganizationChange) (*ent.Organization, error) {
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return nil, fault.FieldErrorf("name", "must not be empty")
	}
	if in.ExternalID.Set && !access.FromContext(ctx).IsPlatform() {
		// The external id is the application's own key for the tenant:
		// only the application (the platform) may move it.
		return nil, &fault.Error{Code: fault.Forbidden, Field: "externalID", Message: "only a platform key changes the external id"}
	}
	var org *ent.Organization
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) (err error) {
		u := tx.Organization.UpdateOneID(id).SetNillableName(in.Name).SetNillableSlug(in.Slug)
		var ext *string
		switch {
		case in.ExternalID.Set && in.ExternalID.Value == nil:
			u.ClearExternalID()
		case in.ExternalID.Set:
			ext = in.ExternalID.Value
			u.SetExternalID(*ext)
		}
		org, err = u.Save(ctx)
		return orgConflict(notFoundOn(err, "id", "no such organization"), in.Slug, ext)
	})
	if err != nil {
		return nil, wrap("update organization", err)
	}
	return store.Release(ctx, org), nil
}

// orgConflict names the unique column a write collided on when only one
// of them was written; the message names the value the caller sent, never
// another organization's.
func orgConflict(err error, slug, externalID *string) error {
	switch {
	case slug != nil && externalID == nil:
		return conflictOn(err, "slug", "this slug is taken")
	case slug == nil && externalID != nil:
		return conflictOn(err, "externalID", "this external id is taken")
	}
	return conflictOn(err, "", "the slug or external id is taken")
}

// DeleteOrganization deletes an organization with everything in it.
func (s *Service) DeleteOrganization(ctx context.Context, id uuid.UUID) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		return notFoundOn(tx.Organization.DeleteOneID(id).Exec(ctx), "id", "no such organization")
	})
	return wrap("delete organization", err)
}

// Organizations lists the organizations the viewer may see, oldest first.
func (s *Service) Organizations(ctx context.Context) ([]*ent.Organization, error) {
	orgs, err := s.db(ctx).Organization.Query().
		Order(ent.Asc(organization.FieldCreatedAt), ent.Asc(organization.FieldID)).All(ctx)
	return orgs, wrap("list organizations", err)
}

// requireOrganization answers NotFound, about field, when the viewer
// cannot see organization id: writing into another organization is the
// same as writing into one that does not exist.
func requireOrganization(ctx context.Context, c *ent.Client, id uuid.UUID, field string) error {
	ok, err := c.Organization.Query().Where(organization.ID(id)).Exist(ctx)
	if err != nil {
		return wrap("look up organization", err)
	}
	if !ok {
		return &fault.Error{Code: fault.NotFound, Field: field, Message: "no such organization"}
	}
	return nil
}
