// Package admin holds the administrative operations that the command line
// and the GraphQL API both perform: creating organizations, directories with
// their bearer tokens, and API keys. Each runs as the viewer in its context,
// so the data layer's privacy rules apply to the command line too.
package admin

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
)

// nonSlug matches the runs of characters a slug cannot hold.
var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// Slugify derives an organization slug from its name: "Acme, Inc." ->
// "acme-inc".
func Slugify(name string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// CreateOrganization creates an organization; an empty slug is derived
// from the name.
func CreateOrganization(ctx context.Context, c *ent.Client, name, slug string) (*ent.Organization, error) {
	if strings.TrimSpace(name) == "" {
		return nil, fault.FieldErrorf("name", "must not be empty")
	}
	if slug == "" {
		slug = Slugify(name)
	}
	org, err := c.Organization.Create().SetName(strings.TrimSpace(name)).SetSlug(slug).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, &fault.Error{Code: fault.Conflict, Field: "slug", Message: fmt.Sprintf("%q is taken", slug)}
	}
	if err != nil {
		return nil, fmt.Errorf("create organization: %w", store.Classify(err))
	}
	return org, nil
}

// NewDirectory is a created directory with the one-time view of its token.
type NewDirectory struct {
	Directory   *ent.Directory
	BearerToken string // shown once, never stored
}

// CreateDirectory creates a SCIM directory for an organization together
// with its first bearer token, in one transaction.
func CreateDirectory(ctx context.Context, c *ent.Client, orgID uuid.UUID, provider, name string) (*NewDirectory, error) {
	p := schematype.Provider(strings.ToLower(provider))
	if !p.Valid() {
		return nil, fault.FieldErrorf("provider", "must be one of %s", strings.Join(p.Values(), ", "))
	}
	if name == "" {
		name = p.DisplayName()
	}
	var out NewDirectory
	err := store.WithTx(ctx, c, func(tx *ent.Tx) error {
		d, err := tx.Directory.Create().SetOrganizationID(orgID).SetProvider(p).SetName(name).Save(ctx)
		if err != nil {
			return err
		}
		tok, err := addToken(ctx, tx.Client(), d, nil)
		if err != nil {
			return err
		}
		out = NewDirectory{Directory: d, BearerToken: tok}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create directory: %w", err)
	}
	out.Directory = out.Directory.Unwrap() // usable after the transaction ends
	return &out, nil
}

// RotateDirectoryToken adds a token to a directory. The previous token keeps
// working until it is revoked or expires, so a provider can be switched over
// without downtime.
func RotateDirectoryToken(ctx context.Context, c *ent.Client, dirID uuid.UUID, expiresAt *time.Time) (string, error) {
	d, err := c.Directory.Get(ctx, dirID)
	if err != nil {
		return "", fmt.Errorf("rotate token: %w", store.Classify(err))
	}
	tok, err := addToken(ctx, c, d, expiresAt)
	if err != nil {
		return "", fmt.Errorf("rotate token: %w", err)
	}
	return tok, nil
}

func addToken(ctx context.Context, c *ent.Client, d *ent.Directory, expiresAt *time.Time) (string, error) {
	s := secret.New(secret.DirectoryTokenPrefix)
	err := c.DirectoryToken.Create().SetOrganizationID(d.OrganizationID).SetDirectoryID(d.ID).
		SetHash(s.Hash).SetPrefix(s.Display).SetNillableExpiresAt(expiresAt).Exec(ctx)
	if err != nil {
		return "", store.Classify(err)
	}
	return s.Plain, nil
}

// SCIMEndpoint is the base URL an identity provider is given for a
// directory.
func SCIMEndpoint(publicURL string, dirID uuid.UUID) string {
	return strings.TrimRight(publicURL, "/") + "/scim/v2/" + dirID.String()
}

// CreateAPIKey creates an API key and returns it with the key itself, which
// is shown once. Organization scopes need an organization; the platform
// scope refuses one.
func CreateAPIKey(ctx context.Context, c *ent.Client, scope access.Scope, orgID *uuid.UUID, name string) (*ent.APIKey, string, error) {
	switch {
	case scope != access.Platform && scope != access.OrgAdmin && scope != access.OrgRead:
		return nil, "", fault.FieldErrorf("scope", "must be platform, org_admin or org_read")
	case scope == access.Platform && orgID != nil:
		return nil, "", fault.FieldErrorf("organizationID", "must be empty for a platform key")
	case scope != access.Platform && orgID == nil:
		return nil, "", fault.FieldErrorf("organizationID", "is required for an organization key")
	}
	s := secret.New(secret.APIKeyPrefix)
	k, err := c.APIKey.Create().SetScope(scope).SetNillableOrganizationID(orgID).
		SetName(name).SetHash(s.Hash).SetPrefix(s.Display).Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("create API key: %w", store.Classify(err))
	}
	return k, s.Plain, nil
}
