package domain

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
)

// PortalLinkPrefix starts every portal link token.
const PortalLinkPrefix = "dpl_"

// The lifetimes of a portal link: how long it may be opened (once).
const (
	DefaultPortalLinkTTL = 15 * time.Minute
	MaxPortalLinkTTL     = 7 * 24 * time.Hour
)

// PortalLoginPath is the path of the portal's sign-in page, which takes the
// link token as ?token=.
const PortalLoginPath = "/portal/login"

// IssuedPortalLink is a portal link just made, with the one view of its
// token.
type IssuedPortalLink struct {
	Session *ent.PortalSession
	Token   string // shown once, never stored
}

// CreatePortalLink makes a portal link for an organization: a token that,
// opened once before it expires (expiresIn; zero: DefaultPortalLinkTTL),
// signs its bearer into the Admin Portal as that organization's admin.
// Only the platform makes links. One transaction: the organization is
// checked and the link written together.
func (s *Service) CreatePortalLink(ctx context.Context, org uuid.UUID, expiresIn time.Duration) (*IssuedPortalLink, error) {
	v := access.FromContext(ctx)
	if !v.IsPlatform() {
		return nil, fault.Errorf(fault.Forbidden, "only a platform key creates portal links")
	}
	switch {
	case expiresIn == 0:
		expiresIn = DefaultPortalLinkTTL
	case expiresIn < time.Second || expiresIn > MaxPortalLinkTTL:
		return nil, fault.FieldErrorf("expiresIn", "must be between 1 and %d seconds", int(MaxPortalLinkTTL/time.Second))
	}
	sec := secret.New(PortalLinkPrefix)
	var out *IssuedPortalLink
	err := s.inTx(ctx, func(tx *opTx) error {
		if err := requireOrganization(ctx, tx.Client, org, "organizationID"); err != nil {
			return err
		}
		c := tx.PortalSession.Create().SetOrganizationID(org).SetLinkHash(sec.Hash).
			SetLinkExpiresAt(time.Now().Add(expiresIn))
		if v.CredentialID != uuid.Nil {
			c.SetCreatedBy(v.CredentialID)
		}
		ps, err := c.Save(ctx)
		if err != nil {
			return err
		}
		out = &IssuedPortalLink{Session: ps, Token: sec.Plain}
		return nil
	})
	if err != nil {
		return nil, wrap("create portal link", err)
	}
	return out, nil
}
