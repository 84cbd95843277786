package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/portalsession"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
)

// Portal sessions: the third credential kind. A portal link (dpl_..., made
// by domain.CreatePortalLink) is redeemed once, before it expires, for a
// session token (dps_...) that the browser keeps in an HttpOnly cookie. A
// session speaks as org_admin of the link's one organization; events name
// its actor "portal_session". As with the other kinds, only SHA-256 hashes
// are stored, expiry is "valid while now < expires_at" on the
// Authenticator's clock, and every refusal is one fault.Unauthorized error.
//
// Requests that may change something (any method but GET, HEAD and
// OPTIONS) made with a session cookie also need the CSRF header: the
// browser sends cookies on its own, a header only when the page's script
// sets it. The CSRF token is derived from the session token (it reveals
// nothing of it), handed to the page in a cookie the page can read and by
// /portal/session, and checked against the session cookie's token.
const (
	// PortalSessionPrefix starts every portal session token.
	PortalSessionPrefix = "dps_"
	// PortalSessionTTL is how long a session lasts after its link is
	// opened.
	PortalSessionTTL = 8 * time.Hour
	// PortalCookie holds the session token (HttpOnly).
	PortalCookie = "directory_portal"
	// PortalCSRFCookie holds the CSRF token, readable by the page.
	PortalCSRFCookie = "directory_portal_csrf"
	// CSRFHeader carries the CSRF token on a session's writes.
	CSRFHeader = "X-CSRF-Token"
	// ActorPortalSession is the actor type of changes made in a portal
	// session.
	ActorPortalSession = "portal_session"
)

// The refusals of portal credentials.
var (
	// ErrPortalLink refuses a portal link: unknown, malformed, already
	// used or expired.
	ErrPortalLink = fault.Errorf(fault.Unauthorized, "this portal link is not valid: it was used already, has expired, or is mistyped; ask for a new one")
	// ErrPortalSession refuses a session cookie: unknown, expired or ended.
	ErrPortalSession = fault.Errorf(fault.Unauthorized, "the portal session has ended: open a new portal link")
	// ErrCSRF refuses a session's write without the right CSRF header.
	ErrCSRF = fault.Errorf(fault.Unauthorized, "this request needs the "+CSRFHeader+" header of the portal session")
)

// PortalSession is a session just begun by redeeming a link.
type PortalSession struct {
	ID             uuid.UUID
	OrganizationID uuid.UUID
	Token          string // the cookie's value; never stored
	CSRF           string // the CSRF token the page sends back
	ExpiresAt      time.Time
}

// RedeemPortalLink turns a portal link's token into a session, once: the
// check that the link is unused and unexpired and the write that uses it
// are one UPDATE statement (domain.Service.RedeemPortalLink), so of two
// concurrent redemptions one wins. Every refusal is ErrPortalLink.
func (a *Authenticator) RedeemPortalLink(ctx context.Context, token string) (*PortalSession, error) {
	if !secret.HasPrefix(token, domain.PortalLinkPrefix) {
		return nil, ErrPortalLink
	}
	now := a.now()
	sess := secret.New(PortalSessionPrefix)
	expires := now.Add(PortalSessionTTL)
	ps, err := a.svc.RedeemPortalLink(ctx, secret.Hash(token), sess.Hash, now, expires)
	switch {
	case fault.Is(err, fault.NotFound):
		return nil, ErrPortalLink
	case err != nil:
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &PortalSession{ID: ps.ID, OrganizationID: ps.OrganizationID, Token: sess.Plain,
		CSRF: PortalCSRF(sess.Plain), ExpiresAt: expires}, nil
}

// PortalViewer checks a session token (the cookie's value) and returns its
// viewer: org_admin of the session's organization, actor portal_session,
// and the session's expiry. Every refusal is ErrPortalSession.
func (a *Authenticator) PortalViewer(ctx context.Context, token string) (*access.Viewer, time.Time, error) {
	if !secret.HasPrefix(token, PortalSessionPrefix) {
		return nil, time.Time{}, ErrPortalSession
	}
	ps, err := a.client.PortalSession.Query().Where(portalsession.SessionHash(secret.Hash(token))).Only(lookupContext(ctx))
	switch {
	case ent.IsNotFound(err):
		return nil, time.Time{}, ErrPortalSession
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("auth: look up portal session: %w", err)
	}
	if ps.SessionHash == nil || !secret.Equal(*ps.SessionHash, token) || ps.SessionExpiresAt == nil ||
		expired(ps.SessionExpiresAt, a.now()) {
		return nil, time.Time{}, ErrPortalSession
	}
	return &access.Viewer{Scope: access.OrgAdmin, OrganizationID: ps.OrganizationID,
		CredentialID: ps.ID, Actor: ActorPortalSession}, *ps.SessionExpiresAt, nil
}

// EndPortalSession deletes the session of token, if there is one.
func (a *Authenticator) EndPortalSession(ctx context.Context, token string) error {
	if !secret.HasPrefix(token, PortalSessionPrefix) {
		return nil
	}
	if err := a.svc.EndPortalSession(ctx, secret.Hash(token)); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

// HasPortalCookie reports whether r carries a portal session cookie.
func HasPortalCookie(r *http.Request) bool {
	c, err := r.Cookie(PortalCookie)
	return err == nil && c.Value != ""
}

// PortalRequest authenticates r by its portal session cookie and, unless
// its method is safe (GET, HEAD, OPTIONS), by its CSRF header. Refusals
// are ErrPortalSession and ErrCSRF.
func (a *Authenticator) PortalRequest(r *http.Request) (*access.Viewer, error) {
	c, err := r.Cookie(PortalCookie)
	if err != nil {
		return nil, ErrPortalSession
	}
	v, _, err := a.PortalViewer(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return v, nil
	}
	want := PortalCSRF(c.Value)
	if got := r.Header.Get(CSRFHeader); subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return nil, ErrCSRF
	}
	return v, nil
}

// PortalSocket authenticates a WebSocket of the portal: the session token
// of the upgrade request's cookie and the CSRF token the page put in
// connection_init's payload. A browser sends the cookie on its own, also
// for a socket a foreign page opens, so the session counts only with the
// CSRF token, which only the portal's own page can read. Refusals are
// ErrCSRF and ErrPortalSession.
func (a *Authenticator) PortalSocket(ctx context.Context, token, csrf string) (*access.Viewer, error) {
	if subtle.ConstantTimeCompare([]byte(csrf), []byte(PortalCSRF(token))) != 1 {
		return nil, ErrCSRF
	}
	v, _, err := a.PortalViewer(ctx, token)
	return v, err
}

// PortalCSRF is the CSRF token of a session token: a one-way function of
// it, so the page may read it while the session token stays HttpOnly.
func PortalCSRF(sessionToken string) string {
	h := sha256.Sum256([]byte("directory portal csrf\x00" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
