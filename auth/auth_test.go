package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/acme/directory/access"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/ent"
	"github.com/acme/directory/fault"
	"github.com/acme/directory/pgtest"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// t0 is the tests' "now": whole seconds, so both databases store it exactly.
var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func TestExpired(t *testing.T) {
	at := t0
	cases := []struct {
		name      string
		expiresAt *time.Time
		now       time.Time
		want      bool
	}{
		{"no expiry", nil, t0, false},
		{"a nanosecond before", &at, t0.Add(-time.Nanosecond), false},
		{"at the instant", &at, t0, true},
		{"after", &at, t0.Add(time.Second), true},
		{"same instant, other zone", &at, t0.In(time.FixedZone("X", 3600)), true},
	}
	for _, c := range cases {
		if got := expired(c.expiresAt, c.now); got != c.want {
			t.Errorf("%s: expired = %v; want %v", c.name, got, c.want)
		}
	}
}

// fixture is an organization with two directories (each with a token) and
// an organization key and a platform key.
type fixture struct {
	ctx                     context.Context // platform, for set-up and checks
	seed                    context.Context // ctx, writing directly (domain.Seeding): expiry instants no operation sets
	client                  *ent.Client
	svc                     *domain.Service
	org                     *ent.Organization
	dir, other              *ent.Directory
	token, otherToken       string
	orgKey, platformKey     string
	orgKeyID, platformKeyID uuid.UUID
}

