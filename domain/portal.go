package domain

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/portalsession"
	"github.com/acme/directory/ent/privacy"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
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
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
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

// RedeemPortalLink uses the portal link whose token hashes to linkHash,
// once, at now: it gives the link the session whose token hashes to
// sessionHash, valid until sessionExpires, and returns that session. The
// check that the link is unused and unexpired and the write that uses it
// are one UPDATE statement, so of two concurrent redemptions one wins. A
// link that is unknown, used or expired is a fault.NotFound. It runs
// before any viewer (the link decides the organization), so it bypasses
// the privacy rules; package auth makes the tokens.
func (s *Service) RedeemPortalLink(ctx context.Context, linkHash, sessionHash []byte, now, sessionExpires time.Time) (*ent.PortalSession, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	var ps *ent.PortalSession
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		n, err := tx.PortalSession.Update().
			Where(portalsession.LinkHash(linkHash), portalsession.UsedAtIsNil(), portalsession.LinkExpiresAtGT(now)).
			SetUsedAt(now).SetSessionHash(sessionHash).SetSessionExpiresAt(sessionExpires).
			Save(ctx)
		switch {
		case err != nil:
			return err
		case n != 1:
			return fault.Errorf(fault.NotFound, "no portal link to redeem")
		}
		ps, err = tx.PortalSession.Query().Where(portalsession.SessionHash(sessionHash)).Only(ctx)
		return err
	})
	if err != nil {
		return nil, wrap("redeem portal link", err)
	}
	return store.Release(ctx, ps), nil
}

// EndPortalSession deletes the portal session whose token hashes to
// sessionHash, if there is one. Like RedeemPortalLink it runs before any
// viewer (holding the token is the right to end it).
func (s *Service) EndPortalSession(ctx context.Context, sessionHash []byte) error {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	err := s.inTx(ctx, func(ctx context.Context, tx *opTx) error {
		_, err := tx.PortalSession.Delete().Where(portalsession.SessionHash(sessionHash)).Exec(ctx)
		return err
	})
	return wrap("end portal session", err)
}
