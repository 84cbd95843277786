package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/ent/portalsession"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/secret"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// portalFixture is two organizations and a clock the test moves.
type portalFixture struct {
	ctx    context.Context
	svc    *domain.Service
	auth   *Authenticator
	client *ent.Client
	a, b   uuid.UUID
	now    time.Time
	mu     sync.Mutex
}

func newPortalFixture(t *testing.T, s *store.Store) *portalFixture {
	t.Helper()
	f := &portalFixture{ctx: access.PlatformContext(context.Background()), svc: domain.New(s.Client, s.Dialect), client: s.Client, now: time.Now().Truncate(time.Second)}
	f.auth = New(domain.New(s.Client, s.Dialect), Config{Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }})
	for _, p := range []*uuid.UUID{&f.a, &f.b} {
		o, err := f.svc.CreateOrganization(f.ctx, domain.NewOrganization{Name: "Org " + uuid.NewString()[:8]})
		if err != nil {
			t.Fatal(err)
		}
		*p = o.ID
	}
	return f
}

func (f *portalFixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *portalFixture) link(t *testing.T, org uuid.UUID, ttl time.Duration) string {
	t.Helper()
	l, err := f.svc.CreatePortalLink(f.ctx, org, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return l.Token
}

func TestPortalLinkWorksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newPortalFixture(t, s)
		tok := f.link(t, f.a, 0)
		sess, err := f.auth.RedeemPortalLink(context.Background(), tok)
		if err != nil {
			t.Fatalf("first redemption: %v", err)
		}
		if sess.OrganizationID != f.a || !secret.HasPrefix(sess.Token, PortalSessionPrefix) || sess.CSRF != PortalCSRF(sess.Token) {
			t.Fatalf("session = %+v", sess)
		}
		if !sess.ExpiresAt.Equal(f.now.Add(PortalSessionTTL)) {
			t.Errorf("session expires %v; want %v", sess.ExpiresAt, f.now.Add(PortalSessionTTL))
		}
		if _, err := f.auth.RedeemPortalLink(context.Background(), tok); err != ErrPortalLink {
			t.Fatalf("second redemption: %v; want ErrPortalLink", err)
		}
		// Only hashes are stored.
		row := f.client.PortalSession.Query().Where(portalsession.OrganizationID(f.a)).OnlyX(f.ctx)
		if string(row.LinkHash) != string(secret.Hash(tok)) || row.SessionHash == nil || string(*row.SessionHash) != string(secret.Hash(sess.Token)) {
			t.Fatal("the stored row does not hold the hashes of the link and session tokens")
		}
		v, exp, err := f.auth.PortalViewer(context.Background(), sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		want := access.Viewer{Scope: access.OrgAdmin, OrganizationID: f.a, CredentialID: row.ID, Actor: ActorPortalSession}
		if *v != want || !exp.Equal(sess.ExpiresAt) {
			t.Fatalf("viewer %+v expiring %v; want %+v", *v, exp, want)
		}
	})
}

func TestPortalLinkRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newPortalFixture(t, s)
		expiring := f.link(t, f.a, time.Minute)
		// The link's expiry comes from the real clock; the fixture's is that
		// truncated to the second.
		f.advance(time.Minute + time.Second)
		for name, tok := range map[string]string{
			"expired":          expiring,
			"unknown":          secret.New(domain.PortalLinkPrefix).Plain,
			"wrong prefix":     secret.New(PortalSessionPrefix).Plain,
			"empty":            "",
			"an API key value": secret.New(secret.APIKeyPrefix).Plain,
		} {
			if _, err := f.auth.RedeemPortalLink(context.Background(), tok); err != ErrPortalLink {
				t.Errorf("%s: %v; want ErrPortalLink", name, err)
			}
		}
	})
}

func TestPortalLinkConcurrentRedemption(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newPortalFixture(t, s)
		tok := f.link(t, f.a, 0)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.auth.RedeemPortalLink(context.Background(), tok)
				if err != nil && err != ErrPortalLink {
					t.Errorf("redeem: %v", err)
				}
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won++
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d redemptions of one link succeeded; want 1", won)
		}
	})
}

func TestPortalSessionExpiresAndEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newPortalFixture(t, s)
		sess, err := f.auth.RedeemPortalLink(context.Background(), f.link(t, f.a, 0))
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.auth.RedeemPortalLink(context.Background(), f.link(t, f.b, 0))
		if err != nil {
			t.Fatal(err)
		}
		f.advance(PortalSessionTTL - time.Second)
		if _, _, err := f.auth.PortalViewer(context.Background(), sess.Token); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		f.advance(time.Second)
		if _, _, err := f.auth.PortalViewer(context.Background(), sess.Token); err != ErrPortalSession {
			t.Fatalf("at expiry: %v; want ErrPortalSession", err)
		}
		f.advance(-time.Hour)
		if _, _, err := f.auth.PortalViewer(context.Background(), other.Token); err != nil {
			t.Fatalf("the other session before logout: %v", err)
		}
		if err := f.auth.EndPortalSession(context.Background(), other.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.auth.PortalViewer(context.Background(), other.Token); err != ErrPortalSession {
			t.Fatalf("after logout: %v; want ErrPortalSession", err)
		}
	})
}

func TestPortalRequestCSRF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newPortalFixture(t, s)
		sess, err := f.auth.RedeemPortalLink(context.Background(), f.link(t, f.a, 0))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, method, cookie, csrf string
			want                       error
		}{
			{"GET needs no header", http.MethodGet, sess.Token, "", nil},
			{"POST with the header", http.MethodPost, sess.Token, sess.CSRF, nil},
			{"POST without the header", http.MethodPost, sess.Token, "", ErrCSRF},
			{"POST with another session's header", http.MethodPost, sess.Token, PortalCSRF(secret.New(PortalSessionPrefix).Plain), ErrCSRF},
			{"POST with the session token as header", http.MethodPost, sess.Token, sess.Token, ErrCSRF},
			{"no cookie", http.MethodPost, "", sess.CSRF, ErrPortalSession},
			{"unknown cookie", http.MethodGet, secret.New(PortalSessionPrefix).Plain, "", ErrPortalSession},
		} {
			r := httptest.NewRequest(c.method, "/graphql", nil)
			if c.cookie != "" {
				r.AddCookie(&http.Cookie{Name: PortalCookie, Value: c.cookie})
			}
			if c.csrf != "" {
				r.Header.Set(CSRFHeader, c.csrf)
			}
			v, err := f.auth.PortalRequest(r)
			if err != c.want {
				t.Errorf("%s: err %v; want %v", c.name, err, c.want)
			}
			if c.want == nil && (v == nil || v.OrganizationID != f.a) {
				t.Errorf("%s: viewer %+v", c.name, v)
			}
		}
	})
}

func TestCreatePortalLinkRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newPortalFixture(t, s)
		admin := access.NewContext(context.Background(), &access.Viewer{Scope: access.OrgAdmin, OrganizationID: f.a})
		for _, c := range []struct {
			name  string
			ctx   context.Context
			org   uuid.UUID
			ttl   time.Duration
			code  fault.Code
			field string
		}{
			{"an org admin", admin, f.a, 0, fault.Forbidden, ""},
			{"no viewer", context.Background(), f.a, 0, fault.Forbidden, ""},
			{"no such organization", f.ctx, uuid.New(), 0, fault.NotFound, "organizationID"},
			{"too long", f.ctx, f.a, domain.MaxPortalLinkTTL + time.Second, fault.Invalid, "expiresIn"},
			{"negative", f.ctx, f.a, -time.Second, fault.Invalid, "expiresIn"},
		} {
			_, err := f.svc.CreatePortalLink(c.ctx, c.org, c.ttl)
			var fe *fault.Error
			if !fault.Is(err, c.code) || (c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field)) {
				t.Errorf("%s: %v; want %s on %q", c.name, err, c.code, c.field)
			}
		}
		if n := f.client.PortalSession.Query().CountX(f.ctx); n != 0 {
			t.Fatalf("refused links wrote %d rows", n)
		}
		// The default lifetime.
		l, err := f.svc.CreatePortalLink(f.ctx, f.a, 0)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(l.Session.LinkExpiresAt); d < domain.DefaultPortalLinkTTL-time.Minute || d > domain.DefaultPortalLinkTTL {
			t.Errorf("default link lifetime %v; want %v", d, domain.DefaultPortalLinkTTL)
		}
		// Only the platform reads portal sessions through ent.
		if n, err := f.client.PortalSession.Query().Count(admin); err == nil {
			t.Errorf("an org admin counted %d portal sessions", n)
		}
	})
}