func newFixture(t *testing.T, s *store.Store) *fixture {
	t.Helper()
	f := &fixture{ctx: access.PlatformContext(context.Background()), client: s.Client, svc: domain.New(s.Client, s.Dialect)}
	f.seed = domain.Seeding(f.ctx)
	svc := f.svc
	var err error
	if f.org, err = svc.CreateOrganization(f.ctx, domain.NewOrganization{Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(f.ctx, domain.NewDirectory{OrganizationID: f.org.ID, Provider: "jumpcloud"})
	if err != nil {
		t.Fatal(err)
	}
	f.dir, f.token = d.Directory, d.BearerToken
	if d, err = svc.CreateDirectory(f.ctx, domain.NewDirectory{OrganizationID: f.org.ID, Provider: "okta"}); err != nil {
		t.Fatal(err)
	}
	f.other, f.otherToken = d.Directory, d.BearerToken
	k, err := svc.CreateAPIKey(f.ctx, domain.NewAPIKey{Scope: access.OrgRead, OrganizationID: &f.org.ID, Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	f.orgKey, f.orgKeyID = k.Key, k.APIKey.ID
	if k, err = svc.CreateAPIKey(f.ctx, domain.NewAPIKey{Scope: access.Platform, Name: "backend"}); err != nil {
		t.Fatal(err)
	}
	f.platformKey, f.platformKeyID = k.Key, k.APIKey.ID
	return f
}

// clock is an injectable clock the tests move.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// refused checks that err is the one refusal want.
func refused(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || fault.CodeOf(err) != fault.CodeOf(want) || fault.MessageOf(err) != fault.MessageOf(want) {
		t.Fatalf("err = %v; want the refusal %q", err, want)
	}
}

func TestDirectoryToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		clk := &clock{now: t0}
		a := New(domain.New(s.Client, s.Dialect), Config{Now: clk.Now})

		cases := []struct {
			name   string
			dir    uuid.UUID
			header string
			at     time.Time
			// prepare changes the data for this case and returns the undo.
			prepare func() func()
			ok      bool
			// refusal is the refusal of a token of the directory whose
			// holder learns why; nil: ErrDirectoryToken.
			refusal error
		}{
			{name: "valid", dir: f.dir.ID, header: "Bearer " + f.token, ok: true},
			{name: "scheme in any case", dir: f.dir.ID, header: "bearer  " + f.token, ok: true},
			{name: "other directory's token", dir: f.dir.ID, header: "Bearer " + f.otherToken},
			{name: "token on another directory's path", dir: f.other.ID, header: "Bearer " + f.token},
			{name: "unknown directory", dir: uuid.New(), header: "Bearer " + f.token},
			{name: "no header", dir: f.dir.ID, header: ""},
			{name: "no scheme", dir: f.dir.ID, header: f.token},
			{name: "basic scheme", dir: f.dir.ID, header: "Basic " + f.token},
			{name: "bearer without token", dir: f.dir.ID, header: "Bearer "},
			{name: "API key", dir: f.dir.ID, header: "Bearer " + f.orgKey},
			{name: "too short", dir: f.dir.ID, header: "Bearer scim_abc"},
			{name: "unknown token", dir: f.dir.ID, header: "Bearer scim_" + strings.Repeat("A", 43)},
			{name: "token with a changed character", dir: f.dir.ID, header: "Bearer " + f.token[:len(f.token)-1] + flip(f.token[len(f.token)-1])},
			{name: "disabled directory", dir: f.dir.ID, header: "Bearer " + f.token, refusal: ErrDirectoryDisabled, prepare: func() func() {
				f.enable(t, false)
				return func() { f.enable(t, true) }
			}},
			{name: "a second before expiry", dir: f.dir.ID, header: "Bearer " + f.token, at: t0.Add(-time.Second), ok: true,
				prepare: f.expireTokens(t0)},
			{name: "expired at the instant", dir: f.dir.ID, header: "Bearer " + f.token, at: t0, prepare: f.expireTokens(t0), refusal: ErrTokenExpired},
			{name: "expired after", dir: f.dir.ID, header: "Bearer " + f.token, at: t0.Add(time.Hour), prepare: f.expireTokens(t0), refusal: ErrTokenExpired},
			{name: "expired on another directory's path", dir: f.other.ID, header: "Bearer " + f.token, at: t0, prepare: f.expireTokens(t0)},
			{name: "disabled directory's token on another directory's path", dir: f.other.ID, header: "Bearer " + f.token, prepare: func() func() {
				f.enable(t, false)
				return func() { f.enable(t, true) }
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.prepare != nil {
					defer c.prepare()()
				}
				clk.now = t0
				if !c.at.IsZero() {
					clk.now = c.at
				}
				v, err := a.DirectoryToken(context.Background(), c.dir, c.header)
				if !c.ok {
					want := c.refusal
					if want == nil {
						want = ErrDirectoryToken
					}
					refused(t, err, want)
					var r *Refusal
					if errors.As(err, &r) != (c.refusal != nil) || (r != nil && (r.DirectoryID != f.dir.ID || r.OrganizationID != f.org.ID)) {
						t.Fatalf("refusal %+v; want one attributed to the directory: %v", r, c.refusal != nil)
					}
					if v != nil {
						t.Fatalf("viewer %+v with a refusal", v)
					}
					return
				}
				if err != nil {
					t.Fatalf("valid token: %v", err)
				}
				tok := f.client.Directory.QueryTokens(f.dir).OnlyX(f.ctx)
				want := access.Viewer{Scope: access.Provisioner, OrganizationID: f.org.ID, DirectoryID: f.dir.ID, CredentialID: tok.ID}
				if *v != want {
					t.Fatalf("viewer = %+v; want %+v", *v, want)
				}
			})
		}

		// A revoked (deleted) token is refused as revoked on its own
		// directory's path, attributed to it; on another path it is just
		// not a token of that directory.
		if _, err := a.DirectoryToken(context.Background(), f.other.ID, "Bearer "+f.otherToken); err != nil {
			t.Fatalf("the other directory's own token: %v", err)
		}
		if err := f.svc.RevokeDirectoryToken(f.ctx, f.client.Directory.QueryTokens(f.other).OnlyIDX(f.ctx)); err != nil {
			t.Fatal(err)
		}
		_, err := a.DirectoryToken(context.Background(), f.other.ID, "Bearer "+f.otherToken)
		refused(t, err, ErrTokenRevoked)
		var r *Refusal
		if !errors.As(err, &r) || r.DirectoryID != f.other.ID || r.Reason != domain.RefusalTokenRevoked {
			t.Fatalf("the revoked token's refusal %+v; want one of its directory", r)
		}
		_, err = a.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.otherToken)
		refused(t, err, ErrDirectoryToken)
		// Once the request log's retention is over, it is an unknown token.
		if _, err := f.svc.PruneRequests(access.PlatformContext(context.Background()), time.Nanosecond); err != nil {
			t.Fatal(err)
		}
		_, err = a.DirectoryToken(context.Background(), f.other.ID, "Bearer "+f.otherToken)
		refused(t, err, ErrDirectoryToken)
	})
}

func TestAPIKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		clk := &clock{now: t0}
		a := New(domain.New(s.Client, s.Dialect), Config{Now: clk.Now})
		expireOrgKey := func() func() {
			f.client.APIKey.UpdateOneID(f.orgKeyID).SetExpiresAt(t0).ExecX(f.seed)
			return func() { f.client.APIKey.UpdateOneID(f.orgKeyID).ClearExpiresAt().ExecX(f.seed) }
		}

		cases := []struct {
			name    string
			header  string
			at      time.Time
			prepare func() func()
			want    *access.Viewer // nil: refused
		}{
			{name: "organization key", header: "Bearer " + f.orgKey,
				want: &access.Viewer{Scope: access.OrgRead, OrganizationID: f.org.ID, CredentialID: f.orgKeyID}},
			{name: "platform key", header: "Bearer " + f.platformKey,
				want: &access.Viewer{Scope: access.Platform, CredentialID: f.platformKeyID}},
			{name: "no header", header: ""},
			{name: "no scheme", header: f.orgKey},
			{name: "basic scheme", header: "Basic " + f.orgKey},
			{name: "directory token", header: "Bearer " + f.token},
			{name: "too short", header: "Bearer dk_nope"},
			{name: "unknown key", header: "Bearer dk_" + strings.Repeat("A", 43)},
			{name: "key with a changed character", header: "Bearer " + f.orgKey[:len(f.orgKey)-1] + flip(f.orgKey[len(f.orgKey)-1])},
			{name: "a second before expiry", header: "Bearer " + f.orgKey, at: t0.Add(-time.Second), prepare: expireOrgKey,
				want: &access.Viewer{Scope: access.OrgRead, OrganizationID: f.org.ID, CredentialID: f.orgKeyID}},
			{name: "expired at the instant", header: "Bearer " + f.orgKey, at: t0, prepare: expireOrgKey},
			{name: "expired after", header: "Bearer " + f.orgKey, at: t0.Add(time.Minute), prepare: expireOrgKey},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.prepare != nil {
					defer c.prepare()()
				}
				clk.now = t0
				if !c.at.IsZero() {
					clk.now = c.at
				}
				v, err := a.APIKey(context.Background(), c.header)
				if c.want == nil {
					refused(t, err, ErrAPIKey)
					if v != nil {
						t.Fatalf("viewer %+v with a refusal", v)
					}
					return
				}
				if err != nil {
					t.Fatalf("valid key: %v", err)
				}
				if *v != *c.want {
					t.Fatalf("viewer = %+v; want %+v", *v, *c.want)
				}
			})
		}

		// A revoked (deleted) key is refused.
		if err := f.svc.RevokeAPIKey(f.ctx, f.orgKeyID); err != nil {
			t.Fatal(err)
		}
		_, err := a.APIKey(context.Background(), "Bearer "+f.orgKey)
		refused(t, err, ErrAPIKey)
	})
}

