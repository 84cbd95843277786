package domain

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/directory"
	"github.com/acme/directory/ent/directorytoken"
	"github.com/acme/directory/ent/schema/schematype"
	"github.com/acme/directory/events"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
)

// SCIMPath is where a directory's SCIM endpoint lives under the server's
// public URL: SCIMPath + directory id.
const SCIMPath = "/scim/v2/"

// SCIMEndpoint is the base URL an identity provider is given for a
// directory.
func SCIMEndpoint(publicURL string, dirID uuid.UUID) string {
	return strings.TrimRight(publicURL, "/") + SCIMPath + dirID.String()
}

// NewDirectory is what creating a directory takes.
type NewDirectory struct {
	OrganizationID uuid.UUID
	Provider       schematype.Provider
	Name           string // empty: the provider's name
}

// IssuedToken is a token just made, with the one view of its secret.
type IssuedToken struct {
	Directory   *ent.Directory
	Token       *ent.DirectoryToken
	BearerToken string // shown once, never stored
}

// CreateDirectory creates a SCIM directory for an organization together
// with its first bearer token, in one transaction.
func (s *Service) CreateDirectory(ctx context.Context, in NewDirectory) (*IssuedToken, error) {
	p := schematype.Provider(strings.ToLower(string(in.Provider)))
	if !p.Valid() {
		return nil, fault.FieldErrorf("provider", "must be one of %s", strings.Join(p.Values(), ", "))
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = p.DisplayName()
	}
	var out *IssuedToken
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		if err := requireOrganization(ctx, tx.Client, in.OrganizationID, "organizationID"); err != nil {
			return err
		}
		d, err := tx.Directory.Create().SetOrganizationID(in.OrganizationID).
			SetProvider(p).SetName(name).Save(ctx)
		if err != nil {
			return err
		}
		out, err = issueToken(ctx, tx, d, nil)
		if err != nil {
			return err
		}
		return record(ctx, tx, directoryEvent(d, events.DirectoryCreated{Directory: events.DirectoryOf(d)}))
	})
	if err != nil {
		return nil, wrap("create directory", err)
	}
	return out.release(ctx), nil
}

// SetDirectoryEnabled enables or disables a directory; a disabled
// directory refuses every SCIM request.
func (s *Service) SetDirectoryEnabled(ctx context.Context, id uuid.UUID, enabled bool) (*ent.Directory, error) {
	var d *ent.Directory
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		was, err := tx.Directory.Get(ctx, id)
		if err != nil {
			return notFoundOn(err, "id", "no such directory")
		}
		if d, err = tx.Directory.UpdateOne(was).SetEnabled(enabled).Save(ctx); err != nil || was.Enabled == enabled {
			return err
		}
		var p events.Payload = events.DirectoryDisabled{Directory: events.DirectoryOf(d)}
		if enabled {
			p = events.DirectoryEnabled{Directory: events.DirectoryOf(d)}
		}
		return record(ctx, tx, directoryEvent(d, p))
	})
	if err != nil {
		return nil, wrap("enable directory", err)
	}
	return d.Unwrap(), nil
}

// DeleteDirectory deletes a directory with its tokens, users and groups.
func (s *Service) DeleteDirectory(ctx context.Context, id uuid.UUID) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		d, err := tx.Directory.Get(ctx, id)
		if err != nil {
			return notFoundOn(err, "id", "no such directory")
		}
		if err := tx.Directory.DeleteOne(d).Exec(ctx); err != nil {
			return notFoundOn(err, "id", "no such directory")
		}
		return record(ctx, tx, directoryEvent(d, events.DirectoryDeleted{Directory: events.DirectoryOf(d)}))
	})
	return wrap("delete directory", err)
}

// Directories lists the directories of an organization, oldest first.
func (s *Service) Directories(ctx context.Context, orgID uuid.UUID) ([]*ent.Directory, error) {
	ds, err := s.db(ctx).Directory.Query().Where(directory.OrganizationID(orgID)).
		Order(ent.Asc(directory.FieldCreatedAt), ent.Asc(directory.FieldID)).All(ctx)
	return ds, wrap("list directories", err)
}

