package domain

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/apikey"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
)

// NewAPIKey is what creating an API key takes.
type NewAPIKey struct {
	Scope          access.Scope
	OrganizationID *uuid.UUID // required for organization scopes, refused for platform
	Name           string
}

// IssuedAPIKey is a key just made, with the one view of its secret.
type IssuedAPIKey struct {
	APIKey *ent.APIKey
	Key    string // shown once, never stored
}

// CreateAPIKey creates an API key. Organization scopes need an
// organization the viewer can see; the platform scope refuses one.
func (s *Service) CreateAPIKey(ctx context.Context, in NewAPIKey) (*IssuedAPIKey, error) {
	switch {
	case !in.Scope.IsKeyScope():
		return nil, fault.FieldErrorf("scope", "must be one of %s", strings.Join(in.Scope.Values(), ", "))
	case in.Scope == access.Platform && in.OrganizationID != nil:
		return nil, fault.FieldErrorf("organizationID", "must be empty for a platform key")
	case in.Scope != access.Platform && in.OrganizationID == nil:
		return nil, fault.FieldErrorf("organizationID", "is required for an organization key")
	}
	sec := secret.New(secret.APIKeyPrefix)
	var k *ent.APIKey
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) (err error) {
		if in.OrganizationID != nil {
			if err := requireOrganization(ctx, tx.Client, *in.OrganizationID, "organizationID"); err != nil {
				return err
			}
		}
		k, err = tx.APIKey.Create().SetScope(in.Scope).SetNillableOrganizationID(in.OrganizationID).
			SetName(in.Name).SetHash(sec.Hash).SetPrefix(sec.Display).Save(ctx)
		return err
	})
	if err != nil {
		return nil, wrap("create API key", err)
	}
	return &IssuedAPIKey{APIKey: store.Release(ctx, k), Key: sec.Plain}, nil
}

// RevokeAPIKey deletes an API key: it stops working at once.
func (s *Service) RevokeAPIKey(ctx context.Context, id uuid.UUID) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		return notFoundOn(tx.APIKey.DeleteOneID(id).Exec(ctx), "id", "no such API key")
	})
	return wrap("revoke API key", err)
}

// APIKeys lists the keys the viewer may see, oldest first.
func (s *Service) APIKeys(ctx context.Context) ([]*ent.APIKey, error) {
	ks, err := s.db(ctx).APIKey.Query().Order(ent.Asc(apikey.FieldCreatedAt), ent.Asc(apikey.FieldID)).All(ctx)
	return ks, wrap("list API keys", err)
}