// TestLastUsed checks the one throttled write path: a use is written at
// the injected clock's time, once per interval per credential, and a token
// use also records its directory's sync time. Refused uses write nothing.
// The write is domain's operation: made anywhere else, the guard on every
// ent mutation refuses it and no stamp appears.
func TestLastUsed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		clk := &clock{now: t0}
		a := New(domain.New(s.Client, s.Dialect), Config{Now: clk.Now, LastUsedInterval: time.Minute})
		tokenID := f.client.Directory.QueryTokens(f.dir).OnlyIDX(f.ctx)

		stamps := func() (token, synced, key *time.Time) {
			return f.client.DirectoryToken.GetX(f.ctx, tokenID).LastUsedAt,
				f.client.Directory.GetX(f.ctx, f.dir.ID).LastSyncedAt,
				f.client.APIKey.GetX(f.ctx, f.orgKeyID).LastUsedAt
		}
		same := func(got *time.Time, want time.Time) bool {
			if want.IsZero() {
				return got == nil
			}
			return got != nil && got.Equal(want)
		}

		// Refusals record nothing.
		if _, err := a.DirectoryToken(context.Background(), f.other.ID, "Bearer "+f.token); err == nil {
			t.Fatal("token accepted on another directory")
		}
		f.client.APIKey.UpdateOneID(f.orgKeyID).SetExpiresAt(t0).ExecX(f.seed)
		if _, err := a.APIKey(context.Background(), "Bearer "+f.orgKey); err == nil {
			t.Fatal("expired key accepted")
		}
		f.client.APIKey.UpdateOneID(f.orgKeyID).ClearExpiresAt().ExecX(f.seed)
		if tok, synced, key := stamps(); tok != nil || synced != nil || key != nil {
			t.Fatalf("refused uses were recorded: token %v, directory %v, key %v", tok, synced, key)
		}

		steps := []struct {
			after time.Duration
			want  time.Duration // the offset of the recorded use
		}{
			{0, 0},
			{30 * time.Second, 0},                // within the interval: not written
			{59 * time.Second, 0},                // still within
			{60 * time.Second, 60 * time.Second}, // an interval on: written
			{61 * time.Second, 60 * time.Second},
			{3 * time.Minute, 3 * time.Minute},
		}
		for _, st := range steps {
			clk.now = t0.Add(st.after)
			if _, err := a.DirectoryToken(context.Background(), f.dir.ID, "Bearer "+f.token); err != nil {
				t.Fatalf("after %v: token: %v", st.after, err)
			}
			if _, err := a.APIKey(context.Background(), "Bearer "+f.orgKey); err != nil {
				t.Fatalf("after %v: key: %v", st.after, err)
			}
			want := t0.Add(st.want)
			if tok, synced, key := stamps(); !same(tok, want) || !same(synced, want) || !same(key, want) {
				t.Fatalf("after %v: token last used %v, directory synced %v, key last used %v; want all %v",
					st.after, tok, synced, key, want)
			}
		}

		// A request cancelled meanwhile still records its use.
		clk.now = t0.Add(10 * time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		a.recordUse(ctx, &access.Viewer{Scope: access.OrgRead, CredentialID: f.orgKeyID}, clk.now)
		if _, _, key := stamps(); !same(key, clk.now) {
			t.Fatalf("use during a cancelled request: key last used %v; want %v", key, clk.now)
		}
	})
}

// TestLookupFailure checks that a credential that cannot be checked is an
// internal error, not a refusal.
func TestLookupFailure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s)
		a := New(domain.New(s.Client, s.Dialect), Config{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := a.DirectoryToken(ctx, f.dir.ID, "Bearer "+f.token)
		if err == nil || fault.CodeOf(err) != fault.Internal || !errors.Is(err, context.Canceled) {
			t.Fatalf("token look-up on a cancelled context: err = %v; want an internal error wrapping context.Canceled", err)
		}
		_, err = a.APIKey(ctx, "Bearer "+f.orgKey)
		if err == nil || fault.CodeOf(err) != fault.Internal || !errors.Is(err, context.Canceled) {
			t.Fatalf("key look-up on a cancelled context: err = %v; want an internal error wrapping context.Canceled", err)
		}
	})
}

// expireTokens returns a prepare step that makes every directory token
// expire at at, and its undo.
func (f *fixture) expireTokens(at time.Time) func() func() {
	return func() func() {
		f.client.DirectoryToken.Update().SetExpiresAt(at).ExecX(f.seed)
		return func() { f.client.DirectoryToken.Update().ClearExpiresAt().ExecX(f.seed) }
	}
}

// enable enables or disables the fixture's first directory.
func (f *fixture) enable(t *testing.T, enabled bool) {
	t.Helper()
	if _, err := f.svc.SetDirectoryEnabled(f.ctx, f.dir.ID, enabled); err != nil {
		t.Fatal(err)
	}
}

// flip returns a character other than c of the secrets' alphabet.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
