package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acme/directory/access"
	"github.com/acme/directory/auth"
	"github.com/acme/directory/domain"
	"github.com/acme/directory/store"
	"github.com/acme/directory/store/storetest"
)

// TestEndpointAuthentication checks the GraphQL edge of package auth: a
// valid key's viewer reaches the server, a refusal is a GraphQL-shaped 401
// with a Bearer challenge, and a failure to check is a 500 that says
// nothing more.
func TestEndpointAuthentication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := access.PlatformContext(context.Background())
		svc := domain.New(s.Client, s.Dialect)
		org, err := svc.CreateOrganization(ctx, domain.NewOrganization{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		issued, err := svc.CreateAPIKey(ctx, domain.NewAPIKey{Scope: access.OrgAdmin, OrganizationID: &org.ID, Name: "app"})
		if err != nil {
			t.Fatal(err)
		}
		var seen *access.Viewer
		e := &endpoint{auth: auth.New(svc, auth.Config{CacheTTL: -1}), server: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = access.FromContext(r.Context())
			w.WriteHeader(http.StatusTeapot)
		})}
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()

		cases := []struct {
			name      string
			ctx       context.Context
			header    string
			status    int
			code      string
			message   string
			challenge bool
		}{
			{"valid key", context.Background(), "Bearer " + issued.Key, http.StatusTeapot, "", "", false},
			{"no header", context.Background(), "", http.StatusUnauthorized, "UNAUTHENTICATED", auth.ErrAPIKey.Message, true},
			{"unknown key", context.Background(), "Bearer dk_" + strings.Repeat("A", 43), http.StatusUnauthorized, "UNAUTHENTICATED", auth.ErrAPIKey.Message, true},
			{"directory token", context.Background(), "Bearer scim_" + strings.Repeat("A", 43), http.StatusUnauthorized, "UNAUTHENTICATED", auth.ErrAPIKey.Message, true},
			{"not checkable", cancelled, "Bearer " + issued.Key, http.StatusInternalServerError, codeInternal, "internal error", false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				seen = nil
				req := httptest.NewRequestWithContext(c.ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
				req.Header.Set("Content-Type", "application/json")
				if c.header != "" {
					req.Header.Set("Authorization", c.header)
				}
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, req)
				if rec.Code != c.status {
					t.Fatalf("status %d; want %d (%s)", rec.Code, c.status, rec.Body)
				}
				if got := rec.Header().Get("WWW-Authenticate") != ""; got != c.challenge {
					t.Fatalf("WWW-Authenticate %q; want one: %v", rec.Header().Get("WWW-Authenticate"), c.challenge)
				}
				if c.code == "" {
					if seen == nil || seen.Scope != access.OrgAdmin || seen.OrganizationID != org.ID || seen.CredentialID != issued.APIKey.ID {
						t.Fatalf("server saw viewer %+v; want org_admin of %s by key %s", seen, org.ID, issued.APIKey.ID)
					}
					return
				}
				if seen != nil {
					t.Fatalf("a refused request reached the server as %+v", seen)
				}
				var body result
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("body is not JSON: %v\n%s", err, rec.Body)
				}
				if len(body.Errors) != 1 || body.Errors[0].Extensions.Code != c.code || body.Errors[0].Message != c.message {
					t.Fatalf("errors %+v; want one %s %q", body.Errors, c.code, c.message)
				}
			})
		}
	})
}

// TestRefusedKeyIsLogged: a refused API key writes one warning that names
// the credential's kind and why, never the secret.
func TestRefusedKeyIsLogged(t *testing.T) {
	s := storetest.Open(t, "sqlite")
	a := newAPI(t, s.Client, s.Dialect, Config{})
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	const key = "dk_NotAKeyOfThisServerButWellFormed0123456789abcd"
	if r := a.do(key, `{ organizations { totalCount } }`, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("status %d", r.status)
	}
	line := logs.String()
	if !strings.Contains(line, "graphql authentication refused") || !strings.Contains(line, "credential=api_key") {
		t.Fatalf("log: %q", line)
	}
	if strings.Contains(line, key) || strings.Contains(line, key[3:]) {
		t.Fatalf("the log holds the secret: %q", line)
	}
}