// RotateDirectoryToken adds a token to a directory. The previous token
// keeps working until it is revoked or expires, so a provider can be
// switched over without downtime; a directory holds at most two active
// tokens (the data layer's rule).
func (s *Service) RotateDirectoryToken(ctx context.Context, dirID uuid.UUID, expiresAt *time.Time) (*IssuedToken, error) {
	if expiresAt != nil && !expiresAt.After(time.Now()) {
		return nil, fault.FieldErrorf("expiresAt", "must be in the future")
	}
	var out *IssuedToken
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		d, err := tx.Directory.Get(ctx, dirID)
		if err != nil {
			return notFoundOn(err, "directoryID", "no such directory")
		}
		out, err = issueToken(ctx, tx, d, expiresAt)
		if err != nil {
			return err
		}
		return record(ctx, tx, directoryEvent(d, events.DirectoryTokenRotated{Directory: events.DirectoryOf(d), Token: events.TokenOf(out.Token)}))
	})
	if err != nil {
		return nil, wrap("rotate token", err)
	}
	return out.release(ctx), nil
}

// RevokeDirectoryToken ends a token at once. Its hash is remembered for
// the request log's retention (PruneRequests), so a provider still using
// it is told it was revoked and logged to the directory.
func (s *Service) RevokeDirectoryToken(ctx context.Context, tokenID uuid.UUID) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		tok, err := tx.DirectoryToken.Query().Where(directorytoken.ID(tokenID)).WithDirectory().Only(ctx)
		if err != nil {
			return notFoundOn(err, "id", "no such token")
		}
		if err := tx.DirectoryToken.DeleteOne(tok).Exec(ctx); err != nil {
			return notFoundOn(err, "id", "no such token")
		}
		if err := tx.RevokedToken.Create().SetOrganizationID(tok.OrganizationID).SetDirectoryID(tok.DirectoryID).
			SetTokenID(tok.ID).SetHash(tok.Hash).SetPrefix(tok.Prefix).Exec(ctx); err != nil {
			return fmt.Errorf("remember the revoked token: %w", err)
		}
		return record(ctx, tx, directoryEvent(tok.Edges.Directory, events.DirectoryTokenRevoked{Directory: events.DirectoryOf(tok.Edges.Directory), Token: events.TokenOf(tok)}))
	})
	return wrap("revoke token", err)
}

// DirectoryTokens lists a directory's tokens (prefixes and times; the
// secrets are not kept), oldest first.
func (s *Service) DirectoryTokens(ctx context.Context, dirID uuid.UUID) ([]*ent.DirectoryToken, error) {
	ts, err := s.db(ctx).DirectoryToken.Query().Where(directorytoken.DirectoryID(dirID)).
		Order(ent.Asc(directorytoken.FieldCreatedAt), ent.Asc(directorytoken.FieldID)).All(ctx)
	return ts, wrap("list tokens", err)
}

// issueToken stores a new token of d and returns it with its secret.
func issueToken(ctx context.Context, tx *opTx, d *ent.Directory, expiresAt *time.Time) (*IssuedToken, error) {
	sec := secret.New(secret.DirectoryTokenPrefix)
	tok, err := tx.DirectoryToken.Create().SetOrganizationID(d.OrganizationID).SetDirectoryID(d.ID).
		SetHash(sec.Hash).SetPrefix(sec.Display).SetNillableExpiresAt(expiresAt).Save(ctx)
	if err != nil {
		return nil, err
	}
	return &IssuedToken{Directory: d, Token: tok, BearerToken: sec.Plain}, nil
}

// release makes the entities usable after the operation's transaction.
func (t *IssuedToken) release(ctx context.Context) *IssuedToken {
	t.Directory, t.Token = store.Release(ctx, t.Directory), store.Release(ctx, t.Token)
	return t
}
